"""The model registry: retrained checkpoint sets per dataset, which one is active, activation and roll-back.

Entries, activations and their history are rows of the database, each change one transaction, so
that every app instance on one database sees the same active model. An entry's files are a
directory ``<NER_DATA_DIR>/registry/<id>/`` holding a full set of checkpoints and pipelines (members
that were not retrained are hard links to the set it started from): every instance must share that
path (one machine, or a shared volume). The shipped ``checkpoints/`` directory is the implicit
entry ``shipped``, active until another is activated. A ``registry.json`` from before the database
is imported once.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..models.checkpoint_dirs import CheckpointError, checkpoints_dir
from ..storage.datasets import DEFAULT_DATASET
from ..storage.db import data_dir, shared_engine
from ..storage.schema import Activation, RegistryEntry
from ..storage.store import refuse_when_full
from ..storage.users import User, require

SHIPPED = "shipped"
__all__ = ["SHIPPED", "activate", "active_dir", "active_id", "available_models", "clean_builds", "data_dir", "entry_dir",
           "entry_rows", "has_active_model", "load_index", "new_entry_dir", "new_entry_id", "prunable", "prune", "recipe_of", "register", "registry_dir",
           "roll_back", "roll_back_target"]


def registry_dir() -> Path:
    return data_dir() / "registry"


def entry_dir(entry_id: str) -> Path:
    return checkpoints_dir() if entry_id == SHIPPED else registry_dir() / entry_id


def new_entry_id() -> str:
    """A fresh entry id: the time for people, a random part for uniqueness (two runs in one second differ)."""
    return datetime.now(timezone.utc).strftime("r%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:10]


def _engine(engine: Engine | None) -> Engine:
    engine = engine or shared_engine()
    _import_legacy_index(engine)
    return engine


def _entry(row: RegistryEntry) -> dict[str, Any]:
    return {"id": row.id, "created": row.created_at.isoformat(timespec="seconds"), **row.info}


def load_index(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> dict[str, Any]:
    """``{"active": id, "history": [ids activated, oldest first], "entries": [...]}`` of ``dataset``."""
    with Session(_engine(engine)) as session:
        entries = session.scalars(select(RegistryEntry).where(RegistryEntry.dataset == dataset).order_by(RegistryEntry.created_at, RegistryEntry.id))
        history = session.scalars(select(Activation.entry_id).where(Activation.dataset == dataset, Activation.rolled_back.is_(False))
                                  .order_by(Activation.id))
        history = [SHIPPED, *history]
        return {"active": history[-1], "history": history, "entries": [_entry(e) for e in entries]}


def active_id(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> str:
    with Session(_engine(engine)) as session:
        latest = session.scalar(select(Activation.entry_id).where(Activation.dataset == dataset, Activation.rolled_back.is_(False))
                                .order_by(Activation.id.desc()).limit(1))
    return latest or SHIPPED


def missing_active(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> str | None:
    """Why ``dataset``'s active entry cannot serve it (its folder gone from this machine: helper-92), or None."""
    entry = active_id(dataset, engine)
    if entry == SHIPPED or entry_dir(entry).is_dir():
        return None
    return (f"the active models of {dataset!r}, registry entry {entry}, are missing on this machine (their folder is gone): "
            "an admin activates another entry or rolls back on the Registry page")


def _servable(entry_id: str, dataset: str) -> bool:
    """Whether ``entry_id``'s files exist to serve ``dataset`` (the shipped set serves the default corpus only)."""
    return (entry_id != SHIPPED or dataset == DEFAULT_DATASET) and entry_dir(entry_id).is_dir()


def has_active_model(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> bool:
    """Whether ``dataset`` has active models: an entry of its own, or the shipped set on the default corpus."""
    return _servable(active_id(dataset, engine), dataset)


def roll_back_target(index: dict[str, Any], dataset: str = DEFAULT_DATASET) -> str | None:
    """The entry :func:`roll_back` would re-activate, from :func:`load_index`'s ``index``; None if no earlier one exists."""
    previous = index["history"][-2] if len(index["history"]) > 1 else None
    return previous if previous is not None and _servable(previous, dataset) else None


def active_dir(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> Path:
    """The directory the app and the CLI take models from."""
    return entry_dir(active_id(dataset, engine))


def available_models(dataset: str = DEFAULT_DATASET, single: bool = False, engine: Engine | None = None) -> dict[str, str]:
    """Family label -> the checkpoint that serves it: the family's voted pipeline, else its single tagger,
    in the dataset's active entry; the shipped ``checkpoints/`` serve the default corpus only.

    With ``single``, single taggers only. ``$NER_MODEL`` (a name or path) replaces the default corpus's
    list with that one model.
    """
    from ..training.method import FAMILIES  # the families' module loads torch; the registry does not

    if dataset == DEFAULT_DATASET and os.environ.get("NER_MODEL"):
        return {"custom": os.environ["NER_MODEL"]}
    entry = active_id(dataset, engine)
    if entry == SHIPPED and dataset != DEFAULT_DATASET:
        return {}
    found, active = {}, entry_dir(entry)
    for family in FAMILIES:
        names = (family.single,) if single else (family.voted, family.single)
        served = next((active / name for name in names if (active / name).is_dir()), None)
        if served is not None:
            found[family.label] = str(served)
    return found


def entry_rows(index: dict[str, Any], dataset: str = DEFAULT_DATASET) -> list[dict[str, Any]]:
    """A table row per entry of :func:`load_index`'s ``index``, the shipped set first on the default corpus; the test
    score comes second (old → new per system), where a narrow screen still shows it. When, from what and on which data
    it was trained are the selected entry's line (:func:`entry_line`), not wide columns (its id holds the time)."""
    shipped = shipped_score(index)
    rows = [{"id": SHIPPED, "test micro F1": shipped[0] if shipped else "not measured", "models": "all (shipped)", "recipe": "",
             "corrected tokens": 0, "added sentences": 0}] if dataset == DEFAULT_DATASET else []
    for e in index["entries"]:
        f1 = ", ".join(f"{s}: " + ("" if m["old"] is None else f"{m['old']:.4f} → ") + f"{m['new']:.4f}"
                       for s, m in e.get("metrics", {}).items())
        rows.append({"id": e["id"], "test micro F1": f1, "models": ", ".join(e["models"]),
                     "recipe": (_recipe(e) or {}).get("chosen") or _retrained(e, index),
                     "corrected tokens": e["corrections"], "added sentences": e.get("added_sentences", 0)})
    return rows


def shipped_score(index: dict[str, Any]) -> tuple[str, str] | None:
    """The shipped set's test micro F1 per system as the newest retrain from it measured it (its "old" side), and that
    entry's id; None before any."""
    for e in sorted(index["entries"], key=lambda e: e["created"], reverse=True):
        old = {s: m["old"] for s, m in e.get("metrics", {}).items() if m.get("old") is not None}
        if e.get("base") == SHIPPED and old:
            return ", ".join(f"{s}: {f1:.4f}" for s, f1 in old.items()), e["id"]
    return None


def readable_version(version: str) -> str:
    """A data version (:meth:`~ner_core.storage.store.CorrectionStore.version`) in words: saves, undone ones, pool
    decisions."""
    parts = version.partition("@")[0].split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return version
    return f"{parts[0]} tag changes saved ({parts[1]} undone)" + (f", {parts[2]} pool decisions" if len(parts) > 2 else "")


def recipe_of(index: dict[str, Any], entry_id: str) -> str:
    """How entry ``entry_id`` chose its recipe, in a line (:func:`recipe_line`; the table shows the choice only)."""
    return next((recipe_line(_recipe(e)) or _retrained(e, index) for e in index["entries"] if e["id"] == entry_id), "")


def chosen_recipe(index: dict[str, Any], entry_id: str) -> str:
    """The recipe entry ``entry_id`` was trained with: its own choice, or that of the entry a retrain started from
    ("" for the shipped set and entries from before recipes were recorded)."""
    entry = next((e for e in index["entries"] if e["id"] == entry_id), None)
    return "" if entry is None else (_recipe(entry) or {}).get("chosen") or _base_recipe(entry, index)


def entry_line(index: dict[str, Any], entry_id: str) -> str:
    """What the table leaves out of entry ``entry_id``: when it was made, its recipe choice, its first-N limit, the entry
    it was trained from, and the data (corrections of corpus sentences and sentences added from the pool) it trained on; "" for the
    shipped set."""
    entry = next((e for e in index["entries"] if e["id"] == entry_id), None)
    if entry is None:
        return ""
    spec = entry.get("spec") or {}  # a train-method's first-N limit (a retrain's is in its recipe line)
    first = f"the first {spec['limit']:,} training sentences" if spec.get("limit") and "warm_start" not in spec else ""
    parts = [f"created {entry['created'][:16].replace('T', ' ')}", f"recipe: {recipe}" if (recipe := recipe_of(index, entry_id)) else "",
             first, f"trained from {entry['base']}" if entry.get("base") else "",
             f"data: {readable_version(entry['data_version'])}" if entry.get("data_version") else ""]
    return "; ".join(filter(None, parts))


def _recipe(entry: dict[str, Any]) -> dict[str, Any] | None:
    return (entry.get("summary") or {}).get("recipe")


def _retrained(entry: dict[str, Any], index: dict[str, Any]) -> str:
    """How a retrain trained an entry, from its settings ("" for another entry): a quick check reads as one; a warm
    start keeps the recipe of the entry it started from, which it names (helper-74: "warm start" alone hid "fused")."""
    spec = entry.get("spec") or {}
    if "warm_start" not in spec:
        return ""
    epochs, limit = spec["epochs"], spec.get("limit")
    kept = _base_recipe(entry, index) if spec["warm_start"] else ""
    return ((f"{kept}, warm start" if kept else "warm start" if spec["warm_start"] else "from scratch")
            + f", {epochs} epoch{'s' * (epochs != 1)}" + (f", the first {limit:,} training sentences" if limit else ""))


def _base_recipe(entry: dict[str, Any], index: dict[str, Any]) -> str:
    """The recipe chosen by the nearest entry ``entry`` was warm-started from, through its chain of retrains ("" if none chose);
    past an entry deleted by :func:`prune`, the recipe it recorded then."""
    by_id, seen = {e["id"]: e for e in index["entries"]}, set()
    while (base := entry.get("base")) in by_id and base not in seen:
        seen.add(base)
        entry = by_id[base]
        if chosen := (_recipe(entry) or {}).get("chosen"):
            return chosen
    return entry.get("base_recipe", "")


def recipe_line(record: dict[str, Any] | None) -> str:
    """A recipe choice in a line: the chosen recipe, then each candidate's dev micro F1 and minutes, or why it was skipped."""
    if not record:
        return ""
    tried = [f"{c['recipe']} {c['dev_micro_f1']:.4f}{_bias(c)} in {c['minutes']:.1f} min{_epochs(c)}" if "dev_micro_f1" in c
             else f"{c['recipe']} skipped ({c.get('skipped', 'not run')})" for c in record.get("candidates", [])]
    return record["chosen"] + (" (val micro F1: " + "; ".join(tried) + ")" if tried else "")


def _epochs(candidate: dict[str, Any]) -> str:
    """A candidate's epochs, of the most its budget share allowed (records from before stop 26 have neither)."""
    if "epochs" not in candidate or "most_epochs" not in candidate:
        return ""
    return f", {candidate['epochs']}/{candidate['most_epochs']} epochs" + (" (its time was up)" if candidate.get("out_of_time") else "")


def _bias(candidate: dict[str, Any]) -> str:
    return f" (B- bias {candidate['start_bias']:+g})" if candidate.get("start_bias") else ""


def clean_builds(engine: Engine | None = None) -> list[Path]:
    """Remove partial ``*.tmp-build`` folders (of a job that was killed or ran out of disk); returns them. A build
    whose entry is listed already (a job killed between :func:`register`'s commit and its rename) is moved into place
    instead. Call it holding the job lock: every build folder is then a leftover."""
    leftovers = list(registry_dir().glob("*.tmp-build")) if registry_dir().is_dir() else []
    if not leftovers:
        return []
    with Session(_engine(engine)) as session:
        listed = set(session.scalars(select(RegistryEntry.id).where(RegistryEntry.id.in_([p.name.removesuffix(".tmp-build") for p in leftovers]))))
    removed = []
    for path in leftovers:
        final = registry_dir() / path.name.removesuffix(".tmp-build")
        if final.name in listed and not final.exists():
            os.rename(path, final)
        else:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


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

    try:
        shutil.copytree(base, target, copy_function=link, ignore=shutil.ignore_patterns("*.tmp-*", "*.old-*"))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def register(entry_id: str, built: Path, info: dict[str, Any], dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> dict[str, Any]:
    """List a build directory's entry (not active), then move the directory into place. A kill between the two
    leaves the entry listed and its build folder, which the next job's :func:`clean_builds` moves into place; the
    other order would leave a folder nobody lists."""
    engine = _engine(engine)
    final = registry_dir() / entry_id
    if final.exists():
        raise CheckpointError(f"registry entry {entry_id} already exists")
    with Session(engine) as session, session.begin():
        row = RegistryEntry(id=entry_id, dataset=dataset, created_at=datetime.now(timezone.utc), info=json.loads(json.dumps(info, default=str)))
        session.add(row)
        session.flush()
        entry = _entry(row)
    try:
        os.rename(built, final)
    except BaseException:
        with Session(engine) as session, session.begin():  # not in place: not listed either (the caller removes the build)
            session.execute(delete(RegistryEntry).where(RegistryEntry.id == entry_id))
        raise
    return entry


@refuse_when_full()
def activate(entry_id: str, user: User | None = None, dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> None:
    """Make ``entry_id`` the active entry (``user``: the acting user, an admin once users exist)."""
    require(user, "activate")
    with Session(_engine(engine)) as session, session.begin():
        if entry_id == SHIPPED and dataset != DEFAULT_DATASET:
            raise CheckpointError("the shipped models serve the default corpus only")
        if entry_id != SHIPPED and session.scalar(select(RegistryEntry.id).where(RegistryEntry.id == entry_id, RegistryEntry.dataset == dataset)) is None:
            raise CheckpointError(f"no registry entry {entry_id!r}")
        session.add(Activation(dataset=dataset, entry_id=entry_id, author=user.name if user else None,
                               activated_at=datetime.now(timezone.utc), rolled_back=False))


@refuse_when_full()
def roll_back(user: User | None = None, dataset: str = DEFAULT_DATASET, engine: Engine | None = None,
              active: str | None = None) -> str:
    """Re-activate the entry that was active before the current one; returns its id.

    Refused unless that entry exists (an imported dataset's first model has none before it), and unless ``active`` (if
    given: the entry a page showed active) still is: a colleague's activation meanwhile is not undone unseen (helper-92).
    """
    require(user, "roll back")
    engine = _engine(engine)
    while True:
        with Session(engine) as session, session.begin():
            recent = session.scalars(select(Activation).where(Activation.dataset == dataset, Activation.rolled_back.is_(False))
                                     .order_by(Activation.id.desc()).limit(2)).all()
            now = recent[0].entry_id if recent else SHIPPED  # as active_id says
            if active is not None and now != active:
                who = f" by {recent[0].author}" if recent and recent[0].author else ""
                raise CheckpointError(f"nothing rolled back: {now} was activated meanwhile{who}, after {active}; the page "
                                      "shows it now")
            if not recent:
                raise CheckpointError("nothing to roll back to")
            previous = recent[1].entry_id if len(recent) > 1 else SHIPPED
            if not _servable(previous, dataset):
                raise CheckpointError(f"nothing to roll back to: no model of {dataset!r} from before {recent[0].entry_id} exists")
            done = session.execute(update(Activation).where(Activation.id == recent[0].id, Activation.rolled_back.is_(False))
                                   .values(rolled_back=True))
            if done.rowcount == 1:
                break  # else a concurrent roll-back took this one: take the next
    return active_id(dataset, engine)


_imported: set[tuple[str, str]] = set()


def _import_legacy_index(engine: Engine) -> None:
    """Import a ``registry.json`` (the registry before the database) once, then rename it ``.imported``."""
    key = (str(engine.url), str(registry_dir()))
    if key in _imported:
        return
    legacy = registry_dir() / "registry.json"
    claimed = legacy.with_name(f"registry.json.importing-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        os.rename(legacy, claimed)  # atomic: one process imports
    except FileNotFoundError:
        _imported.add(key)
        return
    try:
        index = json.loads(claimed.read_text())
    except ValueError:  # unreadable (the old concurrent writes could corrupt it): keep it aside, start empty
        os.rename(claimed, legacy.with_name("registry.json.unreadable"))
        _imported.add(key)
        return
    try:
        with Session(engine) as session, session.begin():
            known = set(session.scalars(select(RegistryEntry.id)))
            for entry in index.get("entries", []):
                if entry["id"] in known:
                    continue
                created = datetime.fromisoformat(entry.get("created") or datetime.now(timezone.utc).isoformat())
                info = {k: v for k, v in entry.items() if k not in ("id", "created")}
                session.add(RegistryEntry(id=entry["id"], dataset=DEFAULT_DATASET, created_at=created, info=info))
            for entry_id in [e for e in index.get("history", []) if e != SHIPPED]:
                session.add(Activation(dataset=DEFAULT_DATASET, entry_id=entry_id, author=None, activated_at=datetime.now(timezone.utc), rolled_back=False))
    except BaseException:
        os.rename(claimed, legacy)
        raise
    os.rename(claimed, legacy.with_name("registry.json.imported"))
    _imported.add(key)


class Pruned(NamedTuple):
    """What :func:`prune` deleted: the entries' ids (oldest first) and the bytes their folders freed."""

    removed: list[str]
    freed: int


def prune(keep: int, user: User | None = None, dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> Pruned:
    """Delete ``dataset``'s registry entries but its ``keep`` newest, the active one and the one a roll back re-activates
    (their rows, then their folders). A kept entry warm-started from a deleted one records that one's recipe first."""
    require(user, "delete models")
    if keep < 0:
        raise ValueError(f"keep must be 0 or more, got {keep}")
    engine = _engine(engine)
    with Session(engine) as session, session.begin():
        rows = session.scalars(select(RegistryEntry).where(RegistryEntry.dataset == dataset)
                               .order_by(RegistryEntry.created_at, RegistryEntry.id)).all()
        history = session.scalars(select(Activation.entry_id).where(Activation.dataset == dataset, Activation.rolled_back.is_(False))
                                  .order_by(Activation.id.desc()).limit(2)).all()  # the active one, and the roll back's
        chosen = set(prunable([row.id for row in rows], history, keep))
        doomed = [row for row in rows if row.id in chosen]
        index = {"entries": [_entry(row) for row in rows]}
        for row in rows:
            if row.id not in chosen and row.info.get("base") in chosen and "base_recipe" not in row.info:
                row.info = {**row.info, "base_recipe": chosen_recipe(index, row.info["base"])}
        removed = [row.id for row in doomed]
        session.execute(delete(RegistryEntry).where(RegistryEntry.id.in_(removed)))
    now = active_id(dataset, engine)  # activated meanwhile (another admin): its files stay
    folders = [entry_dir(entry_id) for entry_id in removed if entry_id != now and entry_dir(entry_id).is_dir()]
    freed = _freed_bytes(folders)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return Pruned(removed, freed)


def prunable(entry_ids: list[str], spared: list[str], keep: int) -> list[str]:
    """Which of ``entry_ids`` (oldest first) :func:`prune` deletes: all but the ``keep`` newest and the ``spared`` (the
    active one and the one a roll back re-activates: :func:`load_index`'s last two of ``history``)."""
    return [entry_id for entry_id in entry_ids[: max(len(entry_ids) - keep, 0)] if entry_id not in spared]


def disk_use(dataset: str = DEFAULT_DATASET, engine: Engine | None = None) -> int:
    """Bytes the folders of ``dataset``'s registry entries take (a file hard-linked into several counted once)."""
    return _bytes([entry_dir(e["id"]) for e in load_index(dataset, engine)["entries"]])


def _files(folders: list[Path]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """Each file under ``folders`` by inode: its size, its links in the whole file system, and its links found here."""
    found: dict[tuple[int, int], tuple[int, int, int]] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                info = path.stat()
                key = (info.st_dev, info.st_ino)
                found[key] = (info.st_size, info.st_nlink, found.get(key, (0, 0, 0))[2] + 1)
    return found


def _bytes(folders: list[Path]) -> int:
    return sum(size for size, _, _ in _files(folders).values())


def _freed_bytes(folders: list[Path]) -> int:
    """Bytes that deleting ``folders`` frees: files with no hard link outside them."""
    return sum(size for size, links, here in _files(folders).values() if here >= links)
