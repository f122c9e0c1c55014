"""Sittings: scheduling refusals, enrolment (eligible only, the refused listed with reasons), the start
window, extra time, access password and networks, live status, a pool per sitting, mock exams."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from helpers import answer_all, open_sitting
from openpyxl import Workbook
from sqlalchemy import delete, select

from exam.extensions import db
from exam.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    AuditEvent,
    Certificate,
    Enrolment,
    Level,
    PaperSection,
    PoolPaper,
    Sitting,
    User,
)


@pytest.fixture
def no_sittings(app, clock):  # noqa: ANN001, ANN201
    """Without the demo's year-long sittings, so each test sees only the sittings it schedules."""
    db.session.execute(delete(Enrolment))
    db.session.execute(delete(Sitting))
    db.session.commit()
    return clock


def person(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def start(client, level: str = "L4", **form):  # noqa: ANN001, ANN201
    return client.post(f"/trainee/levels/{level}/start", data=form, follow_redirects=True)


def started_attempt(username: str, level: str = "L4") -> Attempt | None:
    return db.session.scalars(select(Attempt).where(Attempt.user_id == person(username).id,
                                                    Attempt.kind == AttemptKind.CERTIFICATION)
                              .order_by(Attempt.id.desc())).first()


def schedule_form(**overrides: str) -> dict[str, str]:
    return {"name": "广东 2026 年第四季度四级认证", "level": "L4", "organization": "CT-GD",
            "starts_at": "2026-11-22T09:00", "ends_at": "2026-11-22T12:00", "mode": "room",
            "place": "广州天河 3 楼第一考场", "password": "", "networks": ""} | overrides


# --- scheduling ---------------------------------------------------------------------------------

def test_hr_schedules_a_sitting_in_beijing_time(client, auth, no_sittings):
    auth.login("hr1")
    page = client.post("/hr/sittings/", data=schedule_form(networks="10.12.0.0/16, 192.168.3.7"),
                       follow_redirects=True)
    assert "已安排考场 广东 2026 年第四季度四级认证" in page.text
    sitting = db.session.scalars(select(Sitting)).one()
    assert sitting.starts_at.hour == 1 and sitting.ends_at.hour == 4  # 09:00 and 12:00 in Beijing, stored UTC
    assert sitting.allowed_networks == ["10.12.0.0/16", "192.168.3.7/32"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.schedule")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.entity_id == sitting.id and event.actor_id == person("hr1").id
    assert event.detail["organization"] == "CT-GD" and event.detail["networks"] == sitting.allowed_networks


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ends_at": "2026-11-22T08:00"}, "须晚于开始时间"),
    ({"starts_at": "2026-11-20T08:00", "ends_at": "2026-11-21T08:00"}, "不能安排在过去"),
    ({"networks": "10.12.0.0/33"}, "允许的 IP 段 “10.12.0.0/33” 无法识别"),
    ({"name": ""}, "请填写考场名称"),
])
def test_a_bad_schedule_is_refused_with_the_reason(client, auth, no_sittings, overrides, message):
    auth.login("hr1")
    page = client.post("/hr/sittings/", data=schedule_form(**overrides))
    assert message in page.text
    assert db.session.scalars(select(Sitting)).first() is None


def test_a_level_whose_paper_cannot_be_assembled_cannot_be_scheduled(client, auth, no_sittings):
    l4 = db.session.scalars(select(Level).where(Level.code == "L4")).one()
    section = db.session.scalars(select(PaperSection).where(PaperSection.level_id == l4.id)).first()
    section.count = 5000  # far more questions of this type than the bank holds
    db.session.commit()
    auth.login("hr1")
    page = client.post("/hr/sittings/", data=schedule_form())
    assert "按当前比重表和题库无法组卷, 不能安排考场" in page.text
    assert db.session.scalars(select(Sitting)).first() is None


# --- enrolment ----------------------------------------------------------------------------------

def test_only_eligible_trainees_of_the_organisation_are_enrolled_the_rest_listed_with_reasons(client, auth, no_sittings):
    sitting, _ = open_sitting("L3", [], now=no_sittings.now, org="CT-GD")
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrol",
                       data={"how": "people", "people": "trainee1, trainee2\ntrainer1 nobody"}).text
    assert "新报名 <b>1</b> 人" in page
    assert "持四级证书 ✗" in page                  # trainee1: no L4 certificate yet
    assert "不是学员账号" in page                  # trainer1
    assert "nobody" in page and "没有这个用户名或工号" in page
    enrolled = db.session.scalars(select(Enrolment.user_id).where(Enrolment.sitting_id == sitting.id)).all()
    assert enrolled == [person("trainee2").id]
    again = client.post(f"/hr/sittings/{sitting.id}/enrol", data={"how": "people", "people": "trainee2"}).text
    assert "已在名单中 1 人" in again


def test_a_trainee_outside_the_sittings_organisation_is_refused(client, auth, no_sittings):
    sitting, report = open_sitting("L4", ["trainee1"], now=no_sittings.now, org="CT-JS")
    assert not report.enrolled
    assert "不在江苏分公司及其下级单位" in report.refused[0].reason


def test_enrol_a_whole_organisation_with_its_sub_organisations(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", [], now=no_sittings.now, org="CT-GD")
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrol", data={"how": "organization", "org": "CT-GD"}).text
    assert "新报名 <b>2</b> 人" in page
    assert {e.user.username for e in sitting.enrolments} == {"trainee1", "trainee2"}


def test_enrol_from_xlsx_reports_unknown_numbers_with_their_row(client, auth, no_sittings):
    person("trainee1").employee_no = "GZ000101"
    person("trainee2").employee_no = "SZ000202"
    db.session.commit()
    sitting, _ = open_sitting("L4", [], now=no_sittings.now)
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "姓名", " 工号 "])
    ws.append([1, "王喆", "GZ000101"])
    ws.append([2, "查无此人", "XX999999"])
    ws.append([3, "李玥", "SZ000202"])
    buffer = io.BytesIO()
    wb.save(buffer)
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrol", data={
        "how": "xlsx", "file": (io.BytesIO(buffer.getvalue()), "名单.xlsx")}, content_type="multipart/form-data").text
    assert "新报名 <b>2</b> 人" in page
    assert "<td>3</td><td>XX999999</td>" in page and "工号“XX999999”不存在" in page


def test_a_file_that_is_not_a_workbook_enrols_nobody(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", [], now=no_sittings.now)
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrol", data={
        "how": "xlsx", "file": (io.BytesIO(b"name,no\n"), "名单.csv")}, content_type="multipart/form-data",
        follow_redirects=True).text
    assert "不是 .xlsx 工作簿" in page
    assert not db.session.scalars(select(Enrolment)).all()


# --- the start window ---------------------------------------------------------------------------

def test_a_certification_attempt_starts_only_inside_an_enrolled_sittings_window(client, auth, no_sittings):
    clock = no_sittings
    auth.login("trainee1")
    assert "您没有正在开考的" in start(client).text  # not enrolled anywhere
    sitting, _ = open_sitting("L4", ["trainee1"], now=clock.now + timedelta(hours=2), hours=3)
    assert "将于" in start(client).text and started_attempt("trainee1") is None  # too early
    clock.advance(hours=6)
    assert "您没有正在开考的" in start(client).text  # window closed
    clock.advance(hours=-3)
    start(client)
    attempt = started_attempt("trainee1")
    assert attempt is not None and attempt.sitting_id == sitting.id
    assert attempt.deadline_at == clock.now + timedelta(minutes=attempt.level.duration_minutes)


def test_a_running_attempt_resumes_after_the_window_closes(client, auth, no_sittings):
    clock = no_sittings
    open_sitting("L4", ["trainee1"], now=clock.now, hours=0.5)
    auth.login("trainee1")
    start(client)
    first = started_attempt("trainee1")
    clock.advance(minutes=45)  # window closed, the 90-minute exam still running
    assert client.post("/trainee/levels/L4/start").location.endswith(f"/attempts/{first.id}")


def test_one_certification_attempt_per_enrolment(client, auth, no_sittings):
    clock = no_sittings
    open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("trainee1")
    start(client)
    attempt = started_attempt("trainee1")
    answer_all(client, attempt, correct=False)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    assert "您已参加过" in start(client).text
    assert started_attempt("trainee1").id == attempt.id


def test_mock_exams_are_open_without_a_sitting_and_never_certify(client, auth, no_sittings):
    auth.login("trainee1")
    response = client.post("/trainee/levels/L3/mock")  # not even eligible for L3: mocks are practice
    attempt = db.session.get(Attempt, int(response.location.rstrip("/").split("/")[-1]))
    assert attempt.kind is AttemptKind.MOCK and attempt.sitting_id is None
    l4 = client.post("/trainee/levels/L4/mock")
    mock = db.session.get(Attempt, int(l4.location.rstrip("/").split("/")[-1]))
    answer_all(client, mock)
    result = client.post(f"/trainee/attempts/{mock.id}/submit", follow_redirects=True).text
    assert "合格" in result and "模拟考试只用于练习" in result
    assert db.session.scalars(select(Certificate)).first() is None


# --- extra time -----------------------------------------------------------------------------------

def test_extra_time_needs_a_reason_is_audited_and_moves_a_running_deadline(client, auth, no_sittings):
    clock = no_sittings
    sitting, _ = open_sitting("L4", ["trainee1"], now=clock.now)
    enrolment = sitting.enrolments[0]
    auth.login("trainee1")
    start(client)
    attempt = started_attempt("trainee1")
    normal_deadline = attempt.deadline_at
    auth.login("hr1")
    url = f"/hr/sittings/{sitting.id}/enrolments/{enrolment.id}/extra-time"
    assert "请写明延长时间的理由" in client.post(url, data={"minutes": "30", "reason": " "}, follow_redirects=True).text
    client.post(url, data={"minutes": "30", "reason": "视力障碍, 省公司人力部批准"})
    db.session.refresh(attempt)
    assert attempt.deadline_at == normal_deadline + timedelta(minutes=30)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.extra_time")).one()
    assert event.detail["after"] == 30 and event.detail["reason"] == "视力障碍, 省公司人力部批准"
    auth.login("trainee1")
    clock.advance(minutes=attempt.level.duration_minutes + 10)  # past the normal end, inside the extra time
    assert answer_all(client, attempt).status_code == 200


def test_extra_time_granted_before_the_start_lengthens_the_attempt(client, auth, no_sittings):
    clock = no_sittings
    sitting, _ = open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("hr1")
    client.post(f"/hr/sittings/{sitting.id}/enrolments/{sitting.enrolments[0].id}/extra-time",
                data={"minutes": "20", "reason": "听障考生, 需读题"})
    auth.login("trainee1")
    start(client)
    attempt = started_attempt("trainee1")
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=attempt.level.duration_minutes + 20)


# --- access password and networks -------------------------------------------------------------

def test_the_room_password_and_allowed_networks_are_checked_at_the_start(client, auth, no_sittings):
    open_sitting("L4", ["trainee1"], now=no_sittings.now, password="7391", networks="10.12.0.0/16")
    auth.login("trainee1")
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert "不在允许范围内" in start(client, password="7391").text
    client.environ_base["REMOTE_ADDR"] = "10.12.40.7"
    assert "请输入监考老师公布的考场密码" in start(client).text
    assert "考场密码不正确" in start(client, password="0000").text
    assert started_attempt("trainee1") is None
    start(client, password="7391")
    assert started_attempt("trainee1") is not None


# --- live status and pools ---------------------------------------------------------------------

def test_live_status_counts_enrolled_started_submitted_awaiting_and_passed(client, auth, no_sittings):
    clock = no_sittings
    l4, _ = open_sitting("L4", ["trainee1", "trainee2"], now=clock.now)
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{l4.id}/live").text
    assert 'data-count="enrolled">2<' in board and 'data-count="started">0<' in board
    auth.login("trainee1")
    start(client)
    auth.login("trainee2")
    start(client)
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{l4.id}/live").text
    assert 'data-count="started">2<' in board and 'data-status="started"' in board
    auth.login("trainee1")
    attempt = started_attempt("trainee1")
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{l4.id}/live").text
    assert 'data-count="submitted">1<' in board and 'data-count="passed">1<' in board
    assert '<tr data-user="trainee1" data-status="passed">' in board

    l3, _ = open_sitting("L3", ["trainee2"], now=clock.now)  # L3 has open questions: marked by trainers
    auth.login("trainee2")
    l4_attempt = started_attempt("trainee2")
    client.post(f"/trainee/attempts/{l4_attempt.id}/submit")
    start(client, "L3")
    l3_attempt = started_attempt("trainee2")
    answer_all(client, l3_attempt)
    client.post(f"/trainee/attempts/{l3_attempt.id}/submit")
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{l3.id}").text
    assert 'data-count="awaiting">1<' in board and '<tr data-user="trainee2" data-status="awaiting">' in board


def test_an_overdue_attempt_is_collected_when_hr_looks(client, auth, no_sittings):
    clock = no_sittings
    sitting, _ = open_sitting("L4", ["trainee1"], now=clock.now)
    auth.login("trainee1")
    start(client)
    clock.advance(hours=2)
    auth.login("hr1")
    board = client.get(f"/hr/sittings/{sitting.id}/live").text
    assert 'data-count="submitted">1<' in board
    assert started_attempt("trainee1").state is AttemptState.GRADED


def test_a_sittings_own_pool_gives_the_papers_and_is_fixed_once_someone_starts(client, auth, no_sittings):
    sitting, _ = open_sitting("L4", ["trainee1", "trainee2"], now=no_sittings.now)
    auth.login("hr1")
    assert "已为本场考试组好 3 套平行试卷" in client.post(f"/hr/sittings/{sitting.id}/pool", data={"size": "3"},
                                                          follow_redirects=True).text
    db.session.refresh(sitting)
    auth.login("trainee1")
    start(client)
    attempt = started_attempt("trainee1")
    paper = db.session.get(PoolPaper, attempt.pool_paper_id)
    assert paper.pool_id == sitting.pool_id
    auth.login("hr1")
    assert "不能再更换本场试卷" in client.post(f"/hr/sittings/{sitting.id}/pool", data={"size": "3"},
                                               follow_redirects=True).text


def test_the_trainee_dashboard_shows_the_enrolled_sitting(client, auth, no_sittings):
    open_sitting("L4", ["trainee1"], now=no_sittings.now, password="1234")
    auth.login("trainee1")
    page = client.get("/trainee/").text
    assert "正式考试 · L4 考场" in page and 'name="password"' in page and "进入正式考试" in page
    assert "尚未报名本等级正式考试" in page  # L3 and above


def test_trainers_mark_certification_answers_before_mock_ones(client, auth, no_sittings):
    from exam.services.grading import pending_marking

    clock = no_sittings
    auth.login("trainee2")
    mock = db.session.get(Attempt, int(client.post("/trainee/levels/L3/mock").location.rstrip("/").split("/")[-1]))
    answer_all(client, mock)
    client.post(f"/trainee/attempts/{mock.id}/submit")  # handed in first (no mock once the sitting is open)
    clock.advance(minutes=5)
    open_sitting("L3", ["trainee2"], now=clock.now)
    start(client, "L3")
    real = started_attempt("trainee2")
    answer_all(client, real)
    client.post(f"/trainee/attempts/{real.id}/submit")
    kinds = [a.item.attempt.kind for a in pending_marking(db.session)]
    assert kinds[0] is AttemptKind.CERTIFICATION and kinds[-1] is AttemptKind.MOCK
    auth.login("trainer1")
    assert "模拟" in client.get("/trainer/marking").text
