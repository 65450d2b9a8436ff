"""Suspicious gold annotations, ranked with cleanlab from a model's per-token marginals.

The probabilities must be out-of-sample: tag sentences the model did not train on (the val and
test splits, or an uploaded file), otherwise the model has memorised the noise.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from .corpus import Sentence
from .tagger import Tagger


@dataclass(frozen=True)
class LabelIssue:
    sentence: int  # index in the given sentences
    token: int
    given: str
    suggested: str
    score: float  # 1 - the model's probability of the given tag: higher is more suspicious

    def to_dict(self) -> dict:
        return asdict(self)


def find_label_issues(tagger: Tagger, sentences: Sequence[Sentence], top: int | None = None) -> list[LabelIssue]:
    """Tokens whose gold tag cleanlab flags as likely wrong, most suspicious first."""
    from cleanlab.token_classification.filter import find_label_issues as cleanlab_issues

    label2id = {t: i for i, t in enumerate(tagger.labels)}
    unknown = {t for s in sentences for t in s.tags} - set(label2id)
    if unknown:
        raise ValueError(f"tags the model does not know: {', '.join(sorted(unknown))}")
    kept = [i for i, s in enumerate(sentences) if len(s)]
    marginals = [m.numpy().astype(np.float64) for m in tagger.marginals([sentences[i].words for i in kept])]
    marginals = [m / m.sum(axis=1, keepdims=True) for m in marginals]
    labels = [[label2id[t] for t in sentences[i].tags] for i in kept]
    if not kept:
        return []
    flagged = cleanlab_issues(labels, marginals, return_indices_ranked_by="self_confidence")
    issues = []
    for k, j in flagged:
        probs = marginals[k][j]
        given = labels[k][j]
        issues.append(LabelIssue(kept[k], int(j), tagger.labels[given], tagger.labels[int(probs.argmax())], float(1 - probs[given])))
    issues.sort(key=lambda issue: -issue.score)
    return issues[:top] if top else issues
