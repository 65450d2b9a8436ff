"""Tables 2-4 of the study, regenerated from checkpoints on the test split.

Table 2: the weak-sentence detectors (architecture x loss x training data).
Table 3: the strong and weak taggers on their own types, beside the single model.
Table 4: Single vs Double (strong + weak, voted everywhere) vs Our method (detector + vote).
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..data.corpus import Sentence, Split
from ..data.tags import TagSet, mask_types
from ..evaluation.metrics import entity_scores
from ..models.checkpoint import load_checkpoint, save_checkpoint
from ..models.checkpoint_dirs import CheckpointError, checkpoints_dir
from ..models.detector import holds_weak_entity
from ..models.pipeline import VotedPipeline, save_pipeline
from ..models.tagger import Tagger
from ..training.method import FAMILIES, Family, MethodSettings, dev_threshold, train_tagger, train_weak_detector
from ..training.train_detector import score_detector

ARCHS = ("rnn_cnn", "lstm_attn", "self_attn")
LOSSES = {"ce": None, "weighted": (0.02, 0.98)}
DATA = ("full", "balanced")


DETECTOR = "detector"


def detector_name(arch: str, loss: str, data: str) -> str:
    return f"detectors/{arch}-{loss}-{data}"


# ---------------------------------------------------------------- training


def retrain_all(split: Split, root: Path, settings: MethodSettings, tagset: TagSet, log: Callable[[str], None] = print) -> dict[str, float]:
    """Train every checkpoint the tables need; return the seconds each took."""
    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = fn()
        times[name] = round(time.perf_counter() - started, 1)
        log(f"{name}: {times[name]} s")
        return result

    for f in FAMILIES:
        for role in ("single", "strong", "weak"):
            name = getattr(f, role)
            timed(name, lambda: train_tagger(role, split, tagset, root / name, settings, f.recipe))
    for arch, loss, data in itertools.product(ARCHS, LOSSES, DATA):
        name = detector_name(arch, loss, data)
        recipe = replace(settings.recipe, detector_arch=arch, detector_weights=LOSSES[loss])
        timed(name, lambda: train_weak_detector(split, tagset, root / name, settings, recipe, balanced=data == "balanced"))
    return times


# ---------------------------------------------------------------- evaluation


def _load_tagger(root: Path, name: str) -> Tagger:
    model, meta = load_checkpoint(root / name)
    return Tagger(model, meta)


def select_detector(split: Split, root: Path) -> tuple[str, dict[str, float]]:
    """The detector with the best val ROC-AUC among those trained."""
    scored = []
    for arch, loss, data in itertools.product(ARCHS, LOSSES, DATA):
        name = detector_name(arch, loss, data)
        if (root / name).is_dir():
            model, _ = load_checkpoint(root / name)
            scored.append((score_detector(model, split.val)["roc_auc"], name))
    if not scored:
        raise CheckpointError(f"no detector checkpoints under {root / 'detectors'}")
    auc, name = max(scored)
    return name, {"val_roc_auc": auc}


def build_pipelines(split: Split, root: Path, family: Family, detector: str) -> float:
    """Write the family's "voted" (threshold tuned on val) and "double" pipelines; return the threshold."""
    det_model, _ = load_checkpoint(root / detector)
    threshold = dev_threshold(split.val, _load_tagger(root, family.strong), _load_tagger(root, family.weak), det_model)
    save_pipeline(root / family.voted, family.strong, family.weak, detector, threshold)
    save_pipeline(root / family.double, family.strong, family.weak, None, threshold)
    return threshold


def table2(test: Sequence[Sentence], root: Path) -> tuple[str, list[dict[str, Any]]]:
    rows = []
    for arch, loss, data in itertools.product(ARCHS, LOSSES, DATA):
        name = detector_name(arch, loss, data)
        if not (root / name).is_dir():
            continue
        model, _ = load_checkpoint(root / name)
        rows.append({"detector": name, "arch": arch, "loss": loss, "data": data, **score_detector(model, test)})
    lines = [
        "| architecture | loss | training data | class-1 acc | class-0 acc | precision | recall | F1 | ROC-AUC |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['arch']} | {r['loss']} | {r['data']} | {r['class1_accuracy']:.3f} | {r['class0_accuracy']:.3f} | "
            f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['roc_auc']:.3f} |"
        )
    return "\n".join(lines), rows


def _f1_row(name: str, scores: dict[str, Any], types: Sequence[str]) -> str:
    cells = [f"{scores['per_type'][t]['f1']:.3f}" if t in scores["per_type"] else "–" for t in types]
    averages = [f"{scores[k]:.3f}" for k in ("micro_f1", "weighted_f1", "macro_f1")]
    return f"| {name} | " + " | ".join(cells + averages) + " |"


def _f1_header(types: Sequence[str]) -> list[str]:
    return ["| system | " + " | ".join(types) + " | micro | weighted | macro |", "|---|" + "---:|" * (len(types) + 3)]


def table3(test: Sequence[Sentence], root: Path, tagset: TagSet) -> tuple[str, dict[str, Any]]:
    gold = [s.tags for s in test]
    words = [s.words for s in test]
    columns = tagset.strong + tuple(sorted(tagset.weak))
    lines, results = _f1_header(columns), {}
    for family in FAMILIES:
        for label, name, masked in (
            ("single", family.single, ()),
            ("strong (weak types masked)", family.strong, tagset.weak),
            ("weak (strong types masked)", family.weak, tagset.strong),
        ):
            pred = [t.tags for t in _load_tagger(root, name).tag(words)]
            scores = entity_scores([mask_types(g, masked) for g in gold], [mask_types(p, masked) for p in pred])
            results[name] = scores
            lines.append(_f1_row(f"{family.label} {label}", scores, columns))
    return "\n".join(lines), results


def table4(test: Sequence[Sentence], root: Path, tagset: TagSet) -> tuple[str, dict[str, Any]]:
    gold = [s.tags for s in test]
    words = [s.words for s in test]
    columns = tagset.strong + tuple(sorted(tagset.weak))
    lines, results = _f1_header(columns), {}
    for family in FAMILIES:
        systems = (
            ("Single", _load_tagger(root, family.single)),
            ("Double", VotedPipeline.load(root / family.double)),
            ("Our method", VotedPipeline.load(root / family.voted)),
        )
        for label, system in systems:
            scores = entity_scores(gold, [t.tags for t in system.tag(words)])
            results[f"{family.label} {label}"] = scores
            lines.append(_f1_row(f"{family.label} {label}", scores, columns))
    return "\n".join(lines), results


def run_experiments(
    split: Split, out: Path, root: Path | None = None, retrain: MethodSettings | None = None,
    log: Callable[[str], None] = print, tagset: TagSet | None = None,
) -> dict[str, Any]:
    """Write ``table2.md``, ``table3.md``, ``table4.md`` and ``experiments.json`` to ``out``.

    ``tagset`` (default: from the training split) names the strong and weak types; the dataset
    needs at least one weak type.
    """
    root = root or checkpoints_dir()
    tagset = tagset or TagSet.from_sentences(split.train)
    if not tagset.weak:
        raise ValueError(f"the tables compare the single model with the method, which needs a weak type ({tagset.describe()})")
    out.mkdir(parents=True, exist_ok=True)
    weak_sentences = sum(holds_weak_entity(s.tags, tagset.weak) for s in split.test)
    summary: dict[str, Any] = {"test_sentences": len(split.test), "test_weak_sentences": weak_sentences}
    if retrain is not None:
        summary["training_seconds"] = retrain_all(split, root, retrain, tagset, log)
        detector, selection = select_detector(split, root)
        model, meta = load_checkpoint(root / detector)
        save_checkpoint(model, root / DETECTOR, {**meta, "selected_from": detector, **selection})
        summary["thresholds"] = {f.voted: build_pipelines(split, root, f, DETECTOR) for f in FAMILIES}
    started = time.perf_counter()
    text2, rows2 = table2(split.test, root)
    text3, res3 = table3(split.test, root, tagset)
    text4, res4 = table4(split.test, root, tagset)
    summary.update(table2=rows2, table3=res3, table4=res4, evaluation_seconds=round(time.perf_counter() - started, 1))
    note = f"Test split: {len(split.test)} sentences, {summary['test_weak_sentences']} of them with a weak entity. Entity-level F1 (seqeval, IOB2 strict).\n\n"
    (out / "table2.md").write_text("# Table 2: weak-sentence detectors (test split, threshold 0.5)\n\n" + note + text2 + "\n")
    (out / "table3.md").write_text("# Table 3: strong and weak taggers, each on its own types (test split)\n\n" + note + text3 + "\n")
    (out / "table4.md").write_text("# Table 4: Single vs Double vs Our method (test split)\n\n" + note + text4 + "\n")
    (out / "experiments.json").write_text(json.dumps(summary, indent=2, default=float))
    log(text4)
    return summary
