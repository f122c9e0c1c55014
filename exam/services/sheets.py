"""Small .xlsx tables HR downloads (a sitting's 成绩单, certificates about to expire): numbers stay numbers,
dates are dates, and text a spreadsheet program would read as a formula stays text."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, BinaryIO

from question_bank.cells import looks_like_formula

# openpyxl (and the numpy it loads) is imported by the functions that write: a fifth of a second at start-up otherwise


def _cell(ws: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not looks_like_formula(text):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_table_xlsx(target: BinaryIO, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                     widths: Sequence[int] = (), title: str = "") -> None:
    """One sheet: an optional title line, the bold header (frozen, with a filter), then the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    first = 1
    if title:
        cell = _cell(ws, title)
        cell = cell if isinstance(cell, Cell) else WriteOnlyCell(ws, value=cell)
        cell.font = bold
        ws.append([cell])
        first = 2
    ws.freeze_panes = f"A{first + 1}"
    heading = []
    for text in header:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        heading.append(cell)
    ws.append(heading)
    n = 0
    for row in rows:
        ws.append([_cell(ws, v) for v in row])
        n += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(max(1, len(header)))}{first + n}"
    wb.save(target)
