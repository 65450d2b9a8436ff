"""Agreement's admin section: assign sentences to two annotators, hand someone's untagged ones to another, and the table."""
from typing import Callable

import pandas as pd
import streamlit as st

from ner_core.storage.db import shared_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import User, list_users, refusal
from ner_core.workbench.agreement import assign, assignments, reassign, untagged


def assign_section(store: CorrectionStore, user: User, act: Callable) -> None:
    """The expander (it stays open after a click): assign, hand over, and every assignment of the dataset."""
    with st.expander("Assign sentences to two annotators", expanded=False, key="agreement_assign_section"):
        users = list_users(shared_engine())
        names = [u.name for u in users]
        pair = st.multiselect("Annotators (two)", names, max_selections=2, key="agreement_pair")
        st.number_input("Share of the sentences (%)", 0.01, 100.0, 1.0, key="agreement_share")
        st.checkbox("Blind: they tag from no entity, without seeing the gold", key="agreement_blind", help="Else they correct "
                    "the gold, which anchors them: agreement then measures agreement on corrections")
        why = refusal(user, "assign") or (None if len(pair) == 2 else "choose two annotators")
        st.button("Assign", key="agreement_assign", disabled=why is not None, help=why, on_click=act, args=(do_assign, store, user))
        if (waiting := untagged(store)) and refusal(user, "assign") is None:
            hand_over(store, user, act, waiting, [u.name for u in sorted(users, key=lambda u: (u.role != "annotator", u.name))])
        if table := assignments(store):
            st.caption("Assigned sentences")
            st.dataframe(pd.DataFrame(table), hide_index=True, key="agreement_assignments")


def hand_over(store: CorrectionStore, user: User, act: Callable, waiting: dict[str, int], names: list[str]) -> None:
    """Someone removed (or away) holds open sentences they have not tagged: an admin hands them to another user
    (``names``: the annotators first)."""
    gone = [name for name in waiting if name not in names]
    if gone:
        st.warning("Removed, with sentences still to tag: " + ", ".join(f"{name} ({waiting[name]})" for name in gone) + ". Hand "
                   "them to another annotator, below; else those sentences are never adjudicated.")
    cols = st.columns(2)
    cols[0].selectbox("Hand the untagged sentences of", sorted(waiting, key=lambda n: (n not in gone, n)), key="agreement_from",
                      format_func=lambda n: f"{n} ({waiting[n]} to tag" + (", removed)" if n in gone else ")"))
    cols[1].selectbox("to", names, key="agreement_to")
    st.button("Hand over", key="agreement_hand_over", on_click=act, args=(do_hand_over, store, user))


def do_assign(store: CorrectionStore, user: User) -> str:
    """Assign with the boxes as the click sends them (a share typed and clicked at once is in it, not the one drawn)."""
    pair, share = tuple(st.session_state.agreement_pair), st.session_state.agreement_share / 100
    chosen = assign(store, share, pair, user, blind=st.session_state.agreement_blind)
    return f"{len(chosen)} sentence(s) assigned to {' and '.join(pair)}: {listed(chosen)}."


def do_hand_over(store: CorrectionStore, user: User) -> str:
    name, to = st.session_state.agreement_from, st.session_state.agreement_to
    moved = reassign(store, name, to, user)
    return f"{len(moved)} sentence(s) of {name} handed to {to}: {listed(moved)}."


def listed(sentences: list[int]) -> str:
    return ", ".join(map(str, sentences[:50])) + (f" … ({len(sentences) - 50} more: see the table below)" if len(sentences) > 50 else "")
