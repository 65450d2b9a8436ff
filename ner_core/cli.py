"""``python -m ner_core {train,average,evaluate,predict,...}``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .checkpoint import CheckpointError, checkpoints_dir
from .corpus import CorpusError, Sentence, default_corpus_path, read_corpus, split_corpus
from .tags import ENTITY_TYPES, STRONG_TYPES, WEAK_TYPES

DEFAULT_MODEL = "bilstm_crf"
TYPE_GROUPS = {"weak": sorted(WEAK_TYPES), "strong": sorted(STRONG_TYPES)}


def _type_margins(value: str) -> tuple[tuple[str, float], ...]:
    """``"art=6,eve=3"`` -> ``(("art", 6.0), ("eve", 3.0))``."""
    try:
        pairs = tuple((t, float(m)) for t, m in (part.split("=") for part in filter(None, value.split(","))))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected type=margin pairs such as art=6,eve=3, got {value!r}") from None
    unknown = {t for t, _ in pairs} - set(ENTITY_TYPES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown entity type(s): {', '.join(sorted(unknown))}")
    return pairs


def _types(value: str) -> tuple[str, ...]:
    """``"art,eve"`` or a group name (``weak`` / ``strong``) -> entity types."""
    types: list[str] = []
    for part in filter(None, value.split(",")):
        types += TYPE_GROUPS.get(part, [part])
    unknown = set(types) - set(ENTITY_TYPES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown entity type(s): {', '.join(sorted(unknown))}")
    return tuple(types)


def _load_data(path: Path | None, split: str | None) -> list[Sentence]:
    """A file's sentences; with ``split``, that part of the project's split of it."""
    sentences = read_corpus(path or default_corpus_path())
    return split_corpus(sentences).part(split) if split and split != "all" else sentences


def _model_path(args: argparse.Namespace) -> Path:
    return Path(args.checkpoint) if args.checkpoint else checkpoints_dir() / args.model


def cmd_train(args: argparse.Namespace) -> int:
    from .model import CRFTagger, ModelConfig
    from .train import TrainConfig, train

    split = split_corpus(read_corpus(args.data or default_corpus_path()))
    train_set = split.train[: args.limit] if args.limit else split.train
    if args.others_per_weak is not None or args.oversample > 1:
        from .sampling import weak_training_set

        train_set = weak_training_set(train_set, args.others_per_weak or 0, args.oversample, args.seed)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
        seed=args.seed, threads=args.threads, mask_types=args.mask_types, lr_decay=args.lr_decay,
        average_from=args.average_from,
    )
    out = Path(args.out) if args.out else checkpoints_dir() / args.name
    pos_tags = tuple(sorted({p for s in train_set if s.pos for p in s.pos})) if args.aux_pos else ()
    if args.aux_pos and not pos_tags:
        raise ValueError("--aux-pos needs a corpus with a POS column")
    # Training-only settings: given on the command line, they also apply to an --init-from model.
    training_only = {k: v for k, v in (("dropout", args.dropout), ("recall_margin", args.recall_margin),
                                       ("margin_types", args.margin_types), ("type_margins", args.type_margins))
                     if v is not None}
    model_config = ModelConfig(word_features=not args.no_word_features, encoder=args.encoder, head=args.head, hidden=args.hidden,
                               lstm_layers=args.lstm_layers, open_vocab=args.open_vocab,
                               pos_tags=pos_tags, char_encoder=args.char_encoder, **training_only)
    model = None
    if args.init_from:
        from dataclasses import replace

        from .checkpoint import load_checkpoint

        model, _ = load_checkpoint(args.init_from)
        if not isinstance(model, CRFTagger):
            raise ValueError(f"--init-from {args.init_from}: not a tagger checkpoint")
        model.config = replace(model.config, **training_only)
    result = train(train_set, split.val, config, model_config, out_dir=out, model=model)
    print(f"best val micro F1 {result.best_score:.4f}; checkpoint in {out}")
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from .checkpoint import average_checkpoints, load_checkpoint
    from .evaluate import evaluate
    from .tagger import Tagger

    out = average_checkpoints(args.checkpoints, args.out)
    val = split_corpus(read_corpus(args.data or default_corpus_path())).val
    for path in [*args.checkpoints, out]:
        model, meta = load_checkpoint(path)
        masked = meta.get("train", {}).get("mask_types", ())
        print(f"{path}: val micro F1 {evaluate(Tagger(model), val, masked)['micro_f1']:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate
    from .metrics import format_table
    from .pipeline import load_any

    split = args.split or ("all" if args.data else "test")
    sentences = _load_data(args.data, split)
    model = load_any(_model_path(args))
    masked = getattr(model, "meta", {}).get("train", {}).get("mask_types", ())
    scores = evaluate(model, sentences, masked)
    print(format_table(scores))
    print(f"{scores['sentences']} sentences, {scores['tokens']} tokens, {scores['seconds']} s")
    if args.json:
        keys = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall", "per_type")
        print(json.dumps({k: scores[k] for k in keys} | {k: scores[k] for k in ("sentences", "tokens", "seconds")}))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .tagger import Tagger
    from .tokenize import tokenize

    sentences = tokenize(args.text)
    if not sentences:
        print("error: the text is empty; nothing to tag", file=sys.stderr)
        return 1
    tagged = Tagger.from_checkpoint(_model_path(args)).tag(sentences)
    if args.json:
        rows = [[{"token": w, "tag": t, "prob": round(p, 4)} for w, t, p in zip(s.words, s.tags, s.probs)] for s in tagged]
        print(json.dumps(rows))
    else:
        for sentence in tagged:
            for word, tag, prob in zip(sentence.words, sentence.tags, sentence.probs):
                print(f"{word}\t{tag}\t{prob:.3f}")
            print()
    return 0


def cmd_experiments(args: argparse.Namespace) -> int:
    from .experiments import RetrainSettings, run_experiments

    split = split_corpus(read_corpus(args.data or default_corpus_path()))
    if args.limit:
        split = type(split)(split.train[: args.limit], split.val[: args.limit], split.test[: args.limit])
    retrain = None
    if args.retrain:
        retrain = RetrainSettings(epochs=args.epochs, weak_epochs=args.epochs + 10, detector_epochs=args.detector_epochs, threads=args.threads)
    root = Path(args.checkpoints) if args.checkpoints else None
    run_experiments(split, Path(args.out), root, retrain)
    return 0


def cmd_label_issues(args: argparse.Namespace) -> int:
    from .label_issues import find_label_issues
    from .tagger import Tagger

    split = args.split or ("all" if args.data else "test")
    sentences = _load_data(args.data, split)
    issues = find_label_issues(Tagger.from_checkpoint(_model_path(args)), sentences, args.top)
    for issue in issues:
        words = sentences[issue.sentence].words
        context = " ".join(words[max(0, issue.token - 4) : issue.token + 5])
        print(f"{issue.score:.4f}\tsentence {issue.sentence} token {issue.token} {words[issue.token]!r}: "
              f"{issue.given} -> {issue.suggested}\t{context}")
    if args.json:
        print(json.dumps([i.to_dict() for i in issues]))
    return 0


def cmd_retrain(args: argparse.Namespace) -> int:
    from .jobs import run_job
    from .retrain import RetrainSpec, run_retrain

    if args.job:
        return run_job(Path(args.job))
    spec = RetrainSpec(args.models, not args.scratch, args.epochs, args.threads, args.limit)

    def report(event: dict) -> None:
        print(json.dumps(event), flush=True)

    result = run_retrain(spec, report)
    entry = result["entry"]
    print(f"registered {entry['id']} (not active); activate it from the app's registry page")
    for system, c in result["comparisons"].items():
        print(f"{system}: test micro F1 {c['old']['micro_f1']:.4f} -> {c['new']['micro_f1']:.4f}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from .db import make_engine
    from .users import add_user, list_users

    engine = make_engine()
    if args.action == "list":
        for user in list_users(engine):
            print(f"{user.name}\t{user.role}")
        return 0
    if not args.name or not args.role:
        raise ValueError("users add needs NAME and --role")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ; nothing was stored")
    user = add_user(engine, args.name, args.role, password)
    print(f"added {user.name} ({user.role})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ner_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def model_args(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--model", default=DEFAULT_MODEL, help="checkpoint name under checkpoints/")
        group.add_argument("--checkpoint", help="checkpoint directory")

    p = sub.add_parser("train", help="train a Bi-LSTM-CRF on the train split")
    p.add_argument("--data", type=Path, help="corpus file (default: $NER_CORPUS or ../shared/data)")
    p.add_argument("--name", default=DEFAULT_MODEL, help="checkpoint name under checkpoints/")
    p.add_argument("--out", help="checkpoint directory (overrides --name)")
    p.add_argument("--mask-types", type=_types, default=(), help="types set to O, e.g. 'weak' or 'art,eve,nat'")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--lr-decay", type=float, default=0.5, help="lr factor after an epoch without improvement (1: constant)")
    p.add_argument("--average-from", type=int, default=0,
                   help="average the weights from this epoch on (stochastic weight averaging; 0: off)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lstm-layers", type=int, default=1)
    p.add_argument("--aux-pos", action="store_true", help="also learn the corpus's POS tags (training only)")
    p.add_argument("--head", choices=("lstm", "ff"), default="lstm", help="BiLSTM or feed-forward (BERT-FF)")
    p.add_argument("--encoder", choices=("minilm-first", "minilm-mean"), help="add frozen MiniLM word features")
    p.add_argument("--open-vocab", action="store_true",
                   help="frozen GloVe vectors for every word GloVe knows (not only the training words)")
    p.add_argument("--char-encoder", choices=("cnn", "lstm"), default="cnn", help="char features: CNN or BiLSTM")
    p.add_argument("--dropout", type=float, help="dropout rate (default 0.5; with --init-from: the checkpoint's)")
    p.add_argument("--recall-margin", type=float,
                   help="softmax-margin cost of missing a gold entity (the CRF's class weight; default 0: plain NLL)")
    p.add_argument("--margin-types", type=_types, help="types the margin applies to (default: all)")
    p.add_argument("--type-margins", type=_type_margins, help="a margin per type, e.g. 'art=6,eve=3' (overrides --recall-margin)")
    p.add_argument("--no-word-features", action="store_true", help="drop GloVe/char/casing inputs (BERT-FF)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="use only the first N training sentences")
    p.add_argument("--init-from", help="warm start from this checkpoint (name or directory); its architecture is kept, "
                   "--dropout and the margins apply when given")
    p.add_argument("--others-per-weak", type=float, help="keep weak sentences and this many others per weak one")
    p.add_argument("--oversample", type=int, default=1, help="repeat weak sentences this many times")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("average", help="average the weights of taggers of one architecture (a model soup)")
    p.add_argument("checkpoints", nargs="+", help="checkpoint names or directories")
    p.add_argument("--out", required=True, help="directory for the averaged checkpoint")
    p.add_argument("--data", type=Path, help="corpus for the val scores printed (default: the default corpus)")
    p.set_defaults(func=cmd_average)

    p = sub.add_parser("evaluate", help="entity-level scores on a corpus file")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--split", choices=("train", "val", "test", "all"), help="part of the file's split to score")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    model_args(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="tag free text")
    p.add_argument("--text", required=True)
    p.add_argument("--json", action="store_true")
    model_args(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("label-issues", help="rank gold tags that are likely wrong (cleanlab)")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--split", choices=("train", "val", "test", "all"), help="part of the file's split to check")
    p.add_argument("--top", type=int, help="show only the N most suspicious")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    model_args(p)
    p.set_defaults(func=cmd_label_issues)

    p = sub.add_parser("retrain", help="retrain models from the corrected corpus into a new registry entry")
    p.add_argument("--models", type=lambda v: [m for m in v.split(",") if m], default=["strong", "weak", "detector"],
                   help="comma-separated: bilstm_crf, strong, weak, detector, bert_ff, bert_strong, bert_weak")
    p.add_argument("--scratch", action="store_true", help="train from scratch instead of warm-starting from the active models")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="train on the first N training sentences only")
    p.add_argument("--job", help=argparse.SUPPRESS)  # the app's background process
    p.set_defaults(func=cmd_retrain)

    p = sub.add_parser("users", help="add or list the people who sign in to the app (none: one person, no sign-in)")
    p.add_argument("action", choices=("add", "list"))
    p.add_argument("name", nargs="?", help="user name (add): letters, digits, '_', '.', '-'")
    p.add_argument("--role", help="annotator, reviewer or admin (each may do what the roles before it may)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin (else prompt)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("experiments", help="regenerate Tables 2-4 on the test split")
    p.add_argument("--out", default="reports", help="directory for the markdown tables")
    p.add_argument("--data", type=Path, help="corpus file (default: $NER_CORPUS or ../shared/data)")
    p.add_argument("--checkpoints", help="checkpoint directory (default: checkpoints/)")
    p.add_argument("--retrain", action="store_true", help="retrain every model first (long: every tagger, 12 detectors)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--detector-epochs", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="use only the first N sentences of each split (for a quick check)")
    p.set_defaults(func=cmd_experiments)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CorpusError, CheckpointError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
