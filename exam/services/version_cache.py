"""Per-process copies of question versions' content, which never changes once a version exists.

When thousands of candidates open and submit the same pool papers in the same minute, each question's
stem, options and key are read from the database once per process instead of once per candidate.
Only committed versions are read here, so a copy can never disagree with the database.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import QuestionVersion

#: version id → (stem, options)
SHOWN: dict[int, tuple[str, list[str]]] = {}
#: version id → answer key (canonical form)
KEYS: dict[int, Any] = {}
LIMIT = 50_000


def load_shown(session: Session, version_ids: set[int]) -> dict[int, tuple[str, list[str]]]:
    """``SHOWN`` holding at least these versions (one query for those it lacks)."""
    _fill(session, SHOWN, version_ids, QuestionVersion.stem, QuestionVersion.options)
    return SHOWN


def load_keys(session: Session, version_ids: set[int]) -> dict[int, Any]:
    """``KEYS`` holding at least these versions (one query for those it lacks)."""
    _fill(session, KEYS, version_ids, QuestionVersion.answer)
    return KEYS


def _fill(session: Session, cache: dict[int, Any], version_ids: set[int], *columns: Any) -> None:
    missing = version_ids - cache.keys()
    if not missing:
        return
    if len(cache) + len(missing) > LIMIT:
        cache.clear()
        missing = set(version_ids)
    for vid, *values in session.execute(select(QuestionVersion.id, *columns).where(QuestionVersion.id.in_(missing))):
        cache[vid] = tuple(values) if len(values) > 1 else values[0]


def forget() -> None:
    """Drop every copy (tests, whose rolled-back rows may reuse ids)."""
    SHOWN.clear()
    KEYS.clear()
