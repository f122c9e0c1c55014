"""Administrator pages: the 申报条件 routes per level, and API tokens for other HR systems."""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from exam.extensions import db
from exam.models import ApiToken, AuditEvent, Level, User
from exam.services.eligibility_rules import default_rules, rules_to_json


def level(code: str) -> Level:
    return db.session.scalars(select(Level).where(Level.code == code)).one()


def admin_id() -> int:
    return db.session.scalars(select(User.id).where(User.username == "admin1")).one()


def form_for(code: str, **changes: str) -> dict[str, str]:
    """The rows the page shows for ``code`` (the standard's defaults), as the browser would post them."""
    data = {"level": code, "action": "save"}
    for i, r in enumerate(rules_to_json(default_rules())["levels"][code]):
        data |= {f"name_{i}": r["name"], f"cert_{i}": r["requires_certificate"] or "",
                 f"cont_{i}": "" if r["continuous_years"] is None else str(r["continuous_years"]),
                 f"cum_{i}": "" if r["cumulative_years"] is None else str(r["cumulative_years"]),
                 f"hours_{i}": str(r["training_hours"]) if r["requires_training"] else ""}
        if r["requires_training"]:
            data[f"training_{i}"] = "1"
        if r["probation"]:
            data[f"probation_{i}"] = "1"
    data |= {"name_2": "", "cert_2": "", "cont_2": "", "cum_2": "", "hours_2": ""}  # a blank row for adding
    return data | changes


def test_the_page_shows_every_level_with_its_routes(client, auth):
    auth.login("admin1")
    page = client.get("/admin/eligibility/rules").text
    for name in ("四级", "三级", "二级", "一级"):
        assert name in page
    assert 'name="name_0" value="途径A"' in page and "恢复标准默认" in page
    assert "/admin/eligibility/rules" in client.get("/admin/").text
    assert "/admin/eligibility/rules" in client.get("/admin/eligibility").text


def test_changing_the_training_hours_reaches_the_trainee_and_is_audited(client, auth):
    auth.login("admin1")
    saved = client.post("/admin/eligibility/rules", data=form_for("L3", hours_0="60"), follow_redirects=True)
    assert saved.status_code == 200 and "已保存申报条件" in saved.text
    routes = level("L3").eligibility_routes["routes"]
    assert [r["name"] for r in routes] == ["途径A", "途径B"] and routes[0]["training_hours"] == 60
    assert routes[0]["requires_certificate"] == "L4" and routes[0]["continuous_years"] == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.rules")).one()
    assert event.actor_id == admin_id() and event.detail["level"] == "L3"
    assert event.detail["before"][0]["training_hours"] == 48 and event.detail["after"][0]["training_hours"] == 60
    auth.login("trainee1")  # 48 hours of L3 training recorded
    page = client.get("/trainee/").text
    assert "完成三级培训 48 学时 &lt; 60 学时 ✗" in page


def test_adding_and_removing_a_route(client, auth):
    auth.login("admin1")
    data = form_for("L4", remove_1="1", name_2="途径C", cum_2="2")
    client.post("/admin/eligibility/rules", data=data)
    routes = level("L4").eligibility_routes["routes"]
    assert [(r["name"], r["cumulative_years"]) for r in routes] == [("途径A", None), ("途径C", 2)]
    assert routes[0]["training_hours"] == 40


def test_an_invalid_route_is_refused_naming_the_level_and_route_and_nothing_is_saved(client, auth):
    auth.login("admin1")
    negative = client.post("/admin/eligibility/rules", data=form_for("L3", cum_1="-1"))
    assert negative.status_code == 200
    assert "未保存" in negative.text and "三级(L3) 途径B" in negative.text and "不能为负数" in negative.text
    same_level = client.post("/admin/eligibility/rules", data=form_for("L3", cert_0="L3")).text
    assert "三级(L3) 途径A" in same_level and "只能要求更低等级的证书" in same_level
    higher = client.post("/admin/eligibility/rules", data=form_for("L2", cert_1="L1")).text
    assert "二级(L2) 途径B" in higher and "需持证书" in higher
    assert 'name="cum_1" value="-1"' in negative.text  # the administrator's rows are kept for correcting
    assert level("L3").eligibility_routes == {} and level("L2").eligibility_routes == {}
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.rules")).all() == []


def test_restoring_the_standard_defaults(client, auth):
    auth.login("admin1")
    client.post("/admin/eligibility/rules", data=form_for("L3", hours_0="60"))
    assert level("L3").eligibility_routes["routes"][0]["training_hours"] == 60
    restored = client.post("/admin/eligibility/rules", data={"level": "L3", "action": "defaults"},
                           follow_redirects=True)
    assert "已恢复标准默认" in restored.text
    assert level("L3").eligibility_routes == {}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.rules")
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 2 and events[1].detail["defaults"] is True
    assert events[1].detail["after"][0]["training_hours"] == 48
    auth.login("trainee1")
    assert "60 学时" not in client.get("/trainee/").text


def test_only_administrators_reach_the_new_pages(client, auth):
    for name in ("trainee1", "trainer1", "hr1"):
        auth.login(name)
        assert client.get("/admin/eligibility/rules").status_code == 403
        assert client.post("/admin/eligibility/rules", data=form_for("L3", hours_0="60")).status_code == 403
        assert client.get("/admin/api-tokens").status_code == 403
        assert client.post("/admin/api-tokens", data={"name": "x"}).status_code == 403
    assert level("L3").eligibility_routes == {}
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_token_issued_on_the_page_is_shown_once_works_and_stops_when_revoked(client, auth):
    auth.login("admin1")
    assert "请填写令牌用途" in client.post("/admin/api-tokens", data={"name": "  "}).text
    issued = client.post("/admin/api-tokens", data={"name": "集团人力系统"})
    assert issued.status_code == 200 and "只显示这一次" in issued.text
    assert issued.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="issued-token" value="(vip_[^"]+)"', issued.text).group(1)
    row = db.session.scalars(select(ApiToken)).one()
    assert row.name == "集团人力系统" and row.created_by_id == admin_id()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in db.session.scalars(select(ApiToken.token_sha256)).all()  # only the hash is stored
    listing = client.get("/admin/api-tokens").text
    assert "集团人力系统" in listing and token not in listing and "从未使用" in listing

    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/certificates", headers=headers).status_code == 200
    assert "从未使用" not in client.get("/admin/api-tokens").text

    revoked = client.post("/admin/api-tokens/revoke", data={"token_id": str(row.id)}, follow_redirects=True)
    assert "已吊销令牌" in revoked.text and token not in revoked.text
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert client.get("/api/v1/certificates", headers=headers).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "api_tokens")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["api_token.issue", "api_token.revoke"]
