"""HR's bulk upload of eligibility facts (申报资料) from an Excel sheet: every problem of every row, or all of it.

Framework-free (no Flask). :func:`read_facts_xlsx` reads the first data sheet of a workbook whose
row 1 holds the column titles (full-width, spaces, Traditional script and a few aliases are
tolerated; unknown columns are ignored and reported); :func:`apply_facts` checks every row
against the database and then writes everything, or — if a single row is wrong — nothing at all
and raises :class:`FactsImportError` carrying every problem, each with its row and column.

HR's page for one trainee goes through the same readers and checks: :func:`edit_facts` reads the
page's fields (:class:`FactsForm`) into a :class:`FactsRow` that sets every fact, checks it with
the upload's rules (:func:`_row_problems`) and writes it with the upload's writer; its problems are
named by field (``中断 2 结束日期``) instead of row and column.

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
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Level, Organization, ServiceBreak, TrainingRecord, User, record_audit
from exam.services.certificates import china_date
from exam.services.eligibility_rules import MAX_TRAINING_HOURS
from question_bank import BankError
from question_bank.normalize import to_simplified
from question_bank.xlsx import cell_text, nfkc, open_workbook

SHEET = "申报资料"
HELP_SHEET = "说明"
AUDIT_ACTION = "eligibility.facts_import"
#: one trainee's facts edited on the per-trainee page
EDIT_AUDIT_ACTION = "eligibility.facts_edit"
#: every column the reader knows, in the order errors are reported
COLUMNS: tuple[str, ...] = ("工号", "用户名", "姓名", "单位", "上岗日期", "中断起止", "实习考核合格日期",
                            "四级学时", "三级学时", "二级学时", "一级学时", "培训完成日期")
#: the template's columns (用户名 is an accepted alternative to 工号, not in the template)
TEMPLATE_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c != "用户名")
HOURS_COLUMNS: dict[str, str] = {"四级学时": "L4", "三级学时": "L3", "二级学时": "L2", "一级学时": "L1"}
_HOURS_COLUMN_OF = {code: column for column, code in HOURS_COLUMNS.items()}
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
MAX_ROWS = 20000
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


@dataclass(frozen=True)
class FactsReport:
    rows: int
    users_updated: int
    users_unchanged: int
    breaks_replaced: int
    training_records: int
    ignored_columns: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        text = f"已更新 {self.users_updated} 名学员的申报资料 (共 {self.rows} 行"
        if self.users_unchanged:
            text += f", 其中 {self.users_unchanged} 行与已登记的相同"
        text += ")。"
        if self.ignored_columns:
            text += f" 已忽略无法识别的列: {'、'.join(self.ignored_columns)}。"
        return text


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


def _parse_date(raw: Any) -> tuple[date | None, str | None]:
    """A real Excel date, a serial number, or text in one of the accepted forms."""
    shown = cell_text(raw)
    if isinstance(raw, datetime):
        return raw.date(), _check_range(raw.date(), shown)
    if isinstance(raw, date):
        return raw, _check_range(raw, shown)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer() \
            and 10000 <= raw < 100000:
        # a date cell formatted as a number: Excel's day serial
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


def _parse_hours(raw: Any) -> tuple[int | None, str | None]:
    text = nfkc(cell_text(raw))
    digits = re.sub(r"\s*(学时|小时|课时|H)$", "", text, flags=re.IGNORECASE)
    if not re.fullmatch(r"\d+", digits):
        return None, f"学时应为不小于 0 的整数, 读到 “{text}”"
    hours = int(digits)
    if hours > MAX_TRAINING_HOURS:
        return None, f"学时 {hours} 超过 {MAX_TRAINING_HOURS}, 请检查"
    return hours, None


def _is_none_word(text: str) -> bool:
    return re.sub(r"\s+", "", nfkc(text)) in NONE_WORDS


def _fold_name(text: str) -> str:
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
        if _is_none_word(text[column]):
            return CLEAR
        d, problem = _parse_date(raw[column])
        if problem:
            errors[column] = problem
            return None
        return d

    organization: str | Clear | None = None
    if text.get("单位"):
        organization = CLEAR if _is_none_word(text["单位"]) else text["单位"]
    job_start = fact_date("上岗日期")
    probation = fact_date("实习考核合格日期")
    completed = fact_date("培训完成日期")
    breaks: tuple[tuple[date, date], ...] | Clear | None = None
    if text.get("中断起止"):
        if _is_none_word(text["中断起止"]):
            breaks = CLEAR
        else:
            breaks, problem = _parse_breaks(text["中断起止"])
            if problem:
                errors["中断起止"] = problem
    training: dict[str, int | Clear] = {}
    for column, code in HOURS_COLUMNS.items():
        if not text.get(column):
            continue
        if _is_none_word(text[column]):
            training[code] = CLEAR
            continue
        hours, problem = _parse_hours(raw[column])
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


def read_facts_xlsx(data: bytes, name: str) -> FactsSheet:
    """Every row of the first data sheet, parsed, with every problem (row, column, message).

    A file that is not a readable .xlsx workbook raises :class:`FactsImportError` naming the file;
    problems of rows and of the header are returned in ``FactsSheet.errors``.
    """
    data = bytes(data)
    name = name or "upload.xlsx"
    sheet = FactsSheet(name=name, sha256=hashlib.sha256(data).hexdigest())
    try:
        with open_workbook(data, name, then="上传") as wb:
            ws = wb[SHEET] if SHEET in wb.sheetnames else wb[next(
                (t for t in wb.sheetnames if t != HELP_SHEET), wb.sheetnames[0])]
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # the stored dimension may be wrong; read every row there is
            _read_rows(sheet, ws.iter_rows(values_only=True))
    except BankError as exc:
        raise _file_error(str(exc)) from None
    return sheet


def _read_rows(sheet: FactsSheet, rows: Iterator[tuple[Any, ...]]) -> None:
    header = next(rows, ())
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
    for row_number, values in enumerate(rows, start=2):
        n = len(values)
        raw = {c: values[i] if i < n else None for c, i in columns}
        if not any(cell_text(v) for v in raw.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            sheet.errors.append(FactsError(row_number, "表头", f"超过 {MAX_ROWS} 行, 请拆分后再上传"))
            break
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


# --------------------------------------------------------------------------- applying


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


def _users_by(session: Session, column: Any, keys: Iterable[str]) -> dict[str, User]:
    out: dict[str, User] = {}
    for chunk in _chunks(sorted(set(keys))):
        for user in session.scalars(select(User).where(column.in_(chunk))):
            out[getattr(user, column.key)] = user
    return out


def _org_lookup(session: Session) -> dict[str, Organization | None]:
    """Code (any case) and name → organisation; a name two organisations share maps to None."""
    out: dict[str, Organization | None] = {}
    orgs = list(session.scalars(select(Organization)))
    for org in orgs:
        name = _fold_name(org.name)
        out[name] = None if name in out and out[name] is not org else org
    for org in orgs:  # codes win over names
        out[nfkc(org.code).upper().replace(" ", "")] = org
    return out


@dataclass(frozen=True)
class _Recorded:
    """What stays recorded for a trainee where a row leaves a fact untouched."""

    job_start: date | None = None
    probation_passed_on: date | None = None
    breaks: tuple[tuple[date, date], ...] = ()


def _merged(value: date | Clear | None, recorded: date | None) -> date | None:
    return recorded if value is None else (None if value is CLEAR else value)


def _row_problems(r: FactsRow, recorded: _Recorded, today: date) -> list[FactsError]:
    """The rules one trainee's facts keep, however they come in (the upload or the per-trainee page).

    Checks the row's facts merged with what stays recorded where the row leaves a fact untouched:
    no date after today, breaks that end after they start, do not overlap and do not start before
    the job start, no probation before the job start, no completion date without hours.
    """
    out: list[FactsError] = []

    def add(column: str, message: str, item: int | None = None, part: str = "") -> None:
        out.append(FactsError(r.row, column, message, item, part))

    for column, value in (("上岗日期", r.job_start), ("实习考核合格日期", r.probation_passed_on),
                          ("培训完成日期", r.training_completed_on),
                          *((COMPLETED_COLUMNS[code], d) for code, d in r.training_completed.items())):
        if isinstance(value, date) and value > today:
            add(column, f"{column} {value} 晚于今天 ({today})")
    breaks = r.breaks if isinstance(r.breaks, tuple) else ()
    for number, part, message in break_problems(breaks):
        add("中断起止", message, number, part)
    for number, (start, end) in enumerate(breaks, 1):
        if start > today:
            add("中断起止", f"中断 {start}~{end} 的开始日期晚于今天 ({today})", number, "start")
    job_start = _merged(r.job_start, recorded.job_start)
    if job_start is not None:
        for number, (start, end) in enumerate(breaks, 1):
            if start < job_start:
                add("中断起止", f"中断 {start}~{end} 早于上岗日期 {job_start}", number, "start")
        if r.breaks is None and isinstance(r.job_start, date):
            early = [b for b in recorded.breaks if b[0] < job_start]
            if early:
                add("上岗日期", f"已登记的中断 {early[0][0]}~{early[0][1]} 早于上岗日期 {job_start} "
                              f"(请在 中断起止 列填写该学员全部的中断期间, 或填 无)")
        probation = _merged(r.probation_passed_on, recorded.probation_passed_on)
        if probation is not None and probation < job_start:
            column = "实习考核合格日期" if isinstance(r.probation_passed_on, date) else "上岗日期"
            add(column, f"实习考核合格日期 {probation} 早于上岗日期 {job_start}")
    if r.training_completed_on is not None and not any(isinstance(h, int) for h in r.training.values()):
        add("培训完成日期", "培训完成日期要与某一级的学时同时填写")
    for code, completed in r.training_completed.items():
        if isinstance(completed, date) and not isinstance(r.training.get(code), int):
            add(COMPLETED_COLUMNS[code], f"{COMPLETED_COLUMNS[code]}要与{_HOURS_COLUMN_OF[code]}同时填写")
    return out


def _sorted_errors(errors: Iterable[FactsError]) -> list[FactsError]:
    """Each problem once (the first found for a cell or field), by row, then column as in the sheet."""
    unique: dict[tuple[int | None, str, int | None, str], FactsError] = {}
    for e in errors:
        unique.setdefault((e.row, e.column, e.item, e.part), e)
    return sorted(unique.values(), key=lambda e: (e.row or 0, _ERROR_ORDER.get(e.column, 99), e.item or 0,
                                                  e.part == "end"))


@dataclass
class _Checked:
    """The rows that passed with their users and organisations, what the writer needs, and every problem."""

    plan: list[tuple[FactsRow, User, Organization | None]]
    levels: dict[str, Level]
    stored_breaks: dict[int, list[ServiceBreak]]
    errors: list[FactsError]


def _check(session: Session, rows: Sequence[FactsRow], today: date) -> _Checked:
    """Every row against the database and :func:`_row_problems`; nothing is changed."""
    errors: list[FactsError] = []

    def error(row: int, column: str, message: str) -> None:
        errors.append(FactsError(row, column, message))

    by_no = _users_by(session, User.employee_no, (r.employee_no for r in rows if r.employee_no))
    by_name = _users_by(session, User.username, (r.username for r in rows if r.username))
    orgs = _org_lookup(session) if any(isinstance(r.organization, str) for r in rows) else {}
    levels = {lv.code: lv for lv in session.scalars(select(Level))}
    user_ids = {u.id for u in [*by_no.values(), *by_name.values()]}
    stored_breaks: dict[int, list[ServiceBreak]] = {}
    for chunk in _chunks(sorted(user_ids)):
        for b in session.scalars(select(ServiceBreak).where(ServiceBreak.user_id.in_(chunk))
                                 .order_by(ServiceBreak.start_on)):
            stored_breaks.setdefault(b.user_id, []).append(b)

    plan: list[tuple[FactsRow, User, Organization | None]] = []
    seen: dict[int, int] = {}
    for r in rows:
        user = by_no.get(r.employee_no) if r.employee_no else by_name.get(r.username)
        if user is None:
            error(r.row, r.key_column, f"{r.key_column} “{r.key}” 不存在")
            errors.extend(_row_problems(r, _Recorded(), today))  # still every problem of the row itself
            continue
        if r.employee_no and r.username and by_name.get(r.username) is not user:
            error(r.row, "用户名", f"用户名 “{r.username}” 与工号 {r.employee_no} 不是同一个人")
        if user.id in seen:
            error(r.row, r.key_column, f"与第 {seen[user.id]} 行是同一名学员 ({user.full_name})")
            errors.extend(_row_problems(r, _Recorded(), today))
            continue
        seen[user.id] = r.row
        if r.name and _fold_name(r.name) != _fold_name(user.full_name):
            error(r.row, "姓名", f"姓名 “{r.name}” 与{r.key_column} {r.key} 登记的姓名 “{user.full_name}” 不符")
        org: Organization | None = None
        if isinstance(r.organization, str):
            key = nfkc(r.organization).upper().replace(" ", "")
            org = orgs.get(key) or orgs.get(_fold_name(r.organization))
            if org is None:
                shared = _fold_name(r.organization) in orgs
                error(r.row, "单位", f"单位 “{r.organization}” 有多个同名单位, 请填写单位代码" if shared
                      else f"单位 “{r.organization}” 不存在 (填单位代码或名称)")
        recorded = _Recorded(user.job_start_date, user.probation_passed_on,
                             tuple((b.start_on, b.end_on) for b in stored_breaks.get(user.id, [])))
        errors.extend(_row_problems(r, recorded, today))
        missing = [code for code in r.training if code not in levels]
        if missing:  # pragma: no cover - the four levels are reference data
            error(r.row, "四级学时", f"等级 {'、'.join(missing)} 不存在")
        plan.append((r, user, org))
    return _Checked(plan, levels, stored_breaks, errors)


def _write(session: Session, checked: _Checked) -> tuple[list[int], int, int]:
    """Write the checked rows: (the users changed, how many users' breaks were replaced, training records written)."""
    updated: list[int] = []
    breaks_replaced = training_written = 0
    user_ids = sorted({user.id for _, user, _ in checked.plan})
    records = {(t.user_id, t.level_id): t for chunk in _chunks(user_ids) for t in session.scalars(
        select(TrainingRecord).where(TrainingRecord.user_id.in_(chunk)))}
    for r, user, org in checked.plan:
        changed = False
        if r.organization is not None:
            new_org_id = None if r.organization is CLEAR else org.id  # type: ignore[union-attr]
            if user.organization_id != new_org_id:
                user.organization = None if r.organization is CLEAR else org
                changed = True
        for attr, value in (("job_start_date", r.job_start), ("probation_passed_on", r.probation_passed_on)):
            if value is not None:
                new = None if value is CLEAR else value
                if getattr(user, attr) != new:
                    setattr(user, attr, new)
                    changed = True
        if r.breaks is not None:
            wanted = [] if r.breaks is CLEAR else sorted(r.breaks)
            current = checked.stored_breaks.get(user.id, [])
            if sorted((b.start_on, b.end_on) for b in current) != wanted:
                for b in current:
                    session.delete(b)
                session.add_all(ServiceBreak(user_id=user.id, start_on=a, end_on=b) for a, b in wanted)
                breaks_replaced += 1
                changed = True
        for code, hours in r.training.items():
            level = checked.levels[code]
            record = records.get((user.id, level.id))
            if hours is CLEAR:
                if record is not None:
                    session.delete(record)
                    training_written += 1
                    changed = True
                continue
            given = r.completed_on(code)
            if given is None:  # untouched: keep the recorded date
                completed = None if record is None else record.completed_on
            else:
                completed = None if given is CLEAR else given
            if record is None:
                session.add(TrainingRecord(user_id=user.id, level_id=level.id, hours=hours, completed_on=completed))
            elif (record.hours, record.completed_on) != (hours, completed):
                record.hours, record.completed_on = hours, completed
            else:
                continue
            training_written += 1
            changed = True
        if changed:
            updated.append(user.id)
    session.flush()
    return updated, breaks_replaced, training_written


def apply_facts(session: Session, rows: FactsSheet | Iterable[FactsRow], *, actor_id: int | None, now: datetime,
                filename: str = "") -> FactsReport:
    """Check every row against the database, then write all of it — or nothing.

    ``rows`` is what :func:`read_facts_xlsx` returned (its errors are reported together with the
    ones found here) or plain rows. Raises :class:`FactsImportError` with every problem before
    anything is changed. Otherwise updates the users, replaces breaks, upserts training records,
    adds one audit event (``eligibility.facts_import``) and flushes; the caller commits.
    """
    sheet = rows if isinstance(rows, FactsSheet) else FactsSheet(name=filename, rows=list(rows))
    name = filename or sheet.name
    checked = _check(session, sheet.rows, china_date(now))
    errors = _sorted_errors([*sheet.errors, *checked.errors])
    if errors:
        raise FactsImportError(errors)
    updated, breaks_replaced, training_written = _write(session, checked)
    report = FactsReport(rows=len(checked.plan), users_updated=len(updated),
                         users_unchanged=len(checked.plan) - len(updated), breaks_replaced=breaks_replaced,
                         training_records=training_written, ignored_columns=sheet.ignored_columns)
    record_audit(session, at=now, actor_id=actor_id, action=AUDIT_ACTION, entity="users", filename=name,
                 sha256=sheet.sha256, rows=report.rows, users_updated=report.users_updated,
                 users_unchanged=report.users_unchanged, breaks_replaced=breaks_replaced,
                 training_records=training_written, columns=list(sheet.columns), user_ids=updated)
    session.flush()
    return report


# --------------------------------------------------------------------------- one trainee, on a page


@dataclass(frozen=True)
class FactsForm:
    """The per-trainee page's fields as text. The page shows every fact, so an empty field means "none"; a
    field that was not sent at all (``None``) leaves its fact as recorded."""

    organization: str | None = ""  # organisation code (or name)
    job_start: str | None = ""
    probation_passed_on: str | None = ""
    #: the break rows as shown: (start, end — the first day back, 删除 ticked); a row with neither date is
    #: ignored; None: no break row was sent (the recorded breaks stay)
    breaks: tuple[tuple[str, str, bool], ...] | None = ()
    #: level code → (hours, completion date); empty hours: no training record for that level; a level
    #: missing here, or a part sent as None, stays as recorded
    training: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def recorded_facts(session: Session, user: User) -> tuple[list[tuple[date, date]], dict[str, tuple[int, date | None]]]:
    """``user``'s breaks (by start) and training records (level code → hours, completion date)."""
    breaks = [(s, e) for s, e in session.execute(
        select(ServiceBreak.start_on, ServiceBreak.end_on).where(ServiceBreak.user_id == user.id)
        .order_by(ServiceBreak.start_on, ServiceBreak.end_on))]
    training = {code: (hours, completed) for code, hours, completed in session.execute(
        select(Level.code, TrainingRecord.hours, TrainingRecord.completed_on)
        .join(Level, Level.id == TrainingRecord.level_id).where(TrainingRecord.user_id == user.id))}
    return breaks, training


def _iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def facts_form(session: Session, user: User, *, blank_breaks: int = 0) -> FactsForm:
    """The page's fields filled with what is recorded, and ``blank_breaks`` empty break rows for adding."""
    breaks, training = recorded_facts(session, user)
    return FactsForm(
        organization=user.organization.code if user.organization else "",
        job_start=_iso(user.job_start_date), probation_passed_on=_iso(user.probation_passed_on),
        breaks=(*((_iso(s), _iso(e), False) for s, e in breaks), *(("", "", False),) * blank_breaks),
        training={code: (str(hours), _iso(completed)) for code, (hours, completed) in training.items()})


def facts_snapshot(session: Session, user: User) -> dict[str, Any]:
    """What is recorded for ``user`` as plain JSON values (the audit's before and after)."""
    breaks, training = recorded_facts(session, user)
    return {
        "organization": user.organization.code if user.organization else None,
        "job_start": _iso(user.job_start_date) or None,
        "probation_passed_on": _iso(user.probation_passed_on) or None,
        "breaks": [[_iso(s), _iso(e)] for s, e in breaks],
        "training": {code: {"hours": hours, "completed_on": _iso(completed) or None}
                     for code, (hours, completed) in sorted(training.items())},
    }


def _read_form(user: User, form: FactsForm) -> tuple[FactsRow, list[FactsError], list[int]]:
    """The page's fields as a row setting every fact (an empty field: ``CLEAR``), read with the upload's
    readers; the problems named by field; and the page's row number of each break in the row."""
    errors: list[FactsError] = []

    def add(column: str, message: str, item: int | None = None, part: str = "") -> None:
        errors.append(FactsError(PAGE_ROW, column, message, item, part))

    def read_date(column: str, text: str, item: int | None = None, part: str = "") -> date | None:
        d, problem = _parse_date(text.strip())
        if problem:
            add(column, problem, item, part)
            return None
        return d

    def fact_date(column: str, text: str | None) -> date | Clear | None:
        if text is None:
            return None  # not sent: as recorded
        return read_date(column, text) if text.strip() else CLEAR

    breaks: list[tuple[date, date]] = []
    numbers: list[int] = []
    for number, (start_text, end_text, delete) in enumerate(form.breaks or (), 1):
        if delete or not (start_text.strip() or end_text.strip()):
            continue
        pair: list[date] = []
        for part, text in (("start", start_text), ("end", end_text)):
            if not text.strip():
                add("中断起止", "请填写开始日期 (离开本岗位的第一天)" if part == "start"
                    else "请填写结束日期 (复岗日期: 回到本岗位的第一天)", number, part)
            elif (d := read_date("中断起止", text, number, part)) is not None:
                pair.append(d)
        if len(pair) == 2:
            breaks.append((pair[0], pair[1]))
            numbers.append(number)
    training: dict[str, int | Clear] = {}
    completed: dict[str, date | Clear] = {}
    for column, code in HOURS_COLUMNS.items():
        hours_text, completed_text = form.training.get(code, (None, None))
        completed_on = fact_date(COMPLETED_COLUMNS[code], completed_text)
        if hours_text is None:
            pass  # not sent: the level's hours stay as recorded
        elif not hours_text.strip():
            training[code] = CLEAR
        else:
            hours, problem = _parse_hours(hours_text)
            if problem or hours is None:
                add(column, problem or "")
                continue  # the level's completion date is not checked against hours that could not be read
            training[code] = hours
        if completed_on is not None:
            completed[code] = completed_on
    organization = None if form.organization is None else (form.organization.strip() or CLEAR)
    row = FactsRow(row=PAGE_ROW, username=user.username, organization=organization,
                   job_start=fact_date("上岗日期", form.job_start),
                   breaks=None if form.breaks is None else tuple(breaks),
                   probation_passed_on=fact_date("实习考核合格日期", form.probation_passed_on),
                   training=training, training_completed=completed)
    return row, errors, numbers


def edit_facts(session: Session, user: User, form: FactsForm, *, actor_id: int | None, now: datetime) -> bool:
    """Record ``user``'s facts as the per-trainee page shows them, by the upload's rules — or nothing.

    Every fact is set (an empty field clears it; the breaks replace the recorded ones). Read and
    checked exactly as an uploaded row (:func:`_row_problems`, the organisation lookup); raises
    :class:`FactsImportError` with every problem, each named by field (``FactsError.field``, e.g.
    ``中断 2 结束日期``), before anything is changed. Otherwise writes, records one audit event
    (``eligibility.facts_edit``, with before and after) if anything changed, and flushes; the
    caller commits. Returns whether anything changed.
    """
    row, errors, numbers = _read_form(user, form)
    checked = _check(session, [row], china_date(now))
    for e in checked.errors:  # a break's position in the row → its row number on the page
        errors.append(e if e.item is None else replace(e, item=numbers[e.item - 1]))
    if errors:
        raise FactsImportError(_sorted_errors(errors))
    before = facts_snapshot(session, user)
    updated, _, _ = _write(session, checked)
    if not updated:
        return False
    after = facts_snapshot(session, user)
    record_audit(session, at=now, actor_id=actor_id, action=EDIT_AUDIT_ACTION, entity=user, before=before,
                 after=after, changed=sorted(k for k in after if after[k] != before[k]))
    session.flush()
    return True



# --------------------------------------------------------------------------- the template

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center")
_WIDTHS = {"工号": 14, "姓名": 10, "单位": 14, "上岗日期": 13, "中断起止": 46, "实习考核合格日期": 17,
           "培训完成日期": 14}
_DATE_COLUMNS = ("上岗日期", "实习考核合格日期", "培训完成日期")
#: the example row (replace it with real trainees before uploading)
EXAMPLE: dict[str, Any] = {
    "工号": "GZ000123", "姓名": "张三", "单位": "CT-GD-GZ", "上岗日期": date(2019, 9, 1),
    "中断起止": "2021-03-01~2021-09-01; 2023-01-01~2023-02-01", "实习考核合格日期": date(2019, 12, 1),
    "四级学时": 40, "三级学时": 48, "二级学时": None, "一级学时": None, "培训完成日期": date(2024, 6, 30),
}
_HELP_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("工号", "是", "员工编号, 用来找到平台上已有的学员。也可用一列“用户名”(平台登录名) 代替。同一工号只能出现一次。",
     "GZ000123"),
    ("姓名", "否", "填写时须与平台登记的姓名一致, 用来防止串行; 不一致时整个文件不导入。", "张三"),
    ("单位", "否", "单位代码或单位名称, 须是平台上已有的单位。", "CT-GD-GZ 或 广州分公司"),
    ("上岗日期", "否", "本职业上岗日期, 不能晚于今天。", "2019-09-01"),
    ("中断起止", "否", "离开本岗位的期间: 开始日期~复岗日期 (复岗日期为回到本岗位的第一天), 多段用 ; 分隔。"
     "填写后将替换该学员已登记的全部中断; 中断不能早于上岗日期, 不能互相重叠。", "2021-03-01~2021-09-01; 2023-01-01~2023-02-01"),
    ("实习考核合格日期", "否", "上岗实习考核期满并考核合格的日期 (四级申报途径B), 不能早于上岗日期。", "2019-12-01"),
    ("四级学时 … 一级学时", "否", "该等级岗位技能认证培训已完成的标准学时, 不小于 0 的整数。", "40"),
    ("培训完成日期", "否", "同一行所填各级学时的培训完成日期。", "2024-06-30"),
    ("", "", "", ""),
    ("空单元格", "", "保留平台上已登记的内容不变 (只想改某几项时, 其余单元格留空即可)。", ""),
    ("无", "", "清除已登记的内容: 单位、上岗日期、实习考核合格日期、培训完成日期清空; 中断起止填 无 表示没有任何中断; "
     "某级学时填 无 表示删除该级培训记录。", "无"),
    ("日期写法", "", "Excel 日期, 或文字 2024-07-01、2024/7/1、2024.7.1、2024年7月1日、20240701。", ""),
    ("整批导入", "", "任何一行有错误时整个文件都不写入, 页面会列出每个错误的行号和列名; 改正后重新上传即可。", ""),
    ("示例行", "", "第 2 行是示例, 上传前请替换为真实学员或删除。", ""),
)


def write_facts_template(target: BinaryIO) -> None:
    """The template: the header row, one example row, and a 说明 sheet explaining every column."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for i, title in enumerate(TEMPLATE_COLUMNS, 1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _CENTER
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(title, 10)
        example = ws.cell(row=2, column=i, value=EXAMPLE.get(title))
        if title in _DATE_COLUMNS:
            example.number_format = "yyyy-mm-dd"
        elif title in ("工号", "中断起止"):
            example.number_format = "@"
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet(HELP_SHEET)
    for letter, width in zip("ABCD", (20, 8, 90, 44), strict=True):
        help_ws.column_dimensions[letter].width = width
    help_ws.append(["申报资料模板说明: 在“申报资料”表中每行填写一名学员, 第 1 行列标题请勿修改。"])
    help_ws.append([])
    help_ws.append(["列", "必填", "怎么填", "示例"])
    for cell in help_ws[3]:
        cell.font = _HEADER_FONT
    for row in _HELP_ROWS:
        help_ws.append([v or None for v in row])
    for row in help_ws.iter_rows(min_row=4, min_col=3, max_col=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(target)


def facts_template_bytes() -> bytes:
    out = io.BytesIO()
    write_facts_template(out)
    return out.getvalue()
