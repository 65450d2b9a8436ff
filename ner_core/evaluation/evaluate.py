"""Score a tagger on a corpus: entity scores plus size and timing."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..data.corpus import Sentence
from ..data.tags import mask_types
from .metrics import entity_scores

if TYPE_CHECKING:
    from ..models.pipeline import VotedPipeline
    from ..models.tagger import Tagger


def evaluate(tagger: "Tagger | VotedPipeline", sentences: Sequence[Sentence], masked: Iterable[str] = ()) -> dict[str, Any]:
    """Tag ``sentences`` and score against their gold tags (with ``masked`` types set to ``O``)."""
    masked = tuple(masked)
    started = time.perf_counter()
    predicted = tagger.tag([s.words for s in sentences])
    seconds = time.perf_counter() - started
    gold = [mask_types(s.tags, masked) for s in sentences]
    pred = [mask_types(p.tags, masked) for p in predicted]
    scores = entity_scores(gold, pred)
    scores.update(sentences=len(sentences), tokens=sum(len(s) for s in sentences), seconds=round(seconds, 3))
    return scores
