"""Starting attempts (papers prepared in the lobby or chosen at the start) and the exam page's reads;
saving is ``exam.services.autosave``. Services flush; callers commit once."""
from __future__ import annotations

import dataclasses
import json
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
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
    Sitting,
    User,
    record_audit,
)
from exam.services.assembly import Paper
from exam.services.autosave import PaperRows
from exam.services.certificates import CertificateSettings
from exam.services.grading import finalize_overdue, submit_attempt
from exam.services.paper_pools import active_pool, load_pool_papers, take_pool_paper, unfit_among
from exam.services.papers import draw_paper, seen_questions
from exam.services.qtypes import qtype
from exam.services.version_cache import client_view, load_shown
from question_bank import QuestionUse


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
        return _new_attempt(session, user, level, now, kind, sitting, extra_minutes, seed=prepared.seed,
                            total_points=prepared.total_points, pool_paper_id=prepared.pool_paper_id,
                            items=prepared.items)
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
    attempt = _new_attempt(session, user, level, now, kind, sitting, extra_minutes, seed=seed,
                           total_points=paper.total_points, pool_paper_id=pool_paper_id,
                           items=json.dumps(_paper_items(paper, rng, session)))
    if paper.repeated:
        record_audit(session, at=now, actor_id=user.id, action="attempt.repeats", entity=attempt,
                     repeated=paper.repeated, note="题库不足, 重考试卷含此前见过的题目 (已尽量少)")
    return attempt


def _new_attempt(session: Session, user: User, level: Level, now: datetime, kind: AttemptKind,
                 sitting: Sitting | None, extra_minutes: int, *, seed: int, total_points: int,
                 pool_paper_id: int | None, items: str) -> Attempt:
    """The attempt, added with its paper's rows (``items``: the JSON document of :func:`_paper_items`)."""
    attempt = Attempt(
        user_id=user.id, level_id=level.id, state=AttemptState.IN_PROGRESS, seed=seed, started_at=now,
        deadline_at=now + Attempt.duration_for(level) + timedelta(minutes=extra_minutes), pass_mark=level.pass_mark,
        total_points=total_points, pool_paper_id=pool_paper_id, kind=kind,
        sitting_id=sitting.id if sitting is not None else None,
    )
    session.add(attempt)
    session.flush()
    conn = session.connection()
    conn.execute(text(_INSERT_ITEMS[conn.dialect.name]), {"attempt": attempt.id, "rows": items})
    return attempt


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
