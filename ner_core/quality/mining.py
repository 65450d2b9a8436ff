"""Mining unlabelled sentences for annotation: the ones most worth a person's time, best first.

Strategies (:data:`STRATEGIES`):

* ``rare``: sentences likely to hold a rare ("weak") type: the detector's probability and the
  weak tagger's marginals (the probability that some token is a weak entity, and which type),
  combined as "either says so" (``1 - (1 - p_detector)(1 - p_weak)``);
* ``uncertain``: the strong (or single) tagger's uncertainty, one minus the product of each
  token's most probable label's marginal (a bound on the best path's probability);
* ``mixed`` (the default): ``rare`` plus a tenth of ``uncertain`` (weights chosen on the default
  corpus's dev split: ``benchmarks/rare_type_mining.py``), with diversity: the k-th sentence naming
  the same entity string, beyond the first ``FREE_REPEATS``, is discounted by ``DIVERSITY`` each time,
  so that fifty sentences about one string do not crowd the top;
* ``random``: a seeded shuffle, the baseline.

A model without weak types (a single tagger, or a dataset whose tag set has none) ranks by
uncertainty and says so in :attr:`Ranking.note`.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import torch

from ..models.detector import detector_proba
from ..models.pipeline import VotedPipeline
from ..models.tagger import Tagger

STRATEGIES = ("rare", "uncertain", "mixed", "random")
UNCERTAIN_WEIGHT = 0.1  # mixed: the weight of uncertainty beside the rare score
DIVERSITY = 0.7  # mixed: the discount of each further sentence naming the same entity string ...
FREE_REPEATS = 3  # ... after this many (a rare type's few names do recur: the first ones are worth having)
BATCH = 512


@dataclass(frozen=True)
class Mined:
    sentence: int  # index in the input
    score: float
    reason: str
    types: tuple[str, ...]  # the rare types it likely holds (none for an uncertainty pick)


@dataclass
class Ranking:
    items: list[Mined]
    note: str | None = None  # e.g. why the ranking fell back to uncertainty


def mine(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], strategy: str = "mixed",
         top: int | None = None, seed: int = 13) -> Ranking:
    """Rank ``sentences`` (tokenised; their tags, if any, are not looked at) by ``strategy``, best first."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    order = [i for i, s in enumerate(sentences) if len(s)]
    if strategy == "random":
        random.Random(seed).shuffle(order)
        return Ranking([Mined(i, 0.0, "random", ()) for i in order[:top]])
    tagger = model.strong if isinstance(model, VotedPipeline) else model
    uncertain, hints = _uncertainty(tagger, sentences)
    weak = sorted(model.tagset.weak) if isinstance(model, VotedPipeline) else []
    note = None
    if strategy in ("rare", "mixed") and not weak:
        note = "the model has no weak (rare) types: ranked by uncertainty"
        strategy = "uncertain"
    if strategy == "uncertain":
        items = [Mined(i, uncertain[i], f"uncertain: {hints[i]}", ()) for i in order]
        return Ranking(sorted(items, key=lambda m: -m.score)[:top], note)
    rare, types, strings = _rarity(model, sentences, weak)
    items = []
    for i in order:
        reason = f"{types[i]} likely: \"{strings[i]}\"" if strings[i] else f"{types[i]} possible"
        if strategy == "rare":
            items.append(Mined(i, rare[i], reason, (types[i],)))
        else:
            score = (rare[i] + UNCERTAIN_WEIGHT * uncertain[i]) / (1 + UNCERTAIN_WEIGHT)
            items.append(Mined(i, score, reason if rare[i] >= UNCERTAIN_WEIGHT * uncertain[i] else f"uncertain: {hints[i]}",
                               (types[i],) if rare[i] >= 0.5 else ()))
    items.sort(key=lambda m: -m.score)
    if strategy == "mixed":
        items = _diverse(items, [strings[m.sentence] or f"#{m.sentence}" for m in items])  # no string: no discount
    return Ranking(items[:top], note)


def _uncertainty(tagger: Tagger, sentences: Sequence[Sequence[str]]) -> tuple[list[float], list[str]]:
    """Per sentence: one minus the product of the tokens' top marginals, and the least sure token."""
    scores, hints = [0.0] * len(sentences), [""] * len(sentences)
    for start in range(0, len(sentences), BATCH):
        part = sentences[start:start + BATCH]
        for k, marginals in enumerate(tagger.marginals(part)):
            if len(marginals):
                top = marginals.max(dim=1).values
                scores[start + k] = float(1 - torch.exp(torch.log(top.clamp_min(1e-12)).sum()))
                hints[start + k] = part[k][int(top.argmin())]
    return scores, hints


def _rarity(pipeline: VotedPipeline, sentences: Sequence[Sequence[str]], weak: list[str]
            ) -> tuple[list[float], list[str], list[str]]:
    """Per sentence: P(a rare entity) from the detector and the weak tagger, the likeliest rare type,
    and the words the weak tagger marks (the string diversity is judged on)."""
    labels = pipeline.weak.labels
    columns = {t: [j for j, label in enumerate(labels) if label[2:] == t] for t in weak}
    rare, types, strings = [0.0] * len(sentences), [weak[0]] * len(sentences), [""] * len(sentences)
    for start in range(0, len(sentences), BATCH):
        part = sentences[start:start + BATCH]
        detector = detector_proba(pipeline.detector, part) if pipeline.detector is not None else [0.0] * len(part)
        for k, marginals in enumerate(pipeline.weak.marginals(part)):
            if not len(marginals):
                continue
            by_type = {t: marginals[:, cols].sum(dim=1) for t, cols in columns.items()}  # P(token is in a t entity)
            best = max(by_type, key=lambda t: float(by_type[t].max()))
            p_weak = float(by_type[best].max())
            rare[start + k] = 1 - (1 - detector[k]) * (1 - p_weak)
            types[start + k] = best
            strings[start + k] = " ".join(w for w, p in zip(part[k], by_type[best].tolist()) if p >= 0.5)
    return rare, types, strings


def _diverse(items: list[Mined], keys: list[str]) -> list[Mined]:
    """``items`` (best first), the k-th (from 0) of a key discounted by ``DIVERSITY ** max(0, k - FREE_REPEATS + 1)``, re-ranked."""
    seen: Counter[str] = Counter()
    discounted = []
    for item, key in zip(items, keys):
        key = key.lower()
        discounted.append(Mined(item.sentence, item.score * DIVERSITY ** max(0, seen[key] - FREE_REPEATS + 1), item.reason, item.types))
        seen[key] += 1
    return sorted(discounted, key=lambda m: -m.score)
