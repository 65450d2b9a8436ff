"""The weak-sentence detector: does a sentence hold an entity of a weak type (GMB: art, eve, nat)?

Three encoders over GloVe 50d word vectors (plus casing), as in the study: RNN-CNN, LSTM with
attention, and self-attention; trained with plain or class-weighted cross-entropy.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Collection, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.corpus import Sentence
from ..data.tags import tag_type
from .device import module_device
from .features import CASINGS, Batch, Vocab, length_batches
from .model import CRFTagger

ARCHITECTURES = ("rnn_cnn", "lstm_attn", "self_attn")


def holds_weak_entity(tags: Sequence[str], weak: Collection[str]) -> int:
    """The detector's label of a sentence: 1 if any token is of one of the ``weak`` types."""
    return int(any(tag_type(t) in weak for t in tags))


def weighted_cross_entropy(logits: Tensor, target: Tensor, weights: tuple[float, float] | None) -> Tensor:
    """The study's loss ``-p0 t0 log s0 - p1 t1 log s1``, averaged over the batch.

    With ``weights=None`` it is plain cross-entropy. Unlike ``F.cross_entropy(weight=...)`` the
    batch mean is not normalised by the weights, exactly as written in the study.
    """
    log_probs = F.log_softmax(logits, dim=-1)  # (B, 2)
    picked = log_probs.gather(1, target[:, None]).squeeze(1)  # (B,)
    if weights is not None:
        picked = picked * torch.tensor(weights, dtype=logits.dtype, device=logits.device)[target]
    return -picked.mean()


@dataclass
class DetectorConfig:
    weak_types: tuple[str, ...]  # the entity types whose sentences it detects
    arch: str = "rnn_cnn"
    word_dim: int = 50
    casing_dim: int = 8
    hidden: int = 64
    filters: int = 64
    heads: int = 2
    dropout: float = 0.3
    class_weights: tuple[float, float] | None = (0.02, 0.98)
    freeze_embeddings: bool = True  # GloVe rows are then rebuilt at load time, not saved

    def __post_init__(self) -> None:
        self.weak_types = tuple(self.weak_types)
        if not self.weak_types:
            raise ValueError("a detector needs the weak types it detects")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown detector architecture {self.arch!r}: expected one of {', '.join(ARCHITECTURES)}")
        if self.class_weights is not None:
            self.class_weights = tuple(float(w) for w in self.class_weights)
            if len(self.class_weights) != 2 or min(self.class_weights) <= 0:
                raise ValueError("class_weights must be two positive numbers")

    def to_dict(self) -> dict:
        return asdict(self)


class WeakSentenceDetector(nn.Module):
    """Sentence -> logits over {no weak entity, weak entity}."""

    def __init__(self, config: DetectorConfig, vocab: Vocab) -> None:
        super().__init__()
        self.config, self.vocab = config, vocab
        self.word_emb = nn.Embedding(len(vocab.words), config.word_dim, padding_idx=0)
        self.casing_emb = nn.Embedding(len(CASINGS), config.casing_dim, padding_idx=0)
        dim = config.word_dim + config.casing_dim
        self.dropout = nn.Dropout(config.dropout)
        if config.arch == "self_attn":
            self.proj = nn.Linear(dim, 2 * config.hidden)
            self.encoder = nn.TransformerEncoderLayer(
                2 * config.hidden, config.heads, 4 * config.hidden, config.dropout, batch_first=True
            )
            out_dim = 2 * config.hidden
        else:
            self.lstm = nn.LSTM(dim, config.hidden, batch_first=True, bidirectional=True)
            if config.arch == "rnn_cnn":
                self.conv = nn.Conv1d(2 * config.hidden, config.filters, 3, padding=1)
                out_dim = config.filters
            else:
                self.attn = nn.Linear(2 * config.hidden, 1)
                out_dim = 2 * config.hidden
        self.out = nn.Linear(out_dim, 2)

    def init_word_vectors(self, vectors: Tensor, found: Tensor) -> None:
        """GloVe rows where ``found``; frozen, the other rows are zero so that a load rebuilds them exactly."""
        with torch.no_grad():
            if self.config.freeze_embeddings:
                self.word_emb.weight.zero_()
            self.word_emb.weight[found] = vectors[found]
        self.word_emb.weight.requires_grad_(not self.config.freeze_embeddings)

    def frozen_keys(self) -> list[str]:
        """State entries a checkpoint leaves out: frozen GloVe rows, rebuilt by :meth:`restore_frozen`."""
        return ["word_emb.weight"] if self.config.freeze_embeddings else []

    def restore_frozen(self) -> None:
        from .glove import glove_vectors

        vectors, found = glove_vectors(self.vocab.words)
        found[:2] = False
        self.init_word_vectors(torch.from_numpy(vectors), torch.from_numpy(found))

    def forward(self, batch: Batch) -> Tensor:
        """Logits ``(B, 2)``."""
        mask = batch.mask  # (B, T)
        x = self.dropout(torch.cat([self.word_emb(batch.words), self.casing_emb(batch.casing)], dim=2))  # (B, T, D)
        if self.config.arch == "self_attn":
            h = self.proj(x) + _positions(x.size(1), 2 * self.config.hidden).to(x.device)  # (B, T, 2H)
            h = self.encoder(h, src_key_padding_mask=~mask)  # (B, T, 2H)
            pooled = h.masked_fill(~mask[:, :, None], -1e4).max(dim=1).values  # (B, 2H)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, mask.sum(1).cpu(), batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.size(1))  # (B, T, 2H)
            if self.config.arch == "rnn_cnn":
                c = torch.relu(self.conv(h.transpose(1, 2))).transpose(1, 2)  # (B, T, F)
                pooled = c.masked_fill(~mask[:, :, None], -1e4).max(dim=1).values  # (B, F)
            else:
                scores = self.attn(h).squeeze(2).masked_fill(~mask, -1e4)  # (B, T)
                pooled = (torch.softmax(scores, dim=1)[:, :, None] * h).sum(1)  # (B, 2H)
        return self.out(self.dropout(pooled))

    def reads_like(self, tagger: nn.Module) -> bool:
        """Whether a tagger's batches hold this detector's inputs (its words and casing): the same words, read alike."""
        return (isinstance(tagger, CRFTagger) and tagger.config.word_features and tagger.vocab.words == self.vocab.words
                and tagger.vocab.cased == self.vocab.cased)

    def encode(self, sentences: Sequence[Sentence]) -> Batch:
        """A training batch: words and each sentence's label."""
        batch = self.vocab.encode([s.words for s in sentences])
        batch.labels = torch.tensor([holds_weak_entity(s.tags, self.config.weak_types) for s in sentences])
        return batch.to(module_device(self))

    def forward_loss(self, batch: Batch) -> Tensor:
        return weighted_cross_entropy(self(batch), batch.labels, self.config.class_weights)

    @torch.inference_mode()
    def predict_proba(self, batch: Batch) -> Tensor:
        """``P(sentence holds a weak entity)``, shape ``(B,)``."""
        return torch.softmax(self(batch.to(module_device(self))), dim=-1)[:, 1].cpu()


def _positions(length: int, dim: int) -> Tensor:
    """Sinusoidal position encodings ``(T, dim)``."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    enc = torch.zeros(length, dim)
    enc[:, 0::2], enc[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
    return enc


def detector_proba(model: WeakSentenceDetector, sentences: Sequence[Sequence[str]], batch_size: int = 256,
                   batches: Sequence[tuple[list[int], Batch]] | None = None) -> list[float]:
    """``P(weak entity)`` for each sentence (0 for an empty one), batched by length; ``batches``: the
    sentences already encoded by a tagger the detector :meth:`~WeakSentenceDetector.reads_like`."""
    out = [0.0] * len(sentences)
    if batches is None:
        batches = [(chunk, model.vocab.encode([sentences[i] for i in chunk])) for chunk in length_batches(sentences, batch_size)]
    for chunk, batch in batches:
        probs = model.predict_proba(batch).tolist()
        for i, p in zip(chunk, probs):
            out[i] = p
    return out
