"""Which sentence uncertainty finds the tagger's errors: the product of the tokens' top marginals (one minus
it) against their geometric mean (``mine --strategy uncertain``), and random.

For the top 100 / 250 / 500 sentences of a split by each measure: how many hold an entity-level error
of the tagger, how many errors (gold and predicted entities that differ), and errors per 100 tokens
read, which is what a person's time pays for.

    python benchmarks/uncertainty.py [--model bilstm_crf] [--part val|test]
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core import default_corpus_path  # noqa: E402
from ner_core.data.corpus import read_corpus, split_corpus
from ner_core.data.tags import spans
from ner_core.models.pipeline import load_any

MEASURES = {"product": lambda log_top: 1 - float(torch.exp(log_top.sum())),
            "geometric mean": lambda log_top: 1 - float(torch.exp(log_top.mean()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bilstm_crf")
    parser.add_argument("--part", default="val", choices=("val", "test"), help="val to tune, test to report")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sentences = getattr(split_corpus(read_corpus(default_corpus_path())), args.part)
    tagged, marginals = load_any(args.model).tag_with_marginals([s.words for s in sentences])
    rows = []
    for sentence, predicted, m in zip(sentences, tagged, marginals):
        log_top = torch.log(m.max(dim=1).values.clamp_min(1e-12))
        errors = len(set(spans(sentence.tags)) ^ set(spans(predicted.tags)))
        rows.append({"tokens": len(sentence), "errors": errors, **{k: f(log_top) for k, f in MEASURES.items()}})
    print(f"{args.part}: {len(rows):,} sentences, tagged by {args.model}")
    print("| ranking | top | sentences with an error | errors | tokens | errors per 100 tokens |\n|---|---:|---:|---:|---:|---:|")
    for name in [*MEASURES, "random"]:
        order = random.Random(0).sample(rows, len(rows)) if name == "random" else sorted(rows, key=lambda r: -r[name])
        for top in (100, 250, 500):
            part = order[:top]
            errors, tokens = sum(r["errors"] for r in part), sum(r["tokens"] for r in part)
            print(f"| {name} | {top} | {sum(r['errors'] > 0 for r in part)} | {errors} | {tokens:,} | {100 * errors / tokens:.2f} |")


if __name__ == "__main__":
    main()
