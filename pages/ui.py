"""The one UI helper module: cached resources and small renderers shared by pages."""
from __future__ import annotations

import os
from typing import Sequence

import plotly.express as px
import streamlit as st
from spacy import displacy

from ner_core.checkpoint import checkpoints_dir, resolve
from ner_core.pipeline import VotedPipeline, load_any
from ner_core.tagger import Tagger
from ner_core.tags import ENTITY_TYPES, spans
from ner_core.tokenize import Token

FAMILIES = {"Bi-LSTM-CRF": ("voted", "bilstm_crf"), "BERT-FF": ("voted-bert", "bert_ff")}
COLOURS = dict(zip(ENTITY_TYPES, ("#7aecec", "#feca74", "#aa9cfc", "#9cc9cc", "#bfe1d9", "#ff9561", "#ffeb80", "#e4e7d2")))


def available_models() -> dict[str, str]:
    """Family label -> the checkpoint to use (its voted pipeline, else its single model).

    ``$NER_MODEL`` (a name or path) replaces the list with that one model.
    """
    if os.environ.get("NER_MODEL"):
        return {"custom": os.environ["NER_MODEL"]}
    found = {}
    for label, names in FAMILIES.items():
        for name in names:
            if (checkpoints_dir() / name).is_dir():
                found[label] = name
                break
    return found


@st.cache_resource(show_spinner="Loading the model…")
def load_model(name: str) -> Tagger | VotedPipeline:
    """A checkpoint or pipeline (name under checkpoints/ or a path), loaded once per process."""
    return load_any(resolve(name))


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


def confidence_chart(rows: list[dict], tag_key: str, prob_key: str):
    """A bar per token: the probability of its tag, coloured by entity type."""
    data = [{"position": f"{i}: {r['token']}", "probability": r[prob_key], "tag": r[tag_key]} for i, r in enumerate(rows)]
    colours = {f"{p}-{t}": c for t, c in COLOURS.items() for p in "BI"} | {"O": "#d0d0d0"}
    fig = px.bar(data, x="position", y="probability", color="tag", color_discrete_map=colours, range_y=[0, 1])
    fig.update_layout(height=280, margin=dict(l=0, r=0, t=10, b=0), xaxis_title=None)
    return fig
