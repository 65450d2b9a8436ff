"""Predict: type text, see each token's tag and probability."""
import pandas as pd
import streamlit as st

from ner_core.checkpoint import CheckpointError
from ner_core.tokenize import tokenize_with_offsets
from pages.ui import DEFAULT_MODEL, entities_html, load_tagger

EXAMPLE = "Angela Merkel met Emmanuel Macron in Paris on Monday to discuss the Paris Agreement with the United Nations."
MAX_TOKENS = 20_000

st.title("Predict")
text = st.text_area("Text to tag", EXAMPLE, height=120, key="predict_text")
sentences = tokenize_with_offsets(text)
n_tokens = sum(len(s) for s in sentences)

if not sentences:
    st.info("Type some text to tag.")
    st.stop()
if n_tokens > MAX_TOKENS:
    st.error(f"The text has {n_tokens:,} tokens; the limit is {MAX_TOKENS:,}. Tag it in parts or use the CLI.")
    st.stop()

try:
    tagger = load_tagger(DEFAULT_MODEL)
except CheckpointError as err:
    st.error(f"No model to tag with: {err}")
    st.stop()

tagged = tagger.tag([[t.text for t in s] for s in sentences])
st.caption(f"{len(sentences)} sentence(s), {n_tokens:,} tokens · model `{DEFAULT_MODEL}`")
for tokens, result in zip(sentences, tagged):
    st.html(entities_html(text, tokens, result.tags))

rows = [
    {"sentence": i + 1, "token": w, "tag": t, "probability": round(p, 3)}
    for i, s in enumerate(tagged)
    for w, t, p in zip(s.words, s.tags, s.probs)
]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
