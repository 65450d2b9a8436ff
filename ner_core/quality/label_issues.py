"""Suspicious gold annotations, flagged with cleanlab from a model's per-token marginals.

The probabilities must be out-of-sample: tag sentences the model did not train on (the val and
test splits, an uploaded file, or any file through :mod:`ner_core.training.cross_val`), otherwise the model
has memorised the noise.

Cross-validated flags (fold models trained on the checked sentences themselves) are ranked by how
unlikely the given tag is under two votes: the model's marginal, and the word's other occurrences
in the checked sentences (:class:`TagAgreement`). A one-off slip ("Iraq" left ``O`` among hundreds of
``B-geo``) disagrees with both; a word a small fold model gets wrong while the annotators tag it the
same way throughout ("More than three years" as ``tim``) only with the first. On 5% planted noise in
5,000 training sentences, precision at 500 went from 0.65-0.70 to 0.73-0.75 (README). A model
trained on more data than the file (the shipped tagger on val or test) already knows the words'
usual tags; there the file's counts only promote its own inconsistencies (precision at 500 fell
from 0.86-0.88 to 0.81-0.83 on val), so its flags are ranked by its marginal alone, as are those of fold
models warm-started from such a tagger (:attr:`~ner_core.training.cross_val.CrossValResult.warm`).
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..data.corpus import Sentence
from ..data.tags import TagSet

if TYPE_CHECKING:  # only a type here: importing torch is left to whoever tags
    from ..models.tagger import Tagger


@dataclass(frozen=True)
class LabelIssue:
    sentence: int  # index in the given sentences (or, from the CLI and the stored scores, in the file)
    token: int
    given: str
    suggested: str
    score: float  # 1 - P(given tag) by the model (cross-validated: times its TagAgreement): higher is more suspicious
    fold: int | None = None  # with cross-validation: the fold whose model (which never saw the sentence) scored it

    def to_dict(self) -> dict:
        return asdict(self)


class TagAgreement:
    """How the checked sentences tag each word: the corpus's own vote on a given tag."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.words: Counter[str] = Counter(w for s in sentences for w in s.words)
        self.tagged: Counter[tuple[str, str]] = Counter((w, t) for s in sentences for w, t in zip(s.words, s.tags))

    def probability(self, word: str, tag: str, model_probability: float) -> float:
        """P(``tag`` | ``word``) from the word's other occurrences (the one scored is among the counted),
        smoothed by one pseudo-occurrence tagged as the model says: a word seen once is left to the model."""
        return (max(self.tagged[(word, tag)] - 1, 0) + model_probability) / max(self.words[word], 1)

    def score(self, word: str, tag: str, model_probability: float) -> float:
        """Suspicion of ``tag`` on ``word``: 1 - the model's probability times :meth:`probability`."""
        return 1 - model_probability * self.probability(word, tag, model_probability)


def _label_ids(sentences: Sequence[Sentence], labels: Sequence[str]) -> list[list[int]]:
    label2id = {t: i for i, t in enumerate(labels)}
    unknown = TagSet.from_labels(labels).unknown_tags(t for s in sentences for t in s.tags)
    if unknown:
        raise ValueError(f"tags the model does not know: {', '.join(unknown)}")
    return [[label2id[t] for t in s.tags] for s in sentences]


def issues_from_marginals(
    sentences: Sequence[Sentence],
    marginals: Sequence[np.ndarray],
    labels: Sequence[str],
    top: int | None = None,
    folds: Sequence[int] | None = None,
    agreement: bool = True,
) -> list[LabelIssue]:
    """Tokens whose gold tag cleanlab flags as likely wrong, most suspicious first.

    ``marginals[i]`` is a ``(len(sentences[i]), len(labels))`` array of out-of-sample tag
    probabilities. ``folds[i]``, if given, is the cross-validation fold that scored sentence ``i``;
    cross-validated flags are ranked with the sentences' :class:`TagAgreement` (unless ``agreement`` is
    false: fold models warm-started from a tagger trained on more data), others by the marginal alone.
    """
    from cleanlab.token_classification.filter import find_label_issues as cleanlab_issues

    ids = _label_ids(sentences, labels)
    kept = [i for i, s in enumerate(sentences) if len(s)]
    if not kept:
        return []
    probs = [np.asarray(marginals[i], dtype=np.float64) for i in kept]
    probs = [p / p.sum(axis=1, keepdims=True) for p in probs]
    given = [ids[i] for i in kept]
    # n_jobs=1: cleanlab's multiprocessing pool outlives a Streamlit script and hangs its shutdown
    with warnings.catch_warnings():  # a rare tag's "too few examples", named by cleanlab's internal class number
        warnings.filterwarnings("ignore", message="May not flag all label issues in class", category=UserWarning)
        flagged = cleanlab_issues(given, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    votes = TagAgreement(sentences) if folds is not None and agreement else None
    issues = []
    for k, j in flagged:
        p, g = probs[k][j], given[k][j]
        fold = None if folds is None else int(folds[kept[k]])
        score = votes.score(sentences[kept[k]].words[j], labels[g], float(p[g])) if votes else float(1 - p[g])
        issues.append(LabelIssue(kept[k], int(j), labels[g], labels[int(p.argmax())], score, fold))
    issues.sort(key=lambda issue: -issue.score)
    return issues[:top] if top else issues


def confident_thresholds(sentences: Sequence[Sentence], marginals: Sequence[np.ndarray], labels: Sequence[str]) -> list[float]:
    """Per tag, the mean probability the model gives it where it is the given tag (cleanlab's
    confident-learning thresholds); 1.0 for a tag never given."""
    ids = _label_ids(sentences, labels)
    flat_ids = np.array([t for s in ids for t in s], dtype=np.int64)
    flat = np.concatenate([np.asarray(m, dtype=np.float64) for m, s in zip(marginals, sentences) if len(s)])
    return [float(flat[flat_ids == k, k].mean()) if (flat_ids == k).any() else 1.0 for k in range(len(labels))]


def sentence_issues(
    sentence: Sentence, marginals: np.ndarray, labels: Sequence[str], thresholds: Sequence[float], index: int,
    agreement: TagAgreement | None, fold: int | None = None,
) -> list[LabelIssue]:
    """One sentence's issues by the confident-learning rule: a token is flagged when another tag's
    probability reaches that tag's threshold (from :func:`confident_thresholds` of the whole run);
    ranked as :func:`issues_from_marginals` ranks, with ``agreement`` of the sentences checked (this one as it is now;
    ``None``: by the marginal alone, as a warm-started run ranks).

    Used to re-score a corrected sentence without re-ranking the whole dataset.
    """
    ids = _label_ids([sentence], labels)[0]
    probs = np.asarray(marginals, dtype=np.float64)
    probs = probs / probs.sum(axis=1, keepdims=True)
    above = probs >= np.asarray(thresholds)[None, :]
    issues = []
    for j, g in enumerate(ids):
        others = [k for k in np.flatnonzero(above[j]) if k != g]
        if others:
            suggested = max(others, key=lambda k: probs[j, k])
            score = agreement.score(sentence.words[j], labels[g], float(probs[j, g])) if agreement else float(1 - probs[j, g])
            issues.append(LabelIssue(index, j, labels[g], labels[suggested], score, fold))
    return issues


def find_label_issues(tagger: Tagger, sentences: Sequence[Sentence], top: int | None = None) -> list[LabelIssue]:
    """Tokens whose gold tag cleanlab flags as likely wrong under one model, most suspicious first."""
    _label_ids(sentences, tagger.labels)
    marginals = [m.numpy() for m in tagger.marginals([s.words for s in sentences])]
    return issues_from_marginals(sentences, marginals, tagger.labels, top)
