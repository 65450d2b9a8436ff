"""Speed of the shipped models and pipelines on the test split.

    python benchmarks/speed.py [--models bilstm_crf voted voted-bert] [--threads 2] [--train-sentences 2000]

Prints, per model: batched throughput (tokens/s over the whole test split) and single-sentence
latency (median and p95 over the first N sentences, one call each); then training seconds per
epoch of the Bi-LSTM-CRF, extrapolated from a subset. Goals on 2 CPU cores: Bi-LSTM-CRF >= 30k
tokens/s and <= 10 ms p95; voted Bi-LSTM-CRF pipeline >= 25k tokens/s and <= 30 ms p95.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, split_corpus  # noqa: E402
from ner_core.models.checkpoint_dirs import CheckpointError  # noqa: E402
from ner_core.models.pipeline import load_any  # noqa: E402
from ner_core.training.train import TrainConfig, train  # noqa: E402


def measure(name: str, test: list, latency_sentences: int) -> tuple[float, float, float]:
    """(tokens/s batched, median ms, p95 ms) for one model or pipeline."""
    model = load_any(name)
    tokens = sum(len(s) for s in test)
    model.tag(test[:256])  # warm-up (and the encoder's load, for BERT-FF)
    started = time.perf_counter()
    model.tag(test)
    throughput = tokens / (time.perf_counter() - started)
    latencies = []
    for words in test[:latency_sentences]:
        t0 = time.perf_counter()
        model.tag([words])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    return throughput, statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["bilstm_crf", "double", "voted", "bert_ff", "voted-bert"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-sentences", type=int, default=2000, help="sentences for the s/epoch figure (0: skip)")
    parser.add_argument("--latency-sentences", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    split = split_corpus(read_corpus(default_corpus_path()))
    test = [s.words for s in split.test]
    print(f"{args.threads} threads; test split: {len(test)} sentences, {sum(map(len, test))} tokens")
    print(f"{'model':<14} {'tokens/s':>10} {'median ms':>10} {'p95 ms':>8}")
    for name in args.models:
        try:
            throughput, median, p95 = measure(name, test, args.latency_sentences)
        except CheckpointError as err:
            print(f"{name:<14} skipped: {err}")
            continue
        print(f"{name:<14} {throughput:>10,.0f} {median:>10.2f} {p95:>8.2f}")
    if args.train_sentences:
        subset = split.train[: args.train_sentences]
        t0 = time.perf_counter()
        train(subset, [], TrainConfig(epochs=1, patience=1, threads=args.threads), progress=False)
        per_epoch = (time.perf_counter() - t0) * len(split.train) / len(subset)
        print(f"Bi-LSTM-CRF training: {per_epoch:,.0f} s/epoch on the train split (from {len(subset)} sentences)")


if __name__ == "__main__":
    main()
