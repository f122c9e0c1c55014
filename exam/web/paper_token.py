"""The exam page's signed copy of its paper's rows, which the page sends back with every autosave.

A started paper never changes, so the page can carry what a save needs of it (each position's item id,
type and option order), signed with the app's secret key and bound to the attempt. A save that brings a
valid copy is one statement, whichever worker or host receives it: nothing is read first and nothing is
kept per process. A missing, altered or foreign copy is ignored and the save reads the paper instead.
The write still checks the attempt, its owner and the deadline in SQL, so a copy grants nothing by itself.
"""
from __future__ import annotations

import functools
from itertools import accumulate
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from exam.services.autosave import PaperRows
from question_bank import QuestionType

#: longer than any paper's copy (85 items sign to about 500 characters)
MAX_LENGTH = 8_000
_SALT = "exam-paper-rows-v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def paper_token(attempt_id: int, rows: PaperRows) -> str:
    """The copy of ``rows`` (position 1…n) for attempt ``attempt_id``."""
    ids, types, orders = rows
    kinds = sorted({t.value for t in types})
    deltas = [ids[0]] + [b - a for a, b in zip(ids, ids[1:], strict=False)] if ids else []
    return _serializer().dumps([attempt_id, deltas, kinds, "".join(chr(97 + kinds.index(t.value)) for t in types),
                                [",".join(map(str, o)) for o in orders]])


def paper_rows(token: Any, attempt_id: int) -> PaperRows | None:
    """The rows signed into ``token`` when it is this attempt's copy, else None."""
    if not isinstance(token, str) or not token or len(token) > MAX_LENGTH:
        return None
    try:
        signed_for, deltas, kinds, codes, orders = _serializer().loads(token)
        if signed_for != attempt_id:
            return None
        ids = tuple(accumulate(deltas))
        by_code = {chr(97 + i): QuestionType(k) for i, k in enumerate(kinds)}
        types = tuple(map(by_code.__getitem__, codes))
        parsed = tuple(_order(o) for o in orders)
    except (BadData, ValueError, TypeError, KeyError):
        return None
    if not len(ids) == len(types) == len(parsed):
        return None
    return ids, types, parsed


@functools.lru_cache(maxsize=4096)
def _order(text: str) -> tuple[int, ...]:
    """An option order as signed (``"2,0,3,1"``); a paper has a few dozen distinct ones."""
    return tuple(map(int, text.split(","))) if text else ()
