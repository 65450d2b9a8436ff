"""A tab that reconnects reruns its page at once.

A server restart ends every session: the tab reconnects to a new one, which knows none of the page's widgets until
the script has run there. Until then Streamlit drops the callback of a click (the first Save after a restart did
nothing, and said nothing). This invisible components v2 element watches the app's connection state and, when the tab
is connected again, asks for a rerun: the new session learns its widgets (the grid's unsaved edits come along), and
the next click does what it says.
"""
from __future__ import annotations

import streamlit as st

JS = """
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
_COMPONENT = st.components.v2.component("ner_reconnect", js=JS)


def rerun_on_reconnect() -> None:
    """Mount the watcher (once per page run, in the sidebar: it draws nothing)."""
    with st.sidebar:
        _COMPONENT(key="ner_reconnect", on_reconnected_change=lambda: None, height=0)
