"""报名申请: an eligible trainee applies for an upcoming sitting of their organisation; HR approves (checked again)
or refuses with a reason the trainee reads; every step audited."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from exam.extensions import db
from exam.models import (
    ApplicationStatus,
    AuditEvent,
    EligibilityOverride,
    Enrolment,
    Level,
    Organization,
    SittingApplication,
    SittingMode,
    User,
)
from exam.services.sittings import schedule_sitting


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def upcoming(clock, level: str = "L3", org: str = "CT-GD", days: int = 3):  # noqa: ANN201
    sitting = schedule_sitting(
        db.session, name=f"{level} 报名考场", level=db.session.scalars(select(Level).where(Level.code == level)).one(),
        organization=db.session.scalars(select(Organization).where(Organization.code == org)).one(),
        starts_at=clock.now + timedelta(days=days), ends_at=clock.now + timedelta(days=days, hours=3),
        mode=SittingMode.ROOM, place="广州培训中心 301", actor_id=None, now=clock.now)
    db.session.commit()
    return sitting


def _application(sitting, username: str) -> SittingApplication | None:
    return db.session.scalars(select(SittingApplication).where(
        SittingApplication.sitting_id == sitting.id, SittingApplication.user_id == _user(username).id)).one_or_none()


def _enrolled(sitting, username: str) -> bool:
    return db.session.scalar(select(Enrolment.id).where(
        Enrolment.sitting_id == sitting.id, Enrolment.user_id == _user(username).id)) is not None


def test_an_eligible_trainee_applies_and_hr_approves_into_the_sitting(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee2")  # eligible for 三级 by route B
    page = client.get("/trainee/").text
    assert f'data-apply="{sitting.id}"' in page
    page = client.post(f"/trainee/sittings/{sitting.id}/apply", follow_redirects=True).text
    assert "等待人力部门审核" in page and 'data-application-status="pending"' in page
    assert f'data-apply="{sitting.id}"' not in page

    auth.login("hr1")
    detail = client.get(f"/hr/sittings/{sitting.id}").text
    assert 'data-approve="trainee2"' in detail and "待审核 1 份" in detail
    overview = client.get("/hr/overview/").text
    assert f'/hr/sittings/{sitting.id}#applications' in overview
    page = client.post(f"/hr/sittings/{sitting.id}/applications/{_application(sitting, 'trainee2').id}/approve",
                       follow_redirects=True).text
    assert "已批准" in page
    assert _enrolled(sitting, "trainee2") and _application(sitting, "trainee2").status is ApplicationStatus.APPROVED
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"application.submit", "application.approve", "sitting.enrol"} <= actions

    auth.login("trainee2")
    page = client.get("/trainee/").text
    assert "L3 报名考场" in page and f'data-apply="{sitting.id}"' not in page  # now in the enrolled sittings


def test_an_ineligible_trainee_cannot_apply(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee1")  # 三级 needs the 四级 certificate
    page = client.get("/trainee/").text
    assert f'data-apply="{sitting.id}"' not in page and "符合申报条件后可申请报名" in page
    page = client.post(f"/trainee/sittings/{sitting.id}/apply", follow_redirects=True).text
    assert "暂不能报考" in page and "持四级证书" in page
    assert _application(sitting, "trainee1") is None


def test_a_sitting_of_another_organisation_is_not_offered_and_cannot_be_applied_for(client, auth, clock):
    sitting = upcoming(clock, org="CT-JS")
    auth.login("trainee2")
    assert f'data-apply-sitting="{sitting.id}"' not in client.get("/trainee/").text
    page = client.post(f"/trainee/sittings/{sitting.id}/apply", follow_redirects=True).text
    assert "只面向江苏分公司" in page and _application(sitting, "trainee2") is None


def test_a_started_sitting_takes_no_applications(client, auth, clock):
    sitting = upcoming(clock, days=1)
    clock.advance(days=1, minutes=1)
    auth.login("trainee2")
    page = client.post(f"/trainee/sittings/{sitting.id}/apply", follow_redirects=True).text
    assert "不能再报名" in page and _application(sitting, "trainee2") is None


def test_approval_checks_eligibility_again_and_hr_refuses_with_a_reason_the_trainee_reads(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    application = _application(sitting, "trainee2")
    db.session.add(EligibilityOverride(user_id=_user("trainee2").id, level_id=sitting.level_id, eligible=False,
                                       reason="培训考勤不足", decided_by_id=_user("admin1").id, decided_at=clock.now))
    db.session.commit()

    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/applications/{application.id}/approve", follow_redirects=True).text
    assert "不能批准" in page and "培训考勤不足" in page
    db.session.refresh(application)
    assert application.status is ApplicationStatus.PENDING and not _enrolled(sitting, "trainee2")

    page = client.post(f"/hr/sittings/{sitting.id}/applications/{application.id}/refuse", data={"reason": " "},
                       follow_redirects=True).text
    assert "请写明不批准的理由" in page
    client.post(f"/hr/sittings/{sitting.id}/applications/{application.id}/refuse",
                data={"reason": "请先补足三级培训学时"})
    db.session.refresh(application)
    assert application.status is ApplicationStatus.REFUSED and application.reason == "请先补足三级培训学时"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.refuse")).one()
    assert event.detail["reason"] == "请先补足三级培训学时"

    auth.login("trainee2")
    page = client.get("/trainee/").text
    assert 'data-application-status="refused"' in page and "请先补足三级培训学时" in page


def test_a_refused_trainee_may_apply_again_once_eligible(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    application = _application(sitting, "trainee2")
    auth.login("hr1")
    client.post(f"/hr/sittings/{sitting.id}/applications/{application.id}/refuse", data={"reason": "名额已满"})
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    db.session.refresh(application)
    assert application.status is ApplicationStatus.PENDING and application.reason == ""


def test_a_trainee_withdraws_and_hr_can_no_longer_approve(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    application = _application(sitting, "trainee2")
    client.post(f"/trainee/applications/{application.id}/withdraw")
    db.session.refresh(application)
    assert application.status is ApplicationStatus.WITHDRAWN
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/applications/{application.id}/approve", follow_redirects=True).text
    assert "已撤回, 不能再批准" in page and not _enrolled(sitting, "trainee2")


def test_applying_twice_is_one_application(client, auth, clock):
    sitting = upcoming(clock)
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    page = client.post(f"/trainee/sittings/{sitting.id}/apply", follow_redirects=True).text
    assert "正等待人力部门审核" in page
    assert len(db.session.scalars(select(SittingApplication)).all()) == 1


def test_nobody_else_handles_an_application(client, auth, clock):
    sitting, other = upcoming(clock), upcoming(clock, level="L4")
    auth.login("trainee2")
    client.post(f"/trainee/sittings/{sitting.id}/apply")
    application = _application(sitting, "trainee2")
    auth.login("trainee1")
    assert client.post(f"/trainee/applications/{application.id}/withdraw").status_code == 404
    auth.login("hr1")  # the application belongs to another sitting
    assert client.post(f"/hr/sittings/{other.id}/applications/{application.id}/approve").status_code == 404


def test_a_level_already_passed_offers_no_sitting(client, auth, clock):
    from test_certificate_ops import certificate_for

    certificate_for(client, auth)  # trainee1 holds 四级
    l4 = upcoming(clock, level="L4")
    auth.login("trainee1")
    assert f'data-apply-sitting="{l4.id}"' not in client.get("/trainee/").text
    page = client.post(f"/trainee/sittings/{l4.id}/apply", follow_redirects=True).text
    assert "已持有本等级有效证书" in page
