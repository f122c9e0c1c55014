"""Reading an uploaded file within fixed bounds, for every upload page and ``flask bank import``.

A file is refused with a message naming it and the limit it broke, before any of it is parsed:

- its size (:data:`MAX_UPLOAD_BYTES`), read without ever holding more than one byte past the limit;
- its kind, from the content (``PK`` zip, ``%PDF``, an old Office file), not only the extension;
- for the zip-based formats (.xlsx, .docx), the archive's central directory: how many members, and of
  the members the reader will decompress (XML parts, not pictures) each one's declared unpacked
  size, their sum, and the compression ratio of large ones. ``zipfile`` never hands out more than a
  member's declared size, so these numbers bound what is decompressed;
- then, still before parsing, the XML itself is scanned at C speed: cells and rows of every sheet,
  shared strings and paragraphs of a Word body are counted, and a cell with content right of the
  last column is looked for.

The readers (``xlsx``, ``docx``, ``pdf``, text dumps) then enforce the remaining caps while they
stream: rows and columns of a sheet, paragraphs and characters of a text. Framework-free.
"""
from __future__ import annotations

import functools
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from question_bank.records import BankError

#: the largest file any upload page (and ``bank import``) accepts
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: members of a zip-based file (.xlsx, .docx); a real one has a few dozen, or hundreds with pictures
MAX_ARCHIVE_MEMBERS = 2_000
#: one member's declared unpacked size, of the members a reader decompresses (a 10,000-question sheet is 11 MB)
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: the declared unpacked sizes of the members a reader decompresses, together
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
#: unpacked ÷ packed size of a member of at least RATIO_FLOOR_BYTES (Office XML packs 5–20 to 1)
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
#: rows with content in one sheet after the header row: bank import, facts upload, enrolment list
MAX_SHEET_ROWS = 20_000
#: the last column that may hold content (IV, as in Excel 2003)
MAX_SHEET_COLUMNS = 256
#: cells (``<c>`` elements, empty but formatted ones included) in a workbook's sheets, and shared strings
MAX_SHEET_CELLS = 1_000_000
#: ``<row>`` elements in a workbook's sheets (formatted empty rows included)
MAX_SHEET_ROW_ELEMENTS = 2 * MAX_SHEET_ROWS
#: paragraphs of a Word body (text-box paragraphs included) and lines of a text dump or a PDF's text
MAX_PARAGRAPHS = 200_000
#: characters of the text of a Word file, a PDF or a text dump (a 10,000-item dump has about 700,000)
MAX_TEXT_CHARS = 2_000_000
#: pages of a PDF
MAX_PDF_PAGES = 1_000

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


class UploadRefused(BankError):
    """The file is outside the bounds above (or not of a kind the page takes); nothing of it was read or written."""


class TooManyRows(UploadRefused):
    """A sheet has more rows with content than ``limit``; ``row`` is the first one beyond it."""

    def __init__(self, name: str, limit: int, row: int) -> None:
        super().__init__(f"{name}: 超过 {limit:,} 行 (第 {row} 行), 请拆分后再上传")
        self.limit, self.row = limit, row


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n < 10 * 1024 * 1024 else f"{n // 1024 // 1024} MB"


def _too_big(name: str, size: int | None, limit: int) -> UploadRefused:
    shown = f"{size / 1024 / 1024:.1f} MB, " if size is not None else ""
    return UploadRefused(f"{name}: 文件大小 {shown}超过上限 {megabytes(limit)}, 请拆分后再上传")


def read_limited(source: Source, name: str = "", *, limit: int | None = None) -> tuple[bytes, str]:
    """The file's bytes and the name to use in messages; more than ``limit`` (MAX_UPLOAD_BYTES) bytes raises
    ``UploadRefused``. A path's size is checked before it is read; a stream is read up to one byte past the limit.
    """
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), name or "上传的文件"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > limit:
                raise _too_big(name, size, limit)
            with path.open("rb") as f:
                data = f.read(limit + 1)
        except OSError as exc:
            raise BankError(f"{name}: 无法读取文件 ({exc.strerror or exc})") from None
    else:
        name = name or Path(str(getattr(source, "name", "") or "上传的文件")).name
        data = source.read(limit + 1)
    if len(data) > limit:
        raise _too_big(name, len(data) if isinstance(source, bytes | bytearray | memoryview) else None, limit)
    return data, name


def upload_limits() -> dict[str, str]:
    """The limits as the upload pages state them."""
    return {"size": megabytes(MAX_UPLOAD_BYTES), "rows": f"{MAX_SHEET_ROWS:,}", "columns": f"{MAX_SHEET_COLUMNS}",
            "chars": f"{MAX_TEXT_CHARS // 10_000} 万", "pages": f"{MAX_PDF_PAGES:,}"}


# --------------------------------------------------------------------------- what kind of file


def zip_names(data: bytes) -> set[str] | None:
    """The member names of a zip file; of a truncated one, the names its local headers carry; None: not a zip."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.NameToInfo)
    except (zipfile.BadZipFile, OSError, ValueError):
        names = set()
        for m in re.finditer(rb"PK\x03\x04.{22}(..)(..)", data[:1024 * 1024], re.S):
            n = int.from_bytes(m.group(1), "little")
            names.add(data[m.end(): m.end() + n].decode("utf-8", "replace"))
        return names


def sniff(data: bytes) -> str:
    """``xlsx``, ``docx``, ``zip`` (another zip), ``pdf``, ``ole`` (an old .xls/.doc) or ``other``."""
    names = zip_names(data)
    if names is not None:
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names or any(n.startswith("word/") for n in names):
            return "docx"
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    if data[:1024].lstrip(b"\0\t\r\n ").startswith(PDF_MAGIC):
        return "pdf"
    return "other"


# --------------------------------------------------------------------------- archives

_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"


def column_letters(n: int) -> str:
    """1 → A, 256 → IV, 16384 → XFD."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


@dataclass(frozen=True)
class _Count:
    """Elements ``tag`` in the members ``applies`` to: at most ``limit``, else ``refusal``."""

    applies: Callable[[str], bool]
    tag: bytes
    limit: int
    refusal: str

    def count(self, block: bytes, end: int, prefix: bytes) -> int:
        """Occurrences in ``block[:end]`` of the element written with ``prefix`` (that of the part's root
        element, ``w:`` in Word); the readers' own caps hold for elements written otherwise."""
        tag = b"<" + prefix + self.tag
        return sum(block.count(tag + tail, 0, end) for tail in (b" ", b">", b"/>"))


@dataclass(frozen=True)
class _FarCell:
    """A cell with content (not an empty ``<c …/>`` or ``<c …></c>``) in a column after ``limit`` (a column AA … ZZ)."""

    applies: Callable[[str], bool]
    limit: int

    @functools.cached_property
    def _patterns(self) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
        first, second = column_letters(self.limit)
        options = ["[A-Z]{3}"]
        if second != "Z":
            options.append(f"{first}[{chr(ord(second) + 1)}-Z]")
        if first != "Z":
            options.append(f"[{chr(ord(first) + 1)}-Z][A-Z]")
        letters = "|".join(options).encode()
        quick = re.compile(rb'r="(?:' + letters + rb")\d")  # a literal start: found at memchr speed
        cell = re.compile(rb"<" + _PREFIX + rb"c\s[^>]*?\br=\"((?:" + letters + rb")(\d+))\"[^>]*?(?<!/)>"
                          rb"(?!\s*</" + _PREFIX + rb"c>)")
        return quick, cell

    def find(self, block: bytes, end: int) -> re.Match[bytes] | None:
        quick, cell = self._patterns
        at = 0
        while m := quick.search(block, at, end):  # a far reference, then whether it is a cell with content
            start = block.rfind(b"<", 0, m.start())
            if start != -1 and (hit := cell.match(block, start, end)):
                return hit
            at = m.end()
        return None

    def refusal(self, m: re.Match[bytes]) -> str:
        ref, row = m.group(1).decode(), m.group(2).decode()
        return (f"第 {row} 行第 {ref[: len(ref) - len(row)]} 列有内容, 超过上限 {self.limit} 列 "
                f"({column_letters(self.limit)} 列), 请删除多余的列后再上传")


def _is_sheet(member: str) -> bool:
    return member.startswith("xl/") and "worksheets/" in member and member.endswith(".xml")


def _is_word_body(member: str) -> bool:
    return member.startswith("word/") and member.count("/") == 1 and "document" in member and member.endswith(".xml")


def _read_by_reader(kind: str, member: str) -> bool:
    """Whether the reader of ``kind`` decompresses ``member``: openpyxl parses a workbook's XML parts, the
    Word reader only the package relationships and the body."""
    if kind == "docx":
        return _is_word_body(member) or member in ("_rels/.rels", "[Content_Types].xml")
    return member.endswith((".xml", ".rels"))


def _rules(kind: str) -> list[_Count | _FarCell]:
    """What is counted (or looked for) in the XML of a ``kind`` before it is parsed."""
    if kind == "xlsx":
        return [
            _Count(_is_sheet, b"c", MAX_SHEET_CELLS,
                   f"超过 {MAX_SHEET_CELLS:,} 个单元格, 请只保留需要的行和列, 或拆分后再上传"),
            _Count(_is_sheet, b"row", MAX_SHEET_ROW_ELEMENTS,
                   f"超过 {MAX_SHEET_ROW_ELEMENTS:,} 行 (含空行), 请删除多余的行或拆分后再上传"),
            _FarCell(_is_sheet, MAX_SHEET_COLUMNS),
            _Count(lambda m: m.startswith("xl/") and m.endswith("sharedStrings.xml"), b"si", MAX_SHEET_CELLS,
                   f"超过 {MAX_SHEET_CELLS:,} 个文字单元格, 请拆分后再上传"),
        ]
    if kind == "docx":
        return [_Count(_is_word_body, b"p", MAX_PARAGRAPHS, f"超过 {MAX_PARAGRAPHS:,} 段, 请拆分后再上传")]
    return []


def check_archive(data: bytes, name: str, kind: str) -> None:
    """Refuse a zip-based ``kind`` (``xlsx`` / ``docx``) whose declared sizes, ratio or contents are beyond the limits.

    Reads the central directory and, for the parts that will be parsed, counts elements in the
    decompressed XML without parsing it; raises ``UploadRefused`` naming the file, the member and the limit.
    A damaged archive is left for the reader to report.
    """
    label = {"xlsx": "Excel", "docx": "Word"}.get(kind, "压缩")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise UploadRefused(f"{name}: 压缩包内有 {len(infos):,} 个部件, 超过上限 {MAX_ARCHIVE_MEMBERS:,} 个, "
                                f"不是正常的 {label} 文件")
        total = 0
        for info in infos:
            if not _read_by_reader(kind, info.filename):
                continue  # pictures and parts the reader never opens are never decompressed
            size = info.file_size
            total += size
            if size > MAX_MEMBER_BYTES:
                raise UploadRefused(f"{name}: 其中的 {info.filename} 解压后有 {megabytes(size)}, "
                                    f"超过上限 {megabytes(MAX_MEMBER_BYTES)}, 请拆分后再上传")
            if size >= RATIO_FLOOR_BYTES and size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
                ratio = size // max(info.compress_size, 1)
                raise UploadRefused(f"{name}: 其中的 {info.filename} 压缩比 {ratio:,}:1, 超过上限 "
                                    f"{MAX_COMPRESSION_RATIO}:1 (内容异常重复, 疑似压缩炸弹), 未读取")
        if total > MAX_UNPACKED_BYTES:
            raise UploadRefused(f"{name}: 解压后共 {megabytes(total)}, 超过上限 {megabytes(MAX_UNPACKED_BYTES)}, "
                                f"请拆分后再上传")
        rules = _rules(kind)
        counts = [0] * len(rules)
        for info in infos:
            active = [i for i, rule in enumerate(rules) if rule.applies(info.filename)]
            prefix: bytes | None = None
            for block, end in _blocks(zf, info) if active else ():
                if prefix is None:  # the root element's prefix (w: in Word, none in Excel) is its elements' prefix
                    root = re.search(rb"<([A-Za-z_][\w.:-]*)", re.sub(rb"<[?!][^>]*>", b"", block[:4096]))
                    prefix = root.group(1).rpartition(b":")[0] + b":" if root and b":" in root.group(1) else b""
                for i in active:
                    rule = rules[i]
                    if isinstance(rule, _FarCell):
                        if m := rule.find(block, end):
                            raise UploadRefused(f"{name}: {rule.refusal(m)}")
                        continue
                    counts[i] += rule.count(block, end, prefix)
                    if counts[i] > rule.limit:
                        raise UploadRefused(f"{name}: {rule.refusal}")


def _blocks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
    """The member's XML a megabyte at a time, as (block, end): ``block[:end]`` holds whole tags only, and an
    opening tag is in the same block as the tag after it (a tag cut by the chunk goes on to the next block)."""
    tail = b""
    try:
        with zf.open(info) as stream:
            while chunk := stream.read(1024 * 1024):
                block = tail + chunk
                end = block.rfind(b"<")
                while end > 0 and block[end + 1: end + 2] == b"/":  # keep a closing tag with its opening one
                    end = block.rfind(b"<", 0, end)
                end = len(block) if end == -1 else end
                yield block, end
                tail = block[end:]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return  # the reader reports the damage
    if tail:
        yield tail, len(tail)


# --------------------------------------------------------------------------- text


def check_text(text: str, name: str, *, lines: Iterable[str] | None = None) -> None:
    """A text (a dump, a Word body, a PDF's text layer) within MAX_TEXT_CHARS characters and MAX_PARAGRAPHS lines."""
    if len(text) > MAX_TEXT_CHARS:
        raise text_too_long(name)
    count = text.count("\n") + 1 if lines is None else sum(1 for _ in lines)
    if count > MAX_PARAGRAPHS:
        raise too_many_lines(name)


def text_too_long(name: str) -> UploadRefused:
    return UploadRefused(f"{name}: 文字超过 {MAX_TEXT_CHARS // 10_000} 万字 (上限 {MAX_TEXT_CHARS:,} 字), 请拆分后再上传")


def too_many_lines(name: str) -> UploadRefused:
    return UploadRefused(f"{name}: 超过 {MAX_PARAGRAPHS:,} 段 (行), 请拆分后再上传")
