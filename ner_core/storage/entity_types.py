"""Entity types added to a dataset in the app, beside those its file tags, and each type's guideline.

A team that needs a new type mid-project adds it here (an admin, once users exist); it joins the dataset's tag set
(:attr:`~ner_core.storage.store.CorrectionStore.tagset`) as a weak type, since the file tags it nowhere, and every
page that edits tags offers it at once. Models learn it when they are next trained from scratch (*Train models*).
An added type is taken back only while no sentence is tagged with it. A guideline says what a type covers (any type
of the dataset); the pages that tag show it beside the type.
"""
from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..data.tags import OUTSIDE, tag_type, type_problem
from .schema import Assignment, Correction, DoubleAnnotation, EntityType, TypeGuideline
from .store import CorrectionError, refuse_when_full

if TYPE_CHECKING:
    from .store import CorrectionStore

TAG_PREFIX = re.compile(r"[BIESLU]-", re.IGNORECASE)  # a name that begins so reads as a tag of some scheme


@refuse_when_full()
def add_type(store: CorrectionStore, name: str, author: str) -> str:
    """Add entity type ``name`` (spaces around it dropped) to ``store``'s dataset and return it; :class:`CorrectionError`
    for a name no tag can hold, or a type the dataset has (in any letter case)."""
    name = name.strip()
    problem = type_problem(name)
    if problem is None and (name.upper() == OUTSIDE or TAG_PREFIX.match(name)):
        problem = f"{name!r} reads as a tag: give the type alone (e.g. {name[2:] or 'product'!r})"
    if problem is not None:
        raise CorrectionError(f"cannot add the type: {problem}")
    same = next((t for t in store.tagset.types if t.casefold() == name.casefold()), None)
    if same is not None:
        raise CorrectionError(f"the dataset has the type {same!r} already")
    try:
        with Session(store.engine) as session, session.begin():
            session.add(EntityType(dataset_id=store.dataset_id, name=name, author=author, created_at=datetime.now(timezone.utc)))
    except IntegrityError:
        raise CorrectionError(f"the dataset has the type {name!r} already: someone added it meanwhile") from None
    return name


def tagged_with(store: CorrectionStore, name: str, session: Session | None = None) -> list[int]:
    """The sentences of ``store``'s dataset whose current tags hold type ``name``, for a type its file never tags
    (only a correction can have set it), read in ``session`` if given."""
    with Session(store.engine) if session is None else nullcontext(session) as reading:
        candidates = sorted(reading.scalars(select(Correction.sentence).distinct().where(
            Correction.dataset_id == store.dataset_id, Correction.reverted.is_(False),
            Correction.new_tag.in_([f"B-{name}", f"I-{name}"]))))
        tags = store.read_tags(reading, candidates)
    return [s for s in candidates if any(tag_type(t) == name for t in tags[s])]


def annotated_with(store: CorrectionStore, name: str, session: Session) -> list[int]:
    """The sentences whose double annotation (Agreement, not adjudicated yet) holds type ``name``."""
    rows = session.execute(select(Assignment.sentence, DoubleAnnotation.tags).join(
        DoubleAnnotation, DoubleAnnotation.assignment_id == Assignment.id).where(
        Assignment.dataset_id == store.dataset_id, Assignment.adjudicated_at.is_(None)))
    return sorted({sentence for sentence, tags in rows if any(tag_type(t) == name for t in tags)})


@refuse_when_full()
def remove_type(store: CorrectionStore, name: str) -> None:
    """Take back a type added in the app; :class:`CorrectionError` for a type of the file, or one that sentences are
    tagged with now (naming them: untag them first)."""
    if name not in store.added_types():
        kind = "a type of the dataset's file" if name in store.tagset.types else "not a type of the dataset"
        raise CorrectionError(f"{name!r} is {kind}: only a type added later (in the app or with types add) can be removed")
    with Session(store.engine) as session, session.begin():  # removed, then checked: a save meanwhile waits, or is seen
        session.execute(delete(EntityType).where(EntityType.dataset_id == store.dataset_id, EntityType.name == name))
        session.execute(delete(TypeGuideline).where(TypeGuideline.dataset_id == store.dataset_id, TypeGuideline.name == name))
        for found, where in ((tagged_with(store, name, session), "tagged with it; untag"),
                             (annotated_with(store, name, session), "tagged with it in a double annotation (Agreement); "
                                                                    "adjudicate")):
            if found:
                shown = ", ".join(map(str, found[:10])) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
                raise CorrectionError(f"{name!r} is not removed: sentence{'s' * (len(found) > 1)} {shown} "
                                      f"{'are' if len(found) > 1 else 'is'} {where} {'them' if len(found) > 1 else 'it'} first")


GUIDELINE_MAX = 1000  # characters in a type's guideline


def guidelines(store: CorrectionStore) -> dict[str, str]:
    """Each type's guideline, for the types of ``store``'s dataset that have one."""
    with Session(store.engine) as session:
        rows = session.execute(select(TypeGuideline.name, TypeGuideline.text).where(TypeGuideline.dataset_id == store.dataset_id))
        return {name: text for name, text in rows if name in store.tagset.types}


@refuse_when_full()
def set_guideline(store: CorrectionStore, name: str, text: str, author: str, expected: str | None = None) -> None:
    """Say what type ``name`` covers (an empty ``text`` takes its guideline back); :class:`CorrectionError` for a type
    the dataset lacks, a text over :data:`GUIDELINE_MAX` characters, or, with ``expected`` (the guideline the new
    text was written over, "" for none), a guideline someone changed meanwhile: nothing is overwritten silently."""
    if name not in store.tagset.types:
        raise CorrectionError(f"{name!r} is not a type of the dataset; its types: {', '.join(store.tagset.types)}")
    text = text.strip()
    if len(text) > GUIDELINE_MAX:
        raise CorrectionError(f"a guideline holds at most {GUIDELINE_MAX} characters, this one {len(text)}")
    for _ in range(2):  # two first guidelines of one type at once: the second writes over the first
        try:
            with Session(store.engine) as session, session.begin():
                row = session.get(TypeGuideline, (store.dataset_id, name), with_for_update=True)
                if expected is not None and (row.text if row is not None else "") != expected.strip():
                    now = f"{row.author} wrote {row.text!r}" if row is not None else "it was taken back"
                    raise CorrectionError(f"the guideline of {name} was changed meanwhile ({now}); yours, not saved: "
                                          f"{text!r}")
                if not text:
                    if row is not None:
                        session.delete(row)
                elif row is None:
                    session.add(TypeGuideline(dataset_id=store.dataset_id, name=name, text=text, author=author,
                                              updated_at=datetime.now(timezone.utc)))
                else:
                    row.text, row.author, row.updated_at = text, author, datetime.now(timezone.utc)
            return
        except IntegrityError:
            continue
