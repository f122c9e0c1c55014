"""Starting, saving, submitting and expiring attempts. Services flush; callers commit once."""
from __future__ import annotations

import dataclasses
import functools
import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    Enrolment,
    Level,
    PaperItem,
    PreparedPaper,
    Question,
    QuestionVersion,
    Role,
    Sitting,
    User,
    UserRole,
    record_audit,
)
from exam.services.assembly import Paper
from exam.services.certificates import CertificateSettings
from exam.services.grading import finalize_overdue, submit_attempt
from exam.services.paper_pools import active_pool, load_pool_papers, take_pool_paper, unfit_among
from exam.services.papers import draw_paper, seen_questions
from exam.services.qtypes import ResponseError, qtype
from exam.services.version_cache import client_view, load_shown
from question_bank import QuestionType, QuestionUse


def start_attempt(session: Session, user: User, level: Level, now: datetime, settings: CertificateSettings,
                  seed: int | None = None, *, kind: AttemptKind = AttemptKind.CERTIFICATION,
                  sitting: Sitting | None = None, extra_minutes: int = 0,
                  enrolment_id: int | None = None) -> Attempt:
    """Open attempt for (user, level, kind) if there is one, else a new one with a fresh paper.

    An open attempt whose deadline passed is finalised first (it may even earn a certificate).
    A certification attempt takes a paper from the sitting's pool (else the level's active pool,
    else it is drawn) of exam-usable questions (考试, 两者), and first hands in the trainee's running
    mocks, so nothing answered on a mock after seeing a certification paper is ever scored. A mock
    attempt is always drawn, so mocks never expose pool papers, from practice-usable questions (练习,
    两者) and never with a question of the trainee's running certification paper or its enemy group.
    The deadline is the level's duration plus ``extra_minutes`` (accommodation). A paper prepared for
    ``enrolment_id`` in the lobby (:func:`prepare_paper`) is used when it still fits.
    Who may start what (sitting window, eligibility, no mock beside a certification) is decided by the
    callers.
    """
    wanted = (Attempt.level_id == level.id) & (Attempt.kind == kind)
    if kind is AttemptKind.CERTIFICATION:
        wanted |= Attempt.kind == AttemptKind.MOCK
    running = session.scalars(select(Attempt).where(  # the open attempt and, for a certification, the mocks
        Attempt.user_id == user.id, Attempt.state == AttemptState.IN_PROGRESS, wanted).order_by(Attempt.id)).all()
    open_attempt = next((a for a in running if a.level_id == level.id and a.kind is kind), None)
    if open_attempt is not None and not open_attempt.is_overdue(now):
        return open_attempt
    if open_attempt is not None:
        finalize_overdue(session, open_attempt, now, settings)
    seen = seen_questions(session, user.id, level)
    mock = kind is AttemptKind.MOCK
    if not mock:
        _hand_in_mocks(session, user, [a for a in running if a.kind is AttemptKind.MOCK], now, settings)
    prepared = None if enrolment_id is None or seed is not None else _take_prepared(
        session, enrolment_id, level, sitting, seen)
    if prepared is not None:
        attempt = _new_attempt(user, level, now, kind, sitting, extra_minutes, seed=prepared.seed,
                               total_points=prepared.total_points, pool_paper_id=prepared.pool_paper_id)
        session.add(attempt)
        session.flush()
        _insert_paper_items(session, attempt.id, prepared.items)
        return attempt
    seed = secrets.randbits(31) if seed is None else seed
    rng = random.Random(seed)
    taken = None if mock else take_pool_paper(
        session, level, seen, pool=sitting.pool if sitting is not None else None)
    # a pre-assembled paper when the level has a pool (no solving at a synchronized start)
    if taken:  # the same questions as others given this paper, in an order of its own within each section
        pool_paper_id, paper = taken[0], _shuffled_within_sections(taken[1], rng)
    elif mock:
        pool_paper_id, paper = None, draw_paper(session, level, rng, seen=seen, purpose=QuestionUse.PRACTICE,
                                                exclude=on_running_certification(session, user))
    else:
        pool_paper_id, paper = None, draw_paper(session, level, rng, seen=seen, purpose=QuestionUse.EXAM)
    attempt = _new_attempt(user, level, now, kind, sitting, extra_minutes, seed=seed,
                           total_points=paper.total_points, pool_paper_id=pool_paper_id)
    session.add(attempt)
    session.flush()
    _insert_paper_items(session, attempt.id, json.dumps(_paper_items(paper, rng, session)))
    if paper.repeated:
        record_audit(session, at=now, actor_id=user.id, action="attempt.repeats", entity=attempt,
                     repeated=paper.repeated, note="题库不足, 重考试卷含此前见过的题目 (已尽量少)")
    return attempt


def _new_attempt(user: User, level: Level, now: datetime, kind: AttemptKind, sitting: Sitting | None,
                 extra_minutes: int, *, seed: int, total_points: int, pool_paper_id: int | None) -> Attempt:
    return Attempt(
        user_id=user.id, level_id=level.id, state=AttemptState.IN_PROGRESS, seed=seed, started_at=now,
        deadline_at=now + Attempt.duration_for(level) + timedelta(minutes=extra_minutes), pass_mark=level.pass_mark,
        total_points=total_points, pool_paper_id=pool_paper_id, kind=kind,
        sitting_id=sitting.id if sitting is not None else None,
    )


def prepare_paper(session: Session, enrolment: Enrolment, now: datetime, seed: int | None = None) -> bool:
    """Make the enrolment's certification paper ready before the sitting starts (the trainee waits in the
    lobby): a pool paper chosen as a start would choose it, its items and options ordered for this trainee.
    Nothing is shown; the start copies it into the attempt. False when there is nothing to prepare: an
    attempt or a prepared paper exists, the window has closed, or the sitting's level has no pool (a start
    then draws the paper). The pool paper counts as given from now on."""
    sitting = enrolment.sitting
    if now >= sitting.ends_at or session.get(PreparedPaper, enrolment.id) is not None or session.scalar(
            select(Attempt.id).where(Attempt.sitting_id == sitting.id, Attempt.user_id == enrolment.user_id)):
        return False
    level = sitting.level
    pool = sitting.pool or active_pool(session, level)
    if pool is None:
        return False
    seed = secrets.randbits(31) if seed is None else seed
    rng = random.Random(seed)
    taken = take_pool_paper(session, level, seen_questions(session, enrolment.user_id, level), pool=pool)
    if taken is None:
        return False
    paper = _shuffled_within_sections(taken[1], rng)
    try:
        with session.begin_nested():  # the lobby's page and its countdown may both prepare at the same moment
            session.add(PreparedPaper(enrolment_id=enrolment.id, pool_id=pool.id, pool_paper_id=taken[0], seed=seed,
                                      total_points=paper.total_points, prepared_at=now,
                                      items=json.dumps(_paper_items(paper, rng, session))))
    except IntegrityError:
        return False
    return True


def _take_prepared(session: Session, enrolment_id: int, level: Level, sitting: Sitting | None,
                   seen: set[int]) -> Any:
    """The paper prepared for the enrolment, taken (deleted) in the same statement; None when there is none
    or it no longer fits: its pool is not the one a start would use now, or it holds a question the trainee
    has seen since (practice shows keys) or that was retired or made 练习 since."""
    table = PreparedPaper.__table__
    row = session.execute(delete(table).where(table.c.enrolment_id == enrolment_id).returning(
        table.c.pool_id, table.c.pool_paper_id, table.c.seed, table.c.total_points, table.c["items"])).first()
    if row is None:
        return None
    pool_id = sitting.pool_id if sitting is not None and sitting.pool_id is not None else getattr(
        active_pool(session, level), "id", None)
    if row.pool_id != pool_id:
        return None
    questions = {r[0] for r in load_pool_papers(session, {row.pool_paper_id})[row.pool_paper_id]}
    if seen & questions or unfit_among(session, questions):
        return None
    return row


def _hand_in_mocks(session: Session, user: User, mocks: list[Attempt], now: datetime,
                   settings: CertificateSettings) -> None:
    """Submit the trainee's running mock exams (graded from their saved answers) before a certification paper
    is shown."""
    for attempt in mocks:
        submit_attempt(session, attempt, now, settings)
        record_audit(session, at=now, actor_id=user.id, action="attempt.mock_handed_in", entity=attempt,
                     note="开始正式考试时自动交卷")


def on_running_certification(session: Session, user: User) -> set[int]:
    """Questions on the trainee's running certification papers, and those in their enemy groups."""
    ids = set(session.scalars(
        select(QuestionVersion.question_id).join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == PaperItem.attempt_id)
        .where(Attempt.user_id == user.id, Attempt.kind == AttemptKind.CERTIFICATION,
               Attempt.state == AttemptState.IN_PROGRESS)))
    if ids:
        groups = select(Question.enemy_group).where(Question.id.in_(ids), Question.enemy_group.is_not(None))
        ids |= set(session.scalars(select(Question.id).where(Question.enemy_group.in_(groups))))
    return ids


def _shuffled_within_sections(paper: Paper, rng: random.Random) -> Paper:
    sections: dict[object, list] = {}
    for e in paper.items:
        sections.setdefault(e.type, []).append(e)
    for items in sections.values():
        rng.shuffle(items)
    return dataclasses.replace(paper, items=tuple(e for items in sections.values() for e in items))


#: the paper's rows travel as one JSON document that the database expands: one parameter instead of 85 × 8
#: (at a synchronized start, binding each value was the largest cost of opening a paper)
_INSERT_ITEMS = {
    "postgresql": """INSERT INTO paper_items (attempt_id, position, question_version_id, area_code, type, difficulty,
                                              points, option_order)
        SELECT :attempt, r.position, r.question_version_id, r.area_code, r.type, r.difficulty, r.points, r.option_order
        FROM json_to_recordset(CAST(:rows AS json)) AS r(position int, question_version_id int, area_code text,
                                                           type text, difficulty text, points int, option_order json)""",
    "sqlite": """INSERT INTO paper_items (attempt_id, position, question_version_id, area_code, type, difficulty,
                                          points, option_order)
        SELECT :attempt, json_extract(j.value, '$.position'), json_extract(j.value, '$.question_version_id'),
               json_extract(j.value, '$.area_code'), json_extract(j.value, '$.type'),
               json_extract(j.value, '$.difficulty'), json_extract(j.value, '$.points'),
               json_extract(j.value, '$.option_order')
        FROM json_each(:rows) AS j""",
}


def _insert_paper_items(session: Session, attempt_id: int, rows: str) -> None:
    """``rows``: the JSON document of :func:`_paper_items`."""
    conn = session.connection()
    conn.execute(text(_INSERT_ITEMS[conn.dialect.name]), {"attempt": attempt_id, "rows": rows})


def _paper_items(paper: Paper, rng: random.Random, session: Session) -> list[dict[str, Any]]:
    """The paper's rows for ``paper_items``: points, cell and a shuffled option order per choice item."""
    shown = load_shown(session, {e.version_id for e in paper.items if e.type.is_choice})
    items = []
    for pos, e in enumerate(paper.items, start=1):
        order: list[int] = []
        if e.type.is_choice:
            order = list(range(len(shown[e.version_id][1])))
            rng.shuffle(order)
        items.append({"position": pos, "question_version_id": e.version_id, "area_code": e.area,
                      "type": e.type.value, "difficulty": e.difficulty.value, "points": e.points,
                      "option_order": order})
    return items


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


def exam_page(session: Session, attempt: Attempt,
              now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any], PaperRows | None]:
    """What the exam page shows of each item, in paper order (never a key or an explanation), the page's
    state (:func:`client_state`) and the paper's rows for its saves (None if its positions do not run 1…n),
    read in one query of the paper's rows with their saved answers.

    The paper's versions are read in one query of only the columns shown (stem, options), once per process:
    a version never changes, so when thousands open pool papers at the same minute the work is done once per
    question.
    """
    rows = session.connection().execute(
        select(PaperItem.id, PaperItem.position, PaperItem.type, PaperItem.points, PaperItem.option_order,
               PaperItem.question_version_id, Answer.response, Answer.flagged, Answer.seq)
        .outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
        .where(PaperItem.attempt_id == attempt.id).order_by(PaperItem.position)).all()
    load_shown(session, {r.question_version_id for r in rows})
    items, saved = [], {}
    for r in rows:
        order = tuple(r.option_order)
        items.append({"position": r.position, "type": r.type.value, "type_label": r.type.label, "points": r.points,
                      "version_id": r.question_version_id, "order": order,
                      **client_view(r.type, r.question_version_id, order)})
        if r.seq is not None:
            saved[str(r.position)] = {"response": qtype(r.type).display(r.response, order), "flagged": r.flagged,
                                      "seq": r.seq}
    paper = (tuple(r.id for r in rows), tuple(r.type for r in rows), tuple(tuple(r.option_order) for r in rows)) \
        if [r.position for r in rows] == list(range(1, len(rows) + 1)) else None
    return items, _state(attempt, now, saved), paper


def client_state(session: Session, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Everything the exam page needs to resume: saved answers, flags, the true remaining time (plain rows of
    the saved answers only: a page opened at the start has none)."""
    saved = {}
    for position, item_type, order, response, flagged, seq in session.connection().execute(
            select(PaperItem.position, PaperItem.type, PaperItem.option_order, Answer.response, Answer.flagged,
                   Answer.seq).join(PaperItem, PaperItem.id == Answer.paper_item_id)
            .where(Answer.attempt_id == attempt.id)):
        saved[str(position)] = {"response": qtype(item_type).display(response, order), "flagged": flagged, "seq": seq}
    return _state(attempt, now, saved)


def _state(attempt: Attempt, now: datetime, saved: dict[str, Any]) -> dict[str, Any]:
    return {
        "attempt": attempt.id,
        "state": attempt.state.value,
        "remaining_seconds": attempt.remaining_seconds(now),
        "max_seq": max((a["seq"] for a in saved.values()), default=0),
        "answers": saved,
    }
