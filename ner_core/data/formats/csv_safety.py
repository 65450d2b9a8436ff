"""Spreadsheet safety for every CSV the app writes (OWASP "CSV injection").

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, possibly after one
or more single quotes, is written with one more single quote in front (``=1+1`` -> ``'=1+1``,
``'=x`` -> ``''=x``), so no spreadsheet evaluates it. :func:`unescape_cell` removes exactly one
leading quote from such a cell, so every value reads back as it was; a cell like ``'s`` (a quote
not followed by quotes and one of those characters) is untouched.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_ESCAPED = re.compile(r"'*[=+\-@\t\r]")
_RISKY_FIRST = frozenset("'=+-@\t\r")


def escape_cell(cell: str) -> str:
    """``cell`` as written to a CSV: one more leading quote where a spreadsheet would see a formula."""
    return "'" + cell if cell[:1] in _RISKY_FIRST and _ESCAPED.match(cell) else cell


def unescape_cell(cell: str) -> str:
    """The inverse of :func:`escape_cell`."""
    return cell[1:] if cell.startswith("'") and _ESCAPED.match(cell, 1) else cell


def safe_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text without the index, every string cell and column name escaped."""
    def escape(value: object) -> object:
        return escape_cell(value) if isinstance(value, str) else value

    return frame.map(escape).rename(columns=escape).to_csv(index=False)
