"""Corrections of gold annotations, in a database (SQLite by default, any SQLAlchemy URL).

Every change is a row: dataset, sentence, token, old tag, new tag, author, time. A save of one
sentence (or of several at once) is one batch (one transaction); undo marks an author's latest
live batch as reverted. Every sentence has a version, bumped in the same transaction by each save
and undo that changes it: a save may name the version it was edited from and is refused when it is
stale (two tabs, two annotators). The corrected corpus is the original file plus, per token, the
latest live correction; the original file is never modified.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Callable, Mapping, NamedTuple, Sequence

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .corpus import Sentence, read_corpus
from .db import Base, default_db_url, make_engine
from .tags import TagSet, iob2_errors, repair_iob2, tag_type
from .users import User, require

__all__ = ["Base", "CorrectionError", "CorrectionStore", "SaveResult", "StaleSaveError", "Undone", "default_db_url", "import_dataset", "list_datasets", "make_engine"]


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Correction(Base):
    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    sentence: Mapped[int] = mapped_column(Integer, index=True)
    token: Mapped[int] = mapped_column(Integer)
    old_tag: Mapped[str] = mapped_column(String(16))
    new_tag: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    batch: Mapped[str] = mapped_column(String(32), index=True)
    reverted: Mapped[bool] = mapped_column(Boolean, default=False)


class SentenceVersion(Base):
    """A sentence's version: 0 before its first save, bumped by every save and undo that touches it."""
    __tablename__ = "sentence_versions"
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    sentence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CorrectionError(ValueError):
    """A correction that cannot be stored (unknown tag, wrong length, invalid IOB2)."""


class StaleSaveError(CorrectionError):
    """A save edited from a version of the sentence that is no longer current; nothing was written."""

    def __init__(self, sentence: int, tags: list[str], version: int, author: str | None) -> None:
        self.sentence, self.tags, self.version, self.author = sentence, tags, version, author
        super().__init__(f"sentence {sentence} was changed by {author or 'someone'} since you opened it "
                         f"(now version {version}); nothing was saved: reload it and redo your change")


class _Stale(Exception):
    """Internal: a compare-and-swap lost; the transaction is rolled back."""


class _Unchanged(Exception):
    """Internal: a save that changes no tag; the transaction is rolled back."""


class Undone(NamedTuple):
    sentence: int  # the first sentence undone
    tokens: list[int]  # its token positions undone
    sentences: list[int]  # every sentence undone (a batch may span several)


@dataclass(frozen=True)
class SaveResult:
    changed: int  # tokens whose tag changed
    repaired: list[int]  # positions turned from I-x into B-x to keep IOB2 valid


class CorrectionStore:
    """Corrections of one corpus file (a "dataset"), read and written through ``engine``."""

    def __init__(self, engine: Engine, dataset: str, path: str | os.PathLike, sentences: Sequence[Sentence] | None = None) -> None:
        self.engine, self.name, self.path = engine, dataset, str(path)
        self.original = list(sentences) if sentences is not None else read_corpus(path)
        for _ in range(2):  # a second process may create the dataset's row at the same moment
            try:
                with Session(engine) as session, session.begin():
                    row = session.scalar(select(Dataset).where(Dataset.name == dataset))
                    if row is None:
                        row = Dataset(name=dataset, path=self.path, created_at=_now())
                        session.add(row)
                        session.flush()
                    self.dataset_id = row.id
                    return
            except IntegrityError:
                continue

    @cached_property
    def tagset(self) -> TagSet:
        """The dataset's entity types (from its original file) and which are weak; corrections use these tags."""
        return TagSet.from_sentences(self.original)

    # ------------------------------------------------------------ writing

    def save(self, sentence: int, tags: Sequence[str], author: str = "anonymous", expected_version: int | None = None,
             repair: bool = True) -> SaveResult:
        """Store the tags of one sentence: one row per changed token, in one transaction.

        Tags that break IOB2 are repaired (``I-x`` -> ``B-x``) or, with ``repair=False``, refused.
        With ``expected_version`` (from :meth:`sentence_version` when the sentence was opened), a
        sentence changed since then is refused with :class:`StaleSaveError` and nothing is written.
        """
        expected = None if expected_version is None else {sentence: expected_version}
        return self.save_many({sentence: tags}, author, expected, repair)

    def save_many(self, changes: Mapping[int, Sequence[str]], author: str = "anonymous",
                  expected: Mapping[int, int] | None = None, repair: bool = True) -> SaveResult:
        """Store the tags of several sentences as one batch: all or nothing, undone together.

        Every sentence is checked before anything is written; ``repaired`` lists the repaired
        positions of the first sentence with any (the only one, for a single sentence). Each changed
        sentence's version is bumped in the same transaction; ``expected`` maps sentences to the
        version they were edited from (compare-and-swap: a stale one refuses the whole batch).
        """
        for sentence in changes:
            self._check_index(sentence)
        batch, now = uuid.uuid4().hex, _now()
        expected = expected or {}
        try:
            with Session(self.engine) as session, session.begin():
                # versions first: the row locks serialise concurrent saves of a sentence before it is read
                for sentence in sorted(changes):
                    if not _bump(session, self.dataset_id, sentence, author, now, expected.get(sentence)):
                        raise _Stale(sentence)
                rows, repaired = [], []
                for sentence, tags in changes.items():
                    current = self._current(session, sentence)
                    tags = list(tags)
                    if len(tags) != len(current):
                        raise CorrectionError(f"sentence {sentence} has {len(current)} tokens, got {len(tags)} tags")
                    unknown = self.tagset.unknown_tags(tags)
                    if unknown:
                        raise CorrectionError(f"unknown tag(s): {', '.join(unknown)}")
                    broken = iob2_errors(tags)
                    if broken and not repair:
                        raise CorrectionError(f"invalid IOB2 at token(s) {', '.join(map(str, broken))}: an I- tag must follow B- or I- of its type")
                    repaired = repaired or broken
                    rows += [
                        Correction(dataset_id=self.dataset_id, sentence=sentence, token=i, old_tag=old, new_tag=new,
                                   author=author, created_at=now, batch=batch, reverted=False)
                        for i, (old, new) in enumerate(zip(current, repair_iob2(tags))) if old != new
                    ]
                if not rows:
                    raise _Unchanged(repaired)  # no version bump either
                session.add_all(rows)
        except _Stale as stale:
            raise self._stale(stale.args[0]) from None
        except _Unchanged as unchanged:
            return SaveResult(0, unchanged.args[0])
        return SaveResult(len(rows), repaired)

    def undo(self, author: str, sentence: int | None = None) -> Undone | None:
        """Revert ``author``'s latest live batch (only its rows of ``sentence`` if given).

        Returns the sentence and token positions undone, or None when the author has nothing live;
        an empty author is refused (it would match nobody's or anybody's batch).
        """
        if not author or not author.strip():
            raise CorrectionError("undo needs the name of the annotator whose last change to revert")
        if sentence is not None:
            self._check_index(sentence)
        while True:
            try:
                return self._undo_latest(author, sentence)
            except _Stale:  # undone by a concurrent call meanwhile: look again
                continue

    def _undo_latest(self, author: str, sentence: int | None) -> Undone | None:
        with Session(self.engine) as session, session.begin():
            live = [Correction.dataset_id == self.dataset_id, Correction.reverted.is_(False), Correction.author == author]
            if sentence is not None:
                live.append(Correction.sentence == sentence)
            latest = session.scalar(select(Correction).where(*live).order_by(Correction.id.desc()).limit(1))
            if latest is None:
                return None
            rows = session.execute(select(Correction.sentence, Correction.token).where(*live, Correction.batch == latest.batch)
                                   .order_by(Correction.sentence, Correction.token)).all()
            done = session.execute(update(Correction).where(*live, Correction.batch == latest.batch).values(reverted=True))
            if done.rowcount != len(rows):
                raise _Stale(latest.batch)
            now = _now()
            for touched in sorted({s for s, _ in rows}):
                _bump(session, self.dataset_id, touched, author, now, None)
            first = rows[0][0]
            return Undone(first, [t for s, t in rows if s == first], sorted({s for s, _ in rows}))

    def sentence_version(self, sentence: int) -> int:
        """How many saves and undos have changed the sentence (0: never); pass it back to :meth:`save`."""
        self._check_index(sentence)
        with Session(self.engine) as session:
            row = session.get(SentenceVersion, (self.dataset_id, sentence))
            return row.version if row else 0

    def _stale(self, sentence: int) -> StaleSaveError:
        with Session(self.engine) as session:
            row = session.get(SentenceVersion, (self.dataset_id, sentence))
            tags = self._current(session, sentence)
        return StaleSaveError(sentence, tags, row.version if row else 0, row.author if row else None)

    def _check_index(self, sentence: int) -> None:
        if not 0 <= sentence < len(self.original):
            raise CorrectionError(f"no sentence {sentence}: the dataset has {len(self.original)}")

    def _current(self, session: Session, sentence: int) -> list[str]:
        tags = list(self.original[sentence].tags)
        for row in self._live(session, sentence):
            tags[row.token] = row.new_tag
        return tags

    # ------------------------------------------------------------ reading

    def _live(self, session: Session, sentence: int | None = None) -> list[Correction]:
        query = select(Correction).where(Correction.dataset_id == self.dataset_id, Correction.reverted.is_(False))
        if sentence is not None:
            query = query.where(Correction.sentence == sentence)
        return list(session.scalars(query.order_by(Correction.id)))

    def tags(self, sentence: int) -> list[str]:
        """The current tags of a sentence: original plus the latest live correction per token."""
        self._check_index(sentence)
        with Session(self.engine) as session:
            return self._current(session, sentence)

    def corrected(self) -> list[Sentence]:
        """The whole corrected corpus."""
        with Session(self.engine) as session:
            rows = self._live(session)
        tags = {}
        for row in rows:
            tags.setdefault(row.sentence, list(self.original[row.sentence].tags))[row.token] = row.new_tag
        return [Sentence(s.words, tuple(tags[i]), s.pos) if i in tags else s for i, s in enumerate(self.original)]

    def history(self, sentence: int | None = None, limit: int = 500) -> list[dict]:
        """Every change (reverted ones too), newest first."""
        with Session(self.engine) as session:
            query = select(Correction).where(Correction.dataset_id == self.dataset_id)
            if sentence is not None:
                query = query.where(Correction.sentence == sentence)
            rows = session.scalars(query.order_by(Correction.id.desc()).limit(limit))
            return [
                {"time": r.created_at, "sentence": r.sentence, "token": r.token,
                 "word": self.original[r.sentence].words[r.token], "old": r.old_tag, "new": r.new_tag,
                 "author": r.author, "undone": r.reverted}
                for r in rows
            ]

    def corrected_sentence_ids(self) -> set[int]:
        """Sentences whose current tags differ from the original."""
        corrected = self.corrected()
        return {i for i, (a, b) in enumerate(zip(self.original, corrected)) if a.tags != b.tags}

    def version(self) -> str:
        """``"<rows>:<reverted rows>"``: changes with every save and undo (a cache key, a retrain's data version)."""
        with Session(self.engine) as session:
            mine = Correction.dataset_id == self.dataset_id
            total = session.scalar(select(func.count()).where(mine))
            reverted = session.scalar(select(func.count()).where(mine, Correction.reverted.is_(True)))
        return f"{total}:{reverted}"

    def counts(self) -> dict[str, object]:
        """Corrected sentences and tokens, and corrected tokens by (new) entity type."""
        by_type: Counter = Counter()
        sentences = tokens = 0
        for before, after in zip(self.original, self.corrected()):
            changed = [(a, b) for a, b in zip(before.tags, after.tags) if a != b]
            sentences += bool(changed)
            tokens += len(changed)
            by_type.update(tag_type(b) or tag_type(a) or "O" for a, b in changed)
        return {"sentences": sentences, "tokens": tokens, "by_type": dict(by_type)}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _bump(session: Session, dataset_id: int, sentence: int, author: str, now: datetime, expected: int | None) -> bool:
    """Version + 1 (compare-and-swap when ``expected`` is given); False when the version was not ``expected``."""
    key = (SentenceVersion.dataset_id == dataset_id, SentenceVersion.sentence == sentence)
    if expected is not None:
        key += (SentenceVersion.version == expected,)
    while True:
        done = session.execute(update(SentenceVersion).where(*key).values(version=SentenceVersion.version + 1, author=author, updated_at=now))
        if done.rowcount == 1:
            return True
        if expected not in (None, 0):
            return False
        try:  # no row yet: version 0 -> 1 (a concurrent first save wins the insert, the other one retries or is stale)
            with session.begin_nested():
                session.add(SentenceVersion(dataset_id=dataset_id, sentence=sentence, version=1, author=author, updated_at=now))
            return True
        except IntegrityError:
            if expected == 0:
                return False


def list_datasets(engine: Engine) -> dict[str, str]:
    """Dataset name -> corpus file, for every dataset the database knows."""
    with Session(engine) as session:
        return {d.name: d.path for d in session.scalars(select(Dataset).order_by(Dataset.id))}


def import_dataset(engine: Engine, name: str, data: bytes, filename: str, directory: str | os.PathLike,
                   log: Callable[[str], None] | None = None, user: User | None = None) -> CorrectionStore:
    """Check an uploaded corpus, keep its sentences under ``directory`` and register it as dataset ``name``.

    The sentences are kept as read (JSON lines, IOB2, tokenised once), so a later tokenizer or
    reader change cannot move the tokens its corrections point at. ``log`` receives the read's
    summary (format, encoding, sizes, tags converted). A file that cannot be read (format,
    encoding, malformed tags, size) raises :class:`CorpusError` with the reason; nothing is
    written then; so is a ``user`` who may not import (only admins may, once users exist).
    """
    from .corpus import load_corpus_bytes, write_corpus

    require(user, "import")
    name = name.strip()
    if not name or not all(c.isalnum() or c in "-_ ." for c in name):
        raise CorrectionError("a dataset name needs letters, digits, spaces, '-', '_' or '.'")
    if name in list_datasets(engine):
        raise CorrectionError(f"a dataset named {name!r} exists already")
    read = load_corpus_bytes(data, filename)
    target = Path(directory) / f"{uuid.uuid4().hex}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_corpus(read.sentences, target)
    try:
        store = CorrectionStore(engine, name, target, read.sentences)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if log is not None:
        log(read.summary())
    return store
