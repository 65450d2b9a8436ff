"""``label-issues``: gold tags that are likely wrong, scored by a model or by fold models trained on the file."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data.corpus import SPLITS, Sentence, default_corpus_path, read_corpus
from ..models.checkpoint_dirs import check_replaceable
from .options import GLOVE_ENCODER, FlagError, at_least, encoder_spec, existing_model, load_data, load_model, model_args, model_path, recipe_args, refuse_unknown_tags


def cmd_label_issues(args: argparse.Namespace) -> int:
    from ..quality.label_issues import find_label_issues

    fold_only = [flag for flag, given in (("--init-from", args.init_from), ("--recipe", args.recipe), ("--budget", args.budget),
                                          ("--models-dir", args.models_dir), ("--encoder", args.encoder)) if given is not None]
    if fold_only and not args.cross_val:
        raise FlagError(f"{', '.join(fold_only)} set(s) the fold models of --cross-val K: add --cross-val, or leave "
                        f"{'it' if len(fold_only) == 1 else 'them'} out to score with --model's tagger")
    cross_val = _cross_val_settings(args) if args.cross_val else None  # refused before the data is read
    split = args.split or ("all" if args.data else "test")
    path = None if cross_val else existing_model(args)
    read, sentences = load_data(args.data, split)
    if cross_val:
        issues = _cross_val_issues(args, sentences, *cross_val)
    else:
        model = load_model(path, args.device)
        refuse_unknown_tags(model.labels, sentences, read, "score it with a model trained on these tags, or with "
                                                             "--cross-val K (fold models trained on this file)")
        issues = find_label_issues(model, sentences)
    if split != "all":  # report positions in the file, not in the split
        from dataclasses import replace

        from ..data.corpus import split_indices

        whole = read_corpus(args.data or default_corpus_path())
        index = split_indices(len(whole), covering=whole)[SPLITS.index(split)]
        issues = [replace(i, sentence=index[i.sentence]) for i in issues]
        sentences = dict(zip(index, sentences))
    issues = issues[: args.top] if args.top else issues
    if args.json:  # stdout holds only the JSON; progress goes to stderr
        print(json.dumps([i.to_dict() | {"word": sentences[i.sentence].words[i.token]} for i in issues]))
        return 0
    for issue in issues:
        words = sentences[issue.sentence].words
        context = " ".join(words[max(0, issue.token - 4) : issue.token + 5])
        print(f"{issue.score:.6f}\tsentence {issue.sentence} token {issue.token} {words[issue.token]!r}: "  # 6 places: the surest flags differ past the 4th
              f"{issue.given} -> {issue.suggested}\t{context}")
    return 0


def _cross_val_settings(args: argparse.Namespace) -> tuple:
    """The fold models' :class:`~ner_core.training.cross_val.CrossValConfig` and the tagger they may start from."""
    from ..models.encoder import MINILM, parse_encoder
    from ..training.cross_val import CrossValConfig

    recipe = args.recipe or ("warm" if args.init_from else "auto")
    if args.init_from and recipe not in ("warm", "auto"):
        raise FlagError("--init-from starts every fold model from one checkpoint: leave out --recipe (or give auto)")
    if recipe in ("glove", "warm") and args.encoder:
        raise FlagError(GLOVE_ENCODER.replace("--recipe glove uses", f"--recipe {recipe} uses"))
    if recipe == "warm" and not args.init_from and not model_path(args).is_dir():
        raise ValueError(f"--recipe warm starts every fold model from the tagger --model or --checkpoint names, and there is "
                         f"none at {model_path(args)}: give --init-from CKPT or another tagger (one that never saw this data), "
                         "or --recipe auto")
    encoder = parse_encoder(encoder_spec(args.encoder))[0] if args.encoder else MINILM
    config = CrossValConfig(folds=args.cross_val, epochs=args.cv_epochs, batch_size=args.cv_batch_size, threads=args.threads,
                            recipe=recipe, encoder=encoder, budget_minutes=args.budget, warm_epochs=args.warm_epochs)
    # warm starts from --model's tagger unless --init-from names one; auto tries that too, where it never saw the data
    init_from = args.init_from or (model_path(args) if recipe in ("auto", "warm") else None)
    if args.models_dir:  # checked before any fold trains: fold models replace only fold models
        for k in range(args.cross_val):
            check_replaceable(Path(args.models_dir) / f"fold{k}")
    return config, init_from


def _cross_val_issues(args: argparse.Namespace, sentences: list[Sentence], config, init_from: str | None) -> list:
    """Label issues of ``sentences`` scored by K fold models (``config``), each trained on the other folds."""
    import tempfile

    from ..quality.label_issues import issues_from_marginals
    from ..training.cross_val import cross_validate, fold_caution

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.models_dir) if args.models_dir else Path(scratch)
        result = cross_validate(sentences, config, out, init_from=init_from)
    from ..workbench.registry import recipe_line

    print(f"fold models: {recipe_line(result.recipe)}", file=sys.stderr)
    if caution := fold_caution(result.recipe):
        print(f"warning: {caution}: --cv-epochs, --init-from", file=sys.stderr)
    return issues_from_marginals(sentences, result.marginals, result.labels, folds=result.folds, agreement=not result.warm)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("label-issues", help="rank gold tags that are likely wrong (cleanlab)")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--split", choices=(*SPLITS, "all"), help="part of the file's split to check (default: all of --data; the default corpus's test split)")
    p.add_argument("--top", type=at_least(1), help="show only the N most suspicious")
    p.add_argument("--json", action="store_true",
                   help="print only one JSON line: a list of {sentence (index in the file), token, word, given, "
                        "suggested, score, fold}, most suspicious first")
    p.add_argument("--cross-val", type=at_least(2), metavar="K",
                   help="score out-of-sample: train K taggers, each on the other folds of the data, and score every "
                        "sentence with the one that did not see it (fast settings: BiLSTM 64, batches of 64, lr 3e-3, "
                        "a fixed number of epochs; one fold takes about K-1/K of the data times --cv-epochs)")
    p.add_argument("--cv-epochs", type=at_least(1), default=8, help="epochs per fold model trained from scratch (default 8)")
    p.add_argument("--cv-batch-size", type=at_least(1), default=64, help="batch size of the fold models (default 64)")
    p.add_argument("--threads", type=at_least(1), default=1, help="torch threads for the fold models (default 1)")
    p.add_argument("--init-from", help="with --cross-val: start each fold model from this tagger (recipe warm; with "
                   "--recipe auto, one candidate); refused unless the checkpoint records its training data and trained "
                   "on at most 5%% of the data's sentences (auto, the default, tries --model's tagger this way by itself)")
    p.add_argument("--warm-epochs", type=at_least(1), default=1, help="with --cross-val: epochs of a warm-started fold model (default 1)")
    p.add_argument("--models-dir", help="with --cross-val: keep the fold models here (default: a temporary directory)")
    p.add_argument("--encoder", help="with --cross-val: the encoder of the fused and finetune fold models: minilm "
                   "(default), a local directory holding a transformer or a model in the local Hugging Face cache")
    recipe_args(p, "of the fold models with --cross-val (default: auto, chosen on the first fold, warm among its "
                "candidates where --model's tagger never saw the data; warm with --init-from)",
                "warm (each fold model starts from --init-from, else --model's tagger) ")
    model_args(p, threads=False)  # its --threads serves both
    p.set_defaults(func=cmd_label_issues)
