"""One browser session walking a list of a dataset's sentences in order with the keyboard annotator: Prodigy's
``ner.correct`` over the dataset's own sentences (the Corpus page's, found by words, type, split or corrections).

The browser sends decisions as ops, each id applied once (:class:`~.review_session.OpsSession`): ``accept`` saves the
model's tags (the ``tags`` sent), ``edit`` the tags edited, ``keep`` saves nothing (the gold was right), ``skip`` passes the
sentence, ``undo`` reverts this session's latest decision (a save by its batch; a keep is simply shown again). Every save
names the version the tags were shown at: a sentence changed meanwhile is a conflict, mine against theirs, until
``overwrite`` or ``theirs``; nothing is overwritten silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

from ..data.tags import rebase, repair_iob2
from ..storage.claims import held_by_others
from ..storage.store import CorrectionError, CorrectionStore, StaleSaveError, StorageWriteError
from .review_session import BUFFER, UNKNOWN_OP, Conflict, OpsSession


@dataclass
class WalkSession(OpsSession):
    started: Hashable = None  # what the walk was started from (the dataset and the search): a new one starts a new walk
    sentences: list[int] = field(default_factory=list)  # the walk, in order
    passed: set[int] = field(default_factory=set)  # decided or skipped in this walk
    mine: list[tuple[int, str | None]] = field(default_factory=list)  # (sentence, its save's batch or None), latest last
    first: int | None = None  # the sentence an undo brought back: shown first
    conflict: Conflict | None = None

    def start(self, started: Hashable, sentences: Sequence[int], resume: int | None = None) -> None:
        """Walk ``sentences`` unless this session walks the same search already (its place and decisions kept); a
        session's first walk starts at ``resume`` where it is one of them (the place a reload left)."""
        if started != self.started:
            first_walk = self.started is None
            self.started, self.sentences, self.passed, self.mine, self.first, self.conflict = started, list(sentences), set(), [], None, None
            if first_walk and resume in self.sentences:
                self.passed = set(self.sentences[:self.sentences.index(resume)])

    def ahead(self, store: CorrectionStore | None = None, author: str | None = None) -> list[int]:
        """The sentences to send to the browser: the one an undo brought back, then the next ones not passed. With
        ``store`` and ``author``, those another annotator's walk holds are left out and those sent are claimed, with
        those this walk decided (:meth:`~.review_session.OpsSession.hold`): two people walking one search take different
        sentences while both walk it."""
        kind = f"s{store.dataset_id}" if store is not None and author else None  # a claim names its dataset
        for _ in range(2):  # again if another page claimed the first one a moment ago (two pages opened at once)
            others = set(held_by_others(store.engine, kind, author)) if kind else set()
            rest = [s for s in self.sentences if s not in self.passed and s != self.first and s not in others]
            ahead = ([self.first] if self.first is not None and self.first not in self.passed else []) + rest[:BUFFER]
            taken = self.hold(store.engine, kind, ahead, author, len(rest), [s for s, _ in self.mine]) if kind else []
            if not ahead or ahead[0] not in taken:
                return ahead
        return ahead

    def left(self) -> int:
        return sum(s not in self.passed for s in self.sentences)

    def _apply(self, op: dict, store: CorrectionStore, author: str) -> None:
        kind, item = op.get("kind"), op.get("item")
        try:
            if kind == "undo":
                self._undo(store, author)
            elif item is None or int(item) not in self.sentences:
                self.message = ("error", UNKNOWN_OP)
            elif kind == "skip":
                self._pass(int(item))
                self.message = ("info", f"Skipped sentence {item}.")
            elif kind == "keep":
                self._decided(int(item), None)
                self.message = ("success", f"Kept the gold of sentence {item}. Press u to see it again.")
            elif kind in ("accept", "edit") and isinstance(op.get("tags"), list):
                base = op.get("base") if isinstance(op.get("base"), list) else None
                self._save(store, author, int(item), list(op["tags"]), int(op.get("version") or 0), kind, base)
            elif kind in ("overwrite", "theirs"):
                self._resolve(kind, store, author, int(item))
            else:
                self.message = ("error", UNKNOWN_OP)
        except StorageWriteError:
            raise
        except (TypeError, ValueError) as err:
            what = "undone" if kind == "undo" else "saved"
            self.message = ("error", f"Not {what}: {err}" if isinstance(err, CorrectionError) else UNKNOWN_OP)

    def _pass(self, sentence: int) -> None:
        self.passed.add(sentence)
        if self.first == sentence:
            self.first = None

    def _decided(self, sentence: int, batch: str | None) -> None:
        self._pass(sentence)
        self.mine.append((sentence, batch))
        self.count(self.started, 1)

    def _save(self, store: CorrectionStore, author: str, sentence: int, tags: list[str], version: int, kind: str,
              base: list[str] | None = None) -> None:
        """Save ``tags`` made at ``version`` from ``base`` (the tags shown); changed meanwhile: my changes on theirs, and
        a conflict where that differs from theirs."""
        try:
            saved = store.save(sentence, tags, author, expected_version=version)
        except StaleSaveError as err:
            mine = repair_iob2(rebase(tags, base, err.tags) if base is not None and len(base) == len(tags) == len(err.tags)
                               else tags)  # my edit on their version: their change to a token I left stays
            if mine == list(err.tags):  # saved so already (this decision sent again, or a colleague alike)
                self._decided(sentence, None)
                self.message = ("success", f"Sentence {sentence} holds these tags already." if err.author in (None, author)
                                else f"Sentence {sentence} was saved meanwhile by {err.author}, with your change in it: "
                                     "nothing more to save.")
            else:
                self.conflict = Conflict(sentence, kind, mine, list(err.tags), err.version, err.author)
            return
        self._decided(sentence, saved.batch)
        self.message = ("success", f"Saved sentence {sentence}: {saved.changed} token(s) changed. Press u to undo it."
                        if saved.changed else f"Sentence {sentence}: these are its stored tags, nothing to save.")

    def _resolve(self, kind: str, store: CorrectionStore, author: str, sentence: int) -> None:
        conflict = self.conflict
        if conflict is None or conflict.item != sentence:
            self.message = ("info", "That conflict was resolved already.")
            return
        self.conflict = None
        if kind == "theirs":
            self._decided(sentence, None)
            self.message = ("info", f"Kept {conflict.author or 'someone'}'s tags of sentence {sentence}: nothing of yours was saved.")
            return
        try:
            self._save(store, author, sentence, conflict.mine, conflict.version, conflict.decision)
        except Exception:
            self.conflict = conflict  # still to resolve when the write is retried
            raise

    def _undo(self, store: CorrectionStore, author: str) -> None:
        """Undo this session's latest decision; the sentence is shown again, first."""
        if not self.mine:
            self.message = ("info", "Nothing of yours to undo in this walk (u reaches the decisions made since it started).")
            return
        sentence, batch = self.mine[-1]
        undone = None
        if batch is not None:
            try:
                undone = store.undo(author, sentence, batch=batch)
            except CorrectionError as err:
                if isinstance(err, StorageWriteError):  # the database refused: the op comes again
                    raise
                self.mine.pop()  # changed by someone since: not undone from here
                self.message = ("error", f"Not undone: {err}")
                return
        self.mine.pop()
        self.passed.discard(sentence)
        self.first = sentence
        self.count(self.started, -1)
        self.message = (("info", f"Sentence {sentence} again: nothing had been saved.") if batch is None else
                        ("info", f"Sentence {sentence} again: your save was undone already.") if undone is None else
                        ("success", f"Undone: sentence {sentence} has its tags from before your save again."))
