"""One entry point for every import format: detect it from the name and the bytes, read it into entries.

Excel rows and JSON records arrive complete; text dumps (plain text or Word) arrive without area,
difficulty or levels, which the importer fills from the trainer's choices or a keyword guess.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import PurePath

from question_bank.dumps.model import Skipped
from question_bank.jsonio import FORMAT_NAME, loads_bank
from question_bank.records import BankError, Entry

__all__ = ["FORMATS", "Entry", "SourceRead", "decode_text", "detect_format", "read_source"]

FORMATS = {"xlsx": "Excel", "docx": "Word", "json": "JSON 题库", "text": "文本",
           "moodle": "Moodle XML", "gift": "GIFT", "aiken": "Aiken"}


@dataclass
class SourceRead:
    """What a file holds: entries, items skipped with the reason, and errors that refuse the whole file."""

    format: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: problems that mean nothing from this file may be imported (bad Excel rows, a broken JSON file)
    errors: list[str] = field(default_factory=list)
    traditional: bool = False


def detect_format(data: bytes, filename: str) -> str:
    """'xlsx', 'docx', 'json', 'moodle', 'gift', 'aiken' or 'text', from the content first and the extension second."""
    from question_bank.docx import looks_like_docx
    from question_bank.exchange import detect as detect_exchange
    from question_bank.xlsx import looks_like_xlsx

    suffix = PurePath(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04":
        if looks_like_xlsx(data):
            return "xlsx"
        if looks_like_docx(data):
            return "docx"
        raise BankError(f"{filename}: 是压缩文件, 但既不是 .xlsx 也不是 .docx")
    if suffix in {".xlsx", ".docx"}:
        raise BankError(f"{filename}: 扩展名是 {suffix}, 内容却不是 {FORMATS[suffix[1:]]} 文件")
    if suffix in {".xls", ".doc"}:
        raise BankError(f"{filename}: 不支持旧版 {suffix} 格式, 请在 Office/WPS 中另存为 {suffix}x")
    head = data[:4096].lstrip(codecs.BOM_UTF8).lstrip()
    if suffix == ".json" or (head.startswith(b"{") and FORMAT_NAME.encode() in head):
        return "json"
    return detect_exchange(data, filename) or "text"


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 — what Chinese Windows tools write."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise BankError(f"{filename}: 无法识别文本编码 (既不是 UTF-8 也不是 GBK), 位置 {exc.start}") from None


def read_source(data: bytes, filename: str) -> SourceRead:
    """Read any supported file into entries; raises BankError when the file cannot be read at all."""
    fmt = detect_format(data, filename)
    if fmt == "xlsx":
        return _read_xlsx(data, filename)
    if fmt == "json":
        return _read_json(data, filename)
    if fmt in ("moodle", "gift", "aiken"):
        from question_bank.exchange import read as read_exchange

        return read_exchange(fmt, data, filename)
    if fmt == "docx":
        from question_bank.docx import docx_to_text

        return _read_dump(docx_to_text(data), "docx")
    return _read_dump(decode_text(data, filename), "text")


def _read_xlsx(data: bytes, filename: str) -> SourceRead:
    from question_bank.xlsx import read_xlsx

    result = read_xlsx(data, name=filename)
    out = SourceRead("xlsx", errors=[f"{filename} {e}" for e in result.errors])
    out.entries = [Entry.from_record(rec, (row, row)) for row, rec in result.rows]
    return out


def _read_json(data: bytes, filename: str) -> SourceRead:
    out = SourceRead("json")
    try:
        records = loads_bank(decode_text(data, filename), source=filename)
    except BankError as exc:
        out.errors.append(str(exc))
        return out
    out.entries = [Entry.from_record(rec, (i + 1, i + 1)) for i, rec in enumerate(records)]
    return out


def _read_dump(text: str, fmt: str) -> SourceRead:
    from question_bank.dumps import parse_dump

    result = parse_dump(text)
    out = SourceRead(fmt, traditional=result.traditional)
    out.entries = list(result.items)
    out.skipped = list(result.skipped)
    return out
