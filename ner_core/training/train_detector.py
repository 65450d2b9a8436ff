"""Training the weak-sentence detector on full or balanced data, selected on a val metric."""
from __future__ import annotations

import os
from dataclasses import asdict
from typing import Callable, Sequence

import torch
from torch import nn

from ..data.corpus import Sentence
from ..evaluation.metrics import binary_scores
from ..models.checkpoint import save_checkpoint
from ..models.detector import DetectorConfig, WeakSentenceDetector, detector_proba, holds_weak_entity
from .sampling import balance
from .train import BatchCallback, EpochReport, TrainConfig, TrainResult, fit, init_vocab_and_vectors

SELECTION_METRICS = ("class1_accuracy", "f1", "roc_auc")


def score_detector(model: WeakSentenceDetector, sentences: Sequence[Sentence], threshold: float = 0.5) -> dict[str, float]:
    """Binary scores (:func:`~ner_core.evaluation.metrics.binary_scores`) against the gold sentence labels."""
    labels = [holds_weak_entity(s.tags, model.config.weak_types) for s in sentences]
    return binary_scores(labels, detector_proba(model, [s.words for s in sentences]), threshold)


def train_detector(
    train_set: Sequence[Sentence],
    val_set: Sequence[Sentence],
    config: TrainConfig,
    detector_config: DetectorConfig,
    balanced: bool = False,
    select_on: str = "class1_accuracy",
    out_dir: str | os.PathLike | None = None,
    progress: bool = True,
    model: WeakSentenceDetector | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: BatchCallback | None = None,
) -> TrainResult:
    """Train a detector (or continue ``model``); keep the epoch with the best ``select_on`` on ``val_set``."""
    if select_on not in SELECTION_METRICS:
        raise ValueError(f"unknown selection metric {select_on!r}: expected one of {', '.join(SELECTION_METRICS)}")
    weak_types = model.config.weak_types if model is not None else detector_config.weak_types
    data = balance(train_set, weak_types, config.seed) if balanced else list(train_set)
    if model is None:
        vocab, vectors, found = init_vocab_and_vectors(data, config.min_count, ["no_weak", "weak"])
        torch.manual_seed(config.seed)  # initial weights: unseeded, torch's generator differs between processes
        model = WeakSentenceDetector(detector_config, vocab)
        model.init_word_vectors(vectors, found)
    meta = {"train": {**asdict(config), "balanced": balanced, "select_on": select_on, "sentences": len(data)}}

    def score(m: nn.Module) -> float:
        return score_detector(m, val_set)[select_on]

    def save(m: nn.Module, history: list[EpochReport]) -> None:
        if out_dir is not None:
            meta.update(history=[asdict(h) for h in history], val=score_detector(m, val_set))
            save_checkpoint(m, out_dir, meta)

    return fit(model, data, score, config, save, on_epoch, progress=progress, desc=f"detector {model.config.arch}",
               on_batch=on_batch)
