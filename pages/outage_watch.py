"""While the database is out of reach and a page cannot be drawn: the keyboard decisions kept in the tab, said and guarded.

The keyboard annotator keeps its unconfirmed decisions in the tab's sessionStorage (``ner-ka:…`` keys,
:mod:`pages.keyboard_annotator`), and sends them when it is drawn again. A page reloaded during an outage draws no
annotator: this element says how many wait, asks before the tab is closed while any do, and (``reload``) reloads the
page every few seconds, so that the annotator is drawn, and sends them, once the database is back (helper-89).
"""
import streamlit as st

JS = """
export default function ({ data, parentElement }) {
  let waiting = 0;
  for (const key of Object.keys(sessionStorage).filter(k => k.startsWith("ner-ka:"))) {
    try { waiting += JSON.parse(sessionStorage.getItem(key) || "[]").length; } catch (err) { /* not ours */ }
  }
  let reloading = false;
  const leave = event => { if (waiting && !reloading) { event.preventDefault(); event.returnValue = ""; } };
  window.addEventListener("beforeunload", leave);
  const note = document.createElement("p");
  note.textContent = waiting ? `${waiting} decision${waiting > 1 ? "s" : ""} made with keys ${waiting > 1 ? "are" : "is"} kept `
    + "in this tab and sent when the page is drawn again." : "";
  parentElement.replaceChildren(note);
  const timer = data.reload ? setTimeout(() => { reloading = true; location.reload(); }, data.reload * 1000) : null;
  return () => { clearTimeout(timer); window.removeEventListener("beforeunload", leave); };
}
"""
_COMPONENT = st.components.v2.component("ner_outage_watch", js=JS)
RELOAD_SECONDS = 15


def outage_watch(reload: bool) -> None:
    """Say and guard the keyboard decisions kept in the tab; ``reload``: reload the page every :data:`RELOAD_SECONDS`."""
    _COMPONENT(key="outage_watch", data={"reload": RELOAD_SECONDS if reload else 0}, height="content")
