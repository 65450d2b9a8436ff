"""Datasets by name: the project's corpus (:data:`DEFAULT_DATASET`) and every imported one.

:func:`open_dataset` is the one way from a dataset's name to its corrections: the app, the CLI and
the jobs use it. An imported corpus is kept as read (JSON lines, IOB2) under the data folder and
registered in the database with the tag scheme of its file, so every app instance of a team sees it.
"""
from __future__ import annotations

import filecmp
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.corpus import COVERING, CorpusError, CorpusFile, default_corpus_path, load_corpus, load_corpus_bytes, write_corpus
from ..data.tags import OUTSIDE, tag_type
from .db import SQLITE_FILE, data_path, shared_engine
from .schema import DATASET_NAME_MAX, Dataset
from .store import CorrectionError, CorrectionStore, _now, refuse_when_full
from .users import User, require

DEFAULT_DATASET = "default"
"""The project's corpus (``$NER_CORPUS``, see :func:`~ner_core.data.corpus.default_corpus_path`)."""


def dataset_paths(engine: Engine | None = None) -> dict[str, str]:
    """Every dataset's corpus file: the default corpus first, then the imported ones."""
    return {DEFAULT_DATASET: str(default_corpus_path())} | list_datasets(engine or shared_engine())


def open_dataset(name: str, engine: Engine | None = None) -> CorrectionStore:
    """The corrections of dataset ``name``; :class:`CorrectionError` naming the known ones for an unknown name, and
    saying how to restore an archived one."""
    engine = engine or shared_engine()
    paths = dataset_paths(engine)
    if name not in paths:
        archived = archived_datasets(engine).get(name)
        if archived is not None:
            raise CorrectionError(f"the dataset {name!r} was archived by {archived[0]} on {archived[1]:%Y-%m-%d %H:%M}: "
                                  f"restore it first (`python -m ner_core datasets restore --dataset {name!r}`)")
        raise CorrectionError(f"no dataset named {name!r}; known: {', '.join(paths)}")
    return CorrectionStore(engine, name, paths[name])


def list_datasets(engine: Engine) -> dict[str, str]:
    """Dataset name -> corpus file, for every dataset the database knows but the archived ones."""
    with Session(engine) as session:
        return {d.name: d.path for d in session.scalars(select(Dataset).where(Dataset.archived_at.is_(None)).order_by(Dataset.id))}


def corpus_owner(path: str | os.PathLike, engine: Engine | None = None) -> str | None:
    """The dataset (the default corpus, an imported or an archived one) whose corpus file ``path`` is, or None: a
    command never writes over one (helper-100: ``predict --out`` replaced a dataset's sentences with 4 tagged lines)."""
    target = Path(path).resolve()
    if target == default_corpus_path().resolve():
        return DEFAULT_DATASET
    if not target.exists() or not os.environ.get("NER_DB_URL") and not (data_path() / SQLITE_FILE).exists():
        return None  # no file to replace, or no database, so no imported dataset
    with Session(engine or shared_engine()) as session:
        return next((name for name, kept in session.execute(select(Dataset.name, Dataset.path)) if Path(kept).resolve() == target), None)


def dataset_names(engine: Engine | None = None) -> set[str]:
    """Every name taken: the default corpus's, and every imported dataset's, archived ones too."""
    with Session(engine or shared_engine()) as session:
        return {DEFAULT_DATASET, *session.scalars(select(Dataset.name))}


def archived_datasets(engine: Engine) -> dict[str, tuple[str, datetime]]:
    """Archived dataset name -> who archived it and when."""
    with Session(engine) as session:
        return {name: (by, at) for name, by, at in session.execute(select(Dataset.name, Dataset.archived_by, Dataset.archived_at)
                                                                   .where(Dataset.archived_at.is_not(None)).order_by(Dataset.id))}


def archive_dataset(engine: Engine, name: str, author: str, user: User | None = None, restore: bool = False) -> None:
    """Hide an imported dataset from every list (or, with ``restore``, show it again); its file, corrections, pool and
    models are kept whole. Admins only, once users exist; the default corpus is never archived."""
    require(user, "archive datasets")
    if name == DEFAULT_DATASET:
        raise CorrectionError("the default corpus cannot be archived: only an imported dataset can")
    with refuse_when_full(), Session(engine) as session, session.begin():
        row = session.scalar(select(Dataset).where(Dataset.name == name))
        if row is None:
            raise CorrectionError(f"no imported dataset named {name!r}")
        if (row.archived_at is None) == restore:
            raise CorrectionError(f"the dataset {name!r} is {'not archived' if restore else 'archived already'}")
        row.archived_at, row.archived_by = (None, None) if restore else (_now(), author)


COVERING_SPLIT = "split 80/10/10, each type of 3 sentences or more in val and test"
"""How a single-file dataset made since migration 0018 is split, in words."""


def split_rules(engine: Engine) -> dict[str, str]:
    """Dataset name -> how it is split, in words: its files' own parts (their sizes), or the seeded 80/10/10 split,
    covering each type (:data:`~ner_core.data.corpus.COVERING`) or plain (a dataset made before migration 0018)."""
    with Session(engine) as session:
        rows = session.execute(select(Dataset.name, Dataset.split_sizes, Dataset.split_rule))
        return {name: "its files' split: " + "/".join(map(str, sizes)) if sizes else
                COVERING_SPLIT if rule == COVERING else "split 80/10/10 (plain: made before 0018)"
                for name, sizes, rule in rows}


def import_scheme(name: str, engine: Engine | None = None) -> str | None:
    """The tag scheme of the file dataset ``name`` was imported from (``IOB2``, ``BIOES``, ...; see
    :attr:`~ner_core.data.corpus.CorpusFile.scheme`); ``None`` for the default corpus or an import from before stop 37."""
    with Session(engine or shared_engine()) as session:
        return session.scalar(select(Dataset.scheme).where(Dataset.name == name))


def name_for_file(filename: str, taken: Iterable[str]) -> str:
    """A free dataset name from an uploaded file's name: ``wnut17_train.conll.zip`` -> ``wnut17_train`` (then
    ``wnut17_train 2`` if that one is taken); characters a name may not hold become ``_``."""
    stem = Path(filename).name.removesuffix(".zip").rsplit(".", 1)[0] or "dataset"
    stem = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in stem).strip()[:DATASET_NAME_MAX - 4] or "dataset"
    taken = set(taken)
    return next(n for n in (stem, *(f"{stem} {i}" for i in range(2, len(taken) + 3))) if n not in taken)


Upload = tuple[bytes | str | os.PathLike, str]  # a file's bytes or path, and its name


def import_dataset(engine: Engine, name: str, data: bytes | str | os.PathLike, filename: str, directory: str | os.PathLike,
                   log: Callable[[str], None] | None = None, user: User | None = None,
                   dev: Upload | None = None, test: Upload | None = None) -> CorrectionStore:
    """Check an uploaded corpus (its bytes, or a file's path, read within the same size cap), keep its sentences
    under ``directory`` and register it as dataset ``name``. With ``dev`` and ``test`` (both or neither), the three
    files are its train, val and test parts, as published; without, its one file is split 80/10/10 (seeded).

    The sentences are kept as read (JSON lines, IOB2, tokenised once), so a later tokenizer or
    reader change cannot move the tokens its corrections point at; the file's tag scheme is recorded
    (:func:`import_scheme`). ``log`` receives the read's summary (format, encoding, sizes, tags converted). A file that cannot be read (format,
    encoding, malformed tags, size) raises :class:`CorpusError` with the reason; nothing is
    written then; so is a ``user`` who may not import (only admins may, once users exist).
    """
    require(user, "import")
    name = name.strip()
    if not name or not all(c.isalnum() or c in "-_ ." for c in name):
        raise CorrectionError("a dataset name needs letters, digits, spaces, '-', '_' or '.'")
    if len(name) > DATASET_NAME_MAX:
        raise CorrectionError(f"a dataset name may hold at most {DATASET_NAME_MAX} characters, got {len(name)}")
    if name in dataset_names(engine):
        raise CorrectionError(f"a dataset named {name!r} exists already" + (" (archived: restore it, or choose another name)"
                                                                            if name in archived_datasets(engine) else ""))
    if (dev is None) != (test is None):
        raise CorrectionError("give both a dev and a test file (the files' own split), or neither (the file is split 80/10/10)")
    reads = [_read(data, filename)] + [_read(*part) for part in (dev, test) if part is not None]
    empty = [r.name for r in reads if not r.sentences]
    if empty:
        raise CorpusError(f"{', '.join(empty)}: no sentence in it; every part of a split needs sentences")
    read, sentences = reads[0], [s for r in reads for s in r.sentences]
    if all(tag == OUTSIDE for s in sentences for tag in s.tags):  # no type to correct, add to or train: every save refused
        raise CorpusError(f"{read.name}: every tag is O, so it names no entity type; a dataset starts from annotated sentences "
                          "(raw text goes into an existing dataset's pool, on New text)")
    target = Path(directory) / f"{uuid.uuid4().hex}.jsonl"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _drop_leftovers(target.parent)
        write_corpus(sentences, target)
    except OSError as err:  # a full or read-only data folder: nothing is kept, nothing registered
        raise CorrectionError(f"nothing was imported: the data folder cannot be written ({err.strerror or err}: "
                              f"{err.filename or target.parent}); free some space or fix its permissions, then import again") from err
    try:  # the name is taken here, by one insert: of two imports under one name at once, the second is refused
        with refuse_when_full(), Session(engine) as session, session.begin():
            session.add(Dataset(name=name, path=str(target), created_at=_now(), scheme=read.scheme,
                                split_sizes=[len(r.sentences) for r in reads] if dev is not None else None,
                                split_rule=None if dev is not None else COVERING))
    except IntegrityError:
        target.unlink(missing_ok=True)
        raise CorrectionError(f"a dataset named {name!r} exists already: it was imported meanwhile (by another user or "
                              "instance); choose another name") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if log is not None:
        for part, each in zip(("", "dev: ", "test: "), reads):
            log(part + each.summary())
        if twin := _same_sentences(engine, name, target, data):  # helper-97: the same file imported twice, a copy unsaid
            log(f"note: the same sentences, in the same order, as dataset {twin!r}: a second copy (archive one if the file "
                "was imported twice by mistake)")
        if unseen := sorted(_types(reads[1:]) - _types(reads[:1])):  # helper-85: imported unsaid
            log(f"note: {', '.join(unseen)} {'is' if len(unseen) == 1 else 'are'} in the dev or test file, never in the training "
                f"file: no model trained on this dataset learns {'it' if len(unseen) == 1 else 'them'} (recall 0), "
                "unless sentences that hold it are added to train (New text)")
    return CorrectionStore(engine, name, target, sentences)


def _same_sentences(engine: Engine, name: str, kept: Path, source: bytes | str | os.PathLike) -> str | None:
    """Another dataset (archived ones too) whose kept sentences are ``kept``'s byte for byte, or the default corpus if
    ``source`` (the file imported, or its bytes) is its file; None if neither."""
    default = default_corpus_path()
    if default.is_file() and (Path(source).resolve() == default.resolve() if not isinstance(source, bytes) else
                              len(source) == default.stat().st_size and source == default.read_bytes()):
        return DEFAULT_DATASET  # helper-99: the project's own corpus imported again
    with Session(engine) as session:
        others = session.execute(select(Dataset.name, Dataset.path).where(Dataset.name != name).order_by(Dataset.id)).all()
    size = kept.stat().st_size
    return next((other for other, path in others if os.path.isfile(path) and os.path.getsize(path) == size
                 and filecmp.cmp(path, kept, shallow=False)), None)


def _types(reads: Iterable[CorpusFile]) -> set[str]:
    return {tag_type(t) for r in reads for s in r.sentences for t in s.tags} - {None}


def _read(data: bytes | str | os.PathLike, filename: str) -> CorpusFile:
    return load_corpus_bytes(data, filename) if isinstance(data, bytes) else load_corpus(data)


def _drop_leftovers(directory: Path, older_than: float = 3600) -> None:
    """Remove the partial files of imports killed while writing (``*.tmp-write``, untouched for ``older_than`` seconds:
    a running import's own is recent)."""
    now = time.time()
    for partial in directory.glob("*.tmp-write"):
        try:
            if now - partial.stat().st_mtime > older_than:
                partial.unlink()
        except OSError:  # gone meanwhile, or not ours to remove
            pass
