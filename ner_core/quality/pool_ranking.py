"""Ranking a dataset's pool: each open sentence's score, reason and pre-annotation, stored with it.

The scores are :func:`~ner_core.quality.mining.mine`'s (``mixed`` by default: the rare types first,
with the tagger's uncertainty and diversity), the pre-annotation the model's tags from the same pass
of the models: the keyboard
queue then shows the best sentence and the model's guess at once, with no model call.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from ..models.pipeline import VotedPipeline
from ..models.tagger import Tagger
from ..storage.pool import Pool, Ranked
from .mining import mine


def rank_pool(pool: Pool, model: Tagger | VotedPipeline, model_name: str, strategy: str = "mixed",
              report: Callable[[dict[str, Any]], None] = lambda _: None) -> dict[str, Any]:
    """Score and pre-annotate every open sentence of ``pool`` with ``model``; returns what was done
    (sentences, seconds, the ranking's note, e.g. that the model has no rare types)."""
    started = time.perf_counter()
    ids, sentences = zip(*pool.open_sentences()) if pool.counts()["open"] else ((), ())
    stage = "scoring and pre-annotating the pool"
    report({"stage": stage, "done": 0, "total": len(sentences), "unit": "sentence"})

    def progress(done: int, total: int) -> None:  # sentences through the model: the pool's share done, and the time left
        seconds = time.perf_counter() - started
        report({"stage": stage, "done": round(done * len(sentences) / total), "total": len(sentences), "unit": "sentence",
                "seconds": round(seconds, 1), "eta_seconds": round(seconds * (total - done) / done, 1)})
    ranking = mine(model, sentences, strategy, pre_annotate=True, progress=progress)
    stored = pool.record_ranking([Ranked(ids[m.sentence], m.score, m.reason, m.types, ranking.tags[m.sentence])
                                  for m in ranking.items], model_name)
    return {"sentences": stored, "seconds": round(time.perf_counter() - started, 1), "strategy": strategy, "note": ranking.note}
