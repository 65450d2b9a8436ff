"""Retrain jobs end to end, against the small model set of ``small_run``: progress, registry,
activation, one job at a time, and failed or killed jobs that leave everything untouched."""
import json
import os
import shutil
import signal
import time
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
import torch
from encoders import WITHOUT_ENCODER
from in_process import run_cli
from processes import stop_jobs, wait_for_job
from sqlalchemy.orm import Session

from ner_core.data.corpus import default_corpus_path
from ner_core.models.checkpoint import load_checkpoint
from ner_core.models.pipeline import load_any
from ner_core.storage.db import make_engine
from ner_core.storage.schema import Job
from ner_core.storage.store import CorrectionStore
from ner_core.workbench.jobs import JobError, _children, job_status, latest_job, start_job
from ner_core.workbench.registry import SHIPPED, activate, active_dir, load_index, registry_dir, roll_back
from ner_core.workbench.retrain import (
    JOB_KINDS,
    RetrainSpec,
    comparison_f1,
    duration,
    job_kind,
    progress_line,
    retrainable,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(request, small_run, small_corpus, tmp_path, monkeypatch):
    """``small_run``'s models as the shipped set, on the small corpus with one correction; without the BERT-FF
    family for a test marked ``without_encoder``."""
    base, _, _ = small_run
    ckpt = tmp_path / "checkpoints"
    shutil.copytree(base / "ckpt", ckpt, ignore=WITHOUT_ENCODER if request.node.get_closest_marker("without_encoder") else None)
    monkeypatch.setenv("NER_CORPUS", str(small_corpus))
    monkeypatch.setenv("NER_CHECKPOINTS", str(ckpt))
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    store = CorrectionStore(make_engine(), "default", default_corpus_path())
    tags = list(store.original[0].tags)
    assert tags[-1] == "O"
    store.save(0, tags[:-1] + ["B-art"], author="test")
    yield ckpt
    stop_jobs()


def wait(job: str, timeout: float = 900) -> dict:
    return wait_for_job(job, timeout, 0.5)


SPEC = RetrainSpec(["strong", "detector"], warm_start=True, epochs=1, threads=1, limit=200)


def test_job_reports_progress_registers_and_activates(workspace):
    job = start_job("retrain", SPEC)
    with pytest.raises(JobError, match="a retrain job is already running"):
        start_job("retrain", SPEC)
    status = wait(job)
    assert status["state"] == "succeeded", status.get("traceback")
    assert progress_line(status["progress"][:1]) == (0.0, "timing the active models · time left not known yet")  # at once
    epochs = [e for e in status["progress"] if "loss" in e]  # an event per epoch (and more within one)
    assert [e["stage"] for e in epochs] == ["strong", "detector"] and all(e["eta_seconds"] is not None for e in epochs)
    entry = status["entry"]
    assert entry["corrections"] == 1 and entry["base"] == SHIPPED
    assert "voted" in status["comparisons"] and {"old", "new", "old_corrected", "new_corrected"} <= set(status["comparisons"]["voted"])
    assert load_index()["active"] == SHIPPED and active_dir() == workspace  # registered, not active
    new_dir = registry_dir() / entry["id"]
    assert (new_dir / "strong" / "model.safetensors").read_bytes() != (workspace / "strong" / "model.safetensors").read_bytes()
    assert (new_dir / "weak" / "model.safetensors").read_bytes() == (workspace / "weak" / "model.safetensors").read_bytes()
    activate(entry["id"])
    assert active_dir() == new_dir
    pipeline = load_any(active_dir() / "voted")
    retrained, _ = load_checkpoint(new_dir / "strong")  # the active pipeline's strong tagger is the retrained one
    assert torch.equal(pipeline.strong.model.crf.transitions, retrained.crf.transitions) and pipeline.detector is not None
    assert roll_back() == SHIPPED and active_dir() == workspace


def test_failed_job_leaves_everything_untouched(workspace):
    (workspace / "strong" / "model.safetensors").write_bytes(b"not weights")
    before = json.dumps(load_index())
    status = wait(start_job("retrain", SPEC))
    assert status["state"] == "failed" and "unreadable checkpoint" in status["error"]
    assert json.dumps(load_index()) == before
    assert not list(registry_dir().glob("*.tmp-build")) if registry_dir().exists() else True
    store = CorrectionStore(make_engine(), "default", default_corpus_path())
    assert store.tags(0)[-1] == "B-art"  # the correction is still there


@pytest.mark.without_encoder
def test_killed_job_is_reported_and_a_new_one_can_start(workspace):
    job = start_job("retrain", RetrainSpec(["strong"], epochs=50, threads=1, limit=2000))
    deadline = time.time() + 300
    while (status := job_status(job))["state"] == "starting" or not list(registry_dir().glob("*.tmp-build")):
        assert status["state"] in ("starting", "running") and time.time() < deadline, status
        time.sleep(0.2)  # until it builds
    os.kill(status["pid"], signal.SIGKILL)
    _children[job].wait(30)
    status = job_status(job)
    assert status["state"] == "failed" and status["error"] == "killed (signal 9, SIGKILL)"
    assert load_index()["entries"] == [] and list(registry_dir().glob("*.tmp-build"))  # its partial build is left...
    again = start_job("retrain", RetrainSpec(["detector"], epochs=1, threads=1, limit=200))
    assert not list(registry_dir().glob("*.tmp-build"))  # ...until the next start removes it
    assert wait(again)["state"] == "succeeded"


def test_a_retrain_on_a_full_disk_says_so_and_leaves_nothing(workspace, tmp_path, monkeypatch):
    import subprocess

    size = sum(f.stat().st_size for f in workspace.rglob("*") if f.is_file())
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={max(size // 2, 65536)}", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        monkeypatch.setenv("NER_DATA_DIR", str(disk))  # the registry's checkpoints go to a disk half their size
        before = json.dumps(load_index())
        for _ in range(2):  # and the next start is not hurt by the first one
            status = wait(start_job("retrain", SPEC))
            assert status["state"] == "failed" and status["error"].startswith("disk full: no space left on device"), status["error"]
            assert not list(registry_dir().glob("*.tmp-build")) and json.dumps(load_index()) == before
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def test_the_progress_line_says_where_the_job_is_and_the_time_left():
    assert progress_line([]) == (0.0, "Starting…")
    assert progress_line([{"stage": "strong", "done": 0, "total": 3}]) == (0.0, "strong: epoch 1/3 · time left not known yet")
    batch = {"stage": "strong", "done": 1, "total": 3, "batch": 5, "batches": 10, "seconds": 30.0, "eta_seconds": 90.0}
    assert progress_line([batch]) == (0.25, "strong: epoch 2/3, batch 5/10 · about 1.5 min left")
    assert progress_line([batch, {"stage": "scoring old vs new"}]) == (0.25, "scoring old vs new · about 1.5 min left")
    assert (duration(89), duration(90)) == ("89 s", "1.5 min")
    scoring = {"stage": "scoring old vs new", "done": 0, "total": 1, "seconds": 100.0, "eta_seconds": 60.0}  # no events till done
    assert progress_line([batch, scoring], since_last=15) == (115 / 160, "scoring old vs new · about 45 s left")  # counts down
    assert progress_line([batch, scoring], since_last=61) == (0.99, "scoring old vs new · taking longer than estimated")
    assert progress_line([batch, {"stage": "x"}], since_last=50)[1] == "x · about 1.5 min left"  # an estimate older than the stage's start
    steps = {"stage": "fold 1/5 epoch 2/4", "done": 2, "total": 21, "unit": "step", "seconds": 20.0, "eta_seconds": 190.0}
    assert progress_line([steps]) == (20 / 210, "fold 1/5 epoch 2/4: 2/21 steps done · about 3.2 min left")  # a job counting its own
    assert progress_line([steps | {"done": 21, "eta_seconds": 0}])[1].endswith("21/21 steps done · finishing")
    assert progress_line([{"step": 0}]) == (0.0, "working · time left not known yet")  # a plugin kind's events, as they come


def test_each_dataset_has_its_training_job_and_the_page_follows_the_newest(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert (job_kind("default"), job_kind("drugs")) == ("retrain", "train-method")
    assert latest_job("drugs", JOB_KINDS, engine) is None
    now = datetime.now(timezone.utc)
    with Session(engine) as session, session.begin():
        for i, (job, dataset, kind) in enumerate([("a", "drugs", "train-method"), ("b", "drugs", "cross-val"), ("c", "default", "retrain")]):
            session.add(Job(id=job, dataset=dataset, kind=kind, spec={}, state="succeeded", created_at=now + timedelta(seconds=i)))
    assert latest_job("drugs", JOB_KINDS, engine) == "a"  # a newer cross-validation trains nothing
    assert latest_job("default", JOB_KINDS, engine) == "c"


def test_a_retrain_offers_the_models_of_the_active_set(tmp_path, monkeypatch):
    for name in ("detector", "strong"):
        (tmp_path / "checkpoints" / name).mkdir(parents=True)
    monkeypatch.setenv("NER_CHECKPOINTS", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("NER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert retrainable() == ["strong", "detector"]


def test_the_comparison_is_a_column_of_f1_per_model_and_data():
    def scores(f1: float) -> dict:
        return {"per_type": {"geo": {"f1": f1}}, "micro_f1": f1, "macro_f1": f1, "weighted_f1": f1}

    columns = comparison_f1({"old": scores(0.5), "new": scores(0.6), "new_corrected": scores(0.9)})
    assert list(columns) == ["old (test)", "new (test)", "new (corrected sentences)"]
    assert columns["new (test)"] == {"geo": 0.6, "micro F1": 0.6, "macro F1": 0.6, "weighted F1": 0.6}
    only_corrected = scores(0.9) | {"per_type": {"eve": {"f1": 0.0}, "geo": {"f1": 0.9}}}  # eve: no test entity
    rows = list(pd.DataFrame(comparison_f1({"old": scores(0.5), "new_corrected": only_corrected})).index)
    assert rows == ["eve", "geo", "micro F1", "macro F1", "weighted F1"]  # every type above the averages


def test_a_retrain_learns_from_sentences_added_from_the_pool_and_ranks_the_pool_again(workspace):
    from collections import Counter

    from ner_core.data.corpus import Sentence, split_indices
    from ner_core.data.sentence_keys import seen_sentences
    from ner_core.storage.datasets import open_dataset
    from ner_core.storage.pool import Pool
    from ner_core.workbench.jobs import run_here
    from ner_core.workbench.retrain import added_since_active

    store = open_dataset("default")
    pool = Pool(store)
    pool.add([("Zorblax", "festival", "opened", "in", "Gdansk"), ("Another", "new", "line", "here")], "new.txt", "ann")
    tags = ["B-eve", "I-eve", "O", "O", "B-geo"]
    pool.accept(pool.items()[0].id, tags, "ann")
    assert added_since_active(store) == (1, Counter(eve=1, geo=1))
    late = split_indices(len(store.original))[0][60]  # a training sentence past the first 50: its correction is kept
    now = store.snapshot(late)
    fixed = ["O" if now.tags[0] != "O" else "B-geo", *now.tags[1:]]
    store.save(late, fixed, author="ann", expected_version=now.version)
    result = run_here("retrain", RetrainSpec(["strong"], warm_start=True, epochs=1, threads=1, limit=50), echo=lambda _: None)
    assert result["entry"]["added_sentences"] == 1
    _, meta = load_checkpoint(registry_dir() / result["entry"]["id"] / "strong")
    assert seen_sentences(meta, [Sentence(("Zorblax", "festival", "opened", "in", "Gdansk"), tuple(tags))]) == 1
    assert seen_sentences(meta, [Sentence(store.original[late].words, tuple(fixed))]) == 1
    assert result["pool"]["sentences"] == 1  # the open sentence, ranked by the new models
    (left,) = pool.items()
    assert left.suggestion is not None and len(left.suggestion) == 4 and result["entry"]["id"] in left.ranked_with


def test_a_train_method_request_names_a_known_recipe():
    from ner_core.workbench.retrain import TrainMethodSpec

    assert TrainMethodSpec("drugs", recipe="auto", budget_minutes=30).settings().choice.budget_minutes == 30
    assert TrainMethodSpec("drugs").settings().choice is None  # the Bi-LSTM-CRF family, as before
    with pytest.raises(ValueError, match="unknown recipe 'bert'"):
        TrainMethodSpec("drugs", recipe="bert")
    for budget in (0, float("inf"), float("nan")):  # e.g. a job's spec written by another client
        with pytest.raises(ValueError, match="positive number of minutes"):
            TrainMethodSpec("drugs", recipe="glove", budget_minutes=budget)
    from ner_core.training.cross_val import CrossValConfig

    with pytest.raises(ValueError, match="positive number of minutes"):
        CrossValConfig(budget_minutes=float("nan"))


@pytest.mark.without_encoder
def test_a_retrain_is_refused_before_a_job_is_recorded(workspace):
    """An unknown dataset, one without models, or a model the active set lacks: refused with the reason, no job left."""
    from ner_core.storage.store import CorrectionError
    from ner_core.workbench.retrain import check_retrainable

    with pytest.raises(CorrectionError, match="no dataset named 'nosuch'"):
        check_retrainable(RetrainSpec(["strong"], dataset="nosuch"))
    with pytest.raises(ValueError, match="the active models of `default` have no bert_ff to retrain; they have .*strong"):
        check_retrainable(RetrainSpec(["strong", "bert_ff"]))
    done = run_cli("retrain", "--models", "bert_ff")
    assert done.returncode == 1 and "have no bert_ff to retrain" in done.stderr
    assert latest_job("default") is None


@pytest.mark.without_encoder
def test_an_entry_records_the_data_it_trained_on_not_a_save_made_meanwhile(workspace):
    from ner_core.workbench.retrain import run_retrain

    store = CorrectionStore(make_engine(), "default", default_corpus_path())
    before, counted = store.version(), store.counts()["tokens"]
    saved = []

    def save_meanwhile(event: dict) -> None:  # an annotator saves while the job trains
        if not saved:
            now = store.snapshot(1)
            saved.append(store.save(1, ["B-art" if t == "O" else "O" for t in now.tags[:1]] + list(now.tags[1:]),
                                    author="bob", expected_version=now.version))

    entry = run_retrain(RetrainSpec(["strong"], epochs=1, threads=1, limit=50), save_meanwhile)["entry"]
    assert saved and store.version() != before
    assert (entry["data_version"], entry["corrections"]) == (before, counted)


def test_a_retrain_is_called_worse_on_the_held_out_split_only():
    """The helper's case: better on test, lower on two pool sentences the old model had pre-annotated itself."""
    from ner_core.workbench.retrain import worse

    def f1(micro: float) -> dict:
        return {"micro_f1": micro}

    better = {"voted": {"old": f1(0.2381), "new": f1(0.5098), "old_corrected": f1(0.75), "new_corrected": f1(0.4444)}}
    assert worse(better) == []
    dropped = {"voted": {"old": f1(0.51), "new": f1(0.50), "old_corrected": f1(0.4), "new_corrected": f1(0.9)}}
    assert worse(dropped) == ["voted on the test split: micro F1 0.5100 -> 0.5000"]
