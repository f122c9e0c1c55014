"""What reading a dump produces: recognised items, skipped items with reasons, and whether it was Traditional."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from question_bank.records import LEVEL_CODES, Difficulty, QuestionRecord, QuestionType


@dataclass(frozen=True)
class ParsedItem:
    """One recognised item; ``answer`` has the shape of ``QuestionRecord.answer``; ``lines`` are 1-based, inclusive."""

    type: QuestionType
    stem: str
    options: tuple[str, ...]
    answer: Any
    lines: tuple[int, int]
    notes: tuple[str, ...] = ()
    heading: str = ""

    def to_record(self, *, key: str, area: str, difficulty: Difficulty = Difficulty.MEDIUM,
                  levels: tuple[str, ...] = LEVEL_CODES) -> QuestionRecord:
        """The bank record for this item; raises ``BankError`` if ``key``, ``area`` or ``levels`` are invalid."""
        return QuestionRecord(key=key, type=self.type, area=area, difficulty=difficulty, stem=self.stem,
                              answer=self.answer, options=self.options, levels=levels)


@dataclass(frozen=True)
class Skipped:
    """An item (or item-like text) that was not imported; ``reason`` says why in the trainer's words."""

    lines: tuple[int, int]
    reason: str
    excerpt: str


@dataclass
class DumpResult:
    items: list[ParsedItem]
    skipped: list[Skipped]
    traditional: bool
