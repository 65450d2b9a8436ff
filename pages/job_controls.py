"""A background job on a page: its progress while it runs, an admin's Cancel, and the jobs before it."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pandas as pd
import streamlit as st

from ner_core.storage.users import RoleError, User, refusal
from ner_core.workbench.jobs import ACTIVE, JobError, cancel_job, job_history, job_status
from ner_core.workbench.retrain import duration, progress_line
from pages.sign_in import rerun_if_signed_out, signed_in


def job_progress(job: str, status: dict, user: User | None, key: str) -> None:
    """A running training job's progress bar (stage, epoch and batch, time left), its epochs so far, and Cancel; once it
    has ended, its epochs folded (what each recipe and tagger reached on val, epoch by epoch)."""
    epochs = [e for e in status["progress"] if "loss" in e]
    table = (pd.DataFrame(epochs).drop(columns=["eta_seconds", "total"], errors="ignore").rename(columns={"done": "epoch"})
             .dropna(axis="columns", how="all").fillna("")) if epochs else None
    choice = "\n".join(f"{e['stage']}: {e['log']}" for e in status["progress"] if "log" in e)  # estimates, scores, skips
    if status["state"] not in ACTIVE:
        if choice:
            with st.expander("Recipe choice"):
                st.text(choice)
        if table is not None:
            stages = {e.get("stage") for e in epochs}  # helper-80: "(3)" after 1 epoch of three models read as 3 epochs
            with st.expander(f"Epochs trained ({len(epochs)}" + (f", over {len(stages)} models)" if len(stages) > 1 else ")")):
                st.dataframe(table, hide_index=True, key=f"{key}_epochs")
        return
    st.progress(*progress_line(status["progress"], since_update(status)))
    if choice:
        st.text(choice)
    if table is not None:
        st.dataframe(table, hide_index=True, key=f"{key}_progress")
    cancel_button(job, status, user, key)


def followed_job(job: str, user: User | None, key: str, line: Callable[[dict], str]) -> dict:
    """The job's ``line`` (from its status) and, while it runs, its progress bar and Cancel, polled every 2 s: once
    it has ended the whole page is drawn again (what it computed shows). Returns the status read first."""
    status = job_status(job)
    if status["state"] in ACTIVE:
        st.fragment(run_every=2)(_follow)(job, user, key, line)
    else:
        st.text(line(status))
    return status


def _follow(job: str, user: User | None, key: str, line: Callable[[dict], str]) -> None:
    status = job_status(job)
    if status["state"] not in ACTIVE:
        st.toast(line(status))  # said as the page is drawn again (a folded section hides the line)
        st.rerun()
    st.text(line(status))
    st.progress(*progress_line(status["progress"], since_update(status)))
    cancel_button(job, status, user, key)


def started(status: dict) -> str:
    """When the job started, and by whom where a signed-in user did: ``started 13:22 by ada``."""
    return f"started {status['created'].astimezone():%H:%M}" + (f" by {status['started_by']}" if status.get("started_by") else "")


def since_update(status: dict) -> float:
    """Seconds since the job's last progress event (0 before the first): a time left counts down by them."""
    return (datetime.now(timezone.utc) - status["updated"]).total_seconds() if status["updated"] else 0.0


def cancel_button(job: str, status: dict, user: User | None, key: str) -> None:
    """Cancel, for an admin, while the job runs (disabled, with the reason, for others)."""
    rerun_if_signed_out()  # a click refused for a sign-in or a role gone: the whole page, which says so (helper-93)
    if said := st.session_state.pop(f"{key}_cancel_said", None):  # said here, not in the callback: it often runs in a fragment
        st.toast(said)
    if status["state"] not in ACTIVE:
        return
    why = refusal(user, "retrain")
    st.button("Cancel the job", key=f"{key}_cancel", on_click=signed_in(_cancel), args=(job, user, key), disabled=why is not None,
              help=why or "It stops within seconds, is recorded as cancelled, and leaves the active models and every correction as they are.")


def _cancel(job: str, user: User | None, key: str) -> None:
    try:
        cancel_job(job, user)
    except (JobError, RoleError) as err:
        st.session_state[f"{key}_cancel_said"] = f"Not cancelled: {err}"
        return
    st.session_state[f"{key}_cancel_said"] = "Cancel requested: the job stops within seconds."


def earlier_jobs(dataset: str, kinds: tuple[str, ...], newest: str | None) -> None:
    """The dataset's jobs of ``kinds`` before the newest one (shown above), newest first, folded away."""
    earlier = [job for job in job_history(dataset, kinds, 11) if job["id"] != newest][:10]
    if not earlier:
        return
    with st.expander(f"Earlier jobs on this dataset ({len(earlier)}{' newest' if len(earlier) == 10 else ''})"):
        st.dataframe(pd.DataFrame([{
            "job": job["id"], "kind": job["kind"], "state": job["state"],
            "started": job["started"].astimezone().strftime("%Y-%m-%d %H:%M"), "by": job["by"] or "",
            "took": duration((job["ended"] - job["started"]).total_seconds()) if job["ended"] else "",
            "registry entry": job["entry"] or "", "error": job["error"] or ""} for job in earlier]),
            hide_index=True, width="stretch", key="earlier_jobs")
