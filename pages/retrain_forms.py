"""The Retrain page's two forms: retrain chosen models of the active set, or train the whole method from scratch."""
from __future__ import annotations

import streamlit as st

from ner_core.data.tags import TagSet
from ner_core.storage.store import CorrectionStore
from ner_core.training.recipes import RECIPES
from ner_core.workbench.retrain import (RetrainSpec, TrainMethodSpec, check_trainable, method_line, retrainable,
                                       unlearned_line, unlearned_types)


def retrain_form(dataset: str, blocked: str | None) -> RetrainSpec | None:
    """The spec to start once "Start retraining" is pressed with models chosen (``blocked``: why it cannot be)."""
    available = retrainable(dataset)
    if unlearned := unlearned_types(dataset, available):  # said before the click, and the form kept shut
        st.info(f"{unlearned_line(dataset, unlearned)}: below.")
        blocked = blocked or "The active models never learned " + ", ".join(unlearned)
    with st.form("retrain_form", enter_to_submit=False):  # Enter in a number must not start a job
        models = st.multiselect("Models to retrain", available, default=[m for m in RetrainSpec().models if m in available] or available,
                                key="retrain_models")
        warm = st.toggle("Warm start from the active models", True, key="retrain_warm", help="Fine-tune them on the corrected and "
                         f"added sentences plus up to {RetrainSpec().replay:,} others drawn at random; off: from scratch on every one")
        epochs = st.number_input("Epochs", 1, 50, 3, key="retrain_epochs")
        limit = st.number_input("Train on the first N training sentences (0 = all)", 0, 100_000, 0, key="retrain_limit")
        submitted = st.form_submit_button("Start retraining", type="primary", disabled=blocked is not None, help=blocked)
    if submitted and not models:
        st.error("Choose at least one model to retrain.")
    return RetrainSpec(list(models), warm, int(epochs), limit=int(limit) or None, dataset=dataset) if submitted and models else None


@st.cache_data(max_entries=8, show_spinner=False)
def untrainable(name: str, version: str, weak: tuple[str, ...]) -> str | None:
    """Why the method cannot train on dataset ``name`` at data ``version`` (the cache key) with ``weak`` apart, or None."""
    try:
        check_trainable(TrainMethodSpec(name, weak_types=weak))
    except ValueError as err:
        return f"Cannot train yet: {err}"
    return None


def rare_types(dataset: str, tagset: TagSet, version: str) -> tuple[TagSet, str | None]:
    """The tag set to train the method with, its rare types chosen here (by default the dataset's rule: under 2% of the
    training mentions; none, and said so, where the val split could not select a detector for them), and why it cannot
    be (every type chosen), or None."""
    rule = tuple(sorted(tagset.weak))
    default = [] if rule and untrainable(dataset, version, rule) and not untrainable(dataset, version, ()) else list(rule)
    chosen = st.multiselect("Rare types, trained apart (none: one tagger for every type)", tagset.types, default=default,
                            key=f"train_weak_{dataset}", help="A weak tagger learns them, a detector says which sentences "
                            "hold one, and the strong and weak taggers' tags are voted.")
    if rule and not default:
        st.caption(f"{', '.join(rule)}: under 2% of the training entities, but the val split cannot select a detector for "
                   "them (it needs sentences with and without such an entity), so none is trained apart by default.")
    try:
        return TagSet(tagset.types, frozenset(chosen)), None
    except ValueError as err:
        return TagSet(tagset.types), f"Cannot train with these rare types: {err}"


def train_method_form(dataset: str, store: CorrectionStore, blocked: str | None) -> TrainMethodSpec | None:
    """The spec to start once "Train models" is pressed: the whole method from scratch, the recipe chosen on val; why it
    cannot train on the dataset (with the rare types chosen above the form) is said before the click."""
    tagset, unfit = rare_types(dataset, store.tagset, store.version())
    weak = tuple(sorted(tagset.weak))
    if (unfit := unfit or untrainable(dataset, store.version(), weak)) is not None:
        st.warning(unfit)
    with st.form("train_method_form", enter_to_submit=False):
        st.markdown(f"The whole method from scratch, early stopping on the val split. {method_line(tagset)}")
        cols = st.columns(4 if tagset.weak else 2)  # no weak type: no weak tagger or detector to set
        epochs = cols[0].number_input("Tagger epochs (at most)", 1, 100, 30, key="train_epochs")
        weak_epochs = cols[1].number_input("Weak tagger epochs (at most)", 1, 100, 40, key="train_weak_epochs") if tagset.weak else 40
        detector_epochs = cols[2].number_input("Detector epochs (at most)", 1, 50, 6, key="train_detector_epochs") if tagset.weak else 6
        patience = cols[-1].number_input("Patience", 1, 20, 4, key="train_patience")
        left, middle, right = st.columns(3)
        recipe = left.selectbox("Tagger recipe", RECIPES, key="train_recipe", help="auto trains GloVe, GloVe + frozen MiniLM "
                                "features and fine-tuned MiniLM, and keeps the best on the val split (README: Choosing a recipe)")
        budget = middle.number_input("Time for the recipes (minutes)", 1, 24 * 60, 60, key="train_budget",
                                     help="auto: how long trying the candidates may take; one recipe: its training stops there")
        limit = right.number_input("Train on the first N training sentences (0 = all)", 0, 10_000_000, 0, key="train_limit",
                                   help="A first model of a large corpus within the time: the others train later (helper-97)")
        submitted = st.form_submit_button("Train models", type="primary", disabled=(blocked or unfit) is not None,
                                          help=blocked or unfit)
    return TrainMethodSpec(dataset, int(epochs), int(weak_epochs), int(detector_epochs), int(patience), recipe=recipe,
                           limit=int(limit) or None, budget_minutes=float(budget), weak_types=weak) if submitted else None
