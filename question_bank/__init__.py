"""The question bank's interchange layer: record types, the versioned JSON format, starter data.

Framework-free on purpose: nothing here imports Flask or SQLAlchemy.
"""
from question_bank.jsonio import FORMAT_NAME, FORMAT_VERSION, dump_bank, dumps_bank, load_bank, loads_bank
from question_bank.records import (
    AREA_CODES,
    LEVEL_CODES,
    BankError,
    Difficulty,
    QuestionRecord,
    QuestionType,
    QuestionUse,
    count_blanks,
)
from question_bank.starter import load_starter_bank

__all__ = [
    "AREA_CODES", "LEVEL_CODES", "BankError", "Difficulty", "QuestionRecord", "QuestionType", "QuestionUse",
    "count_blanks", "FORMAT_NAME", "FORMAT_VERSION", "dump_bank", "dumps_bank", "load_bank",
    "loads_bank", "load_starter_bank",
]
