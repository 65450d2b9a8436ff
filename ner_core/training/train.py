"""Training: length-bucketed mini-batches, Adam with LR decay on plateau (or linear warm-up and decay,
with a learning rate of its own for a fine-tuned encoder), early stopping.

:func:`fit` is the one training loop; it only needs ``model.encode(sentences)``,
``model.forward_loss(batch)`` and a validation score. :func:`train` builds and fits a tagger.
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from ..data.corpus import Sentence
from ..data.sentence_keys import training_record
from ..data.tags import TagSet, mask_types
from ..data.tokenize import TokenStyle
from ..evaluation.evaluate import evaluate
from ..models.checkpoint import save_checkpoint
from ..models.checkpoint_dirs import check_replaceable, swap_in
from ..models.device import resolve_device
from ..models.features import Vocab
from ..models.glove import glove_index, glove_vectors
from ..models.finetune import FineTuneConfig, FineTuneTagger
from ..models.model import CRFTagger, ModelConfig, gpu_memory_hint
from ..models.runtime import torch_threads
from ..models.tagger import Tagger
from .tagging_bias import tune_tagging_bias


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    patience: int = 4
    seed: int = 13
    threads: int | None = None  # torch threads while training (None: as the process has them)
    grad_clip: float = 5.0
    min_count: int = 2
    lr_decay: float = 0.5  # multiply the learning rate by this after an epoch without improvement
    mask_types: tuple[str, ...] = ()
    average_from: int = 0  # from this epoch on, score and keep the running average of the weights (0: off)
    device: str | None = None  # where to train: cpu, cuda[:N], mps, auto; None: $NER_DEVICE, else auto
    encoder_lr: float | None = None  # a fine-tuned encoder's learning rate (the model's param_groups); None: lr for all
    warmup: float = 0.0  # share of the steps with a linear warm-up, then linear decay to 0 (replaces lr_decay); 0: off
    tune_bias: bool = True  # train(): after training, the tagging bias that scores best on val (training/tagging_bias.py)

    def __post_init__(self) -> None:
        self.mask_types = tuple(self.mask_types)
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"warmup must be in [0, 1), got {self.warmup}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1 or (self.threads is not None and self.threads < 1):
            raise ValueError("epochs, batch_size, patience and threads must be at least 1")
        if self.average_from < 0:
            raise ValueError(f"average_from must be 0 (off) or an epoch number, got {self.average_from}")


@dataclass
class EpochReport:
    epoch: int
    loss: float
    val_score: float
    best_score: float
    seconds: float
    improved: bool


BatchCallback = Callable[[int, int, int], None]
"""``(epoch, batch, batches)``: called after each optimiser step."""


@dataclass
class TrainResult:
    model: nn.Module
    best_score: float
    history: list[EpochReport] = field(default_factory=list)
    out_of_time: bool = False  # stopped before its last epoch: the next one would have ended past the deadline


def init_vocab_and_vectors(
    train: Sequence[Sentence], min_count: int, labels: Sequence[str]
) -> tuple[Vocab, torch.Tensor, torch.Tensor]:
    """Vocabulary of ``train`` and its GloVe vectors with a found-mask (PAD and UNK excluded)."""
    vocab = Vocab.build([s.words for s in train], glove_index(), labels, min_count)
    vectors, found = glove_vectors(vocab.words)
    found[:2] = False
    return vocab, torch.from_numpy(vectors), torch.from_numpy(found)


def build_model(
    data: Sequence[Sentence], labels: Sequence[str], model_config: ModelConfig | FineTuneConfig | None, min_count: int,
    seed: int = 13,
) -> nn.Module:
    """A new tagger for ``labels``: a Bi-LSTM-CRF with its vocabulary of ``data`` and GloVe vectors, or a fine-tuned encoder's.
    Its initial weights are drawn after ``torch.manual_seed(seed)``: unseeded, torch's generator is seeded at random in
    each process and moved by whatever ran before in it."""
    torch.manual_seed(seed)
    if isinstance(model_config, FineTuneConfig):
        return FineTuneTagger(model_config, FineTuneTagger.vocab_for(labels))
    vocab, vectors, found = init_vocab_and_vectors(data, min_count, labels)
    model = CRFTagger(model_config or ModelConfig(), vocab)
    model.init_word_vectors(vectors, found)
    return model


def batch_count(sentences: int, size: int) -> int:
    """How many batches :func:`_batches` makes of ``sentences`` (pools of 50 batches, the last ones partial)."""
    pool = size * 50
    return sum(-(-min(pool, sentences - start) // size) for start in range(0, sentences, pool))


def _batches(sentences: list[Sentence], size: int, rng: random.Random) -> list[list[Sentence]]:
    """Shuffled batches of similar length (sorted within pools of 50 batches) to cut padding."""
    shuffled = sentences[:]
    rng.shuffle(shuffled)
    pool = size * 50
    batches = []
    for start in range(0, len(shuffled), pool):
        chunk = sorted(shuffled[start : start + pool], key=len)
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def fit(
    model: nn.Module,
    data: Sequence[Sentence],
    val_score: Callable[[nn.Module], float],
    config: TrainConfig,
    on_keep: Callable[[nn.Module, list[EpochReport]], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    progress: bool = True,
    desc: str = "train",
    on_batch: BatchCallback | None = None,
    deadline: float | None = None,
) -> TrainResult:
    """Train ``model`` on ``data``; keep (and return) the weights of the best epoch by ``val_score``.

    An epoch that ties the best score so far replaces the kept weights (the later ones are more trained: a
    tagger that scores 0 on every epoch keeps its last weights, not its first); patience counts only strict
    gains, so such a run still stops early. ``on_keep(model, history)`` is called whenever weights are kept,
    ``on_batch(epoch, batch, batches)`` after every optimiser step (progress within an epoch).

    With ``config.average_from`` set, from that epoch on the weights are averaged over epochs
    (stochastic weight averaging) and the average is what is scored and kept.

    With a ``deadline`` (a :func:`time.perf_counter` value), no epoch after the first starts that would end past
    it at the last epoch's pace (a model that caches features in its first epoch: the second always starts).
    """
    torch.manual_seed(config.seed)
    model.to(resolve_device(config.device))
    rng = random.Random(config.seed)
    data = [s for s in data if len(s)]
    if not data:
        raise ValueError("no training sentences")
    params = model.param_groups(config.lr, config.encoder_lr) if config.encoder_lr else [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr)
    scheduler = step_scheduler = None
    if config.warmup:
        from transformers import get_linear_schedule_with_warmup

        steps = config.epochs * batch_count(len(data), config.batch_size)
        step_scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup * steps), steps)
    elif config.lr_decay < 1:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=config.lr_decay, patience=0)
    average = AveragedModel(model) if config.average_from else None
    best, best_state, waited, history, out_of_time = float("-inf"), None, 0, [], False
    with torch_threads(config.threads), tqdm(total=config.epochs, desc=desc, disable=not progress, unit="ep") as bar:
        # the bar closed before an interrupt is reported
        for epoch in range(1, config.epochs + 1):
            if deadline is not None and history:
                cached = len(history) == 1 and getattr(model, "caches_features", False)  # its first epoch's pace is no guide
                if time.perf_counter() + (0.0 if cached else history[-1].seconds) > deadline:
                    out_of_time = True
                    break
            started, total, steps = time.perf_counter(), 0.0, 0
            model.train()
            batches = _batches(list(data), config.batch_size, rng)
            for batch_sents in tqdm(batches, desc=f"epoch {epoch}", disable=not progress, unit="batch", leave=False):
                with gpu_memory_hint("training", len(batch_sents)):
                    loss = model.forward_loss(model.encode(batch_sents))
                    optimizer.zero_grad()
                    loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                if step_scheduler is not None:
                    step_scheduler.step()
                total, steps = total + loss.item(), steps + 1
                if on_batch is not None:
                    on_batch(epoch, steps, len(batches))
            scored = model
            if average is not None and epoch >= config.average_from:
                average.update_parameters(model)
                scored = average.module
            scored.eval()
            score = val_score(scored)
            improved, kept = score > best, score >= best
            if kept:
                best_state = {k: v.detach().clone() for k, v in scored.state_dict().items()}
            if improved:
                best, waited = score, 0
            else:
                waited += 1
            report = EpochReport(epoch, total / steps, score, best, time.perf_counter() - started, improved)
            history.append(report)
            if scheduler is not None:
                scheduler.step(score)
            bar.update(1)
            bar.set_postfix(loss=f"{report.loss:.3f}", val=f"{score:.4f}", best=f"{best:.4f}")
            if on_epoch is not None:
                on_epoch(report)
            if kept and on_keep is not None:
                on_keep(scored, history)
            if waited >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, best, history, out_of_time)


def train(
    train_set: Sequence[Sentence],
    val_set: Sequence[Sentence],
    config: TrainConfig,
    model_config: ModelConfig | FineTuneConfig | None = None,
    out_dir: str | os.PathLike | None = None,
    model: nn.Module | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    progress: bool = True,
    tagset: TagSet | None = None,
    on_batch: BatchCallback | None = None,
    deadline: float | None = None,
) -> TrainResult:
    """Train a Bi-LSTM-CRF or, with a :class:`FineTuneConfig`, a fine-tuned encoder (or continue ``model``)
    with early stopping on val entity micro F1 (and no epoch past a ``deadline``: :func:`fit`).

    A new model's labels are those of ``tagset`` (default: the types tagged in ``train_set``).
    Types in ``config.mask_types`` become ``O`` in training and validation; the best epoch is
    saved to ``out_dir`` as soon as it is reached.
    """
    if model is None:
        tagset = tagset or TagSet.from_sentences(train_set)
    else:
        tagset = TagSet.from_labels(model.vocab.labels)
    unknown = sorted(set(config.mask_types) - set(tagset.types))
    if unknown:
        raise ValueError(f"unknown entity types to mask: {', '.join(unknown)}; the types are {', '.join(tagset.types)}")
    outside = tagset.unknown_tags(t for s in train_set for t in s.tags)
    if outside:
        raise ValueError(f"training tags the model has no label for: {', '.join(outside)}")
    data = [Sentence(s.words, tuple(mask_types(s.tags, config.mask_types))) for s in train_set if len(s)]
    val = [s for s in val_set if len(s)]
    if model is None and data:
        model = build_model(data, tagset.labels, model_config, config.min_count, config.seed)
    meta: dict[str, Any] = {"train": {**asdict(config), "sentences": len(data)}, "trained_on": training_record(data),
                            "token_style": TokenStyle.of(w for s in data for w in s.words)._asdict()}  # new text tokenised alike

    def score(m: nn.Module) -> float:
        return evaluate(Tagger(m), val, config.mask_types)["micro_f1"] if val else 0.0

    # The best epoch is saved as soon as it is reached; over an existing checkpoint, beside it (NAME.partial) until
    # training ends, so an interrupted run leaves the old one whole.
    target = None if out_dir is None else Path(out_dir)
    if target is not None:
        check_replaceable(target)  # a directory holding anything but a checkpoint is never replaced
    scratch = target.with_name(target.name + ".partial") if target is not None and target.exists() else target

    def save(m: nn.Module, history: list[EpochReport]) -> None:
        if scratch is not None:
            meta.update(history=[asdict(h) for h in history], val_micro_f1=history[-1].best_score)
            save_checkpoint(m, scratch, meta)

    result = fit(model, data, score, config, save, on_epoch, progress, desc="tagger", on_batch=on_batch, deadline=deadline)
    if config.tune_bias and val:
        choice = tune_tagging_bias(result.model, val, config.mask_types)
        meta["tagging_bias"] = choice.to_dict()
        if scratch is not None:
            meta["val_micro_f1"] = choice.dev_micro_f1
            save_checkpoint(result.model, scratch, meta)
        result = replace(result, best_score=choice.dev_micro_f1)
    if scratch != target and scratch.exists():
        swap_in(scratch, target)
    return result
