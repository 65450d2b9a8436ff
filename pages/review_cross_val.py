"""The Review queue's model flags: start (admins) and follow the cross-validation job that scores a split out of sample."""
import streamlit as st

from ner_core.quality.issue_scores import CrossValJobSpec
from ner_core.storage.users import User, refusal
from ner_core.training.cross_val import CrossValConfig, fold_caution
from ner_core.training.recipes import RECIPES
from ner_core.workbench.jobs import JobError, busy, start_job
from ner_core.workbench.registry import available_models, recipe_line
from pages.job_controls import followed_job, started


def cross_validation(dataset: str, split: str, user: User | None, job: str | None) -> None:
    """Start (admins) and follow the background job that scores ``split`` out of sample (``job``: its latest run)."""
    if job is not None:
        status = followed_job(job, user, "review_cv", lambda s: f"Last run {job} ({started(s)}): {s['state']}"
                              + (f" ({s.get('error')})" if s.get("error") else ""))
        result = status.get("result") or {}
        if result.get("recipe"):
            st.caption(f"Scored the {result['split']} split ({result['sentences']:,} sentences); fold models: "
                       f"{recipe_line(result['recipe'])}")
            if caution := fold_caution(result["recipe"]):
                st.warning(f"Model flags of this run: {caution}.")
    why = refusal(user, "retrain") or busy()  # one job at a time, of any dataset
    left, right = st.columns(2)
    recipe = left.selectbox("Fold models' recipe", RECIPES, key="review_cv_recipe",
                            help="auto trains GloVe, GloVe + frozen MiniLM features and fine-tuned MiniLM on the first "
                                 "fold, and the active tagger briefly where it never saw the split, and keeps the best "
                                 "for every fold (README: Choosing a recipe)")
    budget = right.number_input("Time for auto's recipe choice (minutes)", 5, 24 * 60, 60, key="review_cv_budget",
                                help="auto skips a recipe whose five fold models would not finish within this time")
    if st.button("Score the split out of sample (5 folds, a background job)", key="review_cross_val",
                 disabled=why is not None, help=why):
        try:
            config = CrossValConfig(folds=5, recipe=recipe, budget_minutes=float(budget))
            taggers = list(available_models(dataset, single=True).values())  # auto may start from the active tagger
            init_from = taggers[0] if taggers and recipe == "auto" else None
            start_job("cross-val", CrossValJobSpec(dataset, split, config, init_from), dataset, user)
            st.toast("Started: the queue takes its flags when it has finished.")
            st.rerun()  # its progress in place of the button
        except (JobError, ValueError) as err:
            st.error("Not started:")
            st.text(str(err))
