"""Aiken, Moodle's simplest hand-written format: single-choice questions, read into import entries::

    客户预存话费后, 赠送金额一般如何发放?
    A. 一次性到账
    B) 按月返还
    ANSWER: B

The question text (one or more lines), then options ``A.`` / ``A)`` (also ``A、`` and full-width ``Ａ．``
``Ａ）``), then ``ANSWER: X``. Several letters (``ANSWER: A,C``, not in Moodle's format) make a
multiple choice, noted for the trainer. A question without its ANSWER line, with fewer than two
options, with letters out of order or an answer that is not an option is reported as skipped with its lines.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field

from question_bank.dumps.model import Skipped
from question_bank.exchange import clip, plain_text_of
from question_bank.readers import Entry, SourceRead
from question_bank.records import OPTION_LETTERS, QuestionType

_OPTION = re.compile(r"^([A-ZＡ-Ｚ])\s*[.)、．）]\s*(.*)$")
UNFINISHED = "缺少 ANSWER: 行 (题目没有写完)"
_ANSWER = re.compile(r"^(?:ANSWER|ＡＮＳＷＥＲ)\s*[:：]\s*(.*)$")


@dataclass
class _Pending:
    first: int
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    problem: str = ""


def parse(text: str) -> tuple[list[Entry], list[Skipped]]:
    """Entries and skipped items of an Aiken text (lines are 1-based)."""
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    q: _Pending | None = None
    last = 0

    def skip(item: _Pending, end: int, reason: str) -> None:
        skipped.append(Skipped((item.first, end), reason, clip(" ".join(item.stem + item.options))))

    for n, line in enumerate(text.split("\n"), 1):
        raw = line.strip()
        if not raw:
            continue
        option, answer = _OPTION.match(raw), _ANSWER.match(raw)
        if answer:
            if q is None:
                skipped.append(Skipped((n, n), "ANSWER 行前面没有题目", clip(raw)))
            else:
                _finish(q, n, answer.group(1), entries, skip)
            q = None
        elif option:
            if q is None:
                q = _Pending(n, problem="选项前面没有题干")
            letter = unicodedata.normalize("NFKC", option.group(1))
            expected = OPTION_LETTERS[len(q.options)] if len(q.options) < len(OPTION_LETTERS) else "I"
            if letter != expected and not q.problem:
                q.problem = f"选项字母应为 {expected}, 读到 {letter}"
            q.options.append(option.group(2).strip())
        else:
            if q is not None and q.options:
                skip(q, last, UNFINISHED)
                q = None
            if q is None:
                q = _Pending(n)
            q.stem.append(raw)
        last = n
    if q is not None:
        skip(q, last, UNFINISHED)
    return entries, skipped


def _finish(q: _Pending, end: int, answer: str, entries: list[Entry], skip) -> None:  # noqa: ANN001
    letters = list(re.sub(r"[\s,，、;；]", "", unicodedata.normalize("NFKC", answer).upper()))
    if q.problem:
        return skip(q, end, q.problem)
    if len(q.options) < 2:
        return skip(q, end, f"至少需要两个选项, 只有 {len(q.options)} 个")
    if len(q.options) > len(OPTION_LETTERS):
        return skip(q, end, f"最多 8 个选项 (A–H), 读到 {len(q.options)} 个")
    if "" in q.options:
        return skip(q, end, f"选项 {OPTION_LETTERS[q.options.index('')]} 为空")
    valid = OPTION_LETTERS[: len(q.options)]
    if not letters or any(c not in valid for c in letters) or len(set(letters)) != len(letters):
        return skip(q, end, f"答案 {answer.strip()!r} 应为选项 {valid[0]}–{valid[-1]} 中的字母")
    notes = ("Aiken 格式只有一个答案, 此题有多个, 按多选题导入",) if len(letters) > 1 else ()
    entries.append(Entry(type=QuestionType.MULTIPLE if len(letters) > 1 else QuestionType.SINGLE,
                         stem="\n".join(q.stem), options=tuple(q.options), answer=tuple(sorted(letters)),
                         lines=(q.first, end), notes=notes))


def looks_like_aiken(data: bytes, suffix: str = "") -> bool:
    """Aiken when most question-like blocks end in an ``ANSWER:`` line (a text dump's blocks have none)."""
    text = data[:65536].lstrip(codecs.BOM_UTF8).decode("utf-8", "ignore").replace("\r", "")
    if not re.search(r"^\s*ANSWER\s*[:：]", text, re.M):
        return False
    entries, skipped = parse(text)
    unfinished = sum(1 for s in skipped if s.reason == UNFINISHED)
    return len(entries) + len(skipped) - unfinished > unfinished


def read_aiken(data: bytes, filename: str) -> SourceRead:
    text, traditional = plain_text_of(data, filename)
    entries, skipped = parse(text)
    return SourceRead("aiken", entries=entries, skipped=skipped, traditional=traditional)
