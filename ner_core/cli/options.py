"""What several commands share: argument types and groups, and finding a model or a file's sentences."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable, Sequence

from ..data.corpus import CorpusFile, Sentence, default_corpus_path, load_corpus, split_corpus
from ..data.tags import TagSet
from ..models.checkpoint_dirs import PIPELINE_FILE, CheckpointError, checkpoints_dir, is_checkpoint, not_one_model

DEFAULT_MODEL = "bilstm_crf"


class FlagError(ValueError):
    """Flags that do not go together, or one a command needs: refused as argparse refuses a wrong flag (exit code 2)."""


GLOVE_ENCODER = ("--encoder is the encoder of the fused and finetune recipes, and --recipe glove uses none: leave it out, "
                 "or give --recipe fused, finetune or auto")


def type_margins(value: str) -> tuple[tuple[str, float], ...]:
    """``"art=6,eve=3"`` -> ``(("art", 6.0), ("eve", 3.0))`` (the model checks the types)."""
    try:
        return tuple((t, float(m)) for t, m in (part.split("=") for part in filter(None, value.split(","))))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected type=margin pairs such as art=6,eve=3, got {value!r}") from None


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low`` (argparse names the flag in its error)."""
    def parse(value: str) -> int:
        number = int(value)
        if number < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {number}")
        return number
    parse.__name__ = "integer"  # argparse's "invalid integer value" for non-numbers
    return parse


def between(low: float, high: float, low_ok: bool = False, high_ok: bool = False) -> Callable[[str], float]:
    """An argparse type: a number between ``low`` and ``high`` (each included only when ``*_ok``)."""
    def parse(value: str) -> float:
        number = float(value)
        if not (low < number < high or low_ok and number == low or high_ok and number == high):
            interval = f"{'[' if low_ok else '('}{low:g}, {high:g}{']' if high_ok else ')'}"
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {value}")
        return number
    parse.__name__ = "number"
    return parse


def comma_names(value: str) -> tuple[str, ...]:
    """``"art,eve"`` -> ``("art", "eve")``."""
    return tuple(filter(None, (part.strip() for part in value.split(","))))


def device(value: str) -> str:
    """An argparse type: a device's name (whether this machine has it is checked as the command starts). Loads torch."""
    from ..models.device import DeviceError, device_name

    try:
        return device_name(value)
    except DeviceError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def recipe(warm: bool) -> Callable[[str], str]:
    """An argparse type: a recipe's name (``warm`` too, for fold models). Loads torch."""
    def parse(value: str) -> str:
        from ..training.recipes import RECIPES

        known = (*RECIPES, "warm") if warm else RECIPES
        if value not in known:
            raise argparse.ArgumentTypeError(f"unknown recipe {value!r}: expected one of {', '.join(known)}")
        return value
    parse.__name__ = "recipe"
    return parse


def device_arg(p: argparse.ArgumentParser) -> None:
    """``--device``, for a command that runs models."""
    p.add_argument("--device", type=device, help="where models run: auto (a GPU when torch sees one), cpu, cuda, cuda:N or mps "
                   "(default: $NER_DEVICE, else auto)")


def model_args(p: argparse.ArgumentParser, default: str = DEFAULT_MODEL, threads: bool = True) -> None:
    """``--model NAME`` or ``--checkpoint DIR``, ``--device`` and (``threads``) ``--threads``."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model", default=default, help=f"checkpoint name under checkpoints/ (default: {default})")
    group.add_argument("--checkpoint", help="checkpoint directory")
    device_arg(p)
    if threads:
        p.add_argument("--threads", type=at_least(1), help="torch threads (default: torch's, one per core)")


def recipe_args(p: argparse.ArgumentParser, default: str, warm: str = "") -> None:
    """``--recipe`` and ``--budget`` (``default``: what no ``--recipe`` means for this command)."""
    p.add_argument("--recipe", type=recipe(bool(warm)), help="glove (GloVe + char Bi-LSTM-CRF), fused (the same with frozen encoder features), "
                   f"finetune (the encoder fine-tuned under the CRF), {warm}or auto (each trained, the best on dev kept) "
                   + default)
    p.add_argument("--budget", type=between(0, math.inf), metavar="MINUTES", help="time for the recipes: a candidate estimated "
                   "not to fit is skipped, the others' epochs capped (default: 120 for auto, else no limit)")


def dataset_part(name: str, split: str) -> list[Sentence]:
    """A dataset's sentences as they are now (its corrections saved, the sentences added from its pool in train) in
    ``split`` of its split (or ``all``), as the app's pages read them; said on stderr."""
    from ..storage.datasets import open_dataset

    store = open_dataset(name)
    parts = store.split()
    sentences = [*parts.train, *parts.val, *parts.test] if split == "all" else parts.part(split)
    corrected = len(store.corrected_sentence_ids())
    print(f"dataset {name!r}: {len(sentences):,} sentences ({split}), the gold as saved: {corrected:,} sentence(s) of the "
          "dataset corrected", file=sys.stderr)
    return sentences


def dataset_model(args: argparse.Namespace, fallback: bool = False) -> Path:
    """``--checkpoint``, or ``--model`` in the active model set of ``--dataset`` (the models its app pages use); with
    ``fallback``, where the set has no ``--model``, the model its pages use (a voted pipeline, else a single tagger)."""
    if args.checkpoint:
        return existing_model(args)
    from ..storage.datasets import open_dataset
    from ..workbench.registry import active_dir, available_models, missing_active

    open_dataset(args.dataset)  # an unknown one: named with the known ones
    if not available_models(args.dataset):  # an active entry's folder gone is not "no trained model yet" (helper-93)
        why = missing_active(args.dataset) or (f"the dataset {args.dataset!r} has no trained model yet: train one (the "
                                                "Retrain page, or `train-method`)")
        raise CheckpointError(f"{why}, or give --checkpoint DIR")
    active = active_dir(args.dataset)
    there = _models_in(active)
    if args.model in there:
        return active / args.model
    if fallback or args.model == DEFAULT_MODEL:  # not named by the user (helper-85: a pipeline's set has no bilstm_crf)
        served = Path(next(iter(available_models(args.dataset).values())))
        print(f"note: no {args.model!r} in the active set of {args.dataset!r}: using {served.name}, as its pages do", file=sys.stderr)
        return served
    raise CheckpointError(f"no model {args.model!r} in the active set of {args.dataset!r}: give --model one of {', '.join(there)}")


def _models_in(folder: Path) -> list[str]:
    """The models of a model set: its taggers and pipelines, and a pipeline's own models as ``voted/strong``."""
    found = []
    for model in sorted(d for d in folder.iterdir() if is_checkpoint(d)):
        found.append(model.name)
        if (model / PIPELINE_FILE).is_file():
            found += [f"{model.name}/{d.name}" for d in sorted(model.iterdir()) if is_checkpoint(d)]
    return found


def load_data(path: Path | None, split: str | None) -> tuple[CorpusFile, list[Sentence]]:
    """A file read (its summary on stderr) and its sentences; with ``split``, that part of the project's split of it."""
    read = load_corpus(path or default_corpus_path())
    print(read.summary(), file=sys.stderr)
    sentences = read.sentences
    return read, split_corpus(sentences).part(split) if split and split != "all" else sentences


def model_path(args: argparse.Namespace) -> Path:
    """Where ``--checkpoint`` or ``--model`` points, whether or not a model is there."""
    return Path(args.checkpoint) if args.checkpoint else checkpoints_dir() / args.model


def existing_model(args: argparse.Namespace) -> Path:
    """The model that ``--model`` / ``--checkpoint`` name, checked before any input is read."""
    path = model_path(args)
    if is_checkpoint(path):
        return path
    if path.is_dir():  # helper-85: said only once the data was read, as an OS error
        raise not_one_model(path)
    if args.checkpoint:
        raise CheckpointError(f"no checkpoint at {path}: give --checkpoint a directory that `train` or `train-method` wrote")
    there = sorted(d.name for d in checkpoints_dir().iterdir() if d.is_dir()) if checkpoints_dir().is_dir() else []
    in_app = " (a model trained in the app: --dataset NAME)" if hasattr(args, "dataset") else ""
    raise CheckpointError(f"no model {args.model!r} under {checkpoints_dir()} ($NER_CHECKPOINTS): give --model one of "
                          f"{', '.join(there) or '(none there)'}, or --checkpoint DIR{in_app}")


def load_model(path: Path, device: str | None):
    """The model at ``path`` (:func:`~ner_core.models.pipeline.load_any`), said on stderr first: reading torch and the
    weights takes seconds that would otherwise pass in silence."""
    from ..models.pipeline import load_any

    print(f"loading the model at {path} …", file=sys.stderr, flush=True)
    return load_any(path, device)


def encoder_spec(given: str | None) -> str | None:
    """``--encoder`` as a model config keeps it (``NAME-POOLING``), checked against what is on this machine."""
    if given is None:
        return None
    from ..models.encoder import POOLINGS, encoder_info, parse_encoder, weights_fingerprint

    spec = given if given.endswith(tuple(f"-{p}" for p in POOLINGS)) and not Path(given).is_dir() else f"{given}-first"
    name, pooling = parse_encoder(spec)
    weights_fingerprint(encoder_info(name))  # refuse an encoder that is not here, or holds no weights, before training starts
    return f"{Path(name).resolve()}-{pooling}" if Path(name).is_dir() else spec  # a checkpoint works from any folder


def text_or_corpus(args: argparse.Namespace, style=None):
    """``--data`` (or stdin, ``-``) read as raw text (tokenised in ``style``, a dataset's
    :class:`~ner_core.data.tokenize.TokenStyle`) or as a corpus (its tags ignored), by ``--input``."""
    from ..data.corpus import load_unlabelled

    check_input(args)
    if str(args.data) == "-":
        return load_unlabelled(sys.stdin.buffer.read(), "stdin", args.input, style)
    return load_unlabelled(args.data, None, args.input, style)


def check_input(args: argparse.Namespace) -> None:
    """Refuse ``--data`` / ``--input`` that cannot be read, before a model is loaded to tokenise it (:func:`text_or_corpus`)."""
    if str(args.data) != "-":
        if not Path(args.data).is_file():
            raise ValueError(f"--data {args.data}: {'a directory, not a file' if Path(args.data).is_dir() else 'no such file'}")
    elif args.input == "corpus":
        raise ValueError("--input corpus: a corpus on stdin has no file name to tell its format; give the file "
                         "(its suffix names the format: .conll, .csv, .jsonl, .spacy), or read stdin as text or tokens")


def refuse_unknown_tags(labels: Sequence[str], sentences: list[Sentence], read: CorpusFile | None, advice: str) -> None:
    """Refuse ``sentences`` holding tags a model of ``labels`` does not know, naming them as ``read``'s file writes them,
    each with its first line (no file: a dataset's, in IOB2) (``advice``: what to do instead)."""
    tagset = TagSet.from_labels(labels)
    unknown = tagset.unknown_tags(t for s in sentences for t in s.tags)
    if unknown:
        named = read.as_written(unknown) if read is not None else sorted(unknown)
        raise ValueError(f"tags the model does not know: {', '.join(named[:10])}; it knows its own tag set "
                         f"({', '.join(tagset.types)}): {advice}")


