"""Tagging a whole file: the shipped models through ``predict --data``'s code, beside a CRFsuite baseline.

The default corpus's test split is tagged in batches (:func:`ner_core.models.bulk.tag_in_batches`, as
``python -m ner_core predict --data FILE`` does) by the shipped single tagger and voted pipeline;
the baseline is a linear-chain CRF (python-crfsuite, ``pip install python-crfsuite``) on the usual
hand-made features (the word, its lower case, suffixes, shape, the neighbours'), trained here on the
train split. Printed: tokens/s, and entity micro F1 as a check that the work done is the same.

    python benchmarks/predict_throughput.py [--threads 2] [--json reports/predict_throughput.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.evaluation.metrics import entity_scores  # noqa: E402
from ner_core.models.bulk import tag_in_batches  # noqa: E402
from ner_core.models.checkpoint_dirs import resolve  # noqa: E402
from ner_core.models.pipeline import load_any  # noqa: E402


def features(words, i: int) -> list[str]:
    """CRFsuite features of token ``i``: the common baseline's (as in sklearn-crfsuite's tutorial)."""
    w = words[i]
    out = [f"w={w.lower()}", f"suf3={w[-3:]}", f"suf2={w[-2:]}", f"upper={w.isupper()}", f"title={w.istitle()}",
           f"digit={w.isdigit()}", "bias"]
    for k, name in ((-1, "prev"), (1, "next")):
        j = i + k
        if 0 <= j < len(words):
            out += [f"{name}={words[j].lower()}", f"{name}title={words[j].istitle()}", f"{name}upper={words[j].isupper()}"]
        else:
            out.append(f"{name}=EDGE")
    return out


def crfsuite(train, test) -> dict:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    started = time.perf_counter()
    for s in train:
        trainer.append([features(s.words, i) for i in range(len(s))], list(s.tags))
    trainer.set_params({"c1": 0.1, "c2": 0.1, "max_iterations": 100})
    model = Path(tempfile.mkdtemp()) / "crf.model"
    trainer.train(str(model))
    trained = time.perf_counter() - started
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    started = time.perf_counter()
    predicted = [tagger.tag([features(s.words, i) for i in range(len(s))]) for s in test]
    return {"seconds": time.perf_counter() - started, "predicted": predicted, "train_seconds": trained}


def ours(name: str, test) -> dict:
    model = load_any(resolve(name))
    model.tag([test[0].words])  # what a first call loads once (the GloVe index of the open vocabulary) is not throughput
    started = time.perf_counter()
    predicted = [list(t.tags) for t in tag_in_batches(model, [s.words for s in test])]
    return {"seconds": time.perf_counter() - started, "predicted": predicted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    split = split_corpus(read_corpus(default_corpus_path()))
    tokens = sum(map(len, split.test))
    gold = [list(s.tags) for s in split.test]
    rows = {}
    for label, run in (("bilstm_crf (predict --data)", lambda: ours("bilstm_crf", split.test)),
                       ("voted (predict --data --model voted)", lambda: ours("voted", split.test)),
                       ("CRFsuite baseline", lambda: crfsuite(split.train, split.test))):
        result = run()
        rows[label] = {"tokens_per_second": round(tokens / result["seconds"]), "seconds": round(result["seconds"], 2),
                       "micro_f1": round(entity_scores(gold, result["predicted"])["micro_f1"], 4)}
        if "train_seconds" in result:
            rows[label]["train_seconds"] = round(result["train_seconds"], 1)
        print(f"{label}: {rows[label]}", flush=True)
    print(f"\ntest split: {len(split.test):,} sentences, {tokens:,} tokens, {args.threads} thread(s)\n")
    print("| tagger | tokens/s | seconds | micro F1 |\n|---|---:|---:|---:|")
    for label, r in rows.items():
        print(f"| {label} | {r['tokens_per_second']:,} | {r['seconds']} | {r['micro_f1']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"sentences": len(split.test), "tokens": tokens, "threads": args.threads,
                                               "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
