"""The one UI helper module: cached resources and small renderers shared by pages."""
from __future__ import annotations

import os
from typing import Sequence

import pandas as pd
import plotly.express as px
import streamlit as st
from spacy import displacy

from ner_core.analysis import CorpusAnalysis, analyse, confusion_matrix
from ner_core.checkpoint import CheckpointError, resolve
from ner_core.consistency import Occurrence, StringLabels, inconsistent_strings, occurrences
from ner_core.corpus import Sentence, Split, default_corpus_path, format_corpus, split_corpus, split_indices
from ner_core.label_issues import LabelIssue, find_label_issues
from ner_core.pipeline import VotedPipeline, load_any
from ner_core.registry import active_dir, data_dir
from ner_core.store import CorrectionStore, default_db_url, import_dataset, list_datasets, make_engine
from ner_core.tagger import Tagger
from ner_core.tags import ENTITY_TYPES, spans
from ner_core.tokenize import Token

FAMILIES = {"Bi-LSTM-CRF": ("voted", "bilstm_crf"), "BERT-FF": ("voted-bert", "bert_ff")}
COLOURS = dict(zip(ENTITY_TYPES, ("#7aecec", "#feca74", "#aa9cfc", "#9cc9cc", "#bfe1d9", "#ff9561", "#ffeb80", "#e4e7d2")))


def available_models(single: bool = False) -> dict[str, str]:
    """Family label -> the checkpoint to use (its voted pipeline, else its single model).

    With ``single``, only single taggers. ``$NER_MODEL`` (a name or path) replaces the list
    with that one model.
    """
    if os.environ.get("NER_MODEL"):
        return {"custom": os.environ["NER_MODEL"]}
    found, active = {}, active_dir()
    for label, names in FAMILIES.items():
        for name in names[1:] if single else names:
            if (active / name).is_dir():
                found[label] = str(active / name)
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


def choose_model(page: str) -> tuple[str, Tagger | VotedPipeline]:
    """Sidebar: model family (and detector threshold for a pipeline); stops the page if there is none."""
    models = available_models()
    if not models:
        st.error("No trained model under checkpoints/. Train one with `python -m ner_core train`.")
        st.stop()
    family = st.sidebar.radio("Model family", list(models), key=f"{page}_family")
    try:
        model = load_model(models[family])
    except CheckpointError as err:
        st.error(f"The model could not be loaded: {err}")
        st.stop()
    if isinstance(model, VotedPipeline) and model.detector is not None:
        threshold = st.sidebar.slider("Detector threshold", 0.0, 1.0, model.threshold, 0.01, key=f"{page}_threshold")
        model = model.with_threshold(threshold)
        return f"{models[family]}@{threshold:.2f}", model
    return models[family], model


@st.cache_resource
def analyses() -> dict:
    """Per-process store of corpus analyses, keyed by (model, data source)."""
    return {}


def current_split() -> tuple[Split, str]:
    """The split of the corrected default corpus, and its data version (a cache key)."""
    version = correction_store().version()
    return _split(version), version


@st.cache_resource(max_entries=2, show_spinner="Applying the corrections…")
def _split(version: str) -> Split:
    return split_corpus(correction_store().corrected())


def get_analysis(model_key: str, model: Tagger | VotedPipeline, source_key: str, sentences: list[Sentence]) -> CorpusAnalysis:
    """The analysis of ``sentences`` by ``model``, computed once (with a progress bar) and cached."""
    store, key = analyses(), (model_key, source_key)
    if key not in store:
        bar = st.progress(0.0, text=f"Tagging {len(sentences):,} sentences…")
        store[key] = analyse(model, sentences, progress=lambda f: bar.progress(f, text=f"Tagging… {f:.0%}"))
        bar.empty()
    return store[key]


def heatmap(counts, title: str):
    labels, matrix = confusion_matrix(counts)
    fig = px.imshow(matrix, x=labels, y=labels, text_auto=True, color_continuous_scale="Blues", aspect="auto",
                    labels={"x": "predicted", "y": "gold", "color": "count"}, title=title)
    fig.update_layout(height=420, margin=dict(l=0, r=0, t=40, b=0))
    return fig


@st.cache_resource(max_entries=2, show_spinner="Counting how each entity string is tagged…")
def inconsistencies(version: str) -> tuple[list[Sentence], list[StringLabels]]:
    """The corrected default corpus and its entity strings tagged more than one way."""
    corpus = correction_store().corrected()
    return corpus, inconsistent_strings(corpus)


@st.cache_resource(max_entries=64)
def string_occurrences(version: str, words: tuple[str, ...]) -> list[Occurrence]:
    """Where ``words`` occur in the corrected corpus as an entity or all ``O`` (a corpus scan: once per string and version)."""
    return [o for o in occurrences(inconsistencies(version)[0], [words]) if o.label is not None]


def label_issues(model_key: str, tagger: Tagger, source_key: str, sentences: list[Sentence]) -> list[LabelIssue]:
    """Ranked label issues of ``sentences``, computed once per (model, data) and cached."""
    store, key = analyses(), ("label-issues", model_key, source_key)
    if key not in store:
        with st.spinner(f"Scoring {len(sentences):,} sentences…"):
            store[key] = find_label_issues(tagger, sentences)
    return store[key]


def correction_store(dataset: str = "default") -> CorrectionStore:
    """Corrections of a dataset (``default``: the project's corpus), in the configured database."""
    path = str(default_corpus_path()) if dataset == "default" else datasets()[dataset]
    return _store(default_db_url(), dataset, path)


@st.cache_resource(show_spinner="Opening the corrections database…")
def _store(url: str, dataset: str, corpus: str) -> CorrectionStore:
    return CorrectionStore(db_engine(url), dataset, corpus)


@st.cache_resource
def db_engine(url: str):
    return make_engine(url)


def datasets() -> dict[str, str]:
    """Every dataset: the default corpus first, then the imported ones."""
    return {"default": str(default_corpus_path())} | list_datasets(db_engine(default_db_url()))


def import_upload(name: str, data: bytes, filename: str) -> None:
    """Register an uploaded corpus as a dataset (raises with the reason when it is unusable)."""
    import_dataset(db_engine(default_db_url()), name, data, filename, data_dir() / "datasets")


@st.cache_resource
def corpus_index(part: str) -> list[int]:
    """Corpus indices of a split's sentences, in the split's order."""
    train, val, test = split_indices(len(correction_store().original))
    return {"train": train, "val": val, "test": test}[part]


def annotate_link(corpus_sentence: int, label: str | None = None) -> None:
    st.page_link("pages/annotate.py", label=label or f"Correct sentence {corpus_sentence}", icon=":material/edit:",
                 query_params={"sentence": str(corpus_sentence)})


@st.cache_data(max_entries=4, show_spinner="Preparing the export…")
def corpus_export(dataset: str, version: str, fmt: str) -> str:
    """A corrected dataset as Kaggle CSV or CoNLL text (cached per data version)."""
    return format_corpus(correction_store(dataset).corrected(), fmt)


def comparison_table(comparison: dict) -> pd.DataFrame:
    """Old vs new F1 per type and overall, on the test split and on the corrected sentences."""
    columns = {}
    for key, label in (("old", "old (test)"), ("new", "new (test)"), ("old_corrected", "old (corrected sentences)"), ("new_corrected", "new (corrected sentences)")):
        if key in comparison:
            scores = comparison[key]
            columns[label] = {t: r["f1"] for t, r in scores["per_type"].items()} | {f"{a} F1": scores[f"{a}_f1"] for a in ("micro", "macro", "weighted")}
    return pd.DataFrame(columns).round(4)
