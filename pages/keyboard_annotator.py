"""The keyboard-first annotator: one sentence as text, its entities coloured, edited by keys.

A Streamlit components v2 element (inline HTML/CSS/JS, no build step). Python passes the
item on screen and the next few (``data["items"]``, one per sentence, each with its sentence
version); the script builds the DOM with ``textContent`` only (a token may hold ``<script>``,
quotes or backslashes). A decision shows the next item at once, without waiting for the server:
the script keeps the decisions not yet confirmed and sends them all as the state value ``ops``,
``[{"id", "kind": "accept" | "keep" | "edit" | "skip" | "undo", "item", "version", "tags"}]``;
Python applies each id once and confirms it in ``data["acked"]``. With ``data["pool"]`` the items are
new sentences with the model's pre-annotation: ``a`` accepts it, ``d`` discards the sentence
(kind ``discard``), and there is no gold to keep. ``data["conflict"]`` (a refused decision:
``item``, ``sentence``, ``words``, ``mine``, ``theirs``, ``author``, ``version``, ``decision``) shows both
versions, the differing tokens outlined, until ``o`` or ``t`` (or a click) sends ``overwrite`` or
``theirs``. Optional: ``data["decided"]`` (decisions this session), ``data["elsewhere"]`` (said when
nothing is left), ``data["refused"]`` (op id -> why the database refused it: shown, and resent), ``data["back"]`` (the id of an op
refused for good whose item the server now sends first, with the tags it keeps: shown at once unless an edit is open),
``data["dataset"]`` (with it, unconfirmed decisions are kept in the tab's sessionStorage and resent after a reload),
``data["outage"]`` (why nothing can be read: said, while the items the tab holds stay on screen),
``data["heard"]`` (the last resend the server saw: an answer, so that a page kept waiting by an outage does not reload),
``data["guidelines"]`` (type -> what it covers: the legend's tooltips), ``data["mode"]`` (names that storage for a source other than the pool or a split's queue) and ``data["empty"]`` (said
when nothing is left).

Keys pressed while a control has the focus (a button, link, expander, radio, input, ...; on the page
or in the component) are the control's: the annotator ignores them and says "Keys paused" until the
sentence is clicked or Esc pressed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import streamlit as st
from sqlalchemy.exc import DBAPIError

from ner_core.storage.store import database_failure
from pages.sign_in import rerun_if_signed_out, signed_in

HERE = Path(__file__).parent
CSS = (HERE / "keyboard_annotator.css").read_text(encoding="utf-8")  # scoped by .ka
JS = (HERE / "keyboard_annotator.js").read_text(encoding="utf-8")  # the script: keys, rendering, sending decisions

_COMPONENT = st.components.v2.component("ner_keyboard_annotator", css=CSS, js=JS, isolate_styles=False)


def outage(err: DBAPIError, key: str, on_ops: Callable[[], None], **kept: Any) -> None:
    """The annotator while the database cannot be read: no item, and why. ``kept`` (``dataset``, ``author``, ``split``,
    ``pool`` or ``mode``, ``acked``, ``refused``) names the tab's unconfirmed decisions as the page does, so that it keeps
    them, resends them until the database is back and asks before a leave (helper-87: a traceback took the annotator's
    place, and a tab closed then lost them)."""
    why = (f"Nothing can be read or saved: {database_failure(err)}. Decisions you made are kept in this tab and sent again "
           "until it is back: keep the tab open (a reload sends them too, once it is back).")  # the status line says it
    keyboard_annotator({"items": [], "types": [], "colours": {}, "open": 0, "outage": why, **kept}, key, on_ops)


def keyboard_annotator(data: dict, key: str, on_ops: Callable[[], None]) -> None:
    """Mount the annotator; ``on_ops`` runs when a key adds a decision (read ``st.session_state[key]["ops"]``), while
    the session is signed in."""
    rerun_if_signed_out()
    sent = (st.session_state.get(key) or {}).get("ops") or []
    heard = max((op.get("attempt", 0) for op in sent if isinstance(op, dict)), default=0)  # new on each resend: the page
    _COMPONENT(key=key, data={**data, "heard": heard}, on_ops_change=signed_in(on_ops), height="content")  # sees an answer
