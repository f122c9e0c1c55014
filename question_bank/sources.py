"""Which format an import is, and reading it: one table with a row per format.

A file's format is found from its content first (``Format.sniff``), then from its extension; a
file whose extension names a binary format its content is not (a ``.pdf`` that is no PDF) is
refused. Every reader works within the bounds of ``uploads`` and returns a ``SourceRead``.
Adding a format is one row in ``FORMATS`` (before ``text``, which takes whatever is left).

What was read can be kept as JSON (``read_to_json`` / ``read_from_json``), so that a stored
upload is parsed once, not on every look at its dry run.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import os
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, BinaryIO

from question_bank.docx import docx_to_text, looks_like_docx
from question_bank.dumps.model import Skipped
from question_bank.jsonio import FORMAT_NAME
from question_bank.pdf import looks_like_pdf, pdf_to_text
from question_bank.readers import Entry, SourceRead, _read_dump, _read_json, _read_xlsx, decode_text
from question_bank.records import BankError, QuestionType
from question_bank.uploads import UploadRefused, check_text, read_limited, sniff
from question_bank.xlsx import looks_like_xlsx


@dataclass(frozen=True)
class Format:
    name: str  # SourceRead.format, e.g. "xlsx"
    label: str  # shown to the trainer, e.g. "Excel"
    suffixes: tuple[str, ...]
    #: recognises the content (on the file's bytes); None: only the extension says so
    sniff: Callable[[bytes], bool] | None
    #: (bytes, file name) → what the file holds; raises BankError when it cannot be read at all
    read: Callable[[bytes, str], SourceRead]
    #: a binary format: the extension alone never makes a file of it
    binary: bool = False


def _looks_like_bank_json(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and FORMAT_NAME.encode() in head


def _read_text(data: bytes, name: str) -> SourceRead:
    text = decode_text(data, name)
    check_text(text, name)
    return _read_dump(text, "text")


def _read_docx(data: bytes, name: str) -> SourceRead:
    return _read_dump(docx_to_text(data, name=name), "docx")


def _read_pdf(data: bytes, name: str) -> SourceRead:
    pdf = pdf_to_text(data, name=name)
    out = _read_dump(pdf.text, "pdf")
    out.skipped += [Skipped((line, line), f"PDF 第 {page} 页无文字层 (可能是扫描页), 该页内容未导入; 请先 OCR", "")
                    for page, line in pdf.pages_without_text]
    out.skipped.sort(key=lambda s: s.lines)
    return out


def _exchange(fmt: str, as_suffix: str) -> tuple[Callable[[bytes], bool], Callable[[bytes, str], SourceRead]]:
    """The sniffer and reader of an exchange format (question_bank.exchange: Moodle XML, GIFT, Aiken)."""
    def sniff(data: bytes) -> bool:
        from question_bank.exchange import _formats

        return _formats()[fmt].sniff(data, as_suffix)

    def read(data: bytes, name: str) -> SourceRead:
        from question_bank.exchange import read as read_exchange

        return read_exchange(fmt, data, name)  # type: ignore[no-any-return]

    return sniff, read


FORMATS: tuple[Format, ...] = (
    Format("xlsx", "Excel", (".xlsx",), looks_like_xlsx, _read_xlsx, binary=True),
    Format("docx", "Word", (".docx",), looks_like_docx, _read_docx, binary=True),
    Format("pdf", "PDF", (".pdf",), looks_like_pdf, _read_pdf, binary=True),
    Format("json", "JSON 题库", (".json",), _looks_like_bank_json, _read_json),
    Format("moodle", "Moodle XML", (".xml",), *_exchange("moodle", "")),
    Format("gift", "GIFT", (".gift",), *_exchange("gift", ".txt")),
    Format("aiken", "Aiken", (), *_exchange("aiken", ".txt")),
    Format("text", "文本", (".txt", ".text", ".csv"), None, _read_text),
)
LABELS: dict[str, str] = {f.name: f.label for f in FORMATS} | {"unknown": "无法识别"}
#: what the upload field offers
ACCEPT = ",".join(s for f in FORMATS for s in f.suffixes)


def detect_format(data: bytes, filename: str) -> Format:
    """The format of ``data``: by content, else by extension, else text; raises BankError for a file
    no format reads (another zip, an old .doc/.xls, an extension the content contradicts)."""
    suffix = PurePath(filename).suffix.lower()
    kind = sniff(data)
    if kind == "zip":
        raise BankError(f"{filename}: 是压缩文件, 但既不是 .xlsx 也不是 .docx")
    old, new = {".xls": (".xls", ".xlsx"), ".doc": (".doc", ".docx")}.get(suffix, (".doc/.xls", ".docx/.xlsx"))
    if kind == "ole":
        raise BankError(f"{filename}: 不支持旧版 {old} 格式, 请在 Office/WPS 中另存为 {new}")
    for f in FORMATS:
        if f.sniff is not None and f.sniff(data):
            return f
    if suffix in {".xls", ".doc"}:
        raise BankError(f"{filename}: 不支持旧版 {old} 格式, 请在 Office/WPS 中另存为 {new}")
    for f in FORMATS:
        if suffix in f.suffixes:
            if f.binary:
                raise BankError(f"{filename}: 扩展名是 {suffix}, 内容却不是 {f.label} 文件")
            return f
    return FORMATS[-1]


def read_upload(source: bytes | str | os.PathLike | BinaryIO, filename: str = "") -> SourceRead:
    """Read any supported file into entries, within the bounds of ``uploads``.

    Raises ``UploadRefused`` for a file beyond them and ``BankError`` for one that cannot be read at
    all; problems inside a readable file (bad rows, a broken JSON document) are in ``SourceRead.errors``.
    """
    data, filename = read_limited(source, filename)
    return detect_format(data, filename).read(data, filename)


def source_bytes(source: bytes | str | os.PathLike | BinaryIO, name: str) -> tuple[bytes, str]:
    """The file's bytes (within ``uploads.MAX_UPLOAD_BYTES``) and the name to use in messages."""
    return read_limited(source, name)


# --------------------------------------------------------------------------- keeping what was read

#: bump when the stored form changes; older stored reads are then read again from the file
CODEC = 2


def read_to_json(read: SourceRead) -> dict[str, Any]:
    """``read`` as plain JSON values."""
    return {"codec": CODEC, "format": read.format, "traditional": read.traditional, "errors": list(read.errors),
            "entries": [_plain(e) for e in read.entries], "skipped": [_plain(s) for s in read.skipped]}


def read_from_json(doc: Any) -> SourceRead:
    """The ``SourceRead`` that ``read_to_json`` stored; ValueError when ``doc`` is not one of this version."""
    if not isinstance(doc, dict) or doc.get("codec") != CODEC:
        raise ValueError("stored read of another version")
    try:
        return SourceRead(format=doc["format"], traditional=bool(doc["traditional"]), errors=list(doc["errors"]),
                          entries=[_entry(e) for e in doc["entries"]],
                          skipped=[_typed_dataclass(Skipped, s) for s in doc["skipped"]])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"stored read does not fit: {exc}") from None


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _entry(doc: dict[str, Any]) -> Entry:
    return _typed_dataclass(Entry, doc, answer=_answer(QuestionType(doc["type"]), doc["answer"]))


def _answer(qtype: QuestionType, value: Any) -> Any:
    if qtype is QuestionType.TRUE_FALSE:
        return bool(value)
    if qtype is QuestionType.FILL_BLANK:
        return tuple(tuple(alternatives) for alternatives in value)
    if qtype.is_choice:
        return tuple(value)
    return value


@functools.cache
def _converters(cls: type) -> dict[str, Callable[[Any], Any]]:
    """Per field of dataclass ``cls``: plain JSON → the annotated type."""
    hints = typing.get_type_hints(cls)
    return {f.name: _converter(hints[f.name]) for f in dataclasses.fields(cls)}


def _typed_dataclass(cls: type, doc: dict[str, Any], **given: Any) -> Any:
    """``cls`` from ``doc``, which must name exactly its fields; ``given`` values are taken as they are."""
    converters = _converters(cls)
    if doc.keys() != converters.keys():
        raise ValueError(f"{cls.__name__}: fields {sorted(set(doc) ^ set(converters))}")
    return cls(**{name: converters[name](value) for name, value in doc.items() if name not in given}, **given)


def _converter(hint: Any) -> Callable[[Any], Any]:
    """Plain JSON → ``hint``: enums, tuples, optionals; anything else stays as it is."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _converter(options[0]) if len(options) == 1 else _same
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            return (lambda v: tuple(v)) if item is _same else (lambda v: tuple(item(x) for x in v))
        items = [_converter(a) for a in args]
        if all(c is _same for c in items):
            return lambda v: tuple(v) if len(v) == len(items) else _wrong_length(v)
        return lambda v: tuple(c(x) for c, x in zip(items, v, strict=True))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    return _same


def _same(value: Any) -> Any:
    return value


def _wrong_length(value: Any) -> Any:
    raise ValueError(f"wrong length: {value!r}")


__all__ = ["ACCEPT", "FORMATS", "LABELS", "Format", "UploadRefused", "detect_format", "read_from_json",
           "read_to_json", "read_upload", "source_bytes"]
