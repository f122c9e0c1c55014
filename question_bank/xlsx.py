"""The Excel template trainers fill in (one question per row), its reader and its writer.

Sheet ``题目``: header in row 1, columns ``COLUMNS``; sheet ``说明`` explains them (ignored on
reading). The writer writes one canonical form per cell; the reader also accepts the forms
trainers type by hand (``单选``, ``A,B,D``, ``正确``, ``四级、三级`` …) and reports every problem
of every row with its row number and column title, in the trainer's words.

``read_xlsx(write_xlsx(records))`` gives back the same records.
"""
from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, BinaryIO

from question_bank import uploads
from question_bank.areas import AREA_NAMES, LEVEL_NAMES
from question_bank.cells import looks_like_formula
from question_bank.normalize import to_simplified
from question_bank.records import (
    AREA_CODES,
    LEVEL_CODES,
    OPTION_LETTERS,
    BankError,
    Difficulty,
    QuestionRecord,
    QuestionType,
    QuestionUse,
    count_blanks,
)
from question_bank.uploads import OLE_MAGIC, TooManyRows, UploadRefused, check_archive, read_limited

if TYPE_CHECKING:  # openpyxl (and the numpy it loads) is imported where a workbook is read or written: a fifth of
    # a second that a process importing a text dump need not pay
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

SHEET = "题目"
HELP_SHEET = "说明"
OPTION_COLUMNS: tuple[str, ...] = tuple(f"选项{c}" for c in OPTION_LETTERS)
COLUMNS: tuple[str, ...] = ("编号", "知识领域", "题型", "难度", "适用等级", "题干", *OPTION_COLUMNS, "答案", "解析", "标签",
                            "用途")
#: Without these a sheet is not a question sheet; the other columns may be left out.
REQUIRED_COLUMNS: tuple[str, ...] = ("知识领域", "题型", "难度", "题干", "答案")
#: Keys starting with this are provisional (a new question); the caller assigns real ones.
PROVISIONAL = "~"

_COLUMN_WIDTHS = {"编号": 12, "知识领域": 24, "题型": 12, "难度": 7, "适用等级": 13, "题干": 60, "答案": 22, "解析": 40, "标签": 16,
                  "用途": 8}
_OPTION_WIDTH = 22
_TEXT_COLUMNS = {"题干", "解析"}


@dataclass(frozen=True)
class RowError:
    row: int  # Excel row number (header is row 1)
    column: str  # column title, e.g. "答案"
    message: str  # e.g. "单选题只能有一个答案, 读到 'AB'"

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.column}列: {self.message}"


@dataclass
class XlsxResult:
    rows: list[tuple[int, QuestionRecord]] = field(default_factory=list)  # (excel row, record) for every valid row
    errors: list[RowError] = field(default_factory=list)  # every problem in every row

    @property
    def records(self) -> list[QuestionRecord]:
        return [q for _, q in self.rows]


# --------------------------------------------------------------------------- sniffing and sources


def _zip_has(data: bytes, member: str) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return member in zf.NameToInfo
    except (zipfile.BadZipFile, OSError, ValueError):
        # A truncated upload: the local file headers still carry the member names.
        return member.encode() in data


def looks_like_xlsx(data: bytes) -> bool:
    """A zip archive holding ``xl/workbook.xml`` (works on a truncated prefix too)."""
    return _zip_has(bytes(data), "xl/workbook.xml")


# --------------------------------------------------------------------------- cell parsing


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def cell_text(value: Any) -> str:
    """A cell as the trainer sees it: numbers without ``.0``, trimmed, ``\\n`` line ends."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


_AREA_CODE_RE = re.compile(r"([A-Za-z]\d{2})(?!\d)")
_AREA_BY_NAME = {name: code for code, name in AREA_NAMES.items()}


@functools.lru_cache(maxsize=512)
def _parse_area(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, "缺少知识领域"
    s = nfkc(text)
    m = _AREA_CODE_RE.match(s)
    if m and m.group(1).upper() in AREA_CODES:
        return m.group(1).upper(), None
    code = _AREA_BY_NAME.get(to_simplified(re.sub(r"\s+", "", s)))
    if code:
        return code, None
    return None, f"知识领域 {text!r} 不存在"


_TYPE_WORDS: dict[str, QuestionType] = {
    **{t.label: t for t in QuestionType},
    **{t.value: t for t in QuestionType},
    "判断": QuestionType.TRUE_FALSE, "是非题": QuestionType.TRUE_FALSE, "truefalse": QuestionType.TRUE_FALSE,
    "单选": QuestionType.SINGLE, "单项选择": QuestionType.SINGLE, "单项选择题": QuestionType.SINGLE,
    "单选择题": QuestionType.SINGLE,
    "多选": QuestionType.MULTIPLE, "多项选择": QuestionType.MULTIPLE, "多项选择题": QuestionType.MULTIPLE,
    "不定项选择题": QuestionType.MULTIPLE,
    "填空": QuestionType.FILL_BLANK, "fillblank": QuestionType.FILL_BLANK,
    "简答": QuestionType.SHORT_ANSWER, "问答": QuestionType.SHORT_ANSWER, "问答题": QuestionType.SHORT_ANSWER,
    "名词解释": QuestionType.SHORT_ANSWER, "shortanswer": QuestionType.SHORT_ANSWER,
    "案例": QuestionType.CASE_STUDY, "案例分析": QuestionType.CASE_STUDY, "案例题": QuestionType.CASE_STUDY,
    "casestudy": QuestionType.CASE_STUDY,
}
_TYPE_HINT = "可填: " + "、".join(t.label for t in QuestionType)


@functools.lru_cache(maxsize=256)
def _parse_type(text: str) -> tuple[QuestionType | None, str | None]:
    if not text:
        return None, f"缺少题型 ({_TYPE_HINT})"
    key = to_simplified(re.sub(r"\s+", "", nfkc(text))).lower()
    qtype = _TYPE_WORDS.get(key)
    if qtype is None:
        return None, f"题型 {text!r} 不存在 ({_TYPE_HINT})"
    return qtype, None


_DIFFICULTY_WORDS: dict[str, Difficulty] = {
    **{d.label: d for d in Difficulty},
    **{d.value: d for d in Difficulty},
    "简单": Difficulty.EASY, "容易": Difficulty.EASY, "较易": Difficulty.EASY,
    "中等": Difficulty.MEDIUM, "一般": Difficulty.MEDIUM, "适中": Difficulty.MEDIUM,
    "困难": Difficulty.HARD, "较难": Difficulty.HARD,
}
_DIFFICULTY_HINT = "可填: 易、中、难"


@functools.lru_cache(maxsize=256)
def _parse_difficulty(text: str) -> tuple[Difficulty | None, str | None]:
    if not text:
        return None, f"缺少难度 ({_DIFFICULTY_HINT})"
    difficulty = _DIFFICULTY_WORDS.get(to_simplified(re.sub(r"\s+", "", nfkc(text))).lower())
    if difficulty is None:
        return None, f"难度 {text!r} 无效 ({_DIFFICULTY_HINT})"
    return difficulty, None


def _level_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for code, name in LEVEL_NAMES.items():
        digit, han = code[1], name[0]
        for w in (code, digit, han, name, f"{digit}级", f"岗位技能{name}", f"岗位技能{digit}级"):
            words[w.upper()] = code
    words.update({"中级": "L3", "高级": "L2", "资深": "L1"})
    return words


_LEVEL_WORDS = _level_words()
_LEVEL_HINT = "可填 L4、L3、L2、L1 或 四级、三级、二级、一级, 多个用逗号分隔; 留空表示全部等级"


@functools.lru_cache(maxsize=256)
def _parse_levels(text: str) -> tuple[tuple[str, ...] | None, str | None]:
    if not text:
        return LEVEL_CODES, None
    s = to_simplified(nfkc(text)).upper()
    s = re.sub(r"\([^)]*\)", " ", s)  # 岗位技能三级(中级)
    out: list[str] = []
    bad: list[str] = []
    for token in re.split(r"[,、/;\s]+", s):
        if not token:
            continue
        code = _LEVEL_WORDS.get(token)
        if code is None:
            bad.append(token)
        elif code not in out:
            out.append(code)
    if bad:
        return None, f"适用等级 {'、'.join(bad)!r} 无效 ({_LEVEL_HINT})"
    return (tuple(out) or LEVEL_CODES), None


_TRUE_FALSE_WORDS: dict[str, bool] = {
    **dict.fromkeys(("对", "正确", "√", "✓", "✔", "T", "TRUE", "是", "Y", "YES"), True),
    **dict.fromkeys(("错", "错误", "×", "✕", "✗", "✘", "X", "F", "FALSE", "否", "N", "NO"), False),
}
_CHOICE_SEPARATORS = re.compile(r"[\s,、;/|.]+")
_BLANK_SEPARATOR = re.compile(r"[;；]")
_ALTERNATIVE_SEPARATOR = re.compile(r"[|｜]")
_PAREN_BLANK = re.compile(r"[(（][\s_]*[)）]")


_USE_HINT = "可填: 练习、考试、两者 (或 practice、exam、both); 留空表示两者 (已有题目保持原用途)"


@functools.lru_cache(maxsize=64)
def _parse_use(text: str) -> tuple[QuestionUse | None, str | None]:
    if not text:
        return None, None
    use = QuestionUse.parse(to_simplified(nfkc(text)))
    if use is None:
        return None, f"用途 {text!r} 无效 ({_USE_HINT})"
    return use, None


def _parse_answer(qtype: QuestionType, text: str, n_options: int | None, stem: str) -> tuple[Any, list[tuple[str, str]]]:
    """The answer in record form, and the (column, message) problems found with it."""
    if not text:
        return None, [("答案", "缺少答案" if not qtype.is_manual else "缺少参考答案 (主观题需要参考答案)")]
    if qtype is QuestionType.TRUE_FALSE:
        value = _TRUE_FALSE_WORDS.get(to_simplified(nfkc(text)).strip("()[] ").upper())
        if value is None:
            return None, [("答案", f"判断题答案应为 对 或 错, 读到 {text!r}")]
        return value, []
    if qtype.is_choice:
        letters = _CHOICE_SEPARATORS.sub("", nfkc(text).upper())
        if not letters or any(c not in OPTION_LETTERS for c in letters):
            return None, [("答案", f"答案 {text!r} 应为选项字母, 如 A 或 ABD")]
        if len(set(letters)) != len(letters):
            return None, [("答案", f"答案 {text!r} 有重复的字母")]
        if qtype is QuestionType.SINGLE and len(letters) != 1:
            return None, [("答案", f"单选题只能有一个答案, 读到 {letters!r}")]
        if qtype is QuestionType.MULTIPLE and len(letters) < 2:
            return None, [("答案", f"多选题至少两个答案, 读到 {letters!r}")]
        if n_options:
            beyond = "".join(c for c in letters if c not in OPTION_LETTERS[:n_options])
            if beyond:
                filled = f"A–{OPTION_LETTERS[n_options - 1]}" if n_options > 1 else "A"
                return None, [("答案", f"答案 {beyond} 没有对应的选项 (只填写了选项 {filled})")]
        return tuple(letters), []
    if qtype is QuestionType.FILL_BLANK:
        parts = _BLANK_SEPARATOR.split(text.rstrip(";； \n"))
        answer: list[tuple[str, ...]] = []
        for i, part in enumerate(parts, 1):
            alternatives = tuple(a.strip() for a in _ALTERNATIVE_SEPARATOR.split(part) if a.strip())
            if not alternatives:
                return None, [("答案", f"第 {i} 空的答案为空 (每空的答案用 ; 分隔, 同一空的几种答案用 | 分隔)")]
            answer.append(alternatives)
        blanks = count_blanks(stem)
        if stem and blanks != len(answer):
            parens = len(_PAREN_BLANK.findall(stem))
            if blanks == 0 and not parens:
                return None, [("题干", "填空题题干中没有空 (用 ____ 表示)")]
            if parens and blanks + parens == len(answer):
                return None, [("题干", f"题干中的空要写成 ____ (三个以上下划线), 不能用括号 ( ): 读到 {blanks} 个 ____ "
                                      f"和 {parens} 个括号, 答案有 {len(answer)} 组")]
            return None, [("答案", f"题干有 {blanks} 个空, 答案有 {len(answer)} 组 (每空的答案用 ; 分隔)")]
        return tuple(answer), []
    return text, []


def _split_tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in re.split(r"[,，、]", text) if t.strip())


def _problem_column(message: str, n_options: int) -> str:
    """The column a ``QuestionRecord.problems()`` message belongs to."""
    if message.startswith("知识领域"):
        return "知识领域"
    if message.startswith("适用等级"):
        return "适用等级"
    if message.startswith(("题干为空", "填空题题干")):
        return "题干"
    if message.startswith("选项数应为"):
        return OPTION_COLUMNS[min(n_options, 1)]
    if message.startswith("有空选项") or message.endswith("不应有选项"):
        return "选项A"
    if message.startswith("缺少编号"):
        return "编号"
    return "答案"


def _parse_row(row: int, cell: dict[str, str]) -> tuple[QuestionRecord | None, dict[str, str]]:
    errors: dict[str, str] = {}

    def error(column: str, message: str) -> None:
        errors.setdefault(column, message)

    key = cell.get("编号", "")
    if not key or key.startswith(PROVISIONAL):
        key = f"{PROVISIONAL}{row}"
    parsed: dict[str, Any] = {}
    for column, parse in (("知识领域", _parse_area), ("题型", _parse_type), ("难度", _parse_difficulty),
                          ("适用等级", _parse_levels)):
        parsed[column], msg = parse(cell.get(column, ""))
        if msg:
            error(column, msg)
    area, qtype, difficulty, levels = parsed["知识领域"], parsed["题型"], parsed["难度"], parsed["适用等级"]
    stem = cell.get("题干", "")
    if not stem:
        error("题干", "题干为空")
    use, msg = _parse_use(cell.get("用途", ""))
    if msg:
        error("用途", msg)

    texts = [cell.get(c, "") for c in OPTION_COLUMNS]
    last = max((i for i, t in enumerate(texts) if t), default=-1)
    gaps = [i for i in range(last) if not texts[i]]
    options: tuple[str, ...] | None = tuple(texts[: last + 1])
    if gaps:
        options = None
        error(OPTION_COLUMNS[gaps[0]], f"{OPTION_COLUMNS[gaps[0]]}为空, 但{OPTION_COLUMNS[last]}有内容 (选项要从 A 开始连续填写)")

    answer = None
    if qtype is not None:
        answer, problems = _parse_answer(qtype, cell.get("答案", ""), None if options is None else len(options), stem)
        for column, msg in problems:
            error(column, msg)
    explanation = cell.get("解析", "")
    tags = _split_tags(cell.get("标签", ""))

    if qtype is not None and options is not None:
        # The record's own rules, with stand-ins for fields already reported so nothing is said twice.
        draft = SimpleNamespace(
            key=key, type=qtype, area=area or AREA_CODES[0], difficulty=difficulty or Difficulty.MEDIUM,
            stem=stem, answer=answer, options=options, levels=levels or LEVEL_CODES, explanation=explanation, tags=tags,
            use=use, enemy_group=None,
        )
        for msg in QuestionRecord.problems(draft):  # type: ignore[arg-type]
            column = _problem_column(msg, len(options))
            if answer is None and column == "答案":
                continue  # the answer could not be read; why has been said (in 答案 or 题干)
            error(column, msg)
    if errors:
        return None, errors
    assert qtype is not None and area is not None and difficulty is not None and levels is not None
    assert options is not None
    try:
        record = QuestionRecord(
            key=key, type=qtype, area=area, difficulty=difficulty, stem=stem, answer=answer,
            options=options, levels=levels, explanation=explanation, tags=tags, use=use,
        )
    except BankError as exc:  # pragma: no cover - problems() above already says all of this
        return None, {"题干": str(exc)}
    return record, {}


def _header_key(value: Any) -> str:
    return re.sub(r"\s+", "", nfkc(cell_text(value)))


def read_xlsx(source: str | os.PathLike | bytes | BinaryIO, *, name: str = "") -> XlsxResult:
    """Every valid row as a record, and every problem of every other row.

    Rows with an empty 编号 get the provisional key ``"~{row}"``. A file that is not an
    .xlsx workbook raises ``BankError`` naming the file; one beyond the bounds of ``uploads``
    raises ``UploadRefused``.
    """
    data, name = read_limited(source, name)
    with open_workbook(data, name) as wb:
        return _read_sheet(_question_sheet(wb), name)


@contextlib.contextmanager
def open_workbook(data: bytes, name: str, *, then: str = "导入") -> Iterator[Any]:
    """The read-only workbook in ``data``. Anything that is not a readable .xlsx — an old .xls, another
    kind of file, a damaged workbook or sheet (also while the caller reads it) — raises ``BankError``
    naming the file; ``then`` ends the advice for an old .xls (再导入, 再上传). An archive beyond the
    bounds of ``uploads.check_archive`` raises ``UploadRefused`` before anything is parsed."""
    if not looks_like_xlsx(data):
        if data.startswith(OLE_MAGIC):
            raise BankError(f"{name}: 是旧版 Excel (.xls) 文件, 请在 Excel 中另存为 .xlsx 后再{then}")
        raise BankError(f"{name}: 不是 Excel (.xlsx) 文件")
    check_archive(data, name, "xlsx")
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (extensions, odd styles); they do not matter here.
        warnings.simplefilter("ignore", UserWarning)
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # any failure means the file is unreadable
            raise BankError(f"{name}: 无法读取 Excel 文件 ({type(exc).__name__}: {exc})") from None
        try:
            yield wb
        except BankError:
            raise
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise BankError(f"{name}: Excel 文件已损坏, 无法读取 ({type(exc).__name__}: {exc})") from None
        finally:
            wb.close()


#: Excel's last row; openpyxl would make up empty rows up to any row number a file claims
EXCEL_MAX_ROW = 1_048_576


def sheet_rows(ws: Any, name: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, values)`` of every row with content, streamed, ``uploads.MAX_SHEET_COLUMNS`` values each.

    The sheet's stored dimension is ignored (it may be wrong or absurd), and nothing right of the
    last column is ever laid out (``open_workbook`` has refused content there). More than
    ``uploads.MAX_SHEET_ROWS`` rows with content after the header row, or a row number beyond
    Excel's last, raise ``UploadRefused`` naming the file, the row and the limit.
    """
    max_rows, max_columns = uploads.MAX_SHEET_ROWS, uploads.MAX_SHEET_COLUMNS
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    filled = 0
    for number, values in enumerate(ws.iter_rows(max_col=max_columns, values_only=True), start=1):
        if number > EXCEL_MAX_ROW:
            raise UploadRefused(f"{name}: 行号超过 Excel 的最大行号 {EXCEL_MAX_ROW:,}, 文件已损坏")
        if values.count(None) == len(values):
            continue
        if number > 1:
            filled += 1
            if filled > max_rows:
                raise TooManyRows(name, max_rows, number)
        yield number, values


def _question_sheet(wb: Any) -> Any:
    if SHEET in wb.sheetnames:
        return wb[SHEET]
    for title in wb.sheetnames:
        if title != HELP_SHEET:
            return wb[title]
    return wb[wb.sheetnames[0]]


def _read_sheet(ws: Any, name: str) -> XlsxResult:
    result = XlsxResult()
    rows = sheet_rows(ws, name)
    first, header = next(rows, (1, ()))
    if first != 1:  # the header must be row 1
        rows = itertools.chain([(first, header)], rows)
        header = ()
    index: dict[str, int] = {}
    for i, value in enumerate(header):
        index.setdefault(_header_key(value), i)
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        message = f"缺少列 {'、'.join(missing)} (请使用题库 Excel 模板, 第 1 行为列标题)"
        result.errors.append(RowError(1, "表头", message))
        return result
    columns = [(c, index[c]) for c in COLUMNS if c in index]
    first_row: dict[str, int] = {}
    for row_number, values in rows:
        n = len(values)
        cell = {c: cell_text(values[i]) if i < n else "" for c, i in columns}
        if not any(cell.values()):
            continue
        record, errors = _parse_row(row_number, cell)
        key = cell.get("编号", "")
        if key and not key.startswith(PROVISIONAL):
            if key in first_row:
                errors.setdefault("编号", f"编号 {key!r} 与第 {first_row[key]} 行重复")
                record = None
            else:
                first_row[key] = row_number
        for column in COLUMNS:
            if column in errors:
                result.errors.append(RowError(row_number, column, errors[column]))
        if record is not None:
            result.rows.append((row_number, record))
    return result


# --------------------------------------------------------------------------- writing

@functools.cache
def _styles() -> SimpleNamespace:
    from openpyxl.styles import Alignment, Font, PatternFill

    return SimpleNamespace(header_font=Font(bold=True), header_fill=PatternFill("solid", fgColor="DDEBF7"),
                           header_alignment=Alignment(horizontal="center", vertical="center"),
                           wrap=Alignment(wrap_text=True, vertical="top"))


def _text_cell(ws: Any, text: str, alignment: Alignment | None = None) -> Any:
    """A string cell; text that looks like a formula stays text (stored as a string, shown with a quote prefix)."""
    if alignment is None and not looks_like_formula(text):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _answer_text(q: QuestionRecord) -> str:
    if q.type is QuestionType.TRUE_FALSE:
        return "对" if q.answer else "错"
    if q.type.is_choice:
        return "".join(q.answer)
    if q.type is QuestionType.FILL_BLANK:
        for blank in q.answer:
            for alternative in blank:
                if re.search(r"[;；|｜]", alternative):
                    raise BankError(f"题目 {q.key}: 填空答案 {alternative!r} 含有分隔符 ; 或 |, 无法写入 Excel")
        return ";".join("|".join(blank) for blank in q.answer)
    return q.answer


def _row_values(q: QuestionRecord) -> list[str]:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for tag in q.tags:
        if re.search(r"[,，、]", tag):
            raise BankError(f"题目 {q.key}: 标签 {tag!r} 含有分隔符 , 或 、, 无法写入 Excel")
    options = list(q.options) + [""] * (len(OPTION_LETTERS) - len(q.options))
    values = [
        q.key, f"{q.area} {AREA_NAMES[q.area]}", q.type.label, q.difficulty.label, ",".join(q.levels), q.stem,
        *options, _answer_text(q), q.explanation, ",".join(q.tags), q.use.label if q.use else "",
    ]
    for value in values:
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise BankError(f"题目 {q.key}: 含有 Excel 不能保存的控制字符")
    return values


_WRAP_COLUMNS = tuple(i for i, c in enumerate(COLUMNS) if c in _TEXT_COLUMNS)
_ANSWER_COLUMN = COLUMNS.index("答案")


def _question_rows(ws: Any, table: list[tuple[QuestionRecord, list[str]]]) -> Iterator[list[Any]]:
    wrap = _styles().wrap
    for q, values in table:
        row: list[Any] = []
        for i, value in enumerate(values):
            if not value:
                row.append(None)
            elif i in _WRAP_COLUMNS or (i == _ANSWER_COLUMN and q.type.is_manual):
                row.append(_text_cell(ws, value, wrap if "\n" in value or len(value) > 60 else None))
            else:
                row.append(_text_cell(ws, value))
        yield row


def _setup_question_sheet(ws: Any) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for i, title in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = _COLUMN_WIDTHS.get(title, _OPTION_WIDTH)
    ws.freeze_panes = "A2"

    def dropdown(column: str, choices: list[str], what: str) -> None:
        letter = get_column_letter(COLUMNS.index(column) + 1)
        dv = DataValidation(
            type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
            showErrorMessage=True, errorStyle="warning", errorTitle=f"{column}不在列表中",
            error=f"{what}, 请从下拉列表中选择 (详见“说明”表)。",
        )
        dv.add(f"{letter}2:{letter}1048576")
        ws.data_validations.append(dv)

    dropdown("知识领域", [f"{c} {n}" for c, n in AREA_NAMES.items()], "知识领域应为 13 个领域之一, 可只填代码如 W05")
    dropdown("题型", [t.label for t in QuestionType], "题型应为 判断题/单选题/多选题/填空题/简答题/案例分析题")
    dropdown("难度", [d.label for d in Difficulty], "难度应为 易/中/难")
    dropdown("用途", [u.label for u in QuestionUse], "用途应为 练习/考试/两者")


def _header_row(ws: Any) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    style = _styles()
    cells = []
    for title in COLUMNS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill, cell.alignment = style.header_font, style.header_fill, style.header_alignment
        cells.append(cell)
    return cells


_HELP_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("编号", "否", "题目的编号。新题留空, 导入时自动编号; 修改已有题目时保留原编号。", "W05-001"),
    ("知识领域", "是", "13 个知识领域之一: 填代码、代码加名称或名称均可 (见下表)。", "W05 投诉处理"),
    ("题型", "是", "判断题、单选题、多选题、填空题、简答题 (问答题、名词解释)、案例分析题。", "单选题"),
    ("难度", "是", "易、中、难。", "中"),
    ("适用等级", "否", "L4 四级、L3 三级、L2 二级、L1 一级, 多个用逗号分隔; 留空表示全部等级。", "L4,L3"),
    ("题干", "是", "题目正文, 可换行。填空题的空用 ____ (三个以上下划线) 表示。", "客户投诉处理的第一步是( )。"),
    ("选项A … 选项H", "选择题必填", "单选题、多选题的选项, 2–8 个, 从选项A起连续填写, 不要写 A. 等标号。其他题型留空。", "倾听并安抚"),
    ("答案", "是", "判断题: 对 或 错。单选题: 一个字母, 如 B。多选题: 两个以上字母, 如 ABD。", "B"),
    ("", "", "填空题: 每空的答案用 ; 分隔, 同一空有几种可接受的答案时用 | 分隔。", "成长期;稳定期|稳定阶段"),
    ("", "", "简答题、案例分析题: 参考答案 (评分要点), 供阅卷老师参考, 可换行。", "(1)倾听 (2)道歉 (3)解决"),
    ("解析", "否", "答案解析, 考试结束后展示给学员。", "先处理心情, 再处理事情。"),
    ("标签", "否", "自由标签, 多个用逗号分隔。", "首问负责,情绪安抚"),
    ("用途", "否", "练习: 只用于模拟考试和练习; 考试: 只用于正式考试; 两者: 都可以。新题留空为两者, 已有题目留空则保持原用途。",
     "考试"),
)


def _write_help_sheet(wb: Workbook) -> None:
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet(HELP_SHEET)
    for letter, width in zip("ABCD", (16, 12, 80, 30), strict=True):
        ws.column_dimensions[letter].width = width

    def bold_row(*titles: str) -> list[Any]:
        cells = []
        for title in titles:
            cell = WriteOnlyCell(ws, value=title)
            cell.font = _styles().header_font
            cells.append(cell)
        return cells

    ws.append([WriteOnlyCell(ws, value="题库 Excel 模板说明: 在“题目”表中每行填写一道题, 第 1 行列标题请勿修改。")])
    ws.append([])
    ws.append(bold_row("列", "必填", "怎么填", "示例"))
    for row in _HELP_ROWS:
        ws.append([_text_cell(ws, v) if v else None for v in row])
    ws.append([])
    ws.append(bold_row("知识领域代码", "名称"))
    for code, area in AREA_NAMES.items():
        ws.append([code, area])
    ws.append([])
    ws.append(bold_row("等级代码", "名称"))
    for code, level in LEVEL_NAMES.items():
        ws.append([code, level])


def write_xlsx(records: Iterable[QuestionRecord], target: str | os.PathLike | BinaryIO) -> None:
    """The template filled with ``records``, one per row, in canonical cell forms.

    Raises ``BankError`` (before anything is written) for a record the template cannot carry
    unchanged: a fill-in answer or tag containing a separator, or a control character.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    table = [(q, _row_values(q)) for q in records]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    _setup_question_sheet(ws)
    ws.append(_header_row(ws))
    for row in _question_rows(ws, table):
        ws.append(row)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(table) + 1}"
    _write_help_sheet(wb)
    wb.save(os.fspath(target) if isinstance(target, os.PathLike) else target)


def write_template(target: str | os.PathLike | BinaryIO) -> None:
    """The empty template: the header row and the 说明 sheet."""
    write_xlsx((), target)
