"""What mined sentences are worth: hide the tags of part of the training split (the pool), let a simulated
annotator reveal the gold of the top N mined sentences, retrain the whole method, and score the rare types.

    python benchmarks/mining_worth.py [--seeds 1 2 3] [--base 5000] [--pool 20000] [--add 500]
        [--epochs 3] [--weak-epochs 8] [--detector-epochs 2] [--patience 3] [--weak-patience 8] [--dev N]
        [--threads 1] [--json out.json] [--plot out.png]

Per seed: the default corpus's train split is shuffled with the seed; the first ``--base`` sentences are
the annotated data, the next ``--pool`` the pool (only their words are looked at when ranking). The method
(``ner_core.training.method.train_method``: strong and weak Bi-LSTM-CRF taggers with the GloVe recipe,
the detector, the detector threshold tuned on the val split, or its first ``--dev`` sentences) is trained
on the base, with few epochs (CPU-sized: one training on 5,000 sentences takes about 6 minutes on one
thread); it ranks the pool with :func:`ner_core.quality.mining.mine` (``--strategy``, default ``mixed``);
the gold of its top ``--add`` sentences is revealed and the method retrained from scratch on base +
those (same settings and seed). The same for ``--add`` random pool sentences (``mine``'s seeded
``random``). Each of the three pipelines is scored on the whole test split: the mean of the weak types'
entity F1 (seqeval, IOB2 strict) and the micro F1 over the strong types (the weak types masked to ``O``
in gold and prediction); also the rare-type entities the added sentences hold.

The target (the issue's): mined gain - random gain in the weak types' mean F1 >= 0.05 (mean over the
seeds), and the strong types' micro F1 not lower with the mined sentences than without. Checkpoints go to
a temporary directory. ``--json`` is rewritten after every seed, so a partial run keeps what it measured.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from ner_core.data.corpus import Sentence, Split, default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.tags import TagSet, mask_types, spans  # noqa: E402
from ner_core.evaluation.metrics import entity_scores  # noqa: E402
from ner_core.models.bulk import tag_in_batches  # noqa: E402
from ner_core.models.pipeline import VotedPipeline  # noqa: E402
from ner_core.quality import mining  # noqa: E402
from ner_core.quality.mining import STRATEGIES, mine  # noqa: E402
from ner_core.training.method import MethodSettings, train_method  # noqa: E402

TARGET = 0.05  # mined gain - random gain, weak types' mean F1 on test
ARMS = ("base", "random", "mined")
ARM_LABELS = {"base": "base", "random": "+random", "mined": "+mined"}


def rare_entities(sentences: list[Sentence], weak: frozenset[str]) -> int:
    return sum(span.type in weak for s in sentences for span in spans(s.tags))


def score(pipeline: VotedPipeline, test: list[Sentence], tagset: TagSet) -> dict:
    """The weak types' per-type and mean F1 and the strong types' micro F1 on ``test`` (one tagging pass)."""
    pred = [t.tags for t in tag_in_batches(pipeline, [s.words for s in test])]
    gold = [s.tags for s in test]
    per_type = entity_scores(gold, pred)["per_type"]
    weak = sorted(tagset.weak)
    weak_f1 = {t: per_type.get(t, {"f1": 0.0})["f1"] for t in weak}
    strong = entity_scores([mask_types(g, weak) for g in gold], [mask_types(p, weak) for p in pred])
    return {"weak_mean_f1": statistics.mean(weak_f1.values()), "weak_f1": weak_f1, "strong_micro_f1": strong["micro_f1"]}


def train_and_score(name: str, train: list[Sentence], split: Split, tagset: TagSet, settings: MethodSettings,
                    work: Path) -> tuple[VotedPipeline, dict]:
    started = time.perf_counter()

    def report(event: dict) -> None:  # a line per epoch (the taggers' val score) and when the threshold is set
        if "batch" in event or "log" in event or not event["done"]:
            return
        val = f", val {event['val']:.4f}" if "val" in event else f", threshold {event['threshold']}" if "threshold" in event else ""
        print(f"    {name}: {event['stage']} {event['done']}/{event['total']}{val} at {time.perf_counter() - started:.0f} s",
              flush=True)

    summary = train_method(Split(train, split.val, split.test), tagset, work / name, settings, report)
    pipeline = VotedPipeline.load(work / name)
    scores = score(pipeline, split.test, tagset)
    scores.update(train_sentences=len(train), threshold=summary["threshold"], dev_macro_f1=round(summary["dev_macro_f1"], 4),
                  seconds=round(time.perf_counter() - started, 1))
    print(f"    {name}: {len(train):,} sentences, weak mean F1 {scores['weak_mean_f1']:.4f}, strong micro F1 "
          f"{scores['strong_micro_f1']:.4f}, {scores['seconds']:.0f} s", flush=True)
    return pipeline, scores


def run_seed(seed: int, split: Split, tagset: TagSet, args: argparse.Namespace) -> dict:
    order = list(range(len(split.train)))
    random.Random(seed).shuffle(order)
    base = [split.train[i] for i in order[: args.base]]
    pool = [split.train[i] for i in order[args.base: args.base + args.pool]]
    settings = MethodSettings(epochs=args.epochs, weak_epochs=args.weak_epochs, detector_epochs=args.detector_epochs,
                              patience=args.patience, weak_patience=args.weak_patience, detector_patience=args.patience,
                              threads=args.threads, seed=seed, progress=False, device="cpu")
    print(f"seed {seed}: base {len(base):,} sentences ({rare_entities(base, tagset.weak)} rare-type entities), "
          f"pool {len(pool):,} ({rare_entities(pool, tagset.weak)})", flush=True)
    arms: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="mining_worth-") as tmp:
        work = Path(tmp)
        pipeline, arms["base"] = train_and_score("base", base, split, tagset, settings, work)
        started = time.perf_counter()
        words = [s.words for s in pool]
        picked = {"mined": [m.sentence for m in mine(pipeline, words, args.strategy, top=args.add, seed=seed).items],
                  "random": [m.sentence for m in mine(pipeline, words, "random", top=args.add, seed=seed).items]}
        mining_seconds = round(time.perf_counter() - started, 1)
        print(f"    pool ranked ({args.strategy}) in {mining_seconds:.0f} s", flush=True)
        del pipeline
        for arm in ("random", "mined"):
            added = [pool[i] for i in picked[arm]]
            _, arms[arm] = train_and_score(arm, base + added, split, tagset, settings, work)
            arms[arm].update(added_sentences=len(added), rare_entities_added=rare_entities(added, tagset.weak),
                             sentences_with_rare=sum(rare_entities([s], tagset.weak) > 0 for s in added))
    arms["base"].update(added_sentences=0, rare_entities_added=0, sentences_with_rare=0)
    gains = {arm: arms[arm]["weak_mean_f1"] - arms["base"]["weak_mean_f1"] for arm in ("random", "mined")}
    return {"seed": seed, "arms": arms, "mining_seconds": mining_seconds, "weak_gain": gains,
            "gain_difference": gains["mined"] - gains["random"],
            "strong_change_mined": arms["mined"]["strong_micro_f1"] - arms["base"]["strong_micro_f1"]}


def mean_over(results: list[dict]) -> dict:
    """The arms' figures and the gains, averaged over the seeds."""
    keys = ("weak_mean_f1", "strong_micro_f1", "rare_entities_added", "sentences_with_rare")
    arms = {arm: {k: statistics.mean(r["arms"][arm][k] for r in results) for k in keys} for arm in ARMS}
    for arm in ARMS:
        types = results[0]["arms"][arm]["weak_f1"]
        arms[arm]["weak_f1"] = {t: statistics.mean(r["arms"][arm]["weak_f1"][t] for r in results) for t in types}
    gains = {arm: statistics.mean(r["weak_gain"][arm] for r in results) for arm in ("random", "mined")}
    difference = statistics.mean(r["gain_difference"] for r in results)
    strong_change = statistics.mean(r["strong_change_mined"] for r in results)
    return {"arms": arms, "weak_gain": gains, "gain_difference": difference, "strong_change_mined": strong_change,
            "target_met": difference >= TARGET and strong_change >= 0}


def table(figures: dict, title: str) -> str:
    arms = figures["arms"]
    types = list(arms["base"]["weak_f1"])
    lines = [f"**{title}**", "", "| arm | weak mean F1 | " + " | ".join(f"{t} F1" for t in types)
             + " | gain over base | strong micro F1 | rare entities added (in sentences) |",
             "|---|---:|" + "---:|" * len(types) + "---:|---:|---:|"]
    for arm in ARMS:
        a = arms[arm]
        gain = "" if arm == "base" else f"{a['weak_mean_f1'] - arms['base']['weak_mean_f1']:+.4f}"
        added = "" if arm == "base" else f"{a['rare_entities_added']:.4g} ({a['sentences_with_rare']:.4g})"
        lines.append(f"| {ARM_LABELS[arm]} | {a['weak_mean_f1']:.4f} | " + " | ".join(f"{a['weak_f1'][t]:.4f}" for t in types)
                     + f" | {gain} | {a['strong_micro_f1']:.4f} | {added} |")
    strong = arms["mined"]["strong_micro_f1"] - arms["base"]["strong_micro_f1"]
    lines += ["", f"mined gain - random gain: **{figures['gain_difference']:+.4f}** (target >= {TARGET}); "
              f"strong micro F1 with the mined sentences: {strong:+.4f} against base (target >= 0)"]
    return "\n".join(lines)


def plot(results: list[dict], mean: dict, path: Path) -> str:
    """A bar chart of the weak types' mean F1 per arm, per seed and the mean: plotly + kaleido, else
    matplotlib, else plotly rendered by Chromium through Playwright (as benchmarks/noise_recovery.py)."""
    groups = [f"seed {r['seed']}" for r in results] + ["mean"]
    values = {arm: [r["arms"][arm]["weak_mean_f1"] for r in results] + [mean["arms"][arm]["weak_mean_f1"]] for arm in ARMS}
    title = "Weak (rare) types' mean test F1: base, + 500 random, + 500 mined sentences"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import plotly.graph_objects as go
    except ImportError:
        go = None
    if go is not None:
        fig = go.Figure([go.Bar(name=ARM_LABELS[arm], x=groups, y=values[arm], text=[f"{v:.3f}" for v in values[arm]],
                                textposition="outside") for arm in ARMS])
        fig.update_layout(title=title, barmode="group", yaxis={"title": "weak types' mean F1 (test)"}, width=900, height=500,
                          template="plotly_white")
        try:
            import kaleido  # noqa: F401

            fig.write_image(str(path))
            return f"plot: {path} (plotly + kaleido)"
        except Exception:  # kaleido missing, or it has no browser
            pass
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig_, ax = plt.subplots(figsize=(9, 5))
        width = 0.8 / len(ARMS)
        for k, arm in enumerate(ARMS):
            ax.bar([g + k * width for g in range(len(groups))], values[arm], width, label=ARM_LABELS[arm])
        ax.set_xticks([g + width for g in range(len(groups))], groups)
        ax.set_ylabel("weak types' mean F1 (test)")
        ax.set_title(title)
        ax.legend()
        fig_.savefig(path, dpi=100, bbox_inches="tight")
        return f"plot: {path} (matplotlib)"
    except ImportError:
        pass
    if go is None:
        return "plot skipped: neither plotly nor matplotlib is installed"
    try:
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
            html = Path(tmp) / "chart.html"
            fig.write_html(html, include_plotlyjs=True)
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 900, "height": 500})
            page.goto(html.as_uri())
            page.wait_for_selector(".main-svg")
            page.screenshot(path=str(path))
            browser.close()
        return f"plot: {path} (plotly rendered by Chromium)"
    except Exception as err:  # no playwright, no chromium
        return f"plot skipped: no kaleido, no matplotlib, and Chromium failed ({err})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--base", type=int, default=5000, help="annotated sentences to start from")
    parser.add_argument("--pool", type=int, default=20000, help="pool sentences (tags hidden from the ranking)")
    parser.add_argument("--add", type=int, default=500, help="sentences the simulated annotator reveals")
    parser.add_argument("--strategy", default="mixed", choices=[s for s in STRATEGIES if s != "random"])
    parser.add_argument("--epochs", type=int, default=3, help="the strong tagger's most epochs")
    parser.add_argument("--weak-epochs", type=int, default=8, help="the weak tagger's most epochs")
    parser.add_argument("--detector-epochs", type=int, default=2)
    parser.add_argument("--dev", type=int, help="early stopping and the threshold on the first N val sentences (default: all)")
    parser.add_argument("--patience", type=int, default=3, help="early stopping on val: the strong tagger and the detector")
    parser.add_argument("--weak-patience", type=int, default=8,
                        help="the weak tagger's (its val score stays 0 for the first epochs: a short patience stops it there)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--plot", type=Path, help="a bar chart of the weak types' mean F1 per arm (PNG)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    split = split_corpus(read_corpus(default_corpus_path()))
    if args.dev:
        split = Split(split.train, split.val[: args.dev], split.test)
    if args.base + args.pool > len(split.train):
        parser.error(f"--base + --pool exceeds the train split's {len(split.train):,} sentences")
    tagset = TagSet.of_split(split.train, [*split.val, *split.test])  # the whole corpus's types: every arm the same
    print(tagset.describe(), flush=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("json", "plot")}
    mining_file = Path(mining.__file__).read_bytes()  # mine()'s version: its constants and the file's hash
    settings["mining"] = {"uncertain_weight": mining.UNCERTAIN_WEIGHT, "diversity": mining.DIVERSITY,
                          "free_repeats": mining.FREE_REPEATS, "mining_py_sha1": hashlib.sha1(mining_file).hexdigest()}
    results: list[dict] = []
    for seed in args.seeds:
        results.append(run_seed(seed, split, tagset, args))
        print("\n" + table(results[-1], f"seed {seed}") + "\n", flush=True)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"settings": settings, "target": TARGET, "test_sentences": len(split.test),
                                             "seeds": results, "minutes": round((time.perf_counter() - started) / 60, 1)},
                                            indent=1))
    mean = mean_over(results)
    minutes = round((time.perf_counter() - started) / 60, 1)
    print(table(mean, f"mean over {len(results)} seed(s) ({', '.join(map(str, args.seeds))})") + "\n")
    print(f"target {'met' if mean['target_met'] else 'NOT met'}; {minutes} min in all")
    if args.json:
        args.json.write_text(json.dumps({"settings": settings, "target": TARGET, "test_sentences": len(split.test),
                                         "seeds": results, "mean": mean, "minutes": minutes}, indent=1))
    if args.plot:
        print(plot(results, mean, args.plot))


if __name__ == "__main__":
    main()
