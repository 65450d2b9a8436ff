"""The one UI helper module: cached resources and small renderers shared by pages."""
from __future__ import annotations

import os

import streamlit as st

from ner_core.data.corpus import SPLITS, Split, format_problem
from ner_core.data.tags import mention_shares
from ner_core.quality.review_queue import ReviewQueue
from ner_core.storage.datasets import DEFAULT_DATASET, dataset_paths, import_dataset
from ner_core.storage.db import default_db_url, shared_engine
from ner_core.storage.store import CorrectionStore
from ner_core.storage.users import User
from ner_core.workbench.registry import data_dir
from pages.render import DATASET_KEY, type_colours

ERRORS_FIRST_SPLIT = SPLITS[-1]  # the split Error analysis opens on (the test split; pages/warm_up.py tags it)
REVIEW_FIRST_SPLIT = SPLITS[0]  # the split the review queue opens on (the training split; pages/warm_up.py fills it)


def current_dataset() -> str:
    """The dataset chosen in the sidebar (``default``, the project's corpus, until another is chosen; the first one on
    this machine when its file is not)."""
    name, found = st.session_state.get(DATASET_KEY, DEFAULT_DATASET), datasets()
    return name if name in found else next(iter(found), DEFAULT_DATASET)


def dataset_colours(dataset: str) -> dict[str, str]:
    """A colour per entity type of ``dataset`` (see :func:`type_colours`)."""
    return type_colours(dataset_types(dataset))


def current_split(dataset: str = DEFAULT_DATASET) -> tuple[Split, str]:
    """The split of a corrected dataset (the sentences added from its pool in its training part), and its data
    version (a cache key)."""
    version = correction_store(dataset).version()
    return _split(store_key(dataset), version), version


def split_source_key(dataset: str, part: str, version: str) -> str:
    """What identifies a split of a dataset's data version in the analysis caches."""
    return f"{store_key(dataset)}:split:{part}@{version}"


@st.cache_resource(max_entries=2, show_spinner="Applying the corrections…")
def _split(key: tuple[str, str, str], version: str) -> Split:
    return _store(*key).split()


def correction_store(dataset: str = DEFAULT_DATASET) -> CorrectionStore:
    """Corrections of a dataset (``default``: the project's corpus), in the configured database."""
    return _store(*store_key(dataset))


def store_key(dataset: str) -> tuple[str, str, str]:
    """What identifies a dataset's data in the caches: database URL, name and corpus file."""
    return default_db_url(), dataset, datasets()[dataset]


@st.cache_resource(show_spinner="Opening the corrections database…")
def _store(url: str, dataset: str, corpus: str) -> CorrectionStore:
    return CorrectionStore(shared_engine(url), dataset, corpus)


def datasets() -> dict[str, str]:
    """Every dataset whose corpus file is on this machine: the default corpus first, then the imported ones."""
    return {name: path for name, path in dataset_paths(shared_engine()).items() if os.path.isfile(path)}


def import_upload(name: str, data: bytes, filename: str, user: User | None = None,
                  dev: tuple[bytes, str] | None = None, test: tuple[bytes, str] | None = None) -> str:
    """Register an uploaded corpus (``dev`` and ``test``: its own split) as a dataset; the reads' summaries, or why not."""
    summary: list[str] = []
    import_dataset(shared_engine(), name, data, filename, data_dir() / "datasets", log=summary.append, user=user, dev=dev, test=test)
    return "\n".join(summary)


def corpus_export(dataset: str, version: str, fmt: str, scheme: str = "IOB2") -> bytes:
    """A corrected dataset, with the sentences added from its pool, as a file of ``fmt``, tags in ``scheme`` (cached per data version)."""
    return _export(store_key(dataset), version, fmt, scheme)


@st.cache_data(max_entries=2, show_spinner="Preparing the export…")
def _export(key: tuple[str, str, str], version: str, fmt: str, scheme: str) -> bytes:
    return _store(*key).export(fmt, scheme)


def export_problem(dataset: str, version: str, fmt: str) -> str | None:
    """Why a dataset's data version cannot be exported as ``fmt`` (see :func:`format_problem`), checked once per version."""
    return _export_problem(store_key(dataset), version, fmt)


@st.cache_data(max_entries=8, show_spinner=False)
def _export_problem(key: tuple[str, str, str], version: str, fmt: str) -> str | None:
    return format_problem(_store(*key).corpus(), fmt)


def review_queue(dataset: str) -> ReviewQueue:
    """The review queue of a dataset."""
    return _review_queue(store_key(dataset))


@st.cache_resource
def _review_queue(key: tuple[str, str, str]) -> ReviewQueue:
    return ReviewQueue(_store(*key))


def dataset_types(dataset: str) -> tuple[str, ...]:
    """A dataset's entity types in the annotator's key order: its file's, most mentioned first, then those added."""
    return (found := _types(store_key(dataset))) + tuple(t for t in correction_store(dataset).added_types() if t not in found)


@st.cache_resource
def _types(key: tuple[str, str, str]) -> tuple[str, ...]:
    return tuple(mention_shares(_store(*key).original))


def split_parts(dataset: str) -> dict[str, list[int]]:
    """Corpus indices of a dataset's splits, by name."""
    return _parts(store_key(dataset))


@st.cache_resource
def _parts(key: tuple[str, str, str]) -> dict[str, list[int]]:
    return dict(zip(SPLITS, _store(*key).split_indices()))


def split_ids(dataset: str, part: str, version: str) -> list[int]:
    """Corpus indices of the sentences of ``current_split(dataset)``'s ``part``, in order: the original ones, then
    (in the training part) those added from the pool."""
    return _split_ids(store_key(dataset), version)[part]


@st.cache_resource(max_entries=2, show_spinner=False)
def _split_ids(key: tuple[str, str, str], version: str) -> dict[str, list[int]]:
    ids = dict(_parts(key))
    ids[SPLITS[0]] = [*ids[SPLITS[0]], *sorted(_store(*key).added())]
    return ids
