"""Time and peak memory of importing a large corpus the way the app does (issue "Import memory").

    nice .venv/bin/python benchmarks/import_memory.py [--mb 195] [--over-tokens 40000000]

Builds, in a temporary directory (never in the repository): a zip whose member expands to about
``--mb`` megabytes of valid Kaggle CSV (the default corpus's rows repeated, sentences renumbered),
and a zipped CoNLL file of ``--over-tokens`` one-letter tokens, over the default token limit
(``NER_MAX_IMPORT_TOKENS``, 30M) yet under the byte cap. Each is imported with
``store.import_dataset`` in a child process of its own; printed per file: the outcome, the
seconds of the import, the resident memory before it (interpreter, libraries, the zip's bytes) and
the peak (``ru_maxrss``). Goal: the 195 MB import peaks under 1.5 GB.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SENTENCE_CELL = re.compile(rb"^Sentence: \d+,", re.MULTILINE)


def build_kaggle(path: Path, megabytes: float) -> None:
    """A zip of one Kaggle CSV of about ``megabytes`` MB: the default corpus's rows, repeated."""
    from ner_core.data.corpus import default_corpus_path

    with zipfile.ZipFile(default_corpus_path()) as source:
        header, body = source.read(source.infolist()[0]).split(b"\n", 1)
    target, size, number = int(megabytes * 1e6), len(header) + 1, 0

    def renumber(match: re.Match) -> bytes:
        nonlocal number
        number += 1
        return b"Sentence: %d," % number

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("big.csv", "w") as out:
        out.write(header + b"\n")
        while True:
            chunk = _SENTENCE_CELL.sub(renumber, body)
            if size + len(chunk) > target:  # the last copy: cut before the first sentence past the size
                out.write(chunk[: chunk.rfind(b"\nSentence: ", 0, target - size) + 1])
                break
            out.write(chunk)
            size += len(chunk)


def build_conll(path: Path, tokens: int, per_sentence: int = 20) -> None:
    """A zip of one CoNLL file of ``tokens`` tokens, ``per_sentence`` a sentence."""
    sentence = b"a\tO\n" * per_sentence + b"\n"
    block = sentence * 10_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("over.conll", "w") as out:
        for _ in range(tokens // (per_sentence * 10_000)):
            out.write(block)


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def child(path: Path, filename: str) -> None:
    """Import ``path`` as the app does (its bytes in memory) and print the figures as JSON."""
    from ner_core.data.corpus import CorpusError
    from ner_core.storage.datasets import import_dataset
    from ner_core.storage.db import make_engine

    engine = make_engine(f"sqlite:///{path.parent / (path.name + '.sqlite')}")
    data = path.read_bytes()
    before = _rss_mb()
    summaries: list[str] = []
    started = time.perf_counter()
    try:
        import_dataset(engine, path.stem, data, filename, path.parent / "datasets", log=summaries.append)
        outcome = f"imported: {summaries[0]}"
    except CorpusError as err:
        outcome = f"refused: {err}"
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(json.dumps({"outcome": outcome, "seconds": seconds, "rss_before_mb": before, "peak_mb": peak}))


def measure(path: Path, filename: str) -> dict:
    """The child's figures for importing ``path`` under the name ``filename``."""
    run = subprocess.run([sys.executable, __file__, "--child", str(path), filename],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=195, help="megabytes of Kaggle CSV to import")
    parser.add_argument("--over-tokens", type=int, default=40_000_000, help="tokens of the file over the limit")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "FILENAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(Path(tmp) / "big.csv.zip", "big.csv.zip", lambda p: build_kaggle(p, args.mb)),
                 (Path(tmp) / "over.conll.zip", "over.conll.zip", lambda p: build_conll(p, args.over_tokens))]
        for path, filename, build in cases:
            started = time.perf_counter()
            build(path)
            with zipfile.ZipFile(path) as archive:
                expands = archive.infolist()[0].file_size
            print(f"{filename}: {path.stat().st_size / 1e6:.2f} MB zip, expands to {expands / 1e6:.1f} MB "
                  f"(built in {time.perf_counter() - started:.0f} s)", flush=True)
            figures = measure(path, filename)
            print(f"  {figures['outcome']}\n  {figures['seconds']:.1f} s, RSS before {figures['rss_before_mb']:.0f} MB, "
                  f"peak {figures['peak_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
