"""A trainer's changes to single questions: create, revise, retire / reactivate, and the look-ups they need."""
from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import IllegalTransition, Question, QuestionStatus, QuestionVersion, record_audit
from exam.services.bank_sync import add_questions, regroup_question, revise_question
from question_bank import QuestionRecord
from question_bank.normalize import stem_fingerprint

S = QuestionStatus
#: status → statuses a trainer may move it to
TRANSITIONS: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    S.DRAFT: frozenset({S.ACTIVE, S.RETIRED}),
    S.ACTIVE: frozenset({S.RETIRED}),
    S.RETIRED: frozenset({S.ACTIVE}),
}
STATUS_LABELS = {S.DRAFT: "草稿", S.ACTIVE: "启用", S.RETIRED: "停用"}


def next_keys(session: Session, area: str, count: int) -> list[str]:
    """``count`` unused keys for new questions of ``area``: W05-001, W05-002, … continuing the area's numbers."""
    pattern = re.compile(rf"^{re.escape(area)}-(\d+)$")
    used = [int(m.group(1)) for k in session.scalars(select(Question.key).where(Question.key.like(f"{area}-%")))
            if (m := pattern.match(k))]
    start = max(used, default=0) + 1
    return [f"{area}-{n:03d}" for n in range(start, start + count)]


def find_duplicates(session: Session, stems: Iterable[str], *, exclude_keys: Iterable[str] = ()) -> dict[str, list[str]]:
    """Folded-stem fingerprint → keys of existing questions (current versions) with that stem."""
    fingerprints = sorted({stem_fingerprint(s) for s in stems})
    excluded = set(exclude_keys)
    found: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(fingerprints), 500):
        rows = session.execute(
            select(QuestionVersion.fingerprint, Question.key)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(QuestionVersion.fingerprint.in_(fingerprints[i:i + 500]))
            .order_by(Question.key)
        )
        for fp, key in rows:
            if key not in excluded:
                found[fp].append(key)
    return dict(found)


def create_question(session: Session, record: QuestionRecord, *, status: QuestionStatus, actor_id: int | None,
                    now: datetime) -> Question:
    """A new question from a trainer's form; the key is assigned from the area's numbering."""
    key = next_keys(session, record.area, 1)[0]
    record = dataclasses.replace(record, key=key)
    (qid,) = add_questions(session, [record], status=status, source="手工录入", now=now, actor_id=actor_id)
    question = session.get(Question, qid)
    assert question is not None
    record_audit(session, at=now, actor_id=actor_id, action="question.create", entity=question, key=key,
                 status=status.value, use=question.use.value)
    return question


def edit_question(session: Session, question: Question, record: QuestionRecord, *, actor_id: int | None,
                  now: datetime) -> QuestionVersion | None:
    """Save a trainer's edit as a new version; earlier versions stay for the papers that used them."""
    return revise_question(session, question, dataclasses.replace(record, key=question.key),
                           now=now, actor_id=actor_id, source="手工编辑")


def change_status(session: Session, question: Question, status: QuestionStatus, *, actor_id: int | None,
                  now: datetime) -> None:
    """Retire, reactivate or activate a question; refuses moves the workflow does not allow."""
    if status not in TRANSITIONS[question.status]:
        raise IllegalTransition(f"题目 {question.key} 当前为{STATUS_LABELS[question.status]}, 不能改为{STATUS_LABELS[status]}")
    before = question.status
    question.status = status
    question.updated_at = now
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="question.status", entity=question, key=question.key,
                 before=before.value, after=status.value)


def set_enemy_group(session: Session, question: Question, group: str, *, actor_id: int | None, now: datetime) -> bool:
    """Mark the questions that give each other away; at most one of a group goes on a paper."""
    return regroup_question(session, question, group, now=now, actor_id=actor_id)
