"""Suspicious annotations: gold tags the model finds unlikely, ranked (cleanlab)."""
import pandas as pd
import streamlit as st

from ner_core.tags import ENTITY_TYPES, tag_type
from pages.ui import annotate_link, available_models, corpus_index, current_split, label_issues, load_model

st.title("Suspicious annotations")
st.caption(
    "Tokens whose gold tag the model finds unlikely, ranked by cleanlab from the CRF's per-token "
    "probabilities. The model never trained on the val and test splits, so their ranking is out-of-sample."
)
models = available_models(single=True)
if not models:
    st.error("No trained single model under checkpoints/.")
    st.stop()
name = models[st.sidebar.radio("Model family", list(models), key="suspicious_family")]
part = st.radio("Split", ["test", "val", "train"], horizontal=True, key="suspicious_split")
if part == "train":
    st.warning("The model trained on these sentences, so it has partly memorised their errors: expect fewer to be found.")
split, version = current_split()
sentences = split.part(part)
issues = label_issues(name, load_model(name), f"split:{part}@{version}", sentences)

types = st.multiselect("Entity type (given or suggested)", ENTITY_TYPES, key="suspicious_types")
if types:
    issues = [i for i in issues if {tag_type(i.given), tag_type(i.suggested)} & set(types)]
st.caption(f"{len(issues):,} suspicious tokens in {len({i.sentence for i in issues}):,} sentences")
rows = []
for issue in issues[:1000]:
    words = list(sentences[issue.sentence].words)
    words[issue.token] = f"【{words[issue.token]}】"
    rows.append({"score": round(issue.score, 4), "sentence": issue.sentence, "token": issue.token,
                 "given": issue.given, "suggested": issue.suggested, "text": " ".join(words)})
st.dataframe(pd.DataFrame(rows, columns=["score", "sentence", "token", "given", "suggested", "text"]),
             hide_index=True, width="stretch", key="suspicious_table")
if rows:
    pick = st.selectbox("Open a sentence to correct it", sorted({r["sentence"] for r in rows}, key=[r["sentence"] for r in rows].index),
                        key="suspicious_pick")
    annotate_link(corpus_index(part)[pick])
