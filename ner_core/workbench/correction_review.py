"""Review of corrections: a reviewer accepts or rejects each correction batch (one save).

A batch is pending while it is live (not undone) and has no decision. Accepting records who
and when; rejecting also reverts the batch, as an undo would, so the sentence's tags fall back
to the previous live corrections or the original (a sentence added from the pool goes back to the pool,
an item of the review queue decided with the batch reopens). A token someone changed after the batch
keeps that later tag; a sentence whose tags the rejection does not change keeps its version.
A reviewer never reviews their own batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.tags import spans
from ..quality.review_queue import ACCEPTED, queue_item
from ..storage.schema import NOTE_MAX, POOL_ADDED, Assignment, Correction, CorrectionReview, PoolSentence, ReviewDecision, ReviewItem, SentenceVersion
from ..storage.store import CorrectionError, CorrectionStore, bump_version, refuse_when_full, reopen_batch
from ..storage.users import User, refusal, require

DECISIONS = ("accepted", "rejected")


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown, undone or already reviewed batch; one's own batch)."""


@dataclass(frozen=True)
class Change:
    sentence: int
    token: int
    word: str
    old: str
    new: str


@dataclass(frozen=True)
class Batch:
    batch: str
    author: str
    created_at: datetime
    changes: tuple[Change, ...]
    origin: str = "Annotate"  # the page it was saved on (see :func:`_origins`)
    added: tuple[int, ...] = ()  # the sentence it added from the pool (one with no entity changes no tag)

    @property
    def sentences(self) -> list[int]:
        return sorted({c.sentence for c in self.changes} | set(self.added))


@dataclass(frozen=True)
class Decided:
    """What a decision did. A rejection sets back the sentences in ``changed``; those in ``superseded`` keep their
    tags, every change of the batch there having been changed again since (by ``by``'s later saves); ``pooled``: the
    batch had added a sentence from the pool, which goes back there."""

    batch: str
    decision: str
    author: str
    sentences: tuple[int, ...]
    changed: tuple[int, ...] = ()
    superseded: tuple[int, ...] = ()
    by: tuple[str, ...] = ()
    pooled: bool = False

    def __str__(self) -> str:
        head = (f"{self.decision.capitalize()}: {self.author}'s save on sentence{'s' * (len(self.sentences) != 1)} "
                f"{', '.join(map(str, self.sentences))}")
        if self.decision != "rejected":
            return f"{head}."
        back = " The sentence goes back to the pool of New text." if self.pooled else ""
        if not self.superseded:
            return f"{head}, set back.{back}"
        who = " and ".join(f"{name}'s" for name in self.by)
        saves = f"{who} later save{'s' if len(self.by) > 1 else ''}" if self.by else "later saves"
        if not self.changed:
            return f"{head}; its changes had been superseded by {saves}: the tags stay as they are.{back}"
        return f"{head}; sentence(s) {', '.join(map(str, self.superseded))} keep their tags, superseded by {saves}.{back}"


def pending(store: CorrectionStore) -> list[Batch]:
    """Live correction batches without a decision, oldest first."""
    with Session(store.engine) as session:
        reviewed = select(CorrectionReview.batch).where(CorrectionReview.dataset_id == store.dataset_id)
        rows = session.scalars(
            select(Correction).where(Correction.dataset_id == store.dataset_id, Correction.reverted.is_(False),
                                     Correction.batch.not_in(reviewed)).order_by(Correction.id)
        )
        batches: dict[str, list[Correction]] = {}
        for row in rows:
            batches.setdefault(row.batch, []).append(row)
        adds = {add.batch: add for add in session.execute(select(
            PoolSentence.batch, PoolSentence.corpus_index, PoolSentence.decided_by, PoolSentence.decided_at).where(
            PoolSentence.dataset_id == store.dataset_id, PoolSentence.state == POOL_ADDED, PoolSentence.batch.not_in(reviewed)))}
        origins = _origins(session, store, [*batches, *adds])
    found = [
        Batch(key, rows[0].author, rows[0].created_at,
              tuple(Change(r.sentence, r.token, store.word(r.sentence, r.token), r.old_tag, r.new_tag) for r in rows), origins[key],
              (adds[key].corpus_index,) if key in adds else ())
        for key, rows in batches.items()
    ]
    found += [Batch(key, add.decided_by, add.decided_at, (), origins[key], (add.corpus_index,))  # added with no entity: no tag changed
              for key, add in adds.items() if key not in batches]
    return sorted(found, key=lambda b: b.created_at)


def _origins(session: Session, store: CorrectionStore, keys: list[str]) -> dict[str, str]:
    """Where each batch was saved: the review queue (a decision names it), New text (a
    pool sentence's add), Agreement (an adjudication names it; those saved before migration 0015 read as Annotate)
    or, else, Annotate."""
    queue = set(session.scalars(select(ReviewDecision.batch).where(ReviewDecision.batch.in_(keys))))
    pool = set(session.scalars(select(PoolSentence.batch).where(PoolSentence.dataset_id == store.dataset_id, PoolSentence.batch.in_(keys))))
    adjudicated = set(session.scalars(select(Assignment.adjudication_batch).where(
        Assignment.dataset_id == store.dataset_id, Assignment.adjudication_batch.in_(keys))))
    return {key: "Review queue" if key in queue else "New text" if key in pool else "Agreement" if key in adjudicated
            else "Annotate" for key in keys}


def why_not(batch: Batch, reviewer: User | None) -> str | None:
    """Why ``reviewer`` may not decide on ``batch`` (a sentence for a disabled button), or ``None`` if they may."""
    own = reviewer is not None and batch.author == reviewer.name
    return refusal(reviewer, "review") or ("your own corrections are reviewed by someone else" if own else None)


@refuse_when_full()
def decide(store: CorrectionStore, batch: str, decision: str, reviewer: User | None, note: str = "", name: str = "") -> Decided:
    """Accept or reject a pending batch (a rejection reverts it), with the reviewer's ``note`` to its author (why);
    one transaction, nothing changed on refusal. ``name``: who decides where no user is signed in (one-person mode's
    name, the command line)."""
    require(reviewer, "review")
    if decision not in DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}: {' or '.join(DECISIONS)}")
    if len(note := note.strip()) > NOTE_MAX:
        raise ReviewError(f"a note holds at most {NOTE_MAX} characters, this one {len(note)}: shorten it")
    name = reviewer.name if reviewer else name.strip() or "anonymous"
    try:
        return _decide(store, batch, decision, reviewer, name, note or None)
    except IntegrityError:  # another reviewer decided meanwhile
        raise ReviewError("this batch was reviewed meanwhile by someone else") from None


def _decide(store: CorrectionStore, batch: str, decision: str, reviewer: User | None, name: str, note: str | None) -> Decided:
    """The decision is written before the batch's rows are read, with their sentences' version rows locked, so that
    the author's undo of the batch comes wholly before it (and the batch reads as undone) or after it (and is refused):
    an accepted batch is never undone (PostgreSQL: the lock; SQLite: the write lock the flush takes)."""
    with Session(store.engine) as session, session.begin():
        done = session.get(CorrectionReview, batch)
        if done is not None:
            raise ReviewError(f"this batch was {done.decision} already, by {done.reviewer}")
        of_batch = (Correction.dataset_id == store.dataset_id, Correction.batch == batch)
        add = session.execute(select(PoolSentence.corpus_index, PoolSentence.decided_by).where(  # a pool add, live
            PoolSentence.dataset_id == store.dataset_id, PoolSentence.batch == batch, PoolSentence.state == POOL_ADDED)).first()
        touched = sorted({*session.scalars(select(Correction.sentence).where(*of_batch).distinct()), *([add[0]] if add else [])})
        if not touched:
            raise ReviewError(f"no correction batch {batch!r}")
        session.execute(select(SentenceVersion.sentence).where(SentenceVersion.dataset_id == store.dataset_id,
                        SentenceVersion.sentence.in_(touched)).order_by(SentenceVersion.sentence).with_for_update())
        now = datetime.now(timezone.utc)
        session.add(CorrectionReview(batch=batch, dataset_id=store.dataset_id, decision=decision, reviewer=name, reviewed_at=now,
                                     note=note))
        session.flush()
        rows = list(session.scalars(select(Correction).where(*of_batch)))
        if add is None and all(r.reverted for r in rows):
            raise ReviewError("this batch was undone by its author; nothing to review")
        author = add[1] if add is not None else rows[0].author
        if reviewer is not None and author == reviewer.name:
            raise ReviewError("a reviewer does not review their own corrections")
        if decision == "rejected":
            return _reject(session, store, batch, touched, author, [r for r in rows if not r.reverted], name, now, add is not None)
        return Decided(batch, decision, author, tuple(touched))


def _reject(session: Session, store: CorrectionStore, batch: str, touched: list[int], author: str, live: list[Correction],
            name: str, now: datetime, pooled: bool) -> Decided:
    """Revert the ``live`` rows of ``batch`` (on ``touched`` sentences, whose version rows are locked) as an undo would;
    a sentence whose tags change gets a new version (a save edited from before is stale), one whose every change was
    changed again since keeps its tags and version; a ``pooled`` batch's added sentence goes back to the pool."""
    if pooled:  # the sentence leaves the corpus: a later save of it by someone else would leave with it, unseen
        others = session.execute(select(Correction.sentence, Correction.author).where(
            Correction.dataset_id == store.dataset_id, Correction.reverted.is_(False), Correction.sentence.in_(touched),
            Correction.batch != batch).order_by(Correction.id)).all()
        if others:
            raise ReviewError(f"not rejected: {', '.join(sorted({a for _, a in others}))} saved sentence {others[0].sentence} "
                              "since it was added from the pool, and rejecting the add would take that work out of the corpus "
                              "with it: reject their batch first, or correct the sentence on Annotate")
    before = store.read_tags(session, touched)
    session.execute(update(Correction).where(Correction.batch == batch, Correction.reverted.is_(False))
                    .values(reverted=True, reverted_by=name, reverted_at=now))
    after = store.read_tags(session, touched)
    changed = [s for s in touched if before[s] != after[s]]
    _check_reverted(session, store, min((r.id for r in live), default=0), changed, before, after)
    for sentence in changed:
        bump_version(session, store.dataset_id, sentence, name, now, None)
    reopen_batch(session, store.dataset_id, batch, name, now)  # as on undo: a pool add back to the pool, queue items reopen
    _reopen_undone_suggestions(session, store, live, after)
    superseded = sorted({r.sentence for r in live} - set(changed))  # an add's sentence without entities changes no tag
    tokens = {(r.sentence, r.token) for r in live if r.sentence in superseded}
    later = session.execute(select(Correction.sentence, Correction.token, Correction.author).where(
        Correction.dataset_id == store.dataset_id, Correction.reverted.is_(False), Correction.sentence.in_(superseded),
        Correction.id > min(r.id for r in live))).all() if superseded else []
    by = sorted({who for sentence, token, who in later if (sentence, token) in tokens})
    return Decided(batch, "rejected", author, tuple(touched), tuple(changed), tuple(superseded), tuple(by), pooled)


def _check_reverted(session: Session, store: CorrectionStore, since: int, changed: list[int], before: dict, after: dict) -> None:
    """Refuse a rejection whose tags would name a type removed since, or change an entity holding a token that a later
    save (a row after ``since``) changed: someone built on the batch (extended, split or joined its entity), and setting
    it back would reshape their work unseen. Nothing is written then."""
    for sentence in changed:
        removed = store.tagset.unknown_tags(after[sentence])
        if removed:
            raise ReviewError(f"not rejected: it would bring back {', '.join(removed)} on sentence {sentence}, of a type removed "
                              "since: add the type again (Annotate's Entity types) to reject it, or correct the sentence on Annotate")
        later = session.execute(select(Correction.token, Correction.author).where(
            Correction.dataset_id == store.dataset_id, Correction.sentence == sentence, Correction.reverted.is_(False),
            Correction.id > since)).all()
        tokens = {token for token, _ in later}

        def theirs(tags: list[str]) -> set:  # the entities holding a token saved later
            return {e for e in spans(tags) if any(e.start <= t < e.end for t in tokens)}

        if theirs(before[sentence]) != theirs(after[sentence]):
            raise ReviewError(f"not rejected: {', '.join(sorted({a for _, a in later}))} built on it on sentence {sentence}, and "
                              "setting it back would change their entity: reject their batch first, or correct the sentence on Annotate")
    try:  # a removal meanwhile
        store.check_types(session, (t for sentence in changed for t in after[sentence]))
    except CorrectionError as removed:
        raise ReviewError(f"not rejected: {removed}") from None


def _reopen_undone_suggestions(session: Session, store: CorrectionStore, live: list[Correction], after: dict) -> None:
    """Accepted review-queue items on the reverted tokens whose suggestion the rejection took away reopen too: an
    accept that changed nothing (someone had saved those tags first) has no batch, and would stay decided."""
    tokens = {(r.sentence, r.token) for r in live}
    rows = session.execute(select(ReviewDecision, ReviewItem).join(ReviewItem, ReviewDecision.item_id == ReviewItem.id).where(
        ReviewItem.dataset_id == store.dataset_id, ReviewDecision.sentence.in_({s for s, _ in tokens}),
        ReviewDecision.action == ACCEPTED, ReviewDecision.reverted.is_(False))).all()
    for decision, item in rows:
        tags = list(after[item.sentence])
        if any((item.sentence, t) in tokens for t in range(item.start, item.end)) and queue_item(item).apply(tags) != tags:
            decision.reverted = True


def rejections(store: CorrectionStore, item_ids: list[int]) -> dict[int, str]:
    """For review-queue items back in the queue because a reviewer rejected a decision on them: who rejected whose."""
    with Session(store.engine) as session:
        rows = session.execute(select(ReviewDecision.item_id, ReviewDecision.action, ReviewDecision.author, CorrectionReview.reviewer,
                                      CorrectionReview.note)
                               .join(CorrectionReview, CorrectionReview.batch == ReviewDecision.batch)
                               .where(ReviewDecision.item_id.in_(item_ids), CorrectionReview.decision == "rejected")
                               .order_by(ReviewDecision.id)).all()
    return {item: f"{reviewer} rejected {author}'s decision ({action}) on it before" + (f': "{note}"' if note else "")
            for item, action, author, reviewer, note in rows}


def decisions(store: CorrectionStore, limit: int = 200) -> list[dict]:
    """Recorded decisions, newest first: the batch (whose, saved where and when, its sentences and token count), the
    decision, reviewer and time."""
    with Session(store.engine) as session:
        rows = list(session.scalars(select(CorrectionReview).where(CorrectionReview.dataset_id == store.dataset_id)
                                    .order_by(CorrectionReview.reviewed_at.desc()).limit(limit)))
        keys = [r.batch for r in rows]
        saved: dict[str, list[Correction]] = {}
        for row in session.scalars(select(Correction).where(Correction.dataset_id == store.dataset_id, Correction.batch.in_(keys))):
            saved.setdefault(row.batch, []).append(row)
        adds = {a.batch: a for a in session.execute(select(  # an add without entities has no rows; its adder, while it stands
            PoolSentence.batch, PoolSentence.corpus_index, PoolSentence.state, PoolSentence.decided_by, PoolSentence.decided_at).where(
            PoolSentence.dataset_id == store.dataset_id, PoolSentence.batch.in_(keys)))}
        origins = _origins(session, store, keys)

    def row(r: CorrectionReview) -> dict:
        changes, add = saved.get(r.batch, []), adds.get(r.batch)
        sentences = {c.sentence for c in changes} | ({add.corpus_index} if add is not None and add.corpus_index is not None else set())
        standing = add is not None and add.state == POOL_ADDED
        author, at = (changes[0].author, changes[0].created_at) if changes else (add.decided_by, add.decided_at) if standing else ("", None)
        return {"batch": r.batch, "author": author, "saved on": origins[r.batch],
                "saved at": at, "sentences": ", ".join(map(str, sorted(sentences))),
                "tokens": len(changes), "decision": r.decision, "reviewer": r.reviewer, "note": r.note or "", "time": r.reviewed_at}

    return [row(r) for r in rows]
