"""One browser session annotating a dataset's pool with the keyboard annotator.

The browser sends decisions as ops (``{"id", "kind", "item", "tags"}``; kinds ``accept`` and ``edit``
add the sentence with those tags, ``discard`` drops it, ``skip`` passes it this round, ``undo``
reopens my last decision); each op id is applied once, as in the review queue
(:class:`~.review_session.ReviewSession`), and the next sentence is on screen before the server
answers. A sentence someone else decided first is reported, never overwritten: an add whose tags differ from
those another add stored (a colleague's, or this user's other tab) is a conflict, kept until ``overwrite`` (ops kind:
save mine over theirs) or ``theirs``; the same decision sent again (a reload, a restarted server) is recognised as
saved. An undone sentence is shown again at once, first, with the tags its add had, until it is decided again or
leaves the pool. Before the session's first op its sentences are claimed for a minute only
(:meth:`~.review_session.OpsSession.hold`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..data.tags import repair_iob2, spans
from ..storage.claims import held_by_others
from ..storage.pool import ADDED, DISCARDED, OPEN, Pool, PoolDecided, PoolItem
from ..storage.store import CorrectionError, StaleSaveError, StorageWriteError, UnknownTags
from .review_session import BUFFER, UNKNOWN_OP, Conflict, OpsSession, skipped


@dataclass
class PoolSession(OpsSession):
    skipped: dict[str, list[int]] = field(default_factory=dict)  # dataset -> pool items skipped this round
    current: dict[str, int | None] = field(default_factory=dict)  # dataset -> the undone item, shown first while open
    mine: dict[str, list[int]] = field(default_factory=dict)  # dataset -> the items this session decided, latest last: what u undoes
    returned: dict[tuple[str, int], tuple[list[str], str]] = field(default_factory=dict)  # (dataset, item) -> the tags it is
    # shown with again (an undone add's, or a refused add's still valid ones) and what the annotator reads of them
    back: str | None = None  # the op id of the last add refused and shown again: the browser brings it back on screen
    conflict: Conflict | None = None  # an add refused because another add stored other tags first: mine against theirs

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
                self.message = skipped(f"sentence {(skip := pool.item(int(item))).line} of {skip.source}")
            elif kind in ("accept", "edit") and item is not None and isinstance(op.get("tags"), list):
                index, saved = pool.accept(int(item), op["tags"], author)
                self._added(pool, int(item), index, saved.repaired)
            elif kind in ("overwrite", "theirs") and item is not None:
                self._resolve(kind, pool, author, int(item))
            elif kind == "discard" and item is not None:
                pool.discard(int(item), author)
                self.count(pool.store.name, 1)
                self.mine.setdefault(pool.store.name, []).append(int(item))
                self.message = ("success", "Discarded: it will not be shown again. Press u to undo it.")
            else:
                self.message = ("error", UNKNOWN_OP)
        except PoolDecided as err:
            self._decided_first(err, kind, int(item), op.get("tags"), pool, author)
        except UnknownTags as err:  # a type removed while the page offered it: the sentence back, the rest of the edit kept
            kept = ["O" if tag in err.unknown else tag for tag in op["tags"]]
            self.returned[pool.store.name, int(item)] = (kept, "Back: not added, its tags of a type removed meanwhile are O now; "
                                                               "the rest of your tags are kept.")
            self.current[pool.store.name], self.back = int(item), op.get("id")
            self.message = ("error", f"Not saved: {err}. The sentence is back on screen with your other tags: Enter adds it.")
        except StorageWriteError:
            raise
        except (TypeError, ValueError) as err:
            what = "undone" if kind == "undo" else "saved"
            self.message = ("error", f"Not {what}: {err}" if isinstance(err, CorrectionError) else UNKNOWN_OP)

    def _added(self, pool: Pool, item: int, index: int, repaired: Sequence[int]) -> None:
        self.count(pool.store.name, 1)
        self.mine.setdefault(pool.store.name, []).append(item)
        self.returned.pop((pool.store.name, item), None)
        fixed = f" ({len(repaired)} I- tag(s) made B-)" if repaired else ""
        entities = len(spans(pool.store.tags(index)))
        self.message = ("success", f"Added as sentence {index} of the training split, {entities} "
                                   f"entit{'y' if entities == 1 else 'ies'}{fixed}. Press u to undo it.")

    def _decided_first(self, err: PoolDecided, kind: str, item: int, tags: object, pool: Pool, author: str) -> None:
        """An op on a sentence decided before it: an add whose tags differ from the stored add's is a conflict; the
        same decision sent again is saved; anything else is said, and the next sentence shown."""
        now = pool.item(item)
        if kind in ("accept", "edit") and now.state == ADDED and isinstance(tags, list) and len(tags) == len(now.words):
            stored = pool.store.snapshot(now.corpus_index)
            mine = repair_iob2(list(tags))
            if mine != list(stored.tags):
                self.conflict = Conflict(item, ADDED, mine, list(stored.tags), stored.version, now.decided_by)
                return
        resent = (err.author, err.state) == (author, DISCARDED if kind == "discard" else ADDED)
        if resent and item not in self.mine.setdefault(pool.store.name, []):  # this tab's decision, sent again to a new
            self.mine[pool.store.name].append(item)  # session (a reconnect, a reload): counted, and u reaches it
            self.count(pool.store.name, 1)
        where = f"Sentence {now.corpus_index}" if now.state == ADDED else "That sentence"
        self.message = (("success", f"{where}: {err.state}: saved. Press u to undo it.") if resent else  # a colleague was first:
                        ("info", f"Not saved: {err}. On to the next sentence."))  # no fault of anyone's, as in the queue

    def _resolve(self, kind: str, pool: Pool, author: str, item: int) -> None:
        """The conflict on screen: ``overwrite`` saves my tags over the stored add's (at the version I saw: a change
        since is a new conflict), ``theirs`` keeps them."""
        conflict = self.conflict
        if conflict is None or conflict.item != item:
            self.message = ("info", "That conflict was resolved already.")
            return
        self.conflict = None
        if kind == "theirs":
            self.message = ("info", f"Kept {conflict.author or 'someone'}'s tags: nothing of yours was saved.")
            return
        index = pool.item(item).corpus_index
        try:
            pool.store.save(index, conflict.mine, author, conflict.version)
        except StaleSaveError as err:
            self.conflict = Conflict(item, ADDED, conflict.mine, list(err.tags), err.version, err.author)
            return
        except Exception:
            self.conflict = conflict  # still to resolve when the write is retried
            raise
        self.message = ("success", f"Saved yours over {conflict.author or 'someone'}'s: sentence {index}. Undo it on Annotate.")

    def _undo(self, pool: Pool, author: str) -> None:
        """Undo this session's latest decision (never an older session's: a reload starts with nothing to undo)."""
        mine = self.mine.setdefault(pool.store.name, [])
        if not mine:
            self.message = ("info", "Nothing of yours to undo in this session (u reaches the decisions made since the page opened).")
            return
        before = pool.item(mine[-1])
        tags = pool.store.tags(before.corpus_index) if before.state == ADDED else None  # what the add stored, shown again
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
        if tags is not None:
            self.returned[pool.store.name, undone.id] = (tags, "Back after your undo: the tags you added it with are shown.")
        mine_again = " with the tags you added it with" if tags is not None else ""
        self.message = ("success", f"Undone: the sentence is back in the pool{mine_again} ({' '.join(undone.words[:8])}…).")

    def start(self, dataset: str, item: int) -> tuple[list[str], str] | None:
        """The tags an item starts with when this session undid its add or was refused it, and why (None: the model's)."""
        return self.returned.get((dataset, item))
