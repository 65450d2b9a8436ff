"""Cross-validated label issues stored in the database, so the review queue reads instead of recomputing.

A run (:class:`IssueRun`) is one cross-validation of a dataset at a data version; it keeps the
label list, the confident-learning thresholds and where its fold models are (under
``$NER_DATA_DIR/cross_val/``). Each sentence has one row (:class:`IssueScore`): the fold that
scored it, the fingerprint of its words and tags at that time, and its flagged tokens. A correction
changes only its own sentence's fingerprint, so only that row is stale; :func:`stored_issues`
re-scores such a sentence with the fold model that did not see it and stores the result.
"""
from __future__ import annotations

import os
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..data.corpus import SPLITS, Sentence
from ..data.sentence_keys import tag_fingerprint
from ..storage.datasets import DEFAULT_DATASET
from ..storage.db import data_dir
from ..storage.schema import IssueRun, IssueScore
from ..training.cross_val import CrossValConfig, CrossValResult, cross_validate, fold_marginals
from .label_issues import LabelIssue, TagAgreement, confident_thresholds, issues_from_marginals, sentence_issues


def models_root(dataset: str) -> Path:
    """``$NER_DATA_DIR/cross_val/<dataset>/``: the fold models of a dataset's runs."""
    return data_dir() / "cross_val" / re.sub(r"[^\w.-]+", "_", dataset)


def store_run(engine: Engine, dataset: str, data_version: str, sentences: Sequence[Sentence], result: CrossValResult,
              models_dir: str | os.PathLike, indices: Sequence[int] | None = None) -> str:
    """Rank ``result`` with cleanlab and store it as the dataset's newest run; returns the run id.

    ``indices[i]`` is the corpus index of ``sentences[i]`` (default: ``i``), the index rows are stored under.
    """
    indices = list(range(len(sentences))) if indices is None else list(indices)
    issues = issues_from_marginals(sentences, result.marginals, result.labels, folds=result.folds, agreement=not result.warm)
    by_sentence: dict[int, list[list[Any]]] = defaultdict(list)
    for issue in issues:
        by_sentence[issue.sentence].append([issue.token, issue.given, issue.suggested, round(issue.score, 6)])
    run_id = uuid.uuid4().hex
    run = IssueRun(id=run_id, dataset=dataset, data_version=data_version, folds=max(result.folds) + 1,
                   labels=result.labels, thresholds=confident_thresholds(sentences, result.marginals, result.labels),
                   models_dir=str(models_dir), created_at=datetime.now(timezone.utc))
    rows = [{"run_id": run_id, "sentence": indices[i], "fold": result.folds[i], "fingerprint": tag_fingerprint(s),
             "issues": by_sentence.get(i, [])} for i, s in enumerate(sentences)]
    with Session(engine) as session, session.begin():
        session.add(run)
        session.flush()
        session.execute(IssueScore.__table__.insert(), rows)
    return run_id


def latest_run(engine: Engine, dataset: str) -> IssueRun | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.scalar(select(IssueRun).where(IssueRun.dataset == dataset).order_by(IssueRun.created_at.desc()).limit(1))


def scored_any(engine: Engine, dataset: str, sentences: Iterable[int]) -> bool:
    """Whether the dataset's newest cross-validated run scored any of ``sentences`` (corpus indices), flagged or not."""
    run = latest_run(engine, dataset)
    if run is None:
        return False
    with Session(engine) as session:
        scored = set(session.scalars(select(IssueScore.sentence).where(IssueScore.run_id == run.id)))
    return not scored.isdisjoint(sentences)


def stored_issues(engine: Engine, dataset: str, sentences: Sequence[Sentence], rescore: bool = True) -> list[LabelIssue]:
    """The newest run's issues for ``sentences`` (the dataset's current, corrected corpus; issues carry
    corpus indices), most suspicious first; ``[]`` when the dataset was never cross-validated.

    A sentence whose words or tags changed since the run is re-scored with its fold model (and the
    row updated), or, with ``rescore=False`` or without the fold models on disk, left out.
    """
    run = latest_run(engine, dataset)
    if run is None:
        return []
    issues: list[LabelIssue] = []
    stale: dict[int, list[IssueScore]] = defaultdict(list)
    checked: list[int] = []  # the run's sentences: the words whose tags re-scoring agrees with
    agreement: TagAgreement | None = None
    with Session(engine) as session, session.begin():
        for row in session.scalars(select(IssueScore).where(IssueScore.run_id == run.id)):
            if row.sentence >= len(sentences):
                continue
            checked.append(row.sentence)
            if row.fingerprint == tag_fingerprint(sentences[row.sentence]):
                issues += [LabelIssue(row.sentence, t, g, s, sc, row.fold) for t, g, s, sc in row.issues]
            else:
                stale[row.fold].append(row)
        for fold, rows in stale.items():
            model_dir = Path(run.models_dir) / f"fold{fold}"
            if not rescore or not model_dir.is_dir():
                continue
            labels, marginals, warm = fold_marginals(model_dir, [sentences[r.sentence] for r in rows])
            if not warm:  # a warm-started run ranks by the fold model's marginal alone
                agreement = agreement or TagAgreement([sentences[i] for i in checked])
            for row, m in zip(rows, marginals):
                found = sentence_issues(sentences[row.sentence], m, labels, run.thresholds, row.sentence,
                                        None if warm else agreement, fold)
                row.fingerprint = tag_fingerprint(sentences[row.sentence])
                row.issues = [[i.token, i.given, i.suggested, round(i.score, 6)] for i in found]
                issues += [LabelIssue(row.sentence, t, g, s, sc, fold) for t, g, s, sc in row.issues]
    issues.sort(key=lambda issue: -issue.score)
    return issues


def cross_validate_dataset(engine: Engine, dataset: str, data_version: str, sentences: Sequence[Sentence], config: CrossValConfig,
                           report: Callable[[dict[str, Any]], None] | None = None, progress: bool = False,
                           indices: Sequence[int] | None = None, init_from: str | os.PathLike | None = None) -> tuple[str, dict[str, Any]]:
    """Cross-validate ``sentences`` (corpus indices ``indices``, default all) with fold models kept
    under :func:`models_root` (``init_from``: a tagger to warm-start them from, see
    :func:`~ner_core.training.cross_val.cross_validate`), and store the run; returns its id and the
    fold models' recipe record (:attr:`~ner_core.training.cross_val.CrossValResult.recipe`)."""
    out = models_root(dataset) / (datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    result = cross_validate(sentences, config, out, init_from=init_from, report=report, progress=progress)
    return store_run(engine, dataset, data_version, sentences, result, out, indices), result.recipe


@dataclass(frozen=True)
class CrossValJobSpec:
    """A request to score a dataset's split out of sample (the ``cross-val`` job), checked when it is made."""

    dataset: str = DEFAULT_DATASET
    split: str = "all"  # or one of SPLITS
    config: CrossValConfig = field(default_factory=CrossValConfig)
    init_from: str | None = None  # a tagger the fold models may start from (recipe warm, or a candidate of auto)

    def __post_init__(self) -> None:
        if not self.dataset:
            raise ValueError("name the dataset to score")
        if self.split not in ("all", *SPLITS):
            raise ValueError(f"unknown split {self.split!r}: use all, {', '.join(SPLITS)}")
        if isinstance(self.config, dict):  # as stored with the job (JSON)
            object.__setattr__(self, "config", CrossValConfig(**self.config))


def run_cross_val_job(spec: dict[str, Any], report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job runner of kind ``cross-val`` (see :mod:`ner_core.workbench.jobs`): ``spec`` is a
    :class:`CrossValJobSpec` as stored; scores the dataset's corrected sentences and stores the run."""
    from ..storage.datasets import open_dataset
    from ..storage.db import shared_engine

    job = CrossValJobSpec(**spec)
    engine = shared_engine()
    store = open_dataset(job.dataset, engine)
    corpus = store.corrected()
    indices = list(range(len(corpus))) if job.split == "all" else store.split_indices()[SPLITS.index(job.split)]
    run, recipe = cross_validate_dataset(engine, job.dataset, store.version(), [corpus[i] for i in indices], job.config, report,
                                         indices=indices, init_from=job.init_from)
    return {"run": run, "dataset": job.dataset, "split": job.split, "sentences": len(indices), "recipe": recipe}
