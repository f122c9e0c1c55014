"""Operations on issued certificates: revoke with a reason, CLI list/verify, token-authenticated JSON."""
from __future__ import annotations

import json

from helpers import answer_all
from sqlalchemy import select

from exam.extensions import db
from exam.models import ApiToken, Attempt, AuditEvent, Certificate, User
from exam.services.api_tokens import issue_token


def certificate_for(client, auth, username: str = "trainee1") -> Certificate:
    auth.login(username)
    response = client.post("/trainee/levels/L4/start")
    attempt = db.session.get(Attempt, int(response.location.rstrip("/").split("/")[-1]))
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    return db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()


def admin() -> User:
    return db.session.scalars(select(User).where(User.username == "admin1")).one()


def test_hr_revokes_with_a_reason_and_verify_shows_it_while_the_pdf_stays(client, auth, clock):
    cert = certificate_for(client, auth)
    pdf = cert.pdf
    auth.login("hr1")
    client.post(f"/hr/certificates/{cert.id}/revoke", data={"reason": ""})
    db.session.refresh(cert)
    assert cert.revoked_at is None  # no reason, no revocation
    client.post(f"/hr/certificates/{cert.id}/revoke", data={"reason": "冒名顶替考试"})
    db.session.refresh(cert)
    assert cert.revoked_at is not None and cert.pdf == pdf
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.revoke")).one()
    assert event.detail["reason"] == "冒名顶替考试"
    page = client.get(f"/verify/{cert.verify_code}").text
    assert "已撤销" in page and "冒名顶替" not in page  # status only, never the reason or the full name


def test_a_number_with_a_typo_is_recognised_as_a_typo_on_verify(client, auth, clock):
    cert = certificate_for(client, auth)
    typo = cert.number[:-3] + ("1" if cert.number[-3] != "1" else "2") + cert.number[-2:]
    page = client.get(f"/verify/{typo}")
    assert page.status_code == 404 and "校验位不符" in page.text


def test_cli_lists_and_verifies_with_the_exit_code_of_the_status(app, client, auth, clock):
    cert = certificate_for(client, auth)
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["certificates", "list", "--level", "L4", "--status", "valid", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["number"]: r for r in json.loads(listed.output)}
    row = rows[cert.number]
    assert row["holder"] == "王喆" and row["organization"] == "广州分公司" and row["status"] == "valid"
    assert row["sha256"] == cert.sha256 and row["verify_url"].endswith(f"/verify/{cert.verify_code}")
    assert runner.invoke(args=["certificates", "verify", cert.number]).exit_code == 0
    bad = cert.number[:-1] + ("A" if cert.number[-1] != "A" else "B")
    assert runner.invoke(args=["certificates", "verify", bad]).exit_code == 2
    assert runner.invoke(args=["certificates", "revoke", cert.number, "--reason", "测试撤销"]).exit_code == 0
    revoked = runner.invoke(args=["certificates", "verify", cert.number])
    assert revoked.exit_code == 1 and "revoked" in revoked.output
    still_valid = json.loads(runner.invoke(args=["certificates", "list", "--status", "valid", "--json"]).output)
    assert cert.number not in {r["number"] for r in still_valid}


def test_the_api_needs_a_live_token_and_lists_changes_since_a_time(client, auth, clock):
    cert = certificate_for(client, auth)
    row, token = issue_token(db.session, "集团人力系统", actor_id=admin().id, now=clock.now)
    db.session.commit()
    client.get("/logout")
    assert client.get("/api/v1/certificates").status_code == 401
    assert client.get("/api/v1/certificates", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/certificates?changed_since=2000-01-01T00:00:00Z", headers=headers).json
    assert [c["number"] for c in body["certificates"]] == [cert.number] and body["next"] is None
    later = client.get("/api/v1/certificates", headers=headers,
                       query_string={"changed_since": body["certificates"][0]["updated_at"] + "+00:00"}).json
    assert later["certificates"] == []
    one = client.get(f"/api/v1/certificates/{cert.number}", headers=headers).json
    assert one["valid"] is True and one["holder"] == "王喆"
    assert db.session.get(ApiToken, row.id).last_used_at is not None
    assert token not in db.session.scalars(select(ApiToken.token_sha256)).all()  # only the hash is stored
    row.revoked_at = clock.now
    db.session.commit()
    assert client.get(f"/api/v1/certificates/{cert.number}", headers=headers).status_code == 401
