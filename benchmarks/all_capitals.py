"""Sentences in capitals throughout (headlines, telexes) or in headline style: how the taggers read them, and where
mining ranks them.

1. The test split tagged as it is, upper-cased and in Title Case (each word's first letter a capital), by each model,
   read as written and in the forms its training sentences use (``Vocab.truecase``, the default; "as written" is the
   same model with its forms taken away).
2. A pool of the test split's first ``--pool`` sentences as they are plus ``--capitals`` other test sentences
   upper-cased: how many of those are in the top 100 of ``mine`` (mixed), against their share of the pool.

    python benchmarks/all_capitals.py [--models bilstm_crf voted] [--pool 1500] [--capitals 50]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core import default_corpus_path  # noqa: E402
from ner_core.data.corpus import read_corpus, split_corpus  # noqa: E402
from ner_core.evaluation.metrics import entity_scores  # noqa: E402
from ner_core.models.pipeline import VotedPipeline, load_any  # noqa: E402
from ner_core.quality.mining import mine  # noqa: E402


def vocabularies(model) -> list:
    """Every vocabulary the model reads words with (a pipeline's taggers and detector)."""
    parts = [model.strong, model.weak, model.detector] if isinstance(model, VotedPipeline) else [model]
    return [p.model.vocab if hasattr(p, "model") else p.vocab for p in parts if p is not None]


def without_forms(model) -> None:
    for vocab in vocabularies(model):
        vocab.case_of = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["bilstm_crf", "voted"])
    parser.add_argument("--pool", type=int, default=1500)
    parser.add_argument("--capitals", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    test = split_corpus(read_corpus(default_corpus_path())).test
    gold = [list(s.tags) for s in test]
    pool = [list(s.words) for s in test[: args.pool]] + [[w.upper() for w in s.words]
                                                         for s in test[args.pool: args.pool + args.capitals]]
    print(f"test split: {len(test):,} sentences; pool: {args.pool:,} as they are + {args.capitals} upper-cased "
          f"({args.capitals / len(pool):.1%})")
    print("| model | reading | as it is | upper-cased (P / R) | Title Case (P / R) | upper-cased in mine's top 100 |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.models:
        for reading in ("usual forms (default)", "as written"):
            model = load_any(name)
            if reading == "as written":
                without_forms(model)
            scores = []
            for words in ([list(s.words) for s in test], [[w.upper() for w in s.words] for s in test],
                          [[w[:1].upper() + w[1:] for w in s.words] for s in test]):
                scores.append(entity_scores(gold, [list(t.tags) for t in model.tag(words)]))
            top = mine(model, pool, "mixed", top=100).items
            shouted = sum(m.sentence >= args.pool for m in top)
            changed = " | ".join(f"{s['micro_f1']:.4f} ({s['micro_precision']:.3f} / {s['micro_recall']:.3f})" for s in scores[1:])
            print(f"| {name} | {reading} | {scores[0]['micro_f1']:.4f} | {changed} | {shouted} |")


if __name__ == "__main__":
    main()
