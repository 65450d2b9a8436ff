"""Job kinds for tests/test_jobs.py, run by real job processes ($NER_JOB_RUNNERS points here)."""
import time

from ner_core.workbench.registry import registry_dir


def sleep(spec: dict, report) -> dict:
    for step in range(spec.get("steps", 1)):
        report({"step": step})
        time.sleep(spec.get("seconds", 0))
    return {"slept": spec.get("seconds", 0) * spec.get("steps", 1)}


def fill(spec: dict, report) -> dict:
    """Write a build folder until the disk is full (a retrain writing checkpoints on a full disk)."""
    build = registry_dir() / "r-fill.tmp-build"
    build.mkdir(parents=True)
    report({"stage": "writing"})
    with open(build / "model.safetensors", "wb") as out:
        for _ in range(spec["megabytes"]):
            out.write(b"\0" * 2**20)
            out.flush()
    return {}
