"""How consistent are the corpus's own annotations? A ceiling for any tagger trained on them.

    python benchmarks/annotation_agreement.py [--data PATH]

Prints two measures on the shipped split (no model involved):

1. Sentences whose words occur more than once: the entity F1 (seqeval, IOB2 strict) of one
   copy's gold tags scored against another's, within train and between train and val / test;
   over all pairs, and counting a pair of annotations repeated word for word once.
   Identical words, two annotations: where they disagree, no tagger can match both.
2. For each gold entity of val and test, how the same words are annotated in train: the share of
   the string's train occurrences whose tokens all carry that type. "H5N1", for one, is tagged
   nat in 24 of its 153 train occurrences: a tagger that follows the training data will mostly
   leave it O, and be wrong on every held-out H5N1 that is tagged nat.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.tags import TagSet, spans  # noqa: E402
from ner_core.quality.consistency import duplicate_agreement, string_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(default_corpus_path()))
    args = parser.parse_args()
    split = split_corpus(read_corpus(args.data))
    weak_types = TagSet.from_sentences(split.train).weak

    print("1. duplicate sentences: one copy's gold scored against another's (entity F1)")
    print("copies | pairs | entities | micro F1 | per type F1 (entities)")
    for name, other in (("train-train", None), ("train-val", split.val), ("train-test", split.test)):
        for distinct in (False, True):
            n, scores = duplicate_agreement(split.train, other, distinct)
            per_type = ", ".join(f"{t} {row['f1']:.2f} ({row['support']})" for t, row in scores["per_type"].items())
            support = sum(row["support"] for row in scores["per_type"].values())
            print(f"{name}, {'distinct pairs' if distinct else 'all pairs'} | {n} | {support} | {scores['micro_f1']:.3f} | {per_type}")

    print("\n2. held-out entities: share of the same string's train occurrences annotated with the same type")
    print("split | type | entities | string in train | median share | share < 0.5")
    for name, part in (("val", split.val), ("test", split.test)):
        entities = [(s.words[a:b], t) for s in part for t, a, b in spans(s.tags)]
        in_train = string_labels(split.train, {words for words, _ in entities})
        counts = Counter(t for _, t in entities)
        for t in sorted(counts, key=lambda t: (t not in weak_types, t)):
            shares = sorted(in_train[w].share(t) for w, u in entities if u == t and w in in_train)
            median = shares[len(shares) // 2] if shares else float("nan")
            print(f"{name} | {t} | {counts[t]} | {len(shares)} | {median:.2f} | {sum(v < 0.5 for v in shares)}")


if __name__ == "__main__":
    main()
