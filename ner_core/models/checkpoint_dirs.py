"""Where checkpoints live, and how one is written: a directory filled beside the old one and
swapped in by renames, so a crash never leaves a half-written checkpoint where a good one was.

No torch here: the registry, jobs and CLI commands that only move checkpoints around import this.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


PIPELINE_FILE = "pipeline.json"  # a voted pipeline's spec; a single model's directory holds config.json


class CheckpointError(ValueError):
    """A checkpoint directory that is missing or unreadable."""


def is_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory holding a model checkpoint or a pipeline spec."""
    path = Path(path)
    return (path / "config.json").is_file() or (path / PIPELINE_FILE).is_file()


def workbench_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a model this workbench wrote (a tagger, a detector or a pipeline), not a transformer."""
    path = Path(path)
    if (path / PIPELINE_FILE).is_file():
        return True
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "format_version" in config and "meta" in config


def not_one_model(directory: Path) -> CheckpointError:
    """Why ``directory`` (no config.json) is no checkpoint of one model: a pipeline (its taggers named), or not ours."""
    if (directory / PIPELINE_FILE).is_file():
        try:
            spec = json.loads((directory / PIPELINE_FILE).read_text())
        except (OSError, ValueError):
            spec = {}
        taggers = [next((str(d / spec[k]) for d in (directory, directory.parent) if (d / spec[k]).is_dir()), spec[k])
                   for k in ("strong", "weak") if isinstance(spec.get(k), str)]  # inside it or beside it, as it loads them
        return CheckpointError(f"{directory} is a voted pipeline, not one model: give one of its taggers"
                               + (f" ({' or '.join(taggers)})" if taggers else ""))
    return CheckpointError(f"{directory}: not a checkpoint (no config.json): give a directory that `train` or `train-method` wrote")


def check_replaceable(directory: str | os.PathLike, force: bool = True) -> None:
    """Refuse to write a checkpoint over a directory that holds anything but one (an empty one is fine), or over an
    existing checkpoint unless ``force``."""
    directory = Path(directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is a file, not a checkpoint directory: give another path")
    if is_checkpoint(directory):
        if not force:
            raise CheckpointError(f"{directory} already holds a checkpoint: add --force to replace it, or give another name")
    elif any(directory.iterdir()):
        raise CheckpointError(f"{directory} holds files that are not a checkpoint: it is left alone, give another path")


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
    raise CheckpointError(f"no checkpoint at {path}" + ("" if named == path else f" nor {named}"))


def write_atomically(directory: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Replace ``directory`` by one holding ``files``; on any error the old one is left as it was."""
    with building(directory) as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
    return Path(directory)


@contextmanager
def building(directory: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of ``directory`` to fill; on success it replaces ``directory`` by
    renames, on any error it is removed and ``directory`` is left as it was. A ``directory`` that holds files
    but no checkpoint is refused, never replaced."""
    directory = Path(directory)
    check_replaceable(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".tmp-", dir=directory.parent))
    tmp.chmod(0o777 & ~_umask())  # as a plain mkdir would make it (mkdtemp's 0700 would hide it from other users)
    try:
        yield tmp
        swap_in(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def swap_in(built: Path, directory: Path) -> None:
    """Put the directory ``built`` where ``directory`` is, by renames (the old one removed after)."""
    old = None
    if directory.exists():
        old = directory.with_name(directory.name + ".old-" + built.name.rsplit("-", 1)[-1])
        os.rename(directory, old)
    os.rename(built, directory)
    if old is not None:
        shutil.rmtree(old)
