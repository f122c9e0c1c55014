"""HR's eligibility facts (申报资料) as an Excel sheet: the columns, reading every row with every problem, no database.

:func:`read_facts_xlsx` reads the first data sheet of a workbook whose row 1 holds the column
titles (full-width, spaces, Traditional script and a few aliases are tolerated; unknown columns are
ignored and reported) into :class:`FactsRow` values, within the bounds of ``question_bank.uploads``.
How the facts fit together and with what is recorded is checked, and written, by
``exam.services.facts_import``; the per-trainee page reads its fields with the same cell readers.

Columns (one row per trainee):

========================  ====  ====================================================================
工号 (or 用户名)           yes   identifies an existing user; one of the two columns must be present
姓名                       no    if filled, must equal the user's name (guards against shifted rows)
单位                       no    organisation code or name
上岗日期                   no    本职业上岗日期
中断起止                   no    breaks ``2021-03-01~2021-09-01; 2023-01-01~2023-02-01``; the end is
                                 the first day back (the day service resumed)
实习考核合格日期           no    上岗实习考核合格 (the L4 route B)
四级学时 … 一级学时        no    standard training hours per level, whole numbers ≥ 0
培训完成日期               no    completion date stored with every level's hours given in that row
========================  ====  ====================================================================

Dates may be real Excel dates or text: ``2024-07-01``, ``2024/7/1``, ``2024.7.1``, ``2024年7月1日``,
``20240701``.

Empty cells and ``无``: **an empty cell leaves what is recorded untouched** (so a sheet may carry
only the columns, or only the cells, HR wants to change). The word ``无`` clears the fact: no
organisation, no job start, no probation date, no breaks at all, no training record for that
level, no completion date. A filled 中断起止 cell *replaces* all of the trainee's recorded breaks
with the ones in the cell; hours upsert the trainee's record for that level.
"""
from __future__ import annotations

import enum
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from question_bank.normalize import to_simplified
from question_bank.records import BankError
from question_bank.uploads import Source, read_limited
from question_bank.xlsx import cell_text, nfkc, open_workbook, sheet_rows

SHEET = "申报资料"
HELP_SHEET = "说明"

#: every column the reader knows, in the order errors are reported
COLUMNS: tuple[str, ...] = ("工号", "用户名", "姓名", "单位", "上岗日期", "中断起止", "实习考核合格日期",
                            "四级学时", "三级学时", "二级学时", "一级学时", "培训完成日期")
#: the template's columns (用户名 is an accepted alternative to 工号, not in the template)
TEMPLATE_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c != "用户名")
HOURS_COLUMNS: dict[str, str] = {"四级学时": "L4", "三级学时": "L3", "二级学时": "L2", "一级学时": "L1"}
HOURS_COLUMN_OF = {code: column for column, code in HOURS_COLUMNS.items()}
KEY_COLUMNS = ("工号", "用户名")
FACT_COLUMNS = ("单位", "上岗日期", "中断起止", "实习考核合格日期", *HOURS_COLUMNS, "培训完成日期")
#: level code → the per-trainee page's completion date field of that level (the upload has one 培训完成日期)
COMPLETED_COLUMNS: dict[str, str] = {code: f"{column[:2]}培训完成日期" for column, code in HOURS_COLUMNS.items()}
#: the order problems are listed in
_ERROR_ORDER = {c: i for i, c in enumerate((
    "表头", "", "工号", "用户名", "姓名", "单位", "上岗日期", "中断起止", "实习考核合格日期",
    *(c for column, code in HOURS_COLUMNS.items() for c in (column, COMPLETED_COLUMNS[code])), "培训完成日期"))}
_PART_NAMES = {"start": "开始日期", "end": "结束日期"}
#: ``FactsError.row`` of a problem found on the per-trainee page (named by field, not by row)
PAGE_ROW = 0
EARLIEST = date(1950, 1, 1)


class Clear(enum.Enum):
    """The cell said ``无``: remove what is recorded."""

    CLEAR = "无"


CLEAR = Clear.CLEAR
NONE_WORDS = frozenset({"无", "没有", "无中断"})


@dataclass(frozen=True)
class FactsError:
    row: int | None  # Excel row number (header is row 1); None for a problem with the whole file; PAGE_ROW
    column: str  # column title, e.g. "上岗日期"
    message: str  # e.g. "无法识别的日期 “2024-13-01”"
    #: for 中断起止: which break (1-based, in the order given: the cell's, or the page's rows) …
    item: int | None = None
    #: … and which of its dates: "start", "end" (or "" for the break as a whole)
    part: str = ""

    @property
    def field(self) -> str:
        """The field as the per-trainee page names it: the column, or e.g. ``中断 2 结束日期``."""
        if self.item is None:
            return self.column
        return break_field(self.item, self.part)

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.row == PAGE_ROW:
            return f"{self.field}: {self.message}"
        return f"第 {self.row} 行 {self.column}: {self.message}"


def break_field(number: int, part: str = "") -> str:
    """``中断 2 开始日期`` / ``中断 2 结束日期`` / ``中断 2``: how the per-trainee page names a break's field."""
    return f"中断 {number} {_PART_NAMES[part]}" if part else f"中断 {number}"


class FactsImportError(ValueError):
    """Nothing was written; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[FactsError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(map(str, self.errors[:5]))
        more = f" (另有 {len(self.errors) - 5} 处)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} 处错误, 未写入任何数据: {shown}{more}")


@dataclass(frozen=True)
class FactsRow:
    """One trainee's row; every fact is ``None`` (untouched), ``CLEAR`` (the cell said 无) or the new value."""

    row: int
    employee_no: str = ""
    username: str = ""
    name: str = ""
    #: organisation code or name as written
    organization: str | Clear | None = None
    job_start: date | Clear | None = None
    breaks: tuple[tuple[date, date], ...] | Clear | None = None
    probation_passed_on: date | Clear | None = None
    #: level code → hours (or CLEAR: remove that level's record)
    training: dict[str, int | Clear] = field(default_factory=dict)
    training_completed_on: date | Clear | None = None
    #: level code → that level's completion date, instead of ``training_completed_on`` (the per-trainee page)
    training_completed: dict[str, date | Clear] = field(default_factory=dict)

    def completed_on(self, code: str) -> date | Clear | None:
        return self.training_completed.get(code, self.training_completed_on)

    @property
    def key_column(self) -> str:
        return "工号" if self.employee_no else "用户名"

    @property
    def key(self) -> str:
        return self.employee_no or self.username


@dataclass
class FactsSheet:
    """What :func:`read_facts_xlsx` read: the rows it could parse and every problem it found."""

    name: str
    sha256: str = ""
    columns: tuple[str, ...] = ()  # the known columns present in the header
    ignored_columns: tuple[str, ...] = ()  # header titles that are not ours (ignored)
    #: every data row (also those with errors: their unreadable cells are ``None``), so that
    #: :func:`apply_facts` can report the database problems of every row too
    rows: list[FactsRow] = field(default_factory=list)
    errors: list[FactsError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors



# --------------------------------------------------------------------------- headers



def _aliases() -> dict[str, str]:
    words = {
        "工号": ("工号", "员工编号", "员工号", "员工工号", "职工号", "职工编号", "人员编号", "员工代码"),
        "用户名": ("用户名", "账号", "帐号", "登录名", "登录账号", "用户账号"),
        "姓名": ("姓名", "名字", "员工姓名", "学员姓名"),
        "单位": ("单位", "所属单位", "所在单位", "单位代码", "单位名称", "单位编码", "机构", "组织"),
        "上岗日期": ("上岗日期", "上岗时间", "本职业上岗日期", "本岗位上岗日期", "从业开始日期", "上岗日"),
        "中断起止": ("中断起止", "中断", "中断期间", "中断时间", "中断起止日期", "服务中断", "离岗期间", "中断记录"),
        "实习考核合格日期": ("实习考核合格日期", "实习考核合格", "实习考核日期", "实习考核", "考核合格日期",
                         "上岗实习考核合格日期"),
        "培训完成日期": ("培训完成日期", "培训日期", "完成日期", "培训结业日期", "结业日期"),
    }
    out = {_header_key(w): canonical for canonical, ws in words.items() for w in ws}
    for column, code in HOURS_COLUMNS.items():
        han, digit = column[0], code[1]
        for level in (f"{han}级", f"{digit}级", code, f"岗位技能{han}级"):
            for suffix in ("学时", "培训学时", "标准学时", "培训"):
                out[_header_key(level + suffix)] = column
    return out


def _header_key(value: Any) -> str:
    """A header as compared: NFKC, Simplified, no spaces, no ``*`` marks or ``(notes)``, upper case."""
    text = to_simplified(nfkc(cell_text(value)))
    text = re.sub(r"\([^)]*\)|\[[^]]*]|【[^】]*】", "", text)
    return re.sub(r"[\s*:]+", "", text).upper()


# --------------------------------------------------------------------------- cells


_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})"
_DATE_RE = re.compile(rf"(?:{_DATE})(?:\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?")
_DATE_IN_TEXT = re.compile(rf"(?<!\d)(?:{_DATE})(?!\d)")
_RANGE_SEPARATOR = re.compile(r"\s*(?:~|至|到|—+|–|-{1,2})\s*")
_BREAK_SEPARATOR = re.compile(r"[;,、\n]+")


def _date_from_match(m: re.Match[str]) -> date | None:
    g = m.groups()
    y, mo, d = (g[0], g[1], g[2]) if g[0] else (g[3], g[4], g[5])
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def _check_range(d: date, shown: str) -> str | None:
    if d < EARLIEST:
        return f"日期 “{shown}” 早于 {EARLIEST.year} 年, 请检查"
    return None


def parse_date(raw: Any) -> tuple[date | None, str | None]:
    """A real Excel date, a serial number, or text in one of the accepted forms."""
    shown = cell_text(raw)
    if isinstance(raw, datetime):
        return raw.date(), _check_range(raw.date(), shown)
    if isinstance(raw, date):
        return raw, _check_range(raw, shown)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer() \
            and 10000 <= raw < 100000:
        # a date cell formatted as a number: Excel's day serial
        from openpyxl.utils.datetime import from_excel  # imported when needed: openpyxl loads numpy

        d = from_excel(raw).date()
        return d, _check_range(d, shown)
    m = _DATE_RE.fullmatch(nfkc(shown))
    d = _date_from_match(m) if m else None
    if d is None:
        return None, f"无法识别的日期 “{shown}” (应为 2024-07-01、2024/7/1 或 2024年7月1日)"
    return d, _check_range(d, shown)


def _parse_breaks(text: str) -> tuple[tuple[tuple[date, date], ...] | None, str | None]:
    """``start~end`` pairs separated by ``;``; each checked, then sorted and checked for overlaps."""
    out: list[tuple[date, date]] = []
    for piece in _BREAK_SEPARATOR.split(nfkc(text)):
        piece = piece.strip()
        if not piece:
            continue
        found = list(_DATE_IN_TEXT.finditer(piece))
        if (len(found) != 2 or piece[: found[0].start()].strip() or piece[found[1].end():].strip()
                or not _RANGE_SEPARATOR.fullmatch(piece[found[0].end(): found[1].start()])):
            return None, (f"无法识别的中断期间 “{piece}” (应为 开始日期~复岗日期, 如 2021-03-01~2021-09-01, "
                          f"多段用 ; 分隔; 没有中断填 无)")
        pair = []
        for m in found:
            d = _date_from_match(m)
            if d is None:
                return None, f"无法识别的日期 “{m.group(0).strip()}”"
            if (problem := _check_range(d, m.group(0).strip())) is not None:
                return None, problem
            pair.append(d)
        out.append((pair[0], pair[1]))
    if not out:
        return None, "没有读到中断期间"
    problems = break_problems(out)
    if problems:
        return None, problems[0][2]
    return tuple(sorted(out)), None


def break_problems(breaks: Sequence[tuple[date, date]]) -> list[tuple[int, str, str]]:
    """Each break ends (the first day back) after it starts, and no two overlap (touching is fine).

    Returns ``(number, part, message)`` for every problem: ``number`` is the break's 1-based position
    in ``breaks`` as given, ``part`` the date at fault (``"start"`` / ``"end"``).
    """
    out: list[tuple[int, str, str]] = []
    for i, (start, end) in enumerate(breaks, 1):
        if end <= start:
            out.append((i, "end", f"中断 {start}~{end} 的复岗日期不晚于开始日期"))
    latest: tuple[date, date] | None = None  # of the breaks so far (by start), the one that ends last
    for start, end, i in sorted((s, e, i) for i, (s, e) in enumerate(breaks, 1) if e > s):
        if latest is not None and start < latest[1]:
            out.append((i, "start", f"中断 {latest[0]}~{latest[1]} 与 {start}~{end} 重叠"))
        if latest is None or end > latest[1]:
            latest = (start, end)
    return out


def parse_hours(raw: Any) -> tuple[int | None, str | None]:
    """Whole hours ≥ 0, optionally followed by 学时/小时/课时/h (how many is too many is a rule of the service)."""
    text = nfkc(cell_text(raw))
    digits = re.sub(r"\s*(学时|小时|课时|H)$", "", text, flags=re.IGNORECASE)
    if not re.fullmatch(r"\d+", digits):
        return None, f"学时应为不小于 0 的整数, 读到 “{text}”"
    return int(digits), None


def is_none_word(text: str) -> bool:
    return re.sub(r"\s+", "", nfkc(text)) in NONE_WORDS


def fold_name(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(nfkc(text)))


def _parse_row(row: int, raw: dict[str, Any]) -> tuple[FactsRow, dict[str, str]]:
    """The row (a cell that could not be read is left as ``None``) and the problems by column."""
    errors: dict[str, str] = {}
    text = {c: cell_text(v) for c, v in raw.items()}
    employee_no, username = nfkc(text.get("工号", "")), nfkc(text.get("用户名", ""))
    if not employee_no and not username:
        errors["工号" if "工号" in raw else "用户名"] = "缺少工号" if "工号" in raw else "缺少用户名"

    def fact_date(column: str) -> date | Clear | None:
        if not text.get(column):
            return None
        if is_none_word(text[column]):
            return CLEAR
        d, problem = parse_date(raw[column])
        if problem:
            errors[column] = problem
            return None
        return d

    organization: str | Clear | None = None
    if text.get("单位"):
        organization = CLEAR if is_none_word(text["单位"]) else text["单位"]
    job_start = fact_date("上岗日期")
    probation = fact_date("实习考核合格日期")
    completed = fact_date("培训完成日期")
    breaks: tuple[tuple[date, date], ...] | Clear | None = None
    if text.get("中断起止"):
        if is_none_word(text["中断起止"]):
            breaks = CLEAR
        else:
            breaks, problem = _parse_breaks(text["中断起止"])
            if problem:
                errors["中断起止"] = problem
    training: dict[str, int | Clear] = {}
    for column, code in HOURS_COLUMNS.items():
        if not text.get(column):
            continue
        if is_none_word(text[column]):
            training[code] = CLEAR
            continue
        hours, problem = parse_hours(raw[column])
        if problem:
            errors[column] = problem
        elif hours is not None:
            training[code] = hours

    # how the facts fit together (and with what is recorded) is checked by apply_facts: _row_problems
    return FactsRow(row=row, employee_no=employee_no, username=username, name=text.get("姓名", ""),
                    organization=organization, job_start=job_start, breaks=breaks, probation_passed_on=probation,
                    training=training, training_completed_on=completed), errors


# --------------------------------------------------------------------------- reading

_ALIASES = _aliases()


def _file_error(message: str) -> FactsImportError:
    return FactsImportError([FactsError(None, "", message)])


def read_facts_xlsx(source: Source, name: str) -> FactsSheet:
    """Every row of the first data sheet, parsed, with every problem (row, column, message).

    A file that is not a readable .xlsx workbook, or one beyond the bounds of ``question_bank.uploads``,
    raises :class:`FactsImportError` naming the file; problems of rows and of the header are returned in
    ``FactsSheet.errors``.
    """
    name = name or "upload.xlsx"
    try:
        data, name = read_limited(source, name)
    except BankError as exc:
        raise _file_error(str(exc)) from None
    sheet = FactsSheet(name=name, sha256=hashlib.sha256(data).hexdigest())
    try:
        with open_workbook(data, name, then="上传") as wb:
            ws = wb[SHEET] if SHEET in wb.sheetnames else wb[next(
                (t for t in wb.sheetnames if t != HELP_SHEET), wb.sheetnames[0])]
            _read_rows(sheet, sheet_rows(ws, name))
    except BankError as exc:
        raise _file_error(str(exc)) from None
    return sheet


def _read_rows(sheet: FactsSheet, rows: Iterator[tuple[int, tuple[Any, ...]]]) -> None:
    first, header = next(rows, (1, ()))
    if first != 1:  # the header must be row 1
        rows = itertools.chain([(first, header)], rows)
        header = ()
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, value in enumerate(header):
        title = cell_text(value)
        if not title:
            continue
        column = _ALIASES.get(_header_key(title))
        if column is None:
            ignored.append(title)
        elif column in index:
            from openpyxl.utils import get_column_letter

            sheet.errors.append(FactsError(1, "表头", f"列 {column} 出现了两次 (第 {get_column_letter(index[column] + 1)} "
                                                      f"列和第 {get_column_letter(i + 1)} 列)"))
        else:
            index[column] = i
    sheet.columns = tuple(c for c in COLUMNS if c in index)
    sheet.ignored_columns = tuple(ignored)
    if not any(c in index for c in KEY_COLUMNS):
        sheet.errors.append(FactsError(1, "表头", "缺少列 工号 (或 用户名) (请使用申报资料模板, 第 1 行为列标题)"))
    if not any(c in index for c in FACT_COLUMNS):
        sheet.errors.append(FactsError(1, "表头", "没有可导入的列 (单位、上岗日期、中断起止、实习考核合格日期、各级学时)"))
    if sheet.errors:
        return
    columns = [(c, index[c]) for c in sheet.columns]
    first_row: dict[tuple[str, str], int] = {}
    count = 0
    for row_number, values in rows:
        n = len(values)
        raw = {c: values[i] if i < n else None for c, i in columns}
        if not any(cell_text(v) for v in raw.values()):
            continue
        count += 1
        parsed: FactsRow | None
        parsed, errors = _parse_row(row_number, raw)
        key_column = "工号" if cell_text(raw.get("工号")) else "用户名"
        key = (key_column, nfkc(cell_text(raw.get(key_column))))
        if key[1] and key in first_row:
            errors[key_column] = f"{key_column} {key[1]} 与第 {first_row[key]} 行重复"
            parsed = None
        elif key[1]:
            first_row[key] = row_number
        sheet.errors.extend(FactsError(row_number, c, errors[c]) for c in COLUMNS if c in errors)
        if parsed is not None and parsed.key:
            sheet.rows.append(parsed)
    if count == 0:
        sheet.errors.append(FactsError(None, "", f"{sheet.name}: 除表头外没有数据行"))


def sorted_errors(errors: Iterable[FactsError]) -> list[FactsError]:
    """Each problem once (the first found for a cell or field), by row, then column as in the sheet."""
    unique: dict[tuple[int | None, str, int | None, str], FactsError] = {}
    for e in errors:
        unique.setdefault((e.row, e.column, e.item, e.part), e)
    return sorted(unique.values(), key=lambda e: (e.row or 0, _ERROR_ORDER.get(e.column, 99), e.item or 0,
                                                  e.part == "end"))
