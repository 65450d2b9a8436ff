"""Processes opening one fresh SQLite database at the same moment: how many trials all succeed.

    python benchmarks/fresh_database_race.py [--trials 30] [--processes 2]

Each trial gives the processes a new database file and releases them together (a barrier) into
``ner_core.storage.db.make_engine``; it succeeds when every process does. Prints the successes and each
failure; exits 1 unless every trial succeeded. ``tests/test_db.py`` runs it with 10 trials.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def opener(folder: str, trials: int, barrier, failures) -> None:
    """One process of the race: ``make_engine`` on each trial's fresh file, the moment all are ready."""
    sys.path.insert(0, str(ROOT))
    from ner_core.storage.db import head_revision, make_engine, metadata

    metadata(), head_revision()  # imports done before the race
    for trial in range(trials):
        barrier.wait()
        try:
            make_engine(f"sqlite:///{folder}/trial-{trial}.sqlite").dispose()
        except Exception as err:
            failures.put((trial, f"{type(err).__name__}: {err}"))


def race(trials: int, processes: int) -> list[tuple[int, str]]:
    """The failures (trial, error) of ``trials`` races of ``processes`` processes."""
    spawn = multiprocessing.get_context("spawn")
    barrier, failures = spawn.Barrier(processes), spawn.Queue()
    with tempfile.TemporaryDirectory(prefix="fresh-db-race-") as folder:
        procs = [spawn.Process(target=opener, args=(folder, trials, barrier, failures)) for _ in range(processes)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        if any(proc.exitcode for proc in procs):
            raise RuntimeError(f"a racing process died: exit codes {[proc.exitcode for proc in procs]}")
    return [failures.get() for _ in range(failures.qsize())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    failures = race(args.trials, args.processes)
    for trial, error in failures:
        print(f"trial {trial}: {error}")
    failed = len({trial for trial, _ in failures})
    print(f"{args.trials - failed}/{args.trials} trials: every one of {args.processes} processes opened the fresh database")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
