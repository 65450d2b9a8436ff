"""What keeps a tab's session whole: its first run goes through ``app.py``, and two invisible components v2 elements.

A first run through ``app.py``: Streamlit takes the ``pages/`` folder beside the main script for a folder of pages
(its first way of making a multipage app) until a session has run ``st.navigation``. Under ``streamlit run app.py``,
a new server's first visits by a link such as ``/annotate?sentence=5`` (two at once, or a tab reconnecting after a
restart) ran that page without ``app.py``: every module here listed as a page, no dataset box, and the first click
lost. :func:`through_app`, which every page calls (by :func:`~pages.sign_in.current_user`), turns that mode off and
reruns such a session once; ``python app.py`` turns it off before serving (:func:`navigation_only`).

After a server restart: the tab reconnects to a new session, which knows none of the page's widgets until the
script has run there, and until then Streamlit drops the callback of a click (the first Save after a restart did
nothing, and said nothing). :func:`rerun_on_reconnect` watches the app's connection state and asks for a rerun as
soon as the tab is connected again: the new session learns its widgets (the grid's unsaved edits come along), and
the next click does what it says.

Before leaving: unsaved grid edits live in the server's session, which a reload or a closed tab ends.
:func:`leave_guard` makes the browser ask first while there are some.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

APP_RAN = "_app_ran"  # session state: app.py has run in this session (True), or a page asked for it once ("asked")


def navigation_only() -> None:
    """Streamlit's folder-of-pages mode off: ``app.py``'s ``st.navigation`` lists the pages, never the modules here."""
    PagesManager.uses_pages_directory = False


def through_app() -> None:
    """Rerun, once, a session whose page runs without ``app.py`` (a page that AppTest runs on its own goes on)."""
    if st.session_state.get(APP_RAN):
        return
    st.session_state[APP_RAN] = "asked"
    navigation_only()
    st.rerun()


RECONNECT_JS = """
export default function ({ setTriggerValue }) {
  window.__nerRerun = setTriggerValue;  // this render's: an older one may belong to a component since redrawn
  const app = document.querySelector("[data-test-connection-state]");
  if (!app || window.__nerConnection) return;
  let last = app.dataset.testConnectionState;
  window.__nerConnection = new MutationObserver(() => {
    const now = app.dataset.testConnectionState;
    if (now === "CONNECTED" && last !== "CONNECTED") window.__nerRerun("reconnected", Date.now());
    last = now;
  });
  window.__nerConnection.observe(app, { attributes: true, attributeFilter: ["data-test-connection-state"] });
}
"""
_RECONNECT = st.components.v2.component("ner_reconnect", js=RECONNECT_JS)


def rerun_on_reconnect() -> None:
    """Mount the watcher (once per page run, in the sidebar: it draws nothing)."""
    with st.sidebar:
        _RECONNECT(key="ner_reconnect", on_reconnected_change=lambda: None, height=0)


LEAVE_JS = """
export default function ({ data }) {
  const unsaved = window.__nerUnsaved || (window.__nerUnsaved = new Set());  // the keys of the guards with edits
  if (data.unsaved) unsaved.add(data.key); else unsaved.delete(data.key);
  if (!window.__nerLeave) {
    window.__nerLeave = event => { if (window.__nerUnsaved.size) { event.preventDefault(); event.returnValue = ""; } };
    window.addEventListener("beforeunload", window.__nerLeave);
  }
  return () => unsaved.delete(data.key);  // another page: its drafts stay in the session, nothing to ask
}
"""
_LEAVE = st.components.v2.component("ner_leave_guard", js=LEAVE_JS)


def leave_guard(unsaved: bool, key: str) -> None:
    """While ``unsaved``, a reload, a closed tab or a link out of the app asks first (the browser's own dialog)."""
    _LEAVE(key=key, data={"unsaved": unsaved, "key": key}, height=0)


def grid_edited(key: str) -> bool:
    """Whether the data editor keyed ``key`` holds cell edits not yet saved (its widget state)."""
    return bool((st.session_state.get(key) or {}).get("edited_rows"))
