"""A dump made ready for scanning: Simplified, page furniture and watermarks gone, every line kept in place."""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from question_bank.dumps.patterns import BLOCK_START_RE, CJK_RE, NOT_HEADING_RE
from question_bank.normalize import simplify_document

_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: Greek and Cyrillic capitals OCR puts where a Latin option letter was.
LOOKALIKES = {
    "Λ": "A", "∧": "A", "Α": "A", "А": "A", "Β": "B", "В": "B", "С": "C", "Ϲ": "C",
    "Ε": "E", "Е": "E", "Η": "H", "Н": "H", "а": "a", "с": "c", "е": "e",
}
_FOLD |= {ord(k): v for k, v in LOOKALIKES.items()}

_INLINE_FURNITURE_RE = re.compile(
    r"第[ \t]*\d+[ \t]*页[ \t]*[/／,，、]?[ \t]*共[ \t]*\d+[ \t]*页|错误[!！][ \t]*未定义书签[。.]?"
)
_LINE_FURNITURE_RE = re.compile(
    r"[ \t]*[-–—•·][ \t]*(?:格式|大小|页数|字数|上传(?:时间|者)?|作者|来源|下载(?:次数)?|浏览(?:次数)?|类型|时间)"
    r"[ \t]*[:：].*"
)
_PAGE_NUMBER_RE = re.compile(
    r"[ \t]*(?:(?:[-—–][ \t]*)?\d{1,4}(?:[ \t]*[-—–])?|\d{1,4}[ \t]*[/／][ \t]*\d{1,4}|[Pp]age[ \t]*\d+(?:[ \t]*of[ \t]*\d+)?)[ \t]*"
)
# A lone number right after an answer label is the answer (e.g. "答案:⏎3"), not a page number.
_ANSWER_PENDING_RE = re.compile(r"(?:答案|答)[ \t]*(?:[:：][ \t]*)?$|答案[】\]][ \t]*$")

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
    heading_lines: frozenset[int]
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
    """Simplify the script, drop page furniture and watermarks line by line, and index the lines."""
    text, traditional = simplify_document(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    marks = _watermarks(text)
    lines: list[str] = []
    last = ""
    for raw in text.split("\n"):
        lines.append(_clean_line(raw, marks, answer_pending=bool(_ANSWER_PENDING_RE.search(last))))
        last = lines[-1] if lines[-1].strip() else last
    src = "\n".join(lines)
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    first = [s + len(line) - len(line.lstrip()) for s, line in zip(starts, lines, strict=True)]
    fold = src.translate(_FOLD)
    return Document(src, fold, starts, first, _heading_lines(fold.split("\n")), traditional)


def _clean_line(line: str, marks: set[str], *, answer_pending: bool) -> str:
    line = _INLINE_FURNITURE_RE.sub("", line)
    line = _BRACKETED_RE.sub(lambda m: "" if _inner(m) in marks else m.group(), line)
    if _LINE_FURNITURE_RE.fullmatch(line) or (not answer_pending and _PAGE_NUMBER_RE.fullmatch(line)):
        return ""
    return line


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


def heading_like(text: str) -> bool:
    """A short title such as "维系知识判断题": no sentence end, no item structure."""
    s = text.strip()
    return (
        2 <= len(s) <= 40
        and len(CJK_RE.findall(s)) >= 2
        and s[-1] not in "。？?！!；;：:，,、"
        and not NOT_HEADING_RE.search(s)
    )


def _heading_lines(lines: list[str]) -> frozenset[int]:
    """Lines that head a block: heading-like and followed (after blank lines) by a block's first item."""
    out: set[int] = set()
    next_text = None
    for i in range(len(lines) - 1, -1, -1):
        if next_text is not None and BLOCK_START_RE.match(next_text) and heading_like(lines[i]):
            out.add(i + 1)
        if lines[i].strip():
            next_text = lines[i]
    return frozenset(out)
