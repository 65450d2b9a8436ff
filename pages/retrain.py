"""Retrain: train models from the corrected corpus in a background process; watch it live."""
import pandas as pd
import streamlit as st

from ner_core.jobs import JobError, job_status, latest_job, start_job
from ner_core.registry import active_dir
from ner_core.retrain import MODELS, RetrainSpec
from pages.ui import comparison_table, correction_store

st.title("Retrain")
counts = correction_store().counts()
st.caption(f"Corrected data: {counts['sentences']} sentence(s), {counts['tokens']} token(s). The active models are in `{active_dir()}`.")

available = [m for m in MODELS if (active_dir() / m).is_dir()]
with st.form("retrain_form"):
    models = st.multiselect("Models to retrain", available, default=[m for m in ("strong", "weak", "detector") if m in available], key="retrain_models")
    warm = st.toggle("Warm start from the active models", True, key="retrain_warm")
    epochs = st.number_input("Epochs", 1, 50, 3, key="retrain_epochs")
    limit = st.number_input("Train on the first N training sentences (0 = all)", 0, 100_000, 0, key="retrain_limit")
    submitted = st.form_submit_button("Start retraining", type="primary")
if submitted:
    try:
        start_job("retrain", RetrainSpec(list(models), warm, int(epochs), limit=int(limit) or None))
    except (JobError, ValueError) as err:
        st.error(str(err))


@st.fragment(run_every=2)
def show_job() -> None:
    job = latest_job()
    if job is None:
        st.info("No retraining has run yet.")
        return
    status = job_status(job)
    state = status["state"]
    st.subheader(f"Job {job}: {state}")
    events = [e for e in status["progress"] if "epoch" in e]
    if events:
        last = events[-1]
        done = status["spec"]["models"].index(last["model"]) * last["epochs"] + last["epoch"]
        total = len(status["spec"]["models"]) * last["epochs"]
        st.progress(min(done / total, 1.0), text=f"{last['model']}: epoch {last['epoch']}/{last['epochs']} · loss {last['loss']} · "
                    f"val {last['val']} · about {last['eta_seconds']} s left")
        st.dataframe(pd.DataFrame(events), hide_index=True, key="retrain_progress")
    if state in ("failed", "killed"):
        st.error(f"The job {state}: {status.get('error')}. The active models and every correction are untouched.")
    if state == "succeeded":
        st.success(f"Registered as {status['entry']['id']} (not active): activate it on the Registry page.")
        for system, comparison in status["comparisons"].items():
            st.markdown(f"**{system}**: old vs new")
            st.dataframe(comparison_table(comparison), width="stretch", key=f"retrain_cmp_{system}")


show_job()
