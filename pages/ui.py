"""The one UI helper module: cached resources and small renderers shared by pages."""
from __future__ import annotations

import os
from typing import Sequence

import streamlit as st
from spacy import displacy

from ner_core.checkpoint import resolve
from ner_core.tagger import Tagger
from ner_core.tags import ENTITY_TYPES, spans
from ner_core.tokenize import Token

DEFAULT_MODEL = os.environ.get("NER_MODEL", "bilstm_crf")
COLOURS = dict(zip(ENTITY_TYPES, ("#7aecec", "#feca74", "#aa9cfc", "#9cc9cc", "#bfe1d9", "#ff9561", "#ffeb80", "#e4e7d2")))


@st.cache_resource(show_spinner="Loading the model…")
def load_tagger(name: str = DEFAULT_MODEL) -> Tagger:
    """The tagger of a checkpoint (name under checkpoints/ or a path), loaded once per process."""
    return Tagger.from_checkpoint(resolve(name))


def entities_html(text: str, tokens: Sequence[Token], tags: Sequence[str]) -> str:
    """displaCy's entity view of one sentence of ``text``."""
    offset = tokens[0].start
    end = tokens[-1].start + len(tokens[-1].text)
    ents = [
        {"start": tokens[s.start].start - offset, "end": tokens[s.end - 1].start + len(tokens[s.end - 1].text) - offset, "label": s.type}
        for s in spans(tags)
    ]
    doc = {"text": text[offset:end], "ents": ents, "title": None}
    return displacy.render(doc, style="ent", manual=True, options={"colors": COLOURS}, jupyter=False)
