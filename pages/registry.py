"""Registry: every retrained model set, which one is active; activate or roll back."""
import pandas as pd
import streamlit as st

from ner_core.checkpoint import CheckpointError
from ner_core.registry import SHIPPED, activate, load_index, roll_back

st.title("Model registry")
index = load_index()
rows = [{"id": SHIPPED, "created": "", "base": "", "models": "all (shipped)", "data_version": "", "corrections": 0, "test micro F1": ""}]
for e in index["entries"]:
    f1 = ", ".join(f"{s}: {m['old']:.4f} → {m['new']:.4f}" for s, m in e.get("metrics", {}).items())
    rows.append({"id": e["id"], "created": e["created"], "base": e["base"], "models": ", ".join(e["models"]),
                 "data_version": e["data_version"], "corrections": e["corrections"], "test micro F1": f1})
table = pd.DataFrame(rows)
table.insert(0, "active", table["id"] == index["active"])
st.dataframe(table, hide_index=True, width="stretch", key="registry_table")

choice = st.selectbox("Entry", [r["id"] for r in rows], index=[r["id"] for r in rows].index(index["active"]), key="registry_choice")
left, right = st.columns(2)
if left.button("Activate", type="primary", key="registry_activate", disabled=choice == index["active"]):
    activate(choice)
    st.rerun()
if right.button("Roll back to the previously active", key="registry_rollback", disabled=len(index["history"]) < 2):
    try:
        roll_back()
    except CheckpointError as err:
        st.error(str(err))
    st.rerun()
