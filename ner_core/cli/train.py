"""``train``, ``train-method``, ``average`` and ``retrain``: models from a corpus, or from its corrections."""
from __future__ import annotations

import argparse
import functools
import json
import math
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..data.corpus import Split, default_corpus_path, load_split, read_corpus, split_corpus
from ..data.sentence_keys import sentence_key
from ..data.tags import WEAK_SHARE, TagSet
from ..models.checkpoint_dirs import check_replaceable, checkpoints_dir
from ..storage.datasets import DEFAULT_DATASET
from .options import DEFAULT_MODEL, GLOVE_ENCODER, FlagError, at_least, between, comma_names, device_arg, encoder_spec, recipe_args, type_margins


def _expand(types: Sequence[str], tagset: TagSet) -> tuple[str, ...]:
    """Entity types, the group names ``weak`` and ``strong`` standing for the tag set's."""
    out: list[str] = []
    for t in types:
        out += sorted(tagset.weak) if t == "weak" else list(tagset.strong) if t == "strong" else [t]
    unknown = sorted(set(out) - set(tagset.types))
    if unknown:
        raise ValueError(f"unknown entity type(s): {', '.join(unknown)}; the types are {', '.join(tagset.types)}")
    return tuple(out)


def _training_data(args: argparse.Namespace) -> tuple[Split, TagSet]:
    """``--data`` alone: the seeded 80/10/10 split of that file; with ``--dev``: the files as given.
    The tag set is the training part's, weak types by ``--weak-types`` or ``--weak-share``."""
    split = load_split(args.data or default_corpus_path(), args.dev)
    for source in split.sources:  # format, sizes, and what the reader converted or skipped
        print(source, file=sys.stderr)
    if args.limit:
        split = replace(split, train=split.train[: args.limit])
    how = "the files as given" if args.dev else "the file's seeded 80/10/10 split"
    print(f"training on {len(split.train):,} sentences, choosing epochs on {len(split.val):,} of the {split.val_name}"
          + (f", {len(split.test):,} held out as test" if split.test else "") + f" ({how})", file=sys.stderr)
    seen = {sentence_key(s) for s in split.train}
    repeated = sum(sentence_key(s) in seen for s in split.val)
    if repeated:
        print(f"warning: {repeated:,} of the {len(split.val):,} sentences of the {split.val_name} are also training sentences "
              "(word for word): their scores, and the epochs and recipe chosen by them, flatter the model", file=sys.stderr)
    untrained = TagSet.untrained(split.train, [*split.val, *split.test])
    if untrained:
        unscored = TagSet.untrained(split.val, split.train) if args.dev else ()  # the other way round: a renamed type?
        renamed = (f"; {', '.join(unscored)} {'is' if len(unscored) == 1 else 'are'} tagged in training but never in the "
                   f"{split.val_name}: if some are the same types under other names, give both files one set of names") if unscored else ""
        print(f"warning: {', '.join(untrained)} tagged only in the dev/test sentences, never in training: the models "
              f"cannot learn {'it' if len(untrained) == 1 else 'them'} and will miss every one{renamed}", file=sys.stderr)
    return split, TagSet.of_split(split.train, [*split.val, *split.test], args.weak_share, args.weak_types)


def _out_dir(args: argparse.Namespace) -> Path:
    """Where a training command writes: ``--out``, or ``--name`` under checkpoints/; checked before any training
    (an existing checkpoint is replaced only with ``--force``, any other non-empty directory never)."""
    if args.out:
        out = Path(args.out)
    elif args.name is not None:
        if args.name in ("", ".", "..") or Path(args.name).name != args.name:
            raise FlagError(f"--name {args.name!r}: give a plain name (no '/' or '..'); for a path use --out DIR")
        out = checkpoints_dir() / args.name
    else:
        raise FlagError("give --name NAME (a checkpoint under checkpoints/ or $NER_CHECKPOINTS) or --out DIR")
    check_replaceable(out, args.force)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from ..models.model import CRFTagger
    from ..training.method import Recipe, check_split_sizes
    from ..training.train import TrainConfig, train

    if args.name is None and args.out is None and args.data is None:
        args.name = DEFAULT_MODEL  # the shipped model is the default corpus's
    choice = _recipe_choice(args)  # a bad --recipe before "the checkpoint exists": its own mistake first (helper-81)
    out = _out_dir(args)
    encoder = encoder_spec(args.encoder)  # a bad --encoder is refused before any file is read
    split, tagset = _training_data(args)
    check_split_sizes(split, str(args.data or "the default corpus"), "give a larger file, or a dev file (--dev)")
    print(tagset.describe(), file=sys.stderr)
    train_set = split.train
    if args.others_per_weak is not None or args.oversample > 1:
        from ..training.sampling import weak_training_set

        train_set = weak_training_set(train_set, tagset.weak, args.others_per_weak or 0, args.oversample, args.seed)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
        seed=args.seed, threads=args.threads, mask_types=_expand(args.mask_types, tagset), lr_decay=args.lr_decay,
        average_from=args.average_from, device=args.device,
    )
    pos_tags = tuple(sorted({p for s in train_set if s.pos for p in s.pos})) if args.aux_pos else ()
    if args.aux_pos and not pos_tags:
        raise ValueError("--aux-pos needs a corpus with a POS column")
    # Training-only settings: given on the command line, they also apply to an --init-from model.
    margin_types = None if args.margin_types is None else _expand(args.margin_types, tagset)
    training_only = {k: v for k, v in (("dropout", args.dropout), ("recall_margin", args.recall_margin),
                                       ("margin_types", margin_types), ("type_margins", args.type_margins))
                     if v is not None}
    base = Recipe().model
    open_vocab = args.open_vocab if args.open_vocab is not None else base.open_vocab and not args.no_word_features
    model_config = replace(base, word_features=not args.no_word_features, encoder=encoder,
                           encoder_layers=args.encoder_layers, head=args.head,
                           hidden=args.hidden, lstm_layers=args.lstm_layers, open_vocab=open_vocab,
                           pos_tags=pos_tags, char_encoder=args.char_encoder, **training_only)
    if choice is not None:
        from ..training.recipes import train_recipe

        chosen = train_recipe(train_set, split.val, config, choice, replace(model_config, encoder=None), out, tagset,
                              log=functools.partial(print, file=sys.stderr))
        print(f"recipe {chosen.chosen}; best val micro F1 {chosen.result.best_score:.4f}{_bias(chosen.result.model)}; checkpoint in {out}")
        return 0
    model = None
    if args.init_from:
        from ..models.checkpoint import load_checkpoint

        model, _ = load_checkpoint(args.init_from)
        if not isinstance(model, CRFTagger):
            raise ValueError(f"--init-from {args.init_from}: not a tagger checkpoint")
        model.config = replace(model.config, **training_only)
    result = train(train_set, split.val, config, model_config, out_dir=out, model=model, tagset=tagset)
    print(f"best val micro F1 {result.best_score:.4f}{_bias(result.model)}; checkpoint in {out}")
    return 0


def _bias(model) -> str:
    """The tagging bias chosen on dev, for the closing line of a training command."""
    config = model.config
    return f" (with a tagging bias of {config.start_bias:+g} on B- tags, chosen on it)" if config.start_bias else ""


def _recipe_choice(args: argparse.Namespace):
    """``--recipe``, ``--budget`` and ``--encoder`` as a :class:`~ner_core.training.recipes.RecipeChoice`; ``None``
    for ``train`` with a model set by hand (``--encoder``, ``--no-word-features`` or ``--init-from`` without ``--recipe``)."""
    from ..models.encoder import MINILM, parse_encoder
    from ..training.recipes import RecipeChoice

    by_hand = [flag for flag, given in (("--init-from", getattr(args, "init_from", None)),
                                        ("--no-word-features", getattr(args, "no_word_features", False))) if given]
    if args.recipe is None and (by_hand or args.encoder):
        if args.budget is not None:
            raise FlagError("--budget bounds the recipes' training: give --recipe")
        return None
    if by_hand:
        raise FlagError(f"--recipe trains new models of its own: leave out {' and '.join(by_hand)}")
    if args.recipe == "glove" and args.encoder:
        raise FlagError(GLOVE_ENCODER)
    encoder = parse_encoder(encoder_spec(args.encoder))[0] if args.encoder else MINILM
    return RecipeChoice(args.recipe or "auto", args.budget, encoder)


def cmd_train_method(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..training.method import MethodSettings, Recipe, train_method
    from ..training.recipes import duration

    if args.dataset is not None:
        return _train_dataset(args)
    choice = _recipe_choice(args)
    out = _out_dir(args)
    split, tagset = _training_data(args)
    print(tagset.describe(), file=sys.stderr)
    if not tagset.weak:
        print("no weak type: training the single model only (no strong/weak taggers, detector or vote)", file=sys.stderr)
    recipe = Recipe()
    if args.open_vocab is not None:
        recipe = replace(recipe, model=replace(recipe.model, open_vocab=args.open_vocab))
    settings = MethodSettings(epochs=args.epochs, weak_epochs=args.weak_epochs, detector_epochs=args.detector_epochs,
                              threads=args.threads, seed=args.seed, batch_size=args.batch_size, recipe=recipe,
                              device=args.device, choice=choice)

    def report(event: dict) -> None:
        if "log" in event:  # a recipe choice's line: printed as it is said
            return
        if event["done"] == 0 and "batch" not in event:  # a stage starts
            eta = "" if not event["eta_seconds"] else f"; estimated at most {duration(event['eta_seconds'])} left in all"
            recipe = f" ({event['recipe']} recipe)" if event.get("recipe") else ""
            if event["stage"].endswith("timing each recipe"):  # the estimates follow, one line each
                tqdm.write(f"{event['stage']}{eta.replace(';', ':', 1)}", file=sys.stderr)
                return
            plan = "tuning the detector's threshold on dev" if event["stage"] == "threshold" else (
                f"up to {event['total']} epoch{'s' * (event['total'] != 1)}")
            tqdm.write(f"{event['stage']}{recipe}: {plan}{eta}", file=sys.stderr)

    summary = train_method(split, tagset, out, settings, report)
    what = "voted pipeline (strong, weak, detector)" if summary["pipeline"] else "single model"
    print(f"{what} in {out}; dev micro F1 {summary['dev_micro_f1']:.4f}", file=sys.stderr)
    for line in summary["warnings"]:  # a tagger that found no entity of its types on dev
        print(f"warning: {line}", file=sys.stderr)
    print(json.dumps(summary))  # stdout holds this JSON line alone (helper-100: a text line before it)
    return 0


def _train_dataset(args: argparse.Namespace) -> int:
    """``train-method --dataset D``: the Retrain page's Train models, from the command line (helper-100: a pipeline could
    not train an imported dataset's first models without a browser): D's corrected and added sentences, its own split,
    under the job lock, into a registry entry of D (activated if D had none)."""
    from ..workbench.jobs import JobError, run_here
    from ..workbench.retrain import TrainMethodSpec, check_trainable

    own = ("data", "dev", "name", "out", "force", "encoder", "seed", "batch_size", "open_vocab", "weak_share")  # the file run's
    given = [f"--{k.replace('_', '-')}" for k in own if getattr(args, k) != args.command_parser.get_default(k)]
    if given:
        raise FlagError(f"--dataset trains the dataset's own sentences with the app's settings into its registry: leave out "
                        f"{', '.join(given)}")
    _recipe_choice(args)  # a bad --recipe or --budget: refused before anything is read
    spec = TrainMethodSpec(args.dataset, args.epochs, args.weak_epochs, args.detector_epochs, threads=args.threads,
                           limit=args.limit, recipe=args.recipe or "auto", budget_minutes=args.budget, weak_types=args.weak_types)
    check_trainable(spec)  # too small to split, no weak entity on val: refused before a job is recorded
    try:
        result = run_here("train-method", spec, args.dataset, echo=lambda event: print(json.dumps(event), file=sys.stderr, flush=True))
    except JobError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    entry, dataset = result["entry"]["id"], shlex.quote(args.dataset)
    print(f"registered {entry}" + (" and activated it: the dataset had no model" if result["activated"] else
                                   f" (not active); activate it on the Registry page, or with `registry activate {entry} --dataset {dataset}`"))
    for system, c in result["comparisons"].items():
        print(f"{system}: test micro F1 {c['old']['micro_f1']:.4f} -> {c['new']['micro_f1']:.4f}")
    for line in result["warnings"]:
        print(f"warning: {line}", file=sys.stderr)
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import evaluate
    from ..models.checkpoint import average_checkpoints, load_checkpoint
    from ..models.tagger import Tagger

    check_replaceable(args.out, args.force)
    out = average_checkpoints(args.checkpoints, args.out)
    val = split_corpus(read_corpus(args.data or default_corpus_path())).val
    for path in [*args.checkpoints, out]:
        model, meta = load_checkpoint(path)
        masked = meta.get("train", {}).get("mask_types", ())
        print(f"{path}: val micro F1 {evaluate(Tagger(model), val, masked)['micro_f1']:.4f}")
    return 0


def cmd_retrain(args: argparse.Namespace) -> int:
    from ..workbench.jobs import JobError, run_here
    from ..workbench.retrain import RetrainSpec, check_retrainable

    spec = RetrainSpec(args.models, not args.scratch, args.epochs, args.threads, args.limit, dataset=args.dataset)
    check_retrainable(spec)  # refused before a job is recorded
    try:  # the same one-at-a-time lock as the app's background jobs
        result = run_here("retrain", spec, args.dataset, echo=lambda event: print(json.dumps(event), file=sys.stderr, flush=True))
    except JobError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    entry = result["entry"]
    print(f"registered {entry['id']} (not active); activate it on the app's Registry page, or with "
          f"`registry activate {entry['id']} --dataset {shlex.quote(args.dataset)}`")
    for system, c in result["comparisons"].items():
        corrected = (f"; corrected sentences {c['old_corrected']['micro_f1']:.4f} -> {c['new_corrected']['micro_f1']:.4f}"
                     if "new_corrected" in c else "")
        print(f"{system}: test micro F1 {c['old']['micro_f1']:.4f} -> {c['new']['micro_f1']:.4f}{corrected}")
    for line in result["worse"]:
        print(f"warning: the new models score lower: {line}; the active ones stay unless you activate this entry", file=sys.stderr)
    return 0


def _data_args(p: argparse.ArgumentParser) -> None:
    """The training data and what the training commands share."""
    p.add_argument("--data", type=Path, help="training file, any format (default: $NER_CORPUS, else ../shared/data/ner_dataset.csv.zip); "
                   "alone it is split 80/10/10 (seeded) and the 80 trains")
    p.add_argument("--dev", type=Path, help="dev file for early stopping (then all of --data trains)")
    p.add_argument("--out", help="output directory (overrides --name)")
    p.add_argument("--force", action="store_true", help="replace the checkpoint already at --name or --out")
    weak = p.add_mutually_exclusive_group()  # one rule or the other: a share beside named types was ignored (helper-93)
    weak.add_argument("--weak-types", type=comma_names, help="the weak (rare) types, e.g. 'art,eve,nat' "
                      "(default: types under --weak-share of the training entities)")
    weak.add_argument("--weak-share", type=between(0, 1), default=WEAK_SHARE,
                      help=f"a type with less than this share of the training entities is weak (default {WEAK_SHARE})")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=at_least(1), default=2)
    p.add_argument("--limit", type=at_least(1), help="use only the first N training sentences")
    device_arg(p)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a Bi-LSTM-CRF on a corpus's tag set")
    _data_args(p)
    p.add_argument("--name", help="checkpoint name under checkpoints/ or $NER_CHECKPOINTS (default without --data: bilstm_crf)")
    p.add_argument("--mask-types", type=comma_names, default=(), help="types set to O, e.g. 'weak' or 'art,eve,nat'")
    p.add_argument("--epochs", type=at_least(1), default=30)
    p.add_argument("--patience", type=at_least(1), default=4)
    p.add_argument("--batch-size", type=at_least(1), default=32)
    p.add_argument("--lr", type=between(0, 1), default=2e-3)
    p.add_argument("--lr-decay", type=between(0, 1, high_ok=True), default=0.5, help="lr factor after an epoch without improvement (1: constant)")
    p.add_argument("--average-from", type=at_least(0), default=0,
                   help="average the weights from this epoch on (stochastic weight averaging; 0: off)")
    p.add_argument("--hidden", type=at_least(1), default=128)
    p.add_argument("--lstm-layers", type=at_least(1), default=1)
    p.add_argument("--aux-pos", action="store_true", help="also learn the corpus's POS tags (training only)")
    p.add_argument("--head", choices=("lstm", "ff"), default="lstm", help="BiLSTM or feed-forward (BERT-FF)")
    p.add_argument("--encoder", help="add frozen encoder word features: minilm (the packaged MiniLM-L6), a local directory "
                                      "holding a transformer (e.g. bert-base-cased) or a model in the local Hugging Face "
                                      "cache; -first or -mean at the end picks the sub-word pooling (default first). "
                                      "Nothing is downloaded")
    p.add_argument("--encoder-layers", choices=("last", "all"), default="last",
                   help="with --encoder: a word's state from the encoder's last layer or the mean of all its layers "
                   "(what the fused recipe uses)")
    p.add_argument("--open-vocab", action=argparse.BooleanOptionalAction,
                   help="frozen GloVe vectors for every word GloVe knows, not only the training words (default: on, "
                   "with word features)")
    p.add_argument("--char-encoder", choices=("cnn", "lstm"), default="cnn", help="char features: CNN or BiLSTM")
    p.add_argument("--dropout", type=between(0, 1, low_ok=True), help="dropout rate (default 0.4; with --init-from: the checkpoint's)")
    p.add_argument("--recall-margin", type=between(0, math.inf, low_ok=True),
                   help="softmax-margin cost of missing a gold entity (the CRF's class weight; default 0: plain NLL)")
    p.add_argument("--margin-types", type=comma_names, help="types the margin applies to, or 'weak' (default: all)")
    p.add_argument("--type-margins", type=type_margins, help="a margin per type, e.g. 'art=6,eve=3' (overrides --recall-margin)")
    p.add_argument("--no-word-features", action="store_true", help="drop GloVe/char/casing inputs (BERT-FF)")
    p.add_argument("--init-from", help="warm start from this checkpoint (name or directory); its architecture is kept, "
                   "--dropout and the margins apply when given")
    p.add_argument("--others-per-weak", type=float, help="keep weak sentences and this many others per weak one")
    p.add_argument("--oversample", type=at_least(1), default=1, help="repeat weak sentences this many times")
    recipe_args(p, "(default: auto; a model set by hand with --encoder, --no-word-features or --init-from: that model)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-method", help="train strong and weak taggers, the detector and the voted pipeline")
    _data_args(p)
    p.add_argument("--name", help="name under checkpoints/ (or $NER_CHECKPOINTS) for the pipeline and its members")
    p.add_argument("--epochs", type=at_least(1), default=30, help="most epochs of the strong tagger (early stopping on dev)")
    p.add_argument("--weak-epochs", type=at_least(1), default=40, help="most epochs of the weak tagger")
    p.add_argument("--detector-epochs", type=at_least(1), default=6, help="most epochs of the detector")
    p.add_argument("--batch-size", type=at_least(1), default=32, help="sentences per batch of the taggers (default 32)")
    p.add_argument("--open-vocab", action=argparse.BooleanOptionalAction,
                   help="frozen GloVe vectors for every word GloVe knows (default: on)")
    p.add_argument("--encoder", help="the encoder of the fused and finetune recipes: minilm (default), a local directory "
                   "holding a transformer or a model in the local Hugging Face cache")
    recipe_args(p, "of the strong (or single) tagger, chosen on dev; the weak tagger follows it (default: auto)")
    p.add_argument("--dataset", help="train a dataset of the workbench (its corrected and added sentences, its own split) "
                   "into its registry, as the Retrain page's Train models does; its first entry is activated")
    p.set_defaults(func=cmd_train_method)

    p = sub.add_parser("average", help="average the weights of taggers of one architecture (a model soup)")
    p.add_argument("checkpoints", nargs="+", help="checkpoint names or directories")
    p.add_argument("--out", required=True, help="directory for the averaged checkpoint")
    p.add_argument("--force", action="store_true", help="replace the checkpoint already at --out")
    p.add_argument("--data", type=Path, help="corpus for the val scores printed (default: the default corpus)")
    p.set_defaults(func=cmd_average)

    p = sub.add_parser("retrain", help="retrain models from the corrected corpus into a new registry entry")
    p.add_argument("--models", type=lambda v: [m for m in v.split(",") if m], default=["strong", "weak", "detector"],
                   help="comma-separated: bilstm_crf, strong, weak, detector, bert_ff, bert_strong, bert_weak")
    p.add_argument("--scratch", action="store_true", help="train from scratch instead of warm-starting from the active models")
    p.add_argument("--epochs", type=at_least(1), default=3)
    p.add_argument("--threads", type=at_least(1), default=2)
    p.add_argument("--limit", type=at_least(1), help="train on the first N training sentences only")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="the dataset whose active models are retrained (default: default, "
                   "the shipped models; an imported one once its first models are trained: they sit inside its voted pipeline)")
    p.set_defaults(func=cmd_retrain, device=None)  # no --device: $NER_DEVICE, checked (_device_env) before the job starts
