"""Plain text out of a Word (.docx) file, for the text-dump importer.

Body order is kept: one paragraph per line, every table cell's paragraphs on their own
lines, soft line breaks (``<w:br/>``) and carriage returns as newlines, tabs as tabs. Deleted
revisions, field codes and the fallback copy of text boxes are left out; headers, footers
and footnotes are not part of the body.

The body is streamed one top-level paragraph at a time (each is dropped once read), after the
archive checks of ``uploads``; more than ``uploads.MAX_PARAGRAPHS`` paragraphs or
``uploads.MAX_TEXT_CHARS`` characters stop the reading with ``UploadRefused``.
"""
from __future__ import annotations

import io
import os
import posixpath
import zipfile
from typing import BinaryIO
from xml.etree import ElementTree

from question_bank import uploads
from question_bank.records import BankError
from question_bank.uploads import OLE_MAGIC, UploadRefused, check_archive, read_limited, text_too_long, too_many_lines

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "/officeDocument"
_MAIN_PART = "word/document.xml"

_P, _TBL, _TR, _TC, _BODY = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "body"
_TEXT = _W + "t"
_NEWLINE = {_W + "br", _W + "cr"}
_TAB = {_W + "tab", _W + "ptab"}
#: XML elements one paragraph may hold (runs, properties, text boxes); a real one has a few hundred
MAX_PARAGRAPH_ELEMENTS = 100_000
_SKIP = {_W + "del", _W + "delText", _W + "instrText", _W + "pPr", _W + "rPr", _MC_FALLBACK, _W + "moveFrom"}


#: Symbol-font characters that carry meaning in answer keys (check marks and crosses).
_SYMBOLS = {
    ("wingdings", "F0FC"): "√", ("wingdings", "F0FB"): "×", ("wingdings", "F0FE"): "√", ("wingdings", "F0FD"): "×",
    ("wingdings 2", "F050"): "√", ("wingdings 2", "F04F"): "×", ("wingdings 2", "F052"): "√", ("wingdings 2", "F053"): "×",
    ("symbol", "F0D6"): "√", ("symbol", "F0B4"): "×",
}


def _symbol(sym: ElementTree.Element) -> str:
    font = (sym.get(_W + "font") or "").lower()
    code = (sym.get(_W + "char") or "").upper()
    if (font, code) in _SYMBOLS:
        return _SYMBOLS[font, code]
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    if value >= 0xF000:  # a private-use code of a symbol font: no meaning outside that font
        return ""
    return chr(value)


def looks_like_docx(data: bytes) -> bool:
    """A zip archive holding ``word/document.xml`` (works on a truncated prefix too)."""
    data = bytes(data)
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _MAIN_PART in zf.NameToInfo or _main_part_name(zf) is not None
    except (zipfile.BadZipFile, OSError, ValueError):
        return _MAIN_PART.encode() in data


def _main_part_name(zf: zipfile.ZipFile) -> str | None:
    """The main document part named by the package relationships (``word/document.xml`` as a rule)."""
    try:
        rels = ElementTree.fromstring(zf.read("_rels/.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    for rel in rels.iter(_REL):
        if rel.get("Type", "").endswith(_OFFICE_DOCUMENT):
            target = posixpath.normpath(rel.get("Target", "").lstrip("/"))
            if target.startswith("word/") and target in zf.NameToInfo:
                return target
    return None


def docx_to_text(source: str | os.PathLike | bytes | BinaryIO, *, name: str = "") -> str:
    """The document's body text, one paragraph per line; a non-.docx file raises ``BankError``."""
    data, name = read_limited(source, name)
    if not looks_like_docx(data):
        if data.startswith(OLE_MAGIC):
            raise BankError(f"{name}: 是旧版 Word (.doc) 文件, 请在 Word 中另存为 .docx 后再导入")
        raise BankError(f"{name}: 不是 Word (.docx) 文件")
    check_archive(data, name, "docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _main_part_name(zf) or _MAIN_PART
            with zf.open(part) as stream:
                lines = _body_lines(stream, name)
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, ElementTree.ParseError) as exc:
        raise BankError(f"{name}: Word 文件已损坏, 无法读取 ({type(exc).__name__}: {exc})") from None
    if lines is None:
        raise BankError(f"{name}: Word 文件中没有正文")
    return "\n".join(lines)


def _in_body(path: list[ElementTree.Element]) -> bool:
    """Whether a paragraph under ``path`` (document, body, …) is body text: not in a deleted or fallback
    block, and in a table only through its rows and cells."""
    if len(path) < 2 or path[1].tag != _BODY:
        return False
    for parent, child in zip(path[1:], path[2:], strict=False):
        if child.tag in _SKIP or (parent.tag == _TBL and child.tag != _TR) or (parent.tag == _TR and child.tag != _TC):
            return False
    return True


def _body_lines(stream: BinaryIO, name: str) -> list[str] | None:
    """The body's lines, reading one top-level paragraph at a time; None when there is no body."""
    lines: list[str] = []
    chars = 0
    path: list[ElementTree.Element] = []  # the open elements, outermost first
    paragraph: ElementTree.Element | None = None  # the top-level paragraph being read
    keep = False  # … and whether it is body text
    inside = 0  # elements in that paragraph so far
    body = False
    for event, elem in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            if paragraph is not None:
                inside += 1
                if inside > MAX_PARAGRAPH_ELEMENTS:
                    raise UploadRefused(f"{name}: 第 {len(lines) + 1} 段超过 {MAX_PARAGRAPH_ELEMENTS:,} 个部件, "
                                        "文件异常, 未读取")
            elif elem.tag == _P:
                paragraph, keep, inside = elem, _in_body(path), 0
            body = body or elem.tag == _BODY
            path.append(elem)
            continue
        path.pop()
        if elem is paragraph:
            if keep:
                before = len(lines)
                _paragraph(elem, lines)
                chars += sum(len(line) + 1 for line in lines[before:])
                if len(lines) > uploads.MAX_PARAGRAPHS:
                    raise too_many_lines(name)
                if chars > uploads.MAX_TEXT_CHARS:
                    raise text_too_long(name)
            paragraph = None
        if paragraph is None and path:
            path[-1].remove(elem)  # read (or not body text): drop it, so memory holds one paragraph at most
    return lines if body else None


def _block(container: ElementTree.Element, lines: list[str]) -> None:
    """Paragraphs and tables of a cell, text box or content control, in order."""
    for child in container:
        tag = child.tag
        if tag == _P:
            _paragraph(child, lines)
        elif tag == _TBL:
            for row in child.findall(_TR):
                for cell in row.findall(_TC):
                    _block(cell, lines)
        elif tag not in _SKIP:
            _block(child, lines)  # w:sdt/w:sdtContent, w:customXml, w:ins …


def _paragraph(p: ElementTree.Element, lines: list[str]) -> None:
    parts: list[str] = []
    nested: list[str] = []  # paragraphs of text boxes anchored in this one, after it

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            tag = child.tag
            if tag == _TEXT:
                parts.append(child.text or "")
            elif tag in _NEWLINE:
                parts.append("\n")
            elif tag in _TAB:
                parts.append("\t")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            elif tag == _W + "sym":
                parts.append(_symbol(child))
            elif tag in _SKIP:
                continue
            elif tag == _W + "txbxContent":
                _block(child, nested)
            else:
                walk(child)

    walk(p)
    lines.append("".join(parts))
    lines.extend(nested)
