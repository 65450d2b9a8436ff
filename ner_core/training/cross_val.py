"""K-fold cross-validation for label issues: K taggers, each trained on the other folds, so that
every sentence is scored only by a model that never saw it.

Fast settings (:class:`CrossValConfig` defaults, sized for a 2-core CPU): 5 folds, 8 epochs,
batches of 64, a BiLSTM of 64 units per direction, learning rate 3e-3, dropout 0.5, one torch
thread. There is no clean held-out data to stop on, so every fold trains for the full number of
epochs and keeps the last.

The fold models' recipe (``CrossValConfig.recipe``) is ``glove`` (the GloVe + char Bi-LSTM-CRF), ``fused``
(the same with frozen encoder features), ``finetune`` (the encoder fine-tuned under the CRF), ``warm``
(each fold model starts from ``init_from``, a tagger trained on other data, and is trained on its folds
briefly: :attr:`CrossValConfig.warm_epochs` at :attr:`CrossValConfig.warm_lr`) or ``auto``: on the first
fold, every recipe whose K fold models fit the budget (``warm`` when ``init_from`` is given and allowed)
is trained and scored on that fold's held-out sentences (micro F1 against their tags as given), and the
best one trains the other folds. The choice is recorded in each fold model's meta and in
:attr:`CrossValResult.recipe`. A warm start is allowed only from a checkpoint that records its training
data (:func:`~ner_core.data.sentence_keys.training_record`), knows every tag of the sentences and trained
on at most :data:`MAX_SEEN_SHARE` of them (a file of new sentences still repeats a few short ones).

Each fold's model is saved as a checkpoint (``fold<k>``) whose meta records the fold, the number
of folds and the keys of the sentences it trained on, so any sentence can later be re-scored by
the one model that did not see it.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
from tqdm import tqdm

from ..data.corpus import Sentence
from ..data.sentence_keys import seen_sentences, sentence_key, training_record
from ..data.tags import TagSet

Report = Callable[[dict[str, Any]], None]
MAX_SEEN_SHARE = 0.05  # of the sentences (distinct), at most this many may be ones a warm start's checkpoint trained on
LOW_FOLD_F1 = 0.5  # fold models scoring under this on held-out sentences: their flags are said to be unreliable


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
    recipe: str = "glove"  # the fold models': glove, fused, finetune, warm (from init_from), or auto (chosen on the first fold)
    encoder: str = "minilm"  # of fused and finetune: minilm, a local directory or a model in the local HF cache
    budget_minutes: float | None = None  # auto: recipes whose K fold models would not fit are skipped (None: AUTO_BUDGET)
    warm_epochs: int = 1  # a warm-started fold model: adapted to its folds, not retrained (chosen on val, README)
    warm_lr: float = 5e-4

    def __post_init__(self) -> None:
        from .recipes import RECIPES

        if self.recipe not in (*RECIPES, "warm"):
            raise ValueError(f"unknown recipe {self.recipe!r}: expected one of {', '.join(RECIPES)}, warm")
        if self.budget_minutes is not None and not 0 < self.budget_minutes < math.inf:  # nan and inf too
            raise ValueError(f"the budget must be a positive number of minutes, got {self.budget_minutes}")
        if self.folds < 2:
            raise ValueError(f"cross-validation needs at least 2 folds, got {self.folds}")
        if min(self.epochs, self.warm_epochs, self.batch_size, self.hidden, self.threads) < 1:
            raise ValueError("epochs, warm_epochs, batch_size, hidden and threads must be at least 1")


@dataclass
class CrossValResult:
    labels: list[str]
    folds: list[int]  # fold of each sentence
    marginals: list[np.ndarray]  # out-of-sample (len, labels) probabilities per sentence
    model_dirs: list[Path]  # checkpoint of fold k's model (trained on every other fold)
    recipe: dict[str, Any]  # requested, chosen and, for auto, each candidate's micro F1 on the first fold's held-out sentences
    # ("dev_micro_f1", as a checkpoint's recipe record names it) and minutes, or why it was skipped

    @property
    def warm(self) -> bool:
        """Its fold models started from a tagger trained on other data, which knows more than the sentences'
        own counts: their flags are ranked by the marginal alone (:func:`~ner_core.quality.label_issues.issues_from_marginals`)."""
        return self.recipe.get("chosen") == "warm"


def fold_caution(recipe: dict[str, Any]) -> str | None:
    """Why flags from fold models of ``recipe`` (:attr:`CrossValResult.recipe`) may be mostly false: the chosen
    recipe's micro F1 on the first fold's held-out sentences (every recipe's since stop 48; ``auto``'s before) is
    under :data:`LOW_FOLD_F1`."""
    chosen = next((c for c in recipe.get("candidates", ()) if c.get("recipe") == recipe.get("chosen") and "dev_micro_f1" in c), None)
    if chosen is None or chosen["dev_micro_f1"] >= LOW_FOLD_F1:
        return None
    return (f"the fold models score {chosen['dev_micro_f1']:.2f} micro F1 on held-out sentences: expect many false flags "
            "(more epochs, a tagger to start them from, or more data make them better)")


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


def fold_train_settings(model, config: CrossValConfig, warm: bool = False):
    """How ``model`` trains as a fold model: its recipe's fast settings, or a ``warm`` start's epochs and learning rate."""
    from ..models.finetune import FineTuneTagger

    settings = fold_settings(config, "finetune" if isinstance(model, FineTuneTagger) else "glove")[0]
    return replace(settings, epochs=config.warm_epochs, patience=config.warm_epochs, lr=config.warm_lr) if warm else settings


def new_tagger(train_set: Sequence[Sentence], labels: list[str], config: CrossValConfig, recipe: str | None = None):
    """An untrained fold model of ``recipe`` (default ``config.recipe``; ``auto`` is chosen by :func:`cross_validate`)
    with ``train_set``'s vocabulary and GloVe vectors."""
    from .train import build_model

    recipe = recipe or config.recipe
    if recipe == "auto":
        raise ValueError("auto is chosen by cross_validate: give new_tagger a recipe")
    return build_model(train_set, labels, fold_settings(config, recipe)[1], 2, config.seed)


def train_epochs(model, data: Sequence[Sentence], config: CrossValConfig, epochs: int | None = None, seed: int | None = None,
                 on_epoch: Callable[[Any], None] | None = None, warm: bool = False):
    """Train ``model`` on ``data`` for a fixed number of epochs (default ``config.epochs``; a ``warm`` start:
    ``config.warm_epochs`` at ``config.warm_lr``) and keep the last."""
    from .train import fit

    settings = fold_train_settings(model, config, warm)
    epochs = epochs or settings.epochs
    count = itertools.count(1)
    settings = replace(settings, epochs=epochs, patience=epochs, seed=config.seed if seed is None else seed)
    # no clean held-out data to stop on: the "score" is the epoch number, so the last epoch is kept
    return fit(model, data, lambda _m: float(next(count)), settings, on_epoch=on_epoch, progress=False).model


def _choose_recipe(train_set: list[Sentence], held_out: list[Sentence], labels: list[str], config: CrossValConfig,
                   step: Callable[[str], None], warm: WarmStart | None = None) -> tuple[Any, dict[str, Any]]:
    """``auto`` on the first fold: each recipe whose K fold models fit the budget's remainder (``warm`` first,
    when given) trained on ``train_set`` and scored on ``held_out``; the best model and the record of what was tried."""
    from ..evaluation.evaluate import evaluate
    from ..models.tagger import Tagger
    from .recipes import AUTO_BUDGET, CANDIDATES, duration, estimate_epoch_seconds

    budget = config.budget_minutes or AUTO_BUDGET
    deadline = time.perf_counter() + 60 * budget
    tried: list[dict[str, Any]] = []
    best: tuple[float, str, Any] | None = None
    names = (("warm",) if warm is not None else ()) + CANDIDATES
    for name in names:
        if name == "warm" and warm.refused:
            tried.append({"recipe": name, "from": warm.source, "skipped": warm.refused})
            continue
        model = warm.model(config.dropout) if name == "warm" else new_tagger(train_set, labels, config, name)
        settings = fold_train_settings(model, config, name == "warm")
        first, later = estimate_epoch_seconds(model, train_set, held_out, settings)
        need = config.folds * (first + (settings.epochs - 1) * later)  # its K fold models
        left = deadline - time.perf_counter()
        if need > left:
            tried.append({"recipe": name, "skipped": f"{config.folds} fold models need about {duration(need)}; "
                                                     f"{duration(left)} of the budget left"})
            for _ in range(settings.epochs + 1):
                step(f"fold 1/{config.folds}: {name} skipped")
            continue
        began = time.perf_counter()
        train_epochs(model, train_set, config, seed=config.seed, warm=name == "warm",
                     on_epoch=lambda r, name=name: step(f"fold 1/{config.folds}: {name} epoch {r.epoch}/{settings.epochs}"))
        score = evaluate(Tagger(model), held_out)["micro_f1"]
        step(f"fold 1/{config.folds}: {name} scored")
        entry = {"recipe": name, "dev_micro_f1": round(score, 4), "minutes": round((time.perf_counter() - began) / 60, 2)}
        tried.append({**entry, **warm.record} if name == "warm" else entry)
        if best is None or score > best[0]:
            best = (score, name, model)
    if best is None:
        raise ValueError(f"no recipe fits the budget of {budget:g} min: " + "; ".join(f"{e['recipe']}: {e['skipped']}" for e in tried))
    return best[2], {"requested": "auto", "chosen": best[1], "budget_minutes": budget, "candidates": tried}


class WarmStart:
    """Fold models that start from the tagger at ``source``, if it may score ``sentences`` (:attr:`refused`
    says why not): a tagger checkpoint that records its training data, knows every tag of the sentences
    and trained on at most :data:`MAX_SEEN_SHARE` of them."""

    def __init__(self, source: str | os.PathLike, sentences: Sequence[Sentence]) -> None:
        from ..models.checkpoint import load_checkpoint
        from ..models.checkpoint_dirs import resolve
        from ..models.model import CRFTagger

        self.source, self.seen, self.refused = str(source), 0, ""  # as given: a name under checkpoints/ or a folder
        try:
            if (resolve(source) / "pipeline.json").is_file():
                self.refused = "a pipeline, not a tagger: name one of its taggers"
                return
            base, meta = load_checkpoint(source)
        except ValueError as err:  # not a checkpoint
            self.refused = str(err)
            return
        distinct = list({sentence_key(s): s for s in sentences}.values())
        if not isinstance(base, CRFTagger):
            self.refused = "not a tagger checkpoint"
        elif unknown := TagSet.from_labels(base.vocab.labels).unknown_tags(t for s in sentences for t in s.tags):
            self.refused = f"tags the checkpoint does not know: {', '.join(unknown)}"
        else:
            try:
                self.seen = seen_sentences(meta, distinct)
            except ValueError as err:
                self.refused = str(err)
            if self.seen > MAX_SEEN_SHARE * len(distinct):
                self.refused = (f"the checkpoint trained on {self.seen} of these sentences (more than {MAX_SEEN_SHARE:.0%}); "
                                "its scores would not be out-of-sample (use a checkpoint that never saw this file, or none)")

    @property
    def record(self) -> dict[str, Any]:
        """What a recipe record says of it: the checkpoint and how many of the sentences it trained on."""
        return {"from": self.source, "seen_sentences": self.seen}

    def require(self) -> None:
        """:class:`ValueError` saying why, if the tagger may not score the sentences."""
        if self.refused:
            raise ValueError(f"--init-from {self.source}: {self.refused}")

    def model(self, dropout: float | None = None):
        """A fresh copy of the tagger to train as a fold model, at ``dropout`` if given (:class:`ValueError` if :attr:`refused`)."""
        from ..models.checkpoint import load_checkpoint

        self.require()
        model = load_checkpoint(self.source)[0]
        if dropout is not None:
            model.config.dropout = dropout
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
    that did not train on it. ``init_from``: the tagger that ``warm`` fold models start from (with
    ``auto``, a candidate if it is allowed). ``report`` gets progress events (``stage``, ``done``,
    ``total`` steps, ``eta_seconds``, ``seconds``); ``progress`` shows a tqdm bar with the ETA on the terminal."""
    import torch

    from ..models.checkpoint import save_checkpoint
    from ..models.tagger import Tagger

    distinct = len({sentence_key(s) for s in sentences})
    if distinct < config.folds:
        raise ValueError(f"{config.folds} folds need at least {config.folds} distinct sentences, got {distinct}")
    if init_from is not None and config.recipe not in ("warm", "auto"):
        raise ValueError(f"--init-from starts every fold model from one checkpoint: it takes no recipe {config.recipe!r}")
    if init_from is None and config.recipe == "warm":
        raise ValueError("the warm recipe starts fold models from a tagger: give one (--init-from)")
    warm = WarmStart(init_from, sentences) if init_from is not None else None
    if config.recipe == "warm":
        warm.require()  # before any training
    torch.set_num_threads(config.threads)
    out_dir = Path(out_dir)
    fold = assign_folds(sentences, config.folds, config.seed)
    labels = list(TagSet.from_sentences(sentences).labels)
    from .recipes import CANDIDATES

    choosing = config.recipe == "auto"
    epochs = config.warm_epochs if config.recipe == "warm" else config.epochs
    # per fold: its epochs, then scoring its held-out sentences; auto tries every candidate on the first fold
    total = (config.folds + (len(CANDIDATES) - 1 if choosing else 0)) * (epochs + 1) + choosing
    total += (config.warm_epochs + 1) if choosing and warm is not None and not warm.refused else 0
    bar = tqdm(total=total, desc="cross-val", unit="step", disable=not progress)
    started, done = time.perf_counter(), 0
    if report is not None:  # the first step (an epoch) takes a while: the bar says what runs meanwhile
        report({"stage": f"fold 1/{config.folds}" + (": choosing the recipe" if choosing else ""), "done": 0, "total": total,
                "unit": "step"})

    def step(stage: str) -> None:
        nonlocal done
        done += 1
        bar.update(1)
        bar.set_postfix_str(stage)
        if report is not None:
            eta = (time.perf_counter() - started) / done * (total - done)
            report({"stage": stage, "done": done, "total": total, "unit": "step", "eta_seconds": round(eta, 1),
                    "seconds": round(time.perf_counter() - started, 1)})

    marginals: list[np.ndarray | None] = [None] * len(sentences)
    model_dirs = []
    recipe: dict[str, Any] = {"requested": config.recipe, "chosen": config.recipe, **(warm.record if config.recipe == "warm" else {})}
    with bar:  # closed while an interrupt unwinds, before it is reported
        for k in range(config.folds):
            train_set = [s for s, f in zip(sentences, fold) if f != k and len(s)]
            held_out = [i for i, f in enumerate(fold) if f == k]
            if choosing and k == 0:
                model, recipe = _choose_recipe(train_set, [sentences[i] for i in held_out if len(sentences[i])], labels, config, step, warm)
                epochs = config.warm_epochs if recipe["chosen"] == "warm" else config.epochs
                total = done + 1 + (config.folds - 1) * (epochs + 1)  # the other folds train the chosen recipe
                bar.total = total
            else:
                chosen_warm, began = recipe["chosen"] == "warm", time.perf_counter()
                model = warm.model(config.dropout) if chosen_warm else new_tagger(train_set, labels, config, recipe["chosen"])
                train_epochs(model, train_set, config, seed=config.seed + k, warm=chosen_warm,
                             on_epoch=lambda r, k=k: step(f"fold {k + 1}/{config.folds} epoch {r.epoch}/{epochs}"))
                if k == 0:  # measured as auto measures its candidates: the caution below holds for any recipe
                    from ..evaluation.evaluate import evaluate

                    scored_on = [sentences[i] for i in held_out if len(sentences[i])]
                    recipe["candidates"] = [{"recipe": recipe["chosen"], "dev_micro_f1": round(evaluate(Tagger(model), scored_on)["micro_f1"], 4),
                                             "minutes": round((time.perf_counter() - began) / 60, 2)}]
            meta = {"cross_val": {**asdict(config), "fold": k, "init_from": str(init_from) if init_from else None, "recipe": recipe},
                    "trained_on": training_record(train_set)}
            model_dirs.append(save_checkpoint(model, out_dir / f"fold{k}", meta))
            scored = Tagger(model).marginals([sentences[i].words for i in held_out])
            for i, m in zip(held_out, scored):
                marginals[i] = m.numpy()
            step(f"fold {k + 1}/{config.folds} scored")
            if k == 0:
                labels = list(model.vocab.labels)  # a warm start's: the tagger's (every tag of the sentences among them)
    return CrossValResult(labels, fold, [m if m is not None else np.zeros((0, len(labels))) for m in marginals], model_dirs, recipe)


class FoldScores(NamedTuple):
    labels: list[str]
    marginals: list[np.ndarray]
    warm: bool  # the fold model started from a tagger trained on other data (see CrossValResult.warm)


def fold_marginals(model_dir: str | os.PathLike, sentences: Sequence[Sentence]) -> FoldScores:
    """Re-score ``sentences`` with a saved fold model, refusing any sentence it trained on."""
    from ..models.checkpoint import load_checkpoint
    from ..models.tagger import Tagger

    model, meta = load_checkpoint(model_dir)
    seen = seen_sentences(meta, sentences)
    if seen:
        raise ValueError(f"{model_dir}: this fold model trained on {seen} of the sentences to score")
    tagger = Tagger(model, meta)
    warm = meta.get("cross_val", {}).get("recipe", {}).get("chosen") == "warm"
    return FoldScores(tagger.labels, [m.numpy() for m in tagger.marginals([s.words for s in sentences])], warm)
