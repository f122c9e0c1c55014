"""The starter bank: original questions written for this platform, one JSON file per area group."""
from __future__ import annotations

from importlib import resources

from question_bank.jsonio import loads_bank
from question_bank.records import BankError, QuestionRecord


def load_starter_bank() -> list[QuestionRecord]:
    """Every starter question, validated; keys are unique across files."""
    records: list[QuestionRecord] = []
    seen: set[str] = set()
    files = sorted(p for p in resources.files("question_bank").joinpath("starter_data").iterdir() if p.name.endswith(".json"))
    for f in files:
        for q in loads_bank(f.read_text(encoding="utf-8"), source=f.name):
            if q.key in seen:
                raise BankError(f"{f.name}: 编号 {q.key} 在其他文件中已出现")
            seen.add(q.key)
            records.append(q)
    return records
