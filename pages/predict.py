"""Predict: type text, see each token's strong / weak / voted tag and probability."""
import pandas as pd
import plotly.express as px
import streamlit as st

from ner_core.data.formats.csv_safety import safe_csv
from ner_core.data.raw_text import readable
from ner_core.data.scripts import foreign_note
from ner_core.data.formats.text import typed_sentences
from ner_core.data.tokenize import MAX_SENTENCE_TOKENS, even_pieces, join_tokens
from ner_core.models.pipeline import (RULE_BOTH_O, RULE_DETECTOR_NO, RULE_STRONG_HIGHER, RULE_STRONG_O, RULE_WEAK_HIGHER,
                                       RULE_WEAK_O, VotedPipeline)
from ner_core.storage.datasets import DEFAULT_DATASET
from pages.models import choose_model
from pages.render import entities_html, plain, remember
from pages.sign_in import current_user
from pages.ui import correction_store, current_dataset, dataset_colours

EXAMPLE = "Angela Merkel met Emmanuel Macron in Paris on Monday to discuss the Paris Agreement with the United Nations."
MAX_TOKENS = 20_000
DETAILED_SENTENCES = 20


def confidence_chart(rows: list[dict], tag_key: str, prob_key: str, colours: dict[str, str]):
    """A bar per token: the probability of its tag, coloured by entity type (``colours``: by type)."""
    data = [{"position": f"{i}: {r['token']}", "probability": r[prob_key], "tag": r[tag_key]} for i, r in enumerate(rows)]
    colours = {f"{p}-{t}": c for t, c in colours.items() for p in "BI"} | {"O": "#d0d0d0"}
    fig = px.bar(data, x="position", y="probability", color="tag", color_discrete_map=colours, range_y=[0, 1],
                 category_orders={"position": [d["position"] for d in data]})  # the sentence's order, not by tag
    fig.update_layout(height=280, margin=dict(l=0, r=0, t=10, b=0), xaxis_title=None)
    return fig


st.title("Predict")
current_user()  # signed in (when users are defined), also when this page is opened on its own
dataset = current_dataset()
model_key, model_label, model = choose_model(dataset)
colours = dataset_colours(dataset)

store = correction_store(dataset)
example = EXAMPLE if dataset == DEFAULT_DATASET else " ".join(  # the dataset's own text: news names mean nothing to its types
    join_tokens(store.original[i].words)[0] for i in store.split_indices()[2][:2])
if st.session_state.get("predict_example", EXAMPLE) != example:  # another dataset: its example, unless text was typed
    if st.session_state.get("predict_text__kept") == st.session_state.get("predict_example", EXAMPLE):
        st.session_state.pop("predict_text__kept")
        st.session_state.pop("predict_text", None)
st.session_state.predict_example = example
remember("predict_text", example)  # the typed text survives a page switch
text, cleaned = readable(st.text_area("Text to tag (several sentences are fine)", height=120, key="predict_text"))
found = typed_sentences(text, model.token_style or store.token_style)  # as its training data is (long-term: one token)
sentences = [piece for sentence in found for piece in even_pieces(sentence)]  # text without full stops: in pieces
n_tokens = sum(len(s) for s in sentences)
if not sentences:
    st.info("Type some text to tag.")
    st.stop()
if n_tokens > MAX_TOKENS:
    st.error(f"The text has {n_tokens:,} tokens; the limit is {MAX_TOKENS:,}. Tag it in parts or use the CLI.")
    st.stop()

words = [[t.text for t in s] for s in sentences]
results = model.tag(words)
cut = f" (sentences of over {MAX_SENTENCE_TOKENS} tokens cut into pieces)" if len(sentences) > len(found) else ""
st.caption(f"{len(sentences)} sentence(s){cut}, {n_tokens:,} tokens · dataset `{dataset}` · {model_label}"
           + "".join(f" · {plain(what)}: {n}" for what, n in cleaned.items()))  # HTML taken out ... (helper-94)
foreign = foreign_note(words, model.scripts)
if foreign:
    st.warning(foreign[0].upper() + foreign[1:] + ".")
all_rows, voted = [], isinstance(model, VotedPipeline)
if voted:
    st.caption("**strong**: the tagger of the frequent types; **weak**: of the rare ones; **voted**: the tag kept. A sentence "
               "whose detector P(weak entity) is under the threshold (sidebar) keeps the strong tags (→ strong model only); "
               f"another is voted token by token (→ vote). **rule**: *{RULE_DETECTOR_NO}* (under the threshold), "
               f"*{RULE_WEAK_O}* and *{RULE_STRONG_O}* (one tagger says O: the other's tag), *{RULE_BOTH_O}*, "
               f"*{RULE_STRONG_HIGHER}* and *{RULE_WEAK_HIGHER}* (both tag it: the surer one's).")
for i, (tokens, result) in enumerate(zip(sentences, results), start=1):
    rows = result.rows()
    sentence_columns = {"detector P(weak entity)": result.detector_prob, "vote": result.voted} if voted else {}
    all_rows += [{"sentence": i, **sentence_columns, **r} for r in rows]  # the CSV holds what each sentence's caption says
    if i > DETAILED_SENTENCES:
        continue
    with st.container(border=True):
        if voted:
            detector = "no detector: voted everywhere" if result.detector_prob is None else (
                f"detector P(weak entity) = {result.detector_prob:.3f} → {'vote' if result.voted else 'strong model only'}"
            )
            st.caption(f"Sentence {i} · {detector}")
        else:
            st.caption(f"Sentence {i}")
        st.html(entities_html(text, tokens, result.tags, colours))
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        tag_key, prob_key = ("voted", "p voted") if voted else ("tag", "probability")
        st.plotly_chart(confidence_chart(rows, tag_key, prob_key, colours), key=f"predict_chart_{i}")
if len(sentences) > DETAILED_SENTENCES:
    st.info(f"Details are shown for the first {DETAILED_SENTENCES} of {len(sentences):,} sentences; download them all below.")
st.download_button("Download all tokens (CSV)", safe_csv(pd.DataFrame(all_rows)), "predictions.csv", key="predict_download")
