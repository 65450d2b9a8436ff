"""Training: mini-batches bucketed by length, Adam, early stopping on val entity F1."""
from __future__ import annotations

import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from tqdm import tqdm

from .checkpoint import save_checkpoint
from .corpus import Sentence
from .evaluate import evaluate
from .features import Vocab
from .glove import glove_index, glove_vectors
from .model import BiLSTMCRF, ModelConfig
from .tagger import Tagger
from .tags import ENTITY_TYPES, mask_types


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    patience: int = 4
    seed: int = 13
    threads: int = 2
    grad_clip: float = 5.0
    min_count: int = 2
    mask_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.mask_types) - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(f"unknown entity types to mask: {', '.join(sorted(unknown))}")
        self.mask_types = tuple(self.mask_types)
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1 or self.threads < 1:
            raise ValueError("epochs, batch_size, patience and threads must be at least 1")


@dataclass
class EpochReport:
    epoch: int
    loss: float
    val_f1: float
    best_f1: float
    seconds: float
    improved: bool


@dataclass
class TrainResult:
    model: BiLSTMCRF
    best_f1: float
    history: list[EpochReport] = field(default_factory=list)


def build_model(train: Sequence[Sentence], config: ModelConfig, min_count: int = 2) -> BiLSTMCRF:
    """A fresh model whose vocabulary comes from ``train``, word vectors from GloVe."""
    vocab = Vocab.build([s.words for s in train], glove_index(), min_count)
    model = BiLSTMCRF(config, vocab)
    vectors, found = glove_vectors(vocab.words)
    found[:2] = False  # PAD and UNK keep their own vectors
    model.init_word_vectors(torch.from_numpy(vectors), torch.from_numpy(found))
    return model


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


def train(
    train_set: Sequence[Sentence],
    val_set: Sequence[Sentence],
    config: TrainConfig,
    model_config: ModelConfig | None = None,
    out_dir: str | os.PathLike | None = None,
    model: BiLSTMCRF | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train (or continue training ``model``); keep the best epoch by val F1 and save it to ``out_dir``."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    data = [Sentence(s.words, tuple(mask_types(s.tags, config.mask_types))) for s in train_set if len(s)]
    val = [s for s in val_set if len(s)]
    if not data:
        raise ValueError("no training sentences")
    if model is None:
        model = build_model(data, model_config or ModelConfig(), config.min_count)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    meta: dict[str, Any] = {"train": {**asdict(config), "sentences": len(data)}}
    best_f1, best_state, waited, history = -1.0, None, 0, []
    bar = tqdm(total=config.epochs, desc="epochs", disable=not progress, unit="ep")
    for epoch in range(1, config.epochs + 1):
        started, total, steps = time.perf_counter(), 0.0, 0
        model.train()
        for batch_sents in _batches(data, config.batch_size, rng):
            batch = model.vocab.encode([s.words for s in batch_sents], [s.tags for s in batch_sents])
            loss = model.forward_loss(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            total, steps = total + loss.item(), steps + 1
        model.eval()
        val_f1 = evaluate(Tagger(model), val, config.mask_types)["micro_f1"] if val else 0.0
        improved = val_f1 > best_f1
        if improved:
            best_f1, waited = val_f1, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
        report = EpochReport(epoch, total / steps, val_f1, best_f1, time.perf_counter() - started, improved)
        history.append(report)
        bar.update(1)
        bar.set_postfix(loss=f"{report.loss:.3f}", val_f1=f"{val_f1:.4f}", best=f"{best_f1:.4f}")
        if on_epoch is not None:
            on_epoch(report)
        if improved and out_dir is not None:
            meta["history"] = [asdict(h) for h in history]
            meta["val_micro_f1"] = best_f1
            save_checkpoint(model, out_dir, meta)
        if waited >= config.patience:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, best_f1, history)
