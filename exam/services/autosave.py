"""Autosave: a batch of a trainee's changes to a running attempt, checked and written in one statement.

Every guarantee holds on each save: only the attempt's owner (an active trainee, in this login's session)
saves, only while it runs and before its deadline (409 after it), an older sequence number never
overwrites a newer one, and keys never travel. Services flush; callers commit once.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text
from sqlalchemy.orm import Session

from exam.models import Answer, Attempt, AttemptState, PaperItem, Role, User, UserRole
from exam.services.qtypes import ResponseError, qtype
from question_bank import QuestionType


@dataclass
class SaveResult:
    saved: list[int]
    stale: list[int]
    #: what the page needs to keep its countdown true
    state: AttemptState
    remaining_seconds: int


class AttemptNotFound(LookupError):
    """No such attempt for this user."""


#: a page's sequence numbers count its changes (a 32-bit column); no paper has more items than this
MAX_SEQ = 2**31 - 1
MAX_POSITION = 10_000


class NotAllowed(PermissionError):
    """The user may not save (no trainee role, or the account is disabled)."""


#: a started paper's rows by position 1…n: item ids, types and option orders (what a save needs of them)
PaperRows = tuple[tuple[int, ...], tuple[QuestionType, ...], tuple[tuple[int, ...], ...]]


def save_answers(session: Session, attempt_id: int, user_id: int, changes: list[dict[str, Any]],
                 now: datetime, session_version: int | None = None, paper: PaperRows | None = None) -> SaveResult:
    """Apply changes ``{"item": position, "response", "flagged", "seq"}``; older sequence numbers lose.

    One query reads the attempt's row, its owner's standing (active, trainee) and only the changed items;
    the responses are checked against the items' types; one write stores every change, keeping the newest
    save of each item even between concurrent requests (``WHERE answers.seq < excluded.seq``). The write
    holds the attempt's row share-locked: a submit or the deadline sweep (which update that row) waits
    for it and grades it, or comes first and this save is refused with the new state.

    On PostgreSQL the write is one statement that locks the row, checks the state, the deadline and the
    owner's standing again and upserts, run outside an explicit transaction when the session is bound to
    the engine (two statements in all, no BEGIN and COMMIT); on SQLite the read takes the lock (a write
    transaction) and an upsert follows. ``paper``: the attempt's rows as the exam page was given them
    (``exam.web.paper_token``, signed); on PostgreSQL the read is then skipped and the write is the only
    statement.
    """
    positions = set()
    for change in changes:
        seq = change.get("seq") if isinstance(change, dict) else None
        pos = change.get("item") if isinstance(change, dict) else None
        if (not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ
                or not isinstance(pos, int) or isinstance(pos, bool) or not 1 <= pos <= MAX_POSITION):
            raise ResponseError(f"无效的保存请求: {str(change)[:100]}")
        positions.add(pos)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        # bound to the engine (not inside a caller's transaction): each statement is its own transaction
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _save(conn, attempt_id, user_id, changes, positions, now, session_version, paper)
    return _save(session.connection(), attempt_id, user_id, changes, positions, now, session_version, paper)


def _save(conn: Connection, attempt_id: int, user_id: int, changes: list[dict[str, Any]], positions: set[int],
          now: datetime, session_version: int | None, paper: PaperRows | None) -> SaveResult:
    postgres = conn.dialect.name == "postgresql"
    if paper is None or not postgres:  # read the attempt, its owner's standing and the changed items
        rows = conn.execute(_save_read(lock=not postgres), {
            "attempt_id": attempt_id, "user_id": user_id, "positions": sorted(positions)}).all()
        if not rows:
            raise AttemptNotFound(attempt_id)
        _check_standing(rows[0], now, session_version)
        state, deadline_at = rows[0].state, rows[0].deadline_at
        items = {r.position: (r.id, r.type, r.option_order) for r in rows if r.id is not None}
    else:  # the paper as the page was given it: the write below checks the attempt and its owner
        state = deadline_at = None
        ids, types, orders = paper
        items = {p: (ids[p - 1], types[p - 1], orders[p - 1]) for p in positions if p <= len(ids)}
    try:
        latest = _latest_changes(changes, items)
    except ResponseError:
        if paper is not None:  # decided after the attempt and its owner are checked, as without the page's copy
            return _save(conn, attempt_id, user_id, changes, positions, now, session_version, None)
        raise
    written: set[int] = set()
    if postgres:  # lock, check again and write in one statement: the row may have changed since the read
        locked = conn.execute(_LOCKED_UPSERT, {
            "attempt_id": attempt_id, "user_id": user_id, "trainee": Role.TRAINEE.value,
            "in_progress": AttemptState.IN_PROGRESS.value, "now": now, "session_version": session_version,
            "rows": json.dumps(list(latest.values()), ensure_ascii=False)}).one_or_none()
        if locked is None:
            raise AttemptNotFound(attempt_id)
        _check_standing(locked, now, session_version)
        state, deadline_at, written = AttemptState(locked.state), locked.deadline_at, set(locked.written)
    elif latest:
        written = set(conn.execute(_upsert_answers(conn.dialect.name), [
            {**r, "attempt_id": attempt_id, "saved_at": now} for r in latest.values()]).scalars())
    by_id = {items[p][0]: p for p in positions if p in items}
    saved = sorted(by_id[i] for i in written)
    return SaveResult(saved=saved, stale=sorted(set(positions) - set(saved)), state=state,
                      remaining_seconds=max(0, int((deadline_at - now).total_seconds())))


def _latest_changes(changes: list[dict[str, Any]], items: dict[int, tuple]) -> dict[int, dict[str, Any]]:
    """Per paper item, the newest change of the batch, its response checked and in the version's own letters."""
    latest: dict[int, dict[str, Any]] = {}
    for change in changes:
        item = items.get(change["item"])
        if item is None:
            raise ResponseError(f"无效的保存请求: 第 {change['item']} 题不存在")
        item_id, item_type, order = item
        row = {"paper_item_id": item_id, "response": qtype(item_type).parse(change.get("response"), order),
               "flagged": bool(change.get("flagged", False)), "seq": change["seq"]}
        if item_id not in latest or latest[item_id]["seq"] < row["seq"]:
            latest[item_id] = row
    return latest


def _check_standing(row: Any, now: datetime, session_version: int | None) -> None:
    """The owner may save (active trainee, this login's session) and the attempt takes saves now."""
    if not row.active or not row.trainee or (session_version is not None and row.session_version != session_version):
        raise NotAllowed("the attempt's owner may not save now")
    Attempt.check_save_allowed(AttemptState(row.state), row.deadline_at, now)


#: PostgreSQL: the attempt's row share-locked, the rules of ``_check_standing`` again in SQL, and the
#: upsert of the batch only when they hold; returns what the check needs and the items written
_LOCKED_UPSERT = text("""
WITH lk AS (
    SELECT a.state, a.deadline_at, u.active, u.session_version,
           EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = :trainee) AS trainee
    FROM attempts a JOIN users u ON u.id = a.user_id
    WHERE a.id = :attempt_id AND a.user_id = :user_id
    FOR SHARE OF a
), ins AS (
    INSERT INTO answers (attempt_id, paper_item_id, response, flagged, seq, saved_at, marker_comment)
    SELECT :attempt_id, v.paper_item_id, v.response, v.flagged, v.seq, :now, ''
    FROM lk, json_to_recordset(CAST(:rows AS json)) AS v(paper_item_id int, response json, flagged boolean, seq int)
    WHERE lk.state = :in_progress AND lk.deadline_at > :now AND lk.active AND lk.trainee
      AND (CAST(:session_version AS int) IS NULL OR lk.session_version = CAST(:session_version AS int))
    ON CONFLICT (paper_item_id) DO UPDATE SET response = excluded.response, flagged = excluded.flagged,
        seq = excluded.seq, saved_at = excluded.saved_at
    WHERE answers.seq < excluded.seq
    RETURNING paper_item_id
)
SELECT lk.state, lk.deadline_at, lk.active, lk.session_version, lk.trainee,
       ARRAY(SELECT paper_item_id FROM ins) AS written
FROM lk
""")


@functools.cache
def _save_read(lock: bool) -> Any:
    """The attempt's row (share-locked with ``lock``), its owner's standing and the changed items, built once
    (a save executes it with new values only)."""
    trainee = (select(UserRole.id).where(UserRole.user_id == User.id, UserRole.role == Role.TRAINEE)
               .exists().label("trainee"))
    query = (select(Attempt.state, Attempt.deadline_at, User.active, User.session_version, trainee, PaperItem.id,
                    PaperItem.position, PaperItem.type, PaperItem.option_order)
             .join(User, User.id == Attempt.user_id)
             .outerjoin(PaperItem, (PaperItem.attempt_id == Attempt.id) & PaperItem.position.in_(
                 bindparam("positions", expanding=True)))
             .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id")))
    return query.with_for_update(read=True, of=Attempt) if lock else query


@functools.cache
def _upsert_answers(dialect: str) -> Any:
    """INSERT … ON CONFLICT (paper_item_id) DO UPDATE … WHERE answers.seq < excluded.seq RETURNING paper_item_id,
    built once per dialect so its compiled form is reused (the rows come as executemany parameters)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Answer.__table__
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.paper_item_id],
        set_={c: stmt.excluded[c] for c in ("response", "flagged", "seq", "saved_at")},
        where=table.c.seq < stmt.excluded.seq,
    ).returning(table.c.paper_item_id)
