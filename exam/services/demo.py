"""Demo data for a laptop: the rules, the starter bank, an organisation tree and one account per role."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam.models import (
    Level,
    Organization,
    Question,
    Role,
    ServiceBreak,
    Sitting,
    SittingMode,
    TrainingRecord,
    User,
    UserRole,
)
from exam.services.bank_sync import sync_records
from exam.services.reference import load_reference_data
from question_bank import load_starter_bank

ORGS = [("CT", "中国电信集团公司", None), ("CT-GD", "广东分公司", "CT"), ("CT-GD-GZ", "广州分公司", "CT-GD"),
        ("CT-GD-SZ", "深圳分公司", "CT-GD"), ("CT-JS", "江苏分公司", "CT"), ("CT-JS-NJ", "南京分公司", "CT-JS")]

#: eligibility facts of the demo trainees: job start, training hours per level, breaks
FACTS = {
    "trainee1": (date(2024, 7, 1), {"L4": 40, "L3": 48}, []),
    "trainee2": (date(2019, 9, 1), {"L4": 40}, [(date(2021, 3, 1), date(2021, 9, 1))]),
}

#: username, full name, roles, organisation code
ACCOUNTS = [
    ("trainee1", "王喆", (Role.TRAINEE,), "CT-GD-GZ"),  # 1½ years in the job: L4, then L3 by route A
    ("trainee2", "李玥", (Role.TRAINEE,), "CT-GD-SZ"),  # six years, one break: L3 by route B
    ("trainer1", "陈堃", (Role.TRAINER,), "CT-GD"),
    ("trainer2", "周航", (Role.TRAINER,), "CT-JS"),  # the second marker of 双评 (another province)
    ("hr1", "赵昇", (Role.HR,), "CT-GD"),
    ("admin1", "系统管理员", (Role.ADMIN,), "CT"),
]


#: 工号 of the demo trainees, so HR can try finding people by employee number
EMPLOYEE_NUMBERS = {"trainee1": "GZ0420011", "trainee2": "SZ0430027"}


def ensure_organizations(session: Session) -> dict[str, Organization]:
    orgs = {o.code: o for o in session.scalars(select(Organization))}
    for code, name, parent in ORGS:
        if code not in orgs:
            orgs[code] = Organization(code=code, name=name, parent=orgs[parent] if parent else None)
            session.add(orgs[code])
    session.flush()
    return orgs


#: level code → demo sitting name; open for a year from the first run so the demo can be tried at once
DEMO_SITTINGS = {"L4": "演示考场 · 四级 (线上, 全年开放)", "L3": "演示考场 · 三级 (线上, 全年开放)"}


def _demo_sittings(session: Session, org: Organization, levels: dict[str, Level], now: datetime) -> list[str]:
    """One open online sitting per lower level, with every demo trainee who is eligible enrolled
    (the same checks as HR's enrolment: the others are refused and can take mock exams)."""
    from exam.services.sittings import enrol, schedule_sitting

    trainees = [(u, None) for u in session.scalars(select(User).order_by(User.username)) if u.has_role(Role.TRAINEE)]
    lines = []
    for code, name in DEMO_SITTINGS.items():
        sitting = schedule_sitting(session, name=name, level=levels[code], organization=org,
                                   starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=365),
                                   mode=SittingMode.ONLINE, place="在本机浏览器作答", actor_id=None, now=now)
        report = enrol(session, sitting, trainees, actor_id=None, now=now)
        lines.append(f"{name}: 已报名 " + (", ".join(u.username for u in report.enrolled) or "无")
                     + "".join(f"; 未报名 {r}" for r in report.refused))
    return lines


def load_demo(session: Session, now: datetime, password: str) -> str:
    """Idempotent: reference data and starter bank if missing; demo accounts only on first run."""
    lines = []
    if load_reference_data(session):
        lines.append("已载入 4 个等级、13 个知识领域及默认比重表、试卷结构。")
    if session.scalar(select(func.count()).select_from(Question)) == 0:
        report = sync_records(session, load_starter_bank(), source="starter", now=now)
        lines.append(f"已载入初始题库 {report.added} 题。")
    if session.scalar(select(func.count()).select_from(User)) == 0:
        orgs = ensure_organizations(session)
        levels = {lv.code: lv for lv in session.scalars(select(Level))}
        for username, name, roles, org in ACCOUNTS:
            job_start, training, breaks = FACTS.get(username, (date(2020, 3, 1), {}, []))
            user = User(username=username, full_name=name, organization=orgs[org], created_at=now,
                        job_start_date=job_start, password_hash="", employee_no=EMPLOYEE_NUMBERS.get(username))
            user.set_password(password)
            user.roles = [UserRole(role=r) for r in roles]
            session.add(user)
            session.flush()
            session.add_all([TrainingRecord(user_id=user.id, level_id=levels[code].id, hours=hours)
                             for code, hours in training.items()])
            session.add_all([ServiceBreak(user_id=user.id, start_on=a, end_on=b) for a, b in breaks])
        session.flush()
        lines.append("已创建演示账号。")
    demo_trainees = session.scalar(select(func.count()).select_from(User).where(User.username.in_(["trainee1", "trainee2"])))
    if demo_trainees and session.scalar(select(func.count()).select_from(Sitting)) == 0:
        # first run, or a demo database from before sittings existed
        lines.extend(_demo_sittings(session, ensure_organizations(session)["CT"],
                                    {lv.code: lv for lv in session.scalars(select(Level))}, now))
    lines.append("演示账号 (密码均为 EXAM_DEMO_PASSWORD, 默认 demo-password): "
                 + ", ".join(f"{u} ({'/'.join(r.label for r in roles)})" for u, _n, roles, _o in ACCOUNTS))
    return "\n".join(lines)
