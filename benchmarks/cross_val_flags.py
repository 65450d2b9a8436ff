"""Cross-validated label issues on a small noisy file: precision of the top flags per fold-model recipe.

    python benchmarks/cross_val_flags.py [--part train] [--size 5000] [--rate 0.05] [--noise-seed 7]
                                         [--recipes glove fused warm] [--init-from bilstm_crf]
                                         [--cv-seed 13] [--epochs 8] [--folds 5] [--cli] [--json out.json]

The first ``--size`` sentences of the default corpus's ``--part`` split get ``--rate`` of their entities
corrupted (``ner_core/data/noise.py``); ``label-issues --cross-val`` (``cross_validate`` and
``issues_from_marginals``) ranks them with fold models of each recipe, on 1 torch thread. ``warm``:
fold models started from ``--init-from`` (the shipped tagger, trained on the train split: use
``--part val`` or ``test``, sentences it never saw, as a user's new file). A flag is a hit where the
noise changed the tag. Precision at 100 / 250 / 500 / 1,000 flags is printed for the ranking the
workbench uses (cross-validated from scratch: the model's marginal times the word's agreement with
its other occurrences; warm-started: the marginal alone) and for the other one; with two or more
recipes of one tag list, also for their fold models' marginals averaged. ``--cli`` also runs what a
user runs on the noisy file, ``label-issues --data FILE --cross-val K --json`` with its defaults.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ner_core.data.corpus import SPLITS, default_corpus_path, read_corpus, split_corpus, write_corpus  # noqa: E402
from ner_core.data.noise import plant_noise  # noqa: E402
from ner_core.quality.label_issues import LabelIssue, issues_from_marginals  # noqa: E402
from ner_core.training.cross_val import CrossValConfig, cross_validate  # noqa: E402
from ner_core.workbench.registry import recipe_line  # noqa: E402

NS = (100, 250, 500, 1000)


def precisions(ranked: list[LabelIssue], planted: set[tuple[int, int]]) -> dict[int, float]:
    return {n: round(sum((i.sentence, i.token) in planted for i in ranked[:n]) / n, 3) for n in NS}


def rankings(noisy, marginals, labels, folds) -> dict[str, list[LabelIssue]]:
    """The same flags ranked with the words' agreement and by the model's marginal of the given tag alone."""
    return {"with agreement": issues_from_marginals(noisy, marginals, labels, folds=folds),
            "marginal alone": issues_from_marginals(noisy, marginals, labels, folds=folds, agreement=False)}


def cli_row(noisy, planted: set[tuple[int, int]], folds: int) -> dict:
    """``label-issues --cross-val`` as a user runs it (its defaults: auto, warm from the shipped tagger where
    allowed), on the noisy file written to disk; its flags scored as the other rows'."""
    with TemporaryDirectory() as scratch:
        path = Path(scratch) / "noisy.conll"
        write_corpus(noisy, path)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ner_core", "label-issues", "--data", str(path), "--cross-val", str(folds),
                               "--json"], cwd=ROOT, capture_output=True, text=True, check=True)
    print(next(line for line in done.stderr.splitlines() if line.startswith("fold models:")), flush=True)
    flags = [LabelIssue(**{k: v for k, v in i.items() if k != "word"}) for i in json.loads(done.stdout)]
    return {"folds of": "label-issues CLI, defaults", "ranking": "used", "minutes": round((time.perf_counter() - started) / 60, 1),
            **precisions(flags, planted)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(default_corpus_path()))
    parser.add_argument("--part", default="train", choices=SPLITS, help="the split the file is taken from")
    parser.add_argument("--size", type=int, default=5000, help="its first N sentences")
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--noise-seed", type=int, default=7)
    parser.add_argument("--recipes", nargs="*", default=["glove"], choices=("glove", "fused", "finetune", "warm", "auto"))
    parser.add_argument("--init-from", default="bilstm_crf", help="the tagger warm fold models start from (auto: a candidate)")
    parser.add_argument("--cv-seed", type=int, default=13, help="the folds' assignment and the models' seed")
    parser.add_argument("--epochs", type=int, default=8, help="epochs of each fold model (label-issues' default: 8)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--cli", action="store_true", help="also run the command a user runs on the noisy file: "
                        "label-issues --data FILE --cross-val K --json, its defaults otherwise")
    args = parser.parse_args()
    torch.set_num_threads(1)
    clean = split_corpus(read_corpus(args.data)).part(args.part)[: args.size]
    noisy, planted = plant_noise(clean, args.rate, seed=args.noise_seed)
    print(f"{len(noisy):,} sentences, {len(planted)} planted tokens (rate {args.rate}, noise seed {args.noise_seed}); "
          f"{args.folds} folds, {args.epochs} epochs, cv seed {args.cv_seed}")
    rows, runs, choices = [], {}, {}
    for recipe in args.recipes:
        started = time.perf_counter()
        config = CrossValConfig(folds=args.folds, epochs=args.epochs, seed=args.cv_seed, recipe=recipe)
        init_from = args.init_from if recipe in ("warm", "auto") else None  # a name under checkpoints/: no machine path in the report
        with TemporaryDirectory() as scratch:
            runs[recipe] = cross_validate(noisy, config, scratch, init_from=init_from, progress=False)
        minutes = (time.perf_counter() - started) / 60
        chosen = runs[recipe].recipe["chosen"]
        print(f"{recipe}: {recipe_line(runs[recipe].recipe)}", flush=True)
        choices[recipe] = runs[recipe].recipe
        used = "marginal alone" if runs[recipe].warm else "with agreement"
        for name, ranked in rankings(noisy, runs[recipe].marginals, runs[recipe].labels, runs[recipe].folds).items():
            rows.append({"folds of": recipe if chosen == recipe else f"{recipe} ({chosen})", "ranking": name + (" (used)" if name == used else ""),
                         "minutes": round(minutes, 1), **precisions(ranked, planted)})
    if args.cli:
        rows.append(cli_row(noisy, planted, args.folds))
    first = runs[args.recipes[0]] if runs else None
    if len(runs) > 1 and all(run.labels == first.labels for run in runs.values()):  # a warm start's tag list may differ
        averaged = [np.mean([run.marginals[i] for run in runs.values()], axis=0) for i in range(len(noisy))]
        for name, ranked in rankings(noisy, averaged, first.labels, first.folds).items():
            rows.append({"folds of": " + ".join(args.recipes), "ranking": name, "minutes": None, **precisions(ranked, planted)})
    print("\n| fold models | ranking | minutes | " + " | ".join(f"P@{n}" for n in NS) + " |\n|---|---|---:|" + "---:|" * len(NS))
    for row in rows:
        minutes = "" if row["minutes"] is None else row["minutes"]
        print(f"| {row['folds of']} | {row['ranking']} | {minutes} | " + " | ".join(f"{row[n]:.3f}" for n in NS) + " |")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: v for k, v in vars(args).items() if k not in ("data", "json")},
                                         "planted": len(planted), "rows": rows, "recipes": choices}, indent=1))


if __name__ == "__main__":
    main()
