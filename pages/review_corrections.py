"""Review corrections: reviewers accept or reject each saved batch; a rejection reverts it."""
import pandas as pd
import streamlit as st

from ner_core.data.tokenize import join_tokens
from ner_core.storage.schema import NOTE_MAX
from ner_core.storage.store import SentenceState, StorageWriteError
from ner_core.storage.users import RoleError, refusal
from ner_core.workbench.correction_review import Change, ReviewError, decide, decisions, pending, why_not
from pages.author import AUTHOR, author_name
from pages.render import annotate_link, entities_html, flash
from pages.sign_in import current_user, signed_in
from pages.ui import correction_store, current_dataset, dataset_colours

SHOWN = 20
CONTEXT = 3  # sentences of a batch shown before and after (a string annotated alike may change many)
st.title("Review corrections")
user = current_user()
author = author_name(user)  # who decides: the signed-in user, or one-person mode's name
dataset = current_dataset()
store = correction_store(dataset)
colours = dataset_colours(dataset)
reason = refusal(user, "review")
if reason:
    st.info(f"{reason}: you see the corrections waiting for review, but cannot decide on them.")


@signed_in
def record(batch: str, decision: str) -> None:
    try:
        done = decide(store, batch, decision, user, st.session_state.get(f"rc_note_{batch}", ""),
                      st.session_state.get(AUTHOR, author))  # the name box as the click sends it
        st.session_state.review_corrections_message = ("info" if done.superseded else "success", str(done))
    except (ReviewError, RoleError, StorageWriteError) as err:
        st.session_state.review_corrections_message = ("error", f"Refused: {err}")


def in_context(sentence: int, before: list[str], changes: list[Change], now: SentenceState) -> None:
    """The sentence as the batch's author saw it and as they saved it, as entities; and whether it changed since (``now``)."""
    words = store.words(sentence)
    if not words:
        return
    after = list(before)
    for change in changes:
        after[change.token] = change.new
    text, tokens = join_tokens(words)
    left, right = st.columns(2)
    left.caption(f"Sentence {sentence} before this save")
    left.html(entities_html(text, tokens, before, colours))
    right.caption("As saved" + ("" if now.tags == after else f" (changed since, by {now.author or 'someone'}: open it to see it now)"))
    right.html(entities_html(text, tokens, after, colours))


flash("review_corrections_message")
batches = pending(store)
st.caption(f"{len(batches)} correction batch(es) wait for review, oldest first"
           + (f"; the first {SHOWN} are shown" if len(batches) > SHOWN else "") + ".")
now = store.snapshots({s for batch in batches[:SHOWN] for s in batch.sentences[:CONTEXT]})  # one read for the page
keyed = next((batch.batch for batch in batches[:SHOWN] if why_not(batch, user) is None), None)  # the keys decide the first open one
for batch in batches[:SHOWN]:
    why = why_not(batch, user)
    keys = batch.batch == keyed
    with st.container(border=True):
        st.text(f"{batch.author} · on {batch.origin} · {batch.created_at:%Y-%m-%d %H:%M} · {len(batch.changes)} token(s) in "
                f"sentence(s) {', '.join(map(str, batch.sentences))}" + (" · added from the pool" if batch.added else ""))
        before = store.tags_before(batch.batch)
        for sentence in batch.sentences[:CONTEXT]:  # an added sentence was all O before its add
            in_context(sentence, before.get(sentence) or ["O"] * len(now[sentence].tags), [c for c in batch.changes if c.sentence == sentence],
                       now[sentence])
        st.dataframe(pd.DataFrame([c.__dict__ for c in batch.changes]), hide_index=True, placeholder="", key=f"rc_table_{batch.batch}")
        st.text_input("Note to the author (why, optional)", key=f"rc_note_{batch.batch}", max_chars=NOTE_MAX, disabled=why is not None,
                      placeholder="e.g. \"Katrina\" is the storm here: nat, not per", help="Shown with the item when it is back in their queue")
        with st.container(horizontal=True, vertical_alignment="center"):  # as wide as their labels: none cut on a narrow screen
            st.button("Accept", key=f"rc_accept_{batch.batch}", on_click=record, args=(batch.batch, "accepted"),
                      disabled=why is not None, help=why, type="primary", shortcut="A" if keys else None)
            st.button("Reject (revert)", key=f"rc_reject_{batch.batch}", on_click=record, args=(batch.batch, "rejected"),
                      disabled=why is not None, help=why, shortcut="X" if keys else None)
            for sentence in batch.sentences[:CONTEXT]:  # each sentence shown above (helper-63: only the first had a link)
                annotate_link(dataset, sentence, f"Open sentence {sentence}")
with st.expander("Decisions made"):
    st.dataframe(pd.DataFrame(decisions(store)), hide_index=True, placeholder="", key="rc_decisions")
