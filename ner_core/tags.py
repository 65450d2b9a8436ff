"""The tag inventory and IOB2 helpers: validation, repair, entity spans, type masking."""
from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

ENTITY_TYPES: tuple[str, ...] = ("geo", "gpe", "per", "org", "tim", "art", "eve", "nat")
STRONG_TYPES: frozenset[str] = frozenset({"geo", "gpe", "per", "org", "tim"})
WEAK_TYPES: frozenset[str] = frozenset({"art", "eve", "nat"})
OUTSIDE = "O"
ALL_TAGS: tuple[str, ...] = (OUTSIDE,) + tuple(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I"))


class Span(NamedTuple):
    """An entity: its type and the token range ``[start, end)``."""

    type: str
    start: int
    end: int


def tag_type(tag: str) -> str | None:
    """The entity type of a tag (``"B-geo"`` -> ``"geo"``), ``None`` for ``O``."""
    return None if tag == OUTSIDE else tag[2:]


def is_known_tag(tag: str) -> bool:
    return tag in _KNOWN


_KNOWN = frozenset(ALL_TAGS)


def iob2_errors(tags: Sequence[str]) -> list[int]:
    """Positions whose ``I-`` tag does not continue an entity of the same type."""
    errors = []
    previous = OUTSIDE
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and (previous == OUTSIDE or previous[2:] != tag[2:]):
            errors.append(i)
        previous = tag
    return errors


def is_valid_iob2(tags: Sequence[str]) -> bool:
    return not iob2_errors(tags)


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Turn every ``I-x`` that does not continue an ``x`` entity into ``B-x``."""
    repaired = list(tags)
    for i in iob2_errors(tags):
        repaired[i] = "B-" + tags[i][2:]
    return repaired


def spans(tags: Sequence[str]) -> list[Span]:
    """Entity spans of an IOB2 sequence; an ill-formed ``I-`` starts a new entity."""
    found: list[Span] = []
    start, current = 0, None
    for i, tag in enumerate(list(tags) + [OUTSIDE]):
        kind = tag_type(tag)
        continues = tag.startswith("I-") and kind == current
        if current is not None and not continues:
            found.append(Span(current, start, i))
            current = None
        if kind is not None and not continues:
            start, current = i, kind
    return found


def tags_from_spans(length: int, entities: Iterable[Span]) -> list[str]:
    """The IOB2 sequence of ``length`` tokens holding ``entities`` (later spans overwrite)."""
    tags = [OUTSIDE] * length
    for span in entities:
        tags[span.start] = "B-" + span.type
        for i in range(span.start + 1, span.end):
            tags[i] = "I-" + span.type
    return tags


def replace_span(tags: Sequence[str], start: int, end: int, label: str) -> list[str]:
    """``tags`` with tokens ``[start, end)`` made one entity of type ``label`` (or all ``O``).

    Entities that overlap the range are dropped; the rest are kept.
    """
    kept = [s for s in spans(tags) if s.end <= start or s.start >= end]
    new = [Span(label, start, end)] if label != OUTSIDE else []
    return tags_from_spans(len(tags), kept + new)


def mask_types(tags: Sequence[str], types: Iterable[str]) -> list[str]:
    """Replace every tag of the given entity types by ``O``."""
    masked = frozenset(types)
    return [OUTSIDE if tag_type(t) in masked else t for t in tags]
