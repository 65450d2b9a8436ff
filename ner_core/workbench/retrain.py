"""Retraining from the corrected corpus into a new registry entry, with old vs new metrics.

The active entry is never touched: new checkpoints are built in a temporary directory that is
registered (not activated) only when every model has trained and been scored. Two job kinds:
``retrain`` (chosen models of a dataset's active set, warm or cold: the shipped set of the default corpus, or
an entry that ``train-method`` trained) and ``train-method`` (the whole method from scratch on any dataset's
corrected sentences, the recipe chosen again; the dataset's first entry is activated, a later one is not).
"""
from __future__ import annotations

import json
import random
import shlex
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy.engine import Engine

from ..data.corpus import SPLITS, Sentence, Split
from ..data.tags import TagSet
from ..evaluation.metrics import entity_scores
from ..models.checkpoint import load_checkpoint
from ..models.detector import DetectorConfig
from ..models.finetune import FineTuneConfig
from ..models.pipeline import load_any
from ..storage.datasets import DEFAULT_DATASET, open_dataset
from ..quality.pool_ranking import rank_pool
from ..storage.db import shared_engine
from ..storage.entity_types import tagged_with
from ..storage.pool import OPEN, Pool
from ..storage.store import CorrectionStore
from ..storage.users import User
from ..training.method import FAMILIES, MethodSettings, StageProgress, check_method_data, check_split_sizes, train_method
from ..training.recipes import RecipeChoice, duration, finetune_settings
from ..training.train import TrainConfig, train
from ..training.train_detector import train_detector
from .jobs import start_job
from .registry import (SHIPPED, activate, active_dir, active_id, entry_dir, has_active_model, load_index, new_entry_dir, new_entry_id,
                       register, registry_dir)

TAGGERS = tuple(name for f in FAMILIES for name in (f.single, f.strong, f.weak))
MODELS = tuple(TAGGERS) + ("detector",)
SYSTEMS = tuple(name for f in FAMILIES for name in (f.voted, f.single))  # compared old vs new, in this order
JOB_KINDS = ("retrain", "train-method")
WARM_UP = 5  # sentences tagged before a model's pace is timed (an encoder loads as it tags its first ones)


@dataclass
class RetrainSpec:
    models: list[str] = field(default_factory=lambda: ["strong", "weak", "detector"])
    warm_start: bool = True
    epochs: int = 3
    threads: int = 2
    limit: int | None = None  # train on the first N training sentences only (quick checks, tests)
    replay: int = 3000  # warm start: the corrected sentences plus this many others, drawn at random
    dataset: str = DEFAULT_DATASET

    def __post_init__(self) -> None:
        unknown = set(self.models) - set(MODELS)
        if unknown or not self.models:
            raise ValueError(f"choose models among {', '.join(MODELS)}; unknown: {', '.join(sorted(unknown)) or 'none given'}")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")


@dataclass
class TrainMethodSpec:
    """The ``train-method`` job: the whole method on ``dataset``'s corrected sentences (its seeded split)."""
    dataset: str
    epochs: int = 30
    weak_epochs: int = 40
    detector_epochs: int = 6
    patience: int = 4
    threads: int = 2
    limit: int | None = None  # train on the first N training sentences only (quick checks, tests)
    recipe: str | None = None  # auto, glove, fused or finetune (training/recipes.py); None: the Bi-LSTM-CRF family's
    budget_minutes: float | None = None  # the recipe choice's time budget
    weak_types: tuple[str, ...] | None = None  # the types trained apart (none: the single tagger); None: the dataset's rule

    def __post_init__(self) -> None:
        self.choice()  # a bad recipe or budget is refused where the job is requested
        if self.weak_types is not None:
            self.weak_types = tuple(sorted(self.weak_types))  # a job's spec comes back from JSON as a list

    def choice(self) -> RecipeChoice | None:
        return RecipeChoice(self.recipe, self.budget_minutes) if self.recipe else None

    def settings(self) -> MethodSettings:
        return MethodSettings(epochs=self.epochs, weak_epochs=self.weak_epochs, detector_epochs=self.detector_epochs,
                              patience=self.patience, weak_patience=self.patience, detector_patience=self.patience,
                              threads=self.threads, progress=False, choice=self.choice())


def corrections_by_split(store: CorrectionStore) -> dict[str, dict[str, int]]:
    """Corrected sentences and tokens per split (``train``, ``val``, ``test``): retraining learns
    from the train split's only; the others are evaluation only."""
    corrected = store.corrected()
    out = {}
    for name, indices in zip(SPLITS, store.split_indices()):
        changed = [sum(a != b for a, b in zip(store.original[i].tags, corrected[i].tags)) for i in indices]
        out[name] = {"sentences": sum(1 for n in changed if n), "tokens": sum(changed)}
    return out


def _active_since(store: CorrectionStore, engine: Engine | None) -> datetime | None:
    """When the active model's training began (read its data); None for the shipped models."""
    index = load_index(store.name, engine)
    entry = next((e for e in index["entries"] if e["id"] == index["active"]), None)
    return None if entry is None else datetime.fromisoformat(entry["created"]) - timedelta(seconds=float(entry.get("seconds") or 0))


def added_since_active(store: CorrectionStore, engine: Engine | None = None) -> tuple[int, Counter]:
    """Sentences added from the pool since the active model's training began (all, for the shipped models),
    and their entities by type: what a retrain would learn from that the active model did not."""
    return Pool(store).added_since(_active_since(store, engine))


def corrected_since_active(store: CorrectionStore, engine: Engine | None = None) -> int | None:
    """Training-split sentences of the corpus whose tags changed (a save, an undo) since the active model's training began:
    what it did not learn; None for the shipped models (trained before any correction)."""
    since = _active_since(store, engine)
    return None if since is None else len(store.changed_since(since) & set(store.split_indices()[0]))


def worse(comparisons: dict[str, dict[str, Any]]) -> list[str]:
    """Why the new models are worse than the active ones: a line per system whose micro F1 on the test split dropped.
    The held-out split only: the corrected sentences are few, trained on, and those added from the pool were
    pre-annotated by the old model, which then scores its own tags (shown beside, not a verdict)."""
    return [f"{system} on the test split: micro F1 {c['old']['micro_f1']:.4f} -> {c['new']['micro_f1']:.4f}"
            for system, c in comparisons.items() if "new" in c and c["new"]["micro_f1"] < c["old"]["micro_f1"]]


def job_kind(dataset: str) -> str:
    """The job that trains ``dataset``'s models by default: ``retrain`` (chosen models of the active set, warm or
    cold) where it has models to retrain, else ``train-method`` (the whole method from scratch)."""
    return "retrain" if retrainable(dataset) else "train-method"


def model_dirs(directory: Path) -> dict[str, Path]:
    """The models a ``retrain`` can train in an entry's ``directory``, by name (:data:`MODELS`), where they are: at its
    top (the shipped layout) or inside its voted pipeline (an entry that ``train-method`` trained)."""
    found = {}
    for name in MODELS:
        place = next((d for d in (directory / name, directory / "voted" / name) if d.is_dir()), None)
        if place is not None:
            found[name] = place
    return found


def retrainable(dataset: str = DEFAULT_DATASET) -> list[str]:
    """The models of ``dataset``'s active set that a ``retrain`` job can train (none before its first models)."""
    return list(model_dirs(active_dir(dataset))) if has_active_model(dataset) else []


def progress_line(events: Sequence[dict[str, Any]], since_last: float = 0.0) -> tuple[float, str]:
    """A running job's share done and its line (stage, epoch and batch or steps done, time left) from its progress events, the
    last one reported ``since_last`` seconds ago (a stage without events of its own, as scoring, counts down). A recipe
    choice's lines (``log`` events) are not progress."""
    events = [e for e in events if "log" not in e]
    if not events:
        return 0.0, "Starting…"
    last = events[-1]
    where = last.get("stage", "working") + (f" ({last['recipe']} recipe)" if last.get("recipe") else "")
    if "unit" in last:  # a job that counts its own steps (cross-validation's, a pool's sentences)
        where += f": {last['done']:,}/{last['total']:,} {last['unit']}s done"
    elif last.get("total", 1) > 1 or "batch" in last:
        where += f": epoch {min(last['done'] + 1, last['total'])}/{last['total']}"
    if "batch" in last:
        where += f", batch {last['batch']}/{last['batches']}"
    timed = [e for e in events if e.get("eta_seconds") is not None and "seconds" in e]
    if not timed:
        return 0.0, f"{where} · time left not known yet"
    eta, seconds = timed[-1]["eta_seconds"], timed[-1]["seconds"]
    if eta <= 0:  # its last step done: what follows (saving, storing) is not timed
        return 0.99, f"{where} · finishing"
    if timed[-1] is last:
        eta, seconds = eta - since_last, seconds + since_last
    if eta <= 0:
        return 0.99, f"{where} · taking longer than estimated"
    return min(seconds / max(seconds + eta, 1e-9), 1.0), f"{where} · about {duration(eta)} left"


def method_line(tagset: TagSet) -> str:
    """What training the whole method trains on a dataset of ``tagset``, in a sentence."""
    if not tagset.weak:
        return f"Types {', '.join(tagset.types)}: none is weak, so the single tagger only (no strong and weak taggers, detector or vote)."
    return (f"Strong types {', '.join(tagset.strong)}; weak types {', '.join(sorted(tagset.weak))}: strong and weak taggers, "
            "the detector and the vote.")


def comparison_f1(comparison: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Old vs new F1 per type and overall (micro, macro, weighted), on the test split and on the corrected
    sentences: a column per model and data, as in a job's ``comparisons``."""
    labels = {"old": "old (test)", "new": "new (test)", "old_corrected": "old (corrected sentences)",
              "new_corrected": "new (corrected sentences)"}
    present = {label: comparison[key] for key, label in labels.items() if key in comparison}
    types = sorted({t for scores in present.values() for t in scores["per_type"]})  # a type of one data only too
    return {label: {t: scores["per_type"][t]["f1"] if t in scores["per_type"] else None for t in types}
            | {f"{a} F1": scores[f"{a}_f1"] for a in ("micro", "macro", "weighted")} for label, scores in present.items()}


def method_tagset(store: CorrectionStore, spec: TrainMethodSpec) -> TagSet:
    """The tag set ``spec``'s job trains: the dataset's, with ``spec.weak_types`` as its weak types where given
    (:class:`ValueError` for a type the dataset lacks, or every type weak)."""
    base = store.tagset
    return base if spec.weak_types is None else TagSet(base.types, frozenset(spec.weak_types))


def _method_split(store: CorrectionStore, spec: TrainMethodSpec, corpus: list[Sentence], added: dict[int, Sentence]) -> Split:
    """What ``spec``'s job trains on, checked (:func:`~ner_core.training.method.check_method_data`): the seeded split of
    the corrected ``corpus``, its original training sentences cut to ``spec.limit`` (the corrected ones kept), and the
    sentences ``added`` from the pool ending its training part."""
    split, corrected = store.split(corpus, added), [corpus[i] for i in store.corrected_sentence_ids(corpus)]
    split = Split(_limited(split.train, len(added), spec.limit, corrected), split.val, split.test)
    check_split_sizes(split, f"`{spec.dataset}`", "import a larger file")
    check_method_data(split, method_tagset(store, spec), f"`{spec.dataset}`", "on Annotate, which says the split of each "
                      "sentence, tag such an entity in a val sentence that lacks one (or untag one); or train no type "
                      "apart (Rare types, above); or import a larger file")
    return split


def check_trainable(spec: TrainMethodSpec, engine: Engine | None = None) -> None:
    """Refuse (:class:`ValueError`) to train the method on a dataset too small for it (no train or val sentences, no
    weak entity on val), saying what its splits hold: before a job starts, not as the job's failure."""
    store = open_dataset(spec.dataset, engine or shared_engine())
    _method_split(store, spec, store.corrected(), store.added())


def start_training(spec: RetrainSpec | TrainMethodSpec, dataset: str, user: User | None = None) -> str:
    """Start the job that trains ``dataset``'s models (:func:`job_kind`); a ``train-method`` one once
    :func:`check_trainable` passes. Returns the job's id."""
    if isinstance(spec, TrainMethodSpec):
        check_trainable(spec)
        return start_job("train-method", spec, dataset, user)
    spec = replace(spec, dataset=dataset)
    check_retrainable(spec)
    return start_job("retrain", spec, dataset, user)


def check_retrainable(spec: RetrainSpec) -> None:
    """Refuse (:class:`~ner_core.storage.store.CorrectionError` for an unknown dataset, else :class:`ValueError`) a
    retrain of a dataset without models, or of models its active set lacks: before a job starts, not as its failure."""
    open_dataset(spec.dataset)  # names the datasets there are
    available = retrainable(spec.dataset)
    if not available:
        raise ValueError(f"`{spec.dataset}` has no models to retrain yet: train its models first (the Retrain page's Train "
                         f"models, or `train-method --dataset {shlex.quote(spec.dataset)}`)")
    missing = [m for m in spec.models if m not in available]
    if missing:
        raise ValueError(f"the active models of `{spec.dataset}` have no {', '.join(missing)} to retrain; they have "
                         f"{', '.join(available)}")
    unknown = unlearned_types(spec.dataset, spec.models)
    if unknown:
        raise ValueError(unlearned_line(spec.dataset, unknown))


def unlearned_types(dataset: str, models: Sequence[str]) -> list[str]:
    """The types added to ``dataset`` in the app that some sentence is tagged with and some of the active ``models``
    (taggers; a detector has no tags) lacks in its checkpoint's labels."""
    store = open_dataset(dataset)
    added = [t for t in store.added_types() if tagged_with(store, t)]
    if not added:
        return []
    dirs = model_dirs(active_dir(dataset))
    known = [json.loads((dirs[m] / "config.json").read_text())["label2id"] for m in models if m != "detector" and m in dirs]
    return [t for t in added if any(f"B-{t}" not in labels for labels in known)]


def unlearned_line(dataset: str, types: Sequence[str]) -> str:
    """Why ``dataset``'s models cannot be retrained while sentences hold ``types`` they never learned, and what to do."""
    return (f"Sentences of `{dataset}` are tagged with {', '.join(types)}, added after its active models were trained: "
            "retraining keeps a model's types, so train new models from scratch (Train models, or train-method), which "
            "learn every type")


def run_train_method(spec: TrainMethodSpec, report: Callable[[dict[str, Any]], None] = lambda _: None,
                     engine: Engine | None = None) -> dict[str, Any]:
    """Train the method on a dataset into a new registry entry, scored against the active entry if any.

    The entry holds ``voted`` (the pipeline) or, for a tag set with no weak type, ``bilstm_crf``.
    It is activated only when the dataset has no active entry of its own yet. ``warnings``: the lines of a tagger that
    scored 0 dev micro F1 (:func:`~ner_core.training.method.zero_score_warning`).
    """
    started = time.perf_counter()
    engine = engine or shared_engine()
    store = open_dataset(spec.dataset, engine)
    version, corpus = store.version(), store.corrected()  # what it trains on: the entry records this, not later saves
    corrected_ids, counts = store.corrected_sentence_ids(corpus), store.counts(corpus)
    added = store.added()
    split, tagset = _method_split(store, spec, corpus, added), method_tagset(store, spec)
    member = "voted" if tagset.weak else "bilstm_crf"
    base_id, entry_id = active_id(spec.dataset, engine), new_entry_id()
    built = registry_dir() / f"{entry_id}.tmp-build"
    built.mkdir(parents=True)
    try:
        summary = train_method(split, tagset, built / member, spec.settings(), report)
        report({"stage": "scoring old vs new"})
        base = entry_dir(base_id)
        has_base = (base_id != SHIPPED or spec.dataset == DEFAULT_DATASET) and (base / member).is_dir()
        corrected = [corpus[i] for i in sorted(corrected_ids)]
        if has_base:
            comparisons = {member: _compare(member, base, built, split.test, corrected)}
            metrics = {s: {"old": c["old"]["micro_f1"], "new": c["new"]["micro_f1"]} for s, c in comparisons.items()}
        else:  # a first model: its own test score
            comparisons = {}
            metrics = {member: {"old": None, "new": _scores(load_any(built / member), split.test)["micro_f1"]}} if split.test else {}
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    info = {"base": base_id if has_base else None, "models": [member], "spec": asdict(spec), "data_version": version,
            "corrections": counts["tokens"], "corrected_sentences": counts["sentences"], "summary": summary,
            "added_sentences": len(added), "recipe": (summary.get("recipe") or {}).get("chosen"),
            "metrics": metrics,  # test micro F1, old (None: a first model) and new
            "seconds": round(time.perf_counter() - started, 1)}
    entry = register(entry_id, built, info, spec.dataset, engine)
    activated = base_id == SHIPPED and spec.dataset != DEFAULT_DATASET
    if activated:
        activate(entry_id, None, spec.dataset, engine)
    ranked = _rerank_pool(store, entry_dir(entry_id) / member, f"{member} of {entry_id}", report)
    return {"entry": entry, "comparisons": comparisons, "activated": activated, "worse": worse(comparisons), "pool": ranked,
            "warnings": summary["warnings"]}


def _rerank_pool(store: CorrectionStore, model_dir: Path, name: str, report: Callable[[dict[str, Any]], None]) -> dict | None:
    """The pool's scores and pre-annotations from the model just trained (None: no open pool sentence)."""
    pool = Pool(store)
    if not pool.counts()[OPEN]:
        return None
    report({"stage": "re-ranking the pool"})
    return rank_pool(pool, load_any(model_dir), name, report=report)


def run_train_method_job(spec: dict[str, Any], report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job runner of kind ``train-method`` (see :mod:`ner_core.workbench.jobs`)."""
    return run_train_method(TrainMethodSpec(**spec), report)


def _compare(name: str, old_dir: Path, new_dir: Path, test: list[Sentence], corrected: list[Sentence]) -> dict[str, Any]:
    out = {}
    for label, directory in (("old", old_dir), ("new", new_dir)):
        model = load_any(directory / name)
        out[label] = _scores(model, test)
        if corrected:
            out[f"{label}_corrected"] = _scores(model, corrected)
    return out


def _scores(model: Any, sentences: list[Sentence]) -> dict[str, Any]:
    """Entity scores of ``model`` (a tagger or pipeline) on ``sentences``."""
    return entity_scores([s.tags for s in sentences], [r.tags for r in model.tag([s.words for s in sentences])])


def run_retrain(spec: RetrainSpec, report: Callable[[dict[str, Any]], None] = lambda _: None, store: CorrectionStore | None = None) -> dict[str, Any]:
    """Train ``spec.models`` of ``spec.dataset``'s active set on its corrected sentences, score old vs new, register the
    new entry (not active)."""
    started = time.perf_counter()
    check_retrainable(spec)
    store = store or open_dataset(spec.dataset)
    version, corpus = store.version(), store.corrected()  # what it trains on: the entry records this, not later saves
    corrected_ids = store.corrected_sentence_ids(corpus)
    pooled = store.added()
    split, added = store.split(corpus, pooled), list(pooled.values())
    train_set = _limited(split.train, len(added), spec.limit, [corpus[i] for i in corrected_ids])
    if spec.warm_start:  # the corrected and added sentences, with others replayed
        train_set = _with_replay(train_set, [corpus[i] for i in corrected_ids] + added, spec.replay)
    base_id = active_id(spec.dataset)
    base = entry_dir(base_id)
    entry_id = new_entry_id()
    built = new_entry_dir(entry_id, base)
    try:
        result = _train_and_score(spec, report, store, corpus, corrected_ids, split, train_set, base, built, started)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    entry = register(entry_id, built, {"base": base_id, **result["info"], "data_version": version, "added_sentences": len(added)},
                     spec.dataset)
    ranker = next((s for s in SYSTEMS if (entry_dir(entry_id) / s).is_dir()), None)
    ranked = _rerank_pool(store, entry_dir(entry_id) / ranker, f"{ranker} of {entry_id}", report) if ranker else None
    return {"entry": entry, "comparisons": result["comparisons"], "worse": worse(result["comparisons"]), "pool": ranked}


def run_retrain_job(spec: dict[str, Any], report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job runner of kind ``retrain`` (see :mod:`ner_core.workbench.jobs`)."""
    return run_retrain(RetrainSpec(**spec), report)


def _limited(train: list[Sentence], added: int, limit: int | None, corrected: Sequence[Sentence] = ()) -> list[Sentence]:
    """The first ``limit`` original training sentences (all without a limit), the ``corrected`` ones past them (a
    limit never leaves a correction out) and the ``added`` ones that end ``train``."""
    if not limit:
        return train
    original, fixed = train[:len(train) - added], set(corrected)
    return original[:limit] + [s for s in original[limit:] if s in fixed] + train[len(original):]


def _with_replay(train_set: list[Sentence], changed: list[Sentence], replay: int, seed: int = 13) -> list[Sentence]:
    """The changed (corrected or added) sentences among ``train_set`` plus ``replay`` others drawn at random:
    a fine-tuning set."""
    fixed = set(changed)
    mine = [s for s in train_set if s in fixed]
    others = [s for s in train_set if s not in fixed]
    return mine + random.Random(seed).sample(others, min(replay, len(others)))


def _uses(directory: Path, members: set[str]) -> bool:
    """Whether a checkpoint or pipeline directory is, or contains, one of ``members``."""
    spec_file = directory / "pipeline.json"
    if not spec_file.is_file():
        return directory.name in members
    spec = json.loads(spec_file.read_text())
    return bool({spec.get("strong"), spec.get("weak"), spec.get("detector")} & members)


def _tagging_seconds(model_dir: Path, sentences: int, sample: list[Sentence]) -> tuple[float, float]:
    """Seconds to load the model at ``model_dir`` (with its first :data:`WARM_UP` sentences: an encoder loads as it
    tags the first ones, a fixed cost) and to tag ``sentences`` sentences, timed on the rest of ``sample``."""
    started = time.perf_counter()
    model = load_any(model_dir)
    model.tag([s.words for s in sample[:WARM_UP]])
    loaded = time.perf_counter()
    model.tag([s.words for s in sample[WARM_UP:]])
    return loaded - started, (time.perf_counter() - loaded) * sentences / max(len(sample) - WARM_UP, 1)


def _train_and_score(spec, report, store, corpus, corrected_ids, split, train_set, base: Path, built: Path, started: float) -> dict:
    corrected = [corpus[i] for i in sorted(corrected_ids)]
    systems = [s for s in SYSTEMS if (base / s).is_dir() and _uses(base / s, set(spec.models))]
    dirs = model_dirs(base)  # every one of spec.models is there (check_retrainable)
    report({"stage": "timing the active models"})  # seconds (an encoder's import and load) before the first epoch
    check = _tagging_seconds(dirs[spec.models[0]], len(split.val), split.val[:100])[1] if spec.models[0] != "detector" else 0.0
    scoring = sum(2 * sum(_tagging_seconds(base / system, len(split.test) + len(corrected), split.test[:100]))
                  for system in systems)  # old and new, each loaded and run once
    progress = StageProgress([(name, spec.epochs) for name in spec.models] + [("scoring old vs new", 1)], report, check,
                             {"scoring old vs new": scoring})
    for name in spec.models:
        config = TrainConfig(epochs=spec.epochs, patience=spec.epochs, threads=spec.threads)
        old, meta = load_checkpoint(dirs[name])
        out = built / dirs[name].relative_to(base)
        on_epoch, on_batch = progress.start(name), progress.batches(name)
        if name == "detector":
            balanced = bool(meta.get("train", {}).get("balanced", False))
            train_detector(train_set, split.val, config, DetectorConfig(**old.config.to_dict()), balanced=balanced,
                           select_on="roc_auc", out_dir=out, progress=False,
                           model=old if spec.warm_start else None, on_epoch=on_epoch, on_batch=on_batch)
        else:
            data, tagset = train_set, TagSet.from_labels(old.vocab.labels)
            config.mask_types = tuple(meta.get("train", {}).get("mask_types", ()))  # the checkpoint's own mask
            family = next((f for f in FAMILIES if f.weak == name), None)
            if family is not None and not spec.warm_start:  # from scratch: the family's weak-tagger data
                data = family.recipe.weak_data(train_set, [t for t in tagset.types if t not in config.mask_types], config.seed)
            if isinstance(old.config, FineTuneConfig):  # a fine-tuned encoder: its lower learning rate and warm-up
                config = finetune_settings(config)
            train(data, split.val, config, replace(old.config), out,
                  model=old if spec.warm_start else None, on_epoch=on_epoch, progress=False, tagset=tagset, on_batch=on_batch)
        progress.finish(name)
    progress.start("scoring old vs new")
    comparisons = {system: _compare(system, base, built, split.test, corrected) for system in systems}
    progress.finish("scoring old vs new")
    counts = store.counts(corpus)
    info = {
        "models": spec.models, "spec": asdict(spec),
        "corrections": counts["tokens"], "corrected_sentences": counts["sentences"],
        "metrics": {s: {"old": c["old"]["micro_f1"], "new": c["new"]["micro_f1"]} for s, c in comparisons.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return {"info": info, "comparisons": comparisons}
