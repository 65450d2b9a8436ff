"""Speed of the shipped Bi-LSTM-CRF: training s/epoch, batched throughput, single-sentence latency.

    python benchmarks/speed.py [--model bilstm_crf] [--threads 2] [--train-sentences 2000]

Goals (2 CPU cores): throughput >= 30k tokens/s, one sentence <= 10 ms p95.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.checkpoint import resolve  # noqa: E402
from ner_core.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.tagger import Tagger  # noqa: E402
from ner_core.train import TrainConfig, train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bilstm_crf")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-sentences", type=int, default=2000, help="sentences for the s/epoch figure")
    parser.add_argument("--latency-sentences", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    split = split_corpus(read_corpus(default_corpus_path()))
    tagger = Tagger.from_checkpoint(resolve(args.model))
    test = [s.words for s in split.test]
    tokens = sum(len(s) for s in test)

    tagger.tag(test[:256])  # warm-up
    started = time.perf_counter()
    tagger.tag(test)
    batched = time.perf_counter() - started

    latencies = []
    for words in test[: args.latency_sentences]:
        t0 = time.perf_counter()
        tagger.tag([words])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]

    config = TrainConfig(epochs=1, patience=1, threads=args.threads)
    subset = split.train[: args.train_sentences]
    t0 = time.perf_counter()
    train(subset, [], config, progress=False)
    per_epoch = (time.perf_counter() - t0) * len(split.train) / len(subset)

    rows = [
        ("batched throughput (test split)", f"{tokens / batched:,.0f} tokens/s", ">= 30,000"),
        ("single sentence, median", f"{statistics.median(latencies):.2f} ms", ""),
        ("single sentence, p95", f"{p95:.2f} ms", "<= 10"),
        (f"training, s/epoch (extrapolated from {len(subset)} sentences)", f"{per_epoch:,.0f} s", ""),
    ]
    print(f"model {args.model}, {args.threads} threads, {len(test)} sentences / {tokens} tokens")
    width = max(len(r[0]) for r in rows)
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>16}  {goal}")


if __name__ == "__main__":
    main()
