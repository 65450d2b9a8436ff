"""Entity-level scores (seqeval, IOB2 strict) in one flat shape for every model and pipeline."""
from __future__ import annotations

import warnings
from typing import Any, Sequence

AVERAGES = {"micro avg": "micro", "macro avg": "macro", "weighted avg": "weighted"}


def entity_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Precision, recall, F1 and support per type, and micro / macro / weighted averages.

    Returns ``{"micro_f1", "macro_f1", "weighted_f1", "micro_precision", ..., "per_type":
    {type: {"precision", "recall", "f1", "support"}}}``; types with no gold and no predicted
    entity are absent, and every average is 0 when there is nothing to score.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted")
    scores: dict[str, Any] = {f"{a}_{m}": 0.0 for a in AVERAGES.values() for m in ("precision", "recall", "f1")}
    scores["per_type"] = {}
    has_entity = any(t != "O" for seq in list(gold) + list(pred) for t in seq)
    if not has_entity:
        return scores
    from seqeval.metrics import classification_report  # seqeval imports sklearn (seconds): only when scoring
    from seqeval.scheme import IOB2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on types with no prediction
        report = classification_report(
            [list(g) for g in gold], [list(p) for p in pred], mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )
    for key, row in report.items():
        entry = {"precision": float(row["precision"]), "recall": float(row["recall"]), "f1": float(row["f1-score"])}
        if key in AVERAGES:
            for metric, value in entry.items():
                scores[f"{AVERAGES[key]}_{metric}"] = value
        else:
            scores["per_type"][key] = {**entry, "support": int(row["support"])}
    scores["per_type"] = dict(sorted(scores["per_type"].items()))
    return scores


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
