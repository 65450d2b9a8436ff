"""Entity-level scores (IOB2, strict: seqeval's entities) in one flat shape for every model and pipeline."""
from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Sequence

AVERAGES = {"micro avg": "micro", "macro avg": "macro", "weighted avg": "weighted"}


def entity_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Precision, recall, F1 and support per type, and micro / macro / weighted averages.

    Returns ``{"micro_f1", "macro_f1", "weighted_f1", "micro_precision", ..., "per_type":
    {type: {"precision", "recall", "f1", "support"}}}``; types with no gold and no predicted
    entity are absent, and every average is 0 when there is nothing to score.

    The entities are seqeval's (``Entities`` in strict IOB2 mode) and the figures those of its
    ``classification_report(mode="strict", zero_division=0)``, counted here: its report imports
    scikit-learn, seconds of a page's first load (tests/evaluation/test_metrics.py checks they agree).
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
    scores: dict[str, Any] = {f"{a}_{m}": 0.0 for a in AVERAGES.values() for m in ("precision", "recall", "f1")}
    scores["per_type"] = {}
    true, found = _entities(gold), _entities(pred)
    if not true and not found:
        return scores
    support, predicted = Counter(e[1] for e in true), Counter(e[1] for e in found)
    correct = Counter(e[1] for e in true & found)
    for kind in sorted(support.keys() | predicted.keys()):
        scores["per_type"][kind] = {**_prf(correct[kind], predicted[kind], support[kind]), "support": support[kind]}
    rows = scores["per_type"].values()
    total = sum(support.values())
    averages = {
        "micro": _prf(sum(correct.values()), sum(predicted.values()), total),
        "macro": {m: sum(r[m] for r in rows) / len(rows) for m in ("precision", "recall", "f1")},
        "weighted": {m: sum(r[m] * r["support"] for r in rows) / total if total else 0.0 for m in ("precision", "recall", "f1")},
    }
    for average, values in averages.items():
        for metric, value in values.items():
            scores[f"{average}_{metric}"] = value
    return scores


def _entities(sequences: Sequence[Sequence[str]]) -> set[tuple[int, str, int, int]]:
    """``(sentence, type, start, end)`` of every entity, by seqeval's strict IOB2 reading."""
    return {(i, *entity) for i, tags in enumerate(sequences) for entity in _sentence_entities(tuple(tags))}


@functools.lru_cache(maxsize=100_000)
def _sentence_entities(tags: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """One sentence's ``(type, start, end)``; memoised: gold is scored against several systems, which mostly agree."""
    from seqeval.scheme import IOB2, Entities

    return tuple(e.to_tuple()[1:] for e in Entities([list(tags)], IOB2).entities[0])


def _prf(correct: int, predicted: int, support: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def format_table(scores: dict[str, Any]) -> str:
    """A markdown table: one row per type, then the three averages."""
    lines = ["| type | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, row in scores["per_type"].items():
        lines.append(f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |")
    total = sum(r["support"] for r in scores["per_type"].values())
    for avg in AVERAGES.values():
        lines.append(
            f"| **{avg}** | {scores[avg + '_precision']:.3f} | {scores[avg + '_recall']:.3f} | "
            f"{scores[avg + '_f1']:.3f} | {total} |"
        )
    return "\n".join(lines)


def binary_scores(labels: Sequence[int], probs: Sequence[float], threshold: float = 0.5) -> dict[str, float]:
    """The detector's scores for class 1: accuracy on class 1 (= recall), precision, F1, ROC-AUC."""
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    labels = list(labels)
    predicted = [int(p >= threshold) for p in probs]
    on_negatives = [p for p, y in zip(predicted, labels) if y == 0]
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", pos_label=1, zero_division=0
    )
    both_classes = len(set(labels)) == 2
    return {
        "class1_accuracy": float(recall),
        "class0_accuracy": on_negatives.count(0) / max(1, len(on_negatives)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": float(roc_auc_score(labels, probs)) if both_classes else float("nan"),
        "predicted_positive": int(sum(predicted)),
        "support": int(sum(labels)),
    }
