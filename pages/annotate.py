"""Annotate: correct the gold tags of one sentence at a time, beside the model's prediction (the grid editor)."""
import pandas as pd
import streamlit as st

from ner_core.data.tags import rebase, replace_span, spans
from ner_core.data.tokenize import join_tokens
from ner_core.storage.store import CorrectionError, StaleSaveError
from pages.corpus_files import export_panel, import_form
from pages.entity_types import entity_types_panel
from pages.drafts import draft_of, drop_draft, leave, open_grid, unsaved_note, saved_alike, sync_grid
from pages.models import optional_model
from pages.author import author_name
from pages.render import conflict_choice, edited_column, entities_html, flash, forget, plain, remember, sentence_from_link
from pages.sign_in import current_user, signed_in
from pages.ui import correction_store, current_dataset, dataset_colours, review_queue, split_parts

st.title("Annotate")
import_form(user := current_user())
store, colours = correction_store(dataset := current_dataset()), dataset_colours(dataset)
n = store.size()  # the original sentences, then those added from the pool
author = author_name(user)
entity_types_panel(dataset, store, user, author)  # in the sidebar
if st.session_state.get("annotate_dataset") != dataset:  # a new session or another dataset: where this annotator left off
    st.session_state.annotate_dataset, st.session_state.annotate_sentence = dataset, store.position(author) or 0
linked = sentence_from_link(n) if st.query_params.get("sentence") != st.session_state.get("annotate_url") else None
if linked is not None and st.session_state.get("annotate_linked") != linked:  # a link, not the address this page wrote
    st.session_state.annotate_linked = st.session_state.annotate_sentence = linked
remember("annotate_sentence", 0)
st.session_state.annotate_sentence = min(st.session_state.annotate_sentence, n - 1)


def move(step: int | None) -> None:
    """Go ``step`` sentences on (None: to the number just typed); unsaved edits hold the page once, with a warning."""
    here = st.session_state.get("annotate_sentence__kept", 0)
    target = st.session_state.annotate_sentence if step is None else (here + step) % n
    edits = leave((dataset, here)) if target != here else 0
    st.session_state.annotate_sentence = here if edits else target
    if edits:
        st.session_state.annotate_message = ("warning", f"Sentence {here} has unsaved edits in {edits} row(s): Save them, "
                                                        "or move again to drop them.")
model_label, model = optional_model()  # no model yet, or one that does not load: the gold tags are edited all the same
with st.container(horizontal=True, vertical_alignment="center"):  # the buttons as wide as their labels, on any screen
    st.button("◀ Previous", on_click=move, args=(-1,), key="annotate_prev")
    st.button("Next / skip ▶", on_click=move, args=(1,), key="annotate_next")
    st.number_input("Sentence", 0, n - 1, key="annotate_sentence", label_visibility="collapsed", on_change=move, args=(None,))
i = st.session_state.annotate_sentence
if author and st.session_state.get("annotate_position") != (author, i):  # kept for this annotator's next session
    store.remember_position(author, i)
    st.session_state.annotate_position = (author, i)
if st.query_params.get("sentence") != str(i):  # the address follows the sentence: a reload or a shared link opens it
    st.query_params["sentence"] = str(i)
st.session_state.annotate_url, st.session_state.annotate_linked = str(i), i
words, stored = store.words(i), store.snapshot(i)  # tags and version read together
grid = open_grid((dataset, i), (stored.tags, stored.version), f"annotate_editor_{i}_")
if grid.version != stored.version:  # the grid holds unsaved edits of an older version
    st.warning(plain(f"Sentence {i} was changed meanwhile by {stored.author} (now version {stored.version}); your unsaved edits are kept: Save shows both."))
closed = None if store.in_corpus(i) else "Its add from the pool was undone or rejected: it is not in the corpus (add it again on New text)."
part = "train" if i >= len(store.original) else next(p for p, ids in split_parts(dataset).items() if i in ids)
(st.caption if closed or part == "train" else st.info)(closed or ("Added from the pool (New text): in the training split."
    if i >= len(store.original) else f"In the {part} split" + ("." if part == "train" else ": a correction here is for "
    "evaluation only (never trained on); retraining learns from the train split, which the Review queue serves first.")))
predicted = None if model is None else model.tag([words])[0]
try:  # what the review queue flagged in this sentence, when the link came from it
    flagged = review_queue(dataset).item(int(st.query_params.get("item", "")))
except (KeyError, ValueError):
    flagged = None
if flagged is not None and flagged.sentence == i:
    st.info(plain(f"From the review queue: {flagged.describe(words)} (marked ⚑ in the grid)"))
text, tokens = join_tokens(words)
left, right = st.columns(2)
left.markdown("**Gold (current)**" if (draft := draft_of((dataset, i))) is None else "**Gold, with your unsaved edits**")
left.html(entities_html(text, tokens, stored.tags if draft is None else list(draft.tags), colours))  # follows the grid
if predicted is not None:
    right.markdown(f"**Prediction** · {plain(model_label)}")
    right.html(entities_html(text, tokens, predicted.tags, colours))

table = pd.DataFrame({"token": words, "gold": grid.drawn} if predicted is None else
                     {"token": words, "gold": grid.drawn, "predicted": predicted.tags, "p": [round(p, 3) for p in predicted.probs]})
if flagged is not None and flagged.sentence == i:  # the review queue's suspect tokens, beside their words
    table.insert(0, "⚑", ["⚑" if flagged.start <= k < flagged.end else "" for k in range(len(words))])
st.data_editor(table, hide_index=False, disabled=[c for c in table if c != "gold"], key=grid.key, on_change=sync_grid,
               column_config={"gold": st.column_config.SelectboxColumn("gold", options=store.tagset.labels, required=True, help="The dataset's tags (a new type: Entity types, in the sidebar)")})
unsaved_note(grid, "annotate_discard")  # below the grid: a note that comes with the first edit moves nothing


@signed_in
def save(tags, what: str, expected: int, base: list[str] | None = None) -> None:
    try:
        result = store.save(i, list(tags), author=author, expected_version=expected)
    except StaleSaveError as err:
        tags = rebase(tags, grid.base if base is None else base, err.tags)  # my edits on theirs: their other changes stay
        if note := saved_alike((dataset, i), tags, err):  # saved meanwhile as this save would: no conflict
            st.session_state.annotate_message = ("info", note)
            return
        st.session_state.annotate_conflict = {"sentence": i, "mine": tags, "theirs": err.tags, "version": err.version,
                                              "author": store.changed_by(i, err.author)}  # a reviewer's rejection, said so
        return
    except CorrectionError as err:
        st.session_state.annotate_message = ("error", plain(str(err)))
        return
    drop_draft((dataset, i))  # the grid starts again from what is stored
    note = f" (IOB2 repaired at token {', '.join(map(str, result.repaired))})" if result.repaired else ""
    st.session_state.annotate_message = ("success", f"{what}: {result.changed} token(s) changed{note}.") if result.changed else (
        "info", "Nothing to save: these are the stored tags (to keep one predicted entity, pick it under Accept one predicted entity).")


@signed_in
def undo(expected: int) -> None:
    try:
        undone = store.undo(author, sentence=i, expected_version=expected)
    except CorrectionError as err:  # a StaleSaveError (a colleague's change came after yours) is a warning
        st.session_state.annotate_message = ("warning" if isinstance(err, StaleSaveError) else "error", plain(f"Not undone: {err}."))
        return
    if undone is not None: drop_draft((dataset, i))  # noqa: E701 - the grid starts again from what is stored
    st.session_state.annotate_message = ("info", f"Nothing of yours to undo on sentence {i}.") if undone is None else (
        "success", f"Undone on sentence {i}: your last change, {len(undone.tokens)} tag(s) set back (token {', '.join(map(str, undone.tokens))}).")


def keep_theirs() -> None:  # the stored version stays; your edits go
    forget("annotate_conflict")
    drop_draft((dataset, i))


conflict = st.session_state.get("annotate_conflict")
if conflict and conflict["sentence"] == i:
    conflict_choice(i, conflict["author"], conflict["version"], words, conflict["mine"], conflict["theirs"], colours, "annotate",
                    lambda: save(st.session_state.pop("annotate_conflict")["mine"], "Saved", conflict["version"], conflict["theirs"]),
                    keep_theirs, "Yours: your changes on theirs")

shut = {"disabled": closed is not None, "help": closed}  # no save to a sentence not in the corpus
with st.container(horizontal=True, vertical_alignment="bottom"):  # as wide as their labels: they wrap on a narrow screen
    st.button("Save", icon=":material/save:", key="annotate_save", type="primary", **shut,
              on_click=lambda: save(edited_column(grid.key, "gold", grid.drawn), "Saved", grid.version))  # the edits at the click
    if predicted is not None:
        st.button("Accept the prediction", on_click=save, args=(list(predicted.tags), "Prediction accepted", grid.version),
                  key="annotate_accept", **shut)
    st.button("↩ Undo my last change", on_click=undo, args=(grid.version,), key="annotate_undo", disabled=closed is not None,
              help=closed or f"Undo your last change to sentence {i} (this sentence only)")
    if predicted is not None:
        missing = sorted(set(spans(predicted.tags)) - set(spans(grid.drawn)), key=lambda s: s.start)  # those the gold on screen lacks
        entity = st.selectbox("Accept one predicted entity", missing, index=None, key=f"annotate_span_{i}", width=260,
                              format_func=lambda s: f"{' '.join(words[s.start:s.end])} ({s.type})", placeholder="Choose one")
        if entity is not None:
            merged = replace_span(list(grid.drawn), entity.start, entity.end, entity.type)
            st.button("Accept this entity", on_click=save, args=(merged, "Entity accepted", grid.version), key="annotate_accept_span", **shut)
flash("annotate_message")

with st.expander("History of this sentence"):
    st.dataframe(pd.DataFrame(store.history(i)), hide_index=True, placeholder="", key="annotate_history")  # who undid or rejected what, and when
export_panel(dataset, store)
