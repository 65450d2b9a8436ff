"""Annotate: correct the gold tags of one sentence at a time, beside the model's prediction (the grid editor)."""
import pandas as pd
import streamlit as st

from ner_core.data.tags import replace_span, spans
from ner_core.data.tokenize import join_tokens
from ner_core.storage.store import CorrectionError, StaleSaveError
from pages.corpus_files import export_panel, import_form
from pages.models import optional_model
from pages.render import conflict_choice, edited_column, editing_base, entities_html, forget, pending_edits, plain, remember, sentence_from_link
from pages.sign_in import author_name, current_user, signed_in
from pages.ui import correction_store, current_dataset, dataset_colours, dataset_types, review_queue

st.title("Annotate")
user = current_user()
import_form(user)
dataset = current_dataset()
store = correction_store(dataset)
colours = dataset_colours(dataset)
n = store.size()  # the original sentences, then those added from the pool

author = author_name(user, "annotate_author")
if st.session_state.get("annotate_dataset") != dataset:  # a new session or another dataset: where this annotator left off
    st.session_state.annotate_dataset, st.session_state.annotate_sentence = dataset, store.position(author) or 0
linked = sentence_from_link(n) if st.query_params.get("sentence") != st.session_state.get("annotate_url") else None
if linked is not None and st.session_state.get("annotate_linked") != linked:  # a link, not the address this page wrote
    st.session_state.annotate_linked = st.session_state.annotate_sentence = linked
remember("annotate_sentence", 0)
st.session_state.annotate_sentence = min(st.session_state.annotate_sentence, n - 1)


def move(step: int | None) -> None:
    """Go ``step`` sentences on (None: to the number just typed); unsaved grid edits hold the page once, with a warning."""
    here = st.session_state.get("annotate_sentence__kept", 0)
    target = st.session_state.annotate_sentence if step is None else (here + step) % n
    edits = pending_edits(f"annotate_editor_{here}_")
    leaving = edits and target != here and st.session_state.get("annotate_leaving") != here
    st.session_state.annotate_leaving, st.session_state.annotate_sentence = (here, here) if leaving else (None, target)
    if leaving:
        st.session_state.annotate_message = ("warning", f"Sentence {here} has unsaved edits in {edits} row(s): Save them, "
                                                        "or move again to drop them.")
model = optional_model("annotate")  # None: no model yet, the gold tags are edited all the same
nav = st.columns([1, 1, 3])
nav[0].button("◀ Previous", on_click=move, args=(-1,), key="annotate_prev", width="stretch")
nav[1].button("Next / skip ▶", on_click=move, args=(1,), key="annotate_next", width="stretch")
nav[2].number_input("Sentence", 0, n - 1, key="annotate_sentence", label_visibility="collapsed", on_change=move, args=(None,))
i = st.session_state.annotate_sentence
if author and st.session_state.get("annotate_position") != (author, i):  # kept for this annotator's next session
    store.remember_position(author, i)
    st.session_state.annotate_position = (author, i)
if st.query_params.get("sentence") != str(i):  # the address follows the sentence: a reload or a shared link opens it
    st.query_params["sentence"] = str(i)
st.session_state.annotate_url, st.session_state.annotate_linked = str(i), i
words, stored = store.words(i), store.snapshot(i)  # tags and version read together
gold, version, held = editing_base((dataset, i), (stored.tags, stored.version), f"annotate_editor_{i}_")
if held:
    st.warning(plain(f"Sentence {i} was changed meanwhile by {stored.author} (now version {stored.version}); your unsaved edits are kept: Save shows both."))
if i >= len(store.original):
    st.caption("Added from the pool (New text): it belongs to the training split." if store.in_corpus(i) else
               "Added from the pool, but its add was undone or rejected: it is not in the corpus, and nothing is saved to it.")
predicted = None if model is None else model.tag([words])[0]


def flagged() -> None:
    """What the review queue flagged in this sentence, when the link came from it."""
    try:
        item = review_queue(dataset).item(int(st.query_params.get("item", "")))
    except (KeyError, ValueError):
        return
    if item.sentence == i:
        st.info(plain(f"From the review queue: {item.describe(words)}"))


flagged()
text, tokens = join_tokens(words)
left, right = st.columns(2)
left.markdown("**Gold (current)**")
left.html(entities_html(text, tokens, stored.tags, colours))
if predicted is not None:
    right.markdown("**Prediction**")
    right.html(entities_html(text, tokens, predicted.tags, colours))

labels = ["O", *(f"{p}-{t}" for t in dataset_types(dataset) for p in "BI")]
table = pd.DataFrame({"token": words, "gold": gold} if predicted is None else
                     {"token": words, "gold": gold, "predicted": predicted.tags, "p": [round(p, 3) for p in predicted.probs]})
editor = f"annotate_editor_{i}_{version}"
st.data_editor(table, hide_index=False, disabled=[c for c in table if c != "gold"], key=editor,
               column_config={"gold": st.column_config.SelectboxColumn("gold", options=labels, required=True)})


@signed_in
def save(tags, what: str, expected: int) -> None:
    try:
        result = store.save(i, list(tags), author=author, expected_version=expected)
    except StaleSaveError as err:
        st.session_state.annotate_conflict = {"sentence": i, "mine": list(tags), "theirs": err.tags, "version": err.version,
                                              "author": err.author}
        return
    except CorrectionError as err:
        st.session_state.annotate_message = ("error", plain(str(err)))
        return
    st.session_state.pop("editing_base", None)  # the grid starts again from what is stored
    note = f" (IOB2 repaired at token {', '.join(map(str, result.repaired))})" if result.repaired else ""
    st.session_state.annotate_message = ("success", f"{what}: {result.changed} token(s) changed{note}.")


@signed_in
def undo(expected: int) -> None:
    try:
        undone = store.undo(author, sentence=i, expected_version=expected)
    except StaleSaveError as err:
        st.session_state.annotate_message = ("warning", plain(f"Not undone: {err}."))
        return
    except CorrectionError as err:
        st.session_state.annotate_message = ("error", plain(str(err)))
        return
    st.session_state.pop("editing_base", None)
    st.session_state.annotate_message = (
        ("info", f"Nothing of yours to undo on sentence {i}.") if undone is None else
        ("success", f"Undone on sentence {i}: your last change, {len(undone.tokens)} tag(s) set back "
                    f"(token {', '.join(map(str, undone.tokens))})."))


conflict = st.session_state.get("annotate_conflict")
if conflict and conflict["sentence"] == i:
    conflict_choice(i, conflict["author"], conflict["version"], words, conflict["mine"], conflict["theirs"], colours, "annotate",
                    lambda: save(st.session_state.pop("annotate_conflict")["mine"], "Overwritten", conflict["version"]),
                    lambda: forget("annotate_conflict", "editing_base"))  # keep theirs: your edits go

actions = st.columns(4)
actions[0].button("Save", icon=":material/save:", key="annotate_save", type="primary", width="stretch",
                  on_click=lambda: save(edited_column(editor, "gold", gold), "Saved", version))  # the edits at the click
actions[2].button("↩ Undo my last change", on_click=undo, args=(version,), key="annotate_undo", width="stretch",
                  help=f"Undo your last change to sentence {i} (this sentence only)")
if predicted is not None:
    actions[1].button("Accept the prediction", on_click=save, args=(list(predicted.tags), "Prediction accepted", version),
                      key="annotate_accept", width="stretch")
    entity = actions[3].selectbox("Accept one predicted entity", spans(predicted.tags), index=None, key=f"annotate_span_{i}",
                                  format_func=lambda s: f"{' '.join(words[s.start:s.end])} ({s.type})")
    if entity is not None:
        merged = replace_span(gold, entity.start, entity.end, entity.type)
        actions[3].button("Accept this entity", on_click=save, args=(merged, "Entity accepted", version), key="annotate_accept_span")
if "annotate_message" in st.session_state:
    kind, message = st.session_state.pop("annotate_message")
    getattr(st, kind)(message)

with st.expander("History of this sentence"):
    st.dataframe(pd.DataFrame(store.history(i)), hide_index=True, key="annotate_history")  # who undid or rejected what, and when
export_panel(dataset, store)
