"""Corpus files on a page: importing one as a new dataset, and exporting a dataset with its corrections."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ner_core.data.corpus import EXPORTS, SPAN_FORMATS, CorpusError
from ner_core.data.tag_schemes import SCHEMES
from ner_core.storage.datasets import DEFAULT_DATASET, archive_dataset, dataset_names, import_scheme, name_for_file
from ner_core.storage.db import shared_engine
from ner_core.storage.store import CorrectionError, CorrectionStore
from ner_core.storage.users import User, refusal
from pages.author import AUTHOR
from pages.render import UPLOAD_LABEL, plain
from pages.sign_in import signed_in
from pages.ui import DATASET_KEY, corpus_export, export_problem, import_upload


def import_form(user: User | None) -> None:
    """Sidebar: upload a corpus file and register it as a new dataset (admins, once users exist), then choose it."""
    with st.sidebar.expander("Import a corpus file as a new dataset"):
        upload = st.file_uploader(UPLOAD_LABEL, key="annotate_upload")
        for part in ("dev", "test"):  # read in the Import callback, as the click sends them
            st.file_uploader(f"Its {part} file (optional: with both, the files' own split; else 80/10/10)", key=f"annotate_upload_{part}")
        suggested = name_for_file(upload.name, dataset_names()) if upload is not None else ""
        if upload is not None and st.session_state.get("annotate_upload_for") != upload.file_id:  # a new file: its name
            st.session_state.annotate_upload_for, st.session_state.annotate_upload_name = upload.file_id, suggested
        typed = st.text_input("Dataset name", key="annotate_upload_name", placeholder=suggested or "the file's name")
        name = typed.strip() or suggested
        refused = refusal(user, "import")
        done = st.session_state.get("annotate_imported_from")  # (file, dataset) of the last import: not twice by mistake
        missing = ("Choose a file first." if upload is None else f"Imported already, as {done[1]}: choose another file to "
                   "import" if done and done[0] == upload.file_id else None)
        st.button("Import", key="annotate_import", disabled=bool(missing) or refused is not None, help=refused or missing or f"As the dataset {name!r}",
                  on_click=_import, args=(user,))
        if "annotate_imported" in st.session_state:
            kind, message, detail = st.session_state.pop("annotate_imported")
            getattr(st, kind)(message)
            if detail:
                st.text(detail)  # the file's summary as it is (no Markdown)
    if "annotate_archived" in st.session_state:  # in sight: the expander it was clicked in is gone with the dataset
        kind, message = st.session_state.pop("annotate_archived")
        getattr(st.sidebar, kind)(message)
    if (dataset := st.session_state.get(DATASET_KEY, DEFAULT_DATASET)) != DEFAULT_DATASET:
        with st.sidebar.expander("Archive this dataset"):
            sure = st.checkbox(f"Hide {dataset} from every list: its sentences, corrections and models are kept, and "
                               "`datasets restore` brings it back", key="annotate_archive_sure")
            refused = refusal(user, "archive datasets")
            st.button("Archive", key="annotate_archive", disabled=not sure or refused is not None, on_click=_archive,
                      args=(user, dataset), help=refused or ("Tick the box first" if not sure else None))


@signed_in
def _archive(user: User | None, dataset: str) -> None:
    """The Archive button: the default corpus chosen instead, and a line saying how to bring it back."""
    try:
        archive_dataset(shared_engine(), dataset, user.name if user else st.session_state.get(AUTHOR) or "anonymous", user)
    except CorrectionError as err:
        st.session_state.annotate_archived = ("error", f"Not archived: {plain(str(err))}")
        return
    st.session_state[DATASET_KEY], st.session_state.annotate_archive_sure = DEFAULT_DATASET, False
    st.session_state.annotate_archived = ("success", f"Archived {dataset}: `python -m ner_core datasets restore --dataset "
                                          f"'{dataset}'` brings it back.")


@signed_in
def _import(user: User | None) -> None:
    """The Import button: in a callback, so the sidebar's Dataset box, drawn before this form, is drawn with the new
    dataset chosen. The files and the name are read as the click sends them (a name typed and clicked at once comes
    with the click: arguments bound when the form was drawn would hold the name before it)."""
    upload = st.session_state.get("annotate_upload")
    dev, test = ((part.getvalue(), part.name) if (part := st.session_state.get(f"annotate_upload_{p}")) is not None else None
                 for p in ("dev", "test"))
    if upload is None or (dev is None) != (test is None):  # a click before an upload has arrived: say which, and wait
        missing = "no corpus file" if upload is None else ("a dev file without a test file" if test is None else
                                                           "a test file without a dev file") + (
            ": give both (the files' own split) or neither (the corpus file is then split 80/10/10)")  # helper-90: said plainly
        st.session_state.annotate_imported = ("warning", f"Not imported: {missing}. A file still uploading counts once its name "
                                              "shows under its box: click Import again then.", "")
        return
    name = (st.session_state.get("annotate_upload_name") or "").strip() or name_for_file(upload.name, dataset_names())
    try:
        summary = import_upload(name, upload.getvalue(), upload.name, user, dev, test)
    except (CorpusError, CorrectionError) as err:
        st.session_state.annotate_imported = ("error", f"Refused: {plain(str(err))}", "")  # the reason in the red box
        return
    st.session_state[DATASET_KEY], st.session_state.annotate_imported_from = name, (upload.file_id, name)
    st.session_state.annotate_imported = ("success", f"Imported, and chosen in the sidebar: {name}.", f"{name}: {summary}")


def export_panel(dataset: str, store: CorrectionStore) -> None:
    """Every correction of the dataset, its counts, and the corrected corpus in any format the workbench writes."""
    with st.expander("All corrections and export"):
        counts = store.counts()
        by_type = ", ".join(f"{t} {n}" for t, n in sorted(counts["by_type"].items(), key=lambda kv: -kv[1]))
        st.write(f"{counts['sentences']} corrected sentence(s), {counts['tokens']} token(s)" + (f" ({by_type})" if by_type else "")
                 + f"; {counts['added']} sentence(s) added from New text. The export holds them all.")
        st.dataframe(pd.DataFrame(store.history(limit=200)), hide_index=True, placeholder="")
        version = store.version()
        fmt = st.radio("Export format", list(EXPORTS), horizontal=True, key="annotate_export_format", help=format_help(store))
        scheme, imported = "IOB2", import_scheme(dataset)
        if fmt not in SPAN_FORMATS:
            scheme = st.radio("Tag scheme", SCHEMES, horizontal=True, key="annotate_export_scheme",
                              format_func=lambda s: f"{s} (as imported)" if s == imported else s,
                              help="The dataset is held in IOB2; the file's tags are converted to the scheme chosen.")
        st.caption(scheme_note(fmt, scheme, imported))
        problem = export_problem(dataset, version, fmt)
        if problem is not None:
            st.error(plain(f"No {fmt} export: {problem}"))
            return
        # written on request, not on every visit (seconds for a large corpus); then a plain download, served at once: a
        # download written while the browser waits can outlast its user-activation window and be dropped
        what = fmt if fmt in SPAN_FORMATS else f"{fmt}, {scheme}"
        if st.button(f"Prepare the corrected corpus ({what})", key="annotate_export_prepare"):
            st.session_state.annotate_export = (dataset, version, fmt, scheme)
        if st.session_state.get("annotate_export") == (dataset, version, fmt, scheme):
            st.download_button(f"Download the corrected corpus ({what})", corpus_export(dataset, version, fmt, scheme),
                               export_name(dataset, fmt, scheme), key=f"annotate_export_{fmt}", on_click="ignore")


def export_name(dataset: str, fmt: str, scheme: str) -> str:
    """The download's file name: the dataset, the format where its suffix does not say it, the tag scheme where not
    IOB2, and the suffix."""
    tail = f"-{fmt}" if EXPORTS[fmt] != f".{fmt}" else "" if scheme == "IOB2" else f"-{scheme.lower()}"
    return f"{dataset}-corrected{tail}{EXPORTS[fmt]}"


def format_help(store: CorrectionStore) -> str:
    """What a file of each export format holds, for this dataset (with POS tags where its corpus has them)."""
    pos = bool(store.original) and store.original[0].pos is not None
    return (f"csv: the Kaggle columns (Sentence #: the app's sentence number, from 0; Word, POS, Tag{'' if pos else '; POS empty'}); conll: token"
            f"{', POS (where known)' if pos else ''} and tag a line, tab-separated, a blank line between sentences; jsonl: "
            f"tokens and tags{' and POS (where known)' if pos else ''} a line; spacy: a DocBin (entity spans, no tag scheme); "
            "prodigy: accepted tasks with spans a line (`prodigy db-in`); label-studio: annotated tasks for its default "
            "NER config (label on text), a JSON array for its import")


def scheme_note(fmt: str, scheme: str, imported: str | None) -> str:
    """Which tags the file holds, and the scheme the dataset was imported in where that differs."""
    if fmt in SPAN_FORMATS:
        return "The file holds entity spans: no tag scheme."
    note = f"The file holds {scheme} tags."
    if imported not in (None, "IOB2", scheme):
        note += f" The dataset was imported in {imported}, converted to IOB2 on import."
    return note
