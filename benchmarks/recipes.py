"""Recipes on a small corpus: the first N sentences of the default corpus's train split, its val split
(the first ``--dev`` sentences) as dev, scored on the whole test split.

    python benchmarks/recipes.py [--sizes 1000 3000] [--threads 1] [--dev 1000] [--budget MINUTES] [--out reports/recipes.json]

Per recipe: test micro and macro F1, dev micro F1, training minutes, epochs, tagging tokens/s, on the
device of ``$NER_DEVICE`` (default: a GPU when torch sees one), recorded in the JSON.
``auto`` is what ``--recipe auto`` keeps: the candidate with the best dev micro F1, trained with the
same settings and seed as its row (its minutes are the three candidates' together). Prints a table
and writes JSON (after each run, so a partial run keeps what it measured).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NER_CACHE", tempfile.mkdtemp(prefix="recipes-cache-"))  # features computed afresh (the README's figures); give NER_CACHE to reuse them
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.evaluation.evaluate import evaluate  # noqa: E402
from ner_core.models.device import resolve_device  # noqa: E402
from ner_core.models.tagger import Tagger  # noqa: E402
from ner_core.training.method import Recipe  # noqa: E402
from ner_core.training.recipes import CANDIDATES, RecipeChoice, train_recipe  # noqa: E402
from ner_core.training.train import TrainConfig  # noqa: E402


def run(name: str, train: list, dev: list, test: list, threads: int, budget: float | None) -> dict:
    """Train recipe ``name`` (within ``budget`` minutes) and score it on ``test``."""
    config = TrainConfig(threads=threads)
    chosen = train_recipe(train, dev, config, RecipeChoice(name, budget), Recipe().model, progress=False, log=print)
    started = time.perf_counter()
    scores = evaluate(Tagger(chosen.result.model), test)  # tagging the test split is nearly all of it
    speed = sum(map(len, test)) / (time.perf_counter() - started)
    (entry,) = chosen.record["candidates"]
    return {"recipe": name, "test_micro_f1": round(scores["micro_f1"], 4), "test_macro_f1": round(scores["macro_f1"], 4),
            "dev_micro_f1": entry["dev_micro_f1"], "train_minutes": entry["minutes"], "epochs": entry["epochs"],
            "tokens_per_s": round(speed), "estimated_epoch_minutes": entry.get("estimated_epoch_minutes")}


def auto_row(rows: list[dict]) -> dict:
    best = max(rows, key=lambda r: r["dev_micro_f1"])
    return {**best, "recipe": f"auto ({best['recipe']})", "train_minutes": round(sum(r["train_minutes"] for r in rows), 2)}


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| train sentences | recipe | test micro F1 | test macro F1 | dev micro F1 | train min | epochs | tag tokens/s |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size, rows in results.items():
        for r in rows:
            lines.append(f"| {size} | {r['recipe']} | {r['test_micro_f1']:.4f} | {r['test_macro_f1']:.4f} | {r['dev_micro_f1']:.4f} "
                         f"| {r['train_minutes']:.1f} | {r['epochs']} | {r['tokens_per_s']:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--recipes", nargs="+", default=list(CANDIDATES), choices=CANDIDATES)
    parser.add_argument("--dev", type=int, default=1000, help="dev sentences: the first N of the val split")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget", type=float, help="minutes each recipe may train (its epochs capped to fit; default: none)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "reports" / "recipes.json")
    args = parser.parse_args()
    split = split_corpus(read_corpus(default_corpus_path()))
    dev, test = split.val[: args.dev], split.test
    results: dict[str, list[dict]] = {}
    for size in args.sizes:
        rows = results.setdefault(str(size), [])
        for name in args.recipes:
            rows.append(run(name, split.train[:size], dev, test, args.threads, args.budget))
            print(json.dumps({"size": size, **rows[-1]}), flush=True)
            args.out.write_text(json.dumps({"dev_sentences": len(dev), "test_sentences": len(test), "threads": args.threads, "device": str(resolve_device()),
                                            "results": results}, indent=2))
        if len(rows) == len(CANDIDATES):
            rows.append(auto_row(rows))
        args.out.write_text(json.dumps({"dev_sentences": len(dev), "test_sentences": len(test), "threads": args.threads, "device": str(resolve_device()),
                                        "results": results}, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
