"""Registry: the current dataset's trained model sets, which one is active; activate or roll back."""
import pandas as pd
import streamlit as st

from ner_core.models.checkpoint_dirs import CheckpointError
from ner_core.storage.store import StorageWriteError
from ner_core.storage.users import RoleError, refusal
from ner_core.workbench.registry import (SHIPPED, activate, disk_use, entry_line, entry_rows, load_index, missing_active, prunable, prune,
                                        roll_back, roll_back_target, shipped_score)
from ner_core.workbench.retrain import added_since_active, corrected_since_active, corrections_by_split
from pages.render import plain
from pages.sign_in import current_user, signed_in
from pages.ui import correction_store, current_dataset

st.title("Registry")
user = current_user()
dataset = current_dataset()
refused = refusal(user, "activate")
if refused:
    st.info(f"{refused} or roll back.")
if "registry_message" in st.session_state:  # what the last click did, after the rerun that shows it
    st.success(st.session_state.pop("registry_message"))
index = load_index(dataset)
rows = entry_rows(index, dataset)
st.caption(f"Dataset `{dataset}`.")
if not rows:
    st.info("This dataset has no trained model yet.")
    st.page_link("pages/retrain.py", label="Train models", icon=":material/model_training:")
    st.stop()
ids = [r["id"] for r in rows]
if missing := missing_active(dataset):
    st.warning(f"{plain(missing)[0].upper()}{plain(missing)[1:]}.")
elif index["active"] not in ids:
    st.info("No model of this dataset is active: activate one.")
table = pd.DataFrame(rows)
table.insert(0, "active", table["id"] == index["active"])
st.dataframe(table, hide_index=True, placeholder="", width="stretch", key="registry_table", column_config={  # narrow: in view
    "active": st.column_config.CheckboxColumn(width=60),
    "corrected tokens": st.column_config.NumberColumn("corrected", help="Tokens corrected in the corpus's sentences", width=80),
    "added sentences": st.column_config.NumberColumn("added", help="Sentences added from the pool (New text)", width=60)})
store = correction_store(dataset)  # helper-76: "corrected 0, added 0" after dozens of saves read as lost work
corrected = corrections_by_split(store)["train"]["sentences"] if (since := corrected_since_active(store)) is None else since
added, _ = added_since_active(store)
if corrected or added:
    st.caption(f"Not in the active models yet: {corrected:,} corrected training sentence{'s' * (corrected != 1)} and {added:,} "
               "sentence(s) added from the pool, kept in the database; Retrain trains on them.")
if SHIPPED in ids:
    st.caption(f"The shipped set's test score is as the retrain that made {measured[1]} measured it (old → new), on the test "
               "split as it was then." if (measured := shipped_score(index)) else
               "The shipped checkpoints record no test score: Error analysis scores them on the test split as it is now, and a "
               "retrain records old → new.")

key = f"registry_choice:{dataset}"
choice = st.selectbox("Entry", ids, index=ids.index(index["active"]) if index["active"] in ids else 0, key=key)
if details := entry_line(index, choice):
    st.caption(f"{choice}: {details}.")
target = roll_back_target(index, dataset)


@signed_in
def act(entry: str | None, shown: str) -> None:
    """Activate ``entry`` (None: roll back from ``shown``, the active entry on screen); the Entry box then shows the active
    one (set here, in the click's callback: a value set after the box is drawn, or dropped, left the browser showing the
    old one: helper-80)."""
    try:
        if entry:
            activate(entry, user, dataset)
            what = f"Activated {entry}"
        else:
            what = f"Rolled back to {(entry := roll_back(user, dataset, active=shown))}"  # what is active now (helper-92)
    except (CheckpointError, RoleError, StorageWriteError) as err:
        st.session_state.registry_error = f"Not done: {err}."
        if (now := load_index(dataset)["active"]) in ids:  # the box shows what is active now (helper-93)
            st.session_state[key] = now
        return
    st.session_state.registry_message = f"{what}: Predict, Error analysis and the queues of `{dataset}` use it now."
    st.session_state[key] = entry


row = st.container(horizontal=True)  # the buttons as wide as their labels: none cut on a narrow screen
row.button("Activate", type="primary", key="registry_activate", disabled=choice == index["active"] or refused is not None,
           help=refused, on_click=act, args=(choice, index["active"]))
row.button("Roll back to the previously active", key="registry_rollback", disabled=target is None or refused is not None,
           help=refused or (f"Re-activate {target}." if target else "No earlier model of this dataset to go back to."),
           on_click=act, args=(None, index["active"]))
if "registry_error" in st.session_state:
    st.error(st.session_state.pop("registry_error"))


@signed_in
def delete_old(keep: int, shown: list[str]) -> None:
    """Delete the entries the button named (``shown``), unless what would go has changed since the page was drawn."""
    index = load_index(dataset)
    if prunable([e["id"] for e in index["entries"]], index["history"][-2:], keep) != shown:
        st.session_state.registry_error = "Not done: the registry changed since this page was drawn; it shows it now."
        return
    try:
        pruned = prune(keep, user, dataset)
    except (RoleError, StorageWriteError) as err:
        st.session_state.registry_error = f"Not done: {err}."
        return
    st.session_state.registry_message = f"Deleted {len(pruned.removed)} entr{'y' if len(pruned.removed) == 1 else 'ies'}: {pruned.freed / 1e6:,.1f} MB freed."


entries = [e["id"] for e in index["entries"]]
with st.expander(f"Disk: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {disk_use(dataset) / 1e6:,.1f} MB"):
    keep = st.number_input("Keep the newest", min_value=0, value=min(5, len(entries)), step=1, key="registry_keep")
    doomed = prunable(entries, index["history"][-2:], int(keep))
    st.button(f"Delete the {len(doomed)} older entr{'y' if len(doomed) == 1 else 'ies'}", key="registry_prune", on_click=delete_old,
              args=(int(keep), doomed), disabled=not doomed or refused is not None,
              help=refused or "The active entry and the one a roll back re-activates are always kept.")
