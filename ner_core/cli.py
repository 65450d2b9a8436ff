"""``python -m ner_core {train,average,evaluate,predict,...}``."""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .data.corpus import SPLITS, UNLABELLED_KINDS, CorpusError, CorpusFile, Sentence, Split, default_corpus_path, load_corpus, load_split, read_corpus, split_corpus
from .data.sentence_keys import sentence_key
from .data.tags import WEAK_SHARE, TagSet
from .storage.datasets import DEFAULT_DATASET
from .models.checkpoint_dirs import CheckpointError, check_replaceable, checkpoints_dir, is_checkpoint

DEFAULT_MODEL = "bilstm_crf"
MINING_MODEL = "voted"  # mining aims at the rare types: the detector and the weak tagger are needed
MINE_TABLE_CHARS = 160  # characters of a sentence shown in mine's table


def _type_margins(value: str) -> tuple[tuple[str, float], ...]:
    """``"art=6,eve=3"`` -> ``(("art", 6.0), ("eve", 3.0))`` (the model checks the types)."""
    try:
        return tuple((t, float(m)) for t, m in (part.split("=") for part in filter(None, value.split(","))))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected type=margin pairs such as art=6,eve=3, got {value!r}") from None


def _at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low`` (argparse names the flag in its error)."""
    def parse(value: str) -> int:
        number = int(value)
        if number < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {number}")
        return number
    parse.__name__ = "integer"  # argparse's "invalid integer value" for non-numbers
    return parse


def _between(low: float, high: float, low_ok: bool = False, high_ok: bool = False) -> Callable[[str], float]:
    """An argparse type: a number between ``low`` and ``high`` (each included only when ``*_ok``)."""
    def parse(value: str) -> float:
        number = float(value)
        if not (low < number < high or low_ok and number == low or high_ok and number == high):
            interval = f"{'[' if low_ok else '('}{low:g}, {high:g}{']' if high_ok else ')'}"
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {value}")
        return number
    parse.__name__ = "number"
    return parse


def _names(value: str) -> tuple[str, ...]:
    """``"art,eve"`` -> ``("art", "eve")``."""
    return tuple(filter(None, (part.strip() for part in value.split(","))))


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
            raise ValueError(f"--name {args.name!r}: give a plain name (no '/' or '..'); for a path use --out DIR")
        out = checkpoints_dir() / args.name
    else:
        raise ValueError("give --name NAME (a checkpoint under checkpoints/ or $NER_CHECKPOINTS) or --out DIR")
    check_replaceable(out, args.force)
    return out


def _load_data(path: Path | None, split: str | None) -> tuple[CorpusFile, list[Sentence]]:
    """A file read (its summary on stderr) and its sentences; with ``split``, that part of the project's split of it."""
    read = load_corpus(path or default_corpus_path())
    print(read.summary(), file=sys.stderr)
    sentences = read.sentences
    return read, split_corpus(sentences).part(split) if split and split != "all" else sentences


def _model_path(args: argparse.Namespace) -> Path:
    return Path(args.checkpoint) if args.checkpoint else checkpoints_dir() / args.model


def _existing_model(args: argparse.Namespace) -> Path:
    """The model that ``--model`` / ``--checkpoint`` name, checked before any input is read."""
    path = _model_path(args)
    if path.is_dir():
        return path
    if args.checkpoint:
        raise CheckpointError(f"no checkpoint at {path}: give --checkpoint a directory that `train` or `train-method` wrote")
    there = sorted(d.name for d in checkpoints_dir().iterdir() if d.is_dir()) if checkpoints_dir().is_dir() else []
    raise CheckpointError(f"no model {args.model!r} under {checkpoints_dir()} ($NER_CHECKPOINTS): give --model one of "
                          f"{', '.join(there) or '(none there)'}, or --checkpoint DIR")


def cmd_train(args: argparse.Namespace) -> int:
    from .models.model import CRFTagger
    from .training.method import Recipe, check_split_sizes
    from .training.train import TrainConfig, train

    if args.name is None and args.out is None and args.data is None:
        args.name = DEFAULT_MODEL  # the shipped model is the default corpus's
    out = _out_dir(args)
    choice = _recipe_choice(args)
    encoder = _encoder(args.encoder)  # a bad --encoder is refused before any file is read
    split, tagset = _training_data(args)
    check_split_sizes(split, str(args.data or "the default corpus"), "give a larger file, or a dev file (--dev)")
    print(tagset.describe(), file=sys.stderr)
    train_set = split.train
    if args.others_per_weak is not None or args.oversample > 1:
        from .training.sampling import weak_training_set

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
        from .training.recipes import train_recipe

        chosen = train_recipe(train_set, split.val, config, choice, replace(model_config, encoder=None), out, tagset,
                              log=functools.partial(print, file=sys.stderr))
        print(f"recipe {chosen.chosen}; best val micro F1 {chosen.result.best_score:.4f}{_bias(chosen.result.model)}; checkpoint in {out}")
        return 0
    model = None
    if args.init_from:
        from .models.checkpoint import load_checkpoint

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
    from .models.encoder import MINILM, parse_encoder
    from .training.recipes import RecipeChoice

    by_hand = [flag for flag, given in (("--init-from", getattr(args, "init_from", None)),
                                        ("--no-word-features", getattr(args, "no_word_features", False))) if given]
    if args.recipe is None and (by_hand or args.encoder):
        if args.budget is not None:
            raise ValueError("--budget bounds the recipes' training: give --recipe")
        return None
    if by_hand:
        raise ValueError(f"--recipe trains new models of its own: leave out {' and '.join(by_hand)}")
    encoder = parse_encoder(_encoder(args.encoder))[0] if args.encoder else MINILM
    return RecipeChoice(args.recipe or "auto", args.budget, encoder)


def cmd_train_method(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .training.method import MethodSettings, Recipe, train_method
    from .training.recipes import duration

    out = _out_dir(args)
    choice = _recipe_choice(args)
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
        if event["done"] == 0 and "batch" not in event:  # a stage starts
            eta = "" if event["eta_seconds"] is None else f"; at most {duration(event['eta_seconds'])} of training left in all"
            recipe = f" ({event['recipe']} recipe)" if event.get("recipe") else ""
            plan = "tuning the detector's threshold on dev" if event["stage"] == "threshold" else (
                f"up to {event['total']} epoch{'s' * (event['total'] != 1)}")
            tqdm.write(f"{event['stage']}{recipe}: {plan}{eta}", file=sys.stderr)

    summary = train_method(split, tagset, out, settings, report)
    what = "voted pipeline (strong, weak, detector)" if summary["pipeline"] else "single model"
    print(f"{what} in {out}; dev micro F1 {summary['dev_micro_f1']:.4f}")
    for line in summary["warnings"]:  # a tagger that found no entity of its types on dev
        print(f"warning: {line}", file=sys.stderr)
    print(json.dumps(summary))
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate
    from .models.checkpoint import average_checkpoints, load_checkpoint
    from .models.tagger import Tagger

    check_replaceable(args.out, args.force)
    out = average_checkpoints(args.checkpoints, args.out)
    val = split_corpus(read_corpus(args.data or default_corpus_path())).val
    for path in [*args.checkpoints, out]:
        model, meta = load_checkpoint(path)
        masked = meta.get("train", {}).get("mask_types", ())
        print(f"{path}: val micro F1 {evaluate(Tagger(model), val, masked)['micro_f1']:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate
    from .evaluation.metrics import format_table
    from .models.pipeline import load_any

    split = args.split or ("all" if args.data else "test")
    path = _existing_model(args)
    read, sentences = _load_data(args.data, split)
    if not sentences:
        raise ValueError(f"no sentences to score in {split if split != 'all' else 'the file'}: nothing to evaluate")
    model = load_any(path, args.device)
    masked = getattr(model, "meta", {}).get("train", {}).get("mask_types", ())
    _refuse_unknown_tags(model.labels, sentences, read, "evaluate a model trained on these tags")
    scores = evaluate(model, sentences, masked)
    print(format_table(scores))
    print(f"{scores['sentences']} sentences, {scores['tokens']} tokens, {scores['seconds']} s")
    if args.json:
        keys = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall", "per_type")
        print(json.dumps({k: scores[k] for k in keys} | {k: scores[k] for k in ("sentences", "tokens", "seconds")}))
    return 0


def _encoder(given: str | None) -> str | None:
    """``--encoder`` as a model config keeps it (``NAME-POOLING``), checked against what is on this machine."""
    if given is None:
        return None
    from .models.encoder import POOLINGS, encoder_info, parse_encoder

    spec = given if given.endswith(tuple(f"-{p}" for p in POOLINGS)) and not Path(given).is_dir() else f"{given}-first"
    encoder_info(parse_encoder(spec)[0])  # refuse an encoder that is not here before training starts
    return spec


def cmd_predict(args: argparse.Namespace) -> int:
    from .data.tokenize import MAX_SENTENCE_TOKENS, even_pieces, tokenize_with_offsets
    from .models.bulk import tag_in_batches, write_tagged
    from .models.pipeline import load_any

    if args.json and (args.text is None or args.out):
        raise ValueError("--json prints the tags of --text as one JSON line on stdout: leave it out, --data and --out "
                         "write JSON lines already (on stdout, or to a .jsonl file)")
    if args.out:
        _check_output(args.out, args.data)
    path = _existing_model(args)
    if args.text is not None:
        found = tokenize_with_offsets(args.text)
        sentences = [[t.text for t in piece] for sentence in found for piece in even_pieces(sentence)]
        if not sentences:
            print("error: the text is empty; nothing to tag", file=sys.stderr)
            return 1
        if len(sentences) > len(found):
            print(f"note: sentences of over {MAX_SENTENCE_TOKENS} tokens were cut into pieces", file=sys.stderr)
    else:
        read = _text_or_corpus(args)
        print(read.summary(), file=sys.stderr)
        sentences = [s.words for s in read.sentences]
    model = load_any(path, args.device)
    from .data.scripts import foreign_note

    foreign = foreign_note(sentences, model.scripts)
    if foreign:
        print(f"note: {foreign}", file=sys.stderr)
    if args.text is not None and not args.out:  # a few sentences: one table, or one JSON line
        tagged = model.tag(sentences)
        if args.json:
            print(json.dumps([[{"token": w, "tag": t, "prob": round(p, 4)} for w, t, p in zip(s.words, s.tags, s.probs)]
                              for s in tagged]))
        for sentence in [] if args.json else tagged:
            print("\n".join(f"{w}\t{t}\t{p:.3f}" for w, t, p in zip(sentence.words, sentence.tags, sentence.probs)) + "\n")
        return 0
    started = time.perf_counter()
    written = write_tagged(tag_in_batches(model, sentences, progress=True), args.out or sys.stdout)
    seconds, tokens = time.perf_counter() - started, sum(map(len, sentences))
    print(f"{written:,} sentence{'s' * (written != 1)}, {tokens:,} tokens tagged in {seconds:.1f} s ({tokens / max(seconds, 1e-9):,.0f} tokens/s)"
          + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def _check_output(out: Path, data: str | None) -> None:
    """Refuse an ``--out`` that cannot be written, or that is the input, before any tagging."""
    from .data.corpus import format_of

    endings = "give a file name ending .jsonl, .conll, .csv or .spacy"
    if out.is_dir():
        raise ValueError(f"--out {out} is a directory: {endings}")
    if not out.parent.is_dir():
        raise ValueError(f"--out {out}: no directory {out.parent}; create it first")
    if not os.access(out.parent, os.W_OK) or out.exists() and not os.access(out, os.W_OK):
        raise ValueError(f"--out {out}: not writable here (permissions)")
    if out.name.lower().endswith(".zip"):
        raise ValueError(f"--out {out}: cannot write a zip; write the file and zip it")
    try:
        format_of(out.name)
    except CorpusError:
        raise ValueError(f"--out {out}: unknown format; {endings}") from None
    if data not in (None, "-") and Path(data).resolve() == out.resolve():
        raise ValueError(f"--out {out} is the input file: tagging it would overwrite it; give another name")


def _text_or_corpus(args: argparse.Namespace):
    """``--data`` (or stdin, ``-``) read as raw text or as a corpus (its tags ignored), by ``--input``."""
    from .data.corpus import load_unlabelled

    if str(args.data) == "-":
        if args.input == "corpus":
            raise ValueError("--input corpus: a corpus on stdin has no file name to tell its format; give the file "
                             "(its suffix names the format: .conll, .csv, .jsonl, .spacy), or read stdin as text or tokens")
        return load_unlabelled(sys.stdin.buffer.read(), "stdin", args.input)
    return load_unlabelled(args.data, None, args.input)


def cmd_mine(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .models.pipeline import load_any
    from .quality.mining import mine

    path = _existing_model(args)
    read = _text_or_corpus(args)
    print(read.summary(), file=sys.stderr)
    model = load_any(path, args.device)
    with tqdm(unit="sent", desc="ranking", file=sys.stderr) as bar:  # sentences through the model (twice for some)
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        ranking = mine(model, [s.words for s in read.sentences], args.strategy, args.top, args.seed, progress=progress)
    if ranking.note:
        print(f"note: {ranking.note}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"sentence": m.sentence, "score": round(m.score, 4), "reason": m.reason, "types": list(m.types)}
                          for m in ranking.items], ensure_ascii=False))
        return 0
    print(f"{'index':>7}  score  reason  |  sentence   (index: the sentence's 0-based position among those read, "
          "a long one split into pieces counting each piece; as in --json)")
    for m in ranking.items:
        text = " ".join(read.sentences[m.sentence].words)
        print(f"{m.sentence:>7}  {m.score:.3f}  {m.reason}  |  {text if len(text) <= MINE_TABLE_CHARS else text[:MINE_TABLE_CHARS - 1] + '…'}")
    return 0


def cmd_pool(args: argparse.Namespace) -> int:
    from .storage.datasets import open_dataset
    from .storage.pool import Pool

    if not args.author.strip():
        raise ValueError("--author: give the name the added sentences are credited to")
    pool = Pool(open_dataset(args.dataset))
    if args.action == "add":
        read = _text_or_corpus(args)
        print(read.summary(), file=sys.stderr)
        intake = pool.add([s.words for s in read.sentences], "stdin" if str(args.data) == "-" else Path(args.data).name,
                          args.author, args.any_script)
        print(f"dataset {args.dataset!r}: " + intake.summary() + (" (--any-script keeps them)" if intake.other_scripts else ""))
        return 0
    if args.action == "rank":
        from .models.device import resolve_device
        from .workbench.jobs import JobError, run_here
        from .workbench.pool_rank import PoolRankSpec

        resolve_device()  # $NER_DEVICE, checked before the job starts

        try:  # the same one-at-a-time lock as the app's background jobs
            result = run_here("pool-rank", PoolRankSpec(args.dataset, args.strategy), args.dataset,
                              echo=lambda event: print(json.dumps(event), file=sys.stderr, flush=True))
        except JobError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"ranked {result['sentences']:,} pool sentence(s) with {result['model']} in {result['seconds']} s"
              + (f" ({result['note']})" if result.get("note") else ""))
        return 0
    counts = pool.counts()
    print(", ".join(f"{n:,} {state}" for state, n in counts.items()))
    for item in pool.items(limit=args.top):
        score = "unranked" if item.score is None else f"{item.score:.3f}"
        print(f"{item.id:>7}  {score:>8}  {item.reason or ''}  |  {' '.join(item.words)}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    import shlex

    from .storage.datasets import dataset_paths, import_dataset, name_for_file
    from .storage.db import data_dir, make_engine

    engine = make_engine()
    if args.action == "list":
        for name, path in dataset_paths(engine).items():
            print(f"{name}\t{path}")
        return 0
    if args.file is None:
        raise ValueError("datasets import needs the corpus FILE")
    name = args.name if args.name is not None else name_for_file(args.file.name, dataset_paths(engine))
    store = import_dataset(engine, name, args.file, args.file.name, data_dir() / "datasets",
                           log=lambda summary: print(summary, file=sys.stderr))
    print(f"imported {len(store.original):,} sentences as dataset {name!r}: `pool add --dataset {shlex.quote(name)} FILE` adds "
          "raw text to it; the app lists it in the sidebar, where Retrain trains its first models")
    return 0


def cmd_experiments(args: argparse.Namespace) -> int:
    from .study.experiments import run_experiments
    from .training.method import MethodSettings

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


def _refuse_unknown_tags(labels: Sequence[str], sentences: list[Sentence], read: CorpusFile, advice: str) -> None:
    """Refuse ``sentences`` holding tags a model of ``labels`` does not know, naming them as ``read``'s file writes them,
    each with its first line (``advice``: what to do instead)."""
    tagset = TagSet.from_labels(labels)
    unknown = tagset.unknown_tags(t for s in sentences for t in s.tags)
    if unknown:
        raise ValueError(f"tags the model does not know: {', '.join(read.as_written(unknown)[:10])}; it knows its own tag set "
                         f"({', '.join(tagset.types)}): {advice}")


def cmd_label_issues(args: argparse.Namespace) -> int:
    from .quality.label_issues import find_label_issues

    fold_only = [flag for flag, given in (("--init-from", args.init_from), ("--recipe", args.recipe), ("--budget", args.budget),
                                          ("--models-dir", args.models_dir), ("--encoder", args.encoder)) if given is not None]
    if fold_only and not args.cross_val:
        raise ValueError(f"{', '.join(fold_only)} set(s) the fold models of --cross-val K: add --cross-val, or leave "
                         f"{'it' if len(fold_only) == 1 else 'them'} out to score with --model's tagger")
    cross_val = _cross_val_settings(args) if args.cross_val else None  # refused before the data is read
    split = args.split or ("all" if args.data else "test")
    path = None if cross_val else _existing_model(args)
    read, sentences = _load_data(args.data, split)
    if cross_val:
        issues = _cross_val_issues(args, sentences, *cross_val)
    else:
        from .models.pipeline import load_any

        model = load_any(path, args.device)
        _refuse_unknown_tags(model.labels, sentences, read, "score it with a model trained on these tags, or with "
                                                             "--cross-val K (fold models trained on this file)")
        issues = find_label_issues(model, sentences)
    if split != "all":  # report positions in the file, not in the split
        from dataclasses import replace

        from .data.corpus import split_indices

        index = split_indices(len(read_corpus(args.data or default_corpus_path())))[SPLITS.index(split)]
        issues = [replace(i, sentence=index[i.sentence]) for i in issues]
        sentences = dict(zip(index, sentences))
    issues = issues[: args.top] if args.top else issues
    if args.json:  # stdout holds only the JSON; progress goes to stderr
        print(json.dumps([i.to_dict() | {"word": sentences[i.sentence].words[i.token]} for i in issues]))
        return 0
    for issue in issues:
        words = sentences[issue.sentence].words
        context = " ".join(words[max(0, issue.token - 4) : issue.token + 5])
        print(f"{issue.score:.4f}\tsentence {issue.sentence} token {issue.token} {words[issue.token]!r}: "
              f"{issue.given} -> {issue.suggested}\t{context}")
    return 0


def _cross_val_settings(args: argparse.Namespace) -> tuple:
    """The fold models' :class:`~ner_core.training.cross_val.CrossValConfig` and the tagger they may start from."""
    from .models.encoder import MINILM, parse_encoder
    from .training.cross_val import CrossValConfig

    recipe = args.recipe or ("warm" if args.init_from else "auto")
    if args.init_from and recipe not in ("warm", "auto"):
        raise ValueError("--init-from starts every fold model from one checkpoint: leave out --recipe (or give auto)")
    encoder = parse_encoder(_encoder(args.encoder))[0] if args.encoder else MINILM
    config = CrossValConfig(folds=args.cross_val, epochs=args.cv_epochs, batch_size=args.cv_batch_size, threads=args.threads,
                            recipe=recipe, encoder=encoder, budget_minutes=args.budget, warm_epochs=args.warm_epochs)
    # warm starts from --model's tagger unless --init-from names one; auto tries that too, where it never saw the data
    init_from = args.init_from or (_model_path(args) if recipe in ("auto", "warm") else None)
    if args.models_dir:  # checked before any fold trains: fold models replace only fold models
        for k in range(args.cross_val):
            check_replaceable(Path(args.models_dir) / f"fold{k}")
    return config, init_from


def _cross_val_issues(args: argparse.Namespace, sentences: list[Sentence], config, init_from: str | None) -> list:
    """Label issues of ``sentences`` scored by K fold models (``config``), each trained on the other folds."""
    import tempfile

    from .quality.label_issues import issues_from_marginals
    from .training.cross_val import cross_validate, fold_caution

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.models_dir) if args.models_dir else Path(scratch)
        result = cross_validate(sentences, config, out, init_from=init_from)
    from .workbench.registry import recipe_line

    print(f"fold models: {recipe_line(result.recipe)}", file=sys.stderr)
    if caution := fold_caution(result.recipe):
        print(f"warning: {caution}: --cv-epochs, --init-from", file=sys.stderr)
    return issues_from_marginals(sentences, result.marginals, result.labels, folds=result.folds, agreement=not result.warm)


def cmd_retrain(args: argparse.Namespace) -> int:
    from .workbench.jobs import JobError, run_here
    from .workbench.retrain import RetrainSpec, check_retrainable

    spec = RetrainSpec(args.models, not args.scratch, args.epochs, args.threads, args.limit, dataset=args.dataset)
    check_retrainable(spec)  # refused before a job is recorded
    try:  # the same one-at-a-time lock as the app's background jobs
        result = run_here("retrain", spec, args.dataset, echo=lambda event: print(json.dumps(event), file=sys.stderr, flush=True))
    except JobError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    entry = result["entry"]
    print(f"registered {entry['id']} (not active); activate it from the app's registry page")
    for system, c in result["comparisons"].items():
        corrected = (f"; corrected sentences {c['old_corrected']['micro_f1']:.4f} -> {c['new_corrected']['micro_f1']:.4f}"
                     if "new_corrected" in c else "")
        print(f"{system}: test micro F1 {c['old']['micro_f1']:.4f} -> {c['new']['micro_f1']:.4f}{corrected}")
    for line in result["worse"]:
        print(f"warning: the new models score lower: {line}; the active ones stay unless you activate this entry", file=sys.stderr)
    return 0


def cmd_job(args: argparse.Namespace) -> int:
    from .workbench.jobs import run_job

    return run_job(args.id)


def cmd_users(args: argparse.Namespace) -> int:
    from .storage.db import make_engine
    from .storage.users import add_user, check_new_name, check_role, find_user, list_users, remove_user, set_password, set_role

    engine = make_engine()
    if args.action == "list":
        if args.role is not None:
            check_role(args.role)
        everyone = list_users(engine)
        users = [u for u in everyone if (args.name is None or u.name.lower() == args.name.lower()) and args.role in (None, u.role)]
        if args.name is not None and not users:
            raise ValueError(f"no user named {args.name!r}{' with role ' + args.role if args.role else ''} "
                             "('users list' without a name lists everyone)")
        if not everyone:
            print("no users defined: the app runs for one person, without sign-in", file=sys.stderr)
        elif not users:
            print(f"no user has the role {args.role}", file=sys.stderr)
        for user in users:
            print(f"{user.name}\t{user.role}")
        return 0
    if not args.name or (args.action in ("add", "set-role") and not args.role):
        raise ValueError(f"users {args.action} needs NAME" + (" and --role" if args.action in ("add", "set-role") else ""))
    if args.action == "add":
        check_new_name(engine, args.name)  # name and role checked before asking for a password
        check_role(args.role)
        user = add_user(engine, args.name, args.role, _new_password(args))
        print(f"added {user.name} ({user.role})")
    elif args.action == "set-role":
        user = set_role(engine, args.name, args.role)
        print(f"{user.name} is now {user.role} (from their next page on)")
    elif args.action == "password":
        find_user(engine, args.name)  # before asking for a password
        user = set_password(engine, args.name, _new_password(args))
        print(f"new password for {user.name}: their open sessions have ended, they sign in with it")
    else:
        user = remove_user(engine, args.name)
        print(f"removed {user.name} ({user.role}): they can no longer sign in; what they saved keeps their name")
    everyone = list_users(engine)
    if everyone and all(u.role != "admin" for u in everyone):
        print("warning: the app asks everyone to sign in, and no one is an admin: nobody can import, retrain, "
              "activate models or manage users there; make one with 'users set-role NAME --role admin'", file=sys.stderr)
    return 0


def _new_password(args: argparse.Namespace) -> str:
    """The password for ``args.name``: the first line of stdin with ``--password-stdin``, else typed twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    if not sys.stdin.isatty():  # getpass would read the pipe and warn that it may echo
        raise ValueError("no terminal to type the password at: pipe it with --password-stdin")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ; nothing was stored")
    return password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ner_core", description="The NER workbench from the command line: train, evaluate, tag and mine corpora, and manage datasets, jobs and users (each command has its --help).")
    sub = parser.add_subparsers(dest="command", required=True)

    def device_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--device", help="where models run: auto (a GPU when torch sees one), cpu, cuda, cuda:N or mps "
                       "(default: $NER_DEVICE, else auto)")

    def model_args(p: argparse.ArgumentParser, default: str = DEFAULT_MODEL) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--model", default=default, help=f"checkpoint name under checkpoints/ (default: {default})")
        group.add_argument("--checkpoint", help="checkpoint directory")
        device_arg(p)

    def recipe_args(p: argparse.ArgumentParser, default: str, warm: str = "") -> None:
        p.add_argument("--recipe", help="glove (GloVe + char Bi-LSTM-CRF), fused (the same with frozen encoder features), "
                       f"finetune (the encoder fine-tuned under the CRF), {warm}or auto (each trained, the best on dev kept) "
                       + default)
        p.add_argument("--budget", type=_between(0, math.inf), metavar="MINUTES", help="time for the recipes: a candidate estimated "
                       "not to fit is skipped, the others' epochs capped (default: 120 for auto, else no limit)")

    def data_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, help="training file, any format (default: $NER_CORPUS, else ../shared/data/ner_dataset.csv.zip); "
                       "alone it is split 80/10/10 (seeded) and the 80 trains")
        p.add_argument("--dev", type=Path, help="dev file for early stopping (then all of --data trains)")
        p.add_argument("--out", help="output directory (overrides --name)")
        p.add_argument("--force", action="store_true", help="replace the checkpoint already at --name or --out")
        p.add_argument("--weak-types", type=_names, help="the weak (rare) types, e.g. 'art,eve,nat' "
                       "(default: types under --weak-share of the training entities)")
        p.add_argument("--weak-share", type=_between(0, 1), default=WEAK_SHARE,
                       help=f"a type with less than this share of the training entities is weak (default {WEAK_SHARE})")
        p.add_argument("--seed", type=int, default=13)
        p.add_argument("--threads", type=_at_least(1), default=2)
        p.add_argument("--limit", type=_at_least(1), help="use only the first N training sentences")
        device_arg(p)

    p = sub.add_parser("train", help="train a Bi-LSTM-CRF on a corpus's tag set")
    data_args(p)
    p.add_argument("--name", help="checkpoint name under checkpoints/ or $NER_CHECKPOINTS (default without --data: bilstm_crf)")
    p.add_argument("--mask-types", type=_names, default=(), help="types set to O, e.g. 'weak' or 'art,eve,nat'")
    p.add_argument("--epochs", type=_at_least(1), default=30)
    p.add_argument("--patience", type=_at_least(1), default=4)
    p.add_argument("--batch-size", type=_at_least(1), default=32)
    p.add_argument("--lr", type=_between(0, 1), default=2e-3)
    p.add_argument("--lr-decay", type=_between(0, 1, high_ok=True), default=0.5, help="lr factor after an epoch without improvement (1: constant)")
    p.add_argument("--average-from", type=_at_least(0), default=0,
                   help="average the weights from this epoch on (stochastic weight averaging; 0: off)")
    p.add_argument("--hidden", type=_at_least(1), default=128)
    p.add_argument("--lstm-layers", type=_at_least(1), default=1)
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
    p.add_argument("--dropout", type=_between(0, 1, low_ok=True), help="dropout rate (default 0.4; with --init-from: the checkpoint's)")
    p.add_argument("--recall-margin", type=_between(0, math.inf, low_ok=True),
                   help="softmax-margin cost of missing a gold entity (the CRF's class weight; default 0: plain NLL)")
    p.add_argument("--margin-types", type=_names, help="types the margin applies to, or 'weak' (default: all)")
    p.add_argument("--type-margins", type=_type_margins, help="a margin per type, e.g. 'art=6,eve=3' (overrides --recall-margin)")
    p.add_argument("--no-word-features", action="store_true", help="drop GloVe/char/casing inputs (BERT-FF)")
    p.add_argument("--init-from", help="warm start from this checkpoint (name or directory); its architecture is kept, "
                   "--dropout and the margins apply when given")
    p.add_argument("--others-per-weak", type=float, help="keep weak sentences and this many others per weak one")
    p.add_argument("--oversample", type=_at_least(1), default=1, help="repeat weak sentences this many times")
    recipe_args(p, "(default: auto; a model set by hand with --encoder, --no-word-features or --init-from: that model)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-method", help="train strong and weak taggers, the detector and the voted pipeline")
    data_args(p)
    p.add_argument("--name", help="name under checkpoints/ (or $NER_CHECKPOINTS) for the pipeline and its members")
    p.add_argument("--epochs", type=_at_least(1), default=30, help="most epochs of the strong tagger (early stopping on dev)")
    p.add_argument("--weak-epochs", type=_at_least(1), default=40, help="most epochs of the weak tagger")
    p.add_argument("--detector-epochs", type=_at_least(1), default=6, help="most epochs of the detector")
    p.add_argument("--batch-size", type=_at_least(1), default=32, help="sentences per batch of the taggers (default 32)")
    p.add_argument("--open-vocab", action=argparse.BooleanOptionalAction,
                   help="frozen GloVe vectors for every word GloVe knows (default: on)")
    p.add_argument("--encoder", help="the encoder of the fused and finetune recipes: minilm (default), a local directory "
                   "holding a transformer or a model in the local Hugging Face cache")
    recipe_args(p, "of the strong (or single) tagger, chosen on dev; the weak tagger follows it (default: auto)")
    p.set_defaults(func=cmd_train_method)

    p = sub.add_parser("average", help="average the weights of taggers of one architecture (a model soup)")
    p.add_argument("checkpoints", nargs="+", help="checkpoint names or directories")
    p.add_argument("--out", required=True, help="directory for the averaged checkpoint")
    p.add_argument("--force", action="store_true", help="replace the checkpoint already at --out")
    p.add_argument("--data", type=Path, help="corpus for the val scores printed (default: the default corpus)")
    p.set_defaults(func=cmd_average)

    p = sub.add_parser("evaluate", help="entity-level scores on a corpus file")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--split", choices=(*SPLITS, "all"), help="part of the file's split to score (default: all of --data; the default corpus's test split)")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    model_args(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="tag free text, or a whole file of raw text or of any corpus format")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="text to tag (several sentences are fine)")
    source.add_argument("--data", help="a file to tag, or - for stdin (text or tokens): raw text (.txt, or any file with --input text) "
                                       "or a corpus in any format (its tags ignored)")
    p.add_argument("--input", choices=UNLABELLED_KINDS, default="auto",
                   help="how to read --data: running text (split and tokenised by spaCy), one pre-tokenised sentence a "
                        "line, or a corpus file; auto: text for stdin, no suffix or a .txt of running text (a .txt whose lines "
                        "hold a token and a tag each is read as CoNLL), else corpus")
    p.add_argument("--out", type=Path, help="write .jsonl (the sentence's index, tokens, tags, probabilities), or .conll, .csv or .spacy (tokens and tags); default: JSON lines on stdout")
    p.add_argument("--json", action="store_true", help="with --text and no --out: one JSON line (--data writes JSON lines)")
    model_args(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("mine", help="rank the sentences of a file (tags ignored) by what annotating them is worth: rare types first")
    p.add_argument("--data", required=True, help="a file of raw text or any corpus format, or - for stdin")
    p.add_argument("--input", choices=UNLABELLED_KINDS, default="auto", help="as for predict")
    p.add_argument("--strategy", choices=("rare", "uncertain", "mixed", "random"), default="mixed",
                   help="rare: the detector and the weak tagger; uncertain: the tagger's uncertainty; mixed (default): "
                        "both, with diversity; random: a seeded shuffle")
    p.add_argument("--top", type=_at_least(1), help="the best N only")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true", help="one JSON line: [{sentence, score, reason, types}], best first")
    model_args(p, MINING_MODEL)
    p.set_defaults(func=cmd_mine)

    p = sub.add_parser("pool", help="a dataset's pool of unlabelled sentences: add a file, rank it, see it")
    common = argparse.ArgumentParser(add_help=False)  # the options of every action, before or after its FILE
    common.add_argument("--dataset", default=DEFAULT_DATASET,
                        help="the dataset whose pool (default: default, the project's corpus; an imported one by its name, as the app's sidebar lists it)")
    common.add_argument("--author", default=os.environ.get("USER") or "cli", help="who added the sentences")
    actions = p.add_subparsers(dest="action", required=True, metavar="{add,rank,status}")
    a = actions.add_parser("add", parents=[common], help="add FILE: raw text or any corpus format (tags ignored)")
    a.add_argument("data", help="a file of raw text or any corpus format (tags ignored), or - for stdin")
    a.add_argument("--input", choices=UNLABELLED_KINDS, default="auto", help="as for predict")
    a.add_argument("--any-script", action="store_true",
                   help="keep sentences mostly in a script the corpus does not use (dropped and counted by default)")
    r = actions.add_parser("rank", parents=[common], help="rank with the dataset's active model (as the app's job does)")
    r.add_argument("--strategy", choices=("rare", "uncertain", "mixed", "random"), default="mixed", help="as for mine")
    st = actions.add_parser("status", parents=[common], help="counts and the best open sentences")
    st.add_argument("--top", type=_at_least(1), default=10, help="how many open sentences to list")
    p.set_defaults(func=cmd_pool)

    p = sub.add_parser("label-issues", help="rank gold tags that are likely wrong (cleanlab)")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--split", choices=(*SPLITS, "all"), help="part of the file's split to check (default: all of --data; the default corpus's test split)")
    p.add_argument("--top", type=_at_least(1), help="show only the N most suspicious")
    p.add_argument("--json", action="store_true",
                   help="print only one JSON line: a list of {sentence (index in the file), token, word, given, "
                        "suggested, score, fold}, most suspicious first")
    p.add_argument("--cross-val", type=_at_least(2), metavar="K",
                   help="score out-of-sample: train K taggers, each on the other folds of the data, and score every "
                        "sentence with the one that did not see it (fast settings: BiLSTM 64, batches of 64, lr 3e-3, "
                        "a fixed number of epochs; one fold takes about K-1/K of the data times --cv-epochs)")
    p.add_argument("--cv-epochs", type=_at_least(1), default=8, help="epochs per fold model trained from scratch (default 8)")
    p.add_argument("--cv-batch-size", type=_at_least(1), default=64, help="batch size of the fold models (default 64)")
    p.add_argument("--threads", type=_at_least(1), default=1, help="torch threads for the fold models (default 1)")
    p.add_argument("--init-from", help="with --cross-val: start each fold model from this tagger (recipe warm; with "
                   "--recipe auto, one candidate); refused unless the checkpoint records its training data and trained "
                   "on at most 5%% of the data's sentences (auto, the default, tries --model's tagger this way by itself)")
    p.add_argument("--warm-epochs", type=_at_least(1), default=1, help="with --cross-val: epochs of a warm-started fold model (default 1)")
    p.add_argument("--models-dir", help="with --cross-val: keep the fold models here (default: a temporary directory)")
    p.add_argument("--encoder", help="with --cross-val: the encoder of the fused and finetune fold models: minilm "
                   "(default), a local directory holding a transformer or a model in the local Hugging Face cache")
    recipe_args(p, "of the fold models with --cross-val (default: auto, chosen on the first fold, warm among its "
                "candidates where --model's tagger never saw the data; warm with --init-from)",
                "warm (each fold model starts from --init-from, else --model's tagger) ")
    model_args(p)
    p.set_defaults(func=cmd_label_issues)

    p = sub.add_parser("retrain", help="retrain models from the corrected corpus into a new registry entry")
    p.add_argument("--models", type=lambda v: [m for m in v.split(",") if m], default=["strong", "weak", "detector"],
                   help="comma-separated: bilstm_crf, strong, weak, detector, bert_ff, bert_strong, bert_weak")
    p.add_argument("--scratch", action="store_true", help="train from scratch instead of warm-starting from the active models")
    p.add_argument("--epochs", type=_at_least(1), default=3)
    p.add_argument("--threads", type=_at_least(1), default=2)
    p.add_argument("--limit", type=_at_least(1), help="train on the first N training sentences only")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="the dataset whose active models are retrained (default: default, "
                   "the shipped models; an imported one once its first models are trained: they sit inside its voted pipeline)")
    p.set_defaults(func=cmd_retrain, device=None)  # no --device: $NER_DEVICE, checked (_device_env) before the job starts

    p = sub.add_parser("job", help="run a background job recorded in the database (the app starts these)")
    p.add_argument("id", help="the job's id")
    p.set_defaults(func=cmd_job)

    p = sub.add_parser("datasets", help="list the datasets, or import a corpus file as a new one (as the app's sidebar does)")
    p.add_argument("action", choices=("list", "import"))
    p.add_argument("file", nargs="?", type=Path, help="import: a corpus file in any format the app imports (plain or zipped)")
    p.add_argument("--name", help="import: the dataset's name (default: from the file's name, as the app proposes)")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("users", help="add, list, change or remove the people who sign in to the app (none: one person, no sign-in)")
    p.add_argument("action", choices=("add", "list", "set-role", "password", "remove"),
                   help="password: set a new one (a forgotten one reset; their sessions end); remove: they can no longer sign in")
    p.add_argument("name", nargs="?", help="user name (add: letters, digits, '_', '.', '-'; list: only that user)")
    p.add_argument("--role", help="annotator, reviewer or admin (each may do what the roles before it may); "
                   "list: only the users of this role")
    p.add_argument("--password-stdin", action="store_true",
                   help="add, password: read the password from the first line of stdin (else prompt)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("experiments", help="regenerate Tables 2-4 on the test split")
    p.add_argument("--out", default="reports", help="directory for the markdown tables")
    p.add_argument("--data", type=Path, help="corpus file (default: $NER_CORPUS, else ../shared/data/ner_dataset.csv.zip)")
    p.add_argument("--checkpoints", help="checkpoint directory (default: checkpoints/)")
    p.add_argument("--retrain", action="store_true", help="retrain every model first (long: every tagger, 12 detectors)")
    p.add_argument("--force", action="store_true", help="with --retrain: replace the checkpoints already there")
    p.add_argument("--epochs", type=_at_least(1), default=30)
    p.add_argument("--detector-epochs", type=_at_least(1), default=6)
    p.add_argument("--threads", type=_at_least(1), default=2)
    p.add_argument("--limit", type=_at_least(1), help="use only the first N sentences of each split (for a quick check)")
    p.set_defaults(func=cmd_experiments)
    for command in sub.choices.values():  # an unknown option is refused with its command's usage, not the list of commands
        command.set_defaults(command_parser=command)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (a plain ``kill``), raised where the program is, so that what it has half written is cleaned up as on Ctrl-C."""


def stop_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` (the command line's own process only: a job's process has its handlers)."""
    def terminated(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second kill must not cut the clean-up short
        raise Terminated()

    signal.signal(signal.SIGTERM, terminated)


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        with _device_env(args):
            return args.func(args)
    except BrokenPipeError:  # the reader stopped (``| head``): the rest of the output is not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor written again at exit
        return 0
    except (CorpusError, CheckpointError, ValueError, OSError, SQLAlchemyError) as err:  # a file, a disk, a database
        print(f"error: {_plain(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("terminated" if isinstance(stop, Terminated) else "interrupted", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130


@contextlib.contextmanager
def _device_env(args: argparse.Namespace) -> Iterator[None]:
    """For a command that runs models: its device (``--device``, else ``$NER_DEVICE``) checked before any file is
    read, and ``$NER_DEVICE`` set to ``--device`` while it runs, so that every model follows it (the frozen
    encoder's features too); restored after (a caller in the same process keeps its own)."""
    if not hasattr(args, "device"):
        yield
        return
    from .models.device import DEVICE_ENV, resolve_device

    resolve_device(args.device)
    before = os.environ.get(DEVICE_ENV)
    if args.device:
        os.environ[DEVICE_ENV] = args.device
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DEVICE_ENV, None)
        else:
            os.environ[DEVICE_ENV] = before


def _plain(err: Exception) -> str:
    """An error in one line a user can act on (a database error without its SQL and its link to the docs)."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(err, SQLAlchemyError):
        cause = getattr(err, "orig", None) or err
        return f"the database (NER_DB_URL) cannot be used: {str(cause).splitlines()[0]}"
    return str(err)
