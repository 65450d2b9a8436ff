"""The ``pool-rank`` job: a dataset's pool scored and pre-annotated with its active model.

It runs when someone asks (the pool page, ``python -m ner_core pool rank``) and at the end of every
retraining of the dataset, with the model just trained, so that the queue follows the newest model.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.engine import Engine

from ..models.pipeline import load_any
from ..quality.mining import STRATEGIES
from ..quality.pool_ranking import rank_pool
from ..storage.datasets import open_dataset
from ..storage.pool import Pool, PoolError
from .registry import active_id, available_models


@dataclass
class PoolRankSpec:
    dataset: str
    strategy: str = "mixed"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")


def ranking_model(dataset: str, engine: Engine | None = None) -> tuple[str, str]:
    """The model that ranks ``dataset``'s pool (its active entry's first family) as (name, path); a dataset
    without a model is refused with what to do first."""
    models = available_models(dataset, engine=engine)
    if not models:
        raise PoolError(f"dataset {dataset!r} has no model yet to rank its pool: train one first on the app's Retrain "
                        f"page with the dataset chosen, or with `train-method --dataset {shlex.quote(dataset)}` (its first model is "
                        "activated); its pool keeps every sentence meanwhile")
    label, path = next(iter(models.items()))
    return f"{label} ({active_id(dataset, engine)})", path


def rank_dataset_pool(dataset: str, strategy: str = "mixed", report: Callable[[dict[str, Any]], None] = lambda _: None,
                      engine: Engine | None = None) -> dict[str, Any]:
    """Rank ``dataset``'s pool with its active model (see :func:`rank_pool`)."""
    name, path = ranking_model(dataset, engine)
    report({"stage": f"loading {name}"})  # seconds before the first sentence is scored: the bar says why
    return {"model": name, **rank_pool(Pool(open_dataset(dataset, engine)), load_any(path), name, strategy, report)}


def run_pool_rank_job(spec: dict[str, Any], report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job runner of kind ``pool-rank`` (see :mod:`ner_core.workbench.jobs`)."""
    job = PoolRankSpec(**spec)
    return rank_dataset_pool(job.dataset, job.strategy, report)
