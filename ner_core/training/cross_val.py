"""K-fold cross-validation for label issues: K taggers, each trained on the other folds, so that
every sentence is scored only by a model that never saw it.

Fast settings (:class:`CrossValConfig` defaults, sized for a 2-core CPU): 5 folds, 8 epochs,
batches of 64, a BiLSTM of 64 units per direction, learning rate 3e-3, dropout 0.5, one torch
thread. There is no clean held-out data to stop on, so every fold trains for the full number of
epochs and keeps the last. With ``init_from`` each fold starts from that checkpoint, which is
allowed only when its recorded training data (:func:`~ner_core.data.sentence_keys.training_record`) holds none of the
sentences.

The fold models' recipe (``CrossValConfig.recipe``) is ``glove`` (the GloVe + char Bi-LSTM-CRF), ``fused``
(the same with frozen encoder features), ``finetune`` (the encoder fine-tuned under the CRF) or ``auto``:
on the first fold, every recipe whose K fold models fit the budget is trained and scored on that fold's
held-out sentences (micro F1 against their tags as given), and the best one trains the other folds. The
choice is recorded in each fold model's meta and in :attr:`CrossValResult.recipe`.

Each fold's model is saved as a checkpoint (``fold<k>``) whose meta records the fold, the number
of folds and the keys of the sentences it trained on, so any sentence can later be re-scored by
the one model that did not see it.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from tqdm import tqdm

from ..data.corpus import Sentence
from ..data.sentence_keys import seen_sentences, sentence_key, training_record
from ..data.tags import TagSet

Report = Callable[[dict[str, Any]], None]


@dataclass
class CrossValConfig:
    folds: int = 5
    epochs: int = 8
    batch_size: int = 64
    hidden: int = 64
    lr: float = 3e-3
    dropout: float = 0.5
    seed: int = 13
    threads: int = 1
    recipe: str = "glove"  # the fold models': glove, fused, finetune, or auto (chosen on the first fold)
    encoder: str = "minilm"  # of fused and finetune: minilm, a local directory or a model in the local HF cache
    budget_minutes: float | None = None  # auto: recipes whose K fold models would not fit are skipped (None: AUTO_BUDGET)

    def __post_init__(self) -> None:
        from .recipes import RECIPES

        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}: expected one of {', '.join(RECIPES)}")
        if self.budget_minutes is not None and self.budget_minutes <= 0:
            raise ValueError(f"the budget must be a positive number of minutes, got {self.budget_minutes}")
        if self.folds < 2:
            raise ValueError(f"cross-validation needs at least 2 folds, got {self.folds}")
        if self.epochs < 1 or self.batch_size < 1 or self.hidden < 1 or self.threads < 1:
            raise ValueError("epochs, batch_size, hidden and threads must be at least 1")


@dataclass
class CrossValResult:
    labels: list[str]
    folds: list[int]  # fold of each sentence
    marginals: list[np.ndarray]  # out-of-sample (len, labels) probabilities per sentence
    model_dirs: list[Path]  # checkpoint of fold k's model (trained on every other fold)
    recipe: dict[str, Any]  # requested, chosen and, for auto, each candidate's micro F1 on the first fold's held-out sentences
    # ("dev_micro_f1", as a checkpoint's recipe record names it) and minutes, or why it was skipped


def assign_folds(sentences: Sequence[Sentence], folds: int, seed: int = 13) -> list[int]:
    """Fold of each sentence, by its words: sentences with the same words share a fold (so no model
    trains on a duplicate of a sentence it scores), a correction of tags never moves a sentence, and
    distinct sentences go round robin over a seeded hash order, so fold sizes stay close."""
    keys = sorted({sentence_key(s) for s in sentences}, key=lambda key: hashlib.sha1(f"cv{seed}:{key}".encode()).digest())
    fold_of = {key: rank % folds for rank, key in enumerate(keys)}
    return [fold_of[sentence_key(s)] for s in sentences]


def fold_settings(config: CrossValConfig, recipe: str):
    """The training and model settings of a fold model of ``recipe`` (not ``auto``): the fast settings of
    ``config`` with its fixed number of epochs (a fine-tuned encoder's learning rates and warm-up as ``train``'s)."""
    from ..models.model import ModelConfig
    from .recipes import candidate
    from .train import TrainConfig

    fast = TrainConfig(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, patience=config.epochs,
                       seed=config.seed, threads=config.threads, lr_decay=1.0)
    settings, model = candidate(recipe, fast, ModelConfig(hidden=config.hidden, dropout=config.dropout), config.encoder)
    return replace(settings, epochs=config.epochs, patience=config.epochs), model


def new_tagger(train_set: Sequence[Sentence], labels: list[str], config: CrossValConfig, recipe: str | None = None):
    """An untrained fold model of ``recipe`` (default ``config.recipe``; ``auto`` is chosen by :func:`cross_validate`)
    with ``train_set``'s vocabulary and GloVe vectors."""
    from .train import build_model

    recipe = recipe or config.recipe
    if recipe == "auto":
        raise ValueError("auto is chosen by cross_validate: give new_tagger a recipe")
    return build_model(train_set, labels, fold_settings(config, recipe)[1], 2)


def train_epochs(model, data: Sequence[Sentence], config: CrossValConfig, epochs: int | None = None, seed: int | None = None,
                 on_epoch: Callable[[Any], None] | None = None):
    """Train ``model`` on ``data`` for a fixed number of epochs (default ``config.epochs``) and keep the last."""
    from ..models.finetune import FineTuneTagger
    from .train import fit

    epochs = epochs or config.epochs
    count = itertools.count(1)
    settings = fold_settings(config, "finetune" if isinstance(model, FineTuneTagger) else "glove")[0]
    settings = replace(settings, epochs=epochs, patience=epochs, seed=config.seed if seed is None else seed)
    # no clean held-out data to stop on: the "score" is the epoch number, so the last epoch is kept
    return fit(model, data, lambda _m: float(next(count)), settings, on_epoch=on_epoch, progress=False).model


def _choose_recipe(train_set: list[Sentence], held_out: list[Sentence], labels: list[str], config: CrossValConfig,
                   step: Callable[[str], None]) -> tuple[Any, dict[str, Any]]:
    """``auto`` on the first fold: each recipe whose K fold models fit the budget's remainder trained on
    ``train_set`` and scored on ``held_out``; the best model and the record of what was tried."""
    from ..evaluation.evaluate import evaluate
    from ..models.tagger import Tagger
    from .recipes import AUTO_BUDGET, CANDIDATES, estimate_epoch_seconds

    budget = config.budget_minutes or AUTO_BUDGET
    deadline = time.perf_counter() + 60 * budget
    tried: list[dict[str, Any]] = []
    best: tuple[float, str, Any] | None = None
    for name in CANDIDATES:
        model = new_tagger(train_set, labels, config, name)
        first, later = estimate_epoch_seconds(model, train_set, held_out, fold_settings(config, name)[0])
        need = config.folds * (first + (config.epochs - 1) * later)  # its K fold models
        left = deadline - time.perf_counter()
        if need > left:
            tried.append({"recipe": name, "skipped": f"{config.folds} fold models need about {need / 60:.1f} min; "
                                                     f"{left / 60:.1f} min of the budget left"})
            for _ in range(config.epochs + 1):
                step(f"fold 1/{config.folds}: {name} skipped")
            continue
        began = time.perf_counter()
        train_epochs(model, train_set, config, seed=config.seed,
                     on_epoch=lambda r, name=name: step(f"fold 1/{config.folds}: {name} epoch {r.epoch}/{config.epochs}"))
        score = evaluate(Tagger(model), held_out)["micro_f1"]
        step(f"fold 1/{config.folds}: {name} scored")
        tried.append({"recipe": name, "dev_micro_f1": round(score, 4), "minutes": round((time.perf_counter() - began) / 60, 2)})
        if best is None or score > best[0]:
            best = (score, name, model)
    if best is None:
        raise ValueError(f"no recipe fits the budget of {budget:g} min: " + "; ".join(f"{e['recipe']}: {e['skipped']}" for e in tried))
    return best[2], {"requested": "auto", "chosen": best[1], "budget_minutes": budget, "candidates": tried}


def _warm_model(init_from: str | os.PathLike, sentences: Sequence[Sentence]):
    from ..models.checkpoint import load_checkpoint
    from ..models.model import CRFTagger

    model, meta = load_checkpoint(init_from)
    if not isinstance(model, CRFTagger):
        raise ValueError(f"--init-from {init_from}: not a tagger checkpoint")
    try:
        seen = seen_sentences(meta, sentences)
    except ValueError as err:
        raise ValueError(f"--init-from {init_from}: {err}") from None
    if seen:
        raise ValueError(f"--init-from {init_from}: the checkpoint trained on {seen} of these sentences; its scores "
                         "would not be out-of-sample (use a checkpoint that never saw this file, or none)")
    unknown = {t for s in sentences for t in s.tags} - set(model.vocab.labels)
    if unknown:
        raise ValueError(f"--init-from {init_from}: tags the checkpoint does not know: {', '.join(sorted(unknown))}")
    return model


def cross_validate(
    sentences: Sequence[Sentence],
    config: CrossValConfig,
    out_dir: str | os.PathLike,
    init_from: str | os.PathLike | None = None,
    report: Report | None = None,
    progress: bool = True,
) -> CrossValResult:
    """Train ``config.folds`` taggers, each on the other folds, and score each sentence with the one
    that did not train on it. ``report`` gets progress events (``stage``, ``done``, ``total``,
    ``eta_seconds``); ``progress`` shows a tqdm bar with the ETA on the terminal."""
    import torch

    from ..models.checkpoint import save_checkpoint
    from ..models.tagger import Tagger

    distinct = len({sentence_key(s) for s in sentences})
    if distinct < config.folds:
        raise ValueError(f"{config.folds} folds need at least {config.folds} distinct sentences, got {distinct}")
    torch.set_num_threads(config.threads)
    out_dir = Path(out_dir)
    fold = assign_folds(sentences, config.folds, config.seed)
    if init_from is not None:
        base = _warm_model(init_from, sentences)
        labels = list(base.vocab.labels)
    else:
        labels = list(TagSet.from_sentences(sentences).labels)
    if init_from is not None and config.recipe != "glove":
        raise ValueError("--init-from starts every fold from one checkpoint: it takes no recipe")
    from .recipes import CANDIDATES

    choosing = config.recipe == "auto"
    # per fold: its epochs, then scoring its held-out sentences; auto tries every candidate on the first fold
    total = (config.folds + (len(CANDIDATES) - 1 if choosing else 0)) * (config.epochs + 1) + choosing
    bar = tqdm(total=total, desc="cross-val", unit="step", disable=not progress)
    started, done = time.perf_counter(), 0

    def step(stage: str) -> None:
        nonlocal done
        done += 1
        bar.update(1)
        bar.set_postfix_str(stage)
        if report is not None:
            eta = (time.perf_counter() - started) / done * (total - done)
            report({"stage": stage, "done": done, "total": total, "eta_seconds": round(eta, 1)})

    marginals: list[np.ndarray | None] = [None] * len(sentences)
    model_dirs = []
    recipe: dict[str, Any] = {"requested": config.recipe, "chosen": config.recipe}
    for k in range(config.folds):
        train_set = [s for s, f in zip(sentences, fold) if f != k and len(s)]
        held_out = [i for i, f in enumerate(fold) if f == k]
        if choosing and k == 0:
            model, recipe = _choose_recipe(train_set, [sentences[i] for i in held_out if len(sentences[i])], labels, config, step)
        else:
            if init_from is not None:
                model = _warm_model(init_from, sentences)
                model.config.dropout = config.dropout
            else:
                model = new_tagger(train_set, labels, config, recipe["chosen"])
            train_epochs(model, train_set, config, seed=config.seed + k,
                         on_epoch=lambda r, k=k: step(f"fold {k + 1}/{config.folds} epoch {r.epoch}/{config.epochs}"))
        meta = {"cross_val": {**asdict(config), "fold": k, "init_from": str(init_from) if init_from else None, "recipe": recipe},
                "trained_on": training_record(train_set)}
        model_dirs.append(save_checkpoint(model, out_dir / f"fold{k}", meta))
        scored = Tagger(model).marginals([sentences[i].words for i in held_out])
        for i, m in zip(held_out, scored):
            marginals[i] = m.numpy()
        step(f"fold {k + 1}/{config.folds} scored")
    bar.close()
    return CrossValResult(labels, fold, [m if m is not None else np.zeros((0, len(labels))) for m in marginals], model_dirs, recipe)


def fold_marginals(model_dir: str | os.PathLike, sentences: Sequence[Sentence]) -> tuple[list[str], list[np.ndarray]]:
    """Re-score ``sentences`` with a saved fold model, refusing any sentence it trained on."""
    from ..models.checkpoint import load_checkpoint
    from ..models.tagger import Tagger

    model, meta = load_checkpoint(model_dir)
    seen = seen_sentences(meta, sentences)
    if seen:
        raise ValueError(f"{model_dir}: this fold model trained on {seen} of the sentences to score")
    tagger = Tagger(model, meta)
    return tagger.labels, [m.numpy() for m in tagger.marginals([s.words for s in sentences])]
