"""Relabel the training split where out-of-sample models doubt its tags (confident learning), write the corpus.

    python benchmarks/relabel_training.py --out runs/relabelled.csv [--min-score 0.9] [--folds 2]
    python -m ner_core train --data runs/relabelled.csv --dropout 0.4 --seed 7 --out runs/relabelled

Trains one Bi-LSTM-CRF per fold of the training split on the other folds (the shipped recipe,
dropout 0.4, at most 12 epochs), ranks the fold's tags with cleanlab (``find_label_issues``), and
replaces every tag whose given-tag probability is below ``1 - min-score`` by the model's suggestion
(IOB2 repaired). Val and test are left as they are, and every sentence keeps its index, so the
split is unchanged. Prints how many tags changed and a few examples; the second command trains on
the result, to be compared on val with the same command on the original corpus.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import Sentence, default_corpus_path, read_corpus, split_indices, write_corpus  # noqa: E402
from ner_core.data.tags import repair_iob2  # noqa: E402
from ner_core.models.model import ModelConfig  # noqa: E402
from ner_core.models.tagger import Tagger  # noqa: E402
from ner_core.quality.label_issues import find_label_issues  # noqa: E402
from ner_core.training.train import TrainConfig, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(default_corpus_path()))
    parser.add_argument("--out", required=True, help="corpus file to write (.csv or .conll)")
    parser.add_argument("--min-score", type=float, default=0.9, help="relabel tags whose cleanlab score is at least this")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, help="use only the first N training sentences (a quick check)")
    args = parser.parse_args()

    sentences = read_corpus(args.data)
    train_idx, val_idx, _ = split_indices(len(sentences))
    train_idx = train_idx[: args.limit] if args.limit else train_idx
    val = [sentences[i] for i in val_idx]
    folds = [train_idx[k:: args.folds] for k in range(args.folds)]
    changes: dict[int, dict[int, str]] = {}
    with TemporaryDirectory() as scratch:
        for k, held_out in enumerate(folds):
            rest = [sentences[i] for j, fold in enumerate(folds) if j != k for i in fold]
            config = TrainConfig(epochs=args.epochs, patience=3, seed=7, threads=args.threads)
            model = train(rest, val, config, ModelConfig(dropout=0.4), out_dir=Path(scratch) / f"fold{k}", progress=False).model
            for issue in find_label_issues(Tagger(model), [sentences[i] for i in held_out]):
                if issue.score >= args.min_score:
                    changes.setdefault(held_out[issue.sentence], {})[issue.token] = issue.suggested
            print(f"fold {k + 1}/{args.folds}: {sum(len(c) for c in changes.values())} tags to change so far", flush=True)
    relabelled = list(sentences)
    for i, tokens in sorted(changes.items()):
        tags = repair_iob2([tokens.get(t, tag) for t, tag in enumerate(sentences[i].tags)])
        relabelled[i] = Sentence(sentences[i].words, tuple(tags), sentences[i].pos)
    changed = [(i, t) for i in changes for t, (a, b) in enumerate(zip(sentences[i].tags, relabelled[i].tags)) if a != b]
    print(f"{len(changed)} tags changed in {len(changes)} of {len(train_idx)} training sentences")
    for i, t in changed[:20]:
        print(f"  sentence {i}: {sentences[i].words[t]!r} {sentences[i].tags[t]} -> {relabelled[i].tags[t]}")
    write_corpus(relabelled, args.out)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
