"""Where checkpoints live, and how one is written: a directory filled beside the old one and
swapped in by renames, so a crash never leaves a half-written checkpoint where a good one was.

No torch here: the registry, jobs and CLI commands that only move checkpoints around import this.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class CheckpointError(ValueError):
    """A checkpoint directory that is missing or unreadable."""


def checkpoints_dir() -> Path:
    """``$NER_CHECKPOINTS`` if set, else ``checkpoints/`` of this checkout."""
    return Path(os.environ.get("NER_CHECKPOINTS", Path(__file__).resolve().parents[2] / "checkpoints"))


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A checkpoint directory from a path or a name under :func:`checkpoints_dir`."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    named = checkpoints_dir() / str(name_or_path)
    if named.is_dir():
        return named
    raise CheckpointError(f"no checkpoint at {path} nor {named}")


def write_atomically(directory: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Replace ``directory`` by one holding ``files``; on any error the old one is left as it was."""
    with building(directory) as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
    return Path(directory)


@contextmanager
def building(directory: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of ``directory`` to fill; on success it replaces ``directory`` by
    renames, on any error it is removed and ``directory`` is left as it was."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".tmp-", dir=directory.parent))
    try:
        yield tmp
        old = None
        if directory.exists():
            old = directory.with_name(directory.name + ".old-" + tmp.name.rsplit("-", 1)[-1])
            os.rename(directory, old)
        os.rename(tmp, directory)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
