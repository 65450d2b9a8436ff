"""One browser session annotating a dataset's pool with the keyboard annotator.

The browser sends decisions as ops (``{"id", "kind", "item", "tags"}``; kinds ``accept`` and ``edit``
add the sentence with those tags, ``discard`` drops it, ``skip`` passes it this round, ``undo``
reopens my last decision); each op id is applied once, as in the review queue
(:class:`~.review_session.ReviewSession`), and the next sentence is on screen before the server
answers. A sentence someone else decided first is reported, never overwritten; the same decision sent
again (a reload, a restarted server) is recognised as saved. An undone sentence is shown again at once, first,
until it is decided again or leaves the pool. Before the session's first op only the sentence on screen is
claimed (:meth:`~.review_session.OpsSession.hold`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..data.tags import spans
from ..storage.claims import held_by_others
from ..storage.pool import ADDED, DISCARDED, OPEN, Pool, PoolDecided, PoolItem
from ..storage.store import CorrectionError, StorageWriteError
from .review_session import BUFFER, SKIPPED, UNKNOWN_OP, OpsSession


@dataclass
class PoolSession(OpsSession):
    skipped: dict[str, list[int]] = field(default_factory=dict)  # dataset -> pool items skipped this round
    current: dict[str, int | None] = field(default_factory=dict)  # dataset -> the undone item, shown first while open
    mine: dict[str, list[int]] = field(default_factory=dict)  # dataset -> the items this session decided, latest last: what u undoes

    def ahead(self, pool: Pool, author: str | None = None) -> list[PoolItem]:
        """The open sentences to send to the browser: the one undone last while it is open, then the best,
        skipping this round's skipped ones (when only skipped ones are left, a new round starts); with
        ``author``, those another annotator's browser holds are left out and those sent are claimed
        (:meth:`~.review_session.OpsSession.hold`)."""
        for _ in range(2):  # again if another page claimed the first sentence a moment ago (two pages opened at once)
            found, taken = self._ahead(pool, author)
            if not found or found[0].id not in taken:
                break
        return found

    def _ahead(self, pool: Pool, author: str | None) -> tuple[list[PoolItem], list[int]]:
        skipped = self.skipped.setdefault(pool.store.name, [])
        others = held_by_others(pool.engine, "pool", author) if author else []
        found = pool.items(2 * BUFFER, [*skipped, *others])  # twice what is sent: enough to tell a small pool
        if not found and skipped:
            skipped.clear()
            found = pool.items(2 * BUFFER, others)
        available = len(found)
        kept = self.current.get(pool.store.name)
        pinned = pool.item(kept) if kept is not None else None
        if pinned is not None and pinned.state == OPEN:
            found = [pinned, *(i for i in found if i.id != pinned.id)]
        else:
            self.current[pool.store.name] = None
        found = found[:BUFFER]
        return found, self.hold(pool.engine, "pool", [i.id for i in found], author, available) if author else []

    def _apply(self, op: dict, pool: Pool, author: str) -> None:
        """Apply one browser op (kinds ``accept`` / ``edit`` with ``tags``, ``discard``, ``skip``, ``undo``)."""
        kind, item = op.get("kind"), op.get("item")
        try:
            if kind == "undo":
                self._undo(pool, author)
            elif kind == "skip" and item is not None:
                self.skipped.setdefault(pool.store.name, []).append(int(item))
                if self.current.get(pool.store.name) == int(item):
                    self.current[pool.store.name] = None
                self.message = SKIPPED
            elif kind in ("accept", "edit") and item is not None and isinstance(op.get("tags"), list):
                index, saved = pool.accept(int(item), op["tags"], author)
                self.count(pool.store.name, 1)
                self.mine.setdefault(pool.store.name, []).append(int(item))
                repaired = f" ({len(saved.repaired)} I- tag(s) made B-)" if saved.repaired else ""
                entities = len(spans(pool.store.tags(index)))
                self.message = ("success", f"Added as sentence {index} of the training split, {entities} "
                                           f"entit{'y' if entities == 1 else 'ies'}{repaired}. Press u to undo it.")
            elif kind == "discard" and item is not None:
                pool.discard(int(item), author)
                self.count(pool.store.name, 1)
                self.mine.setdefault(pool.store.name, []).append(int(item))
                self.message = ("success", "Discarded: it will not be shown again. Press u to undo it.")
            else:
                self.message = ("error", UNKNOWN_OP)
        except PoolDecided as err:
            resent = (err.author, err.state) == (author, DISCARDED if kind == "discard" else ADDED)
            self.message = (("success", f"Pool sentence {item}: {err.state}: saved.") if resent else  # a colleague was first:
                            ("info", f"Not saved: {err}. On to the next sentence."))  # no fault of anyone's, as in the queue
        except StorageWriteError:
            raise
        except (TypeError, ValueError) as err:
            what = "undone" if kind == "undo" else "saved"
            self.message = ("error", f"Not {what}: {err}" if isinstance(err, CorrectionError) else UNKNOWN_OP)

    def _undo(self, pool: Pool, author: str) -> None:
        """Undo this session's latest decision (never an older session's: a reload starts with nothing to undo)."""
        mine = self.mine.setdefault(pool.store.name, [])
        if not mine:
            self.message = ("info", "Nothing of yours to undo in this session (u reaches the decisions made since the page opened).")
            return
        try:
            undone = pool.undo(author, mine[-1])
        except CorrectionError as err:
            if isinstance(err, StorageWriteError):  # the database refused: the op comes again
                raise
            mine.pop()  # changed by someone since: not undone from here; the next u reaches the decision before it
            self.message = ("error", f"Not undone: {err}")
            return
        mine.pop()
        if undone is None:
            self.message = ("info", "Nothing of yours to undo in the pool (that decision was undone already).")
            return
        self.count(pool.store.name, -1)
        skipped = self.skipped.get(pool.store.name, [])
        if undone.id in skipped:
            skipped.remove(undone.id)
        self.current[pool.store.name] = undone.id
        self.message = ("success", f"Undone: the sentence is back in the pool ({' '.join(undone.words[:8])}…).")
