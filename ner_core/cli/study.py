"""``experiments``: the study's Tables 2-4 on the test split."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..data.corpus import default_corpus_path, read_corpus, split_corpus
from ..models.checkpoint_dirs import checkpoints_dir, is_checkpoint
from .options import at_least


def cmd_experiments(args: argparse.Namespace) -> int:
    from ..study.experiments import run_experiments
    from ..training.method import MethodSettings

    root = Path(args.checkpoints) if args.checkpoints else checkpoints_dir()
    if args.retrain and not args.force and any(is_checkpoint(d) for d in [root, *(root.iterdir() if root.is_dir() else [])]):
        raise ValueError(f"--retrain replaces every checkpoint under {root}: add --force to replace them, or give "
                         "--checkpoints NEW_DIR")
    split = split_corpus(read_corpus(args.data or default_corpus_path()))
    if args.limit:
        split = type(split)(split.train[: args.limit], split.val[: args.limit], split.test[: args.limit])
    retrain = None
    if args.retrain:
        retrain = MethodSettings(epochs=args.epochs, weak_epochs=args.epochs + 10, detector_epochs=args.detector_epochs, threads=args.threads)
    run_experiments(split, Path(args.out), root, retrain)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiments", help="regenerate Tables 2-4 on the test split")
    p.add_argument("--out", default="reports", help="directory for the markdown tables")
    p.add_argument("--data", type=Path, help="corpus file (default: $NER_CORPUS, else ../shared/data/ner_dataset.csv.zip)")
    p.add_argument("--checkpoints", help="checkpoint directory (default: checkpoints/)")
    p.add_argument("--retrain", action="store_true", help="retrain every model first (long: every tagger, 12 detectors)")
    p.add_argument("--force", action="store_true", help="with --retrain: replace the checkpoints already there")
    p.add_argument("--epochs", type=at_least(1), default=30)
    p.add_argument("--detector-epochs", type=at_least(1), default=6)
    p.add_argument("--threads", type=at_least(1), default=2)
    p.add_argument("--limit", type=at_least(1), help="use only the first N sentences of each split (for a quick check)")
    p.set_defaults(func=cmd_experiments)
