"""A dataset's pool: unlabelled sentences waiting for a person, best first; saved ones join the corpus.

Sentences come from any file (raw text, pre-tokenised lines, JSON lines, any corpus format with its
tags ignored; :func:`ner_core.data.corpus.load_unlabelled`); duplicates of the corpus or of the pool
are dropped and counted, and a pool holds at most ``$NER_MAX_POOL_SENTENCES``. A ranking job
(:mod:`ner_core.quality.pool_ranking`) stores each open sentence's score, reason and the model's tags
(the pre-annotation). A person then *adds* a sentence with their tags: it becomes corpus sentence
``len(original) + k`` of the training split, its tags stored as corrections of an all-``O`` sentence
(author, version, history, undo and conflicts as for any correction), or *discards* it. Every
decision is a compare-and-swap on the sentence's state: two people never both decide one sentence.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.scripts import foreign_script, own_scripts
from ..data.sentence_keys import spelling_key, words_key
from ..data.tags import OUTSIDE, iob2_errors, repair_iob2, tag_type
from .schema import AUTHOR_MAX, POOL_ADDED as ADDED, POOL_DISCARDED as DISCARDED, POOL_OPEN as OPEN, Correction, PoolSentence
from .store import CorrectionError, CorrectionStore, SaveResult, _now, bump_version, check_known, refuse_when_full

POOL_LIMIT_ENV = "NER_MAX_POOL_SENTENCES"
DEFAULT_POOL_LIMIT = 100_000
INSERT_CHUNK = 1000
DROPPED_SHOWN = 5  # sentence numbers of the file said per reason a sentence was dropped


class PoolError(CorrectionError):
    """A pool operation refused (over the limit, a sentence someone else decided first); nothing was written."""


class PoolDecided(PoolError):
    """The sentence was decided first (by someone else, or by this same decision sent again): nothing was
    written. ``state`` (added or discarded) and ``author`` are the live decision's."""

    def __init__(self, message: str, state: str, author: str | None) -> None:
        super().__init__(message)
        self.state, self.author = state, author


@dataclass(frozen=True)
class PoolItem:
    id: int
    words: tuple[str, ...]
    source: str
    line: int  # its sentence number in the file it came from (from 1)
    state: str
    score: float | None  # None: not ranked yet
    reason: str | None
    types: tuple[str, ...]
    suggestion: tuple[str, ...] | None  # the model's tags, when ranked
    ranked_with: str | None
    corpus_index: int | None
    version: int | None  # the sentence's version its decision left
    decided_by: str | None


@dataclass(frozen=True)
class Intake:
    """What adding a file to the pool did."""

    added: int
    corpus_duplicates: int
    pool_duplicates: int
    empty: int
    size: int  # sentences in the pool now (open ones)
    other_scripts: tuple[tuple[str, int], ...] = ()  # dropped: mostly in a script the corpus does not use, per script
    dropped: dict[str, tuple[int, ...]] = field(default_factory=dict)  # why -> the first few dropped (sentence numbers in the file)
    source: str = "the file"  # the file's name (or "typed text")
    repeats: int = 0  # dropped: a sentence of this file already taken from it

    def summary(self) -> str:
        scripts = ", ".join(f"{script} {n:,}" for script, n in self.other_scripts)
        dropped = [f"{n:,} {what}{self._where(why, n)}" for n, what, why in (
            (self.corpus_duplicates, "already in the corpus", "corpus"), (self.pool_duplicates, "already in the pool", "pool"),
            (self.repeats, "repeated in the file", "repeat"), (self.empty, "empty", "empty"),
            (sum(n for _, n in self.other_scripts), f"mostly in a script the corpus does not use ({scripts})", "script")) if n]
        return (f"{self.added:,} sentence(s) added to the pool" + (f"; dropped: {', '.join(dropped)}" if dropped else "")
                + f"; {self.size:,} open in the pool")

    def _where(self, why: str, n: int) -> str:
        lines = self.dropped.get(why, ())
        return f" (sentence{'s' * (n > 1)} {', '.join(map(str, lines))}{', …' if n > len(lines) else ''} of {self.source})" if lines else ""


@dataclass(frozen=True)
class Ranked:
    """One pool sentence's ranking, as the ranking job stores it."""

    id: int
    score: float
    reason: str
    types: tuple[str, ...]
    suggestion: tuple[str, ...]


def pool_limit() -> int:
    """``$NER_MAX_POOL_SENTENCES`` (default :data:`DEFAULT_POOL_LIMIT`): the most open sentences a pool may hold."""
    value = os.environ.get(POOL_LIMIT_ENV, str(DEFAULT_POOL_LIMIT))
    try:
        limit = int(value)
    except ValueError:
        raise PoolError(f"{POOL_LIMIT_ENV}={value!r} is not a whole number") from None
    if limit < 1:
        raise PoolError(f"{POOL_LIMIT_ENV}={value!r}: give the most open sentences a pool may hold, 1 or more")
    return limit


class Pool:
    """The pool of one dataset (its :class:`CorrectionStore`)."""

    def __init__(self, store: CorrectionStore) -> None:
        self.store, self.engine, self.dataset_id = store, store.engine, store.dataset_id

    # ------------------------------------------------------------ intake

    def add(self, sentences: Iterable[Sequence[str]], source: str, author: str = "anonymous", any_script: bool = False) -> Intake:
        """Add unlabelled sentences (tokenised) read from ``source``: duplicates of the corpus (however tokenised; the
        sentences added to it from the pool included) or the pool, and (unless ``any_script``) sentences mostly in a
        script the corpus does not use, dropped and counted; all or nothing; refused with :class:`PoolError` past
        :func:`pool_limit`."""
        _check_author(author)
        original = {spelling_key(s.words) for s in self.store.original}  # tokenised another way, still the corpus's
        own = frozenset() if any_script else own_scripts(s.words for s in self.store.original)
        for _ in range(3):  # a concurrent intake of the same sentences: read the pool again
            with Session(self.engine) as session:
                pooled = session.execute(select(PoolSentence.words, PoolSentence.state).where(
                    PoolSentence.dataset_id == self.dataset_id)).all()
            corpus = original | {spelling_key(words) for words, state in pooled if state == ADDED}
            known = {spelling_key(words) for words, _ in pooled}  # however tokenised ("New-Orleans", "New - Orleans")
            held = sum(state == OPEN for _, state in pooled)  # added and discarded ones no longer take room
            rows, counts, scripts, dropped, here, now = [], Counter(), Counter(), {}, set(), _now()  # here: this file's, taken
            for line, words in enumerate(sentences, 1):
                words = tuple(words)
                spelled = spelling_key(words)
                script = foreign_script(words, own) if words else None
                why = ("empty" if not words else "script" if script else
                       "corpus" if spelled in corpus else "repeat" if spelled in here else "pool" if spelled in known else None)
                if why is not None:
                    counts[why] += 1
                    if script:
                        scripts[script] += 1
                    if len(dropped.setdefault(why, [])) < DROPPED_SHOWN:
                        dropped[why].append(line)
                else:
                    here.add(spelled)
                    rows.append({"dataset_id": self.dataset_id, "key": words_key(words), "words": list(words), "source": source[:300],
                                 "line": line, "added_by": author, "created_at": now, "state": OPEN})
            limit = pool_limit()
            if held + len(rows) > limit:
                raise PoolError(f"the pool would hold {held + len(rows):,} open sentences, over the limit of {limit:,} "
                                f"({POOL_LIMIT_ENV}); nothing was added: add a smaller file or annotate some first")
            try:
                with refuse_when_full(), Session(self.engine) as session, session.begin():
                    for start in range(0, len(rows), INSERT_CHUNK):
                        session.execute(insert(PoolSentence), rows[start:start + INSERT_CHUNK])
            except IntegrityError:
                continue
            return Intake(len(rows), counts["corpus"], counts["pool"], counts["empty"], self.counts()[OPEN],
                          tuple(scripts.most_common()), {why: tuple(lines) for why, lines in dropped.items()}, source, counts["repeat"])
        raise PoolError("the pool kept changing while these sentences were added; nothing was added: try again")

    # ------------------------------------------------------------ reading

    def counts(self) -> dict[str, int]:
        """Sentences by state: open, added, discarded."""
        with Session(self.engine) as session:
            rows = session.execute(select(PoolSentence.state, func.count()).where(PoolSentence.dataset_id == self.dataset_id)
                                   .group_by(PoolSentence.state)).all()
        return {OPEN: 0, ADDED: 0, DISCARDED: 0} | dict(rows)

    def unranked(self) -> int:
        """Open sentences no ranking has scored yet (added since the last one): shown after every ranked one."""
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).where(PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == OPEN,
                                                             PoolSentence.score.is_(None)))

    def items(self, limit: int = 8, skip: Sequence[int] = ()) -> list[PoolItem]:
        """Open sentences, best ranked first (those not ranked yet after, in file order), ``skip`` left out."""
        query = (select(PoolSentence).where(PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == OPEN)
                 .order_by(PoolSentence.score.is_(None), PoolSentence.score.desc(), PoolSentence.id).limit(limit))
        if skip:
            query = query.where(PoolSentence.id.not_in(list(skip)))
        with Session(self.engine) as session:
            return [_item(row) for row in session.scalars(query)]

    def item(self, item_id: int) -> PoolItem:
        with Session(self.engine) as session:
            row = session.get(PoolSentence, item_id)
            if row is None or row.dataset_id != self.dataset_id:
                raise PoolError(f"no pool sentence {item_id} in dataset {self.store.name!r}")
            return _item(row)

    def open_sentences(self) -> list[tuple[int, tuple[str, ...]]]:
        """Every open sentence (id, words), for ranking."""
        with Session(self.engine) as session:
            return [(i, tuple(w)) for i, w in session.execute(
                select(PoolSentence.id, PoolSentence.words).where(PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == OPEN)
                .order_by(PoolSentence.id))]

    def ranked_with(self) -> set[str]:
        """The models the open sentences were ranked with (empty: none ranked yet)."""
        with Session(self.engine) as session:
            return set(session.scalars(select(PoolSentence.ranked_with).distinct().where(
                PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == OPEN, PoolSentence.ranked_with.is_not(None))))

    def added_since(self, when: datetime | None) -> tuple[int, Counter]:
        """Sentences added from the pool after ``when`` (None: ever) and not undone, and their entities by type."""
        query = select(PoolSentence.corpus_index).where(PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == ADDED)
        if when is not None:
            query = query.where(PoolSentence.decided_at > when)
        with Session(self.engine) as session:
            indices = list(session.scalars(query))
        entities: Counter = Counter()
        for state in self.store.snapshots(indices).values():
            entities.update(tag_type(t) for t in state.tags if t.startswith("B-"))
        return len(indices), entities

    # ------------------------------------------------------------ writing

    def record_ranking(self, ranked: Iterable[Ranked], model: str) -> int:
        """Store scores, reasons and pre-annotations (of sentences still open); returns how many were stored."""
        stored = 0
        with refuse_when_full(), Session(self.engine) as session, session.begin():
            for r in ranked:
                done = session.execute(update(PoolSentence).where(
                    PoolSentence.id == r.id, PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == OPEN).values(
                    score=r.score, reason=r.reason[:300], types=list(r.types), suggestion=list(r.suggestion), ranked_with=model[:300]))
                stored += done.rowcount
        return stored

    def accept(self, item_id: int, tags: Sequence[str], author: str) -> tuple[int, SaveResult]:
        """Add an open sentence to the corpus with ``tags`` (IOB2 repaired): returns its corpus index and the
        save (its batch undoes it). Refused with :class:`PoolError` when someone decided it first."""
        _check_author(author)
        item, tags = self.item(item_id), list(tags)
        if len(tags) != len(item.words):
            raise CorrectionError(f"the sentence has {len(item.words)} tokens, got {len(tags)} tags")
        check_known(self.store.tagset, tags)
        broken, tags = iob2_errors(tags), repair_iob2(tags)
        for _ in range(5):  # two first adds may pick the same new index: the second picks again
            batch, now = uuid.uuid4().hex, _now()
            try:
                with refuse_when_full(), Session(self.engine) as session, session.begin():
                    index = item.corpus_index
                    if index is None:
                        top = session.scalar(select(func.max(PoolSentence.corpus_index)).where(PoolSentence.dataset_id == self.dataset_id))
                        index = max(len(self.store.original), (top or 0) + 1)
                    done = session.execute(update(PoolSentence).where(PoolSentence.id == item_id, PoolSentence.state == OPEN)
                                           .values(state=ADDED, corpus_index=index, batch=batch, decided_by=author, decided_at=now))
                    if done.rowcount != 1:
                        raise self._decided(item_id)
                    self.store.check_open(session)
                    self.store.check_types(session, tags)
                    session.execute(update(Correction).where(  # a re-add starts from all O, whatever was left on its index
                        Correction.dataset_id == self.dataset_id, Correction.sentence == index, Correction.reverted.is_(False))
                        .values(reverted=True, reverted_by=author, reverted_at=now))
                    rows = [Correction(dataset_id=self.dataset_id, sentence=index, token=i, old_tag=OUTSIDE, new_tag=tag, author=author,
                                       created_at=now, batch=batch, reverted=False) for i, tag in enumerate(tags) if tag != OUTSIDE]
                    session.add_all(rows)
                    bump_version(session, self.dataset_id, index, author, now, None)
                    session.flush()
                    version = self.store._version_rows(session, [index])[index][0]
                    session.execute(update(PoolSentence).where(PoolSentence.id == item_id).values(version=version))
                return index, SaveResult(len(rows), broken, batch)
            except IntegrityError:
                continue
        raise PoolError("the corpus kept growing while this sentence was added; nothing was saved: try again")

    def discard(self, item_id: int, author: str) -> None:
        """Take an open sentence out of the pool for good (not the corpus's language, noise)."""
        self._move(item_id, author, OPEN, DISCARDED)

    def discarded(self, limit: int = 200) -> list[PoolItem]:
        """The discarded sentences, latest first."""
        with Session(self.engine) as session:
            return [_item(row) for row in session.scalars(select(PoolSentence).where(
                PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == DISCARDED)
                .order_by(PoolSentence.decided_at.desc(), PoolSentence.id.desc()).limit(limit))]

    def restore(self, item_id: int, author: str) -> PoolItem:
        """Put a discarded sentence back in the pool (a reviewer's second look at someone's discard)."""
        self._move(item_id, author, DISCARDED, OPEN)
        return self.item(item_id)

    def _move(self, item_id: int, author: str, state: str, to: str) -> None:
        """Move a sentence from ``state`` to ``to`` in the name of ``author``; refused when it is no longer in ``state``."""
        _check_author(author)
        with refuse_when_full(), Session(self.engine) as session, session.begin():
            done = session.execute(update(PoolSentence).where(
                PoolSentence.id == item_id, PoolSentence.dataset_id == self.dataset_id, PoolSentence.state == state)
                .values(state=to, decided_by=author, decided_at=_now()))
            if done.rowcount != 1:
                raise self._decided(item_id)

    def undo(self, author: str, item_id: int) -> PoolItem | None:
        """Reopen ``author``'s decision on ``item_id``: a discard, or an add (its sentence leaves the corpus and its
        corrections are reverted). Refused with :class:`~.store.StaleSaveError` when someone changed the added
        sentence since. None: nothing of ``author``'s to undo there."""
        with Session(self.engine) as session:
            row = session.scalar(select(PoolSentence).where(
                PoolSentence.id == item_id, PoolSentence.dataset_id == self.dataset_id, PoolSentence.decided_by == author,
                PoolSentence.state != OPEN))
            item = _item(row) if row is not None else None
        if item is None:
            return None
        with refuse_when_full(), Session(self.engine) as session, session.begin():
            now = _now()
            if item.state == ADDED:
                if not bump_version(session, self.dataset_id, item.corpus_index, author, now, item.version):
                    raise self.store._stale(item.corpus_index, "undone")
                session.execute(update(Correction).where(
                    Correction.dataset_id == self.dataset_id, Correction.sentence == item.corpus_index, Correction.reverted.is_(False))
                    .values(reverted=True, reverted_by=author, reverted_at=now))
            done = session.execute(update(PoolSentence).where(PoolSentence.id == item.id, PoolSentence.state == item.state)
                                   .values(state=OPEN, decided_by=author, decided_at=now))
            if done.rowcount != 1:
                raise self._decided(item.id)
        return self.item(item.id)

    def _decided(self, item_id: int) -> PoolDecided:
        now = self.item(item_id)
        return PoolDecided(f"pool sentence {item_id} was {now.state} by {now.decided_by or 'someone'} meanwhile; "
                           "nothing was saved", now.state, now.decided_by)


def _item(row: PoolSentence) -> PoolItem:
    return PoolItem(row.id, tuple(row.words), row.source, row.line, row.state, row.score, row.reason, tuple(row.types or ()),
                    tuple(row.suggestion) if row.suggestion is not None else None, row.ranked_with, row.corpus_index,
                    row.version, row.decided_by)


def _check_author(author: str) -> None:
    if not author or not author.strip() or len(author) > AUTHOR_MAX:
        raise CorrectionError(f"a pool decision needs the annotator's name (1 to {AUTHOR_MAX} characters)")
