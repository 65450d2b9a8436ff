"""Background jobs in the database: progress, the one-at-a-time lock under simultaneous starts
(threads and processes), failed starts, killed and silent workers, a full disk. Real job
processes run the small kinds of tests/jobkinds.py. On SQLite and PostgreSQL."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from processes import stop, stop_jobs, wait_for_job
from sqlalchemy.orm import Session

from ner_core.cli import main
from ner_core.storage.db import shared_engine
from ner_core.storage.schema import Job
from ner_core.workbench.jobs import JobError, _children, busy, cancel_job, describe, job_status, latest_job, logs_dir, running_job, start_job
from ner_core.workbench.registry import registry_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def jobs_env(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NER_DB_URL", db_url)
    monkeypatch.setenv("NER_JOB_RUNNERS", "sleep=jobkinds:sleep,fill=jobkinds:fill")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    yield db_url
    stop_jobs()


def wait(job: str, timeout: float = 180) -> dict:
    return wait_for_job(job, timeout, 0.2)


def wait_running(job: str) -> dict:
    deadline = time.time() + 180
    while (status := job_status(job))["state"] == "starting" and time.time() < deadline:
        time.sleep(0.2)
    assert status["state"] == "running", status
    return status


def test_a_job_reports_progress_and_its_result(jobs_env):
    job = start_job("sleep", {"steps": 3, "seconds": 0})
    assert latest_job() == job and running_job() == job
    status = wait(job)
    assert status["state"] == "succeeded", status["error"]
    assert status["progress"] == [{"step": 0}, {"step": 1}, {"step": 2}] and status["slept"] == 0
    assert status["created"] <= status["updated"] <= status["finished"]  # when the last event came: a stage counts down from it
    assert running_job() is None
    with pytest.raises(JobError, match="unknown job kind 'nope'"):
        start_job("nope", {})


def test_a_job_is_filed_under_the_dataset_its_spec_names(jobs_env):
    """helper-65: the README's ``start_job("cross-val", CrossValJobSpec("small", "train"))`` filed the job under default."""
    job = start_job("sleep", {"dataset": "small", "steps": 1, "seconds": 0})
    assert wait(job)["dataset"] == "small" and latest_job("small") == job and latest_job("default") is None
    with pytest.raises(JobError, match="the job's spec is for dataset 'small', not 'other'"):
        start_job("sleep", {"dataset": "small"}, "other")


def test_simultaneous_starts_in_threads_give_one_job(jobs_env, capsys):
    barrier, started, refused = threading.Barrier(4), [], []

    def start():
        barrier.wait()
        try:
            started.append(start_job("sleep", {"seconds": 120}))
        except JobError as err:
            refused.append(str(err))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 1 and len(refused) == 3
    assert all(f"a sleep job is already running (job {started[0]}, dataset " in r for r in refused)
    assert busy() == refused[0]  # what the pages say beside a disabled start button
    assert main(["retrain", "--limit", "10"]) == 1  # the command line takes the same lock
    assert f"a sleep job is already running (job {started[0]}, dataset " in capsys.readouterr().err
    os.kill(wait_running(started[0])["pid"], signal.SIGTERM)
    assert wait(started[0])["error"] == "killed (signal 15, SIGTERM)" and busy() is None
    assert wait(start_job("sleep", {"seconds": 0}))["state"] == "succeeded"  # the lock was released


STARTER = """
import sys
from ner_core.workbench.jobs import JobError, start_job
print("ready", flush=True)
sys.stdin.readline()
try:
    print("started", start_job("sleep", {"seconds": 1}), flush=True)
except JobError as err:
    print("refused", err, flush=True)
"""


def test_simultaneous_starts_in_two_processes_give_one_job(jobs_env):
    procs = [subprocess.Popen([sys.executable, "-c", STARTER], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
             for _ in range(2)]
    assert [p.stdout.readline() for p in procs] == ["ready\n"] * 2
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outcomes = sorted(p.communicate(timeout=120)[0].split()[0] for p in procs)
    assert outcomes == ["refused", "started"]
    assert wait(latest_job())["state"] == "succeeded" and running_job() is None


def test_a_failed_start_releases_the_lock(jobs_env):
    logs_dir().parent.mkdir(parents=True, exist_ok=True)
    logs_dir().write_text("a file where the job logs should go")  # the job process cannot be started
    with pytest.raises(JobError, match="the job could not start: "):
        start_job("sleep", {"seconds": 0})
    status = job_status(latest_job())
    assert status["state"] == "failed" and status["error"].startswith("the job process could not start: ")
    assert running_job() is None
    logs_dir().unlink()
    assert wait(start_job("sleep", {"seconds": 0}))["state"] == "succeeded"


def test_a_killed_worker_is_marked_failed_with_its_signal(jobs_env):
    job = start_job("sleep", {"seconds": 60})
    pid = wait_running(job)["pid"]
    os.kill(pid, signal.SIGKILL)
    _children[job].wait(30)
    status = job_status(job)
    assert status["state"] == "failed" and status["error"] == "killed (signal 9, SIGKILL)" and running_job() is None
    job = start_job("sleep", {"seconds": 60})
    os.kill(wait_running(job)["pid"], signal.SIGTERM)  # the worker records it itself
    _children[job].wait(30)
    assert job_status(job)["error"] == "killed (signal 15, SIGTERM)" and running_job() is None


def test_an_admin_cancels_a_running_job_from_any_process(jobs_env):
    from ner_core.storage.users import RoleError, User

    job = start_job("sleep", {"seconds": 60}, user=User("ada", "admin"))
    assert wait_running(job)["started_by"] == "ada"  # said on the job's page and in the earlier jobs
    with pytest.raises(RoleError):
        cancel_job(job, User("ann", "annotator"))
    cancel_job(job, User("root", "admin"))
    status = wait(job, timeout=60)
    assert status["state"] == "cancelled" and status["error"] == "cancelled by root" and running_job() is None
    with pytest.raises(JobError, match="has ended \\(cancelled\\): nothing to cancel"):
        cancel_job(job)


SPAWNER = """
import sys
from ner_core.workbench.jobs import start_job
for line in sys.stdin:  # "start", or "start and exit"
    print(start_job("sleep", {"seconds": 60}), flush=True)
    if line.strip() == "start and exit":
        break
"""


def test_a_killed_worker_seen_from_another_process_is_marked_with_its_signal(jobs_env):
    """The job's parent is another process (another app instance), or gone; this one only looks."""
    spawner = subprocess.Popen([sys.executable, "-c", SPAWNER], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               start_new_session=True)

    def spawn(command: str) -> str:
        spawner.stdin.write(command + "\n")
        spawner.stdin.flush()
        return spawner.stdout.readline().strip()

    try:
        for signum, error in ((signal.SIGKILL, "killed (signal 9, SIGKILL)"), (signal.SIGTERM, "killed (signal 15, SIGTERM)")):
            job = spawn("start")
            os.kill(wait_running(job)["pid"], signum)
            assert wait(job)["error"] == error and running_job() is None
        job = spawn("start and exit")
        assert spawner.wait(60) == 0
        os.kill(job_status(job)["pid"], signal.SIGTERM)  # most likely before the worker's Python has started
        assert wait(job)["error"] == "killed (signal 15, SIGTERM)"
    finally:
        stop(spawner)
    job = subprocess.run([sys.executable, "-c", SPAWNER], cwd=ROOT, input="start and exit\n", capture_output=True, text=True,
                         check=True).stdout.strip()
    os.kill(wait_running(job)["pid"], signal.SIGKILL)  # no parent to tell: named if still a zombie, else said so
    assert wait(job)["error"] in ("killed (signal 9, SIGKILL)", f"the job process (pid {job_status(job)['pid']}) was killed or "
                                  "crashed (no exit status available)")


def test_a_worker_silent_on_another_host_is_reaped(jobs_env):
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    with Session(shared_engine()) as session, session.begin():
        session.add(Job(id="ghost", dataset="default", kind="sleep", spec={}, state="running", holds_lock=True, pid=4242,
                        host="another-host", created_at=long_ago, heartbeat_at=long_ago))
    job = start_job("sleep", {"seconds": 0})
    ghost = job_status("ghost")
    assert ghost["state"] == "failed" and ghost["error"].startswith("no heartbeat from the job process (pid 4242 on another-host)")
    assert wait(job)["state"] == "succeeded"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_job_on_a_full_disk_says_so_and_leaves_nothing(jobs_env, small_disk, monkeypatch):
    monkeypatch.setenv("NER_DATA_DIR", str(small_disk))
    status = wait(start_job("fill", {"megabytes": 64}))
    assert status["state"] == "failed" and status["error"].startswith("disk full: no space left on device"), status["error"]
    assert not list(registry_dir().glob("*.tmp-build")) and running_job() is None
    assert wait(start_job("sleep", {"seconds": 0}))["state"] == "succeeded"  # the next start works


def test_causes_in_words():
    assert describe(OSError(28, "No space left on device", "/data/x")) == "disk full: no space left on device (writing /data/x)"
    assert describe(MemoryError()) == "out of memory"
    assert describe(RuntimeError("boom")) == "RuntimeError: boom"
    assert describe(ValueError("no recipe fits the budget")) == "no recipe fits the budget"  # a refusal, in words (helper-97)
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as err:
            raise RuntimeError("saving the checkpoint failed") from err
    except RuntimeError as err:
        assert describe(err) == "disk full: no space left on device"


WATCHER = """
import json, sys, time
from ner_core.workbench.jobs import job_status, latest_job
from ner_core.workbench.registry import active_id
while latest_job() is None:
    time.sleep(0.1)
job = latest_job()
while not job_status(job)["progress"]:
    time.sleep(0.1)
print(json.dumps({"job": job, "first": job_status(job)["progress"][0]}), flush=True)
sys.stdin.readline()  # the other instance activates an entry meanwhile
print(json.dumps({"active": active_id()}), flush=True)
"""


def test_a_second_instance_sees_the_job_its_progress_and_the_activation(jobs_env, tmp_path):
    import json

    from ner_core.workbench.registry import activate, new_entry_dir, new_entry_id, register

    watcher = subprocess.Popen([sys.executable, "-c", WATCHER], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    job = start_job("sleep", {"steps": 2, "seconds": 1})
    seen = json.loads(watcher.stdout.readline())
    assert seen == {"job": job, "first": {"step": 0}}
    base = tmp_path / "base"
    base.mkdir()
    entry_id = new_entry_id()
    register(entry_id, new_entry_dir(entry_id, base), {"models": []})
    activate(entry_id)
    watcher.stdin.write("go\n")
    watcher.stdin.flush()
    assert json.loads(watcher.stdout.readline()) == {"active": entry_id}
    assert watcher.wait(60) == 0 and wait(job)["state"] == "succeeded"


def test_a_job_outlives_a_brief_database_outage(tmp_path, monkeypatch):
    """The database refuses connections for a few seconds while a job runs (a restart): the job goes on, its progress
    held back meanwhile is written afterwards, and its outcome is recorded."""
    import psycopg
    from conftest import fresh_database
    from sqlalchemy.engine import make_url

    with fresh_database("postgresql", tmp_path) as url:
        monkeypatch.setenv("NER_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NER_DB_URL", url)
        monkeypatch.setenv("NER_JOB_RUNNERS", "sleep=jobkinds:sleep")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
        name = make_url(url).database

        def reachable(on: bool) -> None:
            with psycopg.connect(os.environ["NER_TEST_DB_URL"], autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(on).lower()}')
                if not on:
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

        job = start_job("sleep", {"steps": 8, "seconds": 1})
        wait_running(job)
        reachable(False)
        try:
            time.sleep(4)
        finally:
            reachable(True)
        try:
            status = wait(job)
        except Exception:  # this process's pooled connections were ended too: the next try opens new ones
            status = wait(job)
        assert status["state"] == "succeeded", status["error"]
        assert status["progress"] == [{"step": i} for i in range(8)]
        stop_jobs()


def test_a_lock_held_by_a_reused_pid_is_released(jobs_env):
    """After a reboot the dead worker's pid may run another program: a lock whose heartbeat is long stale and whose pid
    runs no ner_core process is released, with the reason."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.orm import Session

    from ner_core.storage.db import make_engine
    from ner_core.storage.schema import Job
    from ner_core.workbench.jobs import HOST

    other = subprocess.Popen(["sleep", "60"])  # an unrelated program holding the old pid
    engine = make_engine(jobs_env)
    try:
        long_ago = datetime.now(timezone.utc) - timedelta(hours=3)
        with Session(engine) as session, session.begin():
            session.add(Job(id="before-reboot", dataset="default", kind="sleep", spec={}, state="running", holds_lock=True,
                            pid=other.pid, host=HOST, created_at=long_ago, heartbeat_at=long_ago))
        assert running_job() is None
        status = job_status("before-reboot")
        assert status["state"] == "failed" and f"(pid {other.pid}) is gone" in status["error"]
    finally:
        other.kill()
        other.wait()
        engine.dispose()
