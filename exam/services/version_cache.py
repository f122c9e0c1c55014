"""Per-process copies of content that never changes once it exists: question versions and stored pool papers.

When thousands of candidates open and submit the same pool papers in the same minute, each paper's
rows and each question's stem, options, display form and key are read from the database once per
process instead of once per candidate. Only committed rows are read here, so a copy can never
disagree with the database.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import PoolPaper, QuestionVersion
from exam.services.qtypes import qtype

#: version id → (stem, options)
SHOWN: dict[int, tuple[str, list[str]]] = {}
#: version id → answer key (canonical form)
KEYS: dict[int, Any] = {}
#: pool paper id → its item rows [question id, version id, area, type, difficulty, points]
POOL_PAPERS: dict[int, list[list]] = {}
#: anything computed from the content above alone (e.g. an item's rendered HTML), keyed by its inputs
DERIVED: dict[tuple, Any] = {}
LIMIT = 50_000


def load_shown(session: Session, version_ids: set[int]) -> dict[int, tuple[str, list[str]]]:
    """``SHOWN`` holding at least these versions (one query for those it lacks)."""
    _fill(session, SHOWN, version_ids, QuestionVersion.stem, QuestionVersion.options)
    return SHOWN


def load_keys(session: Session, version_ids: set[int]) -> dict[int, Any]:
    """``KEYS`` holding at least these versions (one query for those it lacks)."""
    _fill(session, KEYS, version_ids, QuestionVersion.answer)
    return KEYS


def load_pool_papers(session: Session, paper_ids: set[int]) -> dict[int, list[list]]:
    """``POOL_PAPERS`` holding at least these stored papers (one query for those it lacks)."""
    _fill(session, POOL_PAPERS, paper_ids, PoolPaper.items, key=PoolPaper.id)
    return POOL_PAPERS


@functools.lru_cache(maxsize=100_000)
def client_view(qt: Any, version_id: int, order: tuple[int, ...]) -> dict[str, Any]:
    """The exam page's form of one version under one option order (call ``load_shown`` first)."""
    stem, options = SHOWN[version_id]
    return qtype(qt).client_view(stem, list(options), list(order))


def derived(key: tuple, build: Callable[[], Any]) -> Any:
    """``build()`` once per process for ``key``, which must name every input it depends on (version ids, …)."""
    value = DERIVED.get(key)
    if value is None:
        if len(DERIVED) >= LIMIT:
            DERIVED.clear()
        value = DERIVED[key] = build()
    return value


def _fill(session: Session, cache: dict[int, Any], ids: set[int], *columns: Any, key: Any = QuestionVersion.id) -> None:
    missing = ids - cache.keys()
    if not missing:
        return
    if len(cache) + len(missing) > LIMIT:
        cache.clear()
        missing = set(ids)
    for row_id, *values in session.execute(select(key, *columns).where(key.in_(missing))):
        cache[row_id] = tuple(values) if len(values) > 1 else values[0]


def forget() -> None:
    """Drop every copy (tests, whose rolled-back rows may reuse ids)."""
    SHOWN.clear()
    KEYS.clear()
    POOL_PAPERS.clear()
    DERIVED.clear()
    client_view.cache_clear()
