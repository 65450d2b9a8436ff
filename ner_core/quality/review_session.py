"""One browser session at the review queue, and the sources that fill a split's queue.

A :class:`ReviewSession` holds what a session needs across reruns: the browser ops applied (each
id once), the item kept on screen per dataset and split, the items skipped this round, the last
decided sentence (for undo), the decisions made per dataset and split, the message of the last
action, a refused decision's conflict and a counted annotate-alike. Plain Python: the Review page keeps one per browser session and only draws.

The items sent are claimed, up to half of those open to the session; before its first op (a decision, skip or undo)
for a minute only, so that a browser that only looks soon lets them go (:meth:`OpsSession.hold`).
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..data.tags import rebase
from ..models.tagger import Tagger
from ..storage.claims import claim, held_by_others
from ..storage.store import CorrectionError, CorrectionStore, StaleSaveError, StorageWriteError, database_failure
from .issue_scores import latest_run, scored_any, stored_issues
from .label_issues import LabelIssue, find_label_issues
from .review_queue import (ACCEPTED, EDITED, KEPT, MODEL, SPLITS, Alike, AlreadyDecided, ModelSource, QueueItem, ReviewQueue,
                           describe_change, fill_queue)

BUFFER = 8  # items sent ahead to the browser, one per sentence: the next one is on screen at once
REMEMBERED = 500  # op ids kept: a replayed list applies none of them twice
ACKED = 100  # op ids confirmed to the browser
ACTIONS = {"accept": ACCEPTED, "keep": KEPT, "edit": EDITED}
UNKNOWN_OP = "Not saved: the browser sent a decision this page does not know."
def _untouched(item: QueueItem, base: Sequence[str], mine: Sequence[str], theirs: Sequence[str]) -> bool:
    """Whether a save meanwhile (``theirs``, from ``base``) left alone every token a decision judged: the flagged ones
    and those it changes (``mine``, on theirs). Then the decision stands on the new version, and no conflict is asked."""
    judged = set(range(item.start, item.end)) | {i for i, (m, t) in enumerate(zip(mine, theirs)) if m != t}
    return all(base[i] == theirs[i] for i in judged)


def skipped(what: str) -> tuple[str, str]:
    """The message of a skip, naming what was skipped (the line is read after the next item is on screen)."""
    return "info", f"Skipped {what}: it comes back at the end of the queue."
Message = tuple[str, str]  # (kind: success, info or error; text)


@dataclass(frozen=True)
class Conflict:
    """A decision refused because its sentence was changed meanwhile: both versions, for the user to choose."""

    item: int
    decision: str
    mine: list[str]
    theirs: list[str]
    version: int  # the stored version, which an overwrite names
    author: str | None  # who saved it
    decided: str | None = None  # the item was decided meanwhile (``kept``, …) by ``author``; the sentence may be unchanged

    def shown(self, sentence: int, words: Sequence[str]) -> dict:
        """What the keyboard annotator takes to show both versions (``o`` or ``t`` chooses)."""
        return {"item": self.item, "sentence": sentence, "words": list(words), "mine": self.mine, "theirs": self.theirs,
                "author": self.author, "version": self.version, "decision": self.decision, "decided": self.decided}


@dataclass
class OpsSession:
    """What every keyboard-annotator session keeps: the browser ops applied (each id once) and the last message."""

    done: list[str] = field(default_factory=list)  # op ids applied, oldest first
    message: Message | None = None
    decided: Counter[Hashable] = field(default_factory=Counter)  # decisions made in this session, per place (undos taken off)
    refused: dict[str, str] = field(default_factory=dict)  # op id -> why the database refused it (the browser retries it)

    @property
    def acked(self) -> list[str]:
        """The op ids to confirm to the browser (it stops resending them)."""
        return self.done[-ACKED:]

    def pop_message(self) -> Message | None:
        message, self.message = self.message, None
        return message

    def apply(self, ops: Iterable[Any], *where: Any) -> None:
        """Apply each browser op not applied yet, in order, by :meth:`_apply` (``where``: the queue or pool and the rest
        it needs). The browser resends every op until it is acked, so an id is applied once. An op that failed (the
        database refused the write, :class:`StorageWriteError`, or could not be read) is not acked but kept in
        :attr:`refused`, with the ops after it, to be resent."""
        for op in ops:
            if not isinstance(op, dict) or op.get("id") in self.done:
                continue
            self.done.append(op.get("id"))
            self.refused.pop(op.get("id"), None)
            try:
                self._apply(op, *where)
            except Exception as err:  # noqa: BLE001 - whatever failed, the op is not confirmed and comes again
                self.done.remove(op.get("id"))
                why = (str(err).removeprefix("nothing was saved: ") if isinstance(err, StorageWriteError) else
                       database_failure(err) if isinstance(err, DBAPIError) else f"{type(err).__name__}: {err}")
                self.refused[op.get("id")] = f"Not saved: {why}"
                self.message = ("error", f"Not saved: {why}")
                break
        del self.done[:-REMEMBERED]

    def _apply(self, op: dict, *where: Any) -> None:
        raise NotImplementedError

    def hold(self, engine: Engine, kind: str, items: Sequence[int], author: str, available: int,
             decided: Sequence[int] = ()) -> list[int]:
        """Claim the ``kind`` items sent, on screen first, for ``author``: at most half of the ``available`` ones (those
        another annotator does not hold), so that a small queue stays shared, and before this session's first op for a
        minute only (opening the page is not annotating); and ``decided``, items this session decided that no stored
        decision keeps from the others (a walk's). Returns the items sent that another annotator holds. (Before stop 53 a
        page that had only looked held the item on screen alone: a colleague who opened the queue a moment later was sent
        the rest of its buffer, and the two decided the same items in turn: helper-98.)"""
        share = max(1, available // 2)
        return claim(engine, kind, [*items[:share], *decided], author, looking=not self.done)

    def count(self, place: Hashable, step: int) -> None:
        """Count a decision (``step`` 1) or an undone one (-1) at ``place``, never below zero."""
        self.decided[place] = max(0, self.decided[place] + step)


@dataclass
class ReviewSession(OpsSession):
    """The review queue as one browser session works through it (any dataset and split)."""

    current: dict[tuple[str, str], int | None] = field(default_factory=dict)  # (dataset, split) -> item on screen
    skipped: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (dataset, split) -> skipped this round
    last: dict[str, int] = field(default_factory=dict)  # dataset -> sentence of my last decision
    conflict: Conflict | None = None
    alike: tuple[int, Alike] | None = None  # (item id, what annotating its string alike changes)

    def ahead(self, queue: ReviewQueue, split: str, types: Sequence[str] = (),
              sources: Sequence[str] = (), author: str | None = None) -> tuple[list[QueueItem], list[QueueItem]]:
        """The items to send to the browser and the rest of the next few.

        First the item kept on screen for this split, if still open and shown by the filters, else
        the most suspicious one not skipped (all skipped: a new round starts); then one per further
        sentence, :data:`BUFFER` in all. With ``author``, items another annotator's browser holds are
        left out and those sent are claimed (:meth:`~OpsSession.hold`).
        """
        for _ in range(2):  # again if another page claimed the first item a moment ago (two pages opened at once)
            ahead, upcoming, taken = self._ahead(queue, split, types, sources, author)
            if not ahead or ahead[0].id not in taken:
                break
        return ahead, upcoming

    def _ahead(self, queue: ReviewQueue, split: str, types: Sequence[str], sources: Sequence[str],
               author: str | None) -> tuple[list[QueueItem], list[QueueItem], list[int]]:
        place = (queue.store.name, split)
        skipped = self.skipped.setdefault(place, [])
        others = held_by_others(queue.store.engine, "review", author) if author else []
        found = self._unsettled(queue, queue.items(split, types, sources, limit=4 * BUFFER, skip=[*skipped, *others]))
        if not found and skipped:
            skipped.clear()
            found = self._unsettled(queue, queue.items(split, types, sources, limit=4 * BUFFER, skip=others))
        kept = self.current.get(place) if self.current.get(place) not in others else None  # another page holds it now
        pinned = next((i for i in found if i.id == kept), None) or (queue.open_item(kept) if kept is not None else None)
        first = pinned if pinned is not None and _shown(pinned, types, sources) else (found[0] if found else None)
        self.current[place] = first.id if first else None
        ahead: list[QueueItem] = []
        for item in [first, *found] if first else []:
            if len(ahead) < BUFFER and item.sentence not in {i.sentence for i in ahead}:
                ahead.append(item)
        shown = {i.id for i in ahead}
        taken = self.hold(queue.store.engine, "review", [i.id for i in ahead], author, len(found)) if author else []
        return ahead, [i for i in found if i.id not in shown][:BUFFER], taken

    @staticmethod
    def _unsettled(queue: ReviewQueue, items: list[QueueItem]) -> list[QueueItem]:
        """``items`` but those whose suggestion someone has applied meanwhile (settled, :meth:`ReviewQueue.settle_applied`)."""
        settled = set(queue.settle_applied(items))
        return [i for i in items if i.id not in settled]

    def _apply(self, op: dict, queue: ReviewQueue, split: str, author: str) -> None:
        """Apply one browser op, ``{"id", "kind", "item", "version", "tags", "base"}`` (``base``: the tags an edit was
        made on) with ``kind`` one of ``accept``, ``keep``,
        ``edit`` (these name the version decided on), ``skip``, ``undo``, or, for the conflict on screen, ``overwrite``
        (save mine) or ``theirs`` (keep the stored version)."""
        try:
            kind = op["kind"]
            item = queue.item(int(op["item"])) if op.get("item") is not None else None
            version = int(op["version"]) if kind in ACTIONS else 0
        except (KeyError, TypeError, ValueError):
            self.message = ("error", UNKNOWN_OP)
            return
        if kind == "undo":
            self._undo(queue, split, author, item)
        elif kind == "skip" and item is not None:
            self.skipped.setdefault((queue.store.name, split), []).append(item.id)
            if self.current.get((queue.store.name, split)) == item.id:
                self.current[(queue.store.name, split)] = None
            self.message = skipped(f"sentence {item.sentence}")
        elif kind in ("overwrite", "theirs") and item is not None:
            self._resolve(kind, queue, split, author, item)
        elif kind in ACTIONS and item is not None:
            self._decide(queue, split, author, item, ACTIONS[kind], version, op.get("tags"), op.get("base"))
        else:
            self.message = ("error", UNKNOWN_OP)

    def overwrite(self, queue: ReviewQueue, split: str, author: str) -> None:
        """Save my version of the conflict over the stored one (knowingly: it names the stored version)."""
        conflict, self.conflict = self.conflict, None
        if conflict is not None:
            try:
                self._decide(queue, split, author, queue.item(conflict.item), EDITED, conflict.version, conflict.mine, over=True)
            except Exception:
                self.conflict = conflict  # still to resolve when the write is retried
                raise

    def keep_theirs(self, queue: ReviewQueue) -> None:
        """Drop my version of the conflict; the item, if still open, is shown again on the stored version."""
        conflict, self.conflict = self.conflict, None
        if conflict is not None:
            again = "; the item is shown again on it" if queue.is_open(conflict.item) else ""
            self.message = ("info", f"Kept the stored version ({conflict.author or 'someone'}'s): nothing of yours was saved{again}.")

    def _resolve(self, kind: str, queue: ReviewQueue, split: str, author: str, item: QueueItem) -> None:
        if self.conflict is None or self.conflict.item != item.id:
            self.message = ("info", "That conflict was resolved already.")
        elif kind == "overwrite":
            self.overwrite(queue, split, author)
        else:
            self.keep_theirs(queue)

    def count_alike(self, queue: ReviewQueue, item: QueueItem) -> Alike:
        """What annotating a consistency item's string alike everywhere would change, kept for :meth:`confirm_alike`."""
        self.alike = (item.id, queue.alike(item))
        return self.alike[1]

    def counted(self, item: QueueItem) -> Alike | None:
        """The changes counted for ``item`` (None until counted)."""
        return self.alike[1] if self.alike is not None and self.alike[0] == item.id else None

    def confirm_alike(self, queue: ReviewQueue, item: QueueItem, author: str) -> None:
        """Save the counted changes (a sentence changed meanwhile by someone else is left as it is)."""
        changes = self.counted(item)
        self.alike = None
        if changes is None:
            return
        try:
            done = queue.decide_alike(item, changes, author)
        except CorrectionError as err:
            self.message = ("error", f"Nothing saved: {err}")
            return
        self.last[queue.store.name] = item.sentence
        self.count((queue.store.name, item.split), 1)
        left = (f" {len(done.stale):,} sentence(s) changed by someone else meanwhile were left as they are: "
                f"{', '.join(map(str, done.stale[:20]))}{' …' if len(done.stale) > 20 else ''}." if done.stale else "")
        self.message = ("success", f"\"{item_words(queue.store, item)}\" annotated as {item.suggested} in "
                                   f"{len(done.saved):,} sentence(s) ({done.changed:,} tags changed). Press u to undo it all.{left}")

    def _decide(self, queue: ReviewQueue, split: str, author: str, item: QueueItem, decision: str, version: int,
                tags: Sequence[str] | None, base: Sequence[str] | None = None, over: bool = False) -> None:
        before = queue.store.snapshot(item.sentence)  # what the decision changes, if it is saved (at ``version``)
        try:
            changed = queue.decide(item.id, decision, author, version, tags, over)
        except StaleSaveError as err:
            rebased = tags and base is not None and len(base) == len(tags) == len(err.tags)
            if rebased:
                mine = rebase(tags, base, err.tags)  # the edit on theirs: their change to another token stays
            else:
                mine = list(tags) if tags else (item.apply(err.tags) if decision == ACCEPTED else list(err.tags))
            if rebased and _untouched(item, base, mine, err.tags):  # theirs changed other tokens: both kept (helper-98)
                self._decide(queue, split, author, item, decision, err.version, mine)
                if self.message[0] == "success":
                    self.message = ("success", f"{self.message[1]} {err.author or 'Someone'} had changed other tokens of it "
                                               "meanwhile: theirs are kept.")
            elif mine != list(err.tags) or decision == KEPT:  # a keep judged the tags it saw, not these: the user chooses
                self.conflict = Conflict(item.id, decision, mine, list(err.tags), err.version, err.author)
            else:  # what was saved meanwhile is what this decision makes: no conflict
                self._decide(queue, split, author, item, decision, err.version, mine)
                if self.message[0] == "success" and decision != KEPT:  # helper-99: "no change", the colleague's work unsaid
                    self.message = ("success", f"{self.message[1]} {err.author or 'Someone'} had made this change meanwhile.")
            return
        except AlreadyDecided as err:
            if err.mine is not None:  # helper-84: another tab kept it, this one's accept changed the tags, the record said kept
                self.conflict = Conflict(item.id, decision, err.mine, list(before.tags), before.version, err.author, err.action)
                return
            self.current[(queue.store.name, split)] = None
            if (err.author, err.action) == (author, decision):  # this decision sent again (a reconnect, a reload): stored
                self.message = ("success", f"Sentence {item.sentence}: {decision} already (by you: this tab or another); nothing "
                                           "saved twice.")
            else:
                self.message = ("info", f"Not saved: {err}. On to the next item.")
            return
        except StorageWriteError:
            raise
        except CorrectionError as err:
            self.message = ("error", f"Not saved: {err}")
            return
        self.last[queue.store.name] = item.sentence
        self.current[(queue.store.name, split)] = None
        self.count((queue.store.name, split), 1)
        after = queue.store.tags(item.sentence)
        what = ("the given tags stay" if decision == KEPT else
                describe_change(queue.store.original[item.sentence].words, before.tags, after) + f" ({changed} tag(s) changed)")
        if decision == EDITED and after[item.start:item.end] == before.tags[item.start:item.end]:  # an edit elsewhere: said
            what += f"; the flagged \"{item_words(queue.store, item)}\" kept as {item.given}"
        self.message = ("success", f"Sentence {item.sentence}: {decision}: {what}. Press u to undo it.")

    def _undo(self, queue: ReviewQueue, split: str, author: str, shown: QueueItem | None) -> None:
        """Undo my last decision (of this session, else stored: a reload forgets the session), else my last save on
        the sentence on screen, and show that item."""
        sentence = self.last.pop(queue.store.name, None)
        if sentence is None:
            sentence = queue.last_decided(author, split)
        if sentence is None and shown is not None:
            sentence = shown.sentence
        if sentence is None:
            self.message = ("info", "Nothing of yours to undo.")
            return
        try:
            undone = queue.undo(author, sentence)
        except CorrectionError as err:
            if isinstance(err, StorageWriteError):  # the database refused: the op comes again, for this sentence
                self.last.setdefault(queue.store.name, sentence)
                raise
            self.message = ("error", f"Not undone: {err}")  # changed by someone else since: nothing undone
            return
        except Exception:  # the database out of reach: the op comes again, for this sentence
            self.last.setdefault(queue.store.name, sentence)
            raise
        if undone is None:
            self.message = ("info", f"Nothing of yours to undo on sentence {sentence}.")
            return
        if undone.item is not None:
            self.count((queue.store.name, undone.item.split), -1)
            if undone.item.split == split:
                self.current[(queue.store.name, split)] = undone.item.id
        self.message = ("success", str(undone))


def _shown(item: QueueItem, types: Sequence[str], sources: Sequence[str]) -> bool:
    return (not sources or item.source in sources) and (not types or bool(item.types & set(types)))


def flags_computed(queue: ReviewQueue, split: str, indices: Iterable[int]) -> bool:
    """Whether the model's flags of ``split`` (corpus indices ``indices``) are computed: some are in its queue, or the
    newest cross-validated run scored its sentences and flagged none (clean data is not "not computed")."""
    return queue.has_items(split, MODEL) or scored_any(queue.store.engine, queue.store.name, indices)


def open_elsewhere(queue: ReviewQueue, split: str, types: Sequence[str] = (), sources: Sequence[str] = (),
                   computed: bool = True) -> str:
    """Where items are still open when ``split``'s queue shows none with these filters: the other splits
    (same filters), and this split's items the filters hide; and, unless ``computed`` (:func:`flags_computed`), that
    the model's flags of ``split`` are not computed yet."""
    others = [f"{n:,} on the {other} split" for other in SPLITS if other != split and (n := queue.count(other, types, sources))]
    hidden = queue.count(split) - queue.count(split, types, sources) if types or sources else 0
    parts = ([" and ".join(others) + (" with these filters" if types or sources else "")] if others else []) + (
        [f"{hidden:,} on the {split} split of other types or sources"] if hidden else [])
    said = f"Still open: {'; '.join(parts)}." if parts else "Nothing is open on the other splits either."
    if (not sources or MODEL in sources) and not computed:  # not "your data is clean"
        said += (f" The model's flags of the {split} split are not computed yet: score it out of sample (Model flags, "
                 "above: a background job).")
    return said


def item_words(store: CorrectionStore, item: QueueItem) -> str:
    """The words an item flags."""
    return " ".join(store.original[item.sentence].words[item.start:item.end])


_filling = threading.Lock()


def fill_review_queue(queue: ReviewQueue, parts: Mapping[str, Sequence[int]], split: str, single_models: Sequence[str] = (),
                      load: Callable[[str], Tagger] | None = None) -> int:
    """Add to ``queue`` what is not in it yet (see :func:`~.review_queue.fill_queue`) from :func:`model_source`'s
    source; one filling at a time in this process (two sessions opening the queue at once fill it once).
    Returns the items added."""
    with _filling:
        source = model_source(queue.store, parts, split, single_models, load)
        return fill_queue(queue, parts, queue.store.corrected, split, source)


def model_source(store: CorrectionStore, parts: Mapping[str, Sequence[int]], split: str, single_models: Sequence[str] = (),
                 load: Callable[[str], Tagger] | None = None) -> ModelSource | None:
    """The model-based source of a split's queue: the dataset's newest cross-validated scores, else, on val
    and test, the first of ``single_models`` (the dataset's active single taggers, which never trained on
    them; ``load`` opens one by name); else none."""
    run = latest_run(store.engine, store.name)
    if run is not None:
        return f"cross-validated:{run.id}", lambda: stored_issues(store.engine, store.name, store.corrected(), rescore=False)
    if split == "train" or not single_models or load is None:
        return None
    name, indices = single_models[0], parts[split]

    def issues() -> list[LabelIssue]:
        corpus = store.corrected()
        found = find_label_issues(load(name), [corpus[i] for i in indices])
        return [replace(issue, sentence=indices[issue.sentence]) for issue in found]

    return f"model:{name}", issues
