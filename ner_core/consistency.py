"""How consistently a corpus annotates itself: the same words, different tags. No model involved."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple, Sequence

from .corpus import Sentence
from .metrics import entity_scores
from .tags import OUTSIDE, spans


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

    @property
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
    wanted = set(strings)
    lengths = sorted({len(w) for w in wanted if w})
    for i, s in enumerate(sentences):
        entities = {(a, b): t for t, a, b in spans(s.tags)}
        for n in lengths:
            for a in range(len(s.words) - n + 1):
                words = s.words[a:a + n]
                if words in wanted:
                    outside = all(t == OUTSIDE for t in s.tags[a:a + n])
                    yield Occurrence(i, a, words, entities.get((a, a + n), OUTSIDE if outside else None))


def string_labels(sentences: Iterable[Sentence], strings: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], StringLabels]:
    """Count how each of ``strings`` is tagged wherever it occurs in ``sentences`` (strings never counted are absent)."""
    counts: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for found in occurrences(sentences, strings):
        if found.label is not None:
            counts[found.words][found.label] += 1
    return {w: StringLabels(w, dict(c)) for w, c in counts.items()}


def inconsistent_strings(sentences: Sequence[Sentence], min_occurrences: int = 2, max_words: int = 6) -> list[StringLabels]:
    """Entity strings (of up to ``max_words`` words) tagged in more than one way, most minority occurrences first."""
    entities = {s.words[a:b] for s in sentences for _, a, b in spans(s.tags) if b - a <= max_words}
    found = [
        labels for labels in string_labels(sentences, entities).values()
        if labels.occurrences >= min_occurrences and labels.minority
    ]
    return sorted(found, key=lambda x: (-x.minority, -x.occurrences, x.words))


def duplicate_agreement(reference: Sequence[Sentence], other: Sequence[Sentence] | None = None,
                        distinct: bool = False) -> tuple[int, dict]:
    """Entity scores of one annotation of a word sequence against another of the same words.

    Pairs each sentence of ``other`` with every sentence of ``reference`` that has the same words
    (or, without ``other``, repeated sentences within ``reference`` with their first copy);
    with ``distinct``, a pair of annotations repeated word for word counts once (boilerplate such
    as a news agency's sign-off recurs dozens of times). Returns the number of pairs and
    :func:`~ner_core.metrics.entity_scores` over them.
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
