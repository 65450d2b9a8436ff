"""The cache folder (``$NER_CACHE``, default ``cache/`` in the checkout), shared by every process of one
machine, and the parsed corpus files kept there.

Parsing a large corpus file takes seconds (the default corpus: about 3 s); its sentences are kept as a
pickle keyed by the file's path, size and modification time and by the reading options, so that the
server, jobs and the CLI parse each version of a file once. A file changed in place gets a new key; a
cache entry that cannot be read is parsed again; the :data:`KEEP` most recently used are kept.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")
KEEP = 8  # parsed files kept
VERSION = 2  # of what a parsed file holds: raise it when the reader's output changes


def cache_dir() -> Path:
    return Path(os.environ.get("NER_CACHE", Path(__file__).resolve().parents[2] / "cache"))


def parsed(path: Path, options: tuple, parse: Callable[[], T]) -> T:
    """``parse()``'s result for file ``path`` read with ``options``, from the cache when this version of the file is there."""
    stat = path.stat()
    key = hashlib.sha1(repr((VERSION, str(path.resolve()), stat.st_size, stat.st_mtime_ns, options)).encode()).hexdigest()
    folder = cache_dir() / "corpora"
    entry = folder / f"{key}.pickle"
    try:
        with open(entry, "rb") as f:
            result = pickle.load(f)
        os.utime(entry)  # recently used
        return result
    except Exception:  # absent, half-written by a crash, or from another version: parse again
        pass
    result = parse()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
        for old in sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only or full disk: the file is parsed again next time
        pass
    return result
