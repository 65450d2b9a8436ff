"""Suspicious annotations: gold tags the model finds unlikely (cleanlab), and strings the corpus tags more than one way."""
import os

import pandas as pd
import streamlit as st

from ner_core.store import CorrectionError
from ner_core.tags import ENTITY_TYPES, OUTSIDE, replace_span, tag_type
from pages.ui import (annotate_link, available_models, corpus_index, correction_store, current_split, inconsistencies,
                      label_issues, load_model, string_occurrences)

st.title("Suspicious annotations")
MODEL, CORPUS = "Tags the model doubts", "Strings tagged more than one way"
mode = st.radio("Find", [MODEL, CORPUS], horizontal=True, key="suspicious_mode")
types = st.multiselect("Entity type", ENTITY_TYPES, key="suspicious_types")


def marked(words: tuple[str, ...], start: int, end: int) -> str:
    """The sentence with words ``[start, end)`` between »guillemets« (in every font, unlike 【】)."""
    return " ".join([*words[:start], f"»{' '.join(words[start:end])}«", *words[end:]])


def model_doubts() -> None:
    st.caption(
        "Tokens whose gold tag the model finds unlikely, ranked by cleanlab from the CRF's per-token "
        "probabilities. The model never trained on the val and test splits, so their ranking is out-of-sample."
    )
    models = available_models(single=True)
    if not models:
        st.error("No trained single model under checkpoints/.")
        st.stop()
    name = models[st.sidebar.radio("Model family", list(models), key="suspicious_family")]
    part = st.radio("Split", ["test", "val", "train"], horizontal=True, key="suspicious_split")
    if part == "train":
        st.warning("The model trained on these sentences, so it has partly memorised their errors: expect fewer to be found.")
    split, version = current_split()
    sentences = split.part(part)
    issues = label_issues(name, load_model(name), f"split:{part}@{version}", sentences)
    if types:
        issues = [i for i in issues if {tag_type(i.given), tag_type(i.suggested)} & set(types)]
    st.caption(f"{len(issues):,} suspicious tokens in {len({i.sentence for i in issues}):,} sentences")
    rows = []
    for issue in issues[:1000]:
        rows.append({"score": round(issue.score, 4), "sentence": issue.sentence, "token": issue.token,
                     "given": issue.given, "suggested": issue.suggested,
                     "text": marked(sentences[issue.sentence].words, issue.token, issue.token + 1)})
    st.dataframe(pd.DataFrame(rows, columns=["score", "sentence", "token", "given", "suggested", "text"]),
                 hide_index=True, width="stretch", key="suspicious_table")
    if rows:
        pick = st.selectbox("Open a sentence to correct it", sorted({r["sentence"] for r in rows}, key=[r["sentence"] for r in rows].index),
                            key="suspicious_pick")
        annotate_link(corpus_index(part)[pick])


def corpus_inconsistencies() -> None:
    st.caption(
        "Entity strings of the whole corrected corpus that are annotated in more than one way: as different "
        "types, or as an entity in some sentences and O in others. Some are right (\"U.S.\" is a place or, "
        "standing for its government, an organisation); many are not (\"H5N1\" is nat in some sentences, O in most). "
        "No model is involved. Occurrences inside longer entities are not counted."
    )
    _, version = current_split()
    corpus, found = inconsistencies(version)
    if types:
        found = [f for f in found if set(f.labels) & set(types)]
    st.caption(f"{len(found):,} strings; ranked by the occurrences that differ from the most frequent annotation")
    rows = [{"string": " ".join(f.words), "occurrences": f.occurrences, "most often": f.majority,
             "share": round(f.share(f.majority), 3), "differ": f.minority,
             "annotations": " · ".join(f"{label} {n}" for label, n in sorted(f.labels.items(), key=lambda x: -x[1]))}
            for f in found[:2000]]
    st.dataframe(pd.DataFrame(rows, columns=["string", "occurrences", "most often", "share", "differ", "annotations"]),
                 hide_index=True, width="stretch", key="consistency_table")
    if not rows:
        return
    by_string = {row["string"]: labels for row, labels in zip(rows, found)}
    string = st.selectbox("String", list(by_string), key="consistency_pick")
    chosen = by_string[string]
    places = string_occurrences(version, chosen.words)
    shown = st.multiselect("Annotated as", sorted(chosen.labels), default=[lab for lab in chosen.labels if lab != chosen.majority],
                           key=f"consistency_labels:{string}")  # a fresh default per string
    places = [o for o in places if o.label in shown]
    table = [{"sentence": o.sentence, "annotated as": o.label,
              "text": marked(corpus[o.sentence].words, o.start, o.start + len(o.words))}
             for o in places]
    st.caption(f"{len(table):,} occurrences")
    st.dataframe(pd.DataFrame(table, columns=["sentence", "annotated as", "text"]), hide_index=True, width="stretch",
                 key="consistency_sentences")
    if not table:
        return
    annotate_link(st.selectbox("Open a sentence to correct it", [r["sentence"] for r in table], key="consistency_sentence"))
    labels = [OUTSIDE, *ENTITY_TYPES]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    label = left.selectbox(f"Or annotate all {len(places):,} occurrences shown as", labels, index=labels.index(chosen.majority),
                           key=f"consistency_to:{string}")
    right.button("Apply", on_click=relabel, args=(places, label, string), key="consistency_apply", type="primary",
                 width="stretch")


def relabel(places: list, label: str, string: str) -> None:
    """Save every listed occurrence as ``label`` in one batch (one undo reverts it).

    Starts from each sentence's tags as stored now, so that a correction saved meanwhile (another
    tab, another annotator) to the rest of the sentence is kept.
    """
    store, changes = correction_store(), {}
    for o in places:
        current = changes.get(o.sentence) or store.tags(o.sentence)
        changes[o.sentence] = replace_span(current, o.start, o.start + len(o.words), label)
    try:
        result = store.save_many(changes, author=st.session_state.suspicious_author)
    except CorrectionError as err:
        st.session_state.consistency_message = ("error", f"Nothing saved: {err}")
        return
    st.session_state.consistency_message = (
        "success", f"\"{string}\" annotated as {label} in {len(changes):,} sentences ({result.changed:,} tags changed). "
                   "↩ Undo reverts the whole change.")


if mode == MODEL:
    model_doubts()
else:
    author = st.sidebar.text_input("Your name", os.environ.get("USER", "annotator"), key="suspicious_author")
    if st.sidebar.button("↩ Undo my last change", key="consistency_undo"):
        sentence = correction_store().undo(author)
        st.session_state.consistency_message = ("info", f"Undone (sentence {sentence} and any saved with it)." if sentence >= 0
                                                else "Nothing of yours to undo.")
    if "consistency_message" in st.session_state:
        kind, message = st.session_state.pop("consistency_message")
        getattr(st, kind)(message)
    corpus_inconsistencies()
