"""How well mining finds the rare ("weak") types: rank a pool whose gold we hide, count what the top holds.

The pool is the default corpus's test split (never seen by the shipped models; ``--part val`` for the
dev split). For each strategy of :func:`ner_core.quality.mining.mine`, and for the detector's probability
alone (the study's instrument), the rare-type entities in the top 100 / 250 / 500 / 1,000 sentences:
their number, their share of all the pool's rare-type entities, and the factor over random. First, what
the gold allows: how many of the pool's rare-type entities are strings the train split ever tags as a
rare type, and how many pool sentences without one hold a string the train split mostly tags so.

    python benchmarks/rare_type_mining.py [--model voted] [--part test] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core import default_corpus_path  # noqa: E402
from ner_core.data.corpus import read_corpus, split_corpus
from ner_core.data.tags import spans
from ner_core.models.checkpoint_dirs import resolve
from ner_core.models.detector import detector_proba
from ner_core.models.pipeline import load_any
from ner_core.quality.mining import STRATEGIES, mine

TOPS = (100, 250, 500, 1000)


def gold_ceiling(train: list, pool: list, weak: set[str]) -> tuple[int, int]:
    """The pool's rare-type entities whose string (lowercased) the train split tags as a rare type, and the
    pool sentences without a rare-type entity holding a string (1-3 words) that the train split tags as a
    rare type at least 3 times and in at least half its entity occurrences."""
    rare, tagged = Counter(), Counter()
    for sentence in train:
        for e in spans(sentence.tags):
            string = " ".join(sentence.words[e.start:e.end]).lower()
            tagged[string] += 1
            rare[string] += e.type in weak
    known = sum(rare[" ".join(s.words[e.start:e.end]).lower()] > 0 for s in pool for e in spans(s.tags) if e.type in weak)
    looks_rare = 0
    for sentence in pool:
        if any(e.type in weak for e in spans(sentence.tags)):
            continue
        words = [w.lower() for w in sentence.words]
        grams = {" ".join(words[k:k + n]) for n in (1, 2, 3) for k in range(len(words) - n + 1)}
        looks_rare += any(rare[g] >= 3 and 2 * rare[g] >= tagged[g] for g in grams)
    return known, looks_rare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="voted")
    parser.add_argument("--part", default="test", choices=("val", "test"), help="val to tune, test to report")
    parser.add_argument("--json", help="also write the table as JSON to this file")
    args = parser.parse_args()
    split = split_corpus(read_corpus(default_corpus_path()))
    pool = split.part(args.part)
    model = load_any(resolve(args.model))
    weak = model.tagset.weak
    rare = [sum(s.type in weak for s in spans(sentence.tags)) for sentence in pool]
    total = sum(rare)
    words = [s.words for s in pool]
    print(f"pool: the {args.part} split, {len(pool):,} sentences, {total} rare-type entities ({', '.join(sorted(weak))}) "
          f"in {sum(r > 0 for r in rare)} sentences")
    known, looks_rare = gold_ceiling(split.train, pool, weak)
    print(f"what the gold allows: {known} of the {total} are strings the train split tags as a rare type; {looks_rare} "
          "sentences without a gold rare-type entity hold a string the train split mostly tags as one")
    rankings = {}
    for strategy in STRATEGIES:
        started = time.perf_counter()
        rankings[strategy] = [m.sentence for m in mine(model, words, strategy).items]
        print(f"  {strategy}: ranked in {time.perf_counter() - started:.1f} s")
    det = detector_proba(model.detector, words)
    rankings["detector alone"] = sorted(range(len(pool)), key=lambda i: -det[i])
    table = {}
    print("\n| ranking | " + " | ".join(f"top {n}" for n in TOPS) + " |\n|---|" + "---:|" * len(TOPS))
    for name, order in rankings.items():
        found = [sum(rare[i] for i in order[:n]) for n in TOPS]
        table[name] = {n: {"entities": f, "share": f / total} for n, f in zip(TOPS, found)}
        print(f"| {name} | " + " | ".join(f"{f} ({f / total:.0%})" for f in found) + " |")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"pool": args.part, "sentences": len(pool), "rare_entities": total, "rare_entities_known_to_train": known,
                       "sentences_looking_rare_without_gold": looks_rare, "table": table}, out, indent=1)


if __name__ == "__main__":
    main()
