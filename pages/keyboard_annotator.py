"""The keyboard-first annotator: one sentence as text, its entities coloured, edited by keys.

A Streamlit components v2 element (inline HTML/CSS/JS, no build step). Python passes the
item on screen and the next few (``data["items"]``, one per sentence, each with its sentence
version); the script builds the DOM with ``textContent`` only (a token may hold ``<script>``,
quotes or backslashes). A decision shows the next item at once, without waiting for the server:
the script keeps the decisions not yet confirmed and sends them all as the state value ``ops``,
``[{"id", "kind": "accept" | "keep" | "edit" | "skip" | "undo", "item", "version", "tags"}]``;
Python applies each id once and confirms it in ``data["acked"]``. With ``data["pool"]`` the items are
new sentences with the model's pre-annotation: ``a`` accepts it, ``d`` discards the sentence
(kind ``discard``), and there is no gold to keep.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from pages.sign_in import rerun_if_signed_out, signed_in

CSS = """
.ka { font-family: var(--st-font, sans-serif); color: var(--st-text-color, #222); outline: none; }
.ka .head { font-size: 0.85rem; opacity: 0.75; margin-bottom: 0.4rem; }
.ka .sentence { font-size: 1.15rem; line-height: 2.6; user-select: none; padding: 0.6rem; border-radius: 0.5rem;
  border: 1px solid rgba(128,128,128,0.35); }
.ka .tok { padding: 0.15rem 0.1rem; border-radius: 0.25rem; cursor: pointer; }
.ka .ent { padding: 0.2rem 0.3rem; border-radius: 0.35rem; margin: 0 0.1rem; color: #111; }
.ka .lab { font-size: 0.65rem; font-weight: bold; text-transform: uppercase; margin-left: 0.3rem; vertical-align: middle; }
.ka .flag { text-decoration: underline wavy #d33; text-decoration-thickness: 2px; text-underline-offset: 5px; }
.ka .sel { outline: 2px solid #1c6ef2; background: rgba(28,110,242,0.18); }
.ka .changed { font-style: italic; }
.ka .suggest { margin: 0.5rem 0; font-size: 1rem; }
.ka .suggest b { font-family: monospace; }
.ka .legend { font-size: 0.8rem; opacity: 0.85; margin-top: 0.4rem; }
.ka .legend span.key { font-family: monospace; border: 1px solid rgba(128,128,128,0.6); border-radius: 0.2rem;
  padding: 0 0.25rem; margin: 0 0.15rem; }
.ka .legend span.swatch { padding: 0 0.3rem; border-radius: 0.25rem; color: #111; margin-right: 0.5rem; }
.ka .status { min-height: 1.2rem; font-size: 0.85rem; margin-top: 0.3rem; }
.ka .status.success { color: #1a7f37; }
.ka .status.error { color: #cf222e; font-weight: bold; }
"""

JS = r"""
const OUT = "O";
function typeOf(tag) { return tag === OUT ? null : tag.slice(2); }
function spans(tags) {
  const found = []; let start = 0, current = null;
  [...tags, OUT].forEach((tag, i) => {
    const kind = typeOf(tag);
    const continues = tag.startsWith("I-") && kind === current;
    if (current !== null && !continues) { found.push({type: current, start, end: i}); current = null; }
    if (kind !== null && !continues) { start = i; current = kind; }
  });
  return found;
}
function replaceSpan(tags, start, end, label) {
  const kept = spans(tags).filter(s => s.end <= start || s.start >= end);
  if (label !== OUT) kept.push({type: label, start, end});
  const out = tags.map(() => OUT);
  for (const s of kept) { out[s.start] = "B-" + s.type; for (let i = s.start + 1; i < s.end; i++) out[i] = "I-" + s.type; }
  return out;
}
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}
function editable(event) {
  const target = event.composedPath ? event.composedPath()[0] : event.target;
  if (!target || !target.tagName) return false;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data || !data.items) return;
  let root = parentElement.querySelector(".ka");
  if (!root) { root = el("div", "ka"); root.tabIndex = 0; parentElement.appendChild(root); }
  // Kept across renders: decisions the server has not confirmed yet, and the edit on screen.
  const s = root.__s || (root.__s = { pending: [], undoing: null, view: null, seq: 0 });
  const acked = new Set(data.acked);
  s.pending = s.pending.filter(op => !acked.has(op.id));
  if (s.undoing && acked.has(s.undoing)) { s.undoing = null; s.view = null; }  // show what the undo brought back
  const decided = new Set(s.pending.filter(op => op.kind !== "undo").map(op => op.item));
  const items = data.items.filter(it => !decided.has(it.item));
  if (s.view) {  // keep the item on screen (and its edit) while the server still offers it at the same version
    const same = items.find(it => it.item === s.view.item);
    if (!same || same.version !== s.view.version) s.view = null;
  }

  function show(it) {
    s.view = it ? { item: it.item, version: it.version, tags: [...it.tags], anchor: it.flagged[0], focus: it.flagged[0], dragging: false } : null;
  }
  function current() { return s.view ? items.find(it => it.item === s.view.item) : null; }
  if (!s.view) show(items[0]);

  function send(kind, tags) {
    if (s.undoing) return;
    const it = current();
    if (!it && kind !== "undo") return;
    const op = { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${++s.seq}`, kind,
                 item: it ? it.item : null, version: it ? it.version : null, tags: tags || null };
    s.pending.push(op);
    if (kind === "undo") s.undoing = op.id;
    else { decided.add(it.item); items.splice(items.indexOf(it), 1); show(items[0]); }  // the next item at once; the server catches up
    setStateValue("ops", s.pending.map(o => ({ ...o })));
    render();
  }
  function selection() { return [Math.min(s.view.anchor, s.view.focus), Math.max(s.view.anchor, s.view.focus) + 1]; }

  const keys = [...(data.pool ? [["a", "add it as shown"], ["d", "discard the sentence"]]
                               : [["a", "accept the suggestion"], ["g", "keep the gold"]]),
                ["s", "skip"], ["u / ctrl+z", "undo"],
                ["← →", "move"], ["shift+← →", "extend"], ["1-9", "type of the selection"], ["0 / x / ⌫", "remove entity"],
                ["Enter", data.pool ? "add it with the edit" : "save the edit and next (no edit: skip)"], ["Esc", "reset the edit"]];
  function legend() {
    const node = el("div", "legend");
    data.types.forEach((type, i) => {
      if (i > 8) return;
      const swatch = el("span", "swatch", `${i + 1} ${type}`);
      swatch.style.background = data.colours[type] || "#ddd";
      node.append(swatch);
    });
    node.append(el("br"));
    for (const [key, what] of keys) { node.append(el("span", "key", key), what + "  "); }
    return node;
  }
  function statusText() {
    if (s.undoing) return "Undoing…";
    const waiting = s.pending.length;
    if (waiting) return `Saving ${waiting} decision${waiting > 1 ? "s" : ""}…`;
    return data.message ? data.message.text : "";
  }
  function render() {
    const it = current();
    const open = Math.max(0, data.open - s.pending.filter(op => op.kind !== "undo" && op.kind !== "skip").length);
    root.dataset.item = it ? String(it.item) : "";
    root.dataset.pending = String(s.pending.length);
    root.dataset.author = data.author;
    root.dataset.state = s.undoing ? "busy" : it ? "ready" : s.pending.length ? "waiting" : "empty";
    const status = el("div", "status " + (s.pending.length || s.undoing ? "" : (data.message ? data.message.kind : "")), statusText());
    if (!it) {
      const what = s.pending.length || s.undoing ? "The next items are on their way…"
                 : data.pool ? "The pool is empty: add text to it above."
                 : `Nothing left to review on the ${data.split} split with these filters.`;
      root.replaceChildren(el("div", "head", what), status, legend());
      return;
    }
    const score = it.score === null ? "not ranked yet" : `score ${it.score.toFixed(3)}`;
    const head = el("div", "head", data.pool
      ? `New sentence · ${it.source} · ${score} · ${open.toLocaleString()} open in the pool · adding as ${data.author}`
      : `Sentence ${it.sentence} · ${data.split}${data.evaluation ? " (evaluation only)" : ""} · ${it.source} · ${score} · ${open.toLocaleString()} open · deciding as ${data.author}`);
    const suggest = el("div", "suggest");
    if (data.pool) suggest.append(it.detail);  // why this sentence now, and whose tags are shown
    else {
      suggest.append("Given ", el("b", "", it.given), " → suggested ", el("b", "", it.suggested));
      if (it.detail) suggest.append(el("span", "", "  ·  " + it.detail));
    }
    root.replaceChildren(head, sentence(it), suggest, legend(), status);
  }
  function sentence(it) {
    const box = el("div", "sentence");
    const view = s.view, n = it.words.length;
    const [lo, hi] = selection();
    const bySpan = new Map(spans(view.tags).map(sp => [sp.start, sp]));
    let i = 0;
    while (i < n) {
      const span = bySpan.get(i);
      const end = span ? span.end : i + 1;
      const holder = span ? el("mark", "ent") : box;
      if (span) holder.style.background = data.colours[span.type] || "#ddd";
      for (let j = i; j < end; j++) {
        const tok = el("span", "tok", it.words[j]);
        tok.dataset.i = String(j);
        if (j >= it.flagged[0] && j < it.flagged[1]) tok.classList.add("flag");
        if (j >= lo && j < hi) tok.classList.add("sel");
        if (view.tags[j] !== it.tags[j]) tok.classList.add("changed");
        holder.append(tok);
        if (j < end - 1) holder.append(" ");
      }
      if (span) { holder.append(el("span", "lab", span.type)); box.append(holder); }
      box.append(" ");
      i = end;
    }
    box.onmousedown = (event) => {
      const j = tokenAt(event);
      if (j === null) return;
      if (!event.shiftKey) view.anchor = j;
      view.focus = j; view.dragging = true; render();
    };
    box.onmouseover = (event) => {
      const j = tokenAt(event);
      if (view.dragging && j !== null && j !== view.focus) { view.focus = j; render(); }
    };
    return box;
  }
  function tokenAt(event) {
    const tok = event.target.closest ? event.target.closest(".tok") : null;
    return tok ? Number(tok.dataset.i) : null;
  }
  root.onmouseup = () => { if (s.view) s.view.dragging = false; };

  function onKey(event) {
    if (editable(event) || event.altKey || event.metaKey || !root.isConnected) return;
    const key = event.key;
    const undo = (event.ctrlKey && key.toLowerCase() === "z") || (!event.ctrlKey && key === "u");
    if (event.ctrlKey && !undo) return;
    const it = current();
    let handled = true;
    if (undo) send("undo");
    else if (!it) handled = false;
    else if (key === "a") send("accept", data.pool ? s.view.tags : it.suggestion);
    else if (key === "g" && !data.pool) send("keep", it.tags);
    else if (key === "d" && data.pool) send("discard");
    else if (key === "s" || key === "n") send("skip");
    else if (key === "Enter") {
      const edited = s.view.tags.some((t, j) => t !== it.tags[j]);
      if (data.pool) send(edited ? "edit" : "accept", s.view.tags);
      else send(edited ? "edit" : "skip", edited ? s.view.tags : null);
    } else if (key === "Escape") { s.view.tags = [...it.tags]; render(); }
    else if (key === "ArrowLeft" || key === "ArrowRight") {
      const step = key === "ArrowLeft" ? -1 : 1;
      s.view.focus = Math.min(it.words.length - 1, Math.max(0, s.view.focus + step));
      if (!event.shiftKey) s.view.anchor = s.view.focus;
      render();
    } else if (/^[1-9]$/.test(key) && Number(key) <= data.types.length) {
      const [lo, hi] = selection();
      s.view.tags = replaceSpan(s.view.tags, lo, hi, data.types[Number(key) - 1]); render();
    } else if (key === "0" || key === "x" || key === "Backspace" || key === "Delete") {
      const [lo, hi] = selection();
      s.view.tags = replaceSpan(s.view.tags, lo, hi, OUT); render();
    } else handled = false;
    if (handled) { event.preventDefault(); event.stopPropagation(); }
  }
  if (window.__nerKeyboard) window.removeEventListener("keydown", window.__nerKeyboard, true);
  window.__nerKeyboard = onKey;
  window.addEventListener("keydown", onKey, true);
  render();
  return () => {
    if (window.__nerKeyboard === onKey) { window.removeEventListener("keydown", onKey, true); window.__nerKeyboard = null; }
  };
}
"""

_COMPONENT = st.components.v2.component("ner_keyboard_annotator", css=CSS, js=JS, isolate_styles=False)  # CSS scoped by .ka


def keyboard_annotator(data: dict, key: str, on_ops: Callable[[], None]) -> None:
    """Mount the annotator; ``on_ops`` runs when a key adds a decision (read ``st.session_state[key]["ops"]``), while
    the session is signed in."""
    rerun_if_signed_out()
    _COMPONENT(key=key, data=data, on_ops_change=signed_in(on_ops), height="content")
