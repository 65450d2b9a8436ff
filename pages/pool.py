"""New text: a dataset's pool of unlabelled sentences, best first, annotated by keyboard into the training split."""
import streamlit as st
from sqlalchemy.exc import DBAPIError

from ner_core.storage.pool import OPEN, Pool, PoolItem
from ner_core.storage.entity_types import guidelines
from ner_core.storage.store import CorrectionError
from ner_core.storage.users import refusal
from ner_core.quality.pool_session import PoolSession
from ner_core.workbench.jobs import JobError, busy, latest_job, start_job
from ner_core.workbench.pool_rank import PoolRankSpec, ranking_model
from ner_core.workbench.registry import active_id
from pages.author import author_name
from pages.job_controls import followed_job, started
from pages.keyboard_annotator import keyboard_annotator, outage
from pages.models import load_model
from pages.pool_discards import discards
from pages.pool_intake import intake
from pages.render import plain, type_colours
from pages.sign_in import current_user
from pages.ui import correction_store, current_dataset, dataset_types

KEY = "pool_annotator"

st.title("New text")
dataset, user = current_dataset(), current_user()
author = author_name(user)
store = correction_store(dataset)
pool = Pool(store)
st.caption("Sentences you add here join the training split of this dataset, with your name, their history and undo.")


def ranking() -> None:
    """Which model ranked the pool (said so when it is not the active one), and a job to rank it with the active model."""
    try:
        name, _ = ranking_model(dataset)
    except CorrectionError as err:
        st.info(str(err))
        return
    entry, ranked = active_id(dataset), sorted(pool.ranked_with())
    others = [r for r in ranked if not r.endswith((f"({entry})", f" of {entry}"))]  # LABEL (ENTRY): this page; MEMBER of ENTRY: a retrain
    note = "" if others else ", one of the active models"
    late = pool.unranked() if ranked else 0  # helper-83: sentences added since sat behind thousands, unsaid
    st.text((f"Ranked by {', '.join(ranked)}{note}" + (f"; {late:,} open sentence(s) added since are not ranked: they come after "
             "the ranked ones until the pool is ranked again" if late else "")) if ranked else "Not ranked yet: sentences show in file order.")
    job = latest_job(dataset, ("pool-rank", "retrain", "train-method"))
    if job is not None:
        followed_job(job, user, "pool_job", lambda s: "Last job that ranks the pool: " + (
            "ranking" if s["kind"] == "pool-rank" else f"{s['kind']} (it ranks the sentences open when it ends)")
            + f" {job} ({started(s)}), {s['state']}" + (f" ({s['error']})" if s.get("error") else ""))
    if others:
        st.warning(plain(f"Not the active model: {', '.join(others)} ranked the pool (a retrain ranks it with its new entry, "
                         f"kept or not). Rank it again with the active model, {name}:"))
    why = refusal(user, "retrain") or busy()  # one job at a time, of any dataset
    if st.button(f"Rank the pool with {name}: a background job", key="pool_rank", disabled=why is not None or not pool.counts()[OPEN],
                 help=why):
        try:
            start_job("pool-rank", PoolRankSpec(dataset), dataset, user)
            st.toast("Started: the queue takes the new order when it has finished.")
            st.rerun()  # its progress in place of the button
        except (JobError, ValueError) as err:
            st.error("Not started:")
            st.text(str(err))


# Opened while the pool is empty, and kept as the user leaves it (a changing ``expanded`` would close it).
with st.expander("Add text to the pool", expanded=st.session_state.setdefault("pool_intake_open", not sum(pool.counts().values()))):
    intake(pool, user, author)
with st.expander("Ranking: the rare types first"):
    ranking()
with st.expander("Discarded sentences: bring one back", key="pool_discards_open", on_change="rerun") as shown:
    if shown.open:  # read when opened: a discard redraws the queue only (helper-80: a discard with it closed was missing)
        discards(pool, user, author)
session: PoolSession = st.session_state.setdefault("pool_session", PoolSession())


def on_ops() -> None:
    session.apply((st.session_state[KEY] or {}).get("ops") or [], pool, author)


def suggestions(items: list[PoolItem]) -> tuple[dict[int, list[str]], str]:
    """The tags each item starts with, and what to say about them: a ranked item's come from the ranking, an
    unranked one is tagged here by the dataset's model (once a session); without a model, all O."""
    if all(i.suggestion is not None for i in items):
        return {i.id: list(i.suggestion) for i in items}, ""
    try:
        name, path = ranking_model(dataset)
    except CorrectionError:
        return {i.id: list(i.suggestion or ["O"] * len(i.words)) for i in items}, "no model"
    tagged = st.session_state.setdefault("pool_tagged", {})  # (model, item) -> tags
    todo = [i for i in items if i.suggestion is None and (path, i.id) not in tagged]
    for item, result in zip(todo, load_model(path).tag([list(i.words) for i in todo]) if todo else []):
        tagged[path, item.id] = list(result.tags)
    return {i.id: list(i.suggestion or tagged[path, i.id]) for i in items}, name


def note(item: PoolItem, model: str) -> str:
    if item.suggestion is not None:
        return f"Why now: {item.reason}" if item.reason else "The ranking model's tags are shown; nothing is saved until you add it."
    if model == "no model":
        return "No model has tagged this sentence (train one on Retrain): every token starts as O; tag it before you add it."
    return f"Not ranked yet: {model}'s tags are shown; nothing is saved until you add it."


@st.fragment
def queue_view() -> None:
    """The counts, the sentence on screen and the next ones; a decision reruns only this part of the page."""
    try:
        counts, data = annotator_data()
    except DBAPIError as err:  # the annotator stays, and with it the decisions not stored yet (helper-87)
        outage(err, KEY, on_ops, pool=True, acked=session.acked, refused=session.refused, dataset=dataset, author=author)
        return
    for column, (label, state) in zip(st.columns(3), (("Open", "open"), ("Added to the corpus", "added"), ("Discarded", "discarded"))):
        column.metric(label, f"{counts[state]:,}")
    keyboard_annotator(data, KEY, on_ops)


def annotator_data() -> tuple[dict[str, int], dict]:
    """The pool's counts, and what the annotator shows (the sentence on screen and the next ones, read from the database)."""
    message, conflict = session.pop_message(), session.conflict  # an add refused: mine against the one stored first
    counts, ahead = pool.counts(), session.ahead(pool, author) if conflict is None else []
    tags, model = suggestions(ahead)
    types = list(dataset_types(dataset))  # read on each decision: a type an admin removed leaves the legend
    return counts, {
        "pool": True,
        "items": [{"item": i.id, "sentence": i.id, "version": 0, "words": list(i.words), "tags": back[0] if back else tags[i.id],
                   "suggestion": tags[i.id], "flagged": [0, 0], "source": f"{i.source}, sentence {i.line}",
                   "detail": back[1] if back else note(i, model), "score": i.score}
                  for i in ahead for back in [session.start(dataset, i.id)]],
        "acked": session.acked, "refused": session.refused, "back": session.back, "dataset": dataset, "decided": session.decided[dataset],
        "message": {"kind": message[0], "text": message[1]} if message else None,
        "open": counts[OPEN], "split": "train", "evaluation": False,
        "author": author, "types": types, "colours": type_colours(types), "guidelines": guidelines(store),
        "conflict": conflict.shown((added := pool.item(conflict.item)).corpus_index, added.words) if conflict else None,
    }


queue_view()
