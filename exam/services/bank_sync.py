"""The only place that knows both the bank's interchange records and the ORM rows."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from exam.models import Question, QuestionStatus, QuestionVersion, levels_to_mask, mask_to_levels, record_audit
from question_bank import QuestionRecord, QuestionUse
from question_bank.jsonio import record_from_dict, record_to_dict
from question_bank.normalize import stem_fingerprint

#: the fields a trainer can change, in the order a change is described
FIELDS = ("type", "area", "difficulty", "levels", "use", "stem", "options", "answer", "explanation", "tags")


@dataclass
class SyncReport:
    added: int = 0
    new_versions: int = 0
    unchanged: int = 0
    #: questions the file moved into, out of or between enemy groups
    regrouped: int = 0


def version_values(q: QuestionRecord, *, number: int, now: datetime, actor_id: int | None) -> dict:
    """A version row's columns for ``q`` (without the question)."""
    return dict(
        version=number, type=q.type, area_code=q.area, difficulty=q.difficulty, levels_mask=levels_to_mask(q.levels),
        use=q.use or QuestionUse.BOTH, stem=q.stem, options=list(q.options), answer=record_to_dict(q)["answer"], explanation=q.explanation,
        tags=list(q.tags), fingerprint=stem_fingerprint(q.stem), created_at=now, created_by_id=actor_id,
    )


def cell_values(q: QuestionRecord) -> dict:
    """The current version's cell and use, copied onto the question row (see ``Question.area_code``)."""
    return dict(area_code=q.area, type=q.type, difficulty=q.difficulty, levels_mask=levels_to_mask(q.levels),
                use=q.use or QuestionUse.BOTH)


def record_from_version(key: str, v: QuestionVersion, enemy_group: str | None = None) -> QuestionRecord:
    """A version as a bank record; ``enemy_group`` is the question's (exports carry it)."""
    return record_from_dict(
        {"key": key, "type": v.type.value, "area": v.area_code, "difficulty": v.difficulty.value,
         "levels": list(mask_to_levels(v.levels_mask)), "use": v.use.value, "stem": v.stem, "options": v.options,
         "answer": v.answer, "explanation": v.explanation, "tags": v.tags, "enemy_group": enemy_group},
        where=f"题目 {key} 第 {v.version} 版",
    )


def changed_fields(old: QuestionRecord, new: QuestionRecord) -> list[str]:
    return [f for f in FIELDS if getattr(old, f) != getattr(new, f)]


def add_questions(session: Session, records: Sequence[QuestionRecord], *, status: QuestionStatus, source: str,
                  now: datetime, actor_id: int | None) -> list[int]:
    """Insert new questions with their first version in three set-based statements; returns their ids."""
    if not records:
        return []
    ids = list(session.scalars(
        insert(Question).returning(Question.id, sort_by_parameter_order=True),
        [dict(key=r.key, status=status, source=source[:120], created_at=now, updated_at=now,
              enemy_group=r.enemy_group or None, **cell_values(r))
         for r in records],
    ))
    version_ids = list(session.scalars(
        insert(QuestionVersion).returning(QuestionVersion.id, sort_by_parameter_order=True),
        [dict(question_id=qid, **version_values(r, number=1, now=now, actor_id=actor_id))
         for qid, r in zip(ids, records, strict=True)],
    ))
    session.execute(update(Question), [{"id": qid, "current_version_id": vid}
                                       for qid, vid in zip(ids, version_ids, strict=True)])
    return ids


def revise_question(session: Session, question: Question, record: QuestionRecord, *, now: datetime,
                    actor_id: int | None, source: str) -> QuestionVersion | None:
    """A new version when ``record`` differs from the current one (None when nothing changed); audited."""
    current = question.current_version
    before = record_from_version(question.key, current) if current is not None else None
    if record.use is None:  # the file did not say: the question keeps its use
        record = dataclasses.replace(record, use=before.use if before else QuestionUse.BOTH)
    if before == record:
        return None
    number = (current.version if current else 0) + 1
    version = QuestionVersion(question=question, **version_values(record, number=number, now=now, actor_id=actor_id))
    question.current_version = version
    question.updated_at = now
    for name, value in cell_values(record).items():
        setattr(question, name, value)
    session.flush()
    moved = {"use": {"before": before.use.value, "after": record.use.value}} \
        if before and before.use is not record.use else {}
    record_audit(session, at=now, actor_id=actor_id, action="question.revise", entity=question, key=question.key,
                 version=number, changed=changed_fields(before, record) if before else list(FIELDS), source=source,
                 **moved)
    return version


def regroup_question(session: Session, question: Question, group: str | None, *, now: datetime,
                     actor_id: int | None, source: str | None = None) -> bool:
    """Put ``question`` in enemy group ``group`` ("" takes it out; None leaves it as it is); audited."""
    if group is None or (group.strip() or None) == question.enemy_group:
        return False
    before, question.enemy_group, question.updated_at = question.enemy_group, group.strip() or None, now
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="question.enemy_group", entity=question,
                 key=question.key, before=before, after=question.enemy_group,
                 **({"source": source} if source else {}))
    return True


def sync_records(session: Session, records: list[QuestionRecord], *, source: str, now: datetime,
                 actor_id: int | None = None, status: QuestionStatus = QuestionStatus.ACTIVE) -> SyncReport:
    """Add new keys as questions; a changed record becomes a new version of its question."""
    report = SyncReport()
    existing = {}
    keys = [r.key for r in records]
    for i in range(0, len(keys), 500):
        existing.update((q.key, q) for q in session.scalars(
            select(Question).options(selectinload(Question.current_version)).where(Question.key.in_(keys[i:i + 500]))))
    new = [r for r in records if r.key not in existing]
    for rec in records:
        if rec.key in existing:
            if revise_question(session, existing[rec.key], rec, now=now, actor_id=actor_id, source=source):
                report.new_versions += 1
            else:
                report.unchanged += 1
            if regroup_question(session, existing[rec.key], rec.enemy_group, now=now, actor_id=actor_id,
                                source=source):
                report.regrouped += 1
    add_questions(session, new, status=status, source=source, now=now, actor_id=actor_id)
    report.added = len(new)
    session.flush()
    if report.added or report.new_versions:
        record_audit(session, at=now, actor_id=actor_id, action="bank.import", entity="questions", source=source,
                     added=report.added, new_versions=report.new_versions, unchanged=report.unchanged,
                     regrouped=report.regrouped, status=status.value)
    return report
