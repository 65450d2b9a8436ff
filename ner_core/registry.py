"""The model registry: retrained checkpoint sets, which one is active, activation and roll-back.

An entry is a directory under ``<data>/registry/<id>/`` holding a full set of checkpoints and
pipelines (members that were not retrained are hard links to the set it started from). The
shipped ``checkpoints/`` directory is the implicit entry ``shipped``. ``registry.json`` lists the
entries and the active one; it is replaced atomically.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .checkpoint import CheckpointError, checkpoints_dir
from .db import Base
from .users import User, require

SHIPPED = "shipped"


class RegistryEntry(Base):
    """A retrained checkpoint set of a dataset; its files are under ``<data>/registry/<id>/``."""
    __tablename__ = "registry_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    info: Mapped[dict] = mapped_column(JSON)


class Activation(Base):
    """One activation of an entry; the active entry is the latest not rolled back."""
    __tablename__ = "registry_activations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    author: Mapped[str | None] = mapped_column(String(100))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)


def data_dir() -> Path:
    path = Path(os.environ.get("NER_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def registry_dir() -> Path:
    return data_dir() / "registry"


def _index_path() -> Path:
    return registry_dir() / "registry.json"


def load_index() -> dict[str, Any]:
    """``{"active": id, "history": [ids activated, oldest first], "entries": [...]}``."""
    path = _index_path()
    if not path.is_file():
        return {"active": SHIPPED, "history": [SHIPPED], "entries": []}
    return json.loads(path.read_text())


def _save_index(index: dict[str, Any]) -> None:
    registry_dir().mkdir(parents=True, exist_ok=True)
    tmp = _index_path().with_suffix(".tmp")
    tmp.write_text(json.dumps(index, indent=2, default=str))
    os.replace(tmp, _index_path())


def entry_dir(entry_id: str) -> Path:
    return checkpoints_dir() if entry_id == SHIPPED else registry_dir() / entry_id


def active_dir() -> Path:
    """The directory the app and the CLI take models from."""
    return entry_dir(load_index()["active"])


def new_entry_dir(entry_id: str, base: Path) -> Path:
    """A build directory for entry ``entry_id``, holding hard links to every checkpoint of ``base``.

    :func:`register` renames it into place; until then the entry does not exist.
    """
    target = registry_dir() / f"{entry_id}.tmp-build"
    if (registry_dir() / entry_id).exists():
        raise CheckpointError(f"registry entry {entry_id} already exists")
    shutil.rmtree(target, ignore_errors=True)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(base, target, copy_function=link, ignore=shutil.ignore_patterns("*.tmp-*", "*.old-*"))
    return target


def register(entry_id: str, built: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Move a build directory into place and list it (not active)."""
    os.rename(built, registry_dir() / entry_id)
    index = load_index()
    entry = {"id": entry_id, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **info}
    index["entries"].append(entry)
    _save_index(index)
    return entry


def activate(entry_id: str, user: User | None = None) -> None:
    """Make ``entry_id`` the active entry (``user``: the acting user, an admin once users exist)."""
    require(user, "activate")
    index = load_index()
    if entry_id != SHIPPED and entry_id not in {e["id"] for e in index["entries"]}:
        raise CheckpointError(f"no registry entry {entry_id!r}")
    index["active"] = entry_id
    index["history"].append(entry_id)
    _save_index(index)


def roll_back(user: User | None = None) -> str:
    """Re-activate the entry that was active before the current one; returns its id."""
    require(user, "roll back")
    index = load_index()
    history = index["history"]
    if len(history) < 2:
        raise CheckpointError("nothing to roll back to")
    history.pop()
    index["active"] = history[-1]
    _save_index(index)
    return index["active"]
