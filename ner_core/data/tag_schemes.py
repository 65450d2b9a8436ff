"""Tag well-formedness and the tag schemes: IOB1, BIOES and BILOU files converted to IOB2, and back.

A tag is ``O`` or ``<prefix>-<type>``: the prefix one of ``B I E S L U`` and the type a non-empty
run of letters, digits, ``_``, ``-`` and ``.``. No tag inventory is assumed: any type is accepted.

Every corpus is held in IOB2 (``B-`` begins an entity, ``I-`` continues it). On reading,
``S-``/``U-`` become ``B-``, ``E-``/``L-`` become ``I-``, and an ``I-x`` that does not continue an
``x`` entity (IOB1's convention, or a slip in an IOB2 file) becomes ``B-x``; each change is counted.
On writing, :func:`from_iob2` gives the tags in any of :data:`SCHEMES`.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from .tags import OUTSIDE, repair_iob2, tag_type, type_problem, type_rule

PREFIXES = frozenset("BIESLU")
SCHEMES = ("IOB2", "IOB1", "BIOES", "BILOU")
"""The schemes a corpus can be written in (:func:`from_iob2`); IOB2, how every corpus is held, first."""
_IOB2_PREFIX = {"S": "B", "U": "B", "E": "I", "L": "I"}
_BIOES_PREFIX = {"U": "S", "L": "E"}  # BILOU -> BIOES


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is malformed, or ``None`` when it is well formed."""
    if tag == OUTSIDE:
        return None
    if not tag:
        return "empty tag"
    prefix, dash, kind = tag.partition("-")
    if not dash:
        return f"malformed tag {tag!r}: expected O or PREFIX-TYPE (e.g. B-PER)"
    if prefix not in PREFIXES:
        return f"malformed tag {tag!r}: the prefix must be one of B, I, E, S, L, U"
    if not kind:
        return f"malformed tag {tag!r}: no entity type after {prefix}-"
    if type_problem(kind) is not None:
        return f"malformed tag {tag!r}: {type_rule(kind)}"
    return None


def as_iob2(tag: str) -> str:
    """A well-formed tag with its prefix read as IOB2 (``S-x`` -> ``B-x``, ``E-x`` -> ``I-x``), before any repair."""
    return tag if tag == OUTSIDE else _IOB2_PREFIX.get(tag[0], tag[0]) + tag[1:]


def from_iob2(tags: Sequence[str], scheme: str) -> tuple[str, ...]:
    """Valid IOB2 ``tags`` in ``scheme`` (one of :data:`SCHEMES`): IOB1 begins an entity with ``I-`` (``B-`` only after
    an entity of its type); BILOU and BIOES mark single tokens (``U-``/``S-``) and last ones (``L-``/``E-``), by
    spaCy's :func:`~spacy.training.iob_to_biluo`. Reading them back (:class:`IOB2Converter`) gives ``tags``."""
    if scheme == "IOB2":
        return tuple(tags)
    if scheme == "IOB1":
        return tuple("I" + t[1:] if t[:2] == "B-" and tag_type(before) != t[2:] else t
                     for before, t in zip((OUTSIDE, *tags), tags))
    if scheme in ("BILOU", "BIOES"):
        from spacy.training import iob_to_biluo

        biluo = iob_to_biluo(tags)
        return tuple(biluo if scheme == "BILOU" else (_BIOES_PREFIX.get(t[0], t[0]) + t[1:] for t in biluo))
    raise ValueError(f"unknown tag scheme {scheme!r}: use one of {', '.join(SCHEMES)}")


class TagChecker:
    """Checks tags, remembering the good ones (a corpus has few distinct tags, many tokens)."""

    def __init__(self) -> None:
        self.good: set[str] = {OUTSIDE}  # tags seen and found well formed

    def problem(self, tag: str) -> str | None:
        if tag in self.good:
            return None
        problem = tag_problem(tag)
        if problem is None:
            self.good.add(tag)
        return problem


class IOB2Converter:
    """Converts the sentences of one file to IOB2, counting changes and noting the scheme used.

    ``changes`` keys: ``"S->B"``, ``"U->B"``, ``"E->I"``, ``"L->I"`` and ``"I->B"`` / ``"E->B"`` /
    ``"L->B"`` (a tag that began an entity without ``B-``: IOB1's convention, or a slip).
    """

    def __init__(self) -> None:
        self.changes: Counter = Counter()
        self.first: int | None = None  # the sentence (counted from 1) of the first change
        self._seen = 0
        self._prefixes: set[str] = set()
        self._b_starts = 0  # B- tags after O or another type: never needed in IOB1

    def convert(self, tags: Sequence[str]) -> tuple[str, ...]:
        """``tags`` (well formed) as IOB2: ``S``/``U`` -> ``B``, ``E``/``L`` -> ``I``, then the one
        I->B repair of :func:`~ner_core.data.tags.repair_iob2`."""
        out = repair_iob2([t if t == OUTSIDE else _IOB2_PREFIX.get(t[0], t[0]) + t[1:] for t in tags])  # as_iob2, inlined
        self._seen += 1
        if self.first is None and list(tags) != out:
            self.first = self._seen
        previous = None  # the entity type of the previous token
        for before, after in zip(tags, out):
            if before != OUTSIDE:
                self._prefixes.add(before[0])
                self._b_starts += before[0] == "B" and previous != before[2:]
                if before[0] != after[0]:
                    self.changes[f"{before[0]}->{after[0]}"] += 1
            previous = tag_type(after)
        return tuple(tags) if list(tags) == out else tuple(out)

    @property
    def scheme(self) -> str:
        """``BIOES`` / ``BILOU`` when ``E``/``S`` or ``L``/``U`` were used; ``IOB1`` when ``I-`` began
        entities and ``B-`` appeared only between adjacent entities of one type; else ``IOB2``."""
        if self._prefixes & {"E", "S"}:
            return "BIOES" if not self._prefixes & {"L", "U"} else "BIOES/BILOU"
        if self._prefixes & {"L", "U"}:
            return "BILOU"
        if self.changes.get("I->B") and not self._b_starts:
            return "IOB1"
        return "IOB2"
