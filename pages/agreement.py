"""Agreement: assign sentences to two annotators, tag one's share, see agreement, adjudicate."""
import math

import pandas as pd
import streamlit as st

from ner_core.storage.store import CorrectionError
from ner_core.storage.users import RoleError, refusal
from ner_core.workbench.agreement import (AgreementError, adjudicate, adopt_agreed, agreement, annotation, disagreements, my_share,
                                          save_annotation)
from pages.agreement_assign import assign_section
from pages.render import edited_column, plain
from pages.sign_in import current_user, signed_in
from pages.tab_guards import grid_edited, leave_guard
from pages.ui import correction_store, current_dataset

st.title("Agreement")
user = current_user()
if user is None:
    st.info("Double annotation needs two people: add users with `.venv/bin/python -m ner_core users add NAME --role ROLE` (then everyone signs in).")
    st.stop()
dataset = current_dataset()
store = correction_store(dataset)


@signed_in
def act(what, *args) -> None:
    """Run one action; its message (or the reason it was refused) stays on the page until the next action."""
    try:
        st.session_state.agreement_message = ("success", what(*args))
    except (AgreementError, CorrectionError, RoleError) as err:
        st.session_state.agreement_message = ("error", f"Refused: {err}")
    st.toast(st.session_state.agreement_message[1], icon="✅" if st.session_state.agreement_message[0] == "success" else "⚠️")  # in view


def do_save(sentence: int, editor: str, drawn: list[str], gold: list[str]) -> str:
    repaired = save_annotation(store, sentence, edited_column(editor, "tag", drawn), user, base=gold)  # the edits at the click
    share = my_share(store, user.name)  # on to the next one to tag
    st.session_state.agreement_mine = after = next((s for s in share.open if s > sentence and s not in share.tagged), sentence)
    return (f"Your tags of sentence {sentence} are saved" + (f" (IOB2 repaired at {repaired})" if repaired else "")
            + (f"; next to tag: sentence {after}." if after != sentence else "."))


def do_adjudicate(sentence: int, tags: list[str], choice: str, version: int) -> str:
    return f"Sentence {sentence} adjudicated: {adjudicate(store, sentence, tags, choice, user, version).changed} token(s) changed."


def do_adjudicate_edited(d) -> str:
    """The adjudicated column as edited at the click."""
    return do_adjudicate(d.sentence, edited_column(f"agreement_adj_{d.sentence}", "adjudicated", d.start), "edited", d.version)


def do_adopt() -> str:
    return str(adopt_agreed(store, user))


if "agreement_message" in st.session_state:  # kept (not popped): a rerun of the page does not wipe it
    kind, message = st.session_state.agreement_message
    getattr(st, kind)(str(message))

assign_section(store, user, act)

mine = my_share(store, user.name)
if mine.open or mine.settled:
    st.subheader(f"Your double annotation: {len(mine.open)} open sentence(s)" + (f", {len(mine.final)} of them final" if mine.final else ""))
    st.caption(f"{len(mine.tagged)} tagged by you, {len(mine.open) - len(mine.tagged)} to tag; {mine.settled} settled by an "
               "adjudicator (they leave this list).")
if mine.open:
    sentence = st.selectbox("Sentence", mine.open, key="agreement_mine", format_func=lambda s: f"{s} · " + (
        "final (both tagged)" if s in mine.final else "tagged by you" if s in mine.tagged else "to tag"))
    words = store.original[sentence].words
    saved, gold = annotation(store, sentence, user.name), store.tags(sentence)
    start = saved or (["O"] * len(words) if sentence in mine.blind else gold)  # blind: from no entity
    editor = f"agreement_edit_{sentence}_{hash(tuple(saved or ()))}"  # a fresh editor once saved
    final = "final: both of you have tagged it; a reviewer adjudicates where you differ" if sentence in mine.final else None
    st.data_editor(pd.DataFrame({"token": words, "tag": start}), disabled=final is not None or ["token"], key=editor,
                   column_config={"tag": st.column_config.SelectboxColumn("tag", options=store.tagset.labels, required=True)})
    st.button(f"Save my tags of sentence {sentence}", key="agreement_save_mine", type="primary", on_click=act, args=(do_save, sentence, editor, list(start), gold),
              disabled=final is not None, help=final)
    st.caption(f"Your tags of sentence {sentence} are {final}." if final else ("Blind: tag every entity yourself. " if
               sentence in mine.blind else "") + "You may save again until the other annotator has saved theirs; then both are final.")
    leave_guard(grid_edited(editor), "agreement_mine_leave")

st.subheader("Agreement per annotator pair")
open_ones = disagreements(store)
pairs = agreement(store, open_ones)


def fmt(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 3)


if not pairs:
    st.info("No sentence has been tagged by both of its annotators yet.")
else:
    st.dataframe(pd.DataFrame([{"pair": " / ".join(p.annotators), "sentences": p.sentences, "tokens": p.tokens,
                                "entity F1": fmt(p.entity_f1), "kappa (tags)": fmt(p.kappa), "open disagreements": p.disagreements,
                                "adjudicated": p.adjudicated} for p in pairs]), hide_index=True, key="agreement_pairs")
    st.dataframe(pd.DataFrame([{"pair": " / ".join(p.annotators), "type": t, "entities (A / B)": f"{s['a']} / {s['b']}",
                                "entity F1": fmt(s["f1"]), "kappa": fmt(s["kappa"])} for p in pairs for t, s in p.per_type.items()]),
                 hide_index=True, key="agreement_types")

st.subheader("Disagreements")
why = refusal(user, "adjudicate")
none = None if pairs else "no sentence has been tagged by both of its annotators yet"
st.button("Adopt every sentence both tagged alike", key="agreement_adopt", disabled=(why or none) is not None, help=why or none,
          on_click=act, args=(do_adopt,))
if not open_ones and pairs:
    st.caption("No open disagreement: every sentence both annotators tagged is tagged alike or adjudicated.")
if open_ones and why is not None:  # an annotator: the other's tags stay unseen, so that agreement measures independent work
    st.caption(f"{len(open_ones):,} open disagreement(s): a reviewer adjudicates them.")
elif open_ones:
    d = st.selectbox("Sentence", open_ones, key="agreement_pick", format_func=lambda d: f"{d.sentence}: {' / '.join(d.annotators)}"
                     + (" · its adjudication was reverted" if d.reopened else ""))
    a, b = d.annotators
    if d.reopened:
        st.warning("Adjudicated before, and that save was reverted (a reviewer rejected it, or it was undone): settle it again.")
    if d.later:
        st.warning(f"Saved by {plain(d.saved_by or 'someone')} since the annotators tagged it, otherwise than they did: "
                   + ", ".join(f'"{plain(d.words[i])}" (now {d.gold[i]})' for i in d.later) + f". Taking {plain(a)}'s or "
                   f"{plain(b)}'s tags is refused at these tokens; the adjudicated column starts from the saved tag there.")
    st.caption("The adjudicated column starts from their tag where they agree and the tag now where they differ: edit it, then take it.")
    st.data_editor(pd.DataFrame({"token": d.words, a: d.tags_a, b: d.tags_b, "now": d.gold, "adjudicated": d.start}),
                   disabled=["token", a, b, "now"], key=f"agreement_adj_{d.sentence}",
                   column_config={"adjudicated": st.column_config.SelectboxColumn("adjudicated", options=store.tagset.labels, required=True)})
    own = f"{user.name} tagged it: another reviewer settles it" if user.name in (a, b) else None  # helper-82: promoted, then judge
    cols, off = st.columns(3), {"disabled": (why or own) is not None, "help": why or own}
    cols[0].button(f"Take {a}'s", key="agreement_take_a", on_click=act, args=(do_adjudicate, d.sentence, d.tags_a, "A", d.version), **off)
    cols[1].button(f"Take {b}'s", key="agreement_take_b", on_click=act, args=(do_adjudicate, d.sentence, d.tags_b, "B", d.version), **off)
    cols[2].button("Take the edited column", key="agreement_take_edit", on_click=act, args=(do_adjudicate_edited, d), **off)
    leave_guard(grid_edited(f"agreement_adj_{d.sentence}"), "agreement_adj_leave")
