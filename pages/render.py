"""Small renderers and widget helpers shared by the pages: entity views, type colours, links, escaping."""
from __future__ import annotations

import colorsys
from typing import Callable, Sequence

import streamlit as st

from ner_core.data.corpus import FORMATS
from ner_core.data.tags import spans
from ner_core.data.tokenize import Token, join_tokens
from ner_core.storage.datasets import DEFAULT_DATASET

COLOURS = {"geo": "#7aecec", "gpe": "#feca74", "per": "#aa9cfc", "org": "#9cc9cc", "tim": "#bfe1d9", "art": "#ff9561",
           "eve": "#ffeb80", "nat": "#e4e7d2"}  # the GMB corpus's types keep their colours

PALETTE = ("#7aecec", "#feca74", "#aa9cfc", "#9cc9cc", "#bfe1d9", "#ff9561", "#ffeb80", "#e4e7d2", "#f2a7c3")

DATASET_KEY = "dataset"  # st.session_state key of the dataset chosen in the sidebar, and its query parameter
UPLOAD_LABEL = ("Corpus file: " + ", ".join(f"{fmt} ({' '.join(suffixes)})" for fmt, suffixes in FORMATS.items())
                + ", or one of them zipped")


def entities_html(text: str, tokens: Sequence[Token], tags: Sequence[str], colours: dict[str, str]) -> str:
    """displaCy's entity view of one sentence of ``text`` (``colours``: by entity type); an entity never wraps
    across lines, as it would in a narrow column, and a word wider than the column breaks (never widens the page)."""
    offset = tokens[0].start
    end = tokens[-1].start + len(tokens[-1].text)
    ents = [
        {"start": tokens[s.start].start - offset, "end": tokens[s.end - 1].start + len(tokens[s.end - 1].text) - offset, "label": s.type}
        for s in spans(tags)
    ]
    doc = {"text": text[offset:end], "ents": ents, "title": None}
    from spacy import displacy  # spaCy takes a second to import: only once something is drawn

    from spacy.displacy.templates import TPL_ENT

    template = TPL_ENT.replace('<mark class="entity" style="', '<mark class="entity" style="display: inline-block; '
                               'max-width: 100%; overflow-wrap: anywhere; ', 1)  # one box: breaks inside only if wider than a line
    html = displacy.render(doc, style="ent", manual=True, options={"colors": colours, "template": template}, jupyter=False)
    return html.replace('<div class="entities" style="', '<div class="entities" style="overflow-wrap: anywhere; ', 1)


def conflict_choice(sentence: int, author: str | None, version: int, words: Sequence[str], mine: Sequence[str],
                    theirs: Sequence[str], colours: dict[str, str], key: str, overwrite: Callable[[], None],
                    keep: Callable[[], None], mine_label: str = "Yours") -> None:
    """A save refused because the sentence changed meanwhile: both versions side by side, a button to keep each."""
    st.warning(plain(f"Not saved: sentence {sentence} was changed meanwhile by {author or 'someone'} (now version {version}). "
                     "Nothing was overwritten; choose which version to keep."))
    text, tokens = join_tokens(words)
    left, right = st.columns(2)
    left.markdown(f"**{mine_label}**")
    left.html(entities_html(text, tokens, mine, colours))
    left.button("Save yours", on_click=overwrite, key=f"{key}_overwrite", width="stretch")
    right.markdown("**Stored**")
    right.html(entities_html(text, tokens, theirs, colours))
    right.button("Keep theirs", on_click=keep, key=f"{key}_keep_theirs", type="primary", width="stretch")


def type_colours(types: Sequence[str]) -> dict[str, str]:
    """A colour per type, no two alike: the GMB types keep theirs, the others take :data:`PALETTE`'s that those leave
    free, in order, then pastels of hues a golden angle apart."""
    taken = {COLOURS[t] for t in types if t in COLOURS}
    others = [t for t in types if t not in COLOURS]
    free = [c for c in PALETTE if c not in taken]
    free += [_pastel(i) for i in range(len(others) - len(free))]
    return {t: COLOURS.get(t) or free[others.index(t)] for t in types}


def _pastel(i: int) -> str:
    red, green, blue = colorsys.hls_to_rgb((20 + 137.508 * i) % 360 / 360, 0.8, 0.7)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def annotate_link(dataset: str, corpus_sentence: int, label: str | None = None, **params: object) -> None:
    """A link to Annotate's sentence ``corpus_sentence`` of ``dataset`` (more query ``params`` too): its address names
    the dataset as the sidebar's binding does (``?dataset=NAME``, none for the project's corpus), so that a new tab
    opens that dataset, not the default one."""
    named = {} if dataset == DEFAULT_DATASET else {DATASET_KEY: dataset}
    st.page_link("pages/annotate.py", label=label or f"Correct sentence {corpus_sentence}", icon=":material/edit:",
                 query_params={**named, "sentence": str(corpus_sentence), **{k: str(v) for k, v in params.items()}})


def edited_column(key: str, column: str, drawn: Sequence[str]) -> list[str]:
    """``drawn`` (a column of the data editor ``key`` as drawn) with the cell edits the editor holds now. Read in a
    button's callback, it has an edit made just before the click, which the button's arguments, fixed when the
    page was drawn, lack."""
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    return [edits.get(row, {}).get(column, value) for row, value in enumerate(drawn)]


def flash(key: str) -> None:
    """Show, once, the ``(kind, message)`` a callback left under ``key`` (kind: success, info, warning or error)."""
    if key in st.session_state:
        kind, message = st.session_state.pop(key)
        getattr(st, kind)(message)


def forget(*keys: str) -> None:
    """Drop ``keys`` from the session state (absent ones too)."""
    for key in keys:
        st.session_state.pop(key, None)


INTERRUPTED = "page_interrupted"  # st.session_state: a run stopped before its page drew its widgets (the database was down);
# the next one draws Annotate's grid anew from its draft (pages/drafts.py), whose edits the browser's grid has lost


def remember(key: str, default: object) -> None:
    """Keep widget ``key``'s value across a page switch (Streamlit drops the state of widgets it does not draw, and
    takes a widget of the same key on another page for a new one) and across a run that stopped before drawing it
    (the browser then shows the widget's default): the value is set again on every run.

    Call before drawing the widget, which then gets no default of its own.
    """
    st.session_state[key] = st.session_state[key] if key in st.session_state else st.session_state.get(f"{key}__kept", default)
    st.session_state[f"{key}__kept"] = st.session_state[key]


def plain(text: str) -> str:
    """``text`` with Markdown's special characters escaped, for a message that quotes user data."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~$:" else c for c in text)


def sentence_from_link(n: int) -> int | None:
    """The sentence named by ``?sentence=`` (None, with a message, when it is not one of ``n``)."""
    named = st.query_params.get_all("sentence")
    if not named:
        return None
    asked = named[0]
    if len(named) > 1:
        st.info(f"The link names {len(named)} sentences; showing the first of them.")
    if not asked.strip().isdigit() or not 0 <= int(asked) < n:
        st.error(f"The link does not name a sentence of this dataset (a number from 0 to {n - 1:,}); "
                 "showing the last sentence you opened. The link asked for:")
        st.text(asked)
        return None
    return int(asked)
