"""The sidebar's entity types of a dataset, with their keys and guidelines: a new type is added here (and one added by
mistake taken back), and every page that edits tags offers it at once; a type's guideline is written here."""
from __future__ import annotations

import zlib
from html import escape

import streamlit as st

from ner_core.data.tags import TYPE_MAX
from ner_core.storage.entity_types import GUIDELINE_MAX, add_type, guidelines, remove_type, set_guideline
from ner_core.storage.store import CorrectionError, CorrectionStore
from ner_core.storage.users import RoleError, User, refusal, require
from pages.render import flash, plain
from pages.sign_in import signed_in
from pages.ui import dataset_colours, dataset_types

ACTION = "change entity types"


def entity_types_panel(dataset: str, store: CorrectionStore, user: User | None, author: str) -> None:
    """The types in the keyboard annotator's key order, rare ones and added ones marked, with their guidelines; writing a
    guideline, adding a type and removing an added one (admins)."""
    types, colours, tagset, added = dataset_types(dataset), dataset_colours(dataset), store.tagset, store.added_types()
    with st.sidebar.expander("Entity types"):  # one label: a type added keeps it open
        notes = guidelines(store)
        st.html("<br>".join(f"<span style='background:{colours[t]};padding:0 4px;border-radius:3px'>{key}</span> "
                            f"{escape(t)}{' · rare' if t in tagset.weak else ''}{' · added' if t in added else ''}"
                            + (f"<br><small style='color:#666'>{escape(notes[t])}</small>" if t in notes else "")
                            for t, key in zip(types, _keys(len(types)))))
        st.caption("The number: its key in the Review queue, on New text and Corpus. Rare: trained apart (Retrain). A "
                   "guideline shows here and on the keys' legend (hover a type).")
        refused = refusal(user, ACTION)
        of = st.selectbox("Guideline of", types, key="entity_guideline_of")
        box = f"entity_guideline_{of}_{zlib.crc32(notes.get(of, '').encode())}"  # a new box once the stored text changes
        st.text_area("What it covers, as annotators are to tag it", notes.get(of, ""), key=box,
                     max_chars=GUIDELINE_MAX, placeholder="e.g. countries, cities and regions; not nationalities (gpe)")
        st.button("Save the guideline", key="entity_guideline_save", on_click=_describe, args=(store, user, author, of, box,
                  notes.get(of, "")), disabled=refused is not None, help=refused)
        st.text_input("New type", key="entity_type_new", placeholder="e.g. product", max_chars=TYPE_MAX,
                      help="Letters, digits, '_', '-' and '.'. It joins the rare types: models learn it when next trained "
                           "from scratch (Retrain → Train models).")
        st.button("Add the type", key="entity_type_add", on_click=_add, args=(dataset, store, user, author),
                  disabled=refused is not None, help=refused)
        if added:
            gone = st.selectbox("Take back an added type", added, index=None, key="entity_type_gone", placeholder="Choose one")
            st.button("Remove it", key="entity_type_remove", on_click=_remove, args=(store, user), disabled=refused is not None
                      or gone is None, help=refused or "Only while no sentence is tagged with it")
        flash("entity_type_message")


def _keys(n: int) -> list[str]:
    """The annotator's key for each of ``n`` types: 1-9, then shift+1-9, then none (the grid on Annotate)."""
    return [str(k + 1) if k < 9 else f"⇧{k - 8}" if k < 18 else "·" for k in range(n)]


@signed_in
def _add(dataset: str, store: CorrectionStore, user: User | None, author: str) -> None:
    typed = st.session_state.get("entity_type_new", "")  # as the click sends it
    try:
        require(user, ACTION)
        name = add_type(store, typed, author or "anonymous")
    except (CorrectionError, RoleError) as err:
        st.session_state.entity_type_message = ("error", plain(f"Not added: {err}."))
        return
    st.session_state.entity_type_new = ""
    key = _keys(len(dataset_types(dataset)))[-1]
    st.session_state.entity_type_message = ("success", plain(f"Added {name} (key {key}): tag it on Annotate, in the review "
                                                            "queue and on New text; Train models learns it."))


@signed_in
def _remove(store: CorrectionStore, user: User | None) -> None:
    name = st.session_state.get("entity_type_gone")
    try:
        require(user, ACTION)
        remove_type(store, name)
    except (CorrectionError, RoleError) as err:
        st.session_state.entity_type_message = ("error", plain(f"Not removed: {err}."))
        return
    st.session_state.entity_type_message = ("success", plain(f"Removed {name}."))


@signed_in
def _describe(store: CorrectionStore, user: User | None, author: str, name: str, box: str, shown: str) -> None:
    """Save the text of ``box`` over the guideline ``shown`` (changed meanwhile: refused, both said)."""
    try:
        require(user, ACTION)
        set_guideline(store, name, st.session_state.get(box, ""), author or "anonymous", expected=shown)
    except (CorrectionError, RoleError) as err:
        st.session_state.entity_type_message = ("error", plain(f"Not saved: {err}."))
        return
    st.session_state.entity_type_message = ("success", plain(f"Saved the guideline of {name}."))
