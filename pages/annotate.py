"""Annotate: correct the gold tags of one sentence at a time, beside the model's prediction."""
import os

import pandas as pd
import streamlit as st

from ner_core.corpus import CorpusError
from ner_core.store import CorrectionError
from ner_core.tags import ALL_TAGS, replace_span, spans
from ner_core.tokenize import join_tokens
from pages.ui import choose_model, corpus_export, correction_store, datasets, entities_html, import_upload

st.title("Annotate")
with st.sidebar.expander("Import a corpus file as a new dataset"):
    upload = st.file_uploader("Kaggle CSV (.csv, .csv.zip) or CoNLL (.conll, .txt)", key="annotate_upload")
    name = st.text_input("Dataset name", key="annotate_upload_name")
    if st.button("Import", key="annotate_import", disabled=upload is None or not name):
        try:
            import_upload(name, upload.getvalue(), upload.name)
            st.success(f"Imported {name!r}.")
        except (CorpusError, CorrectionError) as err:
            st.error(f"Refused: {err}")
dataset = st.sidebar.selectbox("Dataset", list(datasets()), key="annotate_dataset")
store = correction_store(dataset)
n = len(store.original)
if "annotate_sentence" not in st.session_state:
    st.session_state.annotate_sentence = min(max(int(st.query_params.get("sentence", 0)), 0), n - 1)
st.session_state.annotate_sentence = min(st.session_state.annotate_sentence, n - 1)


def move(step: int) -> None:
    st.session_state.annotate_sentence = (st.session_state.annotate_sentence + step) % n


author = st.sidebar.text_input("Your name", os.environ.get("USER", "annotator"), key="annotate_author")
_, model = choose_model("annotate")
nav = st.columns([1, 1, 3])
nav[0].button("◀ Previous", on_click=move, args=(-1,), key="annotate_prev", width="stretch")
nav[1].button("Next / skip ▶", on_click=move, args=(1,), key="annotate_next", width="stretch")
nav[2].number_input("Sentence", 0, n - 1, key="annotate_sentence", label_visibility="collapsed")
i = st.session_state.annotate_sentence
words, gold = store.original[i].words, store.tags(i)
predicted = model.tag([words])[0]

text, tokens = join_tokens(words)
left, right = st.columns(2)
left.markdown("**Gold (current)**")
left.html(entities_html(text, tokens, gold))
right.markdown("**Prediction**")
right.html(entities_html(text, tokens, predicted.tags))

table = pd.DataFrame({"token": words, "gold": gold, "predicted": predicted.tags, "p": [round(p, 3) for p in predicted.probs]})
edited = st.data_editor(
    table, hide_index=False, disabled=["token", "predicted", "p"], key=f"annotate_editor_{i}_{store.version()}",
    column_config={"gold": st.column_config.SelectboxColumn("gold", options=ALL_TAGS, required=True)},
)


def save(tags, what: str) -> None:
    try:
        result = store.save(i, tags, author=author)
    except CorrectionError as err:
        st.session_state.annotate_message = ("error", str(err))
        return
    note = f" (IOB2 repaired at token {', '.join(map(str, result.repaired))})" if result.repaired else ""
    st.session_state.annotate_message = ("success", f"{what}: {result.changed} token(s) changed{note}.")


actions = st.columns(4)
actions[0].button("💾 Save", on_click=save, args=(list(edited["gold"]), "Saved"), key="annotate_save", type="primary", width="stretch")
actions[1].button("Accept the prediction", on_click=save, args=(list(predicted.tags), "Prediction accepted"), key="annotate_accept", width="stretch")
actions[2].button("↩ Undo my last change", on_click=lambda: store.undo(author), key="annotate_undo", width="stretch")
entity = actions[3].selectbox("Accept one predicted entity", spans(predicted.tags), index=None, key=f"annotate_span_{i}",
                              format_func=lambda s: f"{' '.join(words[s.start:s.end])} ({s.type})")
if entity is not None:
    merged = replace_span(gold, entity.start, entity.end, entity.type)
    actions[3].button("Accept this entity", on_click=save, args=(merged, "Entity accepted"), key="annotate_accept_span")
if "annotate_message" in st.session_state:
    kind, message = st.session_state.pop("annotate_message")
    getattr(st, kind)(message)

with st.expander("History of this sentence"):
    st.dataframe(pd.DataFrame(store.history(i)), hide_index=True, key="annotate_history")
with st.expander("All corrections and export"):
    counts = store.counts()
    st.write(f"{counts['sentences']} corrected sentence(s), {counts['tokens']} token(s); by type: {counts['by_type']}")
    st.dataframe(pd.DataFrame(store.history(limit=200)), hide_index=True)
    for fmt in ("csv", "conll"):
        try:
            st.download_button(f"Export the corrected corpus ({fmt})", corpus_export(dataset, store.version(), fmt),
                               f"{dataset}-corrected.{fmt}", key=f"annotate_export_{fmt}")
        except CorpusError as err:
            st.error(str(err))
