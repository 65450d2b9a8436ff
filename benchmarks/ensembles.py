"""Do ensembles of trained taggers help? Average their per-token marginals and score.

    python benchmarks/ensembles.py --taggers DIR DIR ...        # whole taggers: val / test micro, macro
    python benchmarks/ensembles.py --weak DIR DIR ...           # weak taggers, in the voted pipeline

The ensemble's tag at each token is the argmax of the averaged marginals (posterior decoding),
repaired to valid IOB2; each member alone is scored the same way, so that the ensemble's gain is
not confused with the change from Viterbi to posterior decoding. With ``--weak`` the ensemble
replaces the shipped weak tagger in the shipped voted pipeline, and the detector threshold is
re-tuned on val as ``python -m ner_core experiments`` does. Nothing is shipped from here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import Sentence, default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.tags import TagSet, repair_iob2  # noqa: E402
from ner_core.evaluation.metrics import entity_scores  # noqa: E402
from ner_core.models.checkpoint import load_checkpoint  # noqa: E402
from ner_core.models.checkpoint_dirs import checkpoints_dir  # noqa: E402
from ner_core.models.detector import detector_proba  # noqa: E402
from ner_core.models.pipeline import vote  # noqa: E402
from ner_core.models.tagger import TaggedSentence, Tagger  # noqa: E402
from ner_core.study.experiments import DETECTOR, FAMILIES  # noqa: E402
from ner_core.training.method import tune_threshold  # noqa: E402


class AveragedTagger:
    """Posterior decoding of the mean of several taggers' marginals (labels aligned by name)."""

    def __init__(self, taggers: Sequence[Tagger]) -> None:
        self.taggers = list(taggers)
        self.labels = sorted({label for t in self.taggers for label in t.labels})

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[TaggedSentence]:
        total = [torch.zeros(len(s), len(self.labels)) for s in sentences]
        for tagger in self.taggers:
            columns = [self.labels.index(label) for label in tagger.labels]
            for i, marginals in enumerate(tagger.marginals(sentences)):
                total[i][:, columns] += marginals / len(self.taggers)
        out = []
        for words, probs in zip(sentences, total):
            tags = repair_iob2([self.labels[j] for j in probs.argmax(1).tolist()]) if len(words) else []
            picked = [float(probs[t, self.labels.index(tag)]) for t, tag in enumerate(tags)]
            out.append(TaggedSentence(tuple(words), tuple(tags), tuple(picked)))
        return out


def line(name: str, val: dict, test: dict, weak_types: Sequence[str]) -> str:
    weak = " / ".join(f"{test['per_type'].get(t, {}).get('f1', 0.0):.3f}" for t in weak_types)
    return (f"{name} | {val['micro_f1']:.4f} | {val['macro_f1']:.3f} | {test['micro_f1']:.4f} | "
            f"{test['macro_f1']:.3f} | {weak}")


def score_voted(weak: AveragedTagger, val: list[Sentence], test: list[Sentence]) -> tuple[float, dict, dict]:
    """The shipped strong tagger and detector with ``weak``; threshold tuned on val."""
    root = checkpoints_dir()
    strong = Tagger.from_checkpoint(root / FAMILIES[0].strong)
    detector, _ = load_checkpoint(root / DETECTOR)
    runs = {}
    for name, part in (("val", val), ("test", test)):
        words = [s.words for s in part]
        runs[name] = strong.tag(words), weak.tag(words), detector_proba(detector, words), [s.tags for s in part]
    threshold, _ = tune_threshold(*runs["val"])

    def scores(name: str) -> dict:
        s, w, p, gold = runs[name]
        return entity_scores(gold, [vote(a, b, q, threshold).tags for a, b, q in zip(s, w, p)])

    return threshold, scores("val"), scores("test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--taggers", nargs="+", help="whole taggers to average")
    group.add_argument("--weak", nargs="+", help="weak taggers to average inside the voted pipeline")
    args = parser.parse_args()
    split = split_corpus(read_corpus(default_corpus_path()))
    paths = args.taggers or args.weak
    members = [Tagger.from_checkpoint(p) for p in paths]
    weak_types = sorted(TagSet.from_sentences(split.train).weak)
    print("model | val micro | val macro | test micro | test macro | test " + " / ".join(weak_types))
    for path, member in [*zip(paths, members), (f"mean of {len(members)}", None)]:
        tagger = AveragedTagger([member] if member else members)
        if args.taggers:
            val, test = (entity_scores([s.tags for s in part], [p.tags for p in tagger.tag([s.words for s in part])])
                         for part in (split.val, split.test))
            print(line(path, val, test, weak_types), flush=True)
        else:
            threshold, val, test = score_voted(tagger, split.val, split.test)
            print(line(f"voted with {path} (threshold {threshold})", val, test, weak_types), flush=True)


if __name__ == "__main__":
    main()
