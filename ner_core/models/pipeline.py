"""Divide and conquer: a strong tagger, a weak tagger, a weak-sentence detector, and the vote.

The study's rule (eq. 8-9): where the detector says no, take the strong model's tags. Otherwise,
per token: the weak model's tag where the strong one says ``O``, the strong model's where the
weak one says ``O``, else the tag of the model with the higher marginal probability. The merged
sequence is repaired to valid IOB2.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Sequence

import torch

from ..data.tags import OUTSIDE, TagSet, repair_iob2
from ..data.tokenize import TokenStyle
from .checkpoint import load_checkpoint
from .checkpoint_dirs import PIPELINE_FILE, CheckpointError, resolve
from .detector import WeakSentenceDetector, detector_proba
from .device import resolve_device
from .tagger import TaggedSentence, Tagger

GROUP = 2048  # sentences encoded at a time for all members (bounds what encoded batches hold)

# Which rule decided a token's final tag.
RULE_DETECTOR_NO = "detector: no weak entity"
RULE_BOTH_O = "both O"
RULE_STRONG_O = "strong O: weak"
RULE_WEAK_O = "weak O: strong"
RULE_STRONG_HIGHER = "higher p: strong"
RULE_WEAK_HIGHER = "higher p: weak"


class TokenVote(NamedTuple):
    """Everything the pipeline knows about one token."""

    word: str
    strong_tag: str
    strong_prob: float
    weak_tag: str
    weak_prob: float
    tag: str
    prob: float
    rule: str
    repaired: bool = False


@dataclass(frozen=True)
class VotedSentence:
    """The pipeline's record of one sentence: the detector's probability, both taggers' outputs and the vote,
    held by column (:attr:`tokens` gives them by token)."""

    words: tuple[str, ...]
    detector_prob: float | None  # None when the pipeline has no detector ("Double")
    voted: bool  # whether the token-wise vote ran (else the strong model's tags were taken)
    strong: TaggedSentence
    weak: TaggedSentence
    tags: tuple[str, ...]  # the final tags ...
    probs: tuple[float, ...]  # ... their probabilities ...
    rules: tuple[str, ...]  # ... the rule that chose each ...
    repaired: tuple[bool, ...]  # ... and whether the IOB2 repair changed it

    @property
    def tokens(self) -> tuple[TokenVote, ...]:
        return tuple(TokenVote(*fields) for fields in zip(self.words, self.strong.tags, self.strong.probs, self.weak.tags,
                                                          self.weak.probs, self.tags, self.probs, self.rules, self.repaired))

    def rows(self) -> list[dict[str, object]]:
        """One flat record per token, for tables."""
        return [
            {
                "token": t.word, "strong": t.strong_tag, "p strong": round(t.strong_prob, 4),
                "weak": t.weak_tag, "p weak": round(t.weak_prob, 4),
                "voted": t.tag, "p voted": round(t.prob, 4), "rule": t.rule + (" (IOB2 repaired)" if t.repaired else ""),
            }
            for t in self.tokens
        ]


def vote(strong: TaggedSentence, weak: TaggedSentence, detector_prob: float | None, threshold: float) -> VotedSentence:
    """Merge two taggers' outputs for one sentence by the study's rule."""
    use_vote = detector_prob is None or detector_prob >= threshold
    if not use_vote:
        tags, probs, rules = strong.tags, strong.probs, (RULE_DETECTOR_NO,) * len(strong.tags)
    else:
        chosen: list[tuple[str, float, str]] = []
        for s_tag, s_p, w_tag, w_p in zip(strong.tags, strong.probs, weak.tags, weak.probs):
            if s_tag == OUTSIDE and w_tag == OUTSIDE:
                chosen.append((OUTSIDE, s_p, RULE_BOTH_O))
            elif s_tag == OUTSIDE:
                chosen.append((w_tag, w_p, RULE_STRONG_O))
            elif w_tag == OUTSIDE:
                chosen.append((s_tag, s_p, RULE_WEAK_O))
            elif w_p > s_p:
                chosen.append((w_tag, w_p, RULE_WEAK_HIGHER))
            else:
                chosen.append((s_tag, s_p, RULE_STRONG_HIGHER))
        tags, probs, rules = (tuple(c) for c in zip(*chosen)) if chosen else ((), (), ())
    final = tuple(repair_iob2(tags))
    repaired = tuple(a != b for a, b in zip(final, tags))
    return VotedSentence(strong.words, detector_prob, use_vote, strong, weak, final, probs, rules, repaired)


def revote(sentence: VotedSentence, threshold: float) -> VotedSentence:
    """``sentence`` voted again at another detector threshold, from its stored strong and weak outputs."""
    return vote(sentence.strong, sentence.weak, sentence.detector_prob, threshold)


class VotedPipeline:
    """Strong + weak taggers merged by :func:`vote`; with a detector ("our method") or without ("Double")."""

    def __init__(
        self, strong: Tagger, weak: Tagger, detector: WeakSentenceDetector | None = None, threshold: float = 0.5
    ) -> None:
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.strong, self.weak, self.detector, self.threshold = strong, weak, detector, threshold
        # trained on one corpus, the members read the same batches: encoded once for all
        self._weak_shares = strong.model.reads_like(weak.model)
        self._detector_shares = detector is not None and detector.reads_like(strong.model)

    @property
    def tagset(self) -> TagSet:
        """The strong tagger's types; the weak ones are those it was trained with masked."""
        return TagSet(self.strong.tagset.types, frozenset(self.strong.masked))

    def with_threshold(self, threshold: float) -> "VotedPipeline":
        """The same models with another detector threshold."""
        return VotedPipeline(self.strong, self.weak, self.detector, threshold)

    def run(self, sentences: Sequence[Sequence[str]]) -> list[VotedSentence]:
        """The full per-token record for each sentence."""
        out: list[VotedSentence] = []
        for _, strong, weak, probs in self.outputs(sentences, Tagger.tag):
            out += [vote(s, w, p, self.threshold) for s, w, p in zip(strong, weak, probs)]
        return out

    def outputs(self, sentences: Sequence[Sequence[str]], method: Callable) -> Iterator[tuple[Sequence[Sequence[str]], list, list, list]]:
        """``(part, strong's, weak's, detector probabilities)`` for ``sentences`` in parts of :data:`GROUP`,
        ``method`` (``Tagger.tag``, ``Tagger.marginals`` or ``Tagger.tag_with_marginals``) the taggers' output;
        inputs encoded once where the members read alike."""
        for start in range(0, len(sentences), GROUP):
            part = sentences[start:start + GROUP]
            batches = list(self.strong.batches(part))
            strong = method(self.strong, part, batches)
            weak = method(self.weak, part, batches if self._weak_shares else None)
            if self.detector is None:
                probs = [None] * len(part)
            else:
                probs = detector_proba(self.detector, part, batches=batches if self._detector_shares else None)
            yield part, strong, weak, probs

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[VotedSentence]:
        """Same as :meth:`run`; lets a pipeline stand wherever a :class:`Tagger` is scored."""
        return self.run(sentences)

    @property
    def labels(self) -> list[str]:
        return self.strong.labels

    @property
    def words(self) -> list[str]:
        return self.strong.words

    @property
    def scripts(self) -> frozenset[str]:
        return self.strong.scripts

    @property
    def token_style(self) -> TokenStyle | None:
        return self.strong.token_style

    def marginals(self, sentences: Sequence[Sequence[str]]) -> list[torch.Tensor]:
        """Per-token distributions over :attr:`labels` that follow the vote, taking the two
        taggers as independent: ``O`` where both say ``O``, one tagger's entity tag where the other
        says ``O``, and where both name an entity, the more probable of the two (as :func:`vote`
        does). Where the detector says no, the strong tagger's marginals. Lets a pipeline stand
        wherever a :class:`Tagger`'s marginals are used (label issues)."""
        if self.weak.labels != self.labels:
            raise ValueError("the strong and weak taggers have different label lists")
        out = []
        outputs = ((s, w, 1.0 if p is None else p) for _, strong, weak, probs in self.outputs(sentences, Tagger.marginals)
                   for s, w, p in zip(strong, weak, probs))
        for strong, weak, p in outputs:
            if p < self.threshold:
                out.append(strong)
                continue
            o = self.labels.index(OUTSIDE)
            entity = [k for k in range(len(self.labels)) if k != o]
            s_o, w_o, s_e, w_e = strong[:, o], weak[:, o], strong[:, entity], weak[:, entity]  # (T,), (T,), (T, E), (T, E)
            both = s_e[:, :, None] * w_e[:, None, :]  # (T, E, E): strong says i, weak says j
            strong_wins = s_e[:, :, None] >= w_e[:, None, :]
            merged = torch.zeros_like(strong)
            merged[:, o] = s_o * w_o
            merged[:, entity] = s_e * w_o[:, None] + w_e * s_o[:, None] + (both * strong_wins).sum(2) + (both * ~strong_wins).sum(1)
            out.append(merged)
        return out

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> "VotedPipeline":
        """A pipeline directory: ``pipeline.json`` naming the strong, weak and detector checkpoints (on ``device``)."""
        directory = resolve(path)
        try:
            spec = json.loads((directory / PIPELINE_FILE).read_text())
        except (OSError, ValueError) as err:
            raise CheckpointError(f"{directory}: unreadable pipeline ({err})") from None
        detector = None
        if spec.get("detector"):
            detector, _ = load_checkpoint(_member(directory, spec["detector"]))
            detector.to(resolve_device(device))
        return cls(
            Tagger.from_checkpoint(_member(directory, spec["strong"]), device),
            Tagger.from_checkpoint(_member(directory, spec["weak"]), device),
            detector,
            float(spec.get("threshold", 0.5)),
        )


def _member(directory: Path, name: str) -> Path:
    """A member checkpoint: inside the pipeline's directory, beside it, or a name under checkpoints/."""
    for local in (directory / name, directory.parent / name):
        if local.is_dir():
            return local
    return resolve(name)


def save_pipeline(directory: str | os.PathLike, strong: str, weak: str, detector: str | None, threshold: float) -> Path:
    """Write a pipeline spec; members are checkpoint names beside ``directory`` (see :func:`_member`).

    Checkpoints already inside ``directory`` are kept.
    """
    spec = {"type": "voted", "strong": strong, "weak": weak, "detector": detector, "threshold": threshold}
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (PIPELINE_FILE + ".tmp")
    tmp.write_text(json.dumps(spec, indent=2))
    os.replace(tmp, directory / PIPELINE_FILE)
    return directory


def load_any(path: str | os.PathLike, device: str | None = None) -> Tagger | VotedPipeline:
    """A single tagger's checkpoint or a pipeline directory, whichever ``path`` names, on ``device``
    (``None``: ``$NER_DEVICE``, default ``auto``)."""
    directory = resolve(path)
    if (directory / PIPELINE_FILE).is_file():
        return VotedPipeline.load(directory, device)
    return Tagger.from_checkpoint(directory, device)
