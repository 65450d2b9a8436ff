"""``evaluate``, ``predict`` and ``mine``: a model run over a corpus file or raw text."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ..data.corpus import SPLITS, UNLABELLED_KINDS, CorpusError
from .options import (FlagError, at_least, check_input, dataset_model, dataset_part, existing_model, load_data, load_model, model_args,
                      refuse_unknown_tags, text_or_corpus)

MINING_MODEL = "voted"  # mining aims at the rare types: the detector and the weak tagger are needed
MINE_TABLE_CHARS = 160  # characters of a sentence shown in mine's table


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import evaluate
    from ..evaluation.metrics import format_table
    split = args.split or ("all" if args.data else "test")
    read = None
    if args.dataset is not None:
        if args.data is not None:
            raise FlagError("--data and --dataset name two sources of sentences: give one")
        path = dataset_model(args)
        sentences = dataset_part(args.dataset, split)
    else:
        path = existing_model(args)
        read, sentences = load_data(args.data, split)
    if not sentences:
        raise ValueError(f"no sentences to score in {split if split != 'all' else 'the file'}: nothing to evaluate")
    model = load_model(path, args.device)
    masked = getattr(model, "meta", {}).get("train", {}).get("mask_types", ())
    refuse_unknown_tags(model.labels, sentences, read, "evaluate a model trained on these tags")
    scores = evaluate(model, sentences, masked)
    shown = sys.stderr if args.json else sys.stdout  # --json: stdout holds the JSON line alone (helper-100: jq choked)
    print(format_table(scores), file=shown)
    print(f"{scores['sentences']} sentences, {scores['tokens']} tokens, {scores['seconds']} s", file=shown)
    if args.json:
        keys = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall", "per_type")
        print(json.dumps({k: scores[k] for k in keys} | {k: scores[k] for k in ("sentences", "tokens", "seconds")}))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..data.raw_text import readable
    from ..data.formats.text import typed_sentences
    from ..data.tokenize import MAX_SENTENCE_TOKENS, even_pieces
    from ..models.bulk import tag_in_batches, write_tagged
    if args.out == Path("-"):  # the usual "stdout" (helper-100): JSON lines there, as without --out
        args.out = None
    if args.json and (args.text is None or args.out):
        raise FlagError("--json prints the tags of --text as one JSON line on stdout: leave it out, --data and --out "
                        "write JSON lines already (on stdout, or to a .jsonl file)")
    if args.out:
        _check_output(args.out, args.data, args.force)
    path = dataset_model(args) if args.dataset else existing_model(args)
    if args.text is None:
        check_input(args)
    model = load_model(path, args.device)  # first: text is tokenised as its training sentences were (long-term, one token)
    if args.text is not None:
        text, cleaned = readable(args.text)  # HTML, Windows-1252, hyphenated line breaks: as on the Predict page
        found = typed_sentences(text, model.token_style)  # a line a headline, as the Predict page reads it
        sentences = [[t.text for t in piece] for sentence in found for piece in even_pieces(sentence)]
        if not sentences:
            print("error: the text is empty; nothing to tag", file=sys.stderr)
            return 1
        for what, n in cleaned.items():
            print(f"note: {what}: {n}", file=sys.stderr)
        if len(sentences) > len(found):
            print(f"note: sentences of over {MAX_SENTENCE_TOKENS} tokens were cut into pieces", file=sys.stderr)
    else:
        read = text_or_corpus(args, model.token_style)
        print(read.summary(), file=sys.stderr)
        sentences = [s.words for s in read.sentences]
    from ..data.scripts import foreign_note

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


def _check_output(out: Path, data: str | None, force: bool) -> None:
    """Refuse an ``--out`` that cannot be written, that is the input or a dataset's corpus file, or that exists (without
    ``force``), before any tagging."""
    from ..data.corpus import format_of
    from ..storage.datasets import corpus_owner

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
    if (owner := corpus_owner(out)) is not None:  # helper-100: a dataset's sentences replaced by 4 tagged lines
        raise ValueError(f"--out {out} is the corpus file of dataset {owner!r}: write the tags elsewhere")
    if out.exists() and not force:
        raise ValueError(f"--out {out} exists: give --force to replace it, or another name")


def cmd_mine(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..quality.mining import mine

    path = dataset_model(args, fallback=True) if args.dataset else existing_model(args)
    check_input(args)
    model = load_model(path, args.device)
    read = text_or_corpus(args, model.token_style)  # tokenised as the pool of a dataset the model learnt from would be
    print(read.summary(), file=sys.stderr)
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


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="entity-level scores on a corpus file")
    p.add_argument("--data", type=Path, help="corpus file (default: the test split of the default corpus)")
    p.add_argument("--dataset", help="score a dataset as the app's Error analysis does: its gold with the corrections saved, "
                   "its own split, and --model from its active set (default: --data, a file as it is)")
    p.add_argument("--split", choices=(*SPLITS, "all"), help="part of the file's (or dataset's) split to score (default: all of --data; "
                   "the test split otherwise)")
    p.add_argument("--json", action="store_true", help="print one JSON line on stdout (the table goes to stderr)")
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
    p.add_argument("--out", type=Path, help="write .jsonl or .json (JSON lines: the sentence's index, tokens, tags, probabilities), or CoNLL (.conll, "
                   ".iob, .iob2, .bio, .txt, .tsv), .csv or .spacy (tokens and tags); default: JSON lines on stdout")
    p.add_argument("--json", action="store_true", help="with --text and no --out: one JSON line (--data writes JSON lines)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists (never a dataset's corpus file)")
    _active_set_arg(p)
    model_args(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("mine", help="rank the sentences of a file (tags ignored) by what annotating them is worth: rare types first")
    p.add_argument("--data", required=True, help="a file of raw text or any corpus format, or - for stdin")
    p.add_argument("--input", choices=UNLABELLED_KINDS, default="auto", help="as for predict")
    p.add_argument("--strategy", choices=("rare", "uncertain", "mixed", "random"), default="mixed",
                   help="rare: the detector and the weak tagger; uncertain: the tagger's uncertainty; mixed (default): "
                        "both, with diversity; random: a seeded shuffle")
    p.add_argument("--top", type=at_least(1), help="the best N only")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true", help="one JSON line: [{sentence, score, reason, types}], best first")
    _active_set_arg(p)
    model_args(p, MINING_MODEL)
    p.set_defaults(func=cmd_mine)


def _active_set_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", help="take --model from this dataset's active model set: the models its app pages use, "
                   "trained or retrained in the app (default: --model under checkpoints/)")
