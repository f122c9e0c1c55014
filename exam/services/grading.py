"""Grading: automatic for objective items, trainer marking for the rest (services.marking), then the final result."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    PaperItem,
    answers_by_item,
)
from exam.services.certificates import CertificateSettings, issue_certificate
from exam.services.qtypes import qtype
from exam.services.version_cache import load_keys


def submit_attempt(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> None:
    """Idempotent: a second submit of a finished attempt changes nothing."""
    if attempt.state is not AttemptState.IN_PROGRESS:
        return
    if attempt.is_overdue(now):
        finalize_overdue(session, attempt, now, settings)
        return
    attempt.submit(now)
    grade_attempt(session, attempt, now, settings)


def finalize_overdue(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> bool:
    """At the deadline the attempt is finalised from its saved answers, whether or not the trainee is there."""
    if not attempt.is_overdue(now):
        return False
    attempt.expire(now)
    grade_attempt(session, attempt, now, settings)
    return True


def finalize_expired(session: Session, now: datetime, settings: CertificateSettings) -> list[Attempt]:
    overdue = session.scalars(
        select(Attempt).where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at <= now)
        .order_by(Attempt.id)
    ).all()
    for attempt in overdue:
        finalize_overdue(session, attempt, now, settings)
    return list(overdue)


#: every item's score in one statement, the rows as one JSON document: an answered item's row gets its score, an
#: unanswered item a row of its own (blank response, sequence 0) with its score
_WRITE_SCORES = {
    "postgresql": """INSERT INTO answers (attempt_id, paper_item_id, response, flagged, seq, marker_comment, score)
        SELECT :attempt, r.pid, CAST('null' AS json), false, 0, '', r.score
        FROM json_to_recordset(CAST(:rows AS json)) AS r(pid int, score float)
        ON CONFLICT (paper_item_id) DO UPDATE SET score = excluded.score""",
    "sqlite": """INSERT INTO answers (attempt_id, paper_item_id, response, flagged, seq, marker_comment, score)
        SELECT :attempt, json_extract(value, '$.pid'), 'null', 0, 0, '', json_extract(value, '$.score')
        FROM json_each(:rows) WHERE true
        ON CONFLICT (paper_item_id) DO UPDATE SET score = excluded.score""",
}


def grade_attempt(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> None:
    """Score every objective item; the result is final at once when no item needs a trainer.

    Reads the paper's items and answers as plain rows and the keys from the per-process version copies,
    then writes every score (and a blank row for each unanswered item) in one statement: a submit spike
    grades without building 85 ORM objects or binding 85 rows per attempt.
    """
    items = session.execute(select(PaperItem.id, PaperItem.type, PaperItem.points, PaperItem.question_version_id)
                            .where(PaperItem.attempt_id == attempt.id)).all()
    responses = dict(session.execute(select(Answer.paper_item_id, Answer.response)
                                     .where(Answer.attempt_id == attempt.id)).all())
    keys = load_keys(session, {i.question_version_id for i in items})
    partial = attempt.level.multiple_partial_credit
    scores = {i.id: qtype(i.type).grade(responses.get(i.id), keys[i.question_version_id], i.points,
                                        partial_credit=partial) for i in items}
    conn = session.connection()
    conn.execute(text(_WRITE_SCORES[conn.dialect.name]), {
        "attempt": attempt.id, "rows": json.dumps([{"pid": pid, "score": score} for pid, score in scores.items()])})
    for obj in list(session.identity_map.values()):  # loaded answers of this attempt now read from the database
        if isinstance(obj, Answer) and obj.attempt_id == attempt.id:
            session.expire(obj)
    if len(scores) == len(items) and all(v is not None for v in scores.values()):
        _finalize(session, attempt, round(sum(scores.values()), 2), now, settings)


def finalize_if_complete(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> None:
    """Grade the attempt once every answer has its score (the last open answer's mark decided)."""
    scores = session.scalars(select(Answer.score).where(Answer.attempt_id == attempt.id)).all()
    if len(scores) < len(attempt.items) or any(s is None for s in scores):
        return
    _finalize(session, attempt, round(sum(scores), 2), now, settings)


def _finalize(session: Session, attempt: Attempt, score: float, now: datetime, settings: CertificateSettings) -> None:
    attempt.mark_graded(score, now)
    session.flush()
    if attempt.passed and attempt.kind is AttemptKind.CERTIFICATION:
        issue_certificate(session, attempt, now, settings)


def pending_marking(session: Session) -> list[Answer]:
    """Manual items of finished attempts that still wait for a trainer: certification attempts first
    (a certificate waits on them), mock exams after; oldest first within each."""
    return list(session.scalars(
        select(Answer).join(PaperItem, Answer.paper_item_id == PaperItem.id).join(Attempt)
        .where(Answer.score.is_(None), Attempt.state.in_([AttemptState.SUBMITTED, AttemptState.EXPIRED]))
        .order_by(Attempt.kind == AttemptKind.MOCK, Attempt.finished_at, PaperItem.position)
    ))


@dataclass(frozen=True)
class AreaResult:
    area: str
    earned: float
    possible: int
    #: points of this area's open items still waiting for a trainer (the result is provisional until 0)
    awaiting: int = 0


def area_results(session: Session, attempt: Attempt) -> list[AreaResult]:
    answers = answers_by_item(session, attempt.id)
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, int] = defaultdict(int)
    awaiting: dict[str, int] = defaultdict(int)
    for item in attempt.items:
        possible[item.area_code] += item.points
        a = answers.get(item.id)
        earned[item.area_code] += (a.score or 0.0) if a else 0.0
        if a is not None and a.score is None:
            awaiting[item.area_code] += item.points
    return [AreaResult(area, round(earned[area], 2), possible[area], awaiting[area]) for area in sorted(possible)]
