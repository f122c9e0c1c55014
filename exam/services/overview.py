"""HR at a glance: certificates issued per month, certification pass rates per level and organisation over time,
upcoming sittings with their enrolment, certificates expiring soon. Plain rows, read in a few queries; months
are China months."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from exam.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    Certificate,
    CertificateStatus,
    Enrolment,
    Level,
    Organization,
    Sitting,
    User,
)
from exam.services.certificates import CHINA_OFFSET
from exam.services.registration import pending_counts

#: months the charts look back over
MONTHS = 12
#: certificates expiring within this many days are listed for renewal planning
EXPIRING_DAYS = 90


def month_keys(today: date, months: int = MONTHS) -> list[tuple[int, int]]:
    """(year, month) of the last ``months`` months, oldest first, ending with this month."""
    out, y, m = [], today.year, today.month
    for _ in range(months):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_label(key: tuple[int, int]) -> str:
    return f"{key[0] % 100:02d}/{key[1]:02d}"


@dataclass
class Rate:
    passed: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        return self.passed / self.total if self.total else None


def _user_filter(q, org_ids: list[int] | None):  # noqa: ANN001, ANN202
    return q if org_ids is None else q.where(User.organization_id.in_(org_ids))


def certificates_per_month(session: Session, months: list[tuple[int, int]],
                           org_ids: list[int] | None = None) -> list[int]:
    """Certificates issued in each month (revoked ones included: they were issued)."""
    since = date(*months[0], 1)
    q = (select(Certificate.issued_on, func.count()).join(User, User.id == Certificate.user_id)
         .where(Certificate.issued_on >= since).group_by(Certificate.issued_on))
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for issued_on, n in session.execute(_user_filter(q, org_ids)):
        counts[(issued_on.year, issued_on.month)] += n
    return [counts[k] for k in months]


def certificate_totals(session: Session, today: date, org_ids: list[int] | None = None) -> dict[str, int]:
    q = select(func.count()).select_from(Certificate).join(User, User.id == Certificate.user_id)
    q = _user_filter(q, org_ids)
    return {"issued": session.scalar(q) or 0,
            "valid": session.scalar(q.where(Certificate.having_status(CertificateStatus.VALID, today))) or 0}


def _graded_certifications(session: Session, since: datetime, org_ids: list[int] | None):  # noqa: ANN202
    q = (select(Attempt.level_id, Attempt.finished_at, Attempt.passed, User.organization_id)
         .join(User, User.id == Attempt.user_id)
         .where(Attempt.kind == AttemptKind.CERTIFICATION, Attempt.state == AttemptState.GRADED,
                Attempt.finished_at >= since))
    return session.execute(_user_filter(q, org_ids)).all()


def pass_rates_by_level(session: Session, levels: list[Level], months: list[tuple[int, int]],
                        org_ids: list[int] | None = None) -> dict[str, list[Rate]]:
    """Per level code, per month: certification attempts graded (by when they were sat) and how many passed."""
    index = {k: i for i, k in enumerate(months)}
    by_id = {lv.id: lv.code for lv in levels}
    out = {lv.code: [Rate() for _ in months] for lv in levels}
    since = datetime(*months[0], 1) - CHINA_OFFSET
    for level_id, finished_at, passed, _org in _graded_certifications(session, since, org_ids):
        local = finished_at + CHINA_OFFSET
        i = index.get((local.year, local.month))
        if i is not None and level_id in by_id:
            rate = out[by_id[level_id]][i]
            rate.total += 1
            rate.passed += bool(passed)
    return out


def units(session: Session, root: Organization | None = None) -> list[Organization]:
    """The organisations a pass-rate table compares: the children of ``root`` (the top of the tree by default)."""
    if root is None:
        root = session.scalars(select(Organization).where(Organization.parent_id.is_(None))
                               .order_by(Organization.code)).first()
    if root is None:
        return []
    children = session.scalars(select(Organization).where(Organization.parent_id == root.id)
                               .order_by(Organization.code)).all()
    return list(children) or [root]


def pass_rates_by_unit(session: Session, levels: list[Level], units_: list[Organization], since: datetime,
                       ) -> dict[int, dict[str, Rate]]:
    """Per unit (with everything below it), per level code: certification attempts graded since ``since``."""
    parents = dict(session.execute(select(Organization.id, Organization.parent_id)).all())
    wanted = {u.id for u in units_}

    def unit_of(org_id: int | None) -> int | None:
        seen = set()
        while org_id is not None and org_id not in wanted and org_id not in seen:
            seen.add(org_id)
            org_id = parents.get(org_id)
        return org_id if org_id in wanted else None

    by_id = {lv.id: lv.code for lv in levels}
    out = {u.id: {lv.code: Rate() for lv in levels} for u in units_}
    for level_id, _at, passed, org_id in _graded_certifications(session, since, None):
        unit = unit_of(org_id)
        if unit is not None and level_id in by_id:
            rate = out[unit][by_id[level_id]]
            rate.total += 1
            rate.passed += bool(passed)
    return out


@dataclass
class UpcomingSitting:
    sitting: Sitting
    enrolled: int
    started: int
    pending: int


def upcoming_sittings(session: Session, now: datetime, org_ids: list[int] | None = None,
                      limit: int = 20) -> list[UpcomingSitting]:
    """Sittings whose window has not closed, soonest first, with enrolled, started and pending applications."""
    q = (select(Sitting).where(Sitting.ends_at > now).order_by(Sitting.starts_at).limit(limit)
         .options(selectinload(Sitting.level), selectinload(Sitting.organization)))
    if org_ids is not None:
        q = q.where(Sitting.organization_id.in_(org_ids))
    sittings = session.scalars(q).all()
    ids = [s.id for s in sittings]
    enrolled = dict(session.execute(select(Enrolment.sitting_id, func.count()).where(Enrolment.sitting_id.in_(ids))
                                    .group_by(Enrolment.sitting_id)).all())
    started = dict(session.execute(select(Attempt.sitting_id, func.count()).where(Attempt.sitting_id.in_(ids))
                                   .group_by(Attempt.sitting_id)).all())
    pending = pending_counts(session, ids)
    return [UpcomingSitting(s, enrolled.get(s.id, 0), started.get(s.id, 0), pending.get(s.id, 0)) for s in sittings]


def expiring_certificates(session: Session, today: date, days: int = EXPIRING_DAYS,
                          org_ids: list[int] | None = None) -> list[Certificate]:
    """Valid certificates whose validity ends within ``days`` days, soonest first (for renewal planning)."""
    q = (select(Certificate).join(User, User.id == Certificate.user_id)
         .where(Certificate.having_status(CertificateStatus.VALID, today),
                Certificate.expires_on <= today + timedelta(days=days))
         .order_by(Certificate.expires_on, Certificate.number)
         .options(selectinload(Certificate.level), selectinload(Certificate.user).selectinload(User.organization)))
    return list(session.scalars(_user_filter(q, org_ids)))


EXPIRING_HEADER = ["证书编号", "姓名", "工号", "单位", "等级", "发证日期", "有效期至", "剩余天数"]


def expiring_row(cert: Certificate, today: date) -> tuple:
    user = cert.user
    return (cert.number, cert.holder_name, user.employee_no or "", user.organization.name if user.organization else "",
            cert.level.name, cert.issued_on, cert.expires_on, (cert.expires_on - today).days)
