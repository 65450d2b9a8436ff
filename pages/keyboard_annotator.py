"""The keyboard-first annotator: one sentence as text, its entities coloured, edited by keys.

A Streamlit components v2 element (inline HTML/CSS/JS, no build step). Python passes the
sentence as JSON ``data``; the script builds the DOM with ``textContent`` only (a token may hold
``<script>``, quotes or backslashes) and returns each decision as the trigger value ``action``:
``{"kind": "accept" | "keep" | "edit" | "skip" | "undo", "item", "version", "nonce", "tags"}``.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

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
  const { data, parentElement, setTriggerValue } = component;
  if (!data || !data.words) return;
  let root = parentElement.querySelector(".ka");
  if (!root) { root = el("div", "ka"); root.tabIndex = 0; parentElement.appendChild(root); }
  // Streamlit may call this again with the same data (after a rerun): keep the edit and the busy flag then.
  const screen = `${data.item}:${data.version}:${data.nonce}`;
  if (!root.__state || root.__state.screen !== screen) {
    root.__state = { screen, tags: [...data.tags], anchor: data.flagged[0], focus: data.flagged[0], dragging: false, busy: false };
  }
  const state = root.__state;
  const n = data.words.length;
  root.dataset.item = String(data.item);
  root.dataset.reviewItem = String(data.item);
  root.dataset.nonce = String(data.nonce);
  root.dataset.state = state.busy ? "busy" : "ready";

  function send(kind, tags) {
    if (state.busy) return;
    state.busy = true;
    root.dataset.state = "busy";
    status.textContent = "Saving…";
    setTriggerValue("action", {kind, item: data.item, version: data.version, nonce: data.nonce, tags: tags || null});
    setTimeout(() => { if (root.__state === state) { state.busy = false; root.dataset.state = "ready"; status.textContent = ""; } }, 4000);
  }
  function selection() { return [Math.min(state.anchor, state.focus), Math.max(state.anchor, state.focus) + 1]; }

  root.replaceChildren();
  const head = el("div", "head",
    `Sentence ${data.sentence} · ${data.split}${data.evaluation ? " (evaluation only)" : ""} · ${data.source} · score ${data.score.toFixed(3)} · ${data.position}`);
  const sentence = el("div", "sentence");
  const suggest = el("div", "suggest");
  suggest.append("Given ", el("b", "", data.given), " → suggested ", el("b", "", data.suggested));
  if (data.detail) suggest.append(el("span", "", "  ·  " + data.detail));
  const legend = el("div", "legend");
  const status = el("div", "status", state.busy ? "Saving…" : "");
  root.append(head, sentence, suggest, legend, status);

  const keys = [["a", "accept the suggestion"], ["g", "keep the gold"], ["s", "skip"], ["u / ctrl+z", "undo"],
                ["← →", "move"], ["shift+← →", "extend"], ["1-9", "type of the selection"], ["0 / x / ⌫", "remove entity"],
                ["Enter", "save the edit and next (no edit: skip)"], ["Esc", "reset the edit"]];
  data.types.forEach((type, i) => {
    if (i > 8) return;
    const swatch = el("span", "swatch", `${i + 1} ${type}`);
    swatch.style.background = data.colours[type] || "#ddd";
    legend.append(swatch);
  });
  legend.append(el("br"));
  for (const [key, what] of keys) { legend.append(el("span", "key", key), what + "  "); }

  function draw() {
    sentence.replaceChildren();
    const [lo, hi] = selection();
    const bySpan = new Map(spans(state.tags).map(s => [s.start, s]));
    let i = 0;
    while (i < n) {
      const span = bySpan.get(i);
      const end = span ? span.end : i + 1;
      const holder = span ? el("mark", "ent") : sentence;
      if (span) holder.style.background = data.colours[span.type] || "#ddd";
      for (let j = i; j < end; j++) {
        const tok = el("span", "tok", data.words[j]);
        tok.dataset.i = String(j);
        if (j >= data.flagged[0] && j < data.flagged[1]) tok.classList.add("flag");
        if (j >= lo && j < hi) tok.classList.add("sel");
        if (state.tags[j] !== data.tags[j]) tok.classList.add("changed");
        holder.append(tok);
        if (j < end - 1) holder.append(" ");
      }
      if (span) { holder.append(el("span", "lab", span.type)); sentence.append(holder); }
      sentence.append(" ");
      i = end;
    }
  }
  function tokenAt(event) {
    const tok = event.target.closest ? event.target.closest(".tok") : null;
    return tok ? Number(tok.dataset.i) : null;
  }
  sentence.onmousedown = (event) => {
    const i = tokenAt(event);
    if (i === null) return;
    if (!event.shiftKey) state.anchor = i;
    state.focus = i; state.dragging = true; draw();
  };
  sentence.onmouseover = (event) => {
    const i = tokenAt(event);
    if (state.dragging && i !== null && i !== state.focus) { state.focus = i; draw(); }
  };
  root.onmouseup = () => { state.dragging = false; };

  function onKey(event) {
    if (editable(event) || event.altKey || event.metaKey || !root.isConnected) return;
    const key = event.key;
    const undo = (event.ctrlKey && key.toLowerCase() === "z") || (!event.ctrlKey && key === "u");
    if (event.ctrlKey && !undo) return;
    let handled = true;
    if (undo) send("undo");
    else if (key === "a") send("accept", data.suggestion);
    else if (key === "g") send("keep", data.tags);
    else if (key === "s" || key === "n") send("skip");
    else if (key === "Enter") {
      const edited = state.tags.some((t, j) => t !== data.tags[j]);
      send(edited ? "edit" : "skip", edited ? state.tags : null);
    } else if (key === "Escape") { state.tags = [...data.tags]; draw(); }
    else if (key === "ArrowLeft" || key === "ArrowRight") {
      const step = key === "ArrowLeft" ? -1 : 1;
      state.focus = Math.min(n - 1, Math.max(0, state.focus + step));
      if (!event.shiftKey) state.anchor = state.focus;
      draw();
    } else if (/^[1-9]$/.test(key) && Number(key) <= data.types.length) {
      const [lo, hi] = selection();
      state.tags = replaceSpan(state.tags, lo, hi, data.types[Number(key) - 1]); draw();
    } else if (key === "0" || key === "x" || key === "Backspace" || key === "Delete") {
      const [lo, hi] = selection();
      state.tags = replaceSpan(state.tags, lo, hi, OUT); draw();
    } else handled = false;
    if (handled) { event.preventDefault(); event.stopPropagation(); }
  }
  if (window.__nerKeyboard) window.removeEventListener("keydown", window.__nerKeyboard, true);
  window.__nerKeyboard = onKey;
  window.addEventListener("keydown", onKey, true);
  draw();
  return () => {
    if (window.__nerKeyboard === onKey) { window.removeEventListener("keydown", onKey, true); window.__nerKeyboard = null; }
  };
}
"""

_COMPONENT = st.components.v2.component("ner_keyboard_annotator", css=CSS, js=JS, isolate_styles=False)  # CSS scoped by .ka


def keyboard_annotator(data: dict, key: str, on_action: Callable[[], None]) -> None:
    """Mount the annotator; ``on_action`` runs when a key sends a decision (read it from ``st.session_state[key]``)."""
    _COMPONENT(key=key, data=data, on_action_change=on_action, height="content")
