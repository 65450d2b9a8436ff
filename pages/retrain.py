"""Retrain: train the current dataset's models from its corrected sentences in a background process; watch it live."""
import pandas as pd
import streamlit as st

from ner_core.data.corpus import SPLITS
from ner_core.models.checkpoint_dirs import CheckpointError
from ner_core.storage.users import RoleError, refusal
from ner_core.storage.datasets import DEFAULT_DATASET
from ner_core.workbench.jobs import ACTIVE, JobError, busy, job_status, latest_job
from ner_core.workbench.registry import SHIPPED, activate, active_id, has_active_model, load_index, recipe_line
from ner_core.workbench.retrain import (JOB_KINDS, added_since_active, comparison_f1, corrected_since_active, corrections_by_split, job_kind,
                                        retrainable, start_training, unlearned_types)
from pages.job_controls import earlier_jobs, job_progress, started
from pages.retrain_forms import retrain_form, train_method_form
from pages.render import plain
from pages.sign_in import current_user
from pages.ui import correction_store, current_dataset

KEEP = "Keep the active models"


def choose_entry(status: dict, dataset: str, user, refused: str | None) -> None:
    """Keep the active models (the default, where there are any) or activate the job's new entry: always an explicit choice."""
    entry = status["entry"]["id"]
    if active_id(dataset) == entry:
        st.success(f"The new entry {entry} is active." + (" It was activated because the dataset had no model yet."
                                                          if status.get("activated") else ""))
        return
    if entry not in {e["id"] for e in load_index(dataset)["entries"]}:  # helper-101: offered after a prune, Apply did nothing
        st.info(f"The new entry {entry} was deleted since (Registry: delete old entries); the active models are {active_id(dataset)}.")
        return
    options = ([KEEP] if has_active_model(dataset) else []) + [f"Activate the new entry {entry}"]  # none active: none to keep
    choice = st.radio("Which models to use", options, index=0, key=f"retrain_choice_{entry}")
    applied = st.button("Apply", key="retrain_apply", disabled=refused is not None, help=refused)
    if applied and choice == KEEP:
        st.session_state.retrain_kept = entry  # said on every poll of the fragment, not once
    if applied and choice != KEEP:
        try:
            activate(entry, user, dataset)
        except (CheckpointError, RoleError) as err:
            st.error(str(err))
            return
        st.rerun()
    if st.session_state.get("retrain_kept") == entry and choice == KEEP:
        st.info(f"Kept: the active models ({active_id(dataset)}) stay; the new entry stays listed on the Registry page.")


@st.fragment(run_every=2)
def show_job(dataset: str, user, refused: str | None) -> None:
    """The newest training job, polled; once a job seen running ends, the whole page is drawn again."""
    job = latest_job(dataset, JOB_KINDS)
    if job is None:
        st.caption("No training or retraining job has run on this dataset yet.")
        return
    status = job_status(job)
    state = status["state"]
    seen, st.session_state["retrain_seen"] = st.session_state.get("retrain_seen"), (job, state in ACTIVE)
    if seen is not None and seen != (job, state in ACTIVE):
        st.rerun()  # a job started or ended: the start buttons and what the page says of the models changed with it
    if state == "succeeded" and status.get("worse") and active_id(dataset) != status["entry"]["id"]:  # not once activated
        st.warning("The new models score **lower** than the active ones; keeping the active models is the default.\n\n"
                   + "\n".join(f"- {plain(line)}" for line in status["worse"]))
    st.subheader(f"{status['kind']} job {job}: {state}")
    st.caption(started(status).capitalize())
    job_progress(job, status, user, "retrain")
    if state == "cancelled":
        st.info(f"The job was {status.get('error')}. The active models and every correction are untouched; entries of "
                "earlier jobs are on the Registry page, to activate from there.")
    if state in ("failed", "killed"):
        st.error(f"The job {state}. The active models and every correction are untouched. The reason:")
        st.text(str(status.get("error")))
    if state == "succeeded":
        chosen = recipe_line((status["entry"].get("summary") or {}).get("recipe"))  # a training job's choice, tried and skipped
        st.caption(f"Registered as {status['entry']['id']}{'' if active_id(dataset) == status['entry']['id'] else ' (not active)'}."
                   + (f" Recipe: {chosen}." if chosen else ""))
        for system, comparison in status["comparisons"].items():
            st.markdown(f"**{system}**: old (the models active when the job started) vs new")
            st.dataframe(pd.DataFrame(comparison_f1(comparison)).round(4), width="stretch", height="content", placeholder="",
                         key=f"retrain_cmp_{system}")  # every row in view: the averages come last
        if any("new_corrected" in c for c in status["comparisons"].values()):
            st.caption("Corrected sentences: every corrected one; those of the training split were trained on, so a rise "
                       "there says the corrections were learned. The test split is the held-out measure; a rise there may also "
                       "come from the further epochs alone (a first model trained briefly gains from any).")
        if not status["comparisons"] and "summary" in status["entry"]:  # a dataset's first models: their own score only
            test = "".join(f", on the test split {m['new']:.4f}" for m in status["entry"].get("metrics", {}).values())
            dev = status["entry"]["summary"]["dev_micro_f1"]
            (st.warning if dev < 0.5 else st.caption)(f"Nothing to compare with. The new models' micro F1 on the val split {dev:.4f}{test}."
                                                     + (" Low: more epochs or more annotated sentences help." if dev < 0.5 else ""))
        for line in status.get("warnings", ()):  # e.g. a tagger that found no entity on the val split
            st.warning(plain(line))
        choose_entry(status, dataset, user, refused)


st.title("Retrain")
user = current_user()
dataset = current_dataset()
refused = refusal(user, "retrain")
if refused:
    st.warning(f"{refused}: you can watch a retrain, not start one.")
blocked = refused or busy()  # one job at a time, of any dataset
newest = latest_job(dataset, JOB_KINDS)
own_running = newest is not None and job_status(newest)["state"] in ACTIVE
if blocked and not refused and not own_running:  # another dataset's job, or another kind (the Review queue's, New text's)
    st.info(f"Nothing can start now: {blocked}. The start buttons come back when it ends.")
if not_started := st.session_state.pop("retrain_not_started", None):
    st.warning(f"Not started: {plain(not_started)}.")
show_job(dataset, user, refused)
earlier_jobs(dataset, JOB_KINDS, newest)

store = correction_store(dataset)
by_split = corrections_by_split(store)
held_out = {k: by_split[k]["sentences"] for k in SPLITS[1:]}  # val, test
since = corrected_since_active(store)
st.caption(f"Dataset `{dataset}`. Corpus sentences corrected in the training split, which training learns from (a "
           f"first-N limit keeps them): {by_split['train']['sentences']} ({by_split['train']['tokens']} tokens)"
           + (f"; changed since the active model's training began, so not in it: {since:,}." if since is not None else "."))
added, entities = added_since_active(store)
if added:
    st.caption(f"Sentences added from the pool since the active model: {added:,}, which the next training learns from; their entities: "
               + (", ".join(f"{t} {n}" for t, n in entities.most_common()) or "none"))
if sum(held_out.values()):
    st.info(f"Corrected sentences on val: {held_out['val']}, on test: {held_out['test']}: "
            "**evaluation only (not trained on)**.")


if own_running:  # its settings are the job's, above: no form of defaults
    st.caption("The form to start another job comes back when this one ends.")
    spec = None
elif job_kind(dataset) == "retrain":
    entry = active_id(dataset)
    st.caption("The active models are the shipped ones (checkpoints/)." if entry == SHIPPED else
               f"The active models are registry entry `{entry}` (see the Registry page).")
    spec = retrain_form(dataset, blocked)
    if dataset != DEFAULT_DATASET or unlearned_types(dataset, retrainable(dataset)):  # trained by the method, or a type to learn
        with st.expander("Or train the whole method again from scratch (the recipe chosen again)"):
            spec = train_method_form(dataset, store, blocked) or spec
else:
    if not has_active_model(dataset):
        st.info("This dataset has no trained model yet: train the whole method on all its training sentences.")
    spec = train_method_form(dataset, store, blocked)
if spec is not None:
    try:
        start_training(spec, dataset, user)
        st.rerun()
    except JobError as err:  # most often a colleague's job started first: the page drawn again shows it, without a form
        st.session_state.retrain_not_started = str(err)
        st.rerun()
    except (ValueError, RoleError) as err:
        st.error(str(err))
