"""NER workbench: page config and navigation only."""
import streamlit as st

st.set_page_config(page_title="NER workbench", page_icon="🏷️", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/predict.py", title="Predict", icon="🔎", default=True),
        st.Page("pages/errors.py", title="Error analysis", icon="📊"),
        st.Page("pages/suspicious.py", title="Suspicious annotations", icon="🚩"),
        st.Page("pages/annotate.py", title="Annotate", icon="✏️"),
        st.Page("pages/retrain.py", title="Retrain", icon="🔁"),
        st.Page("pages/registry.py", title="Registry", icon="🗂️"),
    ]
)
navigation.run()
