"""Growing a pool of 50,000 sentences: the intake, then the ranking job, timed, with the peak memory.

A scratch database and data folder; the default dataset's corpus is the corpus's first 200 sentences
(``$NER_CORPUS``), so that the rest (about 47,700 once duplicates are dropped) can be the pool, made up
to ``--sentences`` with lower-cased copies (new sentences to the pool). The ranking is the ``pool-rank``
job's code (``mixed``: detector, weak tagger, uncertainty, diversity; then the pre-annotation) with the
shipped voted pipeline, in this process, torch on ``--threads`` threads.

    python benchmarks/pool_ranking.py [--sentences 50000] [--threads 2] [--json reports/pool_ranking.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ner_core.data.corpus import default_corpus_path, read_corpus, write_corpus  # noqa: E402

HEAD = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    args = parser.parse_args()
    corpus = read_corpus(default_corpus_path())
    scratch = Path(tempfile.mkdtemp(prefix="pool-bench-"))
    write_corpus(corpus[:HEAD], scratch / "corpus.conll")
    os.environ.update(NER_CORPUS=str(scratch / "corpus.conll"), NER_DATA_DIR=str(scratch / "data"),
                      NER_DB_URL=f"sqlite:///{scratch / 'db.sqlite'}")
    import torch

    from ner_core.storage.datasets import DEFAULT_DATASET, open_dataset
    from ner_core.storage.pool import Pool
    from ner_core.workbench.pool_rank import rank_dataset_pool

    torch.set_num_threads(args.threads)
    head = {s.words for s in corpus[:HEAD]}
    words = [w for w in dict.fromkeys(s.words for s in corpus[HEAD:]) if w not in head]
    # more than the corpus holds: lower-cased copies without their last token (the intake drops the same sentence in other capitals)
    words = (words + [tuple(w.lower() for w in s[:-1]) for s in words if len(s) > 1])[: args.sentences]
    pool = Pool(open_dataset(DEFAULT_DATASET))
    started = time.perf_counter()
    intake = pool.add(words, "benchmark", "bench")
    intake_seconds = time.perf_counter() - started
    print(f"intake: {intake.summary()} in {intake_seconds:.1f} s")
    events = []
    started = time.perf_counter()
    done = rank_dataset_pool(DEFAULT_DATASET, report=lambda e: (events.append(e), print(json.dumps(e), flush=True)))
    rank_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = sum(len(i) for _, i in pool.open_sentences())
    figures = {"sentences": intake.size, "tokens": tokens, "intake_seconds": round(intake_seconds, 1),
               "rank_seconds": round(rank_seconds, 1), "peak_rss_mb": round(peak_mb), "threads": args.threads,
               "model": done["model"], "note": done["note"]}
    print(f"ranked {figures['sentences']:,} sentences ({tokens:,} tokens) in {rank_seconds:.1f} s "
          f"({rank_seconds / 60:.1f} min) with {done['model']}; peak RSS {peak_mb:,.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
