"""Stored pools of parallel papers: built before the sitting, handed out at start without solving."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from helpers import answer_all, open_sitting
from sqlalchemy import select
from test_assembly import assert_exact

from exam.extensions import db
from exam.models import Attempt, AuditEvent, PaperPool, PoolStatus, Question, QuestionStatus, Role, User, UserRole
from exam.services import attempts as attempts_service
from exam.services.paper_pools import build_pool, item_stats, pool_paper
from exam.services.papers import level_by_code, level_rules
from exam.web.common import certificate_settings

NOW = datetime(2026, 11, 22, 9, 0)


def make_trainees(n: int) -> list[User]:
    users = []
    for i in range(n):
        u = User(username=f"pool-trainee-{i}", full_name=f"学员{i}", created_at=NOW)
        u.set_password("pw-123456")
        u.roles = [UserRole(role=Role.TRAINEE)]
        db.session.add(u)
        users.append(u)
    db.session.flush()
    return users


def test_a_stored_pool_holds_exact_papers_of_equal_expected_difficulty(app):
    level = level_by_code(db.session, "L4")
    pool = build_pool(db.session, level, size=4, seed=5, now=NOW, actor_id=None)
    assert [p.position for p in pool.papers] == [1, 2, 3, 4]
    for stored in pool.papers:
        assert_exact(pool_paper(stored, "L4"), level_rules(level))
    scores = [p.expected_score for p in pool.papers]
    assert max(scores) - min(scores) <= 0.01
    assert pool.report["size"] == 4 and 0 < pool.report["max_exposure"] <= 1
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pool.build")).all()
    again = build_pool(db.session, level, size=3, seed=6, now=NOW, actor_id=None)
    assert pool.status is PoolStatus.RETIRED and again.status is PoolStatus.ACTIVE


def test_attempts_take_pool_papers_least_given_first_and_never_solve_at_start(app, monkeypatch, clock):
    level = level_by_code(db.session, "L4")
    pool = build_pool(db.session, level, size=3, seed=9, now=NOW, actor_id=None)

    def no_solving(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a paper was assembled at start although the level has a pool")

    monkeypatch.setattr(attempts_service, "draw_paper", no_solving)
    settings = certificate_settings()
    started = [attempts_service.start_attempt(db.session, u, level, clock.now, settings, seed=i)
               for i, u in enumerate(make_trainees(6))]
    by_paper = {p.id: p for p in pool.papers}
    assert all(a.pool_paper_id in by_paper for a in started)
    counts = sorted(sum(1 for a in started if a.pool_paper_id == p.id) for p in pool.papers)
    assert counts == [2, 2, 2]  # least given first
    a = started[0]
    stored = by_paper[a.pool_paper_id]
    assert sorted(i.question_version_id for i in a.items) == sorted(row[1] for row in stored.items)
    same = [b for b in started[1:] if b.pool_paper_id == a.pool_paper_id][0]
    order_a = [i.question_version_id for i in a.items]
    order_b = [i.question_version_id for i in same.items]
    assert order_a != order_b  # same questions, own order within sections
    assert [i.type for i in a.items] == [i.type for i in same.items]


def test_a_pool_paper_with_a_retired_question_is_not_handed_out(app, clock):
    level = level_by_code(db.session, "L4")
    pool = build_pool(db.session, level, size=2, seed=3, now=NOW, actor_id=None)
    first = pool.papers[0]
    only_on_first = {row[0] for row in first.items} - {row[0] for row in pool.papers[1].items}
    db.session.get(Question, sorted(only_on_first)[0]).status = QuestionStatus.RETIRED
    db.session.flush()
    settings = certificate_settings()
    for i, u in enumerate(make_trainees(3)):
        a = attempts_service.start_attempt(db.session, u, level, clock.now, settings, seed=i)
        assert a.pool_paper_id == pool.papers[1].id


def test_a_retake_with_a_pool_gets_no_question_seen_before(client, auth, clock):
    level = level_by_code(db.session, "L4")
    build_pool(db.session, level, size=4, seed=1, now=NOW, actor_id=None)
    db.session.commit()
    auth.login("trainee1")
    first = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rstrip("/").split("/")[-1]))
    answer_all(client, first, correct=False)
    client.post(f"/trainee/attempts/{first.id}/submit")
    clock.advance(days=1)
    open_sitting("L4", ["trainee1"], now=clock.now)
    second = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rstrip("/").split("/")[-1]))
    before = {i.question_version.question_id for i in first.items}
    assert not before & {i.question_version.question_id for i in second.items}


def test_observed_correct_rates_come_from_graded_answers(client, auth, clock):
    auth.login("trainee1")
    first = db.session.get(Attempt, int(client.post("/trainee/levels/L4/start").location.rstrip("/").split("/")[-1]))
    auto = [i for i in first.items if not i.type.is_manual]
    answer_all(client, first, correct=True, only={i.position for i in auto[:10]})
    client.post(f"/trainee/attempts/{first.id}/submit")
    db.session.expire_all()
    stats = item_stats(db.session, [i.question_version.question_id for i in auto])
    right = {i.question_version.question_id for i in auto[:10]}
    for qid, s in stats.items():
        assert s.responses == 1
        assert s.correct_rate == pytest.approx(1.0 if qid in right else 0.0)


def test_trainer_builds_a_pool_on_the_level_page_and_cli_reports_it(app, client, auth):
    auth.login("trainer1")
    response = client.post("/rules/L4/pool", data={"size": "3"})
    assert response.status_code == 302
    page = client.get("/rules/L4").get_data(as_text=True)
    assert "当前试卷池: 3 份" in page
    pool = db.session.scalars(select(PaperPool).where(PaperPool.status == PoolStatus.ACTIVE)).one()
    assert pool.created_by_id is not None and len(pool.papers) == 3
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["paper", "pool", "--level", "L4", "--size", "2", "--seed", "4",
                                                "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["level"] == "L4" and out["size"] == 2 and len(out["expected_scores"]) == 2
