"""Plain text out of a PDF's text layer, for the text-dump importer.

Pages are read in order, each top to bottom as laid out on the page (pypdf's layout mode, so a
header drawn last still comes first), one printed line per line. Page furniture is removed: a line
among the first or last two of a page that repeats at that place on most pages (a running header
or footer; digits may differ, as in ``第 3 页 共 40 页``) unless it reads as question content, and
page-number lines (``第 3 页``, ``- 3 -``, ``3 / 40``, ``Page 3``). A PDF without any text layer (a scan) is refused with a message saying
so; scanned pages inside a text PDF are reported, not guessed at. Caps (``uploads``): ``MAX_PDF_PAGES``
pages, ``MAX_TEXT_CHARS`` characters and ``MAX_PARAGRAPHS`` lines.
"""
from __future__ import annotations

import io
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

from question_bank import uploads
from question_bank.records import BankError
from question_bank.uploads import PDF_MAGIC, Source, UploadRefused, read_limited, text_too_long, too_many_lines

#: lines at each end of a page where running headers, footers and page numbers are looked for
ZONE = 2
#: a line in the zone is a running header or footer when it is there on this share of the pages (at least 2)
REPEATED_SHARE = 0.6

_PAGE_NUMBER = re.compile(
    r"(?:第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[,，]?\s*第\s*\d{1,4}\s*页"
    r"|[-—–]\s*\d{1,4}\s*[-—–]"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"\d{1,4}")
#: question content: an answer, a numbered item, an option
_CONTENT = re.compile(r"答案|^\s*(?:\d{1,4}\s*[、.．]|[(（]\s*\d{1,4}\s*[)）]|[A-Ha-h]\s*[.、．:：)）])")
_SPACES = re.compile(r"[ \t\u00a0\u3000]{2,}")


@dataclass
class PdfText:
    """The text of a PDF, one line per printed line, and where pages without a text layer were."""

    text: str
    pages: int
    #: (page number, the line of ``text`` where it would have been) of every page without text
    pages_without_text: list[tuple[int, int]] = field(default_factory=list)


def looks_like_pdf(data: bytes) -> bool:
    return bytes(data[:1024]).lstrip(b"\0\t\r\n ").startswith(PDF_MAGIC)


def pdf_to_text(source: Source, *, name: str = "") -> PdfText:
    """The text layer of every page, in reading order, without page furniture; raises ``BankError`` for a
    file that is not a readable PDF, an encrypted one, or a scan without any text layer."""
    data, name = read_limited(source, name)
    if not looks_like_pdf(data):
        raise BankError(f"{name}: 不是 PDF 文件")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns about every oddity of real-world files
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise BankError(f"{name}: PDF 文件已加密, 请提供未加密的文件")
            count = len(reader.pages)
        except BankError:
            raise
        except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
                NotImplementedError, OSError) as exc:
            raise BankError(f"{name}: PDF 文件已损坏, 无法读取 ({type(exc).__name__}: {exc})") from None
        if count > uploads.MAX_PDF_PAGES:
            raise UploadRefused(f"{name}: PDF 有 {count:,} 页, 超过上限 {uploads.MAX_PDF_PAGES:,} 页, 请拆分后再上传")
        pages: list[list[str]] = []
        chars = lines = 0
        for number in range(count):
            page = _page_lines(reader, number)
            chars += sum(len(line) + 1 for line in page)
            lines += len(page)
            if chars > uploads.MAX_TEXT_CHARS:
                raise text_too_long(name)
            if lines > uploads.MAX_PARAGRAPHS:
                raise too_many_lines(name)
            pages.append(page)
    pages = remove_furniture(pages)
    if not any(pages):
        raise BankError(f"{name}: PDF 无文字层 (可能是扫描件), 读不出其中的文字; 请先 OCR 或提供 Word/文本文件")
    out: list[str] = []
    missing: list[tuple[int, int]] = []
    for number, page in enumerate(pages, 1):
        if not page:
            missing.append((number, len(out) + 1))
        out.extend(page)
    return PdfText("\n".join(out), count, missing)


def _page_lines(reader: object, number: int) -> list[str]:
    """One page's printed lines, trimmed, blank ones left out; a page pypdf cannot read gives none."""
    try:
        page = reader.pages[number]  # type: ignore[attr-defined]
        try:
            text = page.extract_text(extraction_mode="layout")
        except Exception:  # the layout mode fails on some fonts; the plain mode keeps the content order
            text = page.extract_text()
    except Exception:  # a damaged page: reported as a page without text
        return []
    return [line for raw in text.splitlines() if (line := _SPACES.sub(" ", raw).strip())]


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def is_page_number(line: str, pages: int) -> bool:
    text = line.strip()
    if _PAGE_NUMBER.fullmatch(text):
        return True
    return bool(_BARE_NUMBER.fullmatch(text)) and 1 <= int(text) <= pages + 10


def remove_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page without its running header and footer lines and its page-number lines.

    A running header (footer) line is the same text, digits aside, at the same place among the first
    (last) ``ZONE`` lines of at least ``REPEATED_SHARE`` of the pages, and at least two. Lines that read
    as question content — an answer, a numbered item, an option — are never furniture, however often
    a page happens to end with ``正确答案:对``.
    """
    total = len(pages)
    seen: Counter[tuple[str, int, str]] = Counter()
    for lines in pages:
        seen.update({("top", i, _key(line)) for i, line in enumerate(lines[:ZONE])})
        seen.update({("bottom", i, _key(line)) for i, line in enumerate(reversed(lines[-ZONE:]))})
    needed = max(2, math.ceil(REPEATED_SHARE * total))

    def furniture(end: str, i: int, line: str) -> bool:
        if is_page_number(line, total):
            return True
        return seen[end, i, _key(line)] >= needed and not _CONTENT.search(line)

    out = []
    for lines in pages:
        start, stop = 0, len(lines)
        while start < min(ZONE, stop) and furniture("top", start, lines[start]):
            start += 1
        while stop > max(start, len(lines) - ZONE) and furniture("bottom", len(lines) - stop, lines[stop - 1]):
            stop -= 1
        out.append(lines[start:stop])
    return out
