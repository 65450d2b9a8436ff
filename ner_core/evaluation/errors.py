"""Error analysis against gold: entity error categories and confusion counts."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..data.tags import OUTSIDE, Span, spans, tag_type

CORRECT = "correct"
MISSED = "missed entity"
SPURIOUS = "spurious entity"
WRONG_TYPE = "wrong type"
WRONG_BOUNDARY = "wrong boundary"
WRONG_BOTH = "wrong type and boundary"
CATEGORIES = (MISSED, SPURIOUS, WRONG_TYPE, WRONG_BOUNDARY, WRONG_BOTH)
NONE = "none"  # the row/column of "no entity" in an entity-level confusion matrix


@dataclass(frozen=True)
class EntityError:
    """One gold/predicted pairing that is not an exact match (or is, for ``CORRECT``)."""

    category: str
    gold: Span | None
    pred: Span | None


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def compare(gold_tags: Sequence[str], pred_tags: Sequence[str]) -> list[EntityError]:
    """Pair each gold entity with the predictions it overlaps and name what went wrong.

    An exact match is ``CORRECT``; a gold entity overlapping no prediction is ``MISSED``; a
    prediction overlapping no gold entity is ``SPURIOUS``; an overlapping pair is a wrong type,
    a wrong boundary, or both.
    """
    gold, pred = spans(gold_tags), spans(pred_tags)
    out: list[EntityError] = []
    matched_pred: set[Span] = set()
    for g in gold:
        overlapping = [p for p in pred if _overlaps(g, p)]
        if not overlapping:
            out.append(EntityError(MISSED, g, None))
        for p in overlapping:
            matched_pred.add(p)
            same_bounds, same_type = (p.start, p.end) == (g.start, g.end), p.type == g.type
            category = CORRECT if same_bounds and same_type else WRONG_TYPE if same_bounds else WRONG_BOUNDARY if same_type else WRONG_BOTH
            out.append(EntityError(category, g, p))
    out += [EntityError(SPURIOUS, None, p) for p in pred if p not in matched_pred]
    return out


def error_counts(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> Counter:
    """How many of each category (``CORRECT`` included) over a corpus."""
    return Counter(e.category for g, p in zip(gold, pred) for e in compare(g, p))


def entity_confusion(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> Counter:
    """``(gold type, predicted type)`` counts over paired entities; ``NONE`` for missed / spurious."""
    counts: Counter = Counter()
    for g, p in zip(gold, pred):
        for e in compare(g, p):
            counts[(e.gold.type if e.gold else NONE, e.pred.type if e.pred else NONE)] += 1
    return counts


def token_confusion(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> Counter:
    """``(gold type, predicted type)`` counts per token, ``O`` for outside."""
    return Counter(
        (tag_type(a) or OUTSIDE, tag_type(b) or OUTSIDE) for g, p in zip(gold, pred) for a, b in zip(g, p)
    )
