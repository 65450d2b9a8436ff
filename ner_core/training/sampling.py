"""Training sets for the rare classes: balanced detector data, and the weak tagger's data."""
from __future__ import annotations

import random
from typing import Collection, Sequence

from ..data.corpus import Sentence
from ..models.detector import holds_weak_entity


def _divide(sentences: Sequence[Sentence], weak_types: Collection[str]) -> tuple[list[Sentence], list[Sentence]]:
    """The sentences holding an entity of ``weak_types``, and the others."""
    labels = [holds_weak_entity(s.tags, weak_types) for s in sentences]
    return [s for s, y in zip(sentences, labels) if y], [s for s, y in zip(sentences, labels) if not y]


def balance(sentences: Sequence[Sentence], weak_types: Collection[str], seed: int) -> list[Sentence]:
    """All weak sentences plus as many others, drawn at random (class 0 down-sampled)."""
    weak, others = _divide(sentences, weak_types)
    return weak + random.Random(seed).sample(others, min(len(others), len(weak)))


def weak_training_set(
    sentences: Sequence[Sentence], weak_types: Collection[str], others_per_weak: float, oversample: int, seed: int
) -> list[Sentence]:
    """Weak sentences repeated ``oversample`` times, plus ``others_per_weak`` x as many others.

    ``others_per_weak <= 0`` keeps every other sentence (the plain "all sentences" setting).
    """
    if oversample < 1:
        raise ValueError(f"oversample must be at least 1, got {oversample}")
    weak, others = _divide(sentences, weak_types)
    if others_per_weak > 0:
        others = random.Random(seed).sample(others, min(len(others), int(others_per_weak * len(weak))))
    return weak * oversample + others
