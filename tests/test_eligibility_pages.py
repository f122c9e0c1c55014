"""Eligibility from recorded facts: trainees see every route's reasons; an administrator overrides with a reason."""
from __future__ import annotations

from datetime import date

from helpers import open_sitting
from sqlalchemy import select

from exam.extensions import db
from exam.models import AuditEvent, Level, TrainingRecord, User


def trainee(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def test_the_dashboard_shows_each_route_with_its_checks(client, auth):
    auth.login("trainee1")
    page = client.get("/trainee/").text
    assert "符合途径A" in page  # L4: L4 training of 40 hours recorded
    assert "持四级证书 ✗" in page  # L3 route A
    assert "累计从事本职业" in page and "&lt; 3 年 ✗" in page  # L3 route B: 1½ years


def test_breaks_and_cumulative_years_decide_the_second_route(client, auth):
    auth.login("trainee2")  # since 2019 with a six-month break: more than 3 cumulative years
    page = client.get("/trainee/").text
    assert "符合途径B" in page


def test_training_hours_below_the_standard_refuse_the_start_with_the_reason(client, auth):
    t1 = trainee("trainee1")
    l4 = db.session.scalars(select(Level).where(Level.code == "L4")).one()
    record = db.session.scalars(select(TrainingRecord).where(TrainingRecord.user_id == t1.id,
                                                              TrainingRecord.level_id == l4.id)).one()
    record.hours = 32
    db.session.commit()
    auth.login("trainee1")
    refused = client.post("/trainee/levels/L4/start", follow_redirects=True).text
    assert "完成四级培训 32 学时 &lt; 40 学时 ✗" in refused


def test_an_administrator_override_needs_a_reason_is_audited_and_decides(client, auth, clock):
    t1 = trainee("trainee1")
    t1.job_start_date = date(2026, 1, 1)
    db.session.commit()
    auth.login("admin1")
    refused = client.post("/admin/eligibility", data={"who": "trainee1", "level": "L3", "decision": "allow",
                                                      "reason": "  "}, follow_redirects=True).text
    assert "请写明理由" in refused
    client.post("/admin/eligibility", data={"who": "trainee1", "level": "L3", "decision": "allow",
                                            "reason": "省公司批准破格申报"})
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.override")).one()
    assert event.actor_id == trainee("admin1").id and event.detail["reason"] == "省公司批准破格申报"
    auth.login("trainee1")
    page = client.get("/trainee/").text
    assert "管理员决定准予报考: 省公司批准破格申报" in page
    open_sitting("L3", ["trainee1"], now=clock.now)  # the override lets HR enrol the trainee
    started = client.post("/trainee/levels/L3/start")
    assert started.status_code == 302 and "/attempts/" in started.location


def test_only_administrators_reach_the_override_page(client, auth):
    for name in ("trainee1", "trainer1", "hr1"):
        auth.login(name)
        assert client.get("/admin/eligibility").status_code in (302, 403)
