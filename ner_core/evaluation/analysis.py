"""Error analysis of a model or pipeline over a corpus: scores side by side, errors, a browsable index."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Sequence

from ..data.corpus import Sentence
from ..data.tags import OUTSIDE, mask_types, spans
from ..models.pipeline import VotedPipeline, VotedSentence, revote
from ..models.tagger import Tagger
from .errors import CATEGORIES, NONE, compare, entity_confusion, error_counts, token_confusion
from .metrics import entity_scores


@dataclass
class CorpusAnalysis:
    """A model's output on every sentence of a corpus, and what it takes to browse its errors."""

    sentences: list[Sentence]
    results: list[Any]  # VotedSentence for a pipeline, TaggedSentence for a single tagger
    systems: dict[str, list[tuple[str, ...]]]  # "voted" (or "single"), "strong", "weak" -> tags
    ids: list[int]  # each sentence's number where a user finds it: its corpus index, or its place in a file
    masked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # system -> types it never tags (a strong tagger: the weak)

    def position(self, sentence_id: int) -> int:
        """Where the sentence numbered ``sentence_id`` is in :attr:`sentences`."""
        return self.ids.index(sentence_id)

    @property
    def gold(self) -> list[tuple[str, ...]]:
        return [s.tags for s in self.sentences]

    @property
    def predicted(self) -> list[tuple[str, ...]]:
        return next(iter(self.systems.values()))

    @cached_property
    def scores(self) -> dict[str, dict[str, Any]]:
        """Entity scores of each system against gold, the types it was trained never to tag left out (as ``evaluate``
        scores a strong or weak tagger): a strong tagger's micro F1 is on the strong types."""
        return {name: entity_scores([mask_types(g, self.masked.get(name, ())) for g in self.gold], tags)
                for name, tags in self.systems.items()}

    @cached_property
    def score_rows(self) -> list[dict[str, Any]]:
        """Long format: one row per (system, type) plus the averages, for tables and charts; a system's averages are
        None where it has nothing to score (no gold and no predicted entity of its types: a weak tagger on a split
        without the weak types), not a 0 that reads as a failure."""
        rows = []
        for system, s in self.scores.items():
            for kind, r in s["per_type"].items():
                rows.append({"system": system, "type": kind, "precision": r["precision"], "recall": r["recall"], "f1": r["f1"], "support": r["support"]})
            for avg in ("micro", "macro", "weighted"):
                rows.append({"system": system, "type": avg, "support": None,
                             **{m: s[f"{avg}_{m}"] if s["per_type"] else None for m in ("precision", "recall", "f1")}})
        return rows

    @cached_property
    def error_counts(self) -> dict[str, int]:
        counts = error_counts(self.gold, self.predicted)
        return {c: counts.get(c, 0) for c in CATEGORIES}

    @cached_property
    def entity_confusion(self):
        return entity_confusion(self.gold, self.predicted)

    @cached_property
    def token_confusion(self):
        return token_confusion(self.gold, self.predicted)

    @cached_property
    def sentence_rows(self) -> list[dict[str, Any]]:
        """One row per sentence with what a browser filters on."""
        rows = []
        for i, (number, sentence, result, pred) in enumerate(zip(self.ids, self.sentences, self.results, self.predicted)):
            errors = [e for e in compare(sentence.tags, pred) if e.category in CATEGORIES]
            strong = self.systems.get("strong")  # the weak tagger leaves every strong type O: comparing it says nothing
            rows.append({
                "sentence": number,
                "text": " ".join(sentence.words),
                "types": sorted({s.type for s in spans(sentence.tags)} | {s.type for s in spans(pred)}),
                "errors": sorted({e.category for e in errors}),
                "error_types": sorted({(e.category, s.type) for e in errors for s in (e.gold, e.pred) if s is not None}),
                "disagreement": strong is not None and tuple(strong[i]) != tuple(pred),  # the vote changed the strong output
                "detector_prob": getattr(result, "detector_prob", None),
                "voted": getattr(result, "voted", None),
                "min_confidence": min(result.probs, default=1.0),
            })
        return rows


def analyse(model: Tagger | VotedPipeline, sentences: Sequence[Sentence], progress: Callable[[float], None] | None = None,
            chunk: int = 500, ids: Sequence[int] | None = None) -> CorpusAnalysis:
    """Tag ``sentences`` in chunks (reporting progress in [0, 1]) and collect every system's tags; ``ids`` number
    the sentences (default: their places, from 0). Empty sentences are left out, numbers kept."""
    ids = range(len(sentences)) if ids is None else ids
    if len(ids) != len(sentences):
        raise ValueError(f"{len(ids)} sentence numbers for {len(sentences)} sentences")
    kept = [(i, s) for i, s in zip(ids, sentences) if len(s)]
    sentences, ids = [s for _, s in kept], [i for i, _ in kept]
    results: list[Any] = []
    for start in range(0, len(sentences), chunk):
        results += model.tag([s.words for s in sentences[start : start + chunk]])
        if progress is not None:
            progress(min(1.0, (start + chunk) / max(1, len(sentences))))
    masked = {"strong": model.strong.masked, "weak": model.weak.masked} if isinstance(model, VotedPipeline) else {"single": model.masked}
    return CorpusAnalysis(sentences, results, _systems(results), ids, masked)


def with_threshold(analysis: CorpusAnalysis, threshold: float) -> CorpusAnalysis:
    """A pipeline's analysis at another detector threshold: the vote is redone from the stored
    strong and weak outputs and detector probabilities; nothing is tagged again."""
    if not analysis.results or not isinstance(analysis.results[0], VotedSentence):
        return analysis
    results = [revote(r, threshold) for r in analysis.results]
    return CorpusAnalysis(analysis.sentences, results, _systems(results), analysis.ids, analysis.masked)


def _systems(results: list[Any]) -> dict[str, list[tuple[str, ...]]]:
    if results and isinstance(results[0], VotedSentence):
        return {
            "voted": [r.tags for r in results],
            "strong": [r.strong.tags for r in results],
            "weak": [r.weak.tags for r in results],
        }
    return {"single": [r.tags for r in results]}


def confusion_matrix(counts: Counter) -> tuple[list[str], list[list[int]]]:
    """Labels (sorted, with ``none``/``O`` last) and the square matrix ``[gold][pred]`` of ``counts``."""
    labels = sorted({k for pair in counts for k in pair}, key=lambda x: (x in (NONE, OUTSIDE), x))
    return labels, [[counts.get((g, p), 0) for p in labels] for g in labels]


def filter_sentences(
    rows: list[dict[str, Any]],
    types: Sequence[str] = (),
    errors: Sequence[str] = (),
    disagreement: bool = False,
    detector: str = "any",
    confidence: tuple[float, float] = (0.0, 1.0),
    query: str = "",
) -> list[dict[str, Any]]:
    """The sentence rows matching every given filter (``detector``: any, yes or no). With ``types`` and ``errors``
    both given, one error of the sentence must be of a chosen category and involve a chosen type (as gold or as
    predicted); ``types`` alone: a chosen type in gold or predicted; ``errors`` alone: an error of a chosen category."""
    query = query.strip().lower()
    out = []
    for r in rows:
        if types and errors:
            if not any(c in errors and t in types for c, t in r["error_types"]):
                continue
        elif types and not set(types) & set(r["types"]):
            continue
        elif errors and not set(errors) & set(r["errors"]):
            continue
        if disagreement and not r["disagreement"]:
            continue
        if detector != "any" and r["voted"] is not None and r["voted"] != (detector == "yes"):
            continue
        if not confidence[0] <= r["min_confidence"] <= confidence[1]:
            continue
        if query and query not in r["text"].lower():
            continue
        out.append(r)
    return out
