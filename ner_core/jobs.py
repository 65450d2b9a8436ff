"""Background retrain jobs: one at a time, in their own process, with progress on disk.

A job is a directory ``<data>/jobs/<id>/`` with ``spec.json``, ``progress.jsonl`` (one JSON
line per event) and ``status.json``. The process is started detached from the caller, so a
Streamlit rerun, a page refresh or a second tab only read these files.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base
from .registry import data_dir
from .retrain import RetrainSpec, run_retrain
from .users import User, require


class Job(Base):
    """A background job; ``holds_lock`` is True (unique) while it starts or runs, NULL after."""
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    spec: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    holds_lock: Mapped[bool | None] = mapped_column(Boolean, unique=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)


class JobEvent(Base):
    """A progress event of a job (an epoch, a stage), in the order reported."""
    __tablename__ = "job_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[dict] = mapped_column(JSON)


class JobError(RuntimeError):
    """A job that cannot be started (another one is running)."""


def jobs_dir() -> Path:
    path = data_dir() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a finished child not yet reaped is a zombie: not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def job_status(job_id: str) -> dict[str, Any]:
    """The job's status (``starting``, ``running``, ``succeeded``, ``failed`` or ``killed``) and progress."""
    directory = jobs_dir() / job_id
    status = json.loads((directory / "status.json").read_text())
    pid = int((directory / "pid").read_text()) if (directory / "pid").is_file() else None
    progress_file = directory / "progress.jsonl"
    status["progress"] = [json.loads(line) for line in progress_file.read_text().splitlines()] if progress_file.is_file() else []
    if status["state"] in ("starting", "running") and pid is not None and not _alive(pid):
        status["state"] = "killed"
        status.setdefault("error", "the training process ended without a result (killed?)")
    return status


def latest_job() -> str | None:
    jobs = sorted(p.name for p in jobs_dir().iterdir() if (p / "status.json").is_file())
    return jobs[-1] if jobs else None


def running_job() -> str | None:
    job = latest_job()
    return job if job and job_status(job)["state"] in ("starting", "running") else None


def start_job(spec: RetrainSpec, user: User | None = None) -> str:
    """Start a retrain in a new process; refused while another job runs, or unless ``user`` may retrain."""
    require(user, "retrain")
    lock = jobs_dir() / "LOCK"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        holder = lock.read_text().strip()
        if holder and (jobs_dir() / holder / "status.json").is_file() and job_status(holder)["state"] in ("starting", "running"):
            raise JobError(f"a retrain is already running (job {holder}); wait for it to finish") from None
        lock.unlink(missing_ok=True)  # stale: its job ended
        return start_job(spec, user)
    job_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    directory = jobs_dir() / job_id
    directory.mkdir()
    os.write(fd, job_id.encode())
    os.close(fd)
    _write_json(directory / "spec.json", asdict(spec))
    _write_json(directory / "status.json", {"id": job_id, "state": "starting", "spec": asdict(spec)})
    with open(directory / "log.txt", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ner_core", "retrain", "--job", str(directory)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
            # OpenMP threads that spin while waiting starve everything else on a busy 2-core machine
            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
        )
    (directory / "pid").write_text(str(proc.pid))
    return job_id


def run_job(directory: Path) -> int:
    """The body of a job's process: run the retrain, record progress and the outcome, free the lock."""
    spec = RetrainSpec(**json.loads((directory / "spec.json").read_text()))
    status = {"id": directory.name, "state": "running", "spec": asdict(spec)}
    _write_json(directory / "status.json", status)
    progress = open(directory / "progress.jsonl", "a")

    def report(event: dict[str, Any]) -> None:
        progress.write(json.dumps(event) + "\n")
        progress.flush()

    try:
        result = run_retrain(spec, report)
        status.update(state="succeeded", entry=result["entry"], comparisons=result["comparisons"])
        return 0
    except Exception as err:  # the job's outcome is its status file; the active model is untouched
        status.update(state="failed", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc())
        return 1
    finally:
        progress.close()
        _write_json(directory / "status.json", status)
        lock = jobs_dir() / "LOCK"
        if lock.is_file() and lock.read_text().strip() == directory.name:
            lock.unlink()
