"""Trust: throttled logins, sessions that end, headers, sitting passwords that cannot be brute-forced,
extra time that cannot revive an attempt, facts that a half-sent form cannot wipe."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import DEMO_PASSWORD
from helpers import mark_fields, open_sitting
from sqlalchemy import delete, select

from exam.extensions import db
from exam.models import Answer, Attempt, AttemptKind, AttemptState, AuditEvent, Enrolment, Organization, Sitting, User
from exam.web import auth as auth_views


def person(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def login(client, username: str, password: str = DEMO_PASSWORD, **environ):  # noqa: ANN001, ANN201
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ)


# --- login ---------------------------------------------------------------------------------------

def test_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one_then(client, clock):
    for _ in range(4):
        assert "用户名或密码不正确" in login(client, "trainee1", "wrong").text
    assert login(client, "trainee1", "wrong").status_code == 429  # the fifth: locked from now on
    refused = login(client, "trainee1")
    assert refused.status_code == 429 and "登录已暂停" in refused.text
    assert client.get("/trainee/").status_code == 302  # not logged in
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.lockout")).one()
    assert event.detail["username"] == "trainee1" and event.entity_id == person("trainee1").id
    assert login(client, "trainer1").status_code == 302  # other accounts are not locked


def test_a_success_clears_the_accounts_failures(client):
    for _ in range(4):
        login(client, "trainee1", "wrong")
    assert login(client, "trainee1").status_code == 302
    client.post("/logout")
    for _ in range(4):
        login(client, "trainee1", "wrong")
    assert login(client, "trainee1").status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, client):
    app.config["LOGIN_LIMIT_ADDRESS"] = "8 per 15 minutes"
    try:
        for n in range(8):
            login(client, f"nobody{n}", "wrong", REMOTE_ADDR="198.51.100.7")
        assert login(client, "trainee1", REMOTE_ADDR="198.51.100.7").status_code == 429
        assert login(client, "trainee1", REMOTE_ADDR="198.51.100.8").status_code == 302
    finally:
        app.config["LOGIN_LIMIT_ADDRESS"] = "100 per 15 minutes"


def test_an_unknown_username_costs_a_password_check_like_a_known_one(client, monkeypatch):
    checked = []
    real = auth_views.check_password_hash
    monkeypatch.setattr(auth_views, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    login(client, "no-such-user", "whatever")
    login(client, "trainee1", "wrong")
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]  # same method and cost


# --- sessions ------------------------------------------------------------------------------------

def _cookie(client) -> str:  # noqa: ANN001
    return client.get_cookie("session").value


def test_a_copied_cookie_stops_working_at_logout(app, client):
    login(client, "trainee1")
    copied = _cookie(client)
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/trainee/").status_code == 200
    client.post("/logout")
    assert other.get("/trainee/").status_code == 302


def test_login_starts_a_fresh_session(client):
    with client.session_transaction() as s:
        s["planted"] = "by someone else"
    login(client, "trainee1")
    with client.session_transaction() as s:
        assert "planted" not in s


def test_changing_the_password_ends_the_other_sessions_not_this_one(app, client):
    login(client, "trainee1")
    elsewhere = app.test_client()
    login(elsewhere, "trainee1")
    page = client.post("/account/password", data={"current": DEMO_PASSWORD, "new": "a-new-password-1",
                                                   "confirm": "a-new-password-1"}, follow_redirects=True)
    assert "密码已修改" in page.text
    assert client.get("/trainee/").status_code == 200
    assert elsewhere.get("/trainee/").status_code == 302
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_change")).one()
    client.post("/logout")
    assert login(client, "trainee1").status_code != 302
    assert login(client, "trainee1", "a-new-password-1").status_code == 302


def test_a_wrong_current_password_changes_nothing(client):
    login(client, "trainee1")
    page = client.post("/account/password", data={"current": "nope", "new": "a-new-password-1",
                                                   "confirm": "a-new-password-1"})
    assert "当前密码不正确" in page.text
    client.post("/logout")
    assert login(client, "trainee1").status_code == 302


def test_autosave_with_a_cookie_from_before_logout_is_refused(app, client, clock):
    login(client, "trainee1")
    start = client.post("/trainee/levels/L1/mock")  # L4 has the demo's open sitting, where mocks wait
    attempt_id = int(start.location.rsplit("/", 1)[1])
    copied = _cookie(client)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.post(f"/trainee/attempts/{attempt_id}/answers",
                          json={"answers": [{"item": 1, "response": True, "seq": 1}]})
    assert response.status_code == 401
    assert not db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id, Answer.seq > 0)).all()


# --- headers -------------------------------------------------------------------------------------

def test_every_page_sends_security_headers_and_private_pages_are_not_stored(client):
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in page.headers  # cookies are not Secure in this set-up
    login(client, "hr1")
    assert client.get("/hr/sittings/").headers["Cache-Control"] == "no-store"
    login(client, "trainee1")
    assert client.get("/trainee/").headers["Cache-Control"] == "no-store"


def test_hsts_when_cookies_are_secure(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_no_page_has_inline_script(client, auth):
    import re

    for username, urls in {"trainee1": ["/trainee/"], "hr1": ["/hr/sittings/", "/hr/certificates"],
                           "admin1": ["/admin/", "/admin/api-tokens"], "trainer1": ["/trainer/", "/bank/"]}.items():
        auth.login(username)
        for url in urls:
            page = client.get(url, follow_redirects=True).text
            scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
            assert not scripts, (url, scripts)
            assert not re.search(r"\son[a-z]+=\"", page), url


# --- sitting password --------------------------------------------------------------------------

@pytest.fixture
def no_sittings(app, clock):  # noqa: ANN001, ANN201
    db.session.execute(delete(Enrolment))
    db.session.execute(delete(Sitting))
    db.session.commit()
    return clock


def test_wrong_sitting_passwords_lock_the_enrolment_and_hr_sees_them(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", ["trainee1"], now=no_sittings.now, password="7391")
    auth.login("trainee1")
    for n in range(1, 6):
        page = client.post("/trainee/levels/L4/start", data={"password": f"000{n}"}, follow_redirects=True)
    assert "入场已锁定" in page.text
    right = client.post("/trainee/levels/L4/start", data={"password": "7391"}, follow_redirects=True)
    assert "入场已锁定" in right.text  # even the right password waits out the lock
    assert not db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.CERTIFICATION,
                                                        Attempt.user_id == person("trainee1").id)).all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.password_failure")).all()
    assert len(events) == 5 and events[-1].detail["locked"]
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{sitting.id}").text
    assert "5 次" in board and "锁定至" in board
    enrolment = sitting.enrolments[0]
    client.post(f"/hr/sittings/{sitting.id}/enrolments/{enrolment.id}/unlock")
    auth.login("trainee1")
    client.post("/trainee/levels/L4/start", data={"password": "7391"})
    assert db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.CERTIFICATION,
                                                    Attempt.user_id == person("trainee1").id)).one()


def test_the_lock_ends_after_its_minutes(client, auth, no_sittings):
    open_sitting("L4", ["trainee1"], now=no_sittings.now, password="7391")
    auth.login("trainee1")
    for n in range(5):
        client.post("/trainee/levels/L4/start", data={"password": f"x{n}"})
    no_sittings.advance(minutes=16)
    client.post("/trainee/levels/L4/start", data={"password": "7391"})
    assert db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.CERTIFICATION,
                                                    Attempt.user_id == person("trainee1").id)).one()


# --- extra time ---------------------------------------------------------------------------------

def test_extra_time_does_not_revive_an_attempt_whose_deadline_passed(client, auth, no_sittings):
    clock = no_sittings
    sitting, _ = open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("trainee1")
    client.post("/trainee/levels/L4/start")
    attempt = db.session.scalars(select(Attempt).where(Attempt.kind == AttemptKind.CERTIFICATION)).one()
    deadline = attempt.deadline_at
    clock.advance(minutes=attempt.level.duration_minutes + 5)  # over, nobody collected it yet
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrolments/{sitting.enrolments[0].id}/extra-time",
                       data={"minutes": "30", "reason": "补时"}, follow_redirects=True)
    assert "不能再延长" in page.text
    db.session.refresh(attempt)
    assert attempt.state is not AttemptState.IN_PROGRESS and attempt.deadline_at == deadline


# --- facts form -----------------------------------------------------------------------------------

def test_a_facts_form_with_fields_missing_keeps_the_recorded_facts(client, auth):
    user = person("trainee1")
    org, job_start = user.organization_id, user.job_start_date
    assert org is not None and job_start is not None
    auth.login("hr1")
    client.post("/hr/facts/trainee", data={"who": "trainee1", "probation_passed_on": "2024-09-01"})
    db.session.refresh(user)
    assert user.organization_id == org and user.job_start_date == job_start
    assert user.probation_passed_on == date(2024, 9, 1)


def test_facts_are_not_recorded_for_non_trainees(client, auth):
    hr = person("hr1")
    auth.login("hr1")
    org = db.session.scalars(select(Organization).where(Organization.code == "CT")).one()
    page = client.post("/hr/facts/trainee", data={"who": "trainer1", "organization": org.code,
                                                  "job_start": "2001-01-01"})
    assert "找不到" in page.text
    assert person("trainer1").job_start_date != date(2001, 1, 1) and hr.id


def test_the_lock_message_counts_down(client, auth, no_sittings):
    open_sitting("L4", ["trainee1"], now=no_sittings.now, password="7391")
    auth.login("trainee1")
    page = client.post("/trainee/levels/L4/start", data={"password": "1111"}, follow_redirects=True)
    assert "再错 4 次将锁定入场" in page.text


# --- report sizes -----------------------------------------------------------------------------------

def _workbook(numbers: list[str]) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["工号"])
    for n in numbers:
        ws.append([n])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _enrol_file(client, sitting_id: int, data: bytes):  # noqa: ANN001, ANN202
    import io

    return client.post(f"/hr/sittings/{sitting_id}/enrol", data={"how": "xlsx", "file": (io.BytesIO(data), "名单.xlsx")},
                       content_type="multipart/form-data")


def test_an_enrolment_list_of_thousands_of_unknown_numbers_gives_a_bounded_page_and_audit(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", [], now=no_sittings.now)
    auth.login("hr1")
    page = _enrol_file(client, sitting.id, _workbook([f"ZZ{n:07d}" + "长" * 30 for n in range(5000)]))
    assert page.status_code == 200 and len(page.data) < 200_000
    assert "另有 4800 人未报名" in page.text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.enrol")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.detail["refused_count"] == 5000 and len(str(event.detail)) < 50_000


def test_an_enrolment_list_over_the_cap_is_refused_with_the_count(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", [], now=no_sittings.now)
    auth.login("hr1")
    page = _enrol_file(client, sitting.id, _workbook([f"ZZ{n:07d}" for n in range(20_001)]))
    assert "一次最多 20000 人" in page.get_data(as_text=True) or "一次最多 20000 人" in client.get(
        f"/hr/sittings/{sitting.id}").text


# --- malformed input: a 4xx with a message, never a 5xx ---------------------------------------------

def _mock(client) -> int:  # noqa: ANN001
    return int(client.post("/trainee/levels/L1/mock").location.rsplit("/", 1)[1])


@pytest.mark.parametrize("body", [
    '{"answers": ["x"]}', '{"item": [1]}', '{"answers": [{"item": 1, "response": true, "seq": 9223372036854775808}]}',
    '{"answers": [{"item": 99999999999999999999, "response": true, "seq": 1}]}',
    '{"answers": [{"item": 1, "response": "BCD", "seq": 2}]}', "[" * 50000 + "]" * 50000, "not json",
])
def test_malformed_autosave_bodies_are_refused_with_a_message(client, body):
    login(client, "trainee1")
    attempt_id = _mock(client)
    response = client.post(f"/trainee/attempts/{attempt_id}/answers", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]


@pytest.mark.parametrize("url", [f"/trainee/attempts/{2**63}", f"/trainee/attempts/{2**64}/result",
                                 f"/hr/sittings/{10**30}", f"/trainer/questions/{2**63}"])
def test_ids_beyond_the_databases_range_are_not_found(client, url):
    login(client, "admin1" if not url.startswith("/trainee") else "trainee1")
    response = client.get(url)
    assert response.status_code == 404 and "页面不存在" in response.text


@pytest.mark.parametrize("url", ["/trainer/questions?page=99999999999999999999999", "/hr/certificates?page=²",
                                 "/trainer/questions?page=-5"])
def test_page_numbers_of_any_size_show_a_page(client, url):
    login(client, "admin1")
    assert client.get(url).status_code == 200


def test_superscript_digits_are_not_an_id(client):
    login(client, "admin1")
    page = client.post("/admin/api-tokens/revoke", data={"token_id": "²"}, follow_redirects=True)
    assert page.status_code == 200 and "找不到该令牌" in page.text


def test_a_mark_that_is_not_a_number_is_refused(client, clock):
    from exam.models import Answer, PaperItem

    login(client, "trainee1")
    attempt_id = _mock(client)
    item = db.session.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt_id,
                                                      PaperItem.type.in_(["short_answer", "case_study"]))).first()
    client.post(f"/trainee/attempts/{attempt_id}/answers",
                json={"answers": [{"item": item.position, "response": "先致歉安抚, 再告知处理时限。", "seq": 1}]})
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    answer = db.session.scalars(select(Answer).where(Answer.paper_item_id == item.id)).one()
    assert answer.score is None  # awaits a trainer
    login(client, "trainer1")
    fields = [name for name, _top in mark_fields(client.get(f"/trainer/marking/{answer.id}").text)]
    for points in ("sNaN", "NaN", "Infinity", "1e999", "١٢"):
        page = client.post(f"/trainer/marking/{answer.id}", data=dict.fromkeys(fields, points))
        assert page.status_code == 200 and "请填写一个数字" in page.text or "得分应在" in page.text, points
        db.session.refresh(answer)
        assert answer.score is None


def test_an_api_time_at_the_calendars_end_is_refused(client, clock):
    from exam.models import User as U
    from exam.services.api_tokens import issue_token

    admin = db.session.scalars(select(U).where(U.username == "admin1")).one()
    _row, token = issue_token(db.session, "集团人力系统", actor_id=admin.id, now=clock.now)
    db.session.commit()
    for since in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-02-30"):
        response = client.get("/api/v1/certificates", query_string={"changed_since": since},
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400 and "changed_since" in response.json["error"], since


def test_a_sitting_in_year_one_is_refused(client):
    login(client, "hr1")
    page = client.post("/hr/sittings/", data={"name": "x", "level": "L4", "organization": "CT",
                                               "starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T02:00",
                                               "mode": "room"})
    assert page.status_code == 200 and "请检查年份" in page.text


@pytest.mark.parametrize("how", ["path", "query", "form", "answer"])
def test_a_nul_character_anywhere_is_refused_with_a_message(client, how):
    login(client, "trainee1")
    if how == "path":
        response = client.post("/trainee/levels/%00/start")
    elif how == "query":
        response = client.get("/trainee/", query_string={"q": "a\x00b"})
    elif how == "form":
        response = client.post("/account/password", data={"current": "x\x00", "new": "y", "confirm": "y"})
    else:
        attempt_id = _mock(client)
        from exam.models import PaperItem

        item = db.session.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt_id,
                                                          PaperItem.type == "short_answer")).first()
        response = client.post(f"/trainee/attempts/{attempt_id}/answers",
                               json={"answers": [{"item": item.position, "response": "回答\x00", "seq": 1}]})
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)


def test_certificate_lookups_are_rate_limited_per_address(app, client):
    app.config["VERIFY_LIMIT"] = "5 per minute"
    try:
        for n in range(5):
            assert client.get(f"/verify/VIP-L4-2026-00000{n}-X", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
        refused = client.get("/verify/file", query_string={"sha256": "ab" * 32}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert refused.status_code == 429 and "操作过于频繁" in refused.text
        assert client.get("/verify/VIP-L4-2026-000001-X", environ_base={"REMOTE_ADDR": "203.0.113.6"}).status_code == 404
    finally:
        app.config["VERIFY_LIMIT"] = "30 per minute; 300 per hour"
