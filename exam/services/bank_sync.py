"""The only place that knows both the bank's interchange records and the ORM rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Question, QuestionStatus, QuestionVersion, levels_to_mask, mask_to_levels, record_audit
from question_bank import QuestionRecord
from question_bank.jsonio import record_from_dict, record_to_dict


@dataclass
class SyncReport:
    added: int = 0
    new_versions: int = 0
    unchanged: int = 0


def version_from_record(q: QuestionRecord, *, question: Question, number: int, now: datetime,
                        actor_id: int | None) -> QuestionVersion:
    d = record_to_dict(q)
    return QuestionVersion(
        question=question, version=number, type=q.type, area_code=q.area, difficulty=q.difficulty,
        levels_mask=levels_to_mask(q.levels), stem=q.stem, options=list(q.options), answer=d["answer"],
        explanation=q.explanation, created_at=now, created_by_id=actor_id,
    )


def record_from_version(key: str, v: QuestionVersion) -> QuestionRecord:
    return record_from_dict(
        {"key": key, "type": v.type.value, "area": v.area_code, "difficulty": v.difficulty.value,
         "levels": list(mask_to_levels(v.levels_mask)), "stem": v.stem, "options": v.options,
         "answer": v.answer, "explanation": v.explanation},
        where=f"题目 {key} 第 {v.version} 版",
    )


def sync_records(session: Session, records: list[QuestionRecord], *, source: str, now: datetime,
                 actor_id: int | None = None) -> SyncReport:
    """Add new keys as active questions; a changed record becomes a new version of its question."""
    report = SyncReport()
    existing = {q.key: q for q in session.scalars(select(Question).where(Question.key.in_([r.key for r in records])))}
    for rec in records:
        question = existing.get(rec.key)
        if question is None:
            question = Question(key=rec.key, status=QuestionStatus.ACTIVE, source=source, created_at=now)
            session.add(question)
            question.current_version = version_from_record(rec, question=question, number=1, now=now, actor_id=actor_id)
            report.added += 1
            continue
        current = question.current_version
        if current is not None and record_from_version(rec.key, current) == rec:
            report.unchanged += 1
            continue
        number = (current.version if current else 0) + 1
        question.current_version = version_from_record(rec, question=question, number=number, now=now,
                                                       actor_id=actor_id)
        report.new_versions += 1
        session.flush()
        record_audit(session, at=now, actor_id=actor_id, action="question.new_version", entity=question,
                     version=number, source=source)
    session.flush()
    if report.added:
        record_audit(session, at=now, actor_id=actor_id, action="bank.import", entity="questions", source=source,
                     added=report.added, new_versions=report.new_versions)
    return report
