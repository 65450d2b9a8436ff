"""A background job on a page: its progress while it runs, and an admin's Cancel."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ner_core.storage.users import RoleError, User, refusal
from ner_core.workbench.jobs import ACTIVE, JobError, cancel_job
from ner_core.workbench.retrain import progress_line
from pages.sign_in import signed_in


def job_progress(job: str, status: dict, user: User | None, key: str) -> None:
    """A running training job's progress bar (stage, epoch and batch, time left), its epochs so far, and Cancel."""
    if status["state"] not in ACTIVE:
        return
    fraction, line = progress_line(status["progress"])
    st.progress(fraction, text=line)
    epochs = [e for e in status["progress"] if "loss" in e]
    if epochs:
        st.dataframe(pd.DataFrame(epochs), hide_index=True, key=f"{key}_progress")
    cancel_button(job, status, user, key)


def cancel_button(job: str, status: dict, user: User | None, key: str) -> None:
    """Cancel, for an admin, while the job runs (disabled, with the reason, for others)."""
    if status["state"] not in ACTIVE:
        return
    why = refusal(user, "retrain")
    st.button("Cancel the job", key=f"{key}_cancel", on_click=signed_in(_cancel), args=(job, user), disabled=why is not None,
              help=why or "It stops within seconds, is recorded as cancelled, and leaves the active models and every correction as they are.")


def _cancel(job: str, user: User | None) -> None:
    try:
        cancel_job(job, user)
    except (JobError, RoleError) as err:
        st.toast(f"Not cancelled: {err}")
        return
    st.toast("Cancel requested: the job stops within seconds.")
