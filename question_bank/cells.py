"""Spreadsheet cells that cannot run: text a spreadsheet program would read as a formula (a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is kept as text, in .xlsx by a
string cell with a quote prefix and in CSV by a leading apostrophe (OWASP's CSV-injection advice)."""
from __future__ import annotations

from datetime import date
from typing import Any

FORMULA_LIKE = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_LIKE)


def csv_cell(value: Any) -> str:
    """A value for a CSV file the platform writes: dates as ISO, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if looks_like_formula(text) else text
