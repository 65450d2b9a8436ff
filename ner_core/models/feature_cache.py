"""Encoder features on disk, shared by every process of one machine (the server, jobs, the CLI).

A cache is a folder of shards: ``<id>.npy`` (float16 rows, one per word) and ``<id>.json`` (each
sentence's key -> its first row and length), both written to a temporary name and renamed, the index
last, so a reader sees a whole shard or none. Any process adds shards; readers pick up new ones when
a key is missing (:meth:`FeatureCache.refresh`). Opening a cache of more than :data:`MAX_SHARDS` shards
merges them into one (one process at a time, under a lock; the others keep reading the old files,
which stay readable until they close them).
"""
from __future__ import annotations

import fcntl
import json
import os
import uuid
from pathlib import Path

import numpy as np

MAX_SHARDS = 32


class FeatureCache:
    """Sentence key -> ``(words, dim)`` float16 features, stored in shards under ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shards: dict[str, np.ndarray] = {}  # shard id -> its rows (memory-mapped)
        self._index: dict[str, tuple[str, int, int]] = {}  # key -> (shard id, first row, length)
        if len(self._shard_ids()) > MAX_SHARDS:
            self.compact()
        self.refresh()

    def __len__(self) -> int:
        return len(self._index)

    def get(self, key: str) -> np.ndarray | None:
        found = self._index.get(key)
        if found is None:
            return None
        shard, start, length = found
        return self._shards[shard][start : start + length]

    def refresh(self) -> None:
        """Read the indexes of shards written since the last look (by this process or another)."""
        for shard in self._shard_ids() - self._shards.keys():
            try:
                index = json.loads((self.path / f"{shard}.json").read_text())
                rows = np.load(self.path / f"{shard}.npy", mmap_mode="r")
            except FileNotFoundError:  # merged away meanwhile: its rows are in the merged shard
                continue
            self._shards[shard] = rows
            for key, (start, length) in index.items():
                self._index.setdefault(key, (shard, start, length))

    def add(self, features: dict[str, np.ndarray]) -> None:
        """Store ``features`` (key -> rows) as one new shard."""
        features = {k: v for k, v in features.items() if k not in self._index}
        if features:
            self._write(features)
            self.refresh()

    def compact(self) -> None:
        """Merge every shard into one; skipped while another process merges."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            old = sorted(self._shard_ids())
            merged: dict[str, np.ndarray] = {}
            for shard in old:
                rows = np.load(self.path / f"{shard}.npy", mmap_mode="r")
                for key, (start, length) in json.loads((self.path / f"{shard}.json").read_text()).items():
                    merged.setdefault(key, rows[start : start + length])
            if merged:
                self._write(merged)
            for shard in old:  # the index first: a reader never finds an index without its rows
                (self.path / f"{shard}.json").unlink(missing_ok=True)
                (self.path / f"{shard}.npy").unlink(missing_ok=True)
            self._shards, self._index = {}, {}

    def _shard_ids(self) -> set[str]:
        if not self.path.is_dir():
            return set()
        return {p.stem for p in self.path.glob("*.json")}

    def _write(self, features: dict[str, np.ndarray]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        shard, index, offset = uuid.uuid4().hex, {}, 0
        for key, rows in features.items():
            index[key] = [offset, len(rows)]
            offset += len(rows)
        dim = next(iter(features.values())).shape[1]
        tmp = self.path / f".{shard}.npy.tmp"
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(offset, dim))
        for key, rows in features.items():
            start, length = index[key]
            out[start : start + length] = rows
        out.flush()
        del out
        os.replace(tmp, self.path / f"{shard}.npy")
        tmp = self.path / f".{shard}.json.tmp"
        tmp.write_text(json.dumps(index))
        os.replace(tmp, self.path / f"{shard}.json")
