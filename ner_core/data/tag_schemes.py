"""Tag well-formedness and conversion of IOB1, BIOES and BILOU files to IOB2.

A tag is ``O`` or ``<prefix>-<type>``: the prefix one of ``B I E S L U`` and the type a non-empty
run of letters, digits, ``_``, ``-`` and ``.``. No tag inventory is assumed: any type is accepted.

Every corpus is held in IOB2 (``B-`` begins an entity, ``I-`` continues it). On reading,
``S-``/``U-`` become ``B-``, ``E-``/``L-`` become ``I-``, and an ``I-x`` that does not continue an
``x`` entity (IOB1's convention, or a slip in an IOB2 file) becomes ``B-x``; each change is counted.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from .tags import OUTSIDE

PREFIXES = frozenset("BIESLU")
_TYPE = re.compile(r"[\w.\-]+")


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
    if not _TYPE.fullmatch(kind):
        return f"malformed tag {tag!r}: a type holds only letters, digits, '_', '-' and '.'"
    return None


def type_problem(label: str) -> str | None:
    """Why an entity label (a span's type, no prefix) cannot be used, or ``None``."""
    if not label:
        return "empty label"
    if not _TYPE.fullmatch(label):
        return f"label {label!r}: a type holds only letters, digits, '_', '-' and '.'"
    return None


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
        self._prefixes: set[str] = set()
        self._b_starts = 0  # B- tags after O or another type: never needed in IOB1

    def convert(self, tags: Sequence[str]) -> tuple[str, ...]:
        """``tags`` (well formed) as IOB2."""
        out: list[str] = []
        previous = None  # the entity type of the previous token, after conversion
        changed = False
        for tag in tags:
            if tag == OUTSIDE:
                out.append(tag)
                previous = None
                continue
            prefix, kind = tag[0], tag[2:]
            self._prefixes.add(prefix)
            if prefix in "SUB":
                new = "B"
                self._b_starts += prefix == "B" and previous != kind
            else:  # I, E, L continue an entity of their type, or begin one
                new = "I" if previous == kind else "B"
            if new != prefix:
                self.changes[f"{prefix}->{new}"] += 1
                changed = True
            out.append(tag if new == prefix else f"{new}-{kind}")
            previous = kind
        return tuple(out) if changed else tuple(tags)

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
