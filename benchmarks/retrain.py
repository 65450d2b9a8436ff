"""Warm-start retrain of strong + weak + detector after a few dozen corrections.

    python benchmarks/retrain.py [--corrections 30] [--epochs 1]

Uses a scratch data directory (database, registry), so the real ones are untouched. Goal: the
whole retrain (training, scoring old vs new, registering) <= 90 s on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp()
    os.environ["NER_DATA_DIR"] = scratch
    os.environ["NER_DB_URL"] = f"sqlite:///{scratch}/db.sqlite"
    from ner_core.data.corpus import default_corpus_path
    from ner_core.storage.db import make_engine
    from ner_core.storage.store import CorrectionStore
    from ner_core.workbench.retrain import RetrainSpec, run_retrain

    store = CorrectionStore(make_engine(), "default", default_corpus_path())
    for i in range(args.corrections):  # tag the first token of sentence i as a time expression
        tags = store.tags(i)
        store.save(i, ["B-tim" if tags[0] == "O" else "O"] + tags[1:], author="benchmark")
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def report(event: dict) -> None:
        stages[event.get("model", event.get("stage", "?"))] = time.perf_counter() - started

    result = run_retrain(RetrainSpec(["strong", "weak", "detector"], warm_start=True, epochs=args.epochs), report)
    total = time.perf_counter() - started
    print(f"{args.corrections} corrections, warm start, {args.epochs} epoch(s) per model")
    for stage, t in stages.items():
        print(f"  {stage:<24} last report at {t:6.1f} s")  # a stage's last report: its end
    print(f"total {total:.1f} s (goal <= 90 s); registered {result['entry']['id']}")


if __name__ == "__main__":
    main()
