"""Retraining from the corrected corpus into a new registry entry, with old vs new metrics.

The active entry is never touched: new checkpoints are built in a temporary directory that is
registered (not activated) only when every model has trained and been scored.
"""
from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .checkpoint import CheckpointError, load_checkpoint
from .corpus import Sentence, default_corpus_path, split_corpus
from .detector import DetectorConfig
from .experiments import FAMILIES
from .metrics import entity_scores
from .model import ModelConfig
from .pipeline import load_any
from .registry import active_id, entry_dir, new_entry_dir, new_entry_id, register
from .sampling import weak_training_set
from .store import CorrectionStore, make_engine
from .tags import TagSet
from .train import EpochReport, TrainConfig, train
from .train_detector import train_detector

TAGGERS = tuple(name for f in FAMILIES for name in (f.single, f.strong, f.weak))
MODELS = tuple(TAGGERS) + ("detector",)
SYSTEMS = ("voted", "bilstm_crf", "voted-bert", "bert_ff")  # compared old vs new, in this order


@dataclass
class RetrainSpec:
    models: list[str] = field(default_factory=lambda: ["strong", "weak", "detector"])
    warm_start: bool = True
    epochs: int = 3
    threads: int = 2
    limit: int | None = None  # train on the first N training sentences only (quick checks, tests)
    replay: int = 3000  # warm start: the corrected sentences plus this many others, drawn at random

    def __post_init__(self) -> None:
        unknown = set(self.models) - set(MODELS)
        if unknown or not self.models:
            raise ValueError(f"choose models among {', '.join(MODELS)}; unknown: {', '.join(sorted(unknown)) or 'none given'}")
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")


def _compare(name: str, old_dir: Path, new_dir: Path, test: list[Sentence], corrected: list[Sentence]) -> dict[str, Any]:
    out = {}
    for label, directory in (("old", old_dir), ("new", new_dir)):
        model = load_any(directory / name)
        out[label] = entity_scores([s.tags for s in test], [r.tags for r in model.tag([s.words for s in test])])
        if corrected:
            out[f"{label}_corrected"] = entity_scores([s.tags for s in corrected], [r.tags for r in model.tag([s.words for s in corrected])])
    return out


def run_retrain(spec: RetrainSpec, report: Callable[[dict[str, Any]], None] = lambda _: None, store: CorrectionStore | None = None) -> dict[str, Any]:
    """Train ``spec.models`` on the corrected corpus, score old vs new, register the new entry."""
    started = time.perf_counter()
    store = store or CorrectionStore(make_engine(), "default", default_corpus_path())
    corpus = store.corrected()
    corrected_ids = store.corrected_sentence_ids()
    split = split_corpus(corpus)
    train_set = split.train[: spec.limit] if spec.limit else split.train
    if spec.warm_start:
        train_set = _with_replay(train_set, corrected_ids, corpus, spec.replay)
    base_id = active_id()
    base = entry_dir(base_id)
    entry_id = new_entry_id()
    built = new_entry_dir(entry_id, base)
    try:
        result = _train_and_score(spec, report, store, corpus, corrected_ids, split, train_set, base, built, started)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    entry = register(entry_id, built, {"base": base_id, **result["info"]})
    return {"entry": entry, "comparisons": result["comparisons"]}


def run_retrain_job(spec: dict[str, Any], report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The job runner of kind ``retrain`` (see :mod:`ner_core.jobs`)."""
    return run_retrain(RetrainSpec(**spec), report)


def _with_replay(train_set: list[Sentence], corrected: set[int], corpus: list[Sentence], replay: int, seed: int = 13) -> list[Sentence]:
    """The corrected sentences among ``train_set`` plus ``replay`` others drawn at random: a fine-tuning set."""
    fixed = {corpus[i] for i in corrected}
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


def _train_and_score(spec, report, store, corpus, corrected_ids, split, train_set, base: Path, built: Path, started: float) -> dict:
    done: list[str] = []
    for name in spec.models:
        if not (base / name).is_dir():
            raise CheckpointError(f"the active model set has no {name!r} to retrain")
        config = TrainConfig(epochs=spec.epochs, patience=spec.epochs, threads=spec.threads)
        old, meta = load_checkpoint(base / name)
        epoch_started = time.perf_counter()

        def on_epoch(r: EpochReport, name: str = name) -> None:
            per_epoch = (time.perf_counter() - epoch_started) / r.epoch
            left = (spec.epochs - r.epoch + spec.epochs * (len(spec.models) - len(done) - 1)) * per_epoch
            report({"model": name, "epoch": r.epoch, "epochs": spec.epochs, "loss": round(r.loss, 4),
                    "val": round(r.val_score, 4), "seconds": round(time.perf_counter() - started, 1), "eta_seconds": round(left)})

        if name == "detector":
            balanced = bool(meta.get("train", {}).get("balanced", False))
            train_detector(train_set, split.val, config, DetectorConfig(**old.config.to_dict()), balanced=balanced,
                           select_on="roc_auc", out_dir=built / name, progress=False,
                           model=old if spec.warm_start else None, on_epoch=on_epoch)
        else:
            data, tagset = train_set, TagSet.from_labels(old.vocab.labels)
            config.mask_types = tuple(meta.get("train", {}).get("mask_types", ()))  # the checkpoint's own mask
            family = next((f for f in FAMILIES if f.weak == name), None)
            if family is not None and not spec.warm_start:  # from scratch: the family's weak-tagger data
                weak_types = [t for t in tagset.types if t not in config.mask_types]
                recipe = family.recipe
                data = weak_training_set(train_set, weak_types, recipe.weak_others_per_weak, recipe.weak_oversample, config.seed)
            train(data, split.val, config, ModelConfig(**old.config.to_dict()), built / name,
                  model=old if spec.warm_start else None, on_epoch=on_epoch, progress=False, tagset=tagset)
        done.append(name)
    report({"stage": "scoring old vs new"})
    corrected = [corpus[i] for i in sorted(corrected_ids)]
    comparisons = {
        system: _compare(system, base, built, split.test, corrected)
        for system in SYSTEMS
        if (built / system).is_dir() and _uses(built / system, set(spec.models))
    }
    counts = store.counts()
    info = {
        "models": spec.models, "spec": asdict(spec), "data_version": store.version(),
        "corrections": counts["tokens"], "corrected_sentences": counts["sentences"],
        "metrics": {s: {"old": c["old"]["micro_f1"], "new": c["new"]["micro_f1"]} for s, c in comparisons.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return {"info": info, "comparisons": comparisons}
