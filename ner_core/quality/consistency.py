"""How consistently a corpus annotates itself: the same words, different tags. No model involved."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Iterator, NamedTuple, Sequence

from ..data.corpus import Sentence
from ..data.tags import OUTSIDE, spans
from ..evaluation.metrics import entity_scores


@dataclass(frozen=True)
class StringLabels:
    """How one word sequence is tagged where it occurs: ``labels`` maps an entity type or ``O`` to a count.

    An occurrence counts as a type when it is exactly an entity of that type, as ``O`` when none
    of its words is in an entity; occurrences inside or across other entities ("of" in "Bank of
    America") are not counted.
    """

    words: tuple[str, ...]
    labels: dict[str, int]

    @property
    def occurrences(self) -> int:
        return sum(self.labels.values())

    @cached_property  # asked once per occurrence of the string when a corpus is scanned
    def majority(self) -> str:
        return max(self.labels, key=lambda label: (self.labels[label], label == OUTSIDE))

    @property
    def minority(self) -> int:
        """Occurrences not tagged like the majority: what a consistent corpus would change."""
        return self.occurrences - self.labels[self.majority]

    def share(self, label: str) -> float:
        return self.labels.get(label, 0) / self.occurrences


class Occurrence(NamedTuple):
    sentence: int  # index in the given sentences
    start: int
    words: tuple[str, ...]
    label: str | None  # an entity type, ``O``, or None inside / across other entities


def occurrences(sentences: Iterable[Sentence], strings: Iterable[tuple[str, ...]]) -> Iterator[Occurrence]:
    """Every place one of ``strings`` occurs in ``sentences``, with how it is tagged there."""
    wanted = {w for w in strings if w}
    lengths: dict[str, set[int]] = defaultdict(set)  # only positions holding a string's first word are tried
    for w in wanted:
        lengths[w[0]].add(len(w))
    lengths_by_first = {first: sorted(n) for first, n in lengths.items()}
    for i, s in enumerate(sentences):
        words, tags, entities = s.words, s.tags, None
        for a, first in enumerate(words):
            for n in lengths_by_first.get(first, ()):
                if a + n > len(words):
                    break
                found = words[a:a + n]
                if found in wanted:
                    if entities is None:
                        entities = {(x, y): t for t, x, y in spans(tags)}
                    label = entities.get((a, a + n)) or (OUTSIDE if tags[a:a + n].count(OUTSIDE) == n else None)
                    yield Occurrence(i, a, found, label)


def tally(found: Iterable[Occurrence]) -> dict[tuple[str, ...], StringLabels]:
    """How each string is tagged over ``found`` occurrences (those inside or across other entities not counted)."""
    counts: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for o in found:
        if o.label is not None:
            counts[o.words][o.label] += 1
    return {w: StringLabels(w, dict(c)) for w, c in counts.items()}


def string_labels(sentences: Iterable[Sentence], strings: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], StringLabels]:
    """Count how each of ``strings`` is tagged wherever it occurs in ``sentences`` (strings never counted are absent)."""
    return tally(occurrences(sentences, strings))


def entity_strings(sentences: Iterable[Sentence], max_words: int = 6) -> set[tuple[str, ...]]:
    """The word sequences annotated as an entity somewhere in ``sentences`` (up to ``max_words`` words)."""
    return {s.words[a:b] for s in sentences for _, a, b in spans(s.tags) if b - a <= max_words}


def inconsistent(labels: dict[tuple[str, ...], StringLabels], min_occurrences: int = 2) -> list[StringLabels]:
    """The strings of ``labels`` tagged in more than one way, most minority occurrences first."""
    found = [x for x in labels.values() if x.occurrences >= min_occurrences and x.minority]
    return sorted(found, key=lambda x: (-x.minority, -x.occurrences, x.words))


def inconsistent_strings(sentences: Sequence[Sentence], min_occurrences: int = 2, max_words: int = 6) -> list[StringLabels]:
    """Entity strings (of up to ``max_words`` words) tagged in more than one way, most minority occurrences first."""
    return inconsistent(string_labels(sentences, entity_strings(sentences, max_words)), min_occurrences)


def duplicate_agreement(reference: Sequence[Sentence], other: Sequence[Sentence] | None = None,
                        distinct: bool = False) -> tuple[int, dict]:
    """Entity scores of one annotation of a word sequence against another of the same words.

    Pairs each sentence of ``other`` with every sentence of ``reference`` that has the same words
    (or, without ``other``, repeated sentences within ``reference`` with their first copy);
    with ``distinct``, a pair of annotations repeated word for word counts once (boilerplate such
    as a news agency's sign-off recurs dozens of times). Returns the number of pairs and
    :func:`~ner_core.evaluation.metrics.entity_scores` over them.
    """
    seen: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for s in reference:
        seen[s.words].append(s.tags)
    if other is None:
        pairs = [(words, tags[0], t) for words, tags in seen.items() for t in tags[1:]]
    else:
        pairs = [(s.words, s.tags, t) for s in other for t in seen.get(s.words, [])]
    if distinct:
        pairs = list(dict.fromkeys(pairs))
    return len(pairs), entity_scores([g for _, g, _ in pairs], [p for _, _, p in pairs])
