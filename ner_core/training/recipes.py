"""Which model to train: ``glove`` (the GloVe + char Bi-LSTM-CRF), ``fused`` (the same with frozen encoder
features), ``finetune`` (the encoder fine-tuned under the CRF), or ``auto``: each candidate trained on
train and scored on dev (micro F1), the best one kept.

With a time budget, every candidate is first timed on a few batches (and on a few dev sentences, its
per-epoch check). The candidates that fit :data:`MIN_EPOCHS` each (fewer if fewer are asked for), cheapest first, share the budget: each
one's epochs are capped to an equal share of the time left, never less than its own minimum and never
eating into the minimum of those after it. One that cannot fit is skipped, and that is said (it is
trained after all if those before it finished early enough). What was tried goes into the checkpoint's
``config.json`` under ``meta["recipe"]``.
"""
from __future__ import annotations

import json
import math
import os
import random
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import nn

from ..data.corpus import Sentence
from ..data.tags import TagSet
from ..models.checkpoint import save_checkpoint
from ..models.device import resolve_device
from ..models.encoder import MINILM
from ..models.finetune import FineTuneConfig
from ..models.model import ModelConfig
from ..models.runtime import torch_threads
from ..models.tagger import Tagger
from .train import BatchCallback, EpochReport, TrainConfig, TrainResult, build_model, train

RECIPES = ("auto", "glove", "fused", "finetune")
CANDIDATES = RECIPES[1:]  # auto's, cheapest first
MIN_EPOCHS = 2  # a candidate that cannot train this many epochs within its share of the budget is skipped
PROBE_BATCHES = 3  # batches timed to estimate a candidate's epoch
FINETUNE = {"lr": 1e-3, "encoder_lr": 5e-5, "warmup": 0.1, "lr_decay": 1.0, "grad_clip": 1.0}  # the head's lr, the encoder's
FINETUNE_EPOCHS, FINETUNE_PATIENCE = 8, 2


def duration(seconds: float) -> str:
    """A time for people: minutes from 90 s on, else seconds to two significant digits; never negative."""
    seconds = max(seconds, 0.0)
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.2g} s"
AUTO_BUDGET = 120.0  # minutes: auto's budget when none is given (a large corpus skips what cannot fit)


@dataclass(frozen=True)
class RecipeChoice:
    """What to train: a recipe of :data:`RECIPES`, a time budget in minutes (``None``: none; ``auto`` then
    gets :data:`AUTO_BUDGET`) and the
    encoder of ``fused`` and ``finetune`` (``minilm``, a local directory or a model in the local HF cache)."""

    recipe: str = "auto"
    budget_minutes: float | None = None
    encoder: str = MINILM

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise ValueError(f"unknown recipe {self.recipe!r}: expected one of {', '.join(RECIPES)}")
        if self.budget_minutes is not None and not 0 < self.budget_minutes < math.inf:  # nan and inf too
            raise ValueError(f"the budget must be a positive number of minutes, got {self.budget_minutes}")
        if self.recipe == "auto" and self.budget_minutes is None:
            object.__setattr__(self, "budget_minutes", AUTO_BUDGET)

    @property
    def candidates(self) -> tuple[str, ...]:
        return CANDIDATES if self.recipe == "auto" else (self.recipe,)


@dataclass
class _Plan:
    """A candidate built and timed: its settings, its model and the seconds of its first and later epochs."""

    name: str
    settings: TrainConfig
    model_config: ModelConfig | FineTuneConfig
    model: nn.Module | None  # None once trained or skipped
    first: float = 0.0
    later: float = 0.0
    planned: bool = True  # fits beside the cheaper candidates

    @property
    def minimum(self) -> int:
        """The epochs it must fit to be tried: :data:`MIN_EPOCHS`, or fewer where fewer were asked for (helper-97: one
        epoch asked for was timed as two)."""
        return min(MIN_EPOCHS, self.settings.epochs)

    @property
    def least(self) -> float:
        """Seconds of its :attr:`minimum` epochs."""
        return self.first + (self.minimum - 1) * self.later


@dataclass
class RecipeResult:
    result: TrainResult  # the chosen candidate's
    chosen: str
    model_config: ModelConfig | FineTuneConfig  # the chosen candidate's (e.g. for a pipeline's other taggers)
    record: dict[str, Any]  # what ``meta["recipe"]`` holds


def candidate(name: str, config: TrainConfig, model: ModelConfig, encoder: str = MINILM) -> tuple[TrainConfig, ModelConfig | FineTuneConfig]:
    """The training and model settings of recipe ``name`` from the GloVe model's (``model``, e.g. the command line's)."""
    if name == "glove":
        return config, model
    if name == "fused":
        return config, replace(model, encoder=f"{encoder}-mean", encoder_layers="all")
    if name == "finetune":
        tuned = FineTuneConfig(encoder=encoder, recall_margin=model.recall_margin, margin_types=model.margin_types,
                               type_margins=model.type_margins)
        return finetune_settings(config), tuned
    raise ValueError(f"unknown recipe {name!r}: expected one of {', '.join(CANDIDATES)}")


def finetune_settings(config: TrainConfig) -> TrainConfig:
    """``config`` for fine-tuning: a lower learning rate for the encoder than for the head, linear warm-up, fewer epochs."""
    return replace(config, **FINETUNE, epochs=min(config.epochs, FINETUNE_EPOCHS), patience=min(config.patience, FINETUNE_PATIENCE))


def estimate_epoch_seconds(model: nn.Module, data: Sequence[Sentence], dev: Sequence[Sentence], config: TrainConfig) -> tuple[float, float]:
    """Seconds of a first and of a later epoch (training and the dev check), timed on :data:`PROBE_BATCHES`
    batches of a sample sorted by length (as training's length buckets are) and as many dev sentences, each
    twice, after one sentence off the clock: the second pass is the pace of later epochs. A first epoch is slower
    only for a model that caches features in it (a fused model's encoder features: the first pass's pace); for
    any other, the first pass's one-time costs (on a GPU, its start), extrapolated by tokens, would be counted as
    per-token work (on an H200, 18.7 min estimated for two fine-tuning epochs that took 2.4; README). Weights are
    not changed."""
    with torch_threads(config.threads):
        passes = _timed_passes(model, data, dev, config)
    if not model.caches_features:
        passes[0] = passes[1]
    model.eval()
    data_tokens, dev_tokens = sum(map(len, data)), sum(map(len, dev))
    return tuple(train_s * data_tokens + dev_s * dev_tokens for train_s, dev_s in passes)  # type: ignore[return-value]


def _timed_passes(model: nn.Module, data: Sequence[Sentence], dev: Sequence[Sentence], config: TrainConfig) -> list[tuple[float, float]]:
    """Two passes' seconds a training token and a dev token (estimate_epoch_seconds)."""
    device = resolve_device(config.device)
    model.to(device)
    sample = sorted(random.Random(config.seed).sample(list(data), min(len(data), PROBE_BATCHES * config.batch_size)), key=len)
    batches = [sample[i : i + config.batch_size] for i in range(0, len(sample), config.batch_size)]
    probe_dev = [s.words for s in list(dev)[: PROBE_BATCHES * config.batch_size]]
    tokens = sum(map(len, sample)), max(sum(map(len, probe_dev)), 1)
    model.train()  # one sentence first, off the clock: the one-time costs (an encoder's weights read, a GPU's start)
    model.forward_loss(model.encode(sample[:1])).backward()  # are no per-token work (stop 45: a first epoch of 20 s estimated at 124)
    passes = []
    for _ in range(2):
        started = _clock(device)
        model.train()
        for batch in batches:
            model.forward_loss(model.encode(batch)).backward()
        model.zero_grad(set_to_none=True)
        trained = _clock(device)
        Tagger(model).tag(probe_dev)
        passes.append(((trained - started) / tokens[0], (_clock(device) - trained) / tokens[1]))
    return passes


def _clock(device: torch.device) -> float:
    """Now, once the work queued on ``device`` is done (a GPU runs it asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
    return time.perf_counter()


def train_recipe(
    train_set: Sequence[Sentence],
    val_set: Sequence[Sentence],
    config: TrainConfig,
    choice: RecipeChoice,
    model: ModelConfig | None = None,
    out_dir: str | os.PathLike | None = None,
    tagset: TagSet | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: BatchCallback | None = None,
    progress: bool = True,
    log: Callable[[str], None] = lambda _: None,
    on_candidate: Callable[[str, int, float | None], None] = lambda _name, _epochs, _left: None,
) -> RecipeResult:
    """Train ``choice``'s candidates (``model``: the GloVe model's settings), keep the best on dev micro F1,
    save it to ``out_dir`` with ``meta["recipe"]``; :class:`ValueError` if no candidate fits the budget.
    ``on_candidate(name, epochs, seconds_left)``: a candidate's training of at most ``epochs`` starts (its epochs are
    then reported as any training's); ``seconds_left``: of the budget, where candidates are to come after it, else None."""
    started = time.perf_counter()
    deadline = None if choice.budget_minutes is None else started + 60 * choice.budget_minutes
    tagset = tagset or TagSet.from_sentences(train_set)
    data = [s for s in train_set if len(s)]
    tried: list[dict[str, Any]] = []
    if out_dir is not None:
        Path(out_dir).parent.mkdir(parents=True, exist_ok=True)
    best: tuple[str, TrainResult, ModelConfig | FineTuneConfig, Path] | None = None
    with tempfile.TemporaryDirectory(prefix="recipes-", dir=Path(out_dir).parent if out_dir else None) as scratch:
        plans = _plans(choice, config, model or ModelConfig(), data, val_set, tagset, deadline, log)
        for i, plan in enumerate(plans):
            name, settings, model_config, built = plan.name, plan.settings, plan.model_config, plan.model
            entry: dict[str, Any] = {"recipe": name}
            after = [p for p in plans[i + 1 :] if p.planned] if deadline is not None else []  # to come, within the budget
            if deadline is not None:
                left = deadline - time.perf_counter()
                room = left - sum(p.least for p in after)  # the later candidates' minimum is theirs
                share = min(max(left / (1 + len(after)), plan.least), room)
                fits = 1 + math.floor((share - plan.first) / plan.later) if share >= plan.first else 0
                entry["estimated_epoch_minutes"] = round(plan.later / 60, 2)
                if fits < plan.minimum:
                    entry["skipped"] = (f"needs about {duration(plan.least)} for {plan.minimum} epoch{'s' * (plan.minimum > 1)}; "
                                        f"{duration(max(room, 0))} of the budget left for it")
                    log(f"{name}: skipped: {entry['skipped']}")
                    tried.append(entry)
                    plan.model = None  # its memory back
                    continue
                settings = replace(settings, epochs=min(settings.epochs, fits))
            if len(choice.candidates) > 1:  # one recipe: the progress lines say it
                log(f"{name}: training (at most {settings.epochs} epochs)")
            on_candidate(name, settings.epochs, deadline - time.perf_counter() if after else None)
            began = time.perf_counter()
            ends = None if deadline is None else deadline - sum(p.least for p in after)  # estimates err: a hard stop too
            result = train(data, val_set, settings, model_config, Path(scratch) / name, model=built, on_epoch=on_epoch,
                           progress=progress, tagset=tagset, on_batch=on_batch, deadline=ends)
            entry.update(dev_micro_f1=round(result.best_score, 4), minutes=round((time.perf_counter() - began) / 60, 2),
                         epochs=len(result.history), most_epochs=settings.epochs, start_bias=result.model.config.start_bias)
            if result.out_of_time:
                entry["out_of_time"] = True
                log(f"{name}: stopped after {len(result.history)} of {settings.epochs} epochs: the next would have run past its "
                    "share of the budget (the epochs were slower than estimated)")
            log(f"{name}: dev micro F1 {result.best_score:.4f} in {duration(time.perf_counter() - began)}")
            tried.append(entry)
            plan.model = None
            if best is None or result.best_score > best[1].best_score:
                best = (name, result, result.model.config, Path(scratch) / name)
            else:
                result.model.cpu()
        if best is None:
            raise ValueError(f"no recipe fits the budget of {choice.budget_minutes:g} min: "
                             + "; ".join(f"{e['recipe']} {e['skipped']}" for e in tried)
                             + ". Give a larger budget, or train on the first N training sentences only")
        name, result, model_config, path = best
        encoder = choice.encoder if set(choice.candidates) - {"glove"} else None  # glove alone reads no encoder (helper-90)
        record = {"requested": choice.recipe, "budget_minutes": choice.budget_minutes, "encoder": encoder,
                  "chosen": name, "candidates": tried, "minutes": round((time.perf_counter() - started) / 60, 2)}
        if out_dir is not None:
            meta = json.loads((path / "config.json").read_text())["meta"] if (path / "config.json").is_file() else {}
            save_checkpoint(result.model, out_dir, {**meta, "recipe": record})
    return RecipeResult(result, name, model_config, record)


def _plans(choice: RecipeChoice, config: TrainConfig, model: ModelConfig, data: Sequence[Sentence], dev: Sequence[Sentence],
           tagset: TagSet, deadline: float | None, log: Callable[[str], None]) -> list[_Plan]:
    """``choice``'s candidates built; with a ``deadline``, each timed and those that fit their minimum in the time
    left, cheapest first, planned (the others are tried again at their turn, in case time was freed)."""
    plans = []
    for name in choice.candidates:
        settings, model_config = candidate(name, config, model, choice.encoder)
        plans.append(_Plan(name, settings, model_config, build_model(data, tagset.labels, model_config, settings.min_count, settings.seed)))
    if deadline is None:
        return plans
    for plan in plans:
        plan.first, plan.later = estimate_epoch_seconds(plan.model, data, dev, plan.settings)
    left = deadline - time.perf_counter()
    for plan in plans:
        plan.planned = plan.least <= left
        left -= plan.least if plan.planned else 0
    log("estimated: " + "; ".join(f"{p.name} {duration(p.later)} an epoch" + (f" ({duration(p.first)} the first)" if p.first > 1.5 * p.later else "")
                                  + ("" if p.planned else f", {p.minimum} epoch(s) do not fit beside the others") for p in plans)
        + f"; budget {duration(deadline - time.perf_counter())} left")
    return plans
