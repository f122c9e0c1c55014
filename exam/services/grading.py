"""Grading: automatic for objective items, trainer marking for the rest, then the final result."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    IllegalTransition,
    PaperItem,
    QuestionVersion,
    User,
    answers_by_item,
    record_audit,
)
from exam.services.certificates import CertificateSettings, issue_certificate
from exam.services.qtypes import qtype


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


def grade_attempt(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> None:
    """Score every objective item; the result is final at once when no item needs a trainer."""
    level = attempt.level
    answers = answers_by_item(session, attempt.id)
    # the paper's question versions in one query (the items then find them in the identity map)
    session.scalars(select(QuestionVersion).where(
        QuestionVersion.id.in_([i.question_version_id for i in attempt.items]))).all()
    for item in attempt.items:
        answer = answers.get(item.id)
        if answer is None:
            answer = Answer(attempt_id=attempt.id, paper_item_id=item.id, response=None, seq=0)
            session.add(answer)
        answer.score = qtype(item.type).grade(
            answer.response, item.question_version.answer, item.points,
            partial_credit=level.multiple_partial_credit,
        )
    session.flush()
    _finalize_if_complete(session, attempt, now, settings)


def _finalize_if_complete(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> None:
    scores = session.scalars(select(Answer.score).where(Answer.attempt_id == attempt.id)).all()
    if len(scores) < len(attempt.items) or any(s is None for s in scores):
        return
    attempt.mark_graded(round(sum(scores), 2), now)
    session.flush()
    if attempt.passed and attempt.kind is AttemptKind.CERTIFICATION:
        issue_certificate(session, attempt, now, settings)


def mark_answer(session: Session, answer: Answer, points: float, comment: str, marker: User, now: datetime,
                settings: CertificateSettings) -> None:
    """A trainer's mark for a short-answer or case-study item, within the item's maximum."""
    item = answer.item
    attempt = item.attempt
    if attempt.state not in (AttemptState.SUBMITTED, AttemptState.EXPIRED):
        raise IllegalTransition("该试卷已定分, 不能再修改评分。")
    if not item.type.is_manual:
        raise IllegalTransition("客观题由系统自动评分。")
    if not 0 <= points <= item.points:
        raise IllegalTransition(f"得分应在 0 到 {item.points} 分之间。")
    answer.score, answer.marker_comment, answer.marked_by_id, answer.marked_at = (
        float(points), comment.strip(), marker.id, now)
    session.flush()
    record_audit(session, at=now, actor_id=marker.id, action="answer.mark", entity=answer,
                 attempt_id=attempt.id, position=item.position, points=float(points))
    _finalize_if_complete(session, attempt, now, settings)


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


def area_results(session: Session, attempt: Attempt) -> list[AreaResult]:
    answers = answers_by_item(session, attempt.id)
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, int] = defaultdict(int)
    for item in attempt.items:
        possible[item.area_code] += item.points
        a = answers.get(item.id)
        earned[item.area_code] += (a.score or 0.0) if a else 0.0
    return [AreaResult(area, round(earned[area], 2), possible[area]) for area in sorted(possible)]
