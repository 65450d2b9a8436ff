"""Review queue: suspicious annotations one at a time, decided by keyboard; the next one at once."""
import os

import streamlit as st

from ner_core.data.tokenize import join_tokens
from ner_core.quality.review_queue import ACCEPTED, EDITED, KEPT, SOURCES, SPLITS, Alike, QueueItem
from ner_core.storage.store import CorrectionError, StaleSaveError
from ner_core.storage.users import refusal
from ner_core.workbench.jobs import JobError, job_status, latest_job, start_job
from pages.keyboard_annotator import keyboard_annotator
from pages.sign_in import current_user
from pages.ui import (
    correction_store,
    current_dataset,
    dataset_types,
    entities_html,
    fill_review_queue,
    plain,
    remember,
    review_queue,
    type_colours,
)

KEY = "review_annotator"
ACTIONS = {"accept": ACCEPTED, "keep": KEPT, "edit": EDITED}

st.title("Review queue")
dataset, user = current_dataset(), current_user()
if user is None:  # no users defined: one person's app, who names themself
    remember("review_author", os.environ.get("USER", "annotator"))
    author = st.sidebar.text_input("Your name", key="review_author")
else:
    author = user.name
remember("review_split", "train")
remember("review_types", [])
remember("review_sources", list(SOURCES))
store, queue, types = correction_store(dataset), review_queue(dataset), list(dataset_types(dataset))
left, middle, right = st.columns([2, 3, 3])
split = left.radio("Split", SPLITS, horizontal=True, key="review_split")
chosen_types = middle.multiselect("Entity type", types, key="review_types", placeholder="every type")
sources = right.multiselect("Source", SOURCES, key="review_sources", placeholder="every source")
if split != "train":
    st.info(f"Corrections on the {split} split are **evaluation only**: retraining learns from the train split.")


def cross_validation() -> None:
    """Start (admins) and follow the background job that scores the split out of sample."""
    job = latest_job(dataset, "cross-val")
    if job is not None:
        status = job_status(job)
        last = next((e for e in reversed(status["progress"]) if "eta_seconds" in e), {})
        st.text(f"Last run {job}: {status['state']}" + (f", {last.get('stage', '')}, about {last['eta_seconds']:.0f} s left"
                                                       if status["state"] == "running" and last else "")
                + (f" ({status.get('error')})" if status.get("error") else ""))
    why = refusal(user, "retrain")
    if st.button("Score the split out of sample (5 folds, a background job)", key="review_cross_val",
                 disabled=why is not None, help=why):
        try:
            start_job("cross-val", {"dataset": dataset, "split": split, "folds": 5}, dataset, user)
            st.success("Started: the queue takes its flags when it has finished (reload this page).")
        except (JobError, ValueError) as err:
            st.error("Not started:")
            st.text(str(err))


with st.expander("Cross-validated label issues: K taggers, each scoring the sentences it never saw"):
    cross_validation()

with st.spinner("Filling the queue (once per source)…"):
    fill_review_queue(dataset, split)
state = st.session_state.setdefault("review_state", {"done": [], "current": {}, "skipped": {}, "last": {}})
place = (dataset, split)
skipped = state["skipped"].setdefault(place, [])
BUFFER = 8  # items sent ahead to the browser, one per sentence: the next one is on screen at once


def matches(item: QueueItem) -> bool:
    return (not sources or item.source in sources) and (not chosen_types or bool(item.types & set(chosen_types)))


def on_screen() -> tuple[list[QueueItem], list[QueueItem]]:
    """The items sent to the browser (first the one kept for this split if still open and shown by the
    filters, else the most suspicious one not skipped; then one per further sentence) and the rest
    of the next few."""
    found = queue.items(split, chosen_types, sources, limit=4 * BUFFER, skip=skipped)
    if not found and skipped:  # every item skipped: start the round again
        skipped.clear()
        found = queue.items(split, chosen_types, sources, limit=4 * BUFFER)
    kept = state["current"].get(place)
    pinned = next((i for i in found if i.id == kept), None) or (queue.open_item(kept) if kept is not None else None)
    first = pinned if pinned is not None and matches(pinned) else (found[0] if found else None)
    state["current"][place] = first.id if first else None
    ahead, sentences = [], set()
    for item in [first, *found] if first else []:
        if item.sentence not in sentences and len(ahead) < BUFFER:
            ahead.append(item)
            sentences.add(item.sentence)
    shown = {i.id for i in ahead}
    return ahead, [i for i in found if i.id not in shown][:8]


def on_ops() -> None:
    """Keys of the annotator: apply each decision (or skip, or undo) not applied yet, in order."""
    ops = (st.session_state[KEY] or {}).get("ops") or []
    done = state["done"]
    for op in ops:
        if not isinstance(op, dict) or op.get("id") in done:
            continue
        done.append(op.get("id"))
        try:
            kind = op["kind"]
            item = queue.item(int(op["item"])) if op.get("item") is not None else None
            version = int(op["version"]) if kind in ACTIONS else None
        except (KeyError, TypeError, ValueError):
            state["message"] = ("error", "Not saved: the browser sent a decision this page does not know.")
            continue
        if kind == "undo":
            undo(item)
        elif kind == "skip" and item is not None:
            skipped.append(item.id)
            if state["current"].get(place) == item.id:
                state["current"][place] = None
        elif kind in ACTIONS and item is not None:
            decide(item, ACTIONS[kind], version, op.get("tags"))
        else:
            state["message"] = ("error", "Not saved: the browser sent a decision this page does not know.")
    del done[:-500]


def decide(item: QueueItem, decision: str, version: int, tags: list[str] | None) -> None:
    try:
        changed = queue.decide(item.id, decision, author, version, tags)
    except StaleSaveError as err:
        state["conflict"] = {"item": item.id, "decision": decision, "mine": tags or (item.apply(err.tags) if decision == ACCEPTED else err.tags), "theirs": err.tags,
                             "version": err.version, "author": err.author}
        return
    except CorrectionError as err:
        state["message"] = ("error", f"Not saved: {err}")
        return
    state["last"][dataset] = item.sentence
    state["current"][place] = None
    state["message"] = ("success", f"Sentence {item.sentence}: {decision} ({changed} tag(s) changed). Press u to undo it.")


def undo(shown: QueueItem | None) -> None:
    """Undo my last decision of this session (else my last save on the sentence on screen) and show that item."""
    sentence = state["last"].pop(dataset, shown.sentence if shown else None)
    if sentence is None:
        state["message"] = ("info", "Nothing of yours to undo.")
        return
    try:
        undone = queue.undo(author, sentence)
    except CorrectionError as err:  # changed by someone else since (or a full disk): nothing undone
        state["message"] = ("error", f"Not undone: {err}")
        return
    if undone is None:
        state["message"] = ("info", f"Nothing of yours to undo on sentence {sentence}.")
        return
    if undone.item is not None and undone.item.split == split:
        state["current"][place] = undone.item.id
    state["message"] = ("success", str(undone))


def overwrite(conflict: dict) -> None:
    state.pop("conflict")
    decide(queue.item(conflict["item"]), EDITED, conflict["version"], conflict["mine"])


def show_conflict(conflict: dict) -> None:
    item = queue.item(conflict["item"])
    st.warning(plain(f"Not saved: sentence {item.sentence} was saved meanwhile by {conflict['author']} (now version "
                     f"{conflict['version']}). Nothing was overwritten; choose which version to keep."))
    words = store.original[item.sentence].words
    text, tokens = join_tokens(words)
    mine, theirs = st.columns(2)
    mine.markdown(f"**Yours ({conflict['decision']})**")
    mine.html(entities_html(text, tokens, conflict["mine"]))
    mine.button("Overwrite with mine", on_click=overwrite, args=(conflict,), key="review_overwrite", width="stretch")
    theirs.markdown("**Stored**")
    theirs.text(f"saved by {conflict['author']}")
    theirs.html(entities_html(text, tokens, conflict["theirs"]))
    theirs.button("Keep theirs", on_click=lambda: state.pop("conflict"), key="review_keep_theirs", width="stretch",
                  type="primary")


def annotate_alike(item: QueueItem) -> None:
    """The consistency item's string annotated alike everywhere, after a confirmation with the count."""
    words = " ".join(store.original[item.sentence].words[item.start:item.end])
    with st.expander(plain(f"Annotate every \"{words}\" in the dataset as {item.suggested}")):
        if st.button("Count the occurrences to change", key="review_alike_count"):
            state["alike"] = (item.id, queue.alike(item))
        if state.get("alike", (None,))[0] == item.id:
            changes = state["alike"][1]
            st.text(f"This changes {len(changes):,} sentence(s): \"{words}\" becomes {item.suggested} in each "
                    "(a sentence someone changes meanwhile is left as they saved it).")
            st.button(f"Confirm: change {len(changes):,} sentence(s)", key="review_alike_confirm", type="primary",
                      disabled=not changes, on_click=apply_alike, args=(item, words, changes))


def apply_alike(item: QueueItem, words: str, changes: Alike) -> None:
    state.pop("alike")
    try:
        done = queue.decide_alike(item, changes, author)
    except CorrectionError as err:
        state["message"] = ("error", f"Nothing saved: {err}")
        return
    state["last"][dataset] = item.sentence
    left = (f" {len(done.stale):,} sentence(s) changed by someone else meanwhile were left as they are: "
            f"{', '.join(map(str, done.stale[:20]))}{' …' if len(done.stale) > 20 else ''}." if done.stale else "")
    state["message"] = ("success", f"\"{words}\" annotated as {item.suggested} in {len(done.saved):,} sentence(s) "
                                   f"({done.changed:,} tags changed). Press u to undo it all.{left}")


@st.fragment
def queue_view() -> None:
    """The item on screen and the next ones; a decision reruns only this part of the page."""
    message = state.pop("message", None)  # the last decision's outcome, on the annotator's status line
    if "conflict" in state:
        show_conflict(state["conflict"])
        return
    ahead, upcoming = on_screen()
    states = store.snapshots(i.sentence for i in ahead)  # each item's tags with the version they are at
    keyboard_annotator({
        "items": [{"item": i.id, "sentence": i.sentence, "version": (now := states[i.sentence]).version,
                   "words": list(store.original[i.sentence].words), "tags": now.tags, "suggestion": i.apply(now.tags), "flagged": [i.start, i.end], "given": i.given, "suggested": i.suggested,
                   "source": i.source, "detail": i.detail, "score": i.score} for i in ahead],
        "acked": state["done"][-100:], "message": {"kind": message[0], "text": message[1]} if message else None,
        "open": queue.count(split, chosen_types, sources), "split": split, "evaluation": split != "train",
        "author": author, "types": types, "colours": type_colours(types),
    }, KEY, on_ops)
    if not ahead:
        return
    item = ahead[0]
    st.page_link("pages/annotate.py", label=f"Open sentence {item.sentence} in the grid editor", icon=":material/edit:",
                 query_params={"sentence": str(item.sentence), "item": str(item.id)})
    if item.source == "consistency":
        annotate_alike(item)
    st.caption("Next in the queue")
    st.text("\n".join(f"{i.sentence:>7}  {i.score:.3f}  {i.source:<11}  {i.given} -> {i.suggested}  "
                      f"{' '.join(store.original[i.sentence].words[i.start:i.end])}" for i in (ahead[1:] + upcoming)[:8])
            or "(nothing else)")

queue_view()
