"""Read trainers' text dumps (copied study sites, OCR'd PDFs) into question items, reporting what was skipped.

The shapes and damage handled are those of ``shared/question-formats.md``: numbered items with or without
type labels, answers after a label, in the stem's parentheses or as a ``(√)`` verdict, Traditional script,
OCR'd blanks, site watermarks, page furniture and misread numbers; and what real files carry between the
items (``layout``): titles, tables of contents, page headers, closing remarks, explanations (解析).
Items are ``Entry`` records, the type every reader yields. Never guesses an answer.
"""
from __future__ import annotations

from question_bank.dumps.document import prepare
from question_bank.dumps.items import build_item, skipped
from question_bank.dumps.model import DumpResult, ParsedItem, Skipped
from question_bank.dumps.scanner import Scanner
from question_bank.records import Entry

__all__ = ["DumpResult", "Entry", "ParsedItem", "Skipped", "parse_dump"]


def parse_dump(text: str) -> DumpResult:
    """Parse a whole dump; every returned item makes a valid ``QuestionRecord``, everything else is in ``skipped``."""
    doc = prepare(text)
    segments, strays = Scanner(doc).run()
    result = DumpResult([], [], doc.traditional)
    for seg in segments:
        read = build_item(doc, seg)
        (result.items if isinstance(read, Entry) else result.skipped).append(read)
    result.skipped += [skipped(doc, a, b, "有答案但找不到题号, 已跳过") for a, b in strays]
    result.skipped.sort(key=lambda s: s.lines)
    return result
