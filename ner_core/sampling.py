"""Training sets for the rare classes: balanced detector data, and the weak tagger's data."""
from __future__ import annotations

import random
from typing import Sequence

from .corpus import Sentence
from .detector import holds_weak_entity


def balance(sentences: Sequence[Sentence], seed: int) -> list[Sentence]:
    """All weak sentences plus as many others, drawn at random (class 0 down-sampled)."""
    weak = [s for s in sentences if holds_weak_entity(s.tags)]
    others = [s for s in sentences if not holds_weak_entity(s.tags)]
    return weak + random.Random(seed).sample(others, min(len(others), len(weak)))


def weak_training_set(sentences: Sequence[Sentence], others_per_weak: float, oversample: int, seed: int) -> list[Sentence]:
    """Weak sentences repeated ``oversample`` times, plus ``others_per_weak`` x as many others.

    ``others_per_weak <= 0`` keeps every other sentence (the plain "all sentences" setting).
    """
    if oversample < 1:
        raise ValueError(f"oversample must be at least 1, got {oversample}")
    weak = [s for s in sentences if holds_weak_entity(s.tags)]
    others = [s for s in sentences if not holds_weak_entity(s.tags)]
    if others_per_weak > 0:
        others = random.Random(seed).sample(others, min(len(others), int(others_per_weak * len(weak))))
    return weak * oversample + others
