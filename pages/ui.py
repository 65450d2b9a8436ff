"""The one UI helper module: cached resources and small renderers shared by pages."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import streamlit as st

from ner_core.data.corpus import FORMATS, Sentence, Split, format_corpus, split_corpus, split_indices
from ner_core.data.tags import mention_shares, spans
from ner_core.data.tokenize import Token
from ner_core.evaluation.analysis import CorpusAnalysis, analyse, with_threshold
from ner_core.models.checkpoint_dirs import CheckpointError, resolve
from ner_core.models.pipeline import VotedPipeline, load_any
from ner_core.models.runtime import use_server_threads
from ner_core.models.tagger import Tagger
from ner_core.quality.review_queue import ReviewQueue
from ner_core.storage.datasets import dataset_paths, import_dataset
from ner_core.storage.db import default_db_url, shared_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import User
from ner_core.workbench.registry import DEFAULT, SHIPPED, active_id, available_models, data_dir

ANALYSES_KEPT = 3  # tagged corpora kept per process (tens of MB each), and as many votes
COLOURS = {"geo": "#7aecec", "gpe": "#feca74", "per": "#aa9cfc", "org": "#9cc9cc", "tim": "#bfe1d9", "art": "#ff9561",
           "eve": "#ffeb80", "nat": "#e4e7d2"}  # the GMB corpus's types keep their colours
DATASET_KEY = "dataset"  # st.session_state key of the dataset chosen in the sidebar
UPLOAD_LABEL = ("Corpus file: " + ", ".join(f"{fmt} ({' '.join(suffixes)})" for fmt, suffixes in FORMATS.items())
                + ", or one of them zipped")


def dataset_choice() -> None:
    """Sidebar: the dataset every page acts on (drawn by app.py on every page, so the choice stays)."""
    names = list(datasets())
    if st.session_state.get(DATASET_KEY) not in names:
        st.session_state[DATASET_KEY] = DEFAULT
    st.sidebar.selectbox("Dataset", names, key=DATASET_KEY)


def current_dataset() -> str:
    """The dataset chosen in the sidebar (``default``, the project's corpus, until another is chosen)."""
    name = st.session_state.get(DATASET_KEY, DEFAULT)
    return name if name in datasets() else DEFAULT


@st.cache_resource(show_spinner="Loading the model…")
def load_model(name: str) -> Tagger | VotedPipeline:
    """A checkpoint or pipeline (name under checkpoints/ or a path), loaded once per process."""
    use_server_threads()
    return load_any(resolve(name))


def entities_html(text: str, tokens: Sequence[Token], tags: Sequence[str], colours: dict[str, str] | None = None) -> str:
    """displaCy's entity view of one sentence of ``text`` (``colours``: by type; default: the current dataset's)."""
    offset = tokens[0].start
    end = tokens[-1].start + len(tokens[-1].text)
    ents = [
        {"start": tokens[s.start].start - offset, "end": tokens[s.end - 1].start + len(tokens[s.end - 1].text) - offset, "label": s.type}
        for s in spans(tags)
    ]
    doc = {"text": text[offset:end], "ents": ents, "title": None}
    colours = colours if colours is not None else dataset_colours(current_dataset())
    from spacy import displacy  # spaCy takes a second to import: only once something is drawn

    return displacy.render(doc, style="ent", manual=True, options={"colors": colours}, jupyter=False)


def dataset_colours(dataset: str) -> dict[str, str]:
    """A colour per entity type of ``dataset`` (see :func:`type_colours`)."""
    return type_colours(dataset_types(dataset))


def choose_model(page: str, dataset: str | None = None) -> tuple[str, str, Tagger | VotedPipeline]:
    """Sidebar: model family (and detector threshold for a pipeline) of ``dataset`` (default: the
    current one); without a model, says so, links to *Train models* and stops the page.

    Returns the model's key (its checkpoint and threshold: a cache key, never shown), a label for
    the user (family, model name, registry entry: no server path) and the model."""
    dataset = dataset or current_dataset()
    models = available_models(dataset)
    if not models and dataset == DEFAULT:
        st.error("No trained model under checkpoints/. Train one with `python -m ner_core train`.")
        st.stop()
    if not models:
        st.warning(f"The dataset {plain(dataset)} has no trained model yet: train one on the Retrain page.")
        st.page_link("pages/retrain.py", label="Train models", icon=":material/model_training:")
        st.stop()
    family = st.sidebar.radio("Model family", list(models), key=f"{page}_family")
    entry = active_id(dataset, shared_engine())
    label = f"{family}: {Path(models[family]).name} · " + ("shipped model" if entry == SHIPPED else f"registry entry {entry}")
    try:
        model = load_model(models[family])
    except CheckpointError as err:
        st.error(f"The model could not be loaded: {err}")
        st.stop()
    if isinstance(model, VotedPipeline) and model.detector is not None:
        key = f"{page}_threshold" if dataset == DEFAULT else f"{page}_threshold:{dataset}"
        threshold = st.sidebar.slider("Detector threshold", 0.0, 1.0, model.threshold, 0.01, key=key)
        model = model.with_threshold(threshold)
        return f"{models[family]}@{threshold:.2f}", f"{label} · threshold {threshold:.2f}", model
    return models[family], label, model


def current_split(dataset: str = DEFAULT) -> tuple[Split, str]:
    """The split of a corrected dataset, and its data version (a cache key)."""
    version = correction_store(dataset).version()
    return _split(store_key(dataset), version), version


@st.cache_resource(max_entries=2, show_spinner="Applying the corrections…")
def _split(key: tuple[str, str, str], version: str) -> Split:
    return split_corpus(_store(*key).corrected())


def get_analysis(model_key: str, model: Tagger | VotedPipeline, source_key: str, sentences: list[Sentence]) -> CorpusAnalysis:
    """The analysis of ``sentences`` by ``model``, cached per process (the few most recent).

    Sentences are tagged once per model and source (``st.cache_resource`` computes a key once: a
    second session asking meanwhile waits for the first); another detector threshold (``model_key``
    ends in ``@threshold``) only redoes the vote from the stored outputs.
    """
    tagged = _tagged(model_key.partition("@")[0], source_key, model, sentences)
    return _voted(model_key, source_key, tagged, model.threshold) if isinstance(model, VotedPipeline) else tagged


@st.cache_resource(max_entries=ANALYSES_KEPT, show_spinner="Tagging the sentences (once per model and data)…")
def _tagged(model_name: str, source_key: str, _model: Tagger | VotedPipeline, _sentences: list[Sentence]) -> CorpusAnalysis:
    bar = st.progress(0.0, text=f"Tagging {len(_sentences):,} sentences…")  # replayed, emptied, on a cache hit
    tagged = analyse(_model, _sentences, progress=lambda f: bar.progress(f, text=f"Tagging… {f:.0%}"))
    bar.empty()
    return tagged


@st.cache_resource(max_entries=ANALYSES_KEPT, show_spinner=False)
def _voted(model_key: str, source_key: str, _tagged: CorpusAnalysis, _threshold: float) -> CorpusAnalysis:
    return with_threshold(_tagged, _threshold)


def correction_store(dataset: str = DEFAULT) -> CorrectionStore:
    """Corrections of a dataset (``default``: the project's corpus), in the configured database."""
    return _store(*store_key(dataset))


def store_key(dataset: str) -> tuple[str, str, str]:
    """What identifies a dataset's data in the caches: database URL, name and corpus file."""
    return default_db_url(), dataset, datasets()[dataset]


@st.cache_resource(show_spinner="Opening the corrections database…")
def _store(url: str, dataset: str, corpus: str) -> CorrectionStore:
    return CorrectionStore(shared_engine(url), dataset, corpus)


def datasets() -> dict[str, str]:
    """Every dataset: the default corpus first, then the imported ones."""
    return dataset_paths(shared_engine())


def import_upload(name: str, data: bytes, filename: str, user: User | None = None) -> str:
    """Register an uploaded corpus as a dataset; returns the read's summary line (format, encoding,
    conversions). Raises with the reason when it is unusable."""
    summary: list[str] = []
    import_dataset(shared_engine(), name, data, filename, data_dir() / "datasets", log=summary.append, user=user)
    return summary[0] if summary else ""


def annotate_link(corpus_sentence: int, label: str | None = None) -> None:
    st.page_link("pages/annotate.py", label=label or f"Correct sentence {corpus_sentence}", icon=":material/edit:",
                 query_params={"sentence": str(corpus_sentence)})


def corpus_export(dataset: str, version: str, fmt: str) -> str:
    """A corrected dataset as Kaggle CSV or CoNLL text (cached per data version)."""
    return _export(store_key(dataset), version, fmt)


@st.cache_data(max_entries=4, show_spinner="Preparing the export…")
def _export(key: tuple[str, str, str], version: str, fmt: str) -> str:
    return format_corpus(_store(*key).corrected(), fmt)


PALETTE = ("#7aecec", "#feca74", "#aa9cfc", "#9cc9cc", "#bfe1d9", "#ff9561", "#ffeb80", "#e4e7d2", "#f2a7c3")


def review_queue(dataset: str) -> ReviewQueue:
    """The review queue of a dataset."""
    return _review_queue(store_key(dataset))


@st.cache_resource
def _review_queue(key: tuple[str, str, str]) -> ReviewQueue:
    return ReviewQueue(_store(*key))


def dataset_types(dataset: str) -> tuple[str, ...]:
    """The entity types of a dataset's original sentences, most mentioned first (the annotator's number keys)."""
    return _types(store_key(dataset))


@st.cache_resource
def _types(key: tuple[str, str, str]) -> tuple[str, ...]:
    return tuple(mention_shares(_store(*key).original))


def type_colours(types: Sequence[str]) -> dict[str, str]:
    """A colour per type: the GMB types keep theirs, the others take :data:`PALETTE`'s in order."""
    others = [t for t in types if t not in COLOURS]
    return {t: COLOURS.get(t) or PALETTE[others.index(t) % len(PALETTE)] for t in types}


def split_parts(dataset: str) -> dict[str, list[int]]:
    """Corpus indices of a dataset's splits, by name."""
    return _parts(store_key(dataset))


@st.cache_resource
def _parts(key: tuple[str, str, str]) -> dict[str, list[int]]:
    return dict(zip(("train", "val", "test"), split_indices(len(_store(*key).original))))


def remember(key: str, default: object) -> None:
    """Keep widget ``key``'s value across a page switch (Streamlit drops the state of widgets it does not draw).

    Call before drawing the widget, which then gets no default of its own.
    """
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"{key}__kept", default)
    st.session_state[f"{key}__kept"] = st.session_state[key]


def plain(text: str) -> str:
    """``text`` with Markdown's special characters escaped, for a message that quotes user data."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~$:" else c for c in text)
