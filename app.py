"""NER workbench: page config and navigation only; ``python app.py [streamlit options]`` warms up, then serves it."""
import sys
from pathlib import Path

import streamlit as st
from streamlit import runtime

if __name__ == "__main__" and not runtime.exists():  # run by Python, not by Streamlit: warm up, then serve this file
    from pages.warm_up import serve

    serve(__file__, sys.argv[1:])

from pages.tab_guards import APP_RAN, rerun_on_reconnect
from pages.render import INTERRUPTED
from pages.sign_in import current_user, sidebar_status
from pages.drafts import stranded_note
from pages.dataset_choice import dataset_choice
from pages.ui import datasets

st.set_page_config(page_title="NER workbench", page_icon=str(Path(__file__).parent / "docs" / "icon.png"),  # a local file: nothing fetched
                   layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/predict.py", title="Predict", icon=":material/search:", default=True),
        st.Page("pages/errors.py", title="Error analysis", icon=":material/analytics:"),
        st.Page("pages/review.py", title="Review queue", icon=":material/flag:"),
        st.Page("pages/annotate.py", title="Annotate", icon=":material/edit:"),
        st.Page("pages/corpus.py", title="Corpus", icon=":material/manage_search:"),
        st.Page("pages/pool.py", title="New text", icon=":material/playlist_add:"),
        st.Page("pages/review_corrections.py", title="Review corrections", icon=":material/fact_check:"),
        st.Page("pages/agreement.py", title="Agreement", icon=":material/group:"),
        st.Page("pages/retrain.py", title="Retrain", icon=":material/model_training:"),
        st.Page("pages/registry.py", title="Registry", icon=":material/inventory_2:"),
        st.Page("pages/users.py", title="Users", icon=":material/manage_accounts:"),
    ]
)
st.session_state[APP_RAN] = True  # pages/tab_guards.py
sidebar_status(user := current_user())  # with users defined: the sign-in form until signed in
dataset_choice(user)  # one dataset for every page, kept across page switches (none on this machine: the import only)
stranded_note(datasets)  # unsaved edits of a dataset archived meanwhile
rerun_on_reconnect()  # after a server restart: the page's widgets known again before the next click
navigation.run()
st.session_state.pop(INTERRUPTED, None)  # the page drew its widgets (pages/render.py)
