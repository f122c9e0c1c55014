"""The whole path through the Flask test client: start, autosave, resume, submit, grade, certify, verify."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

from helpers import answer_all, correct_display_response, mark, mark_fields, open_sitting, render_certificates
from pypdf import PdfReader
from sqlalchemy import select

from exam.extensions import db
from exam.models import Attempt, AttemptState, AuditEvent, Certificate


def start(client, level="L4") -> Attempt:
    response = client.post(f"/trainee/levels/{level}/start")
    assert response.status_code == 302, response.data
    attempt_id = int(response.location.rstrip("/").split("/")[-1])
    return db.session.get(Attempt, attempt_id)


def test_trainee_passes_L4_gets_a_certificate_and_anyone_can_verify_it(client, auth, clock, user):
    auth.login("trainee1")
    attempt = start(client)
    page = client.get(f"/trainee/attempts/{attempt.id}")
    assert page.status_code == 200 and "剩余时间" in page.text
    assert len(attempt.items) == 85
    assert answer_all(client, attempt).status_code == 200
    clock.advance(minutes=30)
    result = client.post(f"/trainee/attempts/{attempt.id}/submit", follow_redirects=True)
    assert "合格" in result.text and "100" in result.text
    assert "W01 客户关怀" in result.text  # per-area breakdown
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()
    assert cert.number.startswith("VIP-L4-2026-")
    assert "证书生成中" in result.text  # numbered at grading; the PDF comes from a worker
    assert render_certificates() == 1

    pdf = client.get(f"/trainee/certificates/{cert.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert user("trainee1").full_name in text.replace(" ", "")
    assert cert.number in text.replace(" ", "")
    assert hashlib.sha256(pdf.data).hexdigest() == cert.sha256
    assert client.get(f"/trainee/certificates/{cert.id}.pdf").data == pdf.data  # same bytes, never re-rendered

    auth.logout()
    verify = client.get(f"/verify/{cert.verify_code}")
    assert verify.status_code == 200
    assert "有效" in verify.text and "岗位技能四级" in verify.text
    assert "王*" in verify.text and user("trainee1").full_name not in verify.text
    by_number = client.get("/verify", query_string={"q": cert.number}, follow_redirects=True)
    assert cert.number in by_number.text and "有效" in by_number.text


def test_answer_keys_and_explanations_never_reach_the_trainee(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt, only={1, 2, 3})
    page = client.get(f"/trainee/attempts/{attempt.id}").text
    state = client.get(f"/trainee/attempts/{attempt.id}/state").get_json()
    blob = page + json.dumps(state, ensure_ascii=False)
    for item in attempt.items:
        v = item.question_version
        assert v.explanation not in blob, item.position
        if isinstance(v.answer, str):
            assert v.answer not in blob
    assert "explanation" not in blob and '"answer"' not in blob


def test_an_older_save_never_overwrites_a_newer_one(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    item = next(i for i in attempt.items if i.type.value == "single")
    url = f"/trainee/attempts/{attempt.id}/answers"
    assert client.post(url, json={"answers": [{"item": item.position, "response": "A", "seq": 5}]}).get_json()["saved"]
    late = client.post(url, json={"answers": [{"item": item.position, "response": "B", "seq": 3}]}).get_json()
    assert late["stale"] == [item.position]
    state = client.get(f"/trainee/attempts/{attempt.id}/state").get_json()
    assert state["answers"][str(item.position)]["response"] == "A"
    assert state["max_seq"] == 5


def test_reloading_or_another_device_shows_saved_answers_and_the_true_remaining_time(client, app, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt, only={1, 40})
    clock.advance(minutes=10, seconds=30)
    other_device = app.test_client()
    other_device.post("/login", data={"username": "trainee1", "password": "test-password"})
    assert other_device.post("/trainee/levels/L4/start").location.endswith(f"/attempts/{attempt.id}")
    state = other_device.get(f"/trainee/attempts/{attempt.id}/state").get_json()
    assert state["remaining_seconds"] == 90 * 60 - 630
    assert set(state["answers"]) == {"1", "40"}
    item40 = attempt.items[39]
    assert state["answers"]["40"]["response"] == correct_display_response(item40)


def test_saves_after_the_deadline_are_refused_and_the_attempt_is_finalised_from_saved_answers(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt, only=set(range(1, 61)))  # 60 one-point items right
    clock.advance(minutes=90, seconds=1)
    late = client.post(f"/trainee/attempts/{attempt.id}/answers",
                       json={"answers": [{"item": 85, "response": ["A"], "seq": 9}]})
    assert late.status_code == 409
    assert "考试时间已到" in late.get_json()["error"]
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED
    assert attempt.finished_at == attempt.deadline_at
    first_60 = sum(i.points for i in attempt.items if i.position <= 60)
    assert attempt.score == first_60
    assert attempt.passed is (first_60 >= 60)


def test_scheduler_command_finalises_attempts_nobody_came_back_to(app, client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt)
    clock.advance(hours=2)
    result = app.test_cli_runner().invoke(args=["attempts", "finalize-expired"])
    assert "已收卷 1 份" in result.output, result.output
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.score == 100


def test_submitting_twice_gives_one_result_and_one_certificate(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt)
    first = client.post(f"/trainee/attempts/{attempt.id}/submit")
    second = client.post(f"/trainee/attempts/{attempt.id}/submit")
    assert first.location == second.location
    certs = db.session.scalars(select(Certificate).where(Certificate.user_id == attempt.user_id)).all()
    assert len(certs) == 1
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED


def test_two_tabs_submitting_at_once_cannot_both_move_the_attempt(app, client, auth, clock):
    import pytest
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    from exam.services.grading import submit_attempt
    from exam.web.common import certificate_settings

    auth.login("trainee1")
    attempt = start(client)
    conn = db.session.connection()
    tab_a = Session(bind=conn, join_transaction_mode="create_savepoint")
    tab_b = Session(bind=conn, join_transaction_mode="create_savepoint")
    a = tab_a.get(Attempt, attempt.id)
    b = tab_b.get(Attempt, attempt.id)
    assert a.state is b.state is AttemptState.IN_PROGRESS  # both tabs loaded the open attempt
    settings = certificate_settings()
    submit_attempt(tab_a, a, clock(), settings)
    tab_a.flush()
    with pytest.raises(StaleDataError):
        submit_attempt(tab_b, b, clock(), settings)
        tab_b.flush()
    tab_a.close()
    tab_b.close()


def test_a_trainee_cannot_see_another_trainees_attempt_result_or_certificate(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()
    auth.logout()
    auth.login("trainee2")
    for url in (f"/trainee/attempts/{attempt.id}", f"/trainee/attempts/{attempt.id}/result",
                f"/trainee/attempts/{attempt.id}/state", f"/trainee/certificates/{cert.id}.pdf"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/trainee/attempts/{attempt.id}/submit").status_code == 404
    assert client.post(f"/trainee/attempts/{attempt.id}/answers", json={"answers": []}).status_code == 404


def test_higher_level_opens_only_with_the_certificate_below(client, auth, clock):
    auth.login("trainee1")
    refused = client.post("/trainee/levels/L3/start", follow_redirects=True)
    assert "持四级证书 ✗" in refused.text and "累计从事本职业" in refused.text
    assert db.session.scalars(select(Attempt)).first() is None
    attempt = start(client, "L4")
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    _sitting, report = open_sitting("L3", ["trainee1"], now=clock.now)  # HR enrols the new L4 holder
    assert [u.username for u in report.enrolled] == ["trainee1"]
    l3 = start(client, "L3")
    assert l3.level.code == "L3" and len(l3.items) == 68


def test_open_questions_wait_for_trainer_marking_then_the_certificate_is_issued(client, auth, clock):
    auth.login("trainee1")
    l4 = start(client, "L4")
    answer_all(client, l4)
    client.post(f"/trainee/attempts/{l4.id}/submit")
    open_sitting("L3", ["trainee1"], now=clock.now)
    l3 = start(client, "L3")
    answer_all(client, l3)
    pending = client.post(f"/trainee/attempts/{l3.id}/submit", follow_redirects=True)
    assert "待培训师阅卷" in pending.text
    db.session.refresh(l3)
    assert l3.state is AttemptState.SUBMITTED and l3.score is None
    auth.logout()

    auth.login("trainer1")
    listing = client.get("/trainer/marking")
    manual = [i for i in l3.items if i.type.is_manual]
    assert len(manual) == 3 and listing.text.count("评分</a>") == 3
    page = client.get(f"/trainer/marking/{manual[0].answer.id}").text
    first_point = mark_fields(page)[0]
    too_many = client.post(f"/trainer/marking/{manual[0].answer.id}", data={first_point[0]: "99", "comment": ""},
                           follow_redirects=True)
    assert f"得分应在 0 到 {first_point[1]:g} 分之间" in too_many.text
    for item in manual:
        page = client.get(f"/trainer/marking/{item.answer.id}")
        assert item.question_version.answer in page.text  # the trainer sees the reference answer
        mark(client, item.answer.id, comment="要点齐全")
    db.session.refresh(l3)
    # the case study is double-marked at L3: the result waits for a second marker
    assert l3.state is AttemptState.SUBMITTED
    case = next(i for i in manual if i.type.value == "case_study")
    auth.login("admin1")
    assert "二评" in client.get("/trainer/marking").text
    mark(client, case.answer.id)
    db.session.refresh(l3)
    assert l3.state is AttemptState.GRADED and l3.score == 100 and l3.passed
    assert db.session.scalars(select(Certificate).where(Certificate.attempt_id == l3.id)).one().number.startswith(
        "VIP-L3-")


def test_hr_filters_certificates_and_downloads_a_zip_with_manifest(client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    cert = db.session.scalars(select(Certificate)).one()
    auth.logout()
    auth.login("hr1")
    assert "证书生成中" in client.get("/hr/certificates").text
    render_certificates()
    assert cert.number in client.get("/hr/certificates", query_string={"level": "L4"}).text
    assert cert.number not in client.get("/hr/certificates", query_string={"level": "L3"}).text
    from exam.models import Organization

    province = db.session.scalars(select(Organization).where(Organization.code == "CT-GD")).one()
    other = db.session.scalars(select(Organization).where(Organization.code == "CT-JS")).one()
    assert cert.number in client.get("/hr/certificates", query_string={"org": province.id}).text  # sub-organisation
    assert cert.number not in client.get("/hr/certificates", query_string={"org": other.id}).text
    assert cert.number not in client.get("/hr/certificates", query_string={"from": "2027-01-01"}).text
    z = client.get("/hr/certificates.zip", query_string={"level": "L4"})
    with zipfile.ZipFile(io.BytesIO(z.data)) as zf:
        assert zf.read(f"{cert.number}.pdf") == cert.pdf
        manifest = zf.read("manifest.csv").decode("utf-8-sig")
    assert cert.number in manifest and cert.sha256 in manifest and "广州分公司" in manifest


def test_cli_draws_a_paper_as_json_and_the_same_seed_gives_the_same_paper(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["paper", "draw", "--level", "L4", "--seed", "7", "--json"])
    assert first.exit_code == 0, first.output
    paper = json.loads(first.output)
    assert paper["level"] == "L4" and paper["total_points"] == 100 and len(paper["items"]) == 85
    assert set(paper["items"][0]) == {"question_id", "area", "type", "points", "difficulty"}
    assert {i["type"] for i in paper["items"]} == {"true_false", "single", "multiple", "fill_blank"}
    assert {i["difficulty"] for i in paper["items"]} <= {"easy", "medium", "hard"}
    again = runner.invoke(args=["paper", "draw", "--level", "L4", "--seed", "7", "--json"])
    assert again.output == first.output
    assert runner.invoke(args=["paper", "draw", "--level", "L9"]).exit_code != 0


def test_json_writes_without_a_csrf_token_are_refused(app, client, auth, clock):
    auth.login("trainee1")
    attempt = start(client)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/trainee/attempts/{attempt.id}/answers",
                               json={"answers": [{"item": 1, "response": True, "seq": 1}]})
        assert response.status_code == 400
        page = client.get(f"/trainee/attempts/{attempt.id}").text
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        ok = client.post(f"/trainee/attempts/{attempt.id}/answers", headers={"X-CSRFToken": token},
                         json={"answers": [{"item": 1, "response": correct_display_response(attempt.items[0]),
                                            "seq": 1}]})
        assert ok.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_login_refuses_a_wrong_password(client, auth):
    response = auth.login("trainee1", "wrong")
    assert response.status_code == 200 and "用户名或密码不正确" in response.text
    assert client.get("/trainee/").status_code == 302


def test_only_one_open_attempt_per_level_is_possible(app, client, auth, clock, user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    auth.login("trainee1")
    attempt = start(client)
    assert start(client).id == attempt.id  # a second click resumes
    duplicate = Attempt(user_id=attempt.user_id, level_id=attempt.level_id, state=AttemptState.IN_PROGRESS, seed=1,
                        started_at=clock(), deadline_at=attempt.deadline_at, pass_mark=60, total_points=100)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(duplicate)
        db.session.flush()


def test_starting_again_after_an_abandoned_attempt_finalises_it_and_opens_a_new_paper(client, auth, clock):
    auth.login("trainee1")
    abandoned = start(client)
    answer_all(client, abandoned, only=set(range(1, 21)))
    clock.advance(hours=3)
    refused = client.post("/trainee/levels/L4/start", follow_redirects=True).text
    assert "您已参加过演示考场" in refused  # one attempt per enrolment
    db.session.refresh(abandoned)
    assert abandoned.state is AttemptState.GRADED
    assert abandoned.score == sum(i.points for i in abandoned.items if i.position <= 20)
    open_sitting("L4", ["trainee1"], now=clock.now)  # HR enrols the trainee in a retake sitting
    fresh = start(client)
    assert fresh.id != abandoned.id and fresh.state is AttemptState.IN_PROGRESS


def test_a_retake_of_a_level_gets_no_question_from_the_first_attempt(client, auth, clock):
    auth.login("trainee1")
    first = start(client, "L4")
    answer_all(client, first, correct=False)
    client.post(f"/trainee/attempts/{first.id}/submit")
    clock.advance(days=1)
    open_sitting("L4", ["trainee1"], now=clock.now)
    second = start(client, "L4")
    assert second.id != first.id
    before = {i.question_version.question_id for i in first.items}
    again = {i.question_version.question_id for i in second.items}
    assert not before & again  # the starter bank allows a fresh L4 paper
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attempt.repeats")).all()
