"""报名申请: a trainee eligible for a level applies for an upcoming sitting of their organisation; HR approves
(the enrolment's checks run again: organisation, active trainee, eligibility today) or refuses with a written
reason. Every step is audited. Services flush; callers commit once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from exam.models import (
    ApplicationStatus,
    Enrolment,
    Organization,
    Role,
    Sitting,
    SittingApplication,
    User,
    record_audit,
)
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level
from exam.services.sittings import cn, enrol


class RegistrationError(ValueError):
    """Refused, with a message for the trainee or HR."""


def organization_chain(session: Session, organization_id: int | None) -> list[int]:
    """The organisation and every organisation above it (a sitting of any of them admits its members)."""
    parents = dict(session.execute(select(Organization.id, Organization.parent_id)).all())
    chain, oid = [], organization_id
    while oid is not None and oid not in chain:
        chain.append(oid)
        oid = parents.get(oid)
    return chain


def open_sittings(session: Session, user: User, now: datetime) -> list[Sitting]:
    """Sittings the trainee could apply for: not yet started, of their organisation or one above it, not
    already enrolled in; soonest first."""
    enrolled = select(Enrolment.sitting_id).where(Enrolment.user_id == user.id)
    return list(session.scalars(
        select(Sitting).where(Sitting.starts_at > now,
                              Sitting.organization_id.in_(organization_chain(session, user.organization_id)),
                              Sitting.id.not_in(enrolled))
        .options(selectinload(Sitting.level), selectinload(Sitting.organization)).order_by(Sitting.starts_at)))


def applications_of(session: Session, user: User) -> dict[int, SittingApplication]:
    """The trainee's applications by sitting id."""
    return {a.sitting_id: a for a in session.scalars(
        select(SittingApplication).where(SittingApplication.user_id == user.id))}


def apply_for_sitting(session: Session, user: User, sitting: Sitting, now: datetime) -> SittingApplication:
    """The trainee's application, refused with the reason when the sitting has started, is not for their
    organisation, they are enrolled already or not eligible for its level today."""
    if not user.has_role(Role.TRAINEE) or not user.active:
        raise RegistrationError("只有在职学员可以报名")
    if sitting.starts_at <= now:
        raise RegistrationError(f"{sitting.name}已于 {cn(sitting.starts_at)} 开考, 不能再报名")
    if sitting.organization_id not in organization_chain(session, user.organization_id):
        raise RegistrationError(f"{sitting.name}只面向{sitting.organization.name}及其下级单位的学员")
    if session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.sitting_id == sitting.id, Enrolment.user_id == user.id)):
        raise RegistrationError(f"您已在{sitting.name}的名单中")
    decision = eligibility_by_level(session, user, [sitting.level], china_date(now))[sitting.level_id]
    if not decision.eligible:
        raise RegistrationError(f"暂不能报考{sitting.level.name}: {decision.reason}")
    application = session.scalars(select(SittingApplication).where(
        SittingApplication.sitting_id == sitting.id, SittingApplication.user_id == user.id)).one_or_none()
    if application is not None and application.status is ApplicationStatus.PENDING:
        raise RegistrationError(f"您已申请{sitting.name}, 正等待人力部门审核")
    if application is None:
        application = SittingApplication(sitting_id=sitting.id, user_id=user.id, reason="")
        session.add(application)
    application.status, application.applied_at = ApplicationStatus.PENDING, now
    application.decided_at, application.decided_by_id, application.reason = None, None, ""
    session.flush()
    record_audit(session, at=now, actor_id=user.id, action="application.submit", entity=application,
                 sitting_id=sitting.id, level=sitting.level.code)
    return application


def withdraw_application(session: Session, application: SittingApplication, now: datetime) -> None:
    """The trainee takes back an application HR has not decided yet."""
    if application.status is not ApplicationStatus.PENDING:
        raise RegistrationError(f"该申请{application.status.label}, 不能撤回")
    application.status, application.decided_at = ApplicationStatus.WITHDRAWN, now
    session.flush()
    record_audit(session, at=now, actor_id=application.user_id, action="application.withdraw", entity=application,
                 sitting_id=application.sitting_id)


def approve_application(session: Session, application: SittingApplication, *, actor_id: int,
                        now: datetime) -> None:
    """Enrol the applicant (``enrol`` checks organisation, account and eligibility again, and is audited); when
    that refuses, nothing changes and the reason is raised for HR, who may then refuse the application."""
    if application.status is not ApplicationStatus.PENDING:
        raise RegistrationError(f"该申请{application.status.label}, 不能再批准")
    sitting = application.sitting
    if sitting.ends_at <= now:
        raise RegistrationError(f"{sitting.name}的开考窗口已于 {cn(sitting.ends_at)} 结束, 不能再报名")
    with session.begin_nested() as nested:
        report = enrol(session, sitting, [(application.user, None)], actor_id=actor_id, now=now)
        if report.refused:
            nested.rollback()
            raise RegistrationError(f"不能批准: {report.refused[0]}")
    application.status, application.decided_at, application.decided_by_id = ApplicationStatus.APPROVED, now, actor_id
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="application.approve", entity=application,
                 sitting_id=sitting.id, user=application.user_id)


def refuse_application(session: Session, application: SittingApplication, reason: str, *, actor_id: int,
                       now: datetime) -> None:
    """Refuse with a written reason, which the trainee sees."""
    reason = reason.strip()
    if not reason:
        raise RegistrationError("请写明不批准的理由 (学员可以看到)")
    if len(reason) > 500:
        raise RegistrationError("理由最多 500 字")
    if application.status is not ApplicationStatus.PENDING:
        raise RegistrationError(f"该申请{application.status.label}, 不能再处理")
    application.status, application.reason = ApplicationStatus.REFUSED, reason
    application.decided_at, application.decided_by_id = now, actor_id
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="application.refuse", entity=application,
                 sitting_id=application.sitting_id, user=application.user_id, reason=reason)


def sitting_applications(session: Session, sitting: Sitting) -> list[SittingApplication]:
    """A sitting's applications, pending first, then the newest decisions."""
    rows = session.scalars(select(SittingApplication).where(SittingApplication.sitting_id == sitting.id)
                           .options(selectinload(SittingApplication.user).selectinload(User.organization))).all()
    return sorted(rows, key=lambda a: (a.status is not ApplicationStatus.PENDING,
                                       a.applied_at if a.status is ApplicationStatus.PENDING
                                       else -(a.decided_at or a.applied_at).timestamp()))


def pending_counts(session: Session, sitting_ids: list[int]) -> dict[int, int]:
    return dict(session.execute(
        select(SittingApplication.sitting_id, func.count()).where(
            SittingApplication.sitting_id.in_(sitting_ids), SittingApplication.status == ApplicationStatus.PENDING)
        .group_by(SittingApplication.sitting_id)).all())
