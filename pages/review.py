"""Review queue: suspicious annotations one at a time, decided by keyboard; the next one at once."""
import streamlit as st
from sqlalchemy.exc import DBAPIError

from ner_core.storage.entity_types import guidelines
from ner_core.quality.review_queue import MODEL, SOURCES, SPLITS, QueueItem
from ner_core.quality.review_session import ReviewSession, fill_review_queue, flags_computed, item_words, open_elsewhere
from ner_core.workbench.correction_review import rejections
from ner_core.workbench.jobs import ACTIVE, job_status, latest_job
from ner_core.workbench.registry import available_models
from pages.author import author_name
from pages.keyboard_annotator import keyboard_annotator, outage
from pages.models import load_model
from pages.review_cross_val import cross_validation
from pages.render import annotate_link, plain, remember, type_colours
from pages.sign_in import current_user, signed_in
from pages.ui import REVIEW_FIRST_SPLIT, correction_store, current_dataset, dataset_types, review_queue, split_parts

KEY = "review_annotator"

st.title("Review queue")
dataset, user = current_dataset(), current_user()
author = author_name(user)
remember("review_split", REVIEW_FIRST_SPLIT)
remember("review_types", [])
remember("review_sources", list(SOURCES))
store, queue, types = correction_store(dataset), review_queue(dataset), list(dataset_types(dataset))
left, middle, right = st.columns([2, 2.5, 3.5])
split = left.radio("Split", SPLITS, horizontal=True, key="review_split",
                   help="train: what retraining learns from; val and test: what the scores are measured on")
chosen_types = middle.multiselect("Entity type", types, key="review_types", placeholder="every type",
                                  help="Items whose given or suggested tags hold one of these types")
sources = right.pills("Source", SOURCES, selection_mode="multi", key="review_sources",  # readable on a narrow screen too
                      help="model: gold tags that taggers which never saw the sentence find unlikely; "
                           "consistency: strings the dataset tags more than one way. None chosen: every source")
if split != "train":
    st.info(f"Corrections on the {split} split are **evaluation only**: retraining learns from the train split.")


with st.spinner("Filling the queue (once per source)…"):
    fill_review_queue(queue, split_parts(dataset), split, list(available_models(dataset, single=True).values()), load_model)
uncomputed = MODEL in (sources or SOURCES) and not flags_computed(queue, split, split_parts(dataset)[split])
if uncomputed:
    st.info(f"The model's flags of the {split} split (the most suspicious annotations) are not computed yet: score the "
            "split out of sample below (a background job). Until then the queue holds the consistency flags.")
scoring = (cv_job := latest_job(dataset, "cross-val")) is not None and job_status(cv_job)["state"] in ACTIVE
with st.expander("Model flags: 5 taggers, each scoring the sentences it never saw (cross-validated label issues)",
                 expanded=uncomputed and scoring):  # open while its job runs: the progress (not another's: helper-80); else the item comes first
    cross_validation(dataset, split, user, cv_job)
session: ReviewSession = st.session_state.setdefault("review_session", ReviewSession())


def on_ops() -> None:
    """Keys of the annotator: apply each decision (or skip, undo, or a conflict's choice) not applied yet, in order."""
    session.apply((st.session_state[KEY] or {}).get("ops") or [], queue, split, author)


def conflict_data() -> dict | None:
    """The refused decision, for the annotator to show both versions (``o`` or ``t`` chooses)."""
    conflict = session.conflict
    sentence = queue.item(conflict.item).sentence if conflict is not None else None
    return conflict.shown(sentence, store.original[sentence].words) if conflict is not None else None


def annotate_alike(item: QueueItem) -> None:
    """The consistency item's string annotated alike everywhere, after a confirmation with the count."""
    words = item_words(store, item)
    with st.expander(plain(f"Annotate every \"{words}\" in the dataset as {item.suggested}")):
        if st.button("Count the occurrences to change", key="review_alike_count"):
            session.count_alike(queue, item)
        changes = session.counted(item)
        if changes is not None:
            st.text(f"This changes {len(changes):,} sentence(s): \"{words}\" becomes {item.suggested} in each "
                    "(a sentence someone changes meanwhile is left as they saved it).")
            st.button(f"Confirm: change {len(changes):,} sentence(s)", key="review_alike_confirm", type="primary",
                      disabled=not changes, on_click=signed_in(session.confirm_alike), args=(queue, item, author))


@st.fragment
def queue_view() -> None:
    """The item on screen and the next ones; a decision reruns only this part of the page."""
    try:
        data, ahead, upcoming = annotator_data()
    except DBAPIError as err:  # the annotator stays, and with it the decisions not stored yet (helper-87)
        outage(err, KEY, on_ops, acked=session.acked, refused=session.refused, dataset=dataset, split=split, author=author)
        return
    keyboard_annotator(data, KEY, on_ops)
    if not ahead:
        return
    item = ahead[0]
    with st.container(key=f"ka_follows_{item.id}"):  # dimmed by the annotator while another item is on screen
        annotate_link(dataset, item.sentence, f"Open sentence {item.sentence} in the grid editor", item=item.id)
        if item.source == "consistency":
            annotate_alike(item)
        st.caption("Next in the queue")
        st.text("\n".join(f"{i.sentence:>7}  {f'{i.score:.3f}' if i.source == MODEL else '  -  '}  {i.source:<11}  {i.given} -> "
                          f"{i.suggested}  {item_words(store, i)}"
                          for i in (ahead[1:] + upcoming)[:8]) or "(nothing else)")


def annotator_data() -> tuple[dict, list[QueueItem], list[QueueItem]]:
    """What the annotator shows (the item on screen and the next ones, read from the database), and the items."""
    message = session.pop_message()  # the last decision's outcome, on the annotator's status line
    conflict = conflict_data()
    ahead, upcoming = session.ahead(queue, split, chosen_types, sources, author) if conflict is None else ([], [])
    states = store.snapshots(i.sentence for i in ahead)  # each item's tags with the version they are at
    rejected = rejections(store, [i.id for i in ahead])  # back because a reviewer rejected a decision on it: said so
    keys = list(dataset_types(dataset))  # read on each decision: a type an admin removed leaves the legend
    return ({
        "items": [{"item": i.id, "sentence": i.sentence, "version": (now := states[i.sentence]).version,
                   "words": list(store.original[i.sentence].words), "tags": now.tags, "suggestion": i.apply(now.tags),
                   "flagged": [i.start, i.end], "given": i.given, "suggested": i.suggested, "source": i.source,
                   "detail": " · ".join(filter(None, (i.note, rejected.get(i.id), i.changed_since(states[i.sentence])))),
        "score": i.score if i.source == MODEL else None} for i in ahead],
        "acked": session.acked, "refused": session.refused, "dataset": dataset, "message": {"kind": message[0], "text": message[1]} if message else None,
        "open": queue.count(split, chosen_types, sources), "split": split, "evaluation": split != "train",
        "author": author, "types": keys, "colours": type_colours(keys), "guidelines": guidelines(store), "conflict": conflict,
        "decided": session.decided[(dataset, split)],
        "elsewhere": open_elsewhere(queue, split, chosen_types, sources, not uncomputed) if not ahead and conflict is None else None,
    }, ahead, upcoming)


queue_view()
