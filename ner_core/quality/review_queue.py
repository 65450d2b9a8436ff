"""The review queue: suspicious annotations of one dataset split, ranked, decided one at a time.

Items come from pluggable sources, each a list of :class:`Candidate` (corpus sentence index,
token range, given and suggested label, score): model-based label issues
(:func:`model_candidates`) and strings the corpus tags more than one way
(:func:`consistency_candidates`). :meth:`ReviewQueue.fill` stores them once per source and key
(a restart does not recompute them). An item stays open until it is decided (suggestion
accepted, gold kept, or sentence edited): a decision is stored and the item leaves the queue for
good; skipping is not a decision. Every decision states the sentence version it was made on, so
a stale one is refused by the store (:class:`~ner_core.storage.store.StaleSaveError`) and nothing is
overwritten silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.corpus import SPLITS, Sentence
from ..data.tags import OUTSIDE, Span, spans, tag_type, tags_from_spans
from ..storage.schema import Correction, ReviewDecision, ReviewFill, ReviewItem
from ..storage.store import CorrectionError, CorrectionStore, SaveResult, SentenceState, StaleSaveError
from .consistency import entity_strings, inconsistent, occurrences, tally
from .label_issues import LabelIssue

MODEL, CONSISTENCY = "model", "consistency"
SOURCES = (MODEL, CONSISTENCY)
ACCEPTED, KEPT, EDITED = "accepted", "kept", "edited"


class AlreadyDecided(CorrectionError):
    """The item was decided first (by someone else, or by this same decision sent again): nothing was saved.
    ``action`` and ``author`` are the live decision's; ``mine`` the tags this decision would have saved where they
    change the sentence (a conflict for the user to settle), else ``None``."""

    def __init__(self, message: str, action: str, author: str, mine: list[str] | None = None) -> None:
        super().__init__(message)
        self.action, self.author, self.mine = action, author, mine


@dataclass(frozen=True)
class Candidate:
    """A suspicious annotation: tokens ``[start, end)`` of corpus sentence ``sentence``.

    ``given`` and ``suggested`` are tags (``B-geo``, ``O``) for a model item, entity labels
    (``geo``, ``O``) for a consistency item; ``score`` in [0, 1], higher is more suspicious.
    """

    source: str
    sentence: int
    start: int
    end: int
    given: str
    suggested: str
    score: float
    detail: str = ""


@dataclass(frozen=True)
class QueueItem(Candidate):
    id: int = 0
    split: str = "train"

    @property
    def types(self) -> set[str]:
        return {t for t in (_type(self.given), _type(self.suggested)) if t}

    def apply(self, tags: Sequence[str]) -> list[str]:
        """``tags`` (IOB2) with the suggestion applied to whole entities, so that the result is valid IOB2 and
        no annotation outside what the suggestion is about is lost (:func:`retag` keeps the rest).

        A consistency item makes its tokens one entity of the suggested type (or ``O``). A model item
        suggests a tag for token ``t``, read as what it says about the entity ``t`` belongs to:

        * ``I-x``: ``t`` continues an entity of type ``x``: the entity holding ``t - 1``, through the end of
          ``t``'s own entity (or ``t`` alone), becomes one entity of type ``x`` ("Storm/B-per Wilma/I-per"
          with ``I-nat`` on Wilma: "Storm Wilma" nat; "Storm/B-per Wilma/B-per": merged). With ``t - 1``
          outside every entity, ``t`` starts one, as for ``B-x``.
        * ``B-x``: ``t`` starts an entity of type ``x`` running to the end of ``t``'s own entity (or ``t``
          alone); the tokens of that entity before ``t`` stay an entity of the old type.
        * ``O``: ``t`` leaves its entity; the tokens before and after it stay entities of the old type.
        """
        if self.source == CONSISTENCY:
            return retag(tags, self.start, self.end, self.suggested)
        t, label = self.start, tag_type(self.suggested)
        holding = {i: s for s in spans(tags) for i in range(s.start, s.end)}
        own = holding.get(t)
        if label is None:
            return retag(tags, t, t + 1, OUTSIDE)
        before = holding.get(t - 1) if self.suggested.startswith("I-") else None
        return retag(tags, before.start if before else t, own.end if own else t + 1, label)

    def changed_since(self, now: SentenceState) -> str | None:
        """That someone changed the flagged tokens since the item was made (its ``given`` is old then), and what they are
        ``now``, in the item's terms: a model item's tag; a consistency item's type, ``O``, or part of another entity."""
        if self.source == MODEL:
            label = now.tags[self.start]
        else:
            window = now.tags[self.start:self.end]
            label = {(x, y): t for t, x, y in spans(now.tags)}.get((self.start, self.end)) or (
                OUTSIDE if window.count(OUTSIDE) == len(window) else "part of another entity")
        return None if label == self.given else f"changed since it was flagged, by {now.author or 'someone'}: now {label}"

    @property
    def note(self) -> str:
        """Why it is flagged: a model item, the model's probability of the given tag (items stored with an
        older wording get this one too); a consistency item, how its string is tagged in the corpus."""
        return _likelihood(self.given, self.score) if self.source == MODEL else self.detail

    def describe(self, words: Sequence[str]) -> str:
        """What is flagged in the sentence of ``words``, and why."""
        tokens = f"{self.start}-{self.end - 1}" if self.end - self.start > 1 else f"{self.start}"
        return (f"\"{' '.join(words[self.start:self.end])}\" (token {tokens}) is given {self.given}; suggested: "
                f"{self.suggested}. {self.note}")


@dataclass(frozen=True)
class Alike:
    """What annotating a string alike would change: new tags per sentence, and the version each was read at."""

    changes: dict[int, list[str]]
    versions: dict[int, int]

    def __len__(self) -> int:
        return len(self.changes)


@dataclass(frozen=True)
class AlikeResult:
    changed: int  # tokens changed
    saved: list[int]  # sentences changed
    stale: list[int]  # sentences changed by someone else meanwhile: left as they were


@dataclass(frozen=True)
class Undone:
    """What an undo reverted: the decision (if any) and its item, the tags set back on ``sentence``, every sentence touched."""

    sentence: int
    item: QueueItem | None
    action: str | None
    tokens: int
    sentences: Sequence[int] = ()

    def __str__(self) -> str:
        what = (f"your decision '{self.action}' on {self.item.given} -> {self.item.suggested} (the item is back in the queue)"
                if self.item else "your last save")
        more = f"; {len(self.sentences)} sentences set back in all" if len(self.sentences) > 1 else ""
        return f"Undone on sentence {self.sentence}: {what}, {self.tokens} tag(s) set back{more}."


def retag(tags: Sequence[str], start: int, end: int, label: str) -> list[str]:
    """``tags`` with tokens ``[start, end)`` made one entity of type ``label`` (or all ``O``); an entity reaching
    over the range keeps its tokens outside it, as an entity of its old type ("Angela Merkel" per with "Merkel"
    retyped geo: "Angela" per, "Merkel" geo). The keyboard annotator's number keys follow the same rule."""
    kept: list[Span] = []
    for s in spans(tags):
        if s.end <= start or s.start >= end:
            kept.append(s)
            continue
        if s.start < start:
            kept.append(Span(s.type, s.start, start))
        if s.end > end:
            kept.append(Span(s.type, end, s.end))
    return tags_from_spans(len(tags), kept + ([Span(label, start, end)] if label != OUTSIDE else []))


def describe_change(words: Sequence[str], before: Sequence[str], after: Sequence[str]) -> str:
    """What a save changes, entity by entity: ``"Storm Wilma" per → nat``, ``"Paris" O → geo``,
    ``"Angela Merkel" per → "Angela" per + "Merkel" geo``; ``no change`` when the entities are the same."""
    old, new = set(spans(before)), set(spans(after))
    groups: list[list[Span]] = []
    for s in sorted(old ^ new, key=lambda s: (s.start, s.end)):  # an old and a new span that overlap: one change
        if groups and s.start < max(x.end for x in groups[-1]):
            groups[-1].append(s)
        else:
            groups.append([s])

    def quoted(start: int, end: int) -> str:
        return f"\"{' '.join(words[start:end])}\""

    def side(group: list[Span]) -> str:
        return " + ".join(f"{quoted(s.start, s.end)} {s.type}" for s in group)

    parts = []
    for group in groups:
        gone, came = [s for s in group if s in old], [s for s in group if s in new]
        if not gone or (len(gone) == len(came) == 1 and gone[0][1:] == came[0][1:]):  # one entity made or retyped
            parts.append(f"{quoted(came[0].start, came[0].end)} {gone[0].type if gone else 'O'} → {came[0].type}")
        else:
            parts.append(f"{side(gone)} → {side(came) or 'O'}")
    return "; ".join(parts) or "no change"


def _type(label: str) -> str | None:
    return None if label == OUTSIDE else (tag_type(label) if label[:2] in ("B-", "I-") else label)


def _likelihood(given: str, score: float) -> str:
    return f"model's P(given {given}) = {1 - score:.3f}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def model_candidates(issues: Iterable[LabelIssue], corpus_indices: Sequence[int] | None = None) -> list[Candidate]:
    """Label issues as candidates; ``corpus_indices[i]`` is the corpus index of the issues' sentence ``i``
    (none: the issues already number sentences by corpus index)."""
    return [
        Candidate(MODEL, corpus_indices[i.sentence] if corpus_indices is not None else i.sentence, i.token, i.token + 1,
                  i.given, i.suggested, round(float(i.score), 6), _likelihood(i.given, float(i.score)))
        for i in issues
    ]


def consistency_candidates(corpus: Sequence[Sentence], indices: Iterable[int]) -> list[Candidate]:
    """Occurrences, in the sentences ``indices`` of ``corpus``, of an entity string the corpus tags in
    more than one way, where the occurrence differs from the string's most frequent annotation.

    The suggestion is that annotation; the score its share of the string's occurrences.
    """
    found = list(occurrences(corpus, entity_strings(corpus)))  # one scan of the corpus
    strings = {s.words: s for s in inconsistent(tally(found))}
    wanted, candidates = set(indices), []
    for o in found:
        labels = strings.get(o.words)
        if labels is None or o.sentence not in wanted or o.label is None or o.label == labels.majority:
            continue
        counts = ", ".join(f"{label} {n:,}×" for label, n in sorted(labels.labels.items(), key=lambda x: -x[1]))
        candidates.append(Candidate(CONSISTENCY, o.sentence, o.start, o.start + len(o.words), o.label, labels.majority,
                                    round(labels.share(labels.majority), 6), f"\"{' '.join(o.words)}\" is tagged {counts} in the corpus"[:300]))
    return candidates


ModelSource = tuple[str, Callable[[], Iterable[LabelIssue]]]
"""A model-based source: its key (a scoring run, a model) and a function listing its issues by corpus index."""


def fill_queue(queue: "ReviewQueue", parts: Mapping[str, Sequence[int]], corpus: Callable[[], Sequence[Sentence]],
               split: str, model: ModelSource | None = None) -> int:
    """Add the sources not yet in the queue: the strings tagged more than one way, for every split at
    once (``parts`` maps a split to its corpus indices; one corpus scan), and ``model``'s issues for
    ``split``. Each is computed only when its key is new; ``corpus()`` gives the current tags.
    Returns the items added."""
    added = 0
    missing = [part for part in parts if not queue.filled(part, CONSISTENCY, "corpus")]
    if missing:
        found = consistency_candidates(corpus(), sorted(i for part in missing for i in parts[part]))
        for part in missing:
            wanted = set(parts[part])
            added += queue.fill(part, CONSISTENCY, "corpus", [c for c in found if c.sentence in wanted])
    if model is not None and not queue.filled(split, MODEL, model[0]):
        wanted = set(parts[split])
        added += queue.fill(split, MODEL, model[0], model_candidates(i for i in model[1]() if i.sentence in wanted))
    return added


class ReviewQueue:
    """The review queue of one dataset (all its splits), stored beside its corrections."""

    def __init__(self, store: CorrectionStore) -> None:
        self.store = store

    # ------------------------------------------------------------ filling

    def filled(self, split: str, source: str, key: str) -> bool:
        with Session(self.store.engine) as session:
            return session.get(ReviewFill, (self.store.dataset_id, split, source, key)) is not None

    def fill(self, split: str, source: str, key: str, candidates: Iterable[Candidate]) -> int:
        """Add ``candidates`` of ``source`` to the queue of ``split`` once per ``key``; returns the items added.

        A candidate already in the queue (decided or not) is not added again; nor are any when another server fills
        the same source at the same moment (two started together): its fill stands.
        """
        _check(split, source)
        try:
            return self._fill(split, source, key, candidates)
        except IntegrityError:
            if self.filled(split, source, key):
                return 0
            raise

    def _fill(self, split: str, source: str, key: str, candidates: Iterable[Candidate]) -> int:
        with Session(self.store.engine) as session, session.begin():
            if session.get(ReviewFill, (self.store.dataset_id, split, source, key)) is not None:
                return 0
            present = set(session.execute(
                select(ReviewItem.sentence, ReviewItem.start, ReviewItem.end, ReviewItem.given, ReviewItem.suggested)
                .where(*self._where(split), ReviewItem.source == source)).tuples())
            now, new = _now(), []
            for c in candidates:
                if c.source != source:
                    raise ValueError(f"a {c.source!r} candidate given as source {source!r}")
                if (c.sentence, c.start, c.end, c.given, c.suggested) in present:
                    continue
                present.add((c.sentence, c.start, c.end, c.given, c.suggested))
                new.append(dict(dataset_id=self.store.dataset_id, split=split, source=source, sentence=c.sentence,
                                start=c.start, end=c.end, given=c.given, suggested=c.suggested, given_type=_type(c.given),
                                suggested_type=_type(c.suggested), score=c.score, detail=c.detail, created_at=now))
            if new:
                session.execute(insert(ReviewItem), new)  # a bulk insert: thousands of items at once
            session.add(ReviewFill(dataset_id=self.store.dataset_id, split=split, source=source, key=key, items=len(new),
                                   created_at=now))
            return len(new)

    # ------------------------------------------------------------ reading

    def _where(self, split: str) -> list:
        return [ReviewItem.dataset_id == self.store.dataset_id, ReviewItem.split == split]

    def _open(self, split: str, types: Iterable[str] | None, sources: Iterable[str] | None) -> list:
        decided = exists().where(ReviewDecision.item_id == ReviewItem.id, ReviewDecision.reverted.is_(False))
        where = [*self._where(split), ~decided]
        if types:
            types = list(types)
            where.append(ReviewItem.given_type.in_(types) | ReviewItem.suggested_type.in_(types))
        if sources:
            where.append(ReviewItem.source.in_(list(sources)))
        return where

    def items(self, split: str, types: Iterable[str] | None = None, sources: Iterable[str] | None = None,
              limit: int | None = None, skip: Iterable[int] = ()) -> list[QueueItem]:
        """Open items, most suspicious first (filtered by entity type and source; ``skip``: item ids left out)."""
        query = (select(ReviewItem).where(*self._open(split, types, sources))
                 .order_by(ReviewItem.score.desc(), ReviewItem.id))
        skip = list(skip)
        if skip:
            query = query.where(ReviewItem.id.not_in(skip))
        if limit is not None:
            query = query.limit(limit)
        with Session(self.store.engine) as session:
            return [queue_item(row) for row in session.scalars(query)]

    def has_items(self, split: str, source: str) -> bool:
        """Whether ``split``'s queue ever held an item of ``source``, open or decided (a source's flags computed)."""
        with Session(self.store.engine) as session:
            return session.scalar(select(ReviewItem.id).where(*self._where(split), ReviewItem.source == source).limit(1)) is not None

    def count(self, split: str, types: Iterable[str] | None = None, sources: Iterable[str] | None = None) -> int:
        """Open items (with the same filters as :meth:`items`)."""
        with Session(self.store.engine) as session:
            return session.scalar(select(func.count()).select_from(ReviewItem).where(*self._open(split, types, sources)))

    def item(self, item_id: int) -> QueueItem:
        with Session(self.store.engine) as session:
            row = session.get(ReviewItem, item_id)
            if row is None or row.dataset_id != self.store.dataset_id:
                raise KeyError(f"no review item {item_id} in dataset {self.store.name!r}")
            return queue_item(row)

    def open_item(self, item_id: int) -> QueueItem | None:
        """The item if it is still open (None once decided, or if there is no such item)."""
        decided = exists().where(ReviewDecision.item_id == ReviewItem.id, ReviewDecision.reverted.is_(False))
        with Session(self.store.engine) as session:
            row = session.scalar(select(ReviewItem).where(ReviewItem.id == item_id,
                                                          ReviewItem.dataset_id == self.store.dataset_id, ~decided))
            return queue_item(row) if row is not None else None

    def is_open(self, item_id: int) -> bool:
        with Session(self.store.engine) as session:
            return not session.scalar(select(exists().where(ReviewDecision.item_id == item_id,
                                                            ReviewDecision.reverted.is_(False))))

    def last_decided(self, author: str, split: str) -> int | None:
        """The sentence of ``author``'s latest live decision on ``split`` (None: none)."""
        with Session(self.store.engine) as session:
            return session.scalar(select(ReviewDecision.sentence).join(ReviewItem, ReviewDecision.item_id == ReviewItem.id).where(
                ReviewItem.dataset_id == self.store.dataset_id, ReviewItem.split == split, ReviewDecision.author == author,
                ReviewDecision.reverted.is_(False)).order_by(ReviewDecision.id.desc()).limit(1))

    def decisions(self, split: str | None = None) -> list[dict]:
        """Every live decision, newest first."""
        query = (select(ReviewDecision, ReviewItem).join(ReviewItem, ReviewDecision.item_id == ReviewItem.id)
                 .where(ReviewItem.dataset_id == self.store.dataset_id, ReviewDecision.reverted.is_(False))
                 .order_by(ReviewDecision.id.desc()))
        if split:
            query = query.where(ReviewItem.split == split)
        with Session(self.store.engine) as session:
            return [{"item": i.id, "sentence": i.sentence, "action": d.action, "author": d.author, "changed": d.changed,
                     "time": d.created_at} for d, i in session.execute(query).tuples()]

    # ------------------------------------------------------------ deciding

    def settle_applied(self, items: Sequence[QueueItem]) -> list[int]:
        """Decide each of ``items`` whose suggestion a later save applied already (a colleague on Annotate, a decision
        on another item of its sentence) as accepted by that save, with its batch: nobody is asked about it again, and
        undoing or rejecting that save reopens it. Returns the ids of the items settled."""
        states = self.store.snapshots(sorted({i.sentence for i in items}))
        applied = [i for i in items if states[i.sentence].version and i.apply(states[i.sentence].tags) == list(states[i.sentence].tags)]
        settled: list[int] = []
        if not applied:
            return settled
        with Session(self.store.engine) as session, session.begin():
            for item in applied:
                session.get(ReviewItem, item.id, with_for_update=True)  # PostgreSQL: a decision on it meanwhile waits here
                if session.scalar(select(exists().where(ReviewDecision.item_id == item.id, ReviewDecision.reverted.is_(False)))):
                    continue
                save = session.execute(select(Correction.batch, Correction.author).where(  # the latest save of its tokens, else
                    Correction.dataset_id == self.store.dataset_id, Correction.sentence == item.sentence,  # of its sentence
                    Correction.reverted.is_(False)).order_by(Correction.token.between(item.start, item.end - 1).desc(),
                                                             Correction.id.desc()).limit(1)).first()
                if save is not None:
                    session.add(ReviewDecision(item_id=item.id, action=ACCEPTED, author=save.author, sentence=item.sentence,
                                               changed=0, created_at=_now(), batch=save.batch))
                    settled.append(item.id)
        return settled

    def decide(self, item_id: int, action: str, author: str, version: int, tags: Sequence[str] | None = None,
               over: bool = False) -> int:
        """Decide an item from the sentence as it was at ``version``; returns the tokens changed.

        ``accepted`` applies the suggestion, ``kept`` keeps the gold (nothing changes), ``edited``
        stores ``tags``. A sentence changed since ``version`` is refused
        (:class:`~ner_core.storage.store.StaleSaveError`) and nothing is recorded then; the decision is
        stored in the same transaction as its save. An item someone decided first takes no second
        decision (:class:`AlreadyDecided`): where its tags would change the sentence, they are saved as a
        correction only ``over`` that decision (the user chose to, seeing both).
        """
        item = self.item(item_id)
        current = self.store.snapshot(item.sentence)  # if not at ``version``, the save below refuses it
        if action == ACCEPTED:
            tags = item.apply(current.tags)
        elif action == KEPT:
            tags = current.tags
        elif action == EDITED:
            if tags is None:
                raise ValueError("an edit needs the edited tags")
        else:
            raise ValueError(f"unknown decision {action!r}: use {ACCEPTED}, {KEPT} or {EDITED}")

        def record(session: Session, saved: SaveResult) -> None:
            session.get(ReviewItem, item_id, with_for_update=True)  # PostgreSQL: two decisions on one item queue here
            first = session.scalar(select(ReviewDecision).where(ReviewDecision.item_id == item_id, ReviewDecision.reverted.is_(False)))
            if first is None:
                session.add(ReviewDecision(item_id=item_id, action=action, author=author, sentence=item.sentence,
                                           changed=saved.changed, created_at=_now(), batch=saved.batch))
            elif not saved.changed or not over:  # decided meanwhile: not a second decision; other tags, a conflict
                raise AlreadyDecided(f"sentence {item.sentence}: this item was {first.action} by {first.author} meanwhile; "
                                     "nothing was saved", first.action, first.author, list(tags) if saved.changed else None)
            # else decided meanwhile, and the user chose these tags over it: saved as a correction (undone as one)

        return self.store.save(item.sentence, list(tags), author=author, expected_version=version, also=record).changed

    def alike(self, item: QueueItem) -> Alike:
        """For a consistency item: every sentence of the dataset (any split) where its string is
        annotated otherwise than the suggestion, with its current tags changed to the suggestion and
        the version they were read at."""
        if item.source != CONSISTENCY:
            raise ValueError("only a consistency item names a string to annotate alike")
        words = tuple(self.store.original[item.sentence].words[item.start:item.end])
        while True:
            before = self.store.versions()
            corpus, changes = self.store.corrected(), {}
            after = self.store.versions()
            if before == after:
                break
        for o in occurrences(corpus, [words]):
            if o.label is not None and o.label != item.suggested:
                changes[o.sentence] = retag(changes.get(o.sentence, corpus[o.sentence].tags), o.start,
                                            o.start + len(words), item.suggested)
        return Alike(changes, {s: after.get(s, 0) for s in changes})

    def decide_alike(self, item: QueueItem, alike: Alike, author: str) -> AlikeResult:
        """Save ``alike``'s changes as one batch and decide the open items it settles (same string, same
        suggestion); one undo reverts it all. A sentence changed since :meth:`alike` read it is left as
        it is (nothing of the other person's is overwritten) and reported in ``stale``."""
        words = tuple(self.store.original[item.sentence].words[item.start:item.end])
        changes, versions, stale = dict(alike.changes), dict(alike.versions), []

        def settle(session: Session, saved: SaveResult) -> None:
            rows = session.scalars(select(ReviewItem).where(
                ReviewItem.dataset_id == self.store.dataset_id, ReviewItem.source == CONSISTENCY,
                ReviewItem.suggested == item.suggested, ReviewItem.sentence.in_(list(changes)),
                ~exists().where(ReviewDecision.item_id == ReviewItem.id, ReviewDecision.reverted.is_(False))))
            now = _now()
            for row in rows:
                if tuple(self.store.original[row.sentence].words[row.start:row.end]) == words:
                    session.add(ReviewDecision(item_id=row.id, action=ACCEPTED, author=author, sentence=row.sentence,
                                               changed=0, created_at=now, batch=saved.batch))

        while changes:
            try:
                result = self.store.save_many(changes, author=author, expected=versions, also=settle)
                return AlikeResult(result.changed, sorted(changes), sorted(stale))
            except StaleSaveError as err:  # changed meanwhile: theirs stays, the rest is saved
                stale.append(err.sentence)
                del changes[err.sentence], versions[err.sentence]
        return AlikeResult(0, [], sorted(stale))

    def undo(self, author: str, sentence: int) -> Undone | None:
        """Undo ``author``'s last decision (or, without one, last save) on ``sentence``: the batch it saved
        (and only that batch) is reverted and the items decided with it reopen, in one transaction.
        ``None`` when there is nothing of ``author``'s to undo there; a sentence someone else changed
        after the decision is refused (:class:`~ner_core.storage.store.StaleSaveError`) and nothing changes."""
        with Session(self.store.engine) as session:
            decision = session.scalar(
                select(ReviewDecision).join(ReviewItem, ReviewDecision.item_id == ReviewItem.id)
                .where(ReviewItem.dataset_id == self.store.dataset_id, ReviewDecision.sentence == sentence,
                       ReviewDecision.author == author, ReviewDecision.reverted.is_(False))
                .order_by(ReviewDecision.id.desc()).limit(1))
            if decision is not None and decision.batch is not None:  # the first of its batch: the one the author made
                decision = session.scalar(select(ReviewDecision).where(  # (those it settled come after: settle_applied)
                    ReviewDecision.batch == decision.batch, ReviewDecision.sentence == sentence,
                    ReviewDecision.reverted.is_(False)).order_by(ReviewDecision.id).limit(1))
            if decision is not None:
                item, action, batch, decision_id = queue_item(session.get(ReviewItem, decision.item_id)), decision.action, decision.batch, decision.id
        if decision is None:
            reverted = self.store.undo(author, sentence=sentence)
            return None if reverted is None else Undone(sentence, None, None, len(reverted.tokens))

        def reopen(session: Session) -> None:
            together = ReviewDecision.batch == batch if batch is not None else ReviewDecision.id == decision_id
            session.execute(update(ReviewDecision).where(together, ReviewDecision.reverted.is_(False)).values(reverted=True))

        if batch is None:  # the decision changed nothing: only the decision is undone
            with Session(self.store.engine) as session, session.begin():
                reopen(session)
            return Undone(sentence, item, action, 0)
        reverted = self.store.undo(author, batch=batch)  # the items decided with the batch reopen with it
        if reverted is None:  # its batch was undone or rejected elsewhere: the decision goes with it
            with Session(self.store.engine) as session, session.begin():
                reopen(session)
            return Undone(sentence, item, action, 0)
        return Undone(sentence, item, action, len(reverted.tokens), reverted.sentences)


def _check(split: str, source: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")


def queue_item(row: ReviewItem) -> QueueItem:
    """The queue item a stored row holds."""
    return QueueItem(row.source, row.sentence, row.start, row.end, row.given, row.suggested, row.score, row.detail,
                     id=row.id, split=row.split)
