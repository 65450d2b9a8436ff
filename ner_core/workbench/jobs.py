"""Background jobs (retrain, ...): one at a time, each in its own process, state in the database.

A job is a row of ``jobs`` (kind, spec, state, pid, host, heartbeat, outcome) with its progress
events in ``job_events``, so every app instance on one database sees the same job and its
progress. The one-at-a-time lock is a unique column: the running job's ``holds_lock`` is True, the
others' NULL, so two simultaneous starts cannot both insert. A worker that died (its pid gone on
this host, or no heartbeat for :data:`STALE_AFTER` seconds from another host) is marked failed
and releases the lock when anyone next looks. How it died is recorded wherever that can be known:
a worker records its own SIGTERM or SIGINT, even one sent while it starts; the process that started
it records its exit status (a SIGKILL), as does any process on its host that sees it a zombie. An
admin may cancel a job from any instance (:func:`cancel_job`: a progress event its worker's heartbeat
reads; the job stops within seconds and is recorded ``cancelled``, "cancelled by NAME"). A
job runs ``python -m ner_core job <id>``, which calls the runner of its kind:
``runner(spec: dict, report: Callable[[dict], None]) -> dict``.
"""
from __future__ import annotations

import errno
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..storage.datasets import DEFAULT_DATASET
from ..storage.db import data_dir, shared_engine
from ..storage.schema import Job, JobEvent
from ..storage.users import User, require
from .registry import clean_builds

Runner = Callable[[dict, Callable[[dict], None]], dict]
RUNNERS = {"retrain": "ner_core.workbench.retrain:run_retrain_job", "train-method": "ner_core.workbench.retrain:run_train_method_job",
           "cross-val": "ner_core.quality.issue_scores:run_cross_val_job", "pool-rank": "ner_core.workbench.pool_rank:run_pool_rank_job"}
"""The job kinds and their runners (``module:function``, imported by the worker that runs one: starting or watching a
job loads no model code); more for plugins or tests: ``$NER_JOB_RUNNERS="kind=module:function,..."``."""
ACTIVE = ("starting", "running")
HEARTBEAT_EVERY = 5  # seconds
OUTAGE_WAIT = (1, 2, 4, 8, 15, 30, 60)  # seconds between tries to record an outcome while the database is out of reach
STALE_AFTER = 120  # seconds without a heartbeat before a worker on another host counts as dead
HOST = socket.gethostname()
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}  # a worker records these itself
_children: dict[str, subprocess.Popen] = {}  # the workers this process started, for their exit status
_cancelled: dict[str, str] = {}  # job id -> who cancelled it, in the process that runs it


class JobError(RuntimeError):
    """A job that cannot be started (another one is running, its process could not start)."""


class Killed(BaseException):
    """Raised in a worker by SIGTERM/SIGINT, so that its outcome is recorded."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite returns naive times


def runners() -> dict[str, str]:
    """:data:`RUNNERS` and the plugin kinds of ``$NER_JOB_RUNNERS``, each as ``module:function``."""
    extra = dict(item.split("=", 1) for item in filter(None, os.environ.get("NER_JOB_RUNNERS", "").split(",")))
    return RUNNERS | extra


def _runner(kind: str) -> Runner:
    module, function = runners()[kind].split(":")
    return getattr(importlib.import_module(module), function)


def logs_dir() -> Path:
    return data_dir() / "jobs"


def describe(err: BaseException) -> str:
    """The real cause of a failure in words: disk full, out of memory, killed, or the error itself."""
    seen = err
    while seen is not None:
        text = str(seen)
        if (isinstance(seen, OSError) and seen.errno == errno.ENOSPC or "No space left on device" in text or "os error 28" in text
                or "database or disk is full" in text):
            where = f" (writing {seen.filename})" if isinstance(seen, OSError) and seen.filename else ""
            return f"disk full: no space left on device{where}"
        if isinstance(seen, MemoryError) or "can't allocate memory" in text or "out of memory" in text.lower():
            return f"out of memory{': ' + text if text else ''}"
        if isinstance(seen, Killed):
            return _killed(seen.signum)
        if isinstance(seen, KeyboardInterrupt):
            return "interrupted (Ctrl-C in the terminal that ran it)"
        seen = seen.__cause__ or seen.__context__
    if type(err) is ValueError and str(err):  # a refusal of the job's input, said in words (helper-97 read "ValueError: no
        return str(err)  # recipe fits ..."); any other error keeps its kind, which tells an engineer where to look
    return f"{type(err).__name__}: {err}"


def _killed(signum: int) -> str:
    try:
        return f"killed (signal {signum}, {signal.Signals(signum).name})"
    except ValueError:  # a real-time signal has no name
        return f"killed (signal {signum})"


def _ended(pid: int, code: int | None) -> str:
    """How job process ``pid`` ended without recording it; ``code`` as Popen's returncode (-N: signal N),
    None or 0 where no exit status is available (a worker never exits 0 without recording)."""
    if code and code < 0:
        return _killed(-code)
    if code:
        return f"the job process (pid {pid}) exited with status {code} without recording a result"
    return f"the job process (pid {pid}) was killed or crashed (no exit status available)"


def _local_death(job_id: str, pid: int) -> str | None:
    """Why job process ``pid`` of this host is dead, or None while it runs. A zombie's exit status is
    in /proc until its parent reaps it; after that only its parent knows it, if that is this process."""
    try:
        os.kill(pid, 0)
    except OSError:  # gone, or the pid is another user's now
        child = _children.get(job_id)
        return _ended(pid, child.poll() if child is not None else None)
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()  # after the command name, which may hold spaces
    except OSError:  # no /proc: it runs as far as we can tell
        return None
    if fields[0] != "Z":
        return None
    status = int(fields[49]) if len(fields) > 49 else 0  # the zombie's wait status (0 where not shown to us)
    return _ended(pid, -(status & 0x7F) if status & 0x7F else status >> 8)


def _death(job: Job) -> str | None:
    """Why the lock holder ``job`` is dead, or None while it may be alive."""
    silent = _now() - _aware(job.heartbeat_at or job.created_at)
    if job.host == HOST and job.pid is not None:
        cause = _local_death(job.id, job.pid)
        if cause is None and silent > timedelta(seconds=STALE_AFTER) and not _runs_ner_core(job.pid):  # e.g. after a reboot
            return f"the job process (pid {job.pid}) is gone: no heartbeat for {int(silent.total_seconds())} s, and that pid runs another program now"
        return cause
    if silent > timedelta(seconds=STALE_AFTER):
        return f"no heartbeat from the job process (pid {job.pid} on {job.host}) for {int(silent.total_seconds())} s"
    return None


def _runs_ner_core(pid: int) -> bool:
    """Whether process ``pid`` runs this package (a job worker or the command line); True where that cannot be read."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"ner_core" in cmdline.read()
    except OSError:
        return True


def _finish(engine: Engine, job_id: str, state: str, *, error: str | None = None, trace: str | None = None,
            result: dict | None = None) -> bool:
    """Record a job's outcome and release the lock, unless it has ended already; True if recorded. A database out of
    reach is waited for (:data:`OUTAGE_WAIT`), so that a brief restart does not lose the outcome of hours of training."""
    for wait in [*OUTAGE_WAIT, None]:
        try:
            with Session(engine) as session, session.begin():
                done = session.execute(update(Job).where(Job.id == job_id, Job.state.in_(ACTIVE)).values(
                    state=state, holds_lock=None, finished_at=_now(), error=error, traceback=trace, result=result))
                return done.rowcount == 1
        except OperationalError:
            if wait is None:
                raise
            time.sleep(wait)
    return False


def _reap(engine: Engine) -> None:
    """Mark the lock holder failed if its worker died: the lock is free again."""
    with Session(engine) as session:
        holder = session.scalar(select(Job).where(Job.holds_lock.is_(True)))
        cause = _death(holder) if holder is not None else None
    if cause:
        _finish(engine, holder.id, "failed", error=cause)


def _claim(engine: Engine, kind: str, spec: dict, dataset: str, state: str, pid: int | None, by: str | None = None) -> str:
    """Insert a job holding the lock (started by the user named ``by``), or raise :class:`JobError` naming the one that holds it."""
    for _ in range(3):
        job_id = _now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
        try:
            with Session(engine) as session, session.begin():
                now = _now()
                session.add(Job(id=job_id, dataset=dataset, kind=kind, spec=spec, state=state, holds_lock=True, pid=pid,
                                host=HOST, created_at=now, heartbeat_at=now, started_by=by))
            return job_id
        except IntegrityError:
            _reap(engine)
    raise JobError(busy(engine) or "the job lock is contended; try again")


def _spec_dict(kind: str, spec: Any) -> dict:
    if kind not in runners():
        raise JobError(f"unknown job kind {kind!r}; known: {', '.join(sorted(runners()))}")
    spec = asdict(spec) if is_dataclass(spec) else dict(spec)
    return json.loads(json.dumps(spec))  # stored as JSON: refuse what JSON cannot hold now


def _job_dataset(spec: dict, dataset: str | None) -> str:
    """The dataset a job is filed under: the one its spec names (a ``dataset`` given beside it must be the same), else
    ``dataset``, else the default one."""
    named = spec.get("dataset")
    if named is not None and dataset is not None and named != dataset:
        raise JobError(f"the job's spec is for dataset {named!r}, not {dataset!r}")
    return named or dataset or DEFAULT_DATASET


def start_job(kind: str, spec: Any, dataset: str | None = None, user: User | None = None, engine: Engine | None = None) -> str:
    """Start a ``kind`` job (``spec``: a dict or a dataclass) of ``dataset`` (by default the one the spec names) in a new
    process; returns its id.

    Refused while another job runs, or unless ``user`` may retrain. A process that cannot be
    started leaves the job failed with the reason and the lock free.
    """
    require(user, "retrain")
    spec = _spec_dict(kind, spec)
    dataset, engine = _job_dataset(spec, dataset), engine or shared_engine()
    try:
        _reap(engine)
        job_id = _claim(engine, kind, spec, dataset, "starting", None, user.name if user else None)
    except SQLAlchemyError as err:  # e.g. the database's disk is full
        raise JobError(f"the job could not start: {describe(err)}") from err
    clean_builds(engine)  # we hold the lock: any build folder is a leftover
    try:
        logs_dir().mkdir(parents=True, exist_ok=True)
        # the process inherits this thread's signal mask: a stop stays pending until run_job can record it
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            with open(logs_dir() / f"{job_id}.log", "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "ner_core", "job", job_id],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                    cwd=Path(__file__).resolve().parents[2],
                    # OpenMP threads that spin while waiting starve everything else on a busy 2-core machine
                    env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "NER_DB_URL": engine.url.render_as_string(hide_password=False)},
                )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    except BaseException as err:
        _finish(engine, job_id, "failed", error=f"the job process could not start: {describe(err)}", trace=traceback.format_exc())
        raise JobError(f"the job could not start: {describe(err)}") from err
    _children[job_id] = proc
    threading.Thread(target=_watch, args=(engine, job_id, proc), daemon=True).start()
    with Session(engine) as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id, Job.pid.is_(None)).values(pid=proc.pid))
    return job_id


def _watch(engine: Engine, job_id: str, proc: subprocess.Popen) -> None:
    """Record how a job process started here ended, unless it did so itself (a SIGKILL cannot be
    caught). It is awaited without being reaped (``WNOWAIT``), so that until this is recorded any
    process on this host still reads its exit status (:func:`_local_death`); then it is reaped."""
    try:
        ended = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        code = -ended.si_status if ended.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else ended.si_status
    except ChildProcessError:  # reaped meanwhile by Popen.poll or wait in another thread
        code = proc.wait()
    try:
        _finish(engine, job_id, "failed", error=_ended(proc.pid, code))
    except SQLAlchemyError:  # e.g. the database is gone: whoever looks next records it
        pass
    proc.wait()


def job_status(job_id: str, engine: Engine | None = None) -> dict[str, Any]:
    """The job's state (``starting``, ``running``, ``succeeded``, ``failed``, ``cancelled``), spec, progress events
    (and when the last came: ``updated``), error and result (whose keys are also copied to the top level)."""
    engine = engine or shared_engine()
    _reap(engine)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobError(f"no job {job_id!r}")
        events = session.execute(select(JobEvent.event, JobEvent.at).where(JobEvent.job_id == job_id).order_by(JobEvent.id)).all()
        return {**(job.result or {}), "id": job.id, "kind": job.kind, "dataset": job.dataset, "state": job.state,
                "spec": job.spec, "progress": [event for event, _ in events],
                "updated": _aware(events[-1].at) if events else None, "error": job.error, "traceback": job.traceback,
                "result": job.result,
                "pid": job.pid, "host": job.host, "created": _aware(job.created_at), "started_by": job.started_by,
                "finished": _aware(job.finished_at) if job.finished_at else None}


def latest_job(dataset: str | None = None, kind: str | Sequence[str] | None = None, engine: Engine | None = None) -> str | None:
    """The id of the newest job (of ``dataset`` and of ``kind``, one or several, if given), or None."""
    newest = job_history(dataset, kind, 1, engine)
    return newest[0]["id"] if newest else None


def job_history(dataset: str | None = None, kind: str | Sequence[str] | None = None, limit: int = 10,
                engine: Engine | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` jobs (of ``dataset`` and of ``kind``, if given), newest first: id, kind, state, when it
    started and ended and by whom (None: the command line, or no users), the registry entry it wrote and its error's first line."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if dataset is not None:
        query = query.where(Job.dataset == dataset)
    if kind is not None:
        query = query.where(Job.kind.in_([kind] if isinstance(kind, str) else list(kind)))
    with Session(engine or shared_engine()) as session:
        return [{"id": job.id, "kind": job.kind, "state": job.state, "started": _aware(job.created_at), "by": job.started_by,
                 "ended": _aware(job.finished_at) if job.finished_at else None,
                 "entry": ((job.result or {}).get("entry") or {}).get("id"),
                 "error": (job.error or "").strip().splitlines()[0] if (job.error or "").strip() else None}
                for job in session.scalars(query)]


def _holder(engine: Engine | None) -> Job | None:
    """The job holding the lock (a dead one's lock released first), or None."""
    engine = engine or shared_engine()
    _reap(engine)
    with Session(engine) as session:
        return session.scalar(select(Job).where(Job.holds_lock.is_(True)))


def running_job(engine: Engine | None = None) -> str | None:
    """The id of the job holding the lock, or None."""
    holder = _holder(engine)
    return holder.id if holder is not None else None


def busy(engine: Engine | None = None) -> str | None:
    """Why no job can start now (the one holding the lock: its kind, dataset and id), or None."""
    holder = _holder(engine)
    if holder is None:
        return None
    return f"a {holder.kind} job is already running (job {holder.id}, dataset {holder.dataset!r}); one job runs at a time"


def cancel_job(job_id: str, user: User | None = None, engine: Engine | None = None) -> None:
    """Ask a running job to stop (admins): its worker stops at its next heartbeat; state ``cancelled``, "cancelled by NAME"."""
    require(user, "retrain")
    with Session(engine or shared_engine()) as session, session.begin():
        job = session.get(Job, job_id)
        if job is None:
            raise JobError(f"no job {job_id!r}")
        if job.state not in ACTIVE:
            raise JobError(f"job {job_id} has ended ({job.state}): nothing to cancel")
        name = user.name if user else "the operator"
        session.add(JobEvent(job_id=job_id, at=_now(), event={"stage": f"cancel requested by {name}", "cancel": name}))


def _heartbeat(engine: Engine, job_id: str, stop: threading.Event) -> None:
    """Beat every few seconds; on a cancel request, interrupt the job's main thread (as Ctrl-C would)."""
    while not stop.wait(HEARTBEAT_EVERY):
        try:
            with Session(engine) as session, session.begin():
                session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=_now()))
                by = session.scalar(select(JobEvent.event["cancel"].as_string()).where(
                    JobEvent.job_id == job_id, JobEvent.event["cancel"].as_string().is_not(None)).limit(1))
        except Exception:  # a busy database: the next beat will do
            continue
        if by is not None:
            _cancelled[job_id] = by
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # wakes a sleep or a wait, as Ctrl-C does
            return


def _execute(engine: Engine, job_id: str, echo: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Run a claimed job here: heartbeat, progress rows, its outcome recorded, the lock released."""
    pending: list[tuple[datetime, dict]] = []  # events a database outage held back: written with the next that goes through

    def report(event: dict[str, Any]) -> None:
        pending.append((_now(), json.loads(json.dumps(event, default=str))))
        try:
            with Session(engine) as session, session.begin():
                session.add_all(JobEvent(job_id=job_id, at=at, event=held) for at, held in pending)
            pending.clear()
        except OperationalError:  # the database restarting or out of reach: training goes on, progress catches up
            pass
        if echo:
            echo(event)

    stop = threading.Event()
    try:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            kind, spec = job.kind, job.spec
        threading.Thread(target=_heartbeat, args=(engine, job_id, stop), daemon=True).start()
        result = _runner(kind)(spec, report)
    except BaseException as err:  # the outcome is the job's row; what the job built is removed first (the
        # lock goes with the outcome: a job started after it must not lose its build folder to this cleaning)
        stop.set()
        clean_builds(engine)
        cancelled = f"cancelled by {_cancelled[job_id]}" if job_id in _cancelled else None
        _finish(engine, job_id, "cancelled" if cancelled else "failed", error=cancelled or describe(err),
                trace=None if cancelled else traceback.format_exc())
        raise
    stop.set()
    clean_builds(engine)
    _finish(engine, job_id, "succeeded", result=json.loads(json.dumps(result, default=str)))
    return result


def run_job(job_id: str) -> int:
    """The body of a job's process (``python -m ner_core job <id>``): 0 on success, 1 on failure.

    SIGTERM and SIGINT are blocked (:func:`start_job` starts the process so) until a stop can be
    recorded: one that came during the start is raised then, before the job reads "running".
    """
    def killed(signum: int, _frame: Any) -> None:
        for stop in STOP_SIGNALS:  # a second stop must not cut the recording of the first short
            signal.signal(stop, signal.SIG_IGN)
        raise Killed(signum)

    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    for signum in STOP_SIGNALS:
        signal.signal(signum, killed)
    engine = shared_engine()
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        with Session(engine) as session, session.begin():
            taken = session.execute(update(Job).where(Job.id == job_id, Job.state == "starting").values(
                state="running", pid=os.getpid(), host=HOST, heartbeat_at=_now()))
        if taken.rowcount != 1:
            with Session(engine) as session:
                job = session.get(Job, job_id)
            print(f"error: no job {job_id!r} in this database" if job is None else
                  f"error: job {job_id} is {job.state}, not waiting to start", file=sys.stderr)
            return 1
        _execute(engine, job_id)
        return 0
    except Killed as err:  # also when stopped before _execute could record it (nothing is recorded twice)
        _finish(engine, job_id, "failed", error=describe(err), trace=traceback.format_exc())
        return 1
    except BaseException:
        traceback.print_exc()
        return 1


def run_here(kind: str, spec: Any, dataset: str | None = None, echo: Callable[[dict], None] | None = None,
             engine: Engine | None = None) -> dict[str, Any]:
    """Run a job in this process (the command line), under the same lock as background jobs (``dataset``: as for
    :func:`start_job`)."""
    spec = _spec_dict(kind, spec)
    dataset, engine = _job_dataset(spec, dataset), engine or shared_engine()
    _reap(engine)
    job_id = _claim(engine, kind, spec, dataset, "running", os.getpid())
    clean_builds(engine)
    return _execute(engine, job_id, echo)
