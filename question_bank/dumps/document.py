"""A dump made ready for scanning: Simplified, page furniture and watermarks gone, every line kept in place."""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from question_bank.dumps.layout import (
    ANSWER_PENDING_RE,
    INLINE_FURNITURE_RE,
    LINE_FURNITURE_RE,
    PAGE_NUMBER_RE,
    SEPARATOR_RE,
    Break,
    find_breaks,
    mark_remover,
    recurring_lines,
    site_marks,
    tables_of_contents,
)
from question_bank.dumps.patterns import CJK_RE
from question_bank.normalize import simplify_document

_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: Greek and Cyrillic capitals OCR puts where a Latin option letter was.
LOOKALIKES = {
    "Λ": "A", "∧": "A", "Α": "A", "А": "A", "Β": "B", "В": "B", "С": "C", "Ϲ": "C",
    "Ε": "E", "Е": "E", "Η": "H", "Н": "H", "а": "a", "с": "c", "е": "e",
}
_FOLD |= {ord(k): v for k, v in LOOKALIKES.items()}

_BRACKETED_RE = re.compile(r"[(（](?P<paren>[^()（）\n]{1,30})[)）]|【(?P<lent>[^【】\n]{1,30})】|\[(?P<sq>[^\[\]\n]{1,30})\]")
_WATERMARK_WORD_RE = re.compile(
    r"题库|网站|网址|www|http|\.com|\.cn|\.net|公众号|微信|文库|下载|资料(?:网|库|站)|搜题"
    r"|(?<![离入在上转联互组局宽专内外电])网\s*$",
    re.I,
)
# Enumerations, verdicts, answer letters and section scores look like watermarks but carry meaning.
_PROTECTED_RE = re.compile(
    r"\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3}|[①-⑳]|[A-Ha-hＡ-Ｈ ,，、]+|√|×|✓|✗|✔|✘|对|错|正确|错误)\s*"
    r"|.*\d.*分.*|.*分.*\d.*"
)
_RECURRING_MIN = 5


@dataclass
class Document:
    """``src`` is the cleaned text (lines joined by \\n, same count as the input); ``fold`` is its matching view."""

    src: str
    fold: str
    line_starts: list[int]
    first_text: list[int]
    #: 1-based lines that end the item before them (headings, titles, tables of contents, closing remarks)
    breaks: dict[int, Break]
    traditional: bool

    def line_of(self, offset: int) -> int:
        """The 1-based source line holding ``offset``."""
        return bisect.bisect_right(self.line_starts, offset)

    def line_start(self, offset: int) -> int:
        """The offset where the line holding ``offset`` begins."""
        return self.line_starts[self.line_of(offset) - 1]

    def at_line_start(self, offset: int) -> bool:
        """True when only spaces precede ``offset`` on its line."""
        return offset <= self.first_text[self.line_of(offset) - 1]

    def line_text(self, line: int) -> str:
        """The cleaned text of 1-based ``line``."""
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.src)
        return self.src[self.line_starts[line - 1]:end]


def prepare(text: str) -> Document:
    """Simplify the script, drop page furniture, tables of contents and watermarks line by line, and index the lines."""
    text, traditional = simplify_document(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    raw = text.split("\n")
    marks = _watermarks(text)
    remover = mark_remover(site_marks(raw))
    tables = tables_of_contents(raw)
    rules = {i for i, line in enumerate(raw) if SEPARATOR_RE.fullmatch(line)}
    lines: list[str] = []
    page_numbers: set[int] = set()
    last = ""
    for i, line in enumerate(raw):
        cleaned = "" if i in tables or i in rules else _clean_line(line, marks, remover)
        if LINE_FURNITURE_RE.fullmatch(cleaned) or (
                PAGE_NUMBER_RE.fullmatch(cleaned) and not ANSWER_PENDING_RE.search(last)):
            page_numbers.add(i)
            cleaned = ""
        lines.append(cleaned)
        last = cleaned if cleaned.strip() else last
    for i in recurring_lines(lines, page_numbers):
        lines[i] = ""
    src = "\n".join(lines)
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    first = [s + len(line) - len(line.lstrip()) for s, line in zip(starts, lines, strict=True)]
    fold = src.translate(_FOLD)
    return Document(src, fold, starts, first, find_breaks(fold.split("\n"), tables, rules), traditional)


def _clean_line(line: str, marks: set[str], remover: re.Pattern[str] | None) -> str:
    line = INLINE_FURNITURE_RE.sub("", line)
    line = _BRACKETED_RE.sub(lambda m: "" if _inner(m) in marks else m.group(), line)
    return remover.sub("", line) if remover is not None else line


def _inner(m: re.Match[str]) -> str:
    return next(g for g in m.group("paren", "lent", "sq") if g is not None)


def _watermarks(text: str) -> set[str]:
    """Bracketed texts to delete: site names anywhere, or the same parenthesised text recurring many times."""
    counts: Counter[str] = Counter()
    marks: set[str] = set()
    for m in _BRACKETED_RE.finditer(text):
        inner = _inner(m)
        if not inner.strip() or _PROTECTED_RE.fullmatch(inner):
            continue
        if _WATERMARK_WORD_RE.search(inner):
            marks.add(inner)
        elif m.group("paren") is not None:
            counts[inner] += 1
    marks.update(t for t, n in counts.items() if n >= _RECURRING_MIN and len(t.strip()) >= 3 and CJK_RE.search(t))
    return marks
