"""Planted label noise, to measure how well suspicious annotations are found."""
from __future__ import annotations

import random
from typing import Sequence

from .corpus import Sentence
from .tags import Span, TagSet, spans, tags_from_spans

NOISE_KINDS = ("swap type", "shift boundary", "drop entity", "spurious entity")


def plant_noise(
    sentences: Sequence[Sentence], rate: float = 0.05, seed: int = 7, types: Sequence[str] | None = None,
    kinds: Sequence[str] = NOISE_KINDS,
) -> tuple[list[Sentence], set[tuple[int, int]]]:
    """Corrupt ``rate`` of all entities (type swapped, a boundary shifted by one, dropped, or kept
    while a spurious one-token entity is added on an ``O`` token of its sentence), each by one of ``kinds``.

    A swap picks another of ``types`` (default: the types tagged in ``sentences``); with a single
    type there is no swap. Returns the noisy sentences and the ``(sentence, token)`` positions
    whose tag changed.
    """
    rng = random.Random(seed)
    entities = [(i, span) for i, s in enumerate(sentences) for span in spans(s.tags)]
    chosen = rng.sample(entities, int(round(rate * len(entities))))
    by_sentence: dict[int, list[Span]] = {}
    for i, span in chosen:
        by_sentence.setdefault(i, []).append(span)
    types = sorted(types if types is not None else TagSet.from_sentences(sentences).types)
    kinds = [k for k in kinds if len(types) > 1 or k != "swap type"]
    noisy, changed = list(sentences), set()
    for i, targets in by_sentence.items():
        sentence = sentences[i]
        kept = [s for s in spans(sentence.tags) if s not in targets]
        for span in targets:
            kind = rng.choice(kinds)
            if kind == "swap type":
                kept.append(Span(rng.choice([t for t in types if t != span.type]), span.start, span.end))
            elif kind == "shift boundary":
                start, end = span.start, span.end
                if rng.random() < 0.5 and end < len(sentence):
                    end += 1
                elif end - start > 1:
                    end -= 1
                elif start > 0:
                    start -= 1
                kept.append(Span(span.type, start, end))
            elif kind == "spurious entity":
                kept.append(span)
                free = [t for t, tag in enumerate(sentence.tags) if tag == "O" and not any(s.start <= t < s.end for s in kept)]
                if free:
                    t = rng.choice(free)
                    kept.append(Span(rng.choice(types), t, t + 1))
        tags = tags_from_spans(len(sentence), sorted(kept, key=lambda s: s.start))
        changed |= {(i, t) for t, (a, b) in enumerate(zip(sentence.tags, tags)) if a != b}
        noisy[i] = Sentence(sentence.words, tuple(tags), sentence.pos)
    return noisy, changed
