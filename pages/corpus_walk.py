"""The Corpus page's keyboard walk: the sentences found, in order, in the keyboard annotator, each with the model's
tags (drawn under it where they differ) to accept (``a``), the gold to keep (``g``) or to edit (keys, then Enter);
every save is a correction as on Annotate."""
from __future__ import annotations

from typing import Hashable

import streamlit as st
from sqlalchemy.exc import DBAPIError

from ner_core.quality.walk_session import WalkSession
from ner_core.storage.entity_types import guidelines
from ner_core.storage.store import CorrectionStore
from pages.keyboard_annotator import keyboard_annotator, outage
from pages.render import type_colours
from pages.ui import dataset_types

KEY, AT = "corpus_annotator", "corpus_at"  # the component's key; the query parameter of the sentence on screen


def keyboard_walk(dataset: str, store: CorrectionStore, numbers: list[int], search: Hashable, parts: dict[int, str],
                  author: str, model_label: str, model) -> None:
    """Walk ``numbers`` (the search ``search`` found; ``parts``: each one's split) as ``author``; ``model`` (or None)
    gives the suggestions."""
    session: WalkSession = st.session_state.setdefault("corpus_walk", WalkSession())
    at = st.query_params.get(AT)
    session.start((dataset, search), numbers, int(at) if at and at.isdigit() else None)  # a reload: where it was

    def on_ops() -> None:
        session.apply((st.session_state[KEY] or {}).get("ops") or [], store, author)

    @st.fragment
    def view() -> None:  # a decision reruns only this part of the page
        try:
            data = annotator_data()
        except DBAPIError as err:  # the annotator stays, and with it the decisions not stored yet (helper-87)
            outage(err, KEY, on_ops, mode="walk", split="", acked=session.acked, refused=session.refused, dataset=dataset,
                   author=author)
            return
        keyboard_annotator(data, KEY, on_ops)

    def annotator_data() -> dict:
        """What the annotator shows: the sentence on screen and the next ones, read from the database."""
        ahead, conflict = session.ahead(store, author) if session.conflict is None else [], session.conflict
        if ahead:
            st.query_params[AT] = str(ahead[0])  # the address keeps the place
        states = store.snapshots(ahead)
        words = {i: list(store.words(i)) for i in ahead}
        guesses = _suggestions(model_label, model, words)
        message = session.pop_message()
        types = list(dataset_types(dataset))  # read on each decision: a type an admin removed leaves the legend
        return {
            "items": [{"item": i, "sentence": i, "version": states[i].version, "words": words[i], "tags": states[i].tags,
                       "suggestion": guesses.get(i, states[i].tags), "flagged": [0, 0], "score": None,
                       "source": _where(parts.get(i, "train")),
                       **_model_line(guesses.get(i), model_label)} for i in ahead],
            "acked": session.acked, "refused": session.refused, "dataset": dataset, "mode": "walk", "model": model is not None,
            "decided": session.decided[session.started], "message": {"kind": message[0], "text": message[1]} if message else None,
            "open": session.left(), "split": "", "evaluation": False, "author": author, "types": types,
            "colours": type_colours(types), "guidelines": guidelines(store), "empty": "The end of the sentences found: search again above.",
            "conflict": conflict.shown(conflict.item, store.words(conflict.item)) if conflict else None,
        }

    view()


def _where(part: str) -> str:
    return {"train": "train split", "added": "added from New text (train)"}.get(part, f"{part} split (evaluation only)")


def _suggestions(model_label: str, model, words: dict[int, list[str]]) -> dict[int, list[str]]:
    """The model's tags of each sentence, tagged once a session per model."""
    if model is None:
        return {}
    tagged = st.session_state.setdefault("corpus_tagged", {})  # (model, sentence) -> tags
    todo = [i for i in words if (model_label, i) not in tagged]
    for i, result in zip(todo, model.tag([words[i] for i in todo]) if todo else []):
        tagged[model_label, i] = list(result.tags)
    return {i: tagged[model_label, i] for i in words}


def _model_line(predicted: list[str] | None, model_label: str) -> dict:
    """What ``a`` saves: the model's tags (the annotator draws them where they differ from the gold), or the gold."""
    if predicted is None:
        return {"given": "the gold", "suggested": "no model to suggest tags (a keeps the gold)", "detail": ""}
    return {"model": predicted, "detail": model_label}
