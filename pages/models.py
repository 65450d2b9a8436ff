"""The model a page uses: the family chosen in the sidebar, loaded once per process, and the analyses of a
corpus it tagged (tagged once per model and data; another detector threshold only re-votes)."""
from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit.logger import get_logger

from ner_core.data.corpus import Sentence
from ner_core.evaluation.analysis import CorpusAnalysis, analyse, with_threshold
from ner_core.models.checkpoint_dirs import CheckpointError, resolve
from ner_core.models.pipeline import VotedPipeline, load_any
from ner_core.models.runtime import use_server_threads
from ner_core.models.tagger import Tagger
from ner_core.storage.datasets import DEFAULT_DATASET
from ner_core.storage.db import shared_engine
from ner_core.workbench.registry import SHIPPED, active_id, available_models, chosen_recipe, load_index, missing_active

from pages.render import plain, remember
from pages.ui import current_dataset

ANALYSES_KEPT = 3  # tagged corpora kept per process (tens of MB each), and as many votes
_log = get_logger(__name__)


@st.cache_resource(show_spinner="Loading the model…")
def load_model(name: str) -> Tagger | VotedPipeline:
    """A checkpoint or pipeline (name under checkpoints/ or a path), loaded once per process."""
    use_server_threads()
    return load_any(resolve(name))


def family_key(dataset: str) -> str:
    """The session key of the sidebar's model family for ``dataset``: one choice for every page."""
    return f"model_family:{dataset}"


def threshold_key(dataset: str, checkpoint: str) -> str:
    """The session key of the sidebar's detector threshold for the pipeline ``checkpoint`` of ``dataset``: one per
    pipeline (each starts at its own tuned threshold), the same on every page."""
    return f"threshold:{dataset}:{checkpoint}"


def choose_model(dataset: str | None = None) -> tuple[str, str, Tagger | VotedPipeline]:
    """Sidebar: model family (and detector threshold for a pipeline) of ``dataset`` (default: the
    current one), the same choice on every page; without a model, or with one that cannot be loaded, says so and
    stops the page.

    Returns the model's key (its checkpoint and threshold: a cache key, never shown), a label for
    the user (family, model name, registry entry: no server path) and the model."""
    try:
        return _chosen(dataset or current_dataset())
    except CheckpointError as err:
        st.error(f"The model could not be loaded: {err}")
        st.stop()


def _chosen(dataset: str) -> tuple[str, str, Tagger | VotedPipeline]:
    """:func:`choose_model`'s choice; a model that cannot be loaded raises :class:`CheckpointError`."""
    models = available_models(dataset)
    if not models and (missing := missing_active(dataset, shared_engine())):
        st.error(plain(f"No model: {missing}."))
        st.page_link("pages/registry.py", label="Registry", icon=":material/inventory_2:")
        st.stop()
    if not models and dataset == DEFAULT_DATASET:
        st.error("No trained model under checkpoints/. Train one with `python -m ner_core train`.")
        st.stop()
    if not models:
        st.warning(f"The dataset {plain(dataset)} has no trained model yet: train one on the Retrain page.")
        st.page_link("pages/retrain.py", label="Train models", icon=":material/model_training:")
        st.stop()
    remember(family_key(dataset), next(iter(models)))  # kept across a page switch, while the dataset has that family
    if st.session_state[family_key(dataset)] not in models:
        st.session_state[family_key(dataset)] = next(iter(models))
    family = st.sidebar.radio("Model family", list(models), key=family_key(dataset),
                              help="The models every page uses: Bi-LSTM-CRF (GloVe vectors and characters) or BERT-FF "
                                   "(frozen transformer features and a feed-forward layer), each with its own detector")
    entry = active_id(dataset, shared_engine())
    recipe = chosen_recipe(load_index(dataset, shared_engine()), entry)  # helper-78: a fused tagger read as the shipped one
    label = (f"{family}{f' ({recipe} recipe)' if recipe else ''}: {Path(models[family]).name} · "
             + ("shipped model" if entry == SHIPPED else f"registry entry {entry}"))
    model = load_model(models[family])
    if isinstance(model, VotedPipeline) and model.detector is not None:
        key = threshold_key(dataset, models[family])
        remember(key, model.threshold)
        threshold = st.sidebar.slider("Detector threshold", 0.0, 1.0, step=0.01, key=key,
                                      help="A sentence whose P(rare-type entity) is at least this is voted token by token; "
                                           f"below it the strong tagger alone tags it. Each family starts at the value tuned "
                                           f"for it on the val split ({model.threshold:.2f} here)")
        model = model.with_threshold(threshold)
        return f"{models[family]}@{threshold:.2f}", f"{label} · threshold {threshold:.2f}", model
    return models[family], label, model


def optional_model() -> tuple[str, Tagger | VotedPipeline | None]:
    """:func:`choose_model`'s label and model for a page that also works without one; while the current dataset has
    no trained model: no model, with a note that predictions come with training and a link to it; while its model
    cannot be loaded: no model, with a warning that says why."""
    if available_models(current_dataset()):
        try:
            return _chosen(current_dataset())[1:]
        except CheckpointError as err:
            st.warning(plain(f"The model could not be loaded: {err}. The gold tags are edited all the same; "
                             "predictions come back with a model that loads (Registry or Retrain)."))
            return "", None
    if missing := missing_active(current_dataset(), shared_engine()):
        st.warning(plain(f"No predictions: {missing}. The gold tags are edited all the same."))
        return "", None
    st.info("Predictions appear here once a model is trained for this dataset (on the Retrain page).")
    st.page_link("pages/retrain.py", label="Train models", icon=":material/model_training:")
    return "", None


def get_analysis(model_key: str, model: Tagger | VotedPipeline, source_key: str, sentences: list[Sentence],
                 ids: list[int] | None = None) -> CorpusAnalysis:
    """The analysis of ``sentences`` (numbered by ``ids``) by ``model``, cached per process (the few most recent).

    Sentences are tagged once per model and source (``st.cache_resource`` computes a key once: a
    second session asking meanwhile waits for the first); another detector threshold (``model_key``
    ends in ``@threshold``) only redoes the vote from the stored outputs.
    """
    tagged = _tagged(model_key.partition("@")[0], source_key, model, sentences, ids)
    return _voted(model_key, source_key, tagged, model.threshold) if isinstance(model, VotedPipeline) else tagged


@st.cache_resource(max_entries=ANALYSES_KEPT, show_spinner="Tagging the sentences (once per model and data)…")
def _tagged(model_name: str, source_key: str, _model: Tagger | VotedPipeline, _sentences: list[Sentence],
            _ids: list[int] | None) -> CorpusAnalysis:
    started = time.perf_counter()
    bar = st.progress(0.0, text=f"Tagging {len(_sentences):,} sentences…")  # replayed, emptied, on a cache hit
    tagged = analyse(_model, _sentences, progress=lambda f: bar.progress(f, text=f"Tagging… {f:.0%}"), ids=_ids)
    bar.empty()
    _log.info("tagged %d sentences with %s in %.1f s", len(_sentences), Path(model_name).name, time.perf_counter() - started)
    return tagged


@st.cache_resource(max_entries=ANALYSES_KEPT, show_spinner=False)
def _voted(model_key: str, source_key: str, _tagged: CorpusAnalysis, _threshold: float) -> CorpusAnalysis:
    return with_threshold(_tagged, _threshold)
