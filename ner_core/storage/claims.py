"""Claims: a team at one queue works on different items.

The items a browser has on screen and ahead (a review queue's or a pool's, up to half of those open to it; before its
first decision, skip or undo for :data:`LOOK_SECONDS` only: the callers'
:meth:`~ner_core.quality.review_session.OpsSession.hold`) are claimed for their annotator; another annotator's browser
is not sent them while the claim lives (:data:`CLAIM_SECONDS`, renewed with every item drawn).
So two people at the review queue or on New text do not decide the same items in turn (Prodigy's ``feed_overlap``
off). ``$NER_CLAIM_SECONDS=0`` sends every item to everyone (for a team that wants overlap). A claim only orders
the work: a decision on a claimed item is still checked as any other.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session

from .schema import Claim

CLAIM_ENV, CLAIM_SECONDS = "NER_CLAIM_SECONDS", 300  # an idle browser's items go back to the others after this long
LOOK_SECONDS = 60  # ... and those of a page that has only looked (an admin who added text and left)


def _live(claimed_at: datetime, looking: bool, now: datetime) -> bool:
    moment = claimed_at if claimed_at.tzinfo else claimed_at.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC
    seconds = float(os.environ.get(CLAIM_ENV, CLAIM_SECONDS))
    return now - moment < timedelta(seconds=min(seconds, LOOK_SECONDS) if looking else seconds)


def held_by_others(engine: Engine, kind: str, author: str) -> list[int]:
    """The ``kind`` items that another annotator's browser holds now."""
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        rows = session.execute(select(Claim.item_id, Claim.claimed_at, Claim.looking).where(
            Claim.kind == kind, Claim.author != author)).all()
    return [item for item, at, looking in rows if _live(at, looking, now)]


def claim(engine: Engine, kind: str, items: Sequence[int], author: str, looking: bool = False) -> list[int]:
    """Hold ``items`` for ``author`` (theirs alone from now on; ``looking``: for :data:`LOOK_SECONDS` only, a page
    that has not decided anything yet): their earlier claims and lapsed ones are dropped; an item another annotator
    holds stays theirs. Returns those of ``items`` another annotator holds, one claimed a moment before this call
    included (two pages opened at once: the later one learns it)."""
    now = datetime.now(timezone.utc)
    items = list(dict.fromkeys(items))
    try:
        with Session(engine) as session, session.begin():
            rows = session.execute(select(Claim.item_id, Claim.author, Claim.claimed_at, Claim.looking).where(Claim.kind == kind)).all()
            gone = [item for item, who, at, was_looking in rows if who == author or not _live(at, was_looking, now)]
            if gone:
                session.execute(delete(Claim).where(Claim.kind == kind, Claim.item_id.in_(gone)))
            held = {item for item, *_ in rows if item not in gone}
            new = [{"kind": kind, "item_id": i, "author": author, "claimed_at": now, "looking": looking} for i in items if i not in held]
            if new:  # one claimed by another browser meanwhile stays theirs
                session.execute(_insert(engine)(Claim).values(new).on_conflict_do_nothing())
            return list(session.scalars(select(Claim.item_id).where(Claim.kind == kind, Claim.item_id.in_(items),
                                                                    Claim.author != author))) if items else []
    except (OperationalError, InternalError):  # a database that cannot write now (read-only, locked too long): the items
        return []  # go unclaimed


def _insert(engine: Engine) -> Callable:
    """The dialect's INSERT, which can skip a row whose key is taken (``ON CONFLICT DO NOTHING``)."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
