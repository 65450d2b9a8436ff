"""Unsaved tag-grid edits, kept per (dataset, sentence) for the browser session.

Streamlit drops a widget's state in a run that does not draw it (another page, another dataset), so the
edits of the grid (a data editor) are copied at each edit into a draft under a plain session key; a grid
drawn again shows its draft. A draft keeps the tags and version it was edited from: someone else's save
meanwhile then comes as a conflict at Save.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import streamlit as st

from ner_core.storage.store import StaleSaveError
from pages.render import INTERRUPTED, edited_column, plain
from pages.tab_guards import leave_guard

DRAFTS = "annotate_drafts"  # st.session_state: (dataset, sentence) -> Draft
GRID = "annotate_grid"  # st.session_state: the Grid drawn last


@dataclass(frozen=True)
class Draft:
    base: tuple[str, ...]  # the tags the edits were made on
    version: int  # their version, which a save names
    tags: tuple[str, ...]  # the edited tags

    def changed(self) -> int:
        return sum(a != b for a, b in zip(self.tags, self.base))


@dataclass(frozen=True)
class Grid:
    place: tuple[str, int]  # (dataset, sentence)
    key: str  # the data editor's
    drawn: tuple[str, ...]  # the tags it was drawn with: its edits are relative to them
    base: tuple[str, ...]
    version: int
    restored: bool  # drawn from a draft kept from an earlier visit


def open_grid(place: tuple[str, int], stored: tuple[list[str], int], prefix: str) -> Grid:
    """The grid of ``place`` to draw: the one drawn last while its editor lives, else a new one (key ``prefix`` + a
    number) drawn with the place's draft, or with ``stored`` (tags, version) when there is none."""
    draft = draft_of(place)
    base, version = (draft.base, draft.version) if draft else (tuple(stored[0]), stored[1])
    grid = st.session_state.get(GRID)
    if grid is None or (grid.place, grid.version) != (place, version) or grid.key not in st.session_state \
            or st.session_state.get(INTERRUPTED):  # a run drew no grid: the browser's grid lost its edits, the draft has them
        number = st.session_state[f"{GRID}_number"] = st.session_state.get(f"{GRID}_number", 0) + 1
        grid = Grid(place, f"{prefix}{version}_{number}", draft.tags if draft else base, base, version, draft is not None)
        st.session_state[GRID] = grid
    return grid


def sync_grid() -> None:
    """The edits of the grid drawn last into its place's draft (none when they leave the tags as they were)."""
    grid = st.session_state.get(GRID)
    if grid is None or grid.key not in st.session_state:
        return
    tags = tuple(edited_column(grid.key, "gold", grid.drawn))
    drafts = st.session_state.setdefault(DRAFTS, {})
    if tags == grid.base:
        drafts.pop(grid.place, None)
    else:
        drafts[grid.place] = Draft(grid.base, grid.version, tags)


def draft_of(place: tuple[str, int]) -> Draft | None:
    return st.session_state.get(DRAFTS, {}).get(place)


def unsaved(place: tuple[str, int]) -> int:
    """How many tokens of ``place`` hold unsaved edits (the grid's edits at this moment included)."""
    sync_grid()
    draft = draft_of(place)
    return draft.changed() if draft else 0


def leave(place: tuple[str, int]) -> int:
    """A move away from ``place``: how many of its tokens hold unsaved edits, which hold it once (0: none, or a move
    again from the same grid, which drops them)."""
    edits, grid = unsaved(place), st.session_state.get(GRID)
    if edits and grid is not None and st.session_state.get(f"{GRID}_held") != grid.key:
        st.session_state[f"{GRID}_held"] = grid.key
        return edits
    drop_draft(place)
    return 0


def drop_draft(place: tuple[str, int]) -> None:
    """Forget ``place``'s draft (saved, discarded or left): its grid is drawn anew from what is stored."""
    st.session_state.get(DRAFTS, {}).pop(place, None)
    grid = st.session_state.get(GRID)
    if grid is not None and grid.place == place:
        del st.session_state[GRID]


def saved_alike(place: tuple[str, int], tags: Sequence[str], refused: StaleSaveError) -> str | None:
    """A save of ``tags`` to ``place`` refused because it changed meanwhile: when it now holds these very tags, no
    conflict: the draft goes, and the note to show comes back (None: other tags, a conflict to resolve)."""
    if list(tags) != list(refused.tags):
        return None
    drop_draft(place)
    return plain(f"Already saved by {refused.author or 'someone'} meanwhile: the same tags.")


def unsaved_note(grid: Grid, key: str) -> None:
    """Says that the grid shows unsaved edits (which tokens; kept from an earlier visit, if so), beside a button that
    discards them."""
    draft = draft_of(grid.place)
    leave_guard(draft is not None and draft.changed() > 0, f"{key}_leave")
    if draft is None or not draft.changed():
        return
    tokens = ", ".join(str(t) for t, (a, b) in enumerate(zip(draft.tags, draft.base)) if a != b)
    note, button = st.columns([4, 1], vertical_alignment="center")
    note.info(f"Unsaved edits{' restored' if grid.restored else ''}: {draft.changed()} token(s); Save them or Discard "
              f"(row {tokens}).")
    button.button("Discard", key=key, on_click=drop_draft, args=(grid.place,), width="stretch",
                  help="Drop these edits: the grid shows the stored tags again")


def stranded_note(listed: Callable[[], Iterable[str]]) -> None:
    """Warn, on every page, of unsaved edits in a dataset no longer ``listed()`` (archived meanwhile): the sidebar has
    moved on to another dataset, and they stay in this tab until an admin restores theirs."""
    drafts = st.session_state.get(DRAFTS)
    if not drafts:
        return
    names = set(listed())
    held = sorted((d, s, n) for (d, s), draft in drafts.items() if d not in names and (n := draft.changed()))
    if held:
        where = "; ".join(f"{d!r}, sentence {s} ({n} token{'s' * (n > 1)})" for d, s, n in held)
        st.warning(plain(f"Not saved: unsaved edits in a dataset archived meanwhile ({where}). They are kept in this tab: ")
                   + "once an admin restores it (`python -m ner_core datasets restore --dataset NAME`), choose it in the "
                     "sidebar and Save them on Annotate.", icon=":material/inventory_2:")
