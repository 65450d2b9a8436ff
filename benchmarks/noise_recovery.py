"""What the review loop is worth: plant noise in the training data, find it by cross-validated label
issues, let a simulated reviewer fix the top N flags, retrain and score on the untouched test split.

    python benchmarks/noise_recovery.py [--train-size 8000] [--rates 0.05 0.10] [--folds 3] [--quick]

For each noise rate: ``rate`` of the entities of the first ``--train-size`` sentences of the train
split are corrupted (``ner_core/noise.py``: type swapped, boundary shifted, entity dropped, or a
spurious entity added). A fast tagger (``ner_core.training.cross_val``'s size) is trained on the noisy data
for ``--epochs``; the training data is ranked by cross-validated label issues (``--folds`` models,
each scoring the fold it did not see). Every row then trains a tagger from scratch for ``--epochs``
on its own version of the data, with the same seed (with ``--warm-start``: continues the noisy
model for ``--retrain-epochs``, as the workbench's retrain does; that hides what the noise cost,
see ``reports/noise_recovery.md``):

- no fix: the noisy data; all noise fixed: the clean data (what the noise cost is measured against);
- reviewer at N: the top N flagged tokens are looked at; where one was planted, the reviewer restores
  the corrupted entity's original tags (the run of planted changes around it);
- random at N: the same reviewer on N random tokens; drop at N: sentences with a top-N flag removed;
- automatic relabelling: every flagged tag whose score is at least 0.9 replaced by the suggestion
  (``benchmarks/relabel_training.py``'s rule).

Reported per row: flag precision, share of planted (token) noise fixed, test micro/macro F1 and the
share of the micro F1 lost to the noise that was recovered, and the reviewer's time at
``--seconds-per-decision`` (default 3 s; the review queue's browser benchmark measures it). The
markdown table goes to stdout and ``--report``; a plotly chart of F1 against N to ``--chart`` (PNG,
rendered by Chromium through Playwright; HTML beside it).
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import Sentence, default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.data.noise import plant_noise  # noqa: E402
from ner_core.data.tags import TagSet, repair_iob2  # noqa: E402
from ner_core.evaluation.evaluate import evaluate  # noqa: E402
from ner_core.models.tagger import Tagger  # noqa: E402
from ner_core.quality.label_issues import LabelIssue, issues_from_marginals  # noqa: E402
from ner_core.training.cross_val import CrossValConfig, cross_validate, new_tagger, train_epochs  # noqa: E402

NS = (250, 500, 1000, 2000, 4000)
COMPARE_AT = 2000  # N of the random-fix and drop rows


def reviewer_fix(clean: list[Sentence], noisy: list[Sentence], looked_at: list[tuple[int, int]]) -> tuple[list[Sentence], set]:
    """The data after a reviewer looked at ``looked_at`` tokens: where one was planted, the run of
    planted changes around it (the corrupted entity) gets its original tags back."""
    fixed = {i: list(s.tags) for i, s in enumerate(noisy)}
    restored = set()
    for i, t in looked_at:
        if clean[i].tags[t] == noisy[i].tags[t]:
            continue
        lo, hi = t, t + 1
        while lo > 0 and clean[i].tags[lo - 1] != noisy[i].tags[lo - 1]:
            lo -= 1
        while hi < len(noisy[i]) and clean[i].tags[hi] != noisy[i].tags[hi]:
            hi += 1
        fixed[i][lo:hi] = clean[i].tags[lo:hi]
        restored |= {(i, k) for k in range(lo, hi)}
    return [Sentence(s.words, tuple(fixed[i]), s.pos) for i, s in enumerate(noisy)], restored


def relabelled(noisy: list[Sentence], issues: list[LabelIssue], min_score: float = 0.9) -> list[Sentence]:
    """Every flagged tag scoring at least ``min_score`` replaced by the model's suggestion (IOB2 repaired)."""
    tags = {i: list(s.tags) for i, s in enumerate(noisy)}
    for issue in issues:
        if issue.score >= min_score:
            tags[issue.sentence][issue.token] = issue.suggested
    return [Sentence(s.words, tuple(repair_iob2(tags[i])), s.pos) for i, s in enumerate(noisy)]


def f1(model, test: list[Sentence]) -> tuple[float, float]:
    scores = evaluate(Tagger(model), test)
    return scores["micro_f1"], scores["macro_f1"]


def run_rate(clean: list[Sentence], noisy: list[Sentence], planted: set, test: list[Sentence], rate: float, args: argparse.Namespace,
             config: CrossValConfig, log) -> list[dict]:
    log(f"rate {rate:.0%}: {len(planted)} planted tokens; cross-validating")
    with TemporaryDirectory() as scratch:
        cv = cross_validate(noisy, CrossValConfig(**{**config.__dict__, "folds": args.folds}), scratch, progress=args.progress)
    issues = issues_from_marginals(noisy, cv.marginals, cv.labels, folds=cv.folds)
    ranked = [(i.sentence, i.token) for i in issues]
    log(f"rate {rate:.0%}: {len(issues)} flagged tokens")
    if rate not in args.retrain_rates:  # flags only: precision and noise found per N, no retraining
        return [{"rate": rate, "row": "reviewer", "n": n, "precision": sum(p in planted for p in ranked[:n]) / len(ranked[:n]),
                 "found": len(reviewer_fix(clean, noisy, ranked[:n])[1] & planted) / len(planted), "micro_f1": None,
                 "macro_f1": None, "recovered": None, "minutes": n * args.seconds_per_decision / 60} for n in NS]
    labels = list(TagSet.from_sentences(clean).labels)
    if args.warm_start:
        log(f"rate {rate:.0%}: training the noisy model")
        base = train_epochs(new_tagger(noisy, labels, config), noisy, config)

    def row(name: str, data: list[Sentence], n: int | None = None, looked: list | None = None, fixed: set = frozenset()) -> dict:
        started = time.perf_counter()
        if args.warm_start:
            model = train_epochs(copy.deepcopy(base), data, config, epochs=args.retrain_epochs)
        else:
            model = train_epochs(new_tagger(data, labels, config), data, config)
        micro, macro = f1(model, test)
        hits = sum(p in planted for p in looked) if looked is not None else None
        result = {"rate": rate, "row": name, "n": n, "precision": hits / len(looked) if looked else None,
                  "found": len(fixed & planted) / len(planted), "micro_f1": micro, "macro_f1": macro}
        log(f"rate {rate:.0%} {name} N={n}: micro {micro:.4f} macro {macro:.4f} ({time.perf_counter() - started:.0f} s)")
        return result

    rows = [row("no fix", noisy), row("all noise fixed", clean, fixed=set(planted))]
    for n in NS:
        data, fixed = reviewer_fix(clean, noisy, ranked[:n])
        rows.append(row("reviewer", data, n, ranked[:n], fixed))
    rng = random.Random(args.seed)
    tokens = [(i, t) for i, s in enumerate(noisy) for t in range(len(s))]
    looked = rng.sample(tokens, COMPARE_AT)
    data, fixed = reviewer_fix(clean, noisy, looked)
    rows.append(row("random fix", data, COMPARE_AT, looked, fixed))
    flagged = {i for i, _ in ranked[:COMPARE_AT]}
    kept = [s for i, s in enumerate(noisy) if i not in flagged]
    rows.append(row("drop flagged sentences", kept, COMPARE_AT, ranked[:COMPARE_AT], {p for p in planted if p[0] in flagged}))
    rows.append(row("automatic relabelling", relabelled(noisy, issues), None, None,
                    {(i.sentence, i.token) for i in issues if i.score >= 0.9 and clean[i.sentence].tags[i.token] == i.suggested}))
    lost = rows[1]["micro_f1"] - rows[0]["micro_f1"]
    for r in rows:
        r["recovered"] = (r["micro_f1"] - rows[0]["micro_f1"]) / lost if lost >= args.min_lost else None
        r["minutes"] = r["n"] * args.seconds_per_decision / 60 if r["n"] and r["row"] in ("reviewer", "random fix") else None
    return rows


def table(rows: list[dict]) -> str:
    def fmt(v, spec):
        return "–" if v is None else format(v, spec)

    def pct(v):
        return "–" if v is None else f"{v:.0%}"

    lines = ["| noise | row | N flags looked at | flag precision | planted noise fixed | test micro F1 | test macro F1 | micro F1 lost recovered | reviewer minutes |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['rate']:.0%} | {r['row']} | {fmt(r['n'], 'd')} | {fmt(r['precision'], '.3f')} | {r['found']:.3f} | "
                     f"{fmt(r['micro_f1'], '.4f')} | {fmt(r['macro_f1'], '.4f')} | {pct(r['recovered'])} | {fmt(r['minutes'], '.0f')} |")
    return "\n".join(lines)


def chart(rows: list[dict], path: Path) -> Path:
    """Test micro F1 against N per noise rate; no fix and all fixed as dotted lines. Writes HTML and a PNG."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for rate in sorted({r["rate"] for r in rows if r["micro_f1"] is not None}):
        mine = [r for r in rows if r["rate"] == rate]
        reviewer = [r for r in mine if r["row"] == "reviewer"]
        fig.add_scatter(x=[r["n"] for r in reviewer], y=[r["micro_f1"] for r in reviewer], mode="lines+markers", name=f"reviewer, {rate:.0%} noise")
        for name, dash in (("no fix", "dot"), ("all noise fixed", "dash")):
            value = next(r["micro_f1"] for r in mine if r["row"] == name)
            fig.add_scatter(x=[NS[0], NS[-1]], y=[value, value], mode="lines", line={"dash": dash}, name=f"{name}, {rate:.0%}")
        for name, symbol in (("random fix", "x"), ("drop flagged sentences", "triangle-down")):
            r = next(r for r in mine if r["row"] == name)
            fig.add_scatter(x=[r["n"]], y=[r["micro_f1"]], mode="markers", marker={"symbol": symbol, "size": 11}, name=f"{name}, {rate:.0%}")
    fig.update_layout(title="Test micro F1 after a reviewer fixes the top N cross-validated label issues",
                      xaxis={"title": "flagged tokens looked at (N)", "type": "log", "tickvals": list(NS)},
                      yaxis={"title": "test micro F1"}, width=1000, height=560, template="plotly_white")
    html = path.with_suffix(".html")
    fig.write_html(html, include_plotlyjs=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1000, "height": 560})
        page.goto(html.resolve().as_uri())
        page.wait_for_selector(".main-svg")
        page.screenshot(path=str(path))
        browser.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(default_corpus_path()))
    parser.add_argument("--train-size", type=int, default=8000, help="first N sentences of the train split")
    parser.add_argument("--test-size", type=int, help="first N sentences of the test split (default: all)")
    parser.add_argument("--rates", type=float, nargs="+", default=[0.05, 0.10])
    parser.add_argument("--retrain-rates", type=float, nargs="*", help="rates with retrained rows (default: every rate; "
                        "the others report flag precision and noise found only)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the noisy model and of each fold model")
    parser.add_argument("--warm-start", action="store_true", help="each row continues the noisy model instead of training from scratch")
    parser.add_argument("--retrain-epochs", type=int, default=2, help="with --warm-start: epochs each row continues the noisy model")
    parser.add_argument("--seconds-per-decision", type=float, default=3.0,
                        help="reviewer seconds per flagged token (the review queue's browser benchmark measures it)")
    parser.add_argument("--min-lost", type=float, default=0.005,
                        help="report the share recovered only when the noise cost at least this much micro F1")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report", type=Path, help="markdown file for the table (and a JSON of the rows beside it)")
    parser.add_argument("--chart", type=Path, help="the chart (PNG, and HTML beside it); default: the repo's "
                        "docs/noise_recovery.png, none with --quick")
    parser.add_argument("--progress", action="store_true", help="tqdm bars for the fold models")
    parser.add_argument("--quick", action="store_true", help="a tiny run to check the script: 600 sentences, 1 epoch")
    args = parser.parse_args()
    args.retrain_rates = args.rates if args.retrain_rates is None else args.retrain_rates
    if args.quick:
        args.train_size, args.test_size, args.epochs, args.retrain_epochs, args.folds = 600, 300, 1, 1, 2
    torch.set_num_threads(1)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    split = split_corpus(read_corpus(args.data))
    clean, test = split.train[: args.train_size], split.test[: args.test_size] if args.test_size else split.test
    config = CrossValConfig(epochs=args.epochs, folds=args.folds)
    rows, counts = [], []
    for rate in args.rates:
        noisy, planted = plant_noise(clean, rate, seed=args.seed)
        rows += run_rate(clean, noisy, planted, test, rate, args, config, log)
        counts.append(f"{rate:.0%} noise: {len(planted)} planted tokens")
    minutes = (time.perf_counter() - started) / 60
    text = (table(rows) + f"\n\n{len(clean)} training sentences, {len(test)} test sentences; {'; '.join(counts)}; "
            f"{minutes:.1f} min end to end\n")
    print(text)
    if args.report:
        args.report.write_text(text)
        recorded = {k: Path(v).name if k in ("data", "report", "chart") and v is not None else str(v) for k, v in vars(args).items()}  # no machine's paths
        args.report.with_suffix(".json").write_text(json.dumps({"args": recorded, "rows": rows, "minutes": minutes}, indent=1))
    if args.chart or not args.quick:
        print(f"chart: {chart(rows, args.chart or Path(__file__).resolve().parent.parent / 'docs' / 'noise_recovery.png')}")


if __name__ == "__main__":
    main()
