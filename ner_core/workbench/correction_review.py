"""Review of corrections: a reviewer accepts or rejects each correction batch (one save).

A batch is pending while it is live (not undone) and has no decision. Accepting records who
and when; rejecting also reverts the batch, as an undo would, so the sentence's tags fall back
to the previous live corrections or the original (a sentence added from the pool goes back to the pool). A reviewer never reviews their own batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..storage.schema import Correction, CorrectionReview
from ..storage.store import CorrectionStore, bump_version, refuse_when_full, reopen_pool_add
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

    @property
    def sentences(self) -> list[int]:
        return sorted({c.sentence for c in self.changes})


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
    return [
        Batch(key, rows[0].author, rows[0].created_at,
              tuple(Change(r.sentence, r.token, store.word(r.sentence, r.token), r.old_tag, r.new_tag) for r in rows))
        for key, rows in batches.items()
    ]


def why_not(batch: Batch, reviewer: User | None) -> str | None:
    """Why ``reviewer`` may not decide on ``batch`` (a sentence for a disabled button), or ``None`` if they may."""
    own = reviewer is not None and batch.author == reviewer.name
    return refusal(reviewer, "review") or ("your own corrections are reviewed by someone else" if own else None)


@refuse_when_full()
def decide(store: CorrectionStore, batch: str, decision: str, reviewer: User | None) -> None:
    """Accept or reject a pending batch (a rejection reverts it); one transaction, nothing changed on refusal."""
    require(reviewer, "review")
    if decision not in DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}: {' or '.join(DECISIONS)}")
    name = reviewer.name if reviewer else "anonymous"
    try:
        _decide(store, batch, decision, reviewer, name)
    except IntegrityError:  # another reviewer decided meanwhile
        raise ReviewError("this batch was reviewed meanwhile by someone else") from None


def _decide(store: CorrectionStore, batch: str, decision: str, reviewer: User | None, name: str) -> None:
    with Session(store.engine) as session, session.begin():
        rows = list(session.scalars(select(Correction).where(Correction.dataset_id == store.dataset_id, Correction.batch == batch)))
        if not rows:
            raise ReviewError(f"no correction batch {batch!r}")
        done = session.get(CorrectionReview, batch)
        if done is not None:
            raise ReviewError(f"this batch was {done.decision} already, by {done.reviewer}")
        if all(r.reverted for r in rows):
            raise ReviewError("this batch was undone by its author; nothing to review")
        if reviewer is not None and rows[0].author == reviewer.name:
            raise ReviewError("a reviewer does not review their own corrections")
        now = datetime.now(timezone.utc)
        session.add(CorrectionReview(batch=batch, dataset_id=store.dataset_id, decision=decision, reviewer=name, reviewed_at=now))
        if decision == "rejected":  # reverted as an undo is: a save edited from before is now stale
            touched = sorted({r.sentence for r in rows if not r.reverted})
            session.execute(update(Correction).where(Correction.batch == batch, Correction.reverted.is_(False))
                            .values(reverted=True, reverted_by=name, reverted_at=now))
            for sentence in touched:
                bump_version(session, store.dataset_id, sentence, name, now, None)
            reopen_pool_add(session, store.dataset_id, batch, name, now)  # a rejected add goes back to the pool, as an undo


def decisions(store: CorrectionStore, limit: int = 200) -> list[dict]:
    """Recorded decisions, newest first: batch, decision, reviewer, time."""
    with Session(store.engine) as session:
        rows = session.scalars(select(CorrectionReview).where(CorrectionReview.dataset_id == store.dataset_id)
                               .order_by(CorrectionReview.reviewed_at.desc()).limit(limit))
        return [{"batch": r.batch, "decision": r.decision, "reviewer": r.reviewer, "time": r.reviewed_at} for r in rows]
