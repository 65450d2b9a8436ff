const OUT = "O";
const ROLES = ["button", "link", "radio", "checkbox", "switch", "tab", "menuitem", "option", "combobox", "listbox", "slider",
               "spinbutton", "textbox"];
const INTERACTIVE = ["button", "a[href]", "summary", "input", "select", "textarea", "iframe", "[contenteditable]:not([contenteditable='false'])",
                     ...ROLES.map(role => `[role='${role}']`)].join(", ");  // controls with keys of their own
const TYPING = ["textarea", "select", "[contenteditable]:not([contenteditable='false'])", "[role='combobox']", "[role='textbox']",
                "[role='spinbutton']", "input:not([type='checkbox']):not([type='radio']):not([type='button']):not([type='submit'])"].join(", ");
const DECIDING = new Set(["accept", "keep", "edit", "discard", "overwrite"]);
const KEY_OF = { accept: "a", keep: "g", edit: "Enter", discard: "d", skip: "s" };  // a key dropped (helper-84) is named in the status
const KEYS_DECIDING = new Set(["a", "g", "d", "s", "n", "Enter"]);
const RETRY_MS = 5000, RETRY_MAX_MS = 15000;  // unconfirmed ops are resent after this, doubling up to the max (helper-89: at
// 60 s, a decision waited a minute after an outage ended)
const RELOAD_AFTER_MS = 20000;  // unconfirmed ops and no answer for this long: a restarted server that drops what we send
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
function replaceSpan(tags, start, end, label) {  // as ner_core.quality.review_queue.retag: a cut entity keeps the rest
  const kept = [];
  for (const s of spans(tags)) {
    if (s.end <= start || s.start >= end) { kept.push(s); continue; }
    if (s.start < start) kept.push({type: s.type, start: s.start, end: start});
    if (s.end > end) kept.push({type: s.type, start: end, end: s.end});
  }
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
function focused() {
  let node = document.activeElement;
  while (node && node.shadowRoot && node.shadowRoot.activeElement) node = node.shadowRoot.activeElement;
  return node;
}

export default function (component) {
  const { parentElement, setStateValue } = component;
  let data = component.data;
  if (!data || !data.items) return;
  let root = parentElement.querySelector(".ka");
  if (!root) {
    root = el("div", "ka"); root.tabIndex = 0; parentElement.appendChild(root);
    // Just opened: the keys come here unless the user is typing in a box of the page; the sidebar link, or the toggle, that
    // opened it keeps the focus otherwise, and the annotator began "Keys paused" (helper-80, helper-84)
    const at = focused();
    if (!at || at === document.body || !(at.matches && at.matches(TYPING))) root.focus({ preventScroll: true });
  }
  // Kept across renders: decisions the server has not confirmed yet, and the edit on screen.
  const s = root.__s || (root.__s = { pending: [], undoing: null, view: null, seq: 0, key: null, sentAt: 0, delay: RETRY_MS, attempt: 0 });
  // Unconfirmed decisions also live in the tab's sessionStorage (per dataset, queue or pool, and user): a reload resends
  // them. Not an undo: a new server session cannot tell a resent undo from a new one, and a second undo reverts another decision.
  const key = data.dataset == null ? null : "ner-ka:" + JSON.stringify([data.dataset, data.mode || (data.pool ? "pool" : data.split), data.author]);
  function store() {
    if (!key) return;
    const kept = s.pending.filter(op => op.kind !== "undo");
    try { if (kept.length) sessionStorage.setItem(key, JSON.stringify(kept)); else sessionStorage.removeItem(key); }
    catch (err) { /* storage full or denied: the ops stay in memory */ }
  }
  if (key !== s.key) {  // another dataset, source or user: nothing on screen is theirs (an edit stays with its sentence)
    s.key = key;
    s.view = null;
    try { s.pending = key ? JSON.parse(sessionStorage.getItem(key) || "[]") : s.pending; } catch (err) { /* kept in memory */ }
    s.sentAt = 0;  // resend them at once
  }
  s.answeredAt = Date.now();  // drawn with the server's data: it answers
  // An outage sends nothing to show: what the server sent last stays (the items held, the legend, the counts), decided as
  // ever, with the outage said (helper-88, helper-89)
  if (!data.outage) s.last = data;
  else if (s.last) data = { ...s.last, outage: data.outage, acked: data.acked, refused: data.refused, heard: data.heard,
                            message: null };
  const acked = new Set(data.acked), refused = data.refused || {};
  const before = s.pending.length;
  s.pending = s.pending.filter(op => !acked.has(op.id));
  if (s.pending.length !== before) s.delay = RETRY_MS;  // the server answers: resend the rest after the shortest wait
  store();
  if (s.undoing && acked.has(s.undoing)) { s.undoing = null; s.view = null; }  // show what the undo brought back
  const decided = new Set(s.pending.filter(op => op.kind !== "undo").map(op => op.item));
  const items = data.items.filter(it => !decided.has(it.item));
  let conflict = data.conflict && !decided.has(data.conflict.item) ? data.conflict : null;  // until o or t answers it
  if (s.view) {  // keep the item on screen (and its edit) while the server still offers it at the same version
    const same = items.find(it => it.item === s.view.item);
    if (!same || same.version !== s.view.version) s.view = null;
    // a refused add the server shows again first (data.back: its op): on screen now, unless an edit is open here
    else if (data.back && data.back !== s.back && !same.tags.some((tag, j) => tag !== s.view.tags[j])) s.view = null;
  }
  s.back = data.back;

  function control(node) {  // the control holding node, which keeps its keys: one on the page, or a button of this annotator
    const hit = node && node.nodeType === 1 ? node.closest(INTERACTIVE) : null;
    return hit && !hit.contains(root) ? hit : null;
  }
  function paused() { const hit = control(focused()); return !!hit && !root.contains(hit); }  // a control on the page has the keys
  function show(it) {
    s.view = it ? { item: it.item, version: it.version, tags: [...it.tags], anchor: it.flagged[0], focus: it.flagged[0], dragging: false } : null;
  }
  function current() { return s.view ? items.find(it => it.item === s.view.item) : null; }
  if (!s.view) show(items[0]);

  function queueOp(kind, item, version, tags, base = null) {  // base: the tags an edit was made on
    const op = { id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${++s.seq}`, kind, item, version, tags, base };
    s.pending.push(op);
    store();
    resend();
    return op;
  }
  function resend() {  // every op not confirmed, again; the attempt number makes it a new value (the server applies an id once)
    if (s.answeredAt >= s.sentAt) s.unansweredSince = Date.now();  // the sends since the last answer: none answered yet
    s.sentAt = Date.now();
    s.attempt += 1;
    setStateValue("ops", s.pending.map(o => ({ ...o, attempt: s.attempt })));
  }
  function failed() { const op = s.pending.find(o => refused[o.id]); return op ? refused[op.id] : null; }
  function send(kind, tags) {
    if (s.undoing) { if (kind !== "undo") { s.dropped = KEY_OF[kind]; render(); } return; }  // said: not a decision on another item
    const it = current();
    if (!it && kind !== "undo") return;
    const op = queueOp(kind, it ? it.item : null, it ? it.version : null, tags || null, it ? it.tags : null);
    if (kind === "undo") s.undoing = op.id;
    else { decided.add(it.item); items.splice(items.indexOf(it), 1); show(items[0]); }  // the next item at once; the server catches up
    render(true);
  }
  function resolve(kind) {  // the conflict on screen: "overwrite" (save mine) or "theirs" (keep the stored version)
    queueOp(kind, conflict.item, conflict.version, null);
    conflict = s.conflictKey = null;
    render();
  }
  function selection() { return [Math.min(s.view.anchor, s.view.focus), Math.max(s.view.anchor, s.view.focus) + 1]; }

  const keys = [...(data.pool ? [["a", "add it as shown"], ["d", "discard the sentence"]]
                               : [["a", data.mode !== "walk" ? "accept the suggestion" : data.model ? "save the model's tags" : "keep the gold (no model)"],
                                  ["g", "keep the gold"]]),
                ["s", "skip"], ["u / ctrl+z", "undo"],
                ["← → Home End", "move"], ["shift+move", "extend"], [data.types.length > 9 ? "1-9, shift+1-9" : "1-9", "type of the selection"], ["0 / x / ⌫", "selection to O"],
                ["Enter", data.pool ? "add it (with the edit)" : "save the edit and next (no edit: keep the gold)"],
                ["Esc", "reset the edit and the selection; from a button or box: back to the keys"]];
  function legend(empty) {  // nothing on screen: only undo has something to act on
    const node = el("div", "legend");
    if (empty) { node.append(el("span", "key", "u / ctrl+z"), "undo your last decision"); return node; }
    data.types.forEach((type, i) => {
      if (i > 17) return;
      const swatch = el("span", "swatch", `${i > 8 ? "⇧" + (i - 8) : i + 1} ${type}`);
      swatch.style.background = data.colours[type] || "#ddd";
      if (data.guidelines && data.guidelines[type]) swatch.title = data.guidelines[type];  // a tooltip, as text
      node.append(swatch);
    });
    if (data.types.length > 18) node.append(el("span", "key", `${data.types.length - 18} more types: the grid on Annotate`));
    node.append(el("br"));
    for (const [key, what] of keys) {  // a key and what it does stay on one line; the pairs wrap between them
      const pair = el("span", "pair");
      pair.append(el("span", "key", key), what);
      node.append(pair, " ");
    }
    return node;
  }
  function statusText() {
    const note = s.dropped ? ` (${s.dropped} was not applied: press it again ${s.undoing ? "once the undone item is back" : current() ? "now" : "once the next item shows"})` : "";
    if (s.undoing) return "Undoing…" + note;
    const waiting = s.pending.length, why = failed();
    if (data.outage) return data.outage + note;  // the reason for every decision waiting, said once
    if (why) return `${why} Retrying every few seconds; r retries now (${waiting} decision${waiting > 1 ? "s" : ""} kept in this tab).` + note;
    if (waiting && !navigator.onLine) {  // helper-98: "Saving 2 decisions…" all the while the network was gone
      return `Offline: ${waiting} decision${waiting > 1 ? "s" : ""} kept in this tab, sent when the connection is back.` + note;
    }
    if (waiting) return `Saving ${waiting} decision${waiting > 1 ? "s" : ""}…` + note;
    return (data.message ? data.message.text : "") + note;
  }
  function render(reveal) {
    const it = current();
    const shown = root.dataset.item === (it ? String(it.item) : "-");
    const open = Math.max(0, data.open - s.pending.filter(op => DECIDING.has(op.kind)).length);
    const done = data.decided == null ? null : data.decided + s.pending.filter(op => DECIDING.has(op.kind)).length;
    root.dataset.item = it ? String(it.item) : "";
    follow(conflict ? null : it);
    root.dataset.pending = String(s.pending.length);
    root.dataset.author = data.author;
    root.dataset.state = conflict ? "conflict" : s.undoing ? "busy" : it ? "ready" : s.pending.length ? "waiting" : "empty";
    const hint = el("div", "paused" + (paused() ? " on" : ""), "Keys paused: click the sentence or press Esc");
    const status = el("div", "status " + (failed() || data.outage ? "error" : s.pending.length || s.undoing ? "" : (data.message ? data.message.kind : "")),
                      statusText());
    const bar = el("div", "bar");
    bar.append(status, hint);
    if (conflict) { root.replaceChildren(bar, ...conflictView()); return; }
    if (!it) {
      const waiting = s.pending.length || s.undoing;
      const what = data.outage ? data.outage : waiting ? "The next items are on their way…"
                 : open > 0 ? `${open.toLocaleString()} open item(s) are held by colleagues' pages (for up to 5 minutes `
                                   + "after they last showed them); they come back here when released: reload then."
                 : data.empty ? data.empty
                 : data.pool ? "The pool is empty: add text to it above."
                 : `Nothing left to review on the ${data.split} split with these filters.`;
      const tally = done === null || waiting ? "" : ` You decided ${done.toLocaleString()} in this session.`;
      root.replaceChildren(el("div", "head", what + tally), ...(data.elsewhere && !waiting ? [el("div", "head", data.elsewhere)] : []), bar, legend(true));
      return;
    }
    const score = it.score === null || it.score === undefined ? (data.pool ? "not ranked yet" : "") : `score ${it.score.toFixed(3)}`;
    const counts = [`${open.toLocaleString()} open${data.pool ? " in the pool" : ""}`, done === null ? "" : `${done.toLocaleString()} decided this session`];
    const head = el("div", "head", (data.pool
      ? ["New sentence", it.source, score, ...counts, `adding as ${data.author}`]
      : [`Sentence ${it.sentence}`, data.split + (data.evaluation ? " (evaluation only)" : ""), it.source, score, ...counts, `deciding as ${data.author}`])
      .filter(Boolean).join(" · "));
    const changed = s.view.tags.filter((tag, j) => tag !== it.tags[j]).length;
    const edits = el("div", "edits" + (changed && s.view.held ? " held" : ""), !changed ? "" : s.view.held
      ? `${s.view.held} would drop your ${changed} changed tag${changed > 1 ? "s" : ""} (underlined): Enter saves them, Esc resets them first`
      : `${changed} tag${changed > 1 ? "s" : ""} changed (underlined): Enter saves, Esc resets`);
    const suggest = el("div", "suggest");
    if (data.pool) suggest.append(it.detail);  // why this sentence now, and whose tags are shown
    else if (it.model) {  // the walk: what a saves, the model's tags, drawn with the tokens they change underlined
      const differs = it.model.some((tag, j) => tag !== it.tags[j]);
      suggest.append(differs ? `a saves the tags of ${it.detail}:` : `${it.detail} agrees with the gold: a keeps it`);
      if (differs) {
        const model = sentence(it.words, it.model, j => it.model[j] !== it.tags[j] ? ["changed"] : []);
        model.className = "preview";
        suggest.append(model);
      }
    } else {
      suggest.append("Given ", el("b", "", it.given), " → suggested ", el("b", "", it.suggested));
      if (it.detail) suggest.append(el("span", "", "  ·  " + it.detail));
    }
    const old = root.querySelector(".sentence"), top = shown && old ? old.scrollTop : 0;
    const box = editor(it);
    root.replaceChildren(head, bar, edits, box, suggest, legend());
    box.scrollTop = top;  // a long sentence stays where it was scrolled
    if (reveal) {  // the selected token in view, and the status line above it
      box.querySelector(`[data-i="${s.view.focus}"]`).scrollIntoView({ block: "nearest", inline: "nearest" });
      bar.scrollIntoView({ block: "nearest" });
    }
  }
  function sentence(words, tags, marks) {  // marks(j): the classes of token j
    const box = el("div", "sentence");
    const bySpan = new Map(spans(tags).map(sp => [sp.start, sp]));
    let i = 0;
    while (i < words.length) {
      const span = bySpan.get(i);
      const end = span ? span.end : i + 1;
      const holder = span ? el("mark", "ent") : box;
      if (span) holder.style.background = data.colours[span.type] || "#ddd";
      for (let j = i; j < end; j++) {
        const tok = el("span", "tok", words[j]);
        tok.dataset.i = String(j);
        tok.classList.add(...marks(j));
        holder.append(tok);
        if (j < end - 1) holder.append(" ");
      }
      if (span) { holder.append(el("span", "lab", span.type)); box.append(holder); }
      box.append(" ");
      i = end;
    }
    return box;
  }
  function editor(it) {
    const view = s.view, [lo, hi] = selection();
    const box = sentence(it.words, view.tags, j => [[j >= it.flagged[0] && j < it.flagged[1], "flag"], [j >= lo && j < hi, "sel"],
                                                   [view.tags[j] !== it.tags[j], "changed"]].filter(([on]) => on).map(([, cls]) => cls));
    box.onmousedown = (event) => {
      root.focus({ preventScroll: true });  // the keys come back here (the click's target is drawn anew)
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
  function conflictView() {  // a refused decision: both versions, the tokens that differ outlined, o or t to choose
    const c = conflict, differ = c.mine.map((tag, j) => tag !== c.theirs[j]), n = differ.filter(Boolean).length;
    const versions = el("div", "versions");
    for (const [title, tags, kind, label] of [[`Yours (${c.decision})`, c.mine, "overwrite", "Overwrite with mine (o)"],
                                              [`Stored (${c.author || "someone"}'s)`, c.theirs, "theirs", "Keep theirs (t)"]]) {
      const button = el("button", kind === "theirs" ? "primary" : "", label);
      button.onclick = () => resolve(kind);
      const version = el("div", "version");
      version.append(el("b", "", title), sentence(c.words, tags, j => differ[j] ? ["diff"] : []), button);
      versions.append(version);
    }
    const why = c.decided ? `this item of sentence ${c.sentence} was ${c.decided} meanwhile by ${c.author || "someone"}`
                          : `sentence ${c.sentence} was changed meanwhile by ${c.author || "someone"} (now version ${c.version})`;
    return [el("div", "status error", `Not saved: ${why}. Nothing was overwritten; choose which version to keep.`),
            el("div", "head", `${n} token${n === 1 ? "" : "s"} differ${n === 1 ? "s" : ""} (outlined). Press o to overwrite with yours `
                              + "or t to keep theirs, or click a button."),
            ...(s.conflictKey ? [el("div", "status", `“${s.conflictKey}” does nothing until this is answered: o or t first.`)] : []),
            versions];
  }
  function tokenAt(event) {
    const tok = event.target.closest ? event.target.closest(".tok") : null;
    return tok ? Number(tok.dataset.i) : null;
  }
  root.onmouseup = () => { if (s.view) s.view.dragging = false; };

  function onKey(event) {
    if (event.altKey || event.metaKey || !root.isConnected) return;
    const key = event.key, target = event.composedPath ? event.composedPath()[0] : event.target;
    if (conflict && !event.ctrlKey && (key === "o" || key === "t") && !paused()) {  // its buttons take no letters
      resolve(key === "o" ? "overwrite" : "theirs");
      event.preventDefault(); event.stopPropagation();
      return;
    }
    if (control(target) || control(focused())) {  // the control's own keys: Enter clicks a button, follows a link, opens an expander
      const active = focused();
      const open = !!active && active.matches("input, [role='combobox']") && active.getAttribute("aria-expanded") === "true";
      if (key === "Escape" && !open) root.focus({ preventScroll: true });
      return;
    }
    if (conflict) {  // helper-98: a/g pressed here did nothing, unsaid
      if (!event.ctrlKey && (KEYS_DECIDING.has(key) || key === "u")) { s.conflictKey = key; render(); event.preventDefault(); }
      return;
    }
    const undo = (event.ctrlKey && key.toLowerCase() === "z") || (!event.ctrlKey && key === "u");
    if (event.ctrlKey && !undo) return;
    const it = current();
    let handled = true;
    if (s.view) s.view.held = null;  // said right after a or g only
    const dropped = s.dropped;
    s.dropped = null;  // said until the next key
    if (undo) send("undo");
    else if (key === "r" && s.pending.length) { s.delay = RETRY_MS; resend(); render(); }
    else if (!it && s.pending.length && KEYS_DECIDING.has(key)) { s.dropped = key; render(); }  // helper-84: typed past the items here
    else if (!it) { handled = false; if (dropped) render(); }
    else if ((key === "a" || key === "g") && !data.pool && differs(s.view.tags, it.tags) && differs(s.view.tags, key === "a" ? it.suggestion : it.tags)) {
      s.view.held = key; render();  // it would store other tags than those on screen: the edits are not dropped unsaid
    }
    else if (key === "a") send("accept", data.pool ? s.view.tags : it.suggestion);
    else if (key === "g" && !data.pool) send("keep", it.tags);
    else if (key === "d" && data.pool) send("discard");
    else if (key === "s" || key === "n") send("skip");
    else if (key === "Enter") {
      const edited = s.view.tags.some((t, j) => t !== it.tags[j]);
      if (data.pool) send(edited ? "edit" : "accept", s.view.tags);
      else send(edited ? "edit" : "keep", edited ? s.view.tags : it.tags);  // no edit: the gold was right, as g says
    } else if (key === "Escape") {  // the edit reset, and the selection back on the flagged tokens (helper-80: a repeat went astray)
      s.view.tags = [...it.tags]; s.view.anchor = s.view.focus = it.flagged[0]; render();
    }
    else if (key === "ArrowLeft" || key === "ArrowRight" || key === "Home" || key === "End") {
      const to = { ArrowLeft: s.view.focus - 1, ArrowRight: s.view.focus + 1, Home: 0, End: it.words.length - 1 }[key];
      s.view.focus = Math.min(it.words.length - 1, Math.max(0, to));
      if (!event.shiftKey) s.view.anchor = s.view.focus;
      render(true);
    } else if (/^[1-9]$/.test(key) && Number(key) <= data.types.length) {
      const [lo, hi] = selection();
      s.view.tags = replaceSpan(s.view.tags, lo, hi, data.types[Number(key) - 1]); render();
    } else if (event.shiftKey && /^Digit[1-9]$/.test(event.code) && Number(event.code.slice(5)) + 9 <= data.types.length) {
      const [lo, hi] = selection();  // types 10-18: shift with the digit's key, whatever the layout prints on it
      s.view.tags = replaceSpan(s.view.tags, lo, hi, data.types[Number(event.code.slice(5)) + 8]); render();
    } else if (key === "0" || key === "x" || key === "Backspace" || key === "Delete") {
      const [lo, hi] = selection();
      s.view.tags = replaceSpan(s.view.tags, lo, hi, OUT); render();
    } else handled = false;
    if (handled) { event.preventDefault(); event.stopPropagation(); inView(); }
  }
  function follow(it) {  // the page's controls for one item (st.container key "ka_follows_<item>") are dimmed and not
    // clickable while another item is on screen, until the rerun draws them for it (helper-98: a link named the sentence
    // decided a moment before)
    const rule = `[class*="st-key-ka_follows_"]:not(.st-key-ka_follows_${it ? it.item : "none"}) { opacity: .35; pointer-events: none; }`;
    let style = document.getElementById("ka-follows");
    if (!style) { style = document.createElement("style"); style.id = "ka-follows"; document.head.append(style); }
    if (style.textContent !== rule) style.textContent = rule;
  }
  function differs(a, b) { return a.some((t, j) => t !== b[j]); }
  function inView() {  // after a key, on a short screen too: the whole annotator (its suggestion and legend), where it fits
    root.scrollIntoView({ block: "nearest" });  // taller than the window: its top, then the selected token and the status line
    const tok = root.querySelector(".tok.sel"), bar = root.querySelector(".bar");
    if (tok) tok.scrollIntoView({ block: "nearest", inline: "nearest" });
    if (bar) bar.scrollIntoView({ block: "nearest" });
  }
  function onFocus() {  // the hint follows the focus: keys reach the annotator unless a control on the page has it
    const hint = root.querySelector(".paused");
    if (hint) hint.classList.toggle("on", paused());
  }
  function onLeave(event) {  // decisions not confirmed yet, or tags changed and not saved: the browser asks before the page goes
    const it = current(), edited = !!it && !!s.view && differs(s.view.tags, it.tags);  // helper-98: an edit lost unasked
    if ((s.pending.length || edited) && !s.reloading) { event.preventDefault(); event.returnValue = ""; }
  }
  function recover() {
    // A restarted server does not know this page's fragment and drops what it sends: once the server is up again,
    // reload; the decisions kept in the tab are sent at load (an undo is not kept: press u again if it did not happen).
    if (s.reloading || s.answeredAt >= s.sentAt || Date.now() - s.unansweredSince < RELOAD_AFTER_MS) return;  // sends unanswered
    s.reloading = true;
    fetch(new URL("_stcore/health", location.href), { cache: "no-store" })
      .then(answer => { if (answer.ok) location.reload(); else s.reloading = false; })
      .catch(() => { s.reloading = false; });
  }
  const onNetwork = () => { if (root.isConnected) render(); };
  const listeners = [[window, "keydown", onKey], [document, "focusin", onFocus], [document, "focusout", onFocus],
                     [window, "beforeunload", onLeave], [window, "offline", onNetwork], [window, "online", onNetwork]];
  for (const [target, name, listener] of window.__nerKeyboard || []) target.removeEventListener(name, listener, true);
  window.__nerKeyboard = listeners;
  for (const [target, name, listener] of listeners) target.addEventListener(name, listener, true);
  clearInterval(window.__nerRetry);
  window.__nerRetry = setInterval(() => {  // lost on the way (a restarted server, a dropped connection) or refused: again
    if (!root.isConnected || !s.pending.length) return;
    recover();
    if (Date.now() - s.sentAt < s.delay) return;
    s.delay = Math.min(2 * s.delay, RETRY_MAX_MS);
    resend();
  }, 1000);
  const retry = window.__nerRetry;
  render();
  return () => {
    if (window.__nerRetry === retry) clearInterval(retry);
    if (window.__nerKeyboard !== listeners) return;
    for (const [target, name, listener] of listeners) target.removeEventListener(name, listener, true);
    window.__nerKeyboard = null;
  };
}
