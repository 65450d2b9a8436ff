"""Finding sentences of a dataset as it is now (its saved corrections and the sentences added from New text), by
words, gold entity type, split and whether they were corrected, without a model; and who changed how much."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..data.corpus import SPLITS
from ..data.tags import spans
from ..storage.schema import Assignment, Correction, DoubleAnnotation
from ..storage.store import CorrectionStore

ADDED = "added"  # the split name of a sentence added from New text (in the training part)


@dataclass(frozen=True)
class CorpusRow:
    """One sentence as it is now: its number (the app's), split, text, gold entities (words, type), whether its tags
    differ from the file's (an added sentence: always)."""

    number: int
    split: str
    text: str
    entities: tuple[tuple[str, str], ...]
    corrected: bool

    @property
    def types(self) -> set[str]:
        return {t for _, t in self.entities}


def corpus_rows(store: CorrectionStore) -> list[CorpusRow]:
    """Every sentence of ``store``'s dataset as it is now, in the app's numbering."""
    part = {i: name for name, ids in zip(SPLITS, store.split_indices()) for i in ids}
    rows = []
    for number, sentence in store.numbered():
        found = tuple((" ".join(sentence.words[s.start:s.end]), s.type) for s in spans(sentence.tags))
        added = number >= len(store.original)  # from New text: after the file's sentences
        changed = added or sentence.tags != store.original[number].tags
        rows.append(CorpusRow(number, ADDED if added else part[number], " ".join(sentence.words), found, changed))
    return rows


def search(rows: Iterable[CorpusRow], query: str = "", types: Sequence[str] = (), splits: Sequence[str] = (),
           corrected_only: bool = False) -> list[CorpusRow]:
    """The rows matching every filter given: ``query`` in the text at the start of a word, any case ("rita" finds
    "Rita's", not "Britain"), an entity of one of ``types``, one of ``splits`` (names of
    :data:`~ner_core.data.corpus.SPLITS` and :data:`ADDED`), saved corrections."""
    found = re.compile(r"(?<!\w)" + re.escape(query.strip()), re.IGNORECASE).search if query.strip() else None
    return [r for r in rows if (found is None or found(r.text)) and (not types or r.types & set(types))
            and (not splits or r.split in splits) and (not corrected_only or r.corrected)]


def activity(store: CorrectionStore) -> list[dict[str, object]]:
    """Per person who saved in ``store``'s dataset (on any page, New text's adds included): their saves (batches), the
    sentences and tokens they changed, how many of those token changes they undid and how many others reverted (a
    reviewer's rejection, an adjudication), their first and last save, and the sentences they tagged in double annotation
    (Agreement: kept apart until adjudicated, which saves under the adjudicator's name); the most tokens first."""
    reverted = Correction.reverted.is_(True)
    by_others = and_(reverted, Correction.reverted_by != Correction.author)
    with Session(store.engine) as session:
        rows = session.execute(select(
            Correction.author, func.count(func.distinct(Correction.batch)), func.count(func.distinct(Correction.sentence)),
            func.count(), func.sum(case((reverted, 1), else_=0)), func.sum(case((by_others, 1), else_=0)),
            func.min(Correction.created_at), func.max(Correction.created_at),
        ).where(Correction.dataset_id == store.dataset_id).group_by(Correction.author)).all()
        doubles = dict(session.execute(select(DoubleAnnotation.annotator, func.count()).join(
            Assignment, Assignment.id == DoubleAnnotation.assignment_id).where(Assignment.dataset_id == store.dataset_id)
            .group_by(DoubleAnnotation.annotator)).tuples().all())  # helper-82: the annotators' work was not counted
    out = [{"person": author, "saves": saves, "sentences": sentences, "tokens changed": tokens,
            "undone by themselves": undone - others, "reverted by others": others, "double-annotated": doubles.pop(author, 0),
            "first save": first, "last save": last}
           for author, saves, sentences, tokens, undone, others, first, last in rows]
    out += [{"person": name, "saves": 0, "sentences": 0, "tokens changed": 0, "undone by themselves": 0, "reverted by others": 0,
             "double-annotated": n, "first save": None, "last save": None} for name, n in doubles.items()]
    return sorted(out, key=lambda r: (-r["tokens changed"], -r["double-annotated"], r["person"]))
