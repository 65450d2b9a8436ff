"""The tag inventory of a dataset (:class:`TagSet`) and IOB2 helpers: validation, repair, spans, masking."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Mapping, NamedTuple, Protocol, Sequence

OUTSIDE = "O"
ENTITY_TYPE = re.compile(r"[\w.\-]+")
"""What an entity type may hold: letters, digits, ``_``, ``-`` and ``.`` (the one rule for every tag)."""
TYPE_MAX = 62  # characters in an entity type: its tags (``B-`` + type) fit the database's tag columns
# Weak ("rare") types: those with less than this share of the training data's entity mentions.
# On the default corpus's train split (80/10/10, seed 13) the shares are geo 0.336, tim 0.182,
# org 0.181, per 0.152, gpe 0.141 | art 0.0035, eve 0.0028, nat 0.0016: 0.02 is 5.7x the
# largest weak share and 1/7 of the smallest strong one, so it picks exactly art, eve, nat.
WEAK_SHARE = 0.02


class Span(NamedTuple):
    """An entity: its type and the token range ``[start, end)``."""

    type: str
    start: int
    end: int


def tag_type(tag: str) -> str | None:
    """The entity type of a tag (``"B-geo"`` -> ``"geo"``), ``None`` for ``O``."""
    return None if tag == OUTSIDE else tag[2:]


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
    for i, tag in enumerate(tags):
        if tag == OUTSIDE:
            if current is not None:
                found.append(Span(current, start, i))
                current = None
        elif not (tag.startswith("I-") and tag[2:] == current):
            if current is not None:
                found.append(Span(current, start, i))
            start, current = i, tag[2:]
    if current is not None:
        found.append(Span(current, start, len(tags)))
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
    if not masked:
        return list(tags)
    return [OUTSIDE if tag_type(t) in masked else t for t in tags]


class HasTags(Protocol):
    tags: Sequence[str]


def mention_shares(sentences: Iterable[HasTags]) -> dict[str, float]:
    """Each entity type's share of the entity mentions in ``sentences`` (most frequent first).

    Raises ``ValueError`` on a tag that is not ``O``, ``B-type`` or ``I-type``.
    """
    counts: Counter[str] = Counter()
    for sentence in sentences:
        for tag in sentence.tags:
            _check_tag(tag)
        counts.update(span.type for span in spans(sentence.tags))
    total = sum(counts.values())
    return {t: n / total for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def type_problem(label: str) -> str | None:
    """Why an entity type cannot be used, or ``None``."""
    if not label:
        return "empty label"
    if not ENTITY_TYPE.fullmatch(label) or len(label) > TYPE_MAX:
        return f"label {label!r}: {type_rule(label)}"
    return None


def type_rule(label: str) -> str:
    """The rule an entity type ``label`` breaks, with the name it could take instead where spaces were the only fault."""
    if len(label) > TYPE_MAX:
        return f"a type holds at most {TYPE_MAX} characters, this one {len(label)}"
    fixed = "_".join(label.split())
    return "a type holds only letters, digits, '_', '-' and '.'" + (
        f": rename it, e.g. {fixed!r}" if fixed != label and ENTITY_TYPE.fullmatch(fixed) else "")


def _check_tag(tag: str) -> None:
    if tag != OUTSIDE and (tag[:2] not in ("B-", "I-") or type_problem(tag[2:]) is not None):
        raise ValueError(f"not an IOB2 tag: {tag!r} (expected O, B-type or I-type; {type_rule(tag[2:])})")


@dataclass(frozen=True)
class TagSet:
    """A dataset's entity types, the weak (rare) ones among them, and the tagger's label list.

    ``labels`` is ``O`` then ``B-t``, ``I-t`` for each type in ``types`` order; a checkpoint keeps
    its own list (``id2label``), so this order only matters for new models.
    """

    types: tuple[str, ...]
    weak: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", tuple(self.types))
        object.__setattr__(self, "weak", frozenset(self.weak))
        if not self.types:
            raise ValueError("a tag set needs at least one entity type")
        if len(set(self.types)) != len(self.types):
            raise ValueError(f"duplicate entity types: {', '.join(self.types)}")
        for t in self.types:
            _check_tag("B-" + t)
        unknown = self.weak - set(self.types)
        if unknown:
            raise ValueError(f"unknown weak type(s): {', '.join(sorted(unknown))}; the types are {', '.join(self.types)}")
        if self.weak and not self.strong:
            raise ValueError("every type is weak: at least one type must be strong")

    @classmethod
    def from_sentences(
        cls, sentences: Iterable[HasTags], weak_share: float = WEAK_SHARE, weak: Iterable[str] | None = None
    ) -> "TagSet":
        """The types tagged in ``sentences`` (sorted by name); weak: ``weak`` if given, else the
        types with less than ``weak_share`` of the entity mentions."""
        shares = mention_shares(sentences)
        if weak is None:
            weak = [t for t, share in shares.items() if share < weak_share]
        return cls(tuple(sorted(shares)), frozenset(weak))

    @classmethod
    def of_split(cls, train: Iterable[HasTags], held_out: Iterable[HasTags] = (), weak_share: float = WEAK_SHARE,
                 weak: Iterable[str] | None = None) -> "TagSet":
        """A dataset's tag set, by the one rule the app and the CLI share: every type tagged in ``train``
        or ``held_out``; weak: ``weak`` if given, else the types with less than ``weak_share`` of the
        *training* part's entity mentions. A type seen only in ``held_out`` is not weak: no model learns it, and a weak
        tagger and a detector for it would learn nothing (helper-90)."""
        train = list(train)
        shares = mention_shares(train)
        types = set(shares) | set(mention_shares(held_out))
        if weak is None:
            weak = [t for t, share in shares.items() if share < weak_share]
        return cls(tuple(sorted(types)), frozenset(weak))

    @staticmethod
    def untrained(train: Iterable[HasTags], held_out: Iterable[HasTags]) -> tuple[str, ...]:
        """Types tagged in ``held_out`` but never in ``train``: in the tag set, but no model can learn them."""
        return tuple(sorted(set(mention_shares(held_out)) - set(mention_shares(train))))

    @classmethod
    def from_labels(cls, labels: Iterable[str], weak: Iterable[str] = ()) -> "TagSet":
        """The types of a label list (a checkpoint's ``id2label`` values), in their order."""
        types: dict[str, None] = {}
        for label in labels:
            _check_tag(label)
            if label != OUTSIDE:
                types[label[2:]] = None
        return cls(tuple(types), frozenset(weak))

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[str]]) -> "TagSet":
        return cls(tuple(data["types"]), frozenset(data.get("weak", ())))

    def to_dict(self) -> dict[str, list[str]]:
        return {"types": list(self.types), "weak": sorted(self.weak)}

    @property
    def strong(self) -> tuple[str, ...]:
        return tuple(t for t in self.types if t not in self.weak)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return (OUTSIDE,) + tuple(f"{p}-{t}" for t in self.types for p in ("B", "I"))

    @cached_property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def unknown_tags(self, tags: Iterable[str]) -> list[str]:
        """The tags in ``tags`` that are not labels of this set, sorted."""
        return sorted(set(tags) - set(self.label2id))

    def describe(self) -> str:
        """One line for a terminal: the types, strong and weak."""
        weak = ", ".join(sorted(self.weak)) or "none (the single model only)"
        return f"{len(self.types)} entity types; strong: {', '.join(self.strong)}; weak: {weak}"


def rebase(mine: Sequence[str], base: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """The edits ``mine`` made on ``base`` (the tokens where they differ) applied on ``theirs``, saved meanwhile by
    someone else: their change to a token these edits did not touch is kept."""
    return [m if m != b else t for m, b, t in zip(mine, base, theirs)]
