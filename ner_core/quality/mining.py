"""Mining unlabelled sentences for annotation: the ones most worth a person's time, best first.

Strategies (:data:`STRATEGIES`):

* ``rare``: sentences likely to hold a rare ("weak") type: the detector's probability ``d`` and the
  weak tagger's marginals (``w``, the probability that some token is a weak entity, and which type),
  combined as ``(0.75 d + 0.25 w + d w) / 2``: the detector leads, and the two agreeing count most
  (weights chosen on the default corpus's dev split against "either says so", the mean and the
  product: ``benchmarks/rare_type_mining.py``);
* ``uncertain``: the strong (or single) tagger's uncertainty, one minus the geometric mean of each
  token's most probable label's marginal (the length-normalised bound on the best path's probability
  of Shen et al. 2018: the plain product tends to 1 on every long sentence; on the default corpus's dev
  split the normalised one finds 13 entity errors per 100 tokens read in its top 100, the product 11);
* ``mixed`` (the default): ``rare`` plus a fiftieth of ``uncertain`` (a tie-breaker: on the dev split a
  twentieth cost two points of the rare-type entities in the top 100 and 250), with diversity: the k-th
  sentence naming the same entity string, beyond the first ``FREE_REPEATS``, is discounted by
  ``DIVERSITY`` each time, so that fifty sentences about one string do not crowd the top. A rare
  type's few names recur (Katrina, Olympic, Christmas), so the first ten are left alone: on the dev
  split three cost a tenth of the rare-type entities in the top 250 (without weak types, ``mixed`` is ``uncertain``);
* ``random``: a seeded shuffle, the baseline.

Whatever the strategy but ``random``, a sentence that repeats one above it word for word (case aside) is discounted
by ``DIVERSITY`` from its first repeat: an annotator learns nothing from a second copy.

A model without weak types (a single tagger, or a dataset whose tag set has none) ranks by
uncertainty and says so in :attr:`Ranking.note`. With ``pre_annotate``, the model's tags of every
sentence come with the ranking (:attr:`Ranking.tags`), from the same pass of the models.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence

import torch

from ..data.scripts import foreign_note
from ..data.tags import OUTSIDE
from ..models.bulk import tag_in_batches
from ..models.pipeline import VotedPipeline, vote
from ..models.tagger import Tagger

STRATEGIES = ("rare", "uncertain", "mixed", "random")
UNCERTAIN_WEIGHT = 0.02  # mixed: the weight of uncertainty beside the rare score
DIVERSITY = 0.7  # mixed: the discount of each further sentence naming the same entity string ...
FREE_REPEATS = 10  # ... after this many (a rare type's few names do recur: the first ones are worth having)
BATCH = 512
REASON_CHARS = 60  # of the marked words quoted in a reason
Progress = Callable[[int, int], None]  # (sentences through the model so far, in all its passes)


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
    tags: list[tuple[str, ...]] | None = None  # with pre_annotate: the model's tags, per input sentence


def mine(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], strategy: str = "mixed",
         top: int | None = None, seed: int = 13, pre_annotate: bool = False, progress: Progress | None = None) -> Ranking:
    """Rank ``sentences`` (tokenised; their tags, if any, are not looked at) by ``strategy``, best first;
    with ``pre_annotate``, with the model's tags of each (see :attr:`Ranking.tags`). The note says how many
    sentences are mostly in a script the model never trained on. ``progress`` is called after each part of
    sentences the model has been through."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    ranking = _rank(model, sentences, strategy, top, seed, pre_annotate, progress)
    foreign = foreign_note(sentences, model.scripts)
    return replace(ranking, note="; ".join(filter(None, (ranking.note, foreign)))) if foreign else ranking


def _counter(progress: Progress | None, total: int) -> Callable[[int], None]:
    """A tick that adds a part's sentences to the count and tells ``progress``."""
    done = 0

    def tick(sentences: int) -> None:
        nonlocal done
        done += sentences
        if progress is not None:
            progress(done, total)
    return tick


def _rank(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], strategy: str, top: int | None, seed: int,
          pre_annotate: bool, progress: Progress | None) -> Ranking:
    order = [i for i, s in enumerate(sentences) if len(s)]
    tick = _counter(progress, len(sentences))
    if strategy == "random":
        random.Random(seed).shuffle(order)
        if not pre_annotate:
            tick(len(sentences))  # no model pass: every sentence is ranked at once (a bar at 0 would look stuck)
        return Ranking([Mined(i, 0.0, "random", ()) for i in order[:top]], tags=_tags(model, sentences, tick) if pre_annotate else None)
    weak = sorted(model.tagset.weak) if isinstance(model, VotedPipeline) else []
    note = None
    if strategy in ("rare", "mixed") and not weak:
        note = "the model has no weak (rare) types: ranked by uncertainty, repeated sentences last"
        strategy = "uncertain"
    if pre_annotate and strategy == "uncertain" and isinstance(model, VotedPipeline):  # the strong tagger, then the vote
        tick = _counter(progress, 2 * len(sentences))
    columns = {t: [j for j, label in enumerate(model.weak.labels) if label[2:] == t] for t in weak} if weak else {}
    uncertain, hints, strong, rare, types, strings, marked, weak_tagged, detector = [], [], [], [], [], [], [], [], []
    for part, (tagged, marginals), weak_out, probs in _passes(model, sentences, rare=strategy != "uncertain"):
        tick(len(part))
        strong += tagged
        for score, hint in (_uncertainty(words, m) for words, m in zip(part, marginals)):
            uncertain.append(score)
            hints.append(hint)
        if weak_out is not None:
            weak_tagged += weak_out[0]
            detector += probs
            for w, m, p in zip(part, weak_out[1], probs):
                score, kind, where = _rarity(m, p, columns)
                rare.append(score)
                types.append(kind)
                marked.append(where)
                strings.append(_runs(w, where))
    if strategy == "uncertain":
        items = sorted((Mined(i, uncertain[i], f"uncertain: {hints[i]}", ()) for i in order), key=lambda m: -m.score)
        tags = None if not pre_annotate else [t.tags for t in strong] if isinstance(model, Tagger) else _tags(model, sentences, tick)
        return Ranking(_unrepeated(items, sentences)[:top], note, tags)
    tags = None
    if pre_annotate:  # the vote, from the outputs the ranking computed
        tags = [vote(s, w, p, model.threshold).tags for s, w, p in zip(strong, weak_tagged, detector)]
    items = []
    for i in order:
        reason = (f"{types[i]} likely: \"{_shortened(strings[i])}\"" if strings[i] else  # no word marked: what the detector says
                  f"{types[i]} possible: the detector says {detector[i]:.0%}" if detector[i] >= 0.5 else
                  f"no rare type seen (the detector says {detector[i]:.0%})")
        if tags is not None and strings[i]:
            reason += _as_voted(tags[i], marked[i], types[i])
        if strategy == "rare":
            items.append(Mined(i, rare[i], reason, (types[i],)))
        else:
            score = (rare[i] + UNCERTAIN_WEIGHT * uncertain[i]) / (1 + UNCERTAIN_WEIGHT)
            items.append(Mined(i, score, reason if rare[i] >= UNCERTAIN_WEIGHT * uncertain[i] else f"uncertain: {hints[i]}",
                               (types[i],) if rare[i] >= 0.5 else ()))
    items = _unrepeated(sorted(items, key=lambda m: -m.score), sentences)
    if strategy == "mixed":
        items = _diverse(items, [strings[m.sentence] or f"#{m.sentence}" for m in items])  # no string: no discount
    return Ranking(items[:top], note, tags)


def _as_voted(tags: Sequence[str], marked: Sequence[int], kind: str) -> str:
    """What a reason adds when the pre-annotation (the vote) does not tag the marked words as ``kind``: how it
    tags them, so that the annotator is not told one thing and shown another."""
    shown = sorted({tags[j][2:] for j in marked if tags[j] != OUTSIDE})
    if shown == [kind]:
        return ""
    return f" (pre-annotated as {' and '.join(shown)}: check it)" if shown else " (not pre-annotated: check it)"


def _tags(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], tick: Callable[[int], None]) -> list[tuple[str, ...]]:
    return [t.tags for t in tag_in_batches(model, sentences, on_batch=tick)]


def _passes(model: Tagger | VotedPipeline, sentences: Sequence[Sequence[str]], rare: bool) -> Iterator[tuple]:
    """``(part, (tags, marginals) of the strong or single tagger, those of the weak tagger, the detector's
    probabilities)`` part by part; without ``rare`` the weak tagger and the detector are not run (``None``)."""
    if rare:
        yield from model.outputs(sentences, Tagger.tag_with_marginals)  # a pipeline's members encode each part once
        return
    tagger = model.strong if isinstance(model, VotedPipeline) else model
    for start in range(0, len(sentences), BATCH):
        part = sentences[start:start + BATCH]
        yield part, tagger.tag_with_marginals(part), None, None


def _uncertainty(words: Sequence[str], marginals: torch.Tensor) -> tuple[float, str]:
    """One minus the geometric mean of the tokens' top marginals, and the least sure token (0 and "" for an empty sentence)."""
    if not len(marginals):
        return 0.0, ""
    top = marginals.max(dim=1).values
    return float(1 - torch.exp(torch.log(top.clamp_min(1e-12)).mean())), words[int(top.argmin())]


def _rarity(marginals: torch.Tensor, p_detector: float | None, columns: dict[str, list[int]]) -> tuple[float, str, list[int]]:
    """P(a rare entity) from the detector and the weak tagger's ``marginals``, the likeliest rare type (its
    label ``columns`` by type), and the tokens the weak tagger marks as it (their words: the string diversity is judged on)."""
    if not len(marginals):
        return 0.0, next(iter(columns)), []
    by_type = {t: marginals[:, cols].sum(dim=1) for t, cols in columns.items()}  # P(token is in a t entity)
    best = max(by_type, key=lambda t: float(by_type[t].max()))
    marked = [j for j, p in enumerate(by_type[best].tolist()) if p >= 0.5]
    return _rare_score(p_detector, float(by_type[best].max())), best, marked


def _runs(words: Sequence[str], marked: Sequence[int]) -> str:
    """The marked words, each run of neighbours as one string and the runs apart: ``Twitter", "Facebook`` (helper-83:
    "Twitter Facebook" read as one name)."""
    runs: list[list[str]] = []
    for k, j in enumerate(marked):
        if k and j == marked[k - 1] + 1:
            runs[-1].append(words[j])
        else:
            runs.append([words[j]])
    return '", "'.join(" ".join(run) for run in runs)


def _shortened(text: str) -> str:
    """``text`` cut to :data:`REASON_CHARS` characters for a reason (a long run of marked words)."""
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"


def _rare_score(p_detector: float | None, p_weak: float) -> float:
    """P-like score of a rare entity in a sentence: the detector leads, agreement counts most; the weak tagger alone without a detector."""
    if p_detector is None:
        return p_weak
    return (0.75 * p_detector + 0.25 * p_weak + p_detector * p_weak) / 2


def _diverse(items: list[Mined], keys: list[str], free: int = FREE_REPEATS) -> list[Mined]:
    """``items`` (best first), the k-th (from 0) of a key discounted by ``DIVERSITY ** max(0, k - free + 1)``, re-ranked."""
    seen: Counter[str] = Counter()
    discounted = []
    for item, key in zip(items, keys):
        key = key.lower()
        discounted.append(Mined(item.sentence, item.score * DIVERSITY ** max(0, seen[key] - free + 1), item.reason, item.types))
        seen[key] += 1
    return sorted(discounted, key=lambda m: -m.score)


def _unrepeated(items: list[Mined], sentences: Sequence[Sequence[str]]) -> list[Mined]:
    """``items`` (best first) with each repeat of a sentence above it (word for word, case aside) discounted as a
    repeat from the first: an annotator learns nothing from the second copy."""
    return _diverse(items, [" ".join(sentences[m.sentence]) for m in items], free=1)
