"""What reading a dump produces: recognised items, skipped items with reasons, and whether it was Traditional."""
from __future__ import annotations

from dataclasses import dataclass

from question_bank.records import Entry

#: the items a dump yields are the entries every reader yields (the name is kept for code that uses it)
ParsedItem = Entry


@dataclass(frozen=True)
class Skipped:
    """An item (or item-like text) that was not imported; ``reason`` says why in the trainer's words."""

    lines: tuple[int, int]
    reason: str
    excerpt: str


@dataclass
class DumpResult:
    items: list[Entry]
    skipped: list[Skipped]
    traditional: bool
