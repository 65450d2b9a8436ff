"""Corrections of gold annotations, in a database (SQLite by default, any SQLAlchemy URL).

Every change is a row: dataset, sentence, token, old tag, new tag, author, time. A save of one
sentence (or of several at once) is one batch (one transaction, one batch id); undo marks one batch
(named by its id, or the author's latest) as reverted. Every sentence has a version, bumped in the
same transaction by each save and undo that changes it. A reader takes a sentence's tags and
version together (:meth:`CorrectionStore.snapshot`); every write names the version it was computed
from and is refused when it is stale (two tabs, two annotators), so nothing is reverted silently.
An undo is refused when someone else changed the sentence after the batch. The corrected corpus is
the original file plus, per token, the latest live correction; the original file is never modified.
Sentences added from the dataset's pool (:mod:`.pool`) follow the original ones (index ``len(original)``
on), start as all ``O`` and carry their tags as corrections; they always belong to the training split.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InternalError, OperationalError
from sqlalchemy.orm import Session

from ..data.corpus import COVERING, Sentence, Split, corpus_bytes, read_corpus, split_indices
from ..data.tags import OUTSIDE, TagSet, iob2_errors, repair_iob2, tag_type
from ..data.tokenize import TokenStyle
from .schema import (AUTHOR_MAX, POOL_ADDED, POOL_OPEN, AnnotatorPosition, Assignment, Correction, CorrectionReview, Dataset,
                     EntityType, PoolSentence, ReviewDecision, SentenceVersion)

__all__ = ["CorrectionError", "CorrectionStore", "SaveResult", "SentenceState", "StaleSaveError", "StorageFullError", "StorageWriteError", "Undone",
           "UnknownTags", "bump_version", "check_known", "database_failure", "refuse_when_full", "reopen_batch"]


class CorrectionError(ValueError):
    """A correction that cannot be stored (unknown tag, wrong length, invalid IOB2)."""


class UnknownTags(CorrectionError):
    """Tags of no type of the dataset: a mistyped tag, or a type an admin removed while the page offered it."""

    def __init__(self, unknown: Sequence[str], message: str) -> None:
        self.unknown = sorted(unknown)
        super().__init__(message)


def check_known(tagset: TagSet, tags: Sequence[str]) -> None:
    """Refuse ``tags`` holding a tag of no type of ``tagset`` (:class:`UnknownTags`)."""
    unknown = tagset.unknown_tags(tags)
    if unknown:
        raise UnknownTags(unknown, f"unknown tag(s): {', '.join(unknown)}: no type of the dataset now (its types: "
                                   f"{', '.join(tagset.types)}); a type removed meanwhile is one of these")


class StaleSaveError(CorrectionError):
    """A write computed from a version of the sentence that is no longer current; nothing was written.

    ``tags``, ``version`` and ``author`` describe the sentence as it is now, to show beside the user's own.
    """

    def __init__(self, sentence: int, tags: list[str], version: int, author: str | None, what: str = "saved",
                 advice: str | None = None) -> None:
        self.sentence, self.tags, self.version, self.author = sentence, tags, version, author
        # an undo again would meet their change again: the way out is an edit
        default = "edit its tags yourself to set back what you still want changed" if what == "undone" else "reload it and redo your change"
        when = "after your save" if what == "undone" else "since you opened it"  # an undo: the save it would take back
        super().__init__(f"sentence {sentence} was changed by {author or 'someone'} {when} "
                         f"(now version {version}); nothing was {what}: {advice or default}")


class StorageWriteError(CorrectionError):
    """The database refused a write (a full disk, a read-only file, a disk error). Nothing was saved."""


class StorageFullError(StorageWriteError):
    """The database could not write: its disk is full. Nothing was saved."""


class _Stale(Exception):
    """Internal: a compare-and-swap lost; the transaction is rolled back."""


class Undone(NamedTuple):
    sentence: int  # the first sentence undone
    tokens: list[int]  # its token positions undone
    sentences: list[int]  # every sentence undone (a batch may span several)
    batch: str  # the batch undone


class SentenceState(NamedTuple):
    """A sentence's current tags and version, read together; ``author`` saved that version (None: never saved)."""

    tags: list[str]
    version: int
    author: str | None


@dataclass(frozen=True)
class SaveResult:
    changed: int  # tokens whose tag changed
    repaired: list[int]  # positions turned from I-x into B-x to keep IOB2 valid
    batch: str | None = None  # the batch id to undo it by (None when nothing changed)


class CorrectionStore:
    """Corrections of one corpus file (a "dataset"), read and written through ``engine``."""

    def __init__(self, engine: Engine, dataset: str, path: str | os.PathLike, sentences: Sequence[Sentence] | None = None) -> None:
        self.engine, self.name, self.path = engine, dataset, str(path)
        self.original = list(sentences) if sentences is not None else read_corpus(path, limited=False)  # taken in before: a
        # limit lowered since holds new input, not the dataset's own file (helper-83: every pool add failed on the corpus)
        self._added_words: dict[int, tuple[str, ...]] = {}  # corpus index -> words of a sentence added from the pool
        for _ in range(2):  # a second process may create the dataset's row at the same moment
            try:
                with Session(engine) as session, session.begin():
                    row = session.scalar(select(Dataset).where(Dataset.name == dataset))
                    if row is None:
                        row = Dataset(name=dataset, path=self.path, created_at=_now(), split_rule=COVERING)  # the CLI's
                        session.add(row)
                        session.flush()
                    self.dataset_id, self.split_sizes, self.split_rule = row.id, row.split_sizes, row.split_rule
                    return
            except IntegrityError:
                continue

    @property
    def tagset(self) -> TagSet:
        """The dataset's entity types and which are weak: its file's, by the rule the CLI uses (:meth:`TagSet.of_split`,
        on its original sentences' split, :meth:`split_indices`), then those added in the app, weak
        (:mod:`.entity_types`); corrections use these tags."""
        added = [t for t in self.added_types() if t not in self.file_tagset.types]
        return TagSet(self.file_tagset.types + tuple(added), self.file_tagset.weak | set(added)) if added else self.file_tagset

    def added_types(self) -> list[str]:
        """The entity types added to the dataset in the app (:mod:`.entity_types`), in the order they were added."""
        with Session(self.engine) as session:
            return list(session.scalars(select(EntityType.name).where(EntityType.dataset_id == self.dataset_id).order_by(EntityType.id)))

    @cached_property
    def file_tagset(self) -> TagSet:
        """The entity types of the dataset's file, weak by the rule the CLI uses."""
        train, val, test = ([self.original[i] for i in part] for part in self.split_indices())
        return TagSet.of_split(train, [*val, *test])

    def split_indices(self) -> tuple[list[int], list[int], list[int]]:
        """The original sentences of the train, val and test parts: the files' own where the dataset was imported
        with its dev and test files, else the seeded 80/10/10 split (:func:`~ner_core.data.corpus.split_indices`),
        each entity type in every part for a dataset imported since migration 0018."""
        return tuple(list(part) for part in self._parts)

    @cached_property
    def token_style(self) -> TokenStyle:
        """How the dataset's file tokenises hyphenated words and possessives: new text for it is tokenised alike."""
        return TokenStyle.of(word for sentence in self.original for word in sentence.words)

    @cached_property
    def _parts(self) -> tuple[list[int], list[int], list[int]]:  # the original sentences are read once, never change
        n = len(self.original)
        if not self.split_sizes:
            return split_indices(n, covering=self.original if self.split_rule == COVERING else None)
        train, val, _ = self.split_sizes
        return list(range(train)), list(range(train, train + val)), list(range(train + val, n))

    # ------------------------------------------------------------ writing

    def save(self, sentence: int, tags: Sequence[str], author: str = "anonymous", expected_version: int | None = None,
             repair: bool = True, also: Callable[[Session, SaveResult], None] | None = None) -> SaveResult:
        """Store the tags of one sentence: one row per changed token, in one transaction.

        Tags that break IOB2 are repaired (``I-x`` -> ``B-x``) or, with ``repair=False``, refused.
        ``expected_version`` is the version the tags were computed from (from :meth:`snapshot`); a
        sentence changed since is refused with :class:`StaleSaveError` and nothing is written.
        """
        expected = None if expected_version is None else {sentence: expected_version}
        return self.save_many({sentence: tags}, author, expected, repair, also)

    def save_many(self, changes: Mapping[int, Sequence[str]], author: str = "anonymous",
                  expected: Mapping[int, int] | None = None, repair: bool = True,
                  also: Callable[[Session, SaveResult], None] | None = None) -> SaveResult:
        """Store the tags of several sentences as one batch: all or nothing, undone together.

        Every sentence is checked before anything is written; ``repaired`` lists the repaired
        positions of the first sentence with any (the only one, for a single sentence). Only the
        sentences whose tags change get a new version, by compare-and-swap on the version their
        tags were read at; ``expected`` maps sentences to the version the caller computed them
        from (a stale one refuses the whole batch). ``also(session, result)`` runs in the same
        transaction (a decision recorded with its save), also when nothing changes.
        """
        _check_author(author)
        for sentence in changes:
            self._check_index(sentence)
            if not self.in_corpus(sentence):
                raise CorrectionError(f"sentence {sentence} is not in the corpus: its add from the pool was undone or rejected, "
                                      "so nothing is saved to it (add it again on New text)")
        expected = expected or {}
        while True:
            states = self.snapshots(changes)
            for sentence, version in expected.items():
                if states[sentence].version != version:
                    raise self._stale(sentence)
            rows, repaired, versions = self._rows(changes, states, author, repair)
            result = SaveResult(len(rows), repaired, rows[0].batch if rows else None)
            if not rows and also is None:
                return result  # nothing to write
            try:
                with refuse_when_full(), Session(self.engine) as session, session.begin():
                    for sentence in sorted(versions):  # in order: concurrent batches lock version rows alike
                        if not bump_version(session, self.dataset_id, sentence, author, rows[0].created_at, versions[sentence]):
                            raise _Stale(sentence)
                    self.check_open(session)
                    self.check_types(session, (r.new_tag for r in rows))
                    session.add_all(rows)
                    if also is not None:
                        also(session, result)
            except _Stale as stale:
                if stale.args[0] in expected:
                    raise self._stale(stale.args[0]) from None
                continue  # changed between our read and our write, and the caller named no version: read again
            return result

    def _rows(self, changes: Mapping[int, Sequence[str]], states: Mapping[int, "SentenceState"], author: str,
              repair: bool) -> tuple[list[Correction], list[int], dict[int, int]]:
        """The correction rows of ``changes`` against ``states``, the repaired positions, and the version read
        of each sentence that changes."""
        batch, now = uuid.uuid4().hex, _now()
        rows, repaired, versions, tagset = [], [], {}, self.tagset
        for sentence, tags in changes.items():
            current, tags = states[sentence].tags, list(tags)
            if len(tags) != len(current):
                raise CorrectionError(f"sentence {sentence} has {len(current)} tokens, got {len(tags)} tags")
            check_known(tagset, tags)
            broken = iob2_errors(tags)
            if broken and not repair:
                raise CorrectionError(f"invalid IOB2 at token(s) {', '.join(map(str, broken))}: an I- tag must follow B- or I- of its type")
            repaired = repaired or broken
            new = [Correction(dataset_id=self.dataset_id, sentence=sentence, token=i, old_tag=old, new_tag=tag,
                              author=author, created_at=now, batch=batch, reverted=False)
                   for i, (old, tag) in enumerate(zip(current, repair_iob2(tags))) if old != tag]
            if new:
                rows += new
                versions[sentence] = states[sentence].version
        return rows, repaired, versions

    def undo(self, author: str, sentence: int | None = None, *, batch: str | None = None,
             expected_version: int | None = None, also: Callable[[Session, str], None] | None = None) -> Undone | None:
        """Revert one of ``author``'s live batches: ``batch`` if named, else their latest (on ``sentence`` if given,
        and then only its rows of ``sentence``).

        Refused with :class:`StaleSaveError` when someone else changed a sentence of the batch after it
        (undoing it would mix their change with the older tags), or when ``expected_version`` (of
        ``sentence``, as the user sees it) is no longer current; with :class:`CorrectionError` when a reviewer
        accepted the batch (the author changes its tags by a new save). Returns what was undone, or None when
        there is nothing live to undo. An empty author is refused (it would match anybody's batch).
        """
        if not author or not author.strip():
            raise CorrectionError("undo needs the name of the annotator whose last change to revert")
        if sentence is not None:
            self._check_index(sentence)
        while True:
            try:
                with refuse_when_full():
                    return self._undo(author, sentence, batch, expected_version, also)
            except _Stale:  # another undo or save of these sentences meanwhile: look again
                continue
            except _Newer as newer:  # undoing now would set back their later change with it: undo again cannot help
                raise self._stale(newer.args[0], "undone", f"their later save keeps your change from being undone; edit "
                                  f"sentence {newer.args[0]} on Annotate to set back what you still want changed") from None

    def _undo(self, author: str, sentence: int | None, batch: str | None, expected_version: int | None,
              also: Callable[[Session, str], None] | None) -> Undone | None:
        live = [Correction.dataset_id == self.dataset_id, Correction.reverted.is_(False), Correction.author == author]
        if sentence is not None:
            live.append(Correction.sentence == sentence)
        with Session(self.engine) as session:
            if batch is None:
                latest = session.scalar(select(Correction.batch).where(*live).order_by(Correction.id.desc()).limit(1))
                if latest is None:
                    return None
                batch = latest
            rows = session.execute(select(Correction.id, Correction.sentence, Correction.token, Correction.old_tag)
                                   .where(*live, Correction.batch == batch).order_by(Correction.sentence, Correction.token)).all()
        if not rows:
            return None
        removed = self.tagset.unknown_tags([r.old_tag for r in rows])
        if removed:  # no later save on these sentences (else refused below): their tags go back to the rows' old ones
            raise CorrectionError(f"undoing this save would bring back {', '.join(removed)}, of a type removed since: add the "
                                  "type again (Annotate's Entity types) to undo it, or change the tags by a new save")
        touched = sorted({r.sentence for r in rows})
        states = self.snapshots(touched)
        if sentence is not None and expected_version is not None and states[sentence].version != expected_version:
            raise self._stale(sentence, "undone")
        with Session(self.engine) as session, session.begin():
            now = _now()
            for s in touched:  # the versions read must still be current: nothing changed since the check below
                if not bump_version(session, self.dataset_id, s, author, now, states[s].version):
                    raise _Stale(s)
            self.check_open(session)
            self.check_types(session, (r.old_tag for r in rows))
            newer = session.scalar(select(Correction.sentence).where(
                Correction.dataset_id == self.dataset_id, Correction.reverted.is_(False), Correction.sentence.in_(touched),
                Correction.id > max(r.id for r in rows), Correction.batch != batch).limit(1))
            if newer is not None:
                raise _Newer(newer)
            reviewed = session.get(CorrectionReview, batch)
            if reviewed is not None:  # its decision stands for what it changed: the author changes it by a new save
                raise CorrectionError(f"this save (sentence(s) {', '.join(map(str, touched))}) was {reviewed.decision} by "
                                      f"{reviewed.reviewer} on {reviewed.reviewed_at:%Y-%m-%d %H:%M}, so it can no longer "
                                      "be undone: change the tags by a new save, which goes to review in turn")
            done = session.execute(update(Correction).where(*live, Correction.batch == batch)
                                   .values(reverted=True, reverted_by=author, reverted_at=now))
            if done.rowcount != len(rows):
                raise _Stale(batch)
            reopen_batch(session, self.dataset_id, batch, author, now)
            if also is not None:
                also(session, batch)
        first = rows[0].sentence
        return Undone(first, [r.token for r in rows if r.sentence == first], touched, batch)

    def check_open(self, session: Session) -> None:
        """Refuse a write to the dataset once an admin has archived it (a page drawn before then still offers saves):
        it would be kept, out of everyone's sight. Called after the transaction's first write (SQLite: its write lock),
        reading the dataset's row FOR SHARE (PostgreSQL): an archiving at the same moment comes wholly before or after."""
        archived = session.execute(select(Dataset.archived_by, Dataset.archived_at).where(Dataset.id == self.dataset_id)
                                   .with_for_update(read=True)).first()
        if archived is not None and archived.archived_at is not None:
            raise CorrectionError(f"the dataset {self.name!r} was archived by {archived.archived_by} on "
                                  f"{archived.archived_at:%Y-%m-%d %H:%M}: nothing is saved to it until an admin restores it "
                                  "(`datasets restore`)")

    def check_types(self, session: Session, tags: Iterable[str]) -> None:
        """Refuse ``tags`` of a type added in the app that an admin removed after the caller checked them: called after
        the transaction's first write (SQLite: its write lock), reading the types' rows FOR SHARE (PostgreSQL), so that
        a removal either comes wholly before (and this write is refused) or waits and then finds the sentence tagged."""
        tags = set(tags)
        added = {tag_type(t) for t in tags} - {None, *self.file_tagset.types}
        if not added:
            return
        kept = set(session.scalars(select(EntityType.name).where(
            EntityType.dataset_id == self.dataset_id, EntityType.name.in_(added)).with_for_update(read=True)))
        gone = sorted(added - kept)
        if gone:
            raise UnknownTags([t for t in tags if tag_type(t) in gone],
                              f"the type{'s' * (len(gone) > 1)} {', '.join(gone)} {'were' if len(gone) > 1 else 'was'} "
                              "removed from the dataset meanwhile, so nothing was saved: add it again (Annotate's Entity "
                              "types), or tag those tokens otherwise")

    def snapshot(self, sentence: int) -> SentenceState:
        """The sentence's current tags and version, read together: pass the version back with any write."""
        self._check_index(sentence)
        return self.snapshots([sentence])[sentence]

    def sentence_version(self, sentence: int) -> int:
        """How many saves and undos have changed the sentence (0: never)."""
        return self.snapshot(sentence).version

    def versions(self) -> dict[int, int]:
        """Every saved sentence's version (a sentence not listed has version 0)."""
        with Session(self.engine) as session:
            rows = session.execute(select(SentenceVersion.sentence, SentenceVersion.version)
                                   .where(SentenceVersion.dataset_id == self.dataset_id)).all()
        return {sentence: version for sentence, version in rows}

    def snapshots(self, sentences: Iterable[int]) -> dict[int, SentenceState]:
        """The current tags and version of each of ``sentences``, read together: the versions are read
        before and after the tags, and the read is repeated until no write came between."""
        wanted = sorted(set(sentences))
        while True:
            with Session(self.engine) as session:
                before = self._version_rows(session, wanted)
                tags = self.read_tags(session, wanted)
                after = self._version_rows(session, wanted)
            if before == after:
                return {s: SentenceState(tags[s], *after.get(s, (0, None))) for s in wanted}

    def _version_rows(self, session: Session, sentences: list[int]) -> dict[int, tuple[int, str]]:
        found = {}
        for start in range(0, len(sentences), 500):
            found.update((s, (v, a)) for s, v, a in session.execute(
                select(SentenceVersion.sentence, SentenceVersion.version, SentenceVersion.author)
                .where(SentenceVersion.dataset_id == self.dataset_id, SentenceVersion.sentence.in_(sentences[start:start + 500]))))
        return found

    def _stale(self, sentence: int, what: str = "saved", advice: str | None = None) -> StaleSaveError:
        now = self.snapshot(sentence)
        return StaleSaveError(sentence, now.tags, now.version, now.author, what, advice)

    def _check_index(self, sentence: int) -> None:
        if self.words(sentence) is None:
            raise CorrectionError(f"no sentence {sentence}: the dataset has {len(self.original)} and those added from its pool")

    def words(self, sentence: int) -> tuple[str, ...] | None:
        """A sentence's words: an original one's, or one's added from the pool (None: no such sentence)."""
        if 0 <= sentence < len(self.original):
            return self.original[sentence].words
        if sentence not in self._added_words and sentence >= len(self.original):
            with Session(self.engine) as session:
                self._added_words.update((i, tuple(w)) for i, w in session.execute(
                    select(PoolSentence.corpus_index, PoolSentence.words).where(
                        PoolSentence.dataset_id == self.dataset_id, PoolSentence.corpus_index.is_not(None))))
        return self._added_words.get(sentence)

    def in_corpus(self, sentence: int) -> bool:
        """Whether ``sentence`` is in the corpus now: an original one, or one added from the pool whose add stands."""
        if 0 <= sentence < len(self.original):
            return True
        with Session(self.engine) as session:
            return session.scalar(select(PoolSentence.state).where(
                PoolSentence.dataset_id == self.dataset_id, PoolSentence.corpus_index == sentence)) == POOL_ADDED

    def size(self) -> int:
        """How many sentence indices there are: the original sentences and every one ever added from the pool
        (an add that was undone keeps its index, all ``O``, out of the corpus)."""
        with Session(self.engine) as session:
            top = session.scalar(select(func.max(PoolSentence.corpus_index)).where(PoolSentence.dataset_id == self.dataset_id))
        return len(self.original) if top is None else max(len(self.original), top + 1)

    def word(self, sentence: int, token: int) -> str:
        """One token of a sentence, original or added ("?" past its end)."""
        words = self.words(sentence) or ()
        return words[token] if token < len(words) else "?"

    def _base_tags(self, sentence: int) -> list[str]:
        """The tags corrections apply to: the original file's, all ``O`` for a sentence added from the pool."""
        if sentence < len(self.original):
            return list(self.original[sentence].tags)
        return [OUTSIDE] * len(self.words(sentence) or ())

    # ------------------------------------------------------------ reading

    def _live(self, session: Session, sentences: Sequence[int] | None = None) -> list[Correction]:
        query = select(Correction).where(Correction.dataset_id == self.dataset_id, Correction.reverted.is_(False))
        if sentences is not None:
            query = query.where(Correction.sentence.in_(list(sentences)))
        return list(session.scalars(query.order_by(Correction.id)))

    def read_tags(self, session: Session, sentences: Sequence[int]) -> dict[int, list[str]]:
        """The tags of ``sentences`` as ``session`` sees them (inside a write, with its own changes), without versions."""
        tags = {s: self._base_tags(s) for s in sentences}
        for start in range(0, len(sentences), 500):
            for row in self._live(session, sentences[start:start + 500]):
                tags[row.sentence][row.token] = row.new_tag
        return tags

    def tags_before(self, batch: str) -> dict[int, list[str]]:
        """The tags of each sentence of ``batch`` just before it was saved, as its author saw them (the corrections
        live then, those undone since included)."""
        of_batch = (Correction.dataset_id == self.dataset_id, Correction.batch == batch)
        with Session(self.engine) as session:
            first, saved = session.execute(select(func.min(Correction.id), func.min(Correction.created_at)).where(*of_batch)).one()
            sentences = sorted(session.scalars(select(Correction.sentence).where(*of_batch).distinct()))
            rows = session.scalars(select(Correction).where(
                Correction.dataset_id == self.dataset_id, Correction.sentence.in_(sentences), Correction.id < first,
                or_(Correction.reverted.is_(False), Correction.reverted_at > saved)).order_by(Correction.id)) if sentences else []
            tags = {s: self._base_tags(s) for s in sentences}
            for row in rows:
                tags[row.sentence][row.token] = row.new_tag
        return tags

    def tags(self, sentence: int) -> list[str]:
        """The current tags of a sentence: original plus the latest live correction per token (to edit it,
        take :meth:`snapshot`, which gives the version with them)."""
        return self.snapshot(sentence).tags

    def corrected(self) -> list[Sentence]:
        """The whole corrected corpus."""
        with Session(self.engine) as session:
            rows = self._live(session)
        tags = {}
        for row in rows:
            if row.sentence < len(self.original):
                tags.setdefault(row.sentence, list(self.original[row.sentence].tags))[row.token] = row.new_tag
        return [Sentence(s.words, tuple(tags[i]), s.pos) if i in tags else s for i, s in enumerate(self.original)]

    def added(self) -> dict[int, Sentence]:
        """The sentences added from the pool (and not undone), by corpus index, with their current tags."""
        with Session(self.engine) as session:
            rows = session.execute(select(PoolSentence.corpus_index, PoolSentence.words).where(
                PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == POOL_ADDED)
                .order_by(PoolSentence.corpus_index)).all()
        self._added_words.update((i, tuple(w)) for i, w in rows)
        states = self.snapshots(i for i, _ in rows)
        return {i: Sentence(tuple(words), tuple(states[i].tags)) for i, words in rows}

    def split(self, corrected: list[Sentence] | None = None, added: dict[int, Sentence] | None = None) -> Split:
        """The corrected corpus's split (:meth:`split_indices`), with the sentences added from the pool in its training
        part (either one given where the caller has read it already)."""
        corrected = self.corrected() if corrected is None else corrected
        train, val, test = ([corrected[i] for i in part] for part in self.split_indices())
        return Split([*train, *(self.added() if added is None else added).values()], val, test)

    def corpus(self) -> list[Sentence]:
        """Every sentence as it is now: the corrected original ones, then those added from the pool (an export)."""
        return [s for _, s in self.numbered()]

    def numbered(self) -> list[tuple[int, Sentence]]:
        """:meth:`corpus` with each sentence's index, the number the app shows (an add undone or rejected leaves a gap)."""
        return [*enumerate(self.corrected()), *self.added().items()]

    def export(self, fmt: str, scheme: str = "IOB2") -> bytes:
        """The dataset as it is now as a corpus file of ``fmt`` (:func:`~ner_core.data.corpus.corpus_bytes`); a csv
        numbers its sentences as the app does (from 0), gaps and all: its ``Sentence: 77`` is Annotate's sentence 77."""
        numbered = self.numbered()
        return corpus_bytes([s for _, s in numbered], fmt, scheme, [i for i, _ in numbered])

    def history(self, sentence: int | None = None, limit: int = 500) -> list[dict]:
        """Every change (reverted ones too), newest first; ``reverted``: undone by its author, or (``rejected``) by a
        reviewer's rejection of its batch (``reverted by`` and ``at`` are then the reviewer and the time of the rejection,
        ``why`` their note). One "reverted" for both (helper-82: "undone" and "rejected" both ticked read as two events)."""
        rejection = and_(CorrectionReview.batch == Correction.batch, CorrectionReview.decision == "rejected",
                         CorrectionReview.reviewed_at == Correction.reverted_at)  # not its rows undone before the rejection
        with Session(self.engine) as session:
            query = select(Correction, CorrectionReview.batch.is_not(None), CorrectionReview.note).outerjoin(CorrectionReview, rejection).where(
                Correction.dataset_id == self.dataset_id)
            if sentence is not None:
                query = query.where(Correction.sentence == sentence)
            rows = session.execute(query.order_by(Correction.id.desc()).limit(limit)).tuples()
            return [
                {"time": r.created_at, "sentence": r.sentence, "token": r.token,
                 "word": self.word(r.sentence, r.token), "old": r.old_tag, "new": r.new_tag, "author": r.author,
                 "reverted": r.reverted, "rejected": rejected, "why": note or "", "reverted by": r.reverted_by,
                 "reverted at": r.reverted_at}  # a reviewer's note before the columns a narrow screen scrolls to
                for r, rejected, note in rows
            ]

    def changed_by(self, sentence: int, author: str | None) -> str | None:
        """``author``, who changed ``sentence`` last, as a conflict names them: where that change was their rejection of
        a save, said so, with their note (helper-79: it read as an ordinary edit)."""
        last = self.history(sentence, limit=1)
        if not last or not last[0]["rejected"] or last[0]["reverted by"] != author:
            return author
        return f"{author}, who rejected the save of {last[0]['author']}" + (f" (\u201c{last[0]['why']}\u201d)" if last[0]["why"] else "")

    def position(self, author: str) -> int | None:
        """The sentence ``author`` last opened in this dataset, an original one or one added from the pool (None: never,
        or no longer a sentence of it)."""
        with Session(self.engine) as session:
            row = session.get(AnnotatorPosition, (self.dataset_id, author))
        return row.sentence if row is not None and self.words(row.sentence) is not None else None

    def remember_position(self, author: str, sentence: int) -> None:
        """Keep ``sentence`` as where ``author`` left off (a new session opens there)."""
        _check_author(author)
        self._check_index(sentence)
        for _ in range(2):  # a concurrent first insert wins: update it then
            try:
                with Session(self.engine) as session, session.begin():
                    row = session.get(AnnotatorPosition, (self.dataset_id, author))
                    if row is None:
                        session.add(AnnotatorPosition(dataset_id=self.dataset_id, author=author, sentence=sentence, updated_at=_now()))
                    else:
                        row.sentence, row.updated_at = sentence, _now()
                return
            except IntegrityError:
                continue

    def changed_since(self, when: datetime) -> set[int]:
        """Sentences whose tags differ now from their tags at ``when`` (one changed and changed back is not)."""
        with Session(self.engine) as session:
            mine = Correction.dataset_id == self.dataset_id
            touched = sorted(session.scalars(select(Correction.sentence).where(
                mine, (Correction.created_at > when) | (Correction.reverted_at > when)).distinct()))
            then = {s: self._base_tags(s) for s in touched}
            for start in range(0, len(touched), 500):  # the corrections live at ``when``
                for row in session.scalars(select(Correction).where(
                        mine, Correction.sentence.in_(touched[start:start + 500]), Correction.created_at <= when,
                        or_(Correction.reverted.is_(False), Correction.reverted_at > when)).order_by(Correction.id)):
                    then[row.sentence][row.token] = row.new_tag
            now = self.read_tags(session, touched)
        return {s for s in touched if now[s] != then[s]}

    def corrected_sentence_ids(self, corrected: Sequence[Sentence] | None = None) -> set[int]:
        """Sentences whose current tags differ from the original (``corrected``: :meth:`corrected`, if read already)."""
        corrected = self.corrected() if corrected is None else corrected
        return {i for i, (a, b) in enumerate(zip(self.original, corrected)) if a.tags != b.tags}

    def version(self) -> str:
        """``"<rows>:<reverted rows>"``, and ``":<pool decisions>"`` once there are any: changes with every save,
        undo and pool decision (a cache key, a retrain's data version)."""
        with Session(self.engine) as session:
            mine = Correction.dataset_id == self.dataset_id
            total = session.scalar(select(func.count()).where(mine))
            reverted = session.scalar(select(func.count()).where(mine, Correction.reverted.is_(True)))
            pooled = PoolSentence.dataset_id == self.dataset_id, PoolSentence.decided_at.is_not(None)
            decided = session.scalar(select(func.count()).where(*pooled))
            last = session.scalar(select(func.max(PoolSentence.decided_at)).where(*pooled))
        return f"{total}:{reverted}" + (f":{decided}@{last.timestamp():.6f}" if decided else "")

    def counts(self, corrected: list[Sentence] | None = None) -> dict[str, object]:
        """Corrected sentences and tokens of the original file (``corrected``, where the caller has read it), corrected
        tokens by (new) entity type, and the sentences added from the pool."""
        by_type: Counter = Counter()
        sentences = tokens = 0
        for before, after in zip(self.original, self.corrected() if corrected is None else corrected):
            changed = [(a, b) for a, b in zip(before.tags, after.tags) if a != b]
            sentences += bool(changed)
            tokens += len(changed)
            by_type.update(tag_type(b) or tag_type(a) or "O" for a, b in changed)
        return {"sentences": sentences, "tokens": tokens, "by_type": dict(by_type), "added": len(self.added())}


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Newer(Exception):
    """Internal: an undo found a later live change of a sentence of its batch; the transaction is rolled back."""


def _check_author(author: str) -> None:
    if len(author) > AUTHOR_MAX:
        raise CorrectionError(f"an annotator's name may hold at most {AUTHOR_MAX} characters, got {len(author)}")


_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk full")
_UNWRITABLE = ("readonly database", "read-only", "disk i/o error", "unable to open database file", "permission denied")


@contextmanager
def refuse_when_full() -> Iterator[None]:
    """A write that the database refuses for want of room, because it cannot write its file (read-only, a disk
    error), or because it failed or cannot be reached (a server down or restarting, a read-only standby), raises
    :class:`StorageFullError` or :class:`StorageWriteError`: nothing was saved, and the message says why. A context
    manager, or a decorator of any function that writes to the database."""
    try:
        yield
    except (OperationalError, InternalError, OSError) as err:
        chain = [err]  # a full disk may surface as the failed rollback of the savepoint it aborted
        while chain[-1].__context__ is not None and len(chain) < 5:
            chain.append(chain[-1].__context__)
        texts = [str(e).lower() for e in chain]
        if any(marker in text for text in texts for marker in _FULL):
            raise StorageFullError("nothing was saved: the database's disk is full; free some space and save again") from err
        cause = next((m for text in texts for m in _UNWRITABLE if m in text), None)
        if cause is not None:
            raise StorageWriteError(f"nothing was saved: the database cannot write ({cause}); check that its file or "
                                    "server is writable, then save again") from err
        if isinstance(err, DBAPIError):
            raise StorageWriteError(f"nothing was saved: {database_failure(err)}; save again once it is back") from err
        raise


def database_failure(err: DBAPIError) -> str:
    """A database error in a few words: the driver's first line, without SQLAlchemy's SQL and background link."""
    first = (str(err.orig) if err.orig is not None else str(err)).strip().splitlines()
    return f"the database failed or cannot be reached ({type(err.orig or err).__name__}: {(first or [''])[0][:200]})"


def reopen_batch(session: Session, dataset_id: int, batch: str, author: str, now: datetime) -> None:
    """What ``batch`` (being reverted: undone or rejected) settled goes back: a sentence it added from the pool to the
    pool, the review-queue items decided with it (or settled by it) to the queue, a double annotation it adjudicated to
    adjudication."""
    session.execute(update(PoolSentence).where(
        PoolSentence.dataset_id == dataset_id, PoolSentence.batch == batch, PoolSentence.state == POOL_ADDED)
        .values(state=POOL_OPEN, decided_by=author, decided_at=now))
    session.execute(update(ReviewDecision).where(ReviewDecision.batch == batch, ReviewDecision.reverted.is_(False))
                    .values(reverted=True))
    session.execute(update(Assignment).where(Assignment.dataset_id == dataset_id, Assignment.adjudication_batch == batch)
                    .values(adjudicated_by=None, adjudicated_at=None, choice=None))  # the batch named still: its origin


def bump_version(session: Session, dataset_id: int, sentence: int, author: str, now: datetime, expected: int | None) -> bool:
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
