"""The only place that knows both the bank's interchange records and the ORM rows."""
from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Dialect, Table, TextClause, insert, select, text, update
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


def question_values(q: QuestionRecord, *, status: QuestionStatus, source: str, now: datetime) -> dict:
    """A new question row's columns for ``q`` (without its id and current version)."""
    return dict(key=q.key, status=status, source=source[:120], created_at=now, updated_at=now,
                enemy_group=q.enemy_group or None, **cell_values(q))


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
    """Insert new questions with their first version; returns their ids, in the order of ``records``."""
    if not records:
        return []
    add = _add_from_json if session.get_bind().dialect.name == "postgresql" else _add_in_bulk
    return add(session, records, status=status, source=source, now=now, actor_id=actor_id)


def _add_in_bulk(session: Session, records: Sequence[QuestionRecord], *, status: QuestionStatus, source: str,
                 now: datetime, actor_id: int | None) -> list[int]:
    """The questions, their versions, then each question's current version: three set-based statements."""
    ids = list(session.scalars(
        insert(Question).returning(Question.id, sort_by_parameter_order=True),
        [question_values(r, status=status, source=source, now=now) for r in records],
    ))
    version_ids = list(session.scalars(
        insert(QuestionVersion).returning(QuestionVersion.id, sort_by_parameter_order=True),
        [dict(question_id=qid, **version_values(r, number=1, now=now, actor_id=actor_id))
         for qid, r in zip(ids, records, strict=True)],
    ))
    session.execute(update(Question), [{"id": qid, "current_version_id": vid}
                                       for qid, vid in zip(ids, version_ids, strict=True)])
    return ids


#: new questions per statement on PostgreSQL (a JSON document of a few MB at most)
JSON_CHUNK = 2000


def _add_from_json(session: Session, records: Sequence[QuestionRecord], *, status: QuestionStatus, source: str,
                   now: datetime, actor_id: int | None) -> list[int]:
    """PostgreSQL: each chunk of questions with their first versions in one statement with one parameter.

    A multi-row INSERT … VALUES carries some twenty placeholders per row: statements that long are
    converted anew by the driver each time and take PostgreSQL long to parse and plan. Here a chunk's
    rows travel as one JSON document, with the columns of ``question_values`` and ``version_values``
    (one ``q_``/``v_`` prefixed field each), and ``_insert_from_json`` reads them back.
    """
    session.flush()
    dialect = session.get_bind().dialect
    question_columns = list(question_values(records[0], status=status, source=source, now=now))
    version_columns = list(version_values(records[0], number=1, now=now, actor_id=actor_id))
    encoders = {**{f"q_{c}": _json_encoder(Question.__table__, c, dialect) for c in question_columns},
                **{f"v_{c}": _json_encoder(QuestionVersion.__table__, c, dialect) for c in version_columns}}
    statement = _insert_from_json(dialect, question_columns, version_columns)

    def row(n: int, r: QuestionRecord) -> dict[str, Any]:
        fields = {**{f"q_{c}": v for c, v in question_values(r, status=status, source=source, now=now).items()},
                  **{f"v_{c}": v for c, v in version_values(r, number=1, now=now, actor_id=actor_id).items()}}
        return {"n": n, **{name: encoders[name](value) for name, value in fields.items()}}

    ids: list[int] = []
    for start in range(0, len(records), JSON_CHUNK):
        doc = [row(n, r) for n, r in enumerate(records[start:start + JSON_CHUNK])]
        ids.extend(session.scalars(statement, {"doc": json.dumps(doc, ensure_ascii=False)}))
    return ids


def _json_encoder(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any]:
    """How a value of column ``name`` travels in the JSON document, so that the database stores what the ORM
    would: an enum as its value, a timestamp in ISO form, and a JSON column as the text the engine's JSON
    serializer makes of it (the serializer psycopg is given for the JSON type, json.dumps by default)."""
    if isinstance(table.c[name].type, JSON):
        return getattr(dialect, "_json_serializer", None) or json.dumps
    return lambda v: v.value if isinstance(v, enum.Enum) else v.isoformat() if isinstance(v, datetime) else v


def _insert_from_json(dialect: Dialect, question_columns: list[str], version_columns: list[str]) -> TextClause:
    """One statement inserting the questions and their first versions given in the JSON document ``:doc``.

    Each row's question id and version id are drawn from the tables' sequences in the document's order
    (ids follow the records, as with the ORM's inserts), so each question row is written with its current
    version at once: the foreign keys between the two tables are checked at the end of the statement. It
    returns the question ids in the document's order. A JSON column travels as text and is cast back,
    byte for byte; every other field is read as its column's type.
    """
    quote = dialect.identifier_preparer.quote
    questions, versions = Question.__table__, QuestionVersion.__table__

    def declared(table: Table, prefix: str, name: str) -> str:
        sql_type = table.c[name].type
        return f"{quote(prefix + name)} {'text' if isinstance(sql_type, JSON) else sql_type.compile(dialect=dialect)}"

    def read(table: Table, prefix: str, name: str) -> str:
        field = f"doc.{quote(prefix + name)}"
        return f"CAST({field} AS json)" if isinstance(table.c[name].type, JSON) else field

    fields = ", ".join(["n integer", *(declared(questions, "q_", c) for c in question_columns),
                        *(declared(versions, "v_", c) for c in version_columns)])
    return text(f"""
WITH doc AS MATERIALIZED (
    SELECT r.*, nextval(pg_get_serial_sequence('questions', 'id')) AS question_id,
           nextval(pg_get_serial_sequence('question_versions', 'id')) AS version_id
    FROM json_to_recordset(CAST(:doc AS json)) AS r({fields})
    ORDER BY r.n
), new_questions AS (
    INSERT INTO questions (id, current_version_id, {", ".join(quote(c) for c in question_columns)})
    SELECT question_id, version_id, {", ".join(read(questions, "q_", c) for c in question_columns)} FROM doc
), new_versions AS (
    INSERT INTO question_versions (id, question_id, {", ".join(quote(c) for c in version_columns)})
    SELECT version_id, question_id, {", ".join(read(versions, "v_", c) for c in version_columns)} FROM doc
)
SELECT question_id FROM doc ORDER BY n""")


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
