"""The sidebar's choice of dataset, drawn by app.py on every page; and what a machine without any corpus file shows."""
from __future__ import annotations

import streamlit as st

from ner_core.storage.datasets import DEFAULT_DATASET, archived_datasets, dataset_paths
from ner_core.storage.db import shared_engine
from ner_core.storage.users import User
from pages.corpus_files import import_form
from pages.render import DATASET_KEY
from pages.ui import datasets


def dataset_choice(user: User | None) -> None:
    """Sidebar: the dataset every page acts on, bound to the address (``?dataset=NAME``; none for the first one), so
    that a reload or a shared link opens it. A dataset whose corpus file is not on this machine is named, not offered;
    with none at all, the page says how to get one and offers only the import."""
    paths, names = dataset_paths(shared_engine()), list(datasets())
    absent = {name: path for name, path in paths.items() if name not in names}
    if not names:
        st.title("No corpus on this machine")
        imported = "; ".join(f"{name} (`{path}`)" for name, path in absent.items() if name != DEFAULT_DATASET)
        st.error(f"The project's corpus is expected at `{paths[DEFAULT_DATASET]}` (`NER_CORPUS`, else "
                 "`../shared/data/ner_dataset.csv.zip` beside the checkout), and it is not there"
                 + (f"; nor are the files of the datasets imported before: {imported}" if imported else "") + ". Import your "
                 "own corpus in the sidebar (*Import a corpus file as a new dataset*), or set `NER_CORPUS` to a corpus file and "
                 "restart the app.")
        import_form(user)
        st.stop()
    if st.session_state.get(DATASET_KEY, names[0]) not in names:  # archived meanwhile, or its file gone
        st.session_state[DATASET_KEY] = names[0]
    if (asked := st.query_params.get(DATASET_KEY)) not in (None, *names):  # the binding drops it from the address
        archived = archived_datasets(shared_engine()).get(asked)
        st.sidebar.warning((f"The dataset {asked!r} was archived by {archived[0]} on {archived[1]:%Y-%m-%d %H:%M}" if archived else
                            f"The corpus file of {asked!r} is not on this machine" if asked in absent else
                            f"No dataset named {asked!r} (misspelt?)") + f": showing `{names[0]}`.")
    st.sidebar.selectbox("Dataset", names, key=DATASET_KEY, bind="query-params", help="Every page acts on this dataset. Your own "
                         "corpus: the Annotate page, *Import a corpus file as a new dataset* in its sidebar; then *Train models* on Retrain.")
    if absent:
        st.sidebar.caption("Not on this machine, so not listed: " + "; ".join(f"{name} (`{path}`)" for name, path in absent.items())
                           + (". Set `NER_CORPUS` to the project's corpus file and restart." if DEFAULT_DATASET in absent else "."))
