"""Stopping what a test started, for sure: SIGTERM to the process group, a grace period, then SIGKILL."""
import os
import signal
import subprocess


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """Stop ``proc`` (started with ``start_new_session=True``) and everything in its process group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also the group's other members (a pool worker left behind)
    except ProcessLookupError:
        pass
    proc.wait()


def stop_jobs() -> None:
    """Stop every job process this test process started (``ner_core.jobs``)."""
    from ner_core.jobs import _children

    for job_id, proc in list(_children.items()):
        stop(proc)
        del _children[job_id]
