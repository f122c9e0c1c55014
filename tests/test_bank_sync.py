"""New questions as ``bank_sync.add_questions`` stores them, on either database.

On PostgreSQL the rows travel as one JSON document per chunk (``_add_from_json``); elsewhere as the ORM's
bulk inserts (``_add_in_bulk``). Both must store the same rows, ids in the order of the records.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from sqlalchemy import select, text

from exam.extensions import db
from exam.models import Question, QuestionStatus, QuestionVersion, User, levels_to_mask
from exam.services import bank_sync
from exam.services.bank_sync import add_questions, record_from_version
from question_bank import Difficulty, QuestionRecord, QuestionType, QuestionUse
from question_bank.normalize import stem_fingerprint

NOW = datetime(2026, 11, 22, 9, 30, 15, 123456)
T = QuestionType


def records(prefix: str) -> list[QuestionRecord]:
    """Every type, with enemy groups (one empty), tags, explanations, each use and texts JSON must escape."""
    r = QuestionRecord
    return [
        r(key=f"{prefix}-01", type=T.TRUE_FALSE, area="W03", difficulty=Difficulty.EASY, answer=False,
          stem="客户说\"不需要\"时, 应立即结束通话。", levels=("L4",), use=QuestionUse.PRACTICE,
          explanation="先了解原因\\再回应。", tags=("电话礼仪", "第3章"), enemy_group="挽留话术"),
        r(key=f"{prefix}-02", type=T.SINGLE, area="W05", difficulty=Difficulty.MEDIUM, answer=("C",),
          stem="VIP 客户投诉网速慢, 首先应当( )。", options=("道歉", "解释原因", "核实情况 😊", "转交技术"),
          levels=("L3", "L2"), use=QuestionUse.EXAM, tags=("投诉",), enemy_group="网速"),
        r(key=f"{prefix}-03", type=T.MULTIPLE, area="W01", difficulty=Difficulty.HARD, answer=("A", "B", "D"),
          stem="离网预警的信号有( )。", options=("话费骤降", "携号转网查询", "积分兑换", "停机保号"),
          explanation="见《维系工作规范》{附录}。", enemy_group=""),
        r(key=f"{prefix}-04", type=T.FILL_BLANK, area="W03", difficulty=Difficulty.MEDIUM,
          answer=(("回访", "电话回访"), ("记录",)), stem="处理完毕后要____并____。", levels=("L1",),
          use=QuestionUse.BOTH, tags=("流程",)),
        r(key=f"{prefix}-05", type=T.SHORT_ANSWER, area="W05", difficulty=Difficulty.HARD,
          answer="(1)核实身份\n(2)了解原因\t(3)提出方案", stem="客户要求销户时怎么做?", levels=("L2", "L1"),
          enemy_group="销户"),
        r(key=f"{prefix}-06", type=T.CASE_STUDY, area="W01", difficulty=Difficulty.EASY,
          answer="先安抚, 再核实, 最后给出方案。", stem="案例: 客户连续三个月话费下降……请分析。",
          explanation="案例题", tags=("案例", "L4 讲义"), use=QuestionUse.PRACTICE, enemy_group="销户"),
    ]


def expected(rec: QuestionRecord) -> QuestionRecord:
    """What the bank hands back: a file's unsaid use is 两者."""
    return dataclasses.replace(rec, use=rec.use or QuestionUse.BOTH)


def test_new_questions_read_back_as_imported_with_ids_in_the_order_of_the_records(app, monkeypatch):
    monkeypatch.setattr(bank_sync, "JSON_CHUNK", 4)  # PostgreSQL: two documents, ids in order across them
    recs = records("SYNC")
    ids = add_questions(db.session, recs, status=QuestionStatus.DRAFT, source="导入 题库.txt" + "长" * 200, now=NOW,
                        actor_id=None)
    db.session.expire_all()
    assert len(ids) == len(recs) and ids == sorted(ids)
    for qid, rec in zip(ids, recs, strict=True):
        q = db.session.get(Question, qid)
        assert q.key == rec.key
        v = q.current_version
        assert (v.version, v.question_id) == (1, qid)
        assert [x.id for x in q.versions] == [v.id]
        assert record_from_version(q.key, v, q.enemy_group) == expected(rec)
        assert q.enemy_group == (rec.enemy_group or None)
        assert (q.status, q.source, q.created_at, q.updated_at) == (
            QuestionStatus.DRAFT, ("导入 题库.txt" + "长" * 200)[:120], NOW, NOW)
        assert (q.area_code, q.type, q.difficulty, q.levels_mask, q.use) == (
            rec.area, rec.type, rec.difficulty, levels_to_mask(rec.levels), rec.use or QuestionUse.BOTH)
        assert (v.fingerprint, v.created_at, v.created_by_id) == (stem_fingerprint(rec.stem), NOW, None)
    # the labels as stored, not as the ORM reads them back
    stored = db.session.execute(text(
        "SELECT q.status, q.type, q.difficulty, q.use, v.type, v.difficulty, v.use FROM questions q "
        "JOIN question_versions v ON v.id = q.current_version_id WHERE q.key = 'SYNC-02'")).one()
    assert tuple(stored) == ("draft", "single", "medium", "exam", "single", "medium", "exam")


def stored_rows(prefix: str) -> dict[str, tuple]:
    """Key → every other column of the question and its current version, as the database holds it (as
    text), but for ids; of the questions whose key starts with ``prefix``."""
    def columns(alias: str, model: type) -> list[str]:
        ids = {"id", "key", "question_id", "current_version_id"}
        return [f"CAST({alias}.{c.name} AS TEXT)" for c in model.__table__.columns if c.name not in ids]

    rows = db.session.execute(text(
        f"SELECT q.key, {', '.join(columns('q', Question) + columns('v', QuestionVersion))} FROM questions q "
        "JOIN question_versions v ON v.id = q.current_version_id AND v.question_id = q.id AND v.version = 1 "
        "WHERE q.key LIKE :keys"), {"keys": f"{prefix}-%"}).all()
    return {row[0].removeprefix(prefix): tuple(row[1:]) for row in rows}


def test_postgresql_stores_from_json_what_the_orm_stores(app):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the JSON document is PostgreSQL's way")
    trainer = db.session.scalar(select(User.id).where(User.username == "trainer1"))
    kw = dict(status=QuestionStatus.ACTIVE, source="导入 dump.txt", now=NOW, actor_id=trainer)
    by_orm, by_json = records("ORM"), records("JSON")
    orm_ids = bank_sync._add_in_bulk(db.session, by_orm, **kw)
    json_ids = bank_sync._add_from_json(db.session, by_json, **kw)
    assert json_ids == sorted(json_ids) and json_ids[0] > orm_ids[-1]
    assert db.session.scalars(select(Question.key).where(Question.id.in_(json_ids)).order_by(Question.id)).all() \
        == [r.key for r in by_json]
    orm_rows, json_rows = stored_rows("ORM"), stored_rows("JSON")
    assert len(json_rows) == len(by_json)
    assert json_rows == orm_rows
