"""A question's use (用途): certification papers and pools draw 考试 and 两者, mocks 练习 and 两者; no mock beside
a running certification or an open sitting at its level; trainers set the use, the formats carry it."""
from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import secrets
from collections import Counter
from datetime import datetime

import pytest
from alembic import command
from helpers import open_sitting
from openpyxl import load_workbook
from sqlalchemy import create_engine, delete, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from exam.cli import alembic_config
from exam.extensions import db
from exam.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    AuditEvent,
    Enrolment,
    PaperItem,
    Question,
    QuestionStatus,
    QuestionVersion,
    Role,
    Sitting,
    User,
    UserRole,
)
from exam.services.attempts import start_attempt
from exam.services.bank_edit import edit_question
from exam.services.bank_import import ImportOptions, apply_import, plan_import, read_file
from exam.services.bank_sync import record_from_version
from exam.services.paper_pools import build_pool, pool_paper, take_pool_paper
from exam.services.papers import draw_paper, level_by_code, level_feasibility
from exam.web.common import certificate_settings
from question_bank import BankError, Difficulty, QuestionRecord, QuestionType, QuestionUse, dumps_bank, loads_bank
from question_bank.readers import read_source
from question_bank.xlsx import read_xlsx, write_xlsx

NOW = datetime(2026, 11, 22, 9, 0)
PRACTICE, EXAM, BOTH = QuestionUse.PRACTICE, QuestionUse.EXAM, QuestionUse.BOTH


@pytest.fixture
def no_sittings(app, clock):  # noqa: ANN001, ANN201
    """Without the demo's year-long sittings, so each test sees only the sittings it schedules."""
    db.session.execute(delete(Enrolment))
    db.session.execute(delete(Sitting))
    db.session.commit()
    return clock


def set_use(questions: list[Question], use: QuestionUse) -> None:
    """A trainer's edit of each question's use (a new version each)."""
    for q in questions:
        record = dataclasses.replace(record_from_version(q.key, q.current_version), use=use)
        edit_question(db.session, q, record, actor_id=None, now=NOW)
    db.session.flush()


def split_l4_bank() -> tuple[set[int], set[int]]:
    """Of the L4 true/false and single-choice questions, a third made 练习 and another third 考试."""
    ids = db.session.scalars(select(Question).where(
        Question.status == QuestionStatus.ACTIVE, Question.levels_mask.op("&")(1) != 0,
        Question.type.in_([QuestionType.TRUE_FALSE, QuestionType.SINGLE])).order_by(Question.id)).all()
    practice, exam = ids[0::3], ids[1::3]
    set_use(practice, PRACTICE)
    set_use(exam, EXAM)
    return {q.id for q in practice}, {q.id for q in exam}


def make_trainee(name: str) -> User:
    u = User(username=name, full_name=f"学员{name}", created_at=NOW)
    u.set_password("pw-123456")
    u.roles = [UserRole(role=Role.TRAINEE)]
    db.session.add(u)
    db.session.flush()
    return u


def paper_questions(attempt: Attempt) -> set[int]:
    return set(db.session.scalars(select(QuestionVersion.question_id).join(
        PaperItem, PaperItem.question_version_id == QuestionVersion.id).where(PaperItem.attempt_id == attempt.id)))


def attempt_of(response) -> Attempt:  # noqa: ANN001
    return db.session.get(Attempt, int(response.location.rstrip("/").split("/")[-1]))


# --- who draws what ---------------------------------------------------------------------------------------


def test_mock_papers_hold_only_practice_usable_questions_and_certification_papers_only_exam_usable_ones(app, clock):
    practice, exam = split_l4_bank()
    level, settings = level_by_code(db.session, "L4"), certificate_settings()
    for seed in range(3):
        trainee = make_trainee(f"use-{seed}")
        mock = start_attempt(db.session, trainee, level, NOW, settings, seed=seed, kind=AttemptKind.MOCK)
        certification = start_attempt(db.session, trainee, level, NOW, settings, seed=seed)
        on_mock, on_certification = paper_questions(mock), paper_questions(certification)
        assert len(on_mock) == len(on_certification) == level.item_count
        assert not on_mock & exam and on_mock & practice, seed
        assert not on_certification & practice and on_certification & exam, seed
    for seed in range(3):  # what trainers preview and the CLI prints: certification papers
        assert not {e.question_id for e in draw_paper(db.session, level, random.Random(seed)).items} & practice
    assert level_feasibility(db.session, level).feasible
    assert level_feasibility(db.session, level, purpose=PRACTICE).feasible


def test_pools_hold_only_exam_usable_questions_and_pass_over_a_paper_whose_question_became_practice(app):
    practice, _exam = split_l4_bank()
    level = level_by_code(db.session, "L4")
    pool = build_pool(db.session, level, size=2, seed=3, now=NOW, actor_id=None)
    papers = [{e.question_id for e in pool_paper(p, "L4").items} for p in pool.papers]
    assert not (papers[0] | papers[1]) & practice
    only_first = db.session.get(Question, min(papers[0] - papers[1]))
    set_use([only_first], PRACTICE)
    for _ in range(3):
        taken = take_pool_paper(db.session, level, set())
        assert taken is not None and taken[0] == pool.papers[1].id
    set_use([db.session.get(Question, min(papers[1] - papers[0]))], PRACTICE)
    assert take_pool_paper(db.session, level, set()) is None  # no usable paper: the attempt's paper is drawn


def test_a_mock_the_practice_bank_cannot_fill_says_so_instead_of_failing(client, auth, no_sittings):
    true_false_l1 = db.session.scalars(select(Question).where(
        Question.status == QuestionStatus.ACTIVE, Question.levels_mask.op("&")(8) != 0,
        Question.type == QuestionType.TRUE_FALSE)).all()
    set_use(true_false_l1, EXAM)
    db.session.commit()
    auth.login("trainee1")
    response = client.post("/trainee/levels/L1/mock")
    assert response.status_code == 302 and response.location.endswith("/trainee/")
    assert "暂时无法组卷" in client.get("/trainee/").text
    assert db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.MOCK)).first() is None


# --- no mock beside a certification ----------------------------------------------------------------------


def test_no_mock_at_a_level_while_its_certification_attempt_runs_but_one_at_another_level(client, auth, no_sittings):
    clock = no_sittings
    open_sitting("L4", ["trainee1"], now=clock.now, hours=0.5)
    auth.login("trainee1")
    certification = attempt_of(client.post("/trainee/levels/L4/start"))
    assert certification.kind is AttemptKind.CERTIFICATION
    clock.advance(minutes=40)  # the window has closed; the attempt runs on (90 minutes)
    refused = client.post("/trainee/levels/L4/mock", follow_redirects=True).text
    assert "正式考试正在进行" in refused and "不能参加岗位技能四级模拟考试" in refused
    assert db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.MOCK)).first() is None
    dashboard = client.get("/trainee/").text
    assert 'data-mock-blocked="L4"' in dashboard and 'data-mock-blocked="L3"' not in dashboard
    other = attempt_of(client.post("/trainee/levels/L3/mock"))
    assert other.kind is AttemptKind.MOCK
    # nothing of the running certification paper (or its enemy groups) on a mock of another level
    assert not paper_questions(other) & paper_questions(certification)
    client.post(f"/trainee/attempts/{certification.id}/submit")
    assert attempt_of(client.post("/trainee/levels/L4/mock")).kind is AttemptKind.MOCK


def test_no_mock_at_a_level_while_an_enrolment_window_there_is_open(client, auth, no_sittings):
    clock = no_sittings
    open_sitting("L4", ["trainee1"], now=clock.now, hours=2)
    auth.login("trainee1")
    refused = client.post("/trainee/levels/L4/mock", follow_redirects=True).text
    assert "正在开考" in refused and "窗口关闭前不能参加岗位技能四级模拟考试" in refused
    assert 'data-mock-blocked="L4"' in client.get("/trainee/").text
    assert attempt_of(client.post("/trainee/levels/L2/mock")).kind is AttemptKind.MOCK
    assert db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.MOCK)).one().level.code == "L2"
    clock.advance(hours=3)  # the window has closed
    assert 'data-mock-blocked="L4"' not in client.get("/trainee/").text
    assert attempt_of(client.post("/trainee/levels/L4/mock")).level.code == "L4"


def test_a_running_mock_shows_no_result_and_is_handed_in_when_the_certification_starts(client, auth, no_sittings):
    clock = no_sittings
    auth.login("trainee1")
    mock = attempt_of(client.post("/trainee/levels/L4/mock"))
    client.post(f"/trainee/attempts/{mock.id}/answers",
                json={"answers": [{"item": 1, "response": None, "flagged": True, "seq": 1}]})
    result = client.get(f"/trainee/attempts/{mock.id}/result")
    assert result.status_code == 302 and result.location.endswith(f"/trainee/attempts/{mock.id}")
    state = client.get(f"/trainee/attempts/{mock.id}/state").get_json()
    assert set(state) == {"attempt", "state", "remaining_seconds", "max_seq", "answers"}
    assert set(state["answers"]["1"]) == {"response", "flagged", "seq"}
    clock.advance(minutes=5)
    open_sitting("L4", ["trainee1"], now=clock.now)
    certification = attempt_of(client.post("/trainee/levels/L4/start"))
    assert certification.kind is AttemptKind.CERTIFICATION
    db.session.refresh(mock)
    assert mock.state is not AttemptState.IN_PROGRESS and mock.finished_at == clock.now
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attempt.mock_handed_in",
                                                       AuditEvent.entity_id == mock.id)).one()
    page = client.get(f"/trainee/attempts/{mock.id}/result").text
    assert "知识领域" in page and "模拟考试" in page


# --- trainers set it ---------------------------------------------------------------------------------------

SINGLE = {"type": "single", "area": "W05", "difficulty": "easy", "levels": ["L4", "L3"], "status": "active",
          "stem": "受理 VIP 客户投诉时, 首先应当( )。(用途测试)", "option_a": "解释公司政策", "option_b": "倾听并安抚情绪",
          "option_c": "承诺赔偿", "option_d": "转交上级", "keys": ["B"], "explanation": "先处理情绪, 再处理事情。"}


def test_the_trainer_sets_the_use_on_the_form_it_is_audited_and_the_list_filters_by_it(client, auth, clock):
    auth.login("trainer1")
    assert 'name="use"' in client.get("/trainer/questions/new").text
    created = client.post("/trainer/questions/new", data={**SINGLE, "use": "practice"})
    q = db.session.scalars(select(Question).order_by(Question.id.desc())).first()
    assert created.location.endswith(f"/trainer/questions/{q.id}")
    assert q.use is PRACTICE and q.current_version.use is PRACTICE
    listed = client.get("/trainer/questions", query_string={"use": "practice", "area": "W05"}).text
    assert q.key in listed and "练习" in listed
    assert q.key not in client.get("/trainer/questions", query_string={"use": "exam", "area": "W05"}).text
    assert q.key not in client.get("/trainer/questions", query_string={"use": "both", "area": "W05"}).text
    edit_page = client.get(f"/trainer/questions/{q.id}/edit").text
    assert '<option selected value="practice">' in edit_page or 'value="practice" selected' in edit_page

    client.post(f"/trainer/questions/{q.id}/edit", data={**SINGLE, "use": "exam"})
    db.session.refresh(q)
    assert q.use is EXAM and q.current_version.version == 2 and q.current_version.use is EXAM
    assert q.key in client.get("/trainer/questions", query_string={"use": "exam", "area": "W05"}).text
    revise = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.revise",
                                                         AuditEvent.entity_id == q.id)).one()
    assert revise.detail["changed"] == ["use"] and revise.detail["use"] == {"before": "practice", "after": "exam"}
    page = client.get(f"/trainer/questions/{q.id}").text
    assert "考试" in page and "用途" in page


# --- the formats carry it --------------------------------------------------------------------------------


def records() -> list[QuestionRecord]:
    base = dict(type=QuestionType.TRUE_FALSE, area="W05", difficulty=Difficulty.EASY, answer=True)
    return [QuestionRecord(key=f"U-{i}", stem=f"第{i}题: 首问负责制要求第一位受理人跟踪到底。", use=use, **base)
            for i, use in enumerate((PRACTICE, EXAM, BOTH, None))]


def test_json_carries_the_use_and_refuses_a_bad_value_naming_the_file_question_and_field():
    recs = records()
    assert loads_bank(dumps_bank(recs)) == recs
    doc = json.loads(dumps_bank(recs))
    assert [q.get("use") for q in doc["questions"]] == ["practice", "exam", "both", None]
    doc["questions"][0]["use"], doc["questions"][1]["use"] = "考试", "Practice"
    assert [q.use for q in loads_bank(json.dumps(doc))] == [EXAM, PRACTICE, BOTH, None]
    doc["questions"][1]["use"] = "sometimes"
    with pytest.raises(BankError) as refused:
        loads_bank(json.dumps(doc), source="题库.json")
    assert "题库.json 第 2 题" in str(refused.value) and "use (用途)" in str(refused.value)
    assert "'sometimes'" in str(refused.value)
    read = read_source(json.dumps(doc).encode(), "题库.json")
    assert read.entries == [] and "题库.json 第 2 题" in read.errors[0] and "use (用途)" in read.errors[0]


def test_xlsx_carries_the_use_and_refuses_a_bad_value_naming_the_file_row_and_column():
    recs = records()
    out = io.BytesIO()
    write_xlsx(recs, out)
    assert read_xlsx(out.getvalue()).records == recs
    wb = load_workbook(io.BytesIO(out.getvalue()))
    ws = wb["题目"]
    header = [c.value for c in ws[1]]
    column = header.index("用途") + 1
    assert [ws.cell(row=r, column=column).value for r in range(2, 6)] == ["练习", "考试", "两者", None]
    ws.cell(row=2, column=column, value="exam")
    ws.cell(row=3, column=column, value="有时")
    buf = io.BytesIO()
    wb.save(buf)
    result = read_xlsx(buf.getvalue())
    assert [(e.row, e.column) for e in result.errors] == [(3, "用途")] and "'有时'" in result.errors[0].message
    assert result.rows[0][1].use is EXAM
    read = read_source(buf.getvalue(), "题库.xlsx")
    assert read.errors == [f"题库.xlsx 第 3 行 用途列: {result.errors[0].message}"]


def test_an_import_sets_the_use_of_new_questions_and_an_existing_one_keeps_its_use_unless_the_file_says(app, clock):
    existing = db.session.scalars(select(Question).where(Question.key.like("W05-%")).order_by(Question.id)).all()[:2]
    set_use(existing, EXAM)
    changed = dataclasses.replace(record_from_version(existing[0].key, existing[0].current_version),
                                  explanation="修订后的解析", use=None)
    moved = dataclasses.replace(record_from_version(existing[1].key, existing[1].current_version), use=PRACTICE)
    data = dumps_bank([changed, moved, *records()]).encode()
    plan = plan_import(db.session, read_file(data, "uses.json"), "uses.json", ImportOptions())
    report = apply_import(db.session, plan, actor_id=None, now=NOW)
    assert (report.added, report.new_versions) == (4, 2)
    uses = dict(db.session.execute(select(Question.key, Question.use).where(
        Question.key.in_([existing[0].key, existing[1].key, "U-0", "U-1", "U-2", "U-3"]))).all())
    assert uses == {existing[0].key: EXAM, existing[1].key: PRACTICE, "U-0": PRACTICE, "U-1": EXAM, "U-2": BOTH,
                    "U-3": BOTH}
    assert existing[0].current_version.explanation == "修订后的解析"


# --- the migration -----------------------------------------------------------------------------------------


@pytest.fixture
def empty_database(tmp_path):  # noqa: ANN001, ANN201
    """A database of its own (SQLite file, or a new PostgreSQL database beside the test one)."""
    url = os.environ.get("EXAM_TEST_DATABASE_URL")
    if not url:
        engine = create_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"))
        yield engine
        engine.dispose()
        return
    name = f"exam_migrations_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = create_engine(make_url(url).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


def _migrate(engine, target: str, down: bool = False) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(alembic_config(conn), target)


def _cells(conn, with_use: bool) -> Counter:  # noqa: ANN001
    columns = "level_bit, area_code, type, difficulty" + (", use" if with_use else "")
    return Counter({tuple(row[:-1]): row[-1] for row in conn.execute(text(
        f"SELECT {columns}, n FROM bank_cells WHERE level_bit > 0 AND n <> 0"))})


def _add_question(conn, qid: int, mask: int, status: str = "active", use: str | None = None) -> None:  # noqa: ANN001
    extra = (", use", ", :use") if use else ("", "")
    conn.execute(text(
        f"INSERT INTO questions (id, key, status, source, created_at, area_code, type, difficulty, levels_mask{extra[0]}) "
        f"VALUES (:id, :key, :status, '', :at, 'W05', 'true_false', 'easy', :mask{extra[1]})"),
        {"id": qid, "key": f"M-{qid}", "status": status, "at": NOW, "mask": mask, "use": use})


def test_the_migration_adds_the_use_counts_cells_per_use_and_goes_back(empty_database):
    engine = empty_database
    _migrate(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO knowledge_areas (code, name, \"group\", category, sort_order) "
                          "VALUES ('W05', '投诉处理', '工作要求', '投诉处理', 1)"))
        for qid, mask, status in ((1, 3, "active"), (2, 1, "active"), (3, 1, "retired")):
            _add_question(conn, qid, mask, status)
        conn.execute(text(
            "INSERT INTO question_versions (id, question_id, version, type, area_code, difficulty, levels_mask, stem, "
            "options, answer, explanation, created_at, tags, fingerprint) VALUES (1, 1, 1, 'true_false', 'W05', "
            "'easy', 3, '首问负责', '[]', 'true', '', :at, '[]', '')"), {"at": NOW})
    _migrate(engine, "0010")
    cell = (1, "W05", "true_false", "easy")
    with engine.begin() as conn:
        assert set(conn.execute(text("SELECT use FROM questions")).scalars()) == {"both"}
        assert list(conn.execute(text("SELECT use FROM question_versions")).scalars()) == ["both"]
        assert _cells(conn, True) == {(*cell, "both"): 2, (2, "W05", "true_false", "easy", "both"): 1}
        conn.execute(text("UPDATE questions SET use = 'exam' WHERE id = 2"))
        _add_question(conn, 4, 1, use="practice")
        assert _cells(conn, True) == {(*cell, "both"): 1, (*cell, "exam"): 1, (*cell, "practice"): 1,
                                      (2, "W05", "true_false", "easy", "both"): 1}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE questions SET use = 'sometimes' WHERE id = 1"))
    _migrate(engine, "0009", down=True)
    with engine.begin() as conn:
        assert _cells(conn, False) == {cell: 3, (2, "W05", "true_false", "easy"): 1}
        _add_question(conn, 5, 1)
        assert _cells(conn, False)[cell] == 4
    _migrate(engine, "head")
    with engine.begin() as conn:
        assert _cells(conn, True) == {(*cell, "both"): 4, (2, "W05", "true_false", "easy", "both"): 1}
