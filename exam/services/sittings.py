"""Sittings: scheduling (refused when the level's paper cannot be assembled), enrolment of eligible
trainees only (the refused listed with reasons), entry checks, extra time, live status.

Services flush; callers commit once.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import EllipsisType

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from exam.models import (
    Attempt,
    AttemptKind,
    AttemptState,
    Enrolment,
    Level,
    Organization,
    Role,
    Sitting,
    SittingMode,
    User,
    UserRole,
    record_audit,
)
from exam.services.certificates import CHINA_OFFSET, CertificateSettings, china_date
from exam.services.eligibility import eligibility_of_many
from exam.services.grading import finalize_overdue
from exam.services.papers import level_feasibility
from question_bank import BankError
from question_bank.uploads import Source, TooManyRows, UploadRefused, read_limited
from question_bank.xlsx import cell_text, nfkc, open_workbook, sheet_rows

#: the most extra time HR may grant one trainee (the database checks it too)
MAX_EXTRA_MINUTES = 600


class SittingError(ValueError):
    """Refused, with a message for HR or the trainee."""


class WrongSittingPassword(SittingError):
    """The room's password was wrong (or missing): counted against the enrolment by the caller, after it
    rolled the refused start back (``record_wrong_password``)."""


def cn(moment: datetime) -> str:
    """Stored UTC → China Standard Time, for messages."""
    return (moment + CHINA_OFFSET).strftime("%Y-%m-%d %H:%M")


def parse_networks(text: str) -> list[str]:
    """``10.12.0.0/16, 192.168.3.7`` → normalised CIDR strings; an unreadable entry is refused by name."""
    out = []
    for raw in re.split(r"[\s,，;；、]+", text.strip()):
        if not raw:
            continue
        try:
            out.append(str(ipaddress.ip_network(raw, strict=False)))
        except ValueError:
            raise SittingError(f"允许的 IP 段 “{raw}” 无法识别 (例: 10.12.0.0/16 或 192.168.3.7)") from None
    return out


def schedule_sitting(session: Session, *, name: str, level: Level, organization: Organization, starts_at: datetime,
                     ends_at: datetime, mode: SittingMode, place: str = "", password: str = "",
                     networks: str = "", actor_id: int | None, now: datetime) -> Sitting:
    """A new sitting; refused when the window is empty or past, or when the level's weight table
    cannot be met by the current bank (nobody could be given a paper)."""
    name = name.strip()
    if not name:
        raise SittingError("请填写考场名称")
    if ends_at <= starts_at:
        raise SittingError(f"开考窗口的结束时间 {cn(ends_at)} 须晚于开始时间 {cn(starts_at)}")
    if ends_at <= now:
        raise SittingError(f"开考窗口已于 {cn(ends_at)} 结束, 不能安排在过去")
    allowed = parse_networks(networks)
    feasibility = level_feasibility(session, level)
    if not feasibility.feasible:
        short = "; ".join(f"{c.area} {c.type.label} {c.difficulty.label}: 需 {c.need} 题, 仅 {c.have} 题"
                          for c in feasibility.short[:5])
        raise SittingError(f"{level.name}按当前比重表和题库无法组卷, 不能安排考场: "
                           + (feasibility.problem or short or "题库不足"))
    sitting = Sitting(name=name, level_id=level.id, organization_id=organization.id, starts_at=starts_at,
                      ends_at=ends_at, mode=mode, place=place.strip(),
                      password_hash=generate_password_hash(password) if password else None,
                      allowed_networks=allowed, created_by_id=actor_id, created_at=now)
    session.add(sitting)
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="sitting.schedule", entity=sitting, level=level.code,
                 organization=organization.code, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(),
                 mode=mode.value, password=bool(password), networks=allowed)
    return sitting


@dataclass(frozen=True)
class Refusal:
    #: who was asked for: name (username), or the cell's text when no such account exists
    who: str
    reason: str
    #: the .xlsx row, when enrolled from a file
    row: int | None = None

    def __post_init__(self) -> None:
        if len(self.who) > 40:  # a pasted essay is not a name
            object.__setattr__(self, "who", self.who[:40] + "…")

    def __str__(self) -> str:
        return (f"第 {self.row} 行 " if self.row else "") + f"{self.who}: {self.reason}"


#: people one enrolment may name (a province's sitting is about 10,000)
MAX_ENROL_NAMES = 20_000
#: refusals listed on the page and kept in the audit log; the rest are counted
SHOWN_REFUSALS = 200


@dataclass
class EnrolmentReport:
    enrolled: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def shown_refused(self) -> list[Refusal]:
        return self.refused[:SHOWN_REFUSALS]


def _label(user: User) -> str:
    return f"{user.full_name} ({user.employee_no or user.username})"


def enrol(session: Session, sitting: Sitting, users: Iterable[tuple[User, int | None]], *, actor_id: int | None,
          now: datetime, refused: Iterable[Refusal] = ()) -> EnrolmentReport:
    """Enrol each ``(user, row)`` who is an active trainee of the sitting's organisation (or below) and
    eligible for its level today; everyone else is listed with the reason. Audited once."""
    report = EnrolmentReport(refused=list(refused))
    subtree = set(sitting.organization.subtree_ids(session))
    enrolled = set(session.scalars(select(Enrolment.user_id).where(Enrolment.sitting_id == sitting.id)))
    today = china_date(now)
    people: dict[int, tuple[User, int | None]] = {}
    for user, row in users:
        people.setdefault(user.id, (user, row))
    candidates = [u for u, _row in people.values()
                  if u.has_role(Role.TRAINEE) and u.active and u.organization_id in subtree and u.id not in enrolled]
    decisions = eligibility_of_many(session, candidates, sitting.level, today)
    for user, row in people.values():
        why = ""
        if not user.has_role(Role.TRAINEE):
            why = "不是学员账号"
        elif not user.active:
            why = "账号已停用"
        elif user.organization_id not in subtree:
            org = user.organization.name if user.organization else "未登记单位"
            why = f"属于{org}, 不在{sitting.organization.name}及其下级单位"
        elif user.id in enrolled:
            report.already.append(user)
            continue
        elif not (decision := decisions[user.id]).eligible:
            why = f"{sitting.level.name}: {decision.reason}"
        if why:
            report.refused.append(Refusal(_label(user), why, row))
            continue
        session.add(Enrolment(sitting_id=sitting.id, user_id=user.id, enrolled_by_id=actor_id, enrolled_at=now))
        report.enrolled.append(user)
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="sitting.enrol", entity=sitting,
                 enrolled=len(report.enrolled), already=len(report.already), refused_count=len(report.refused),
                 refused=[str(r) for r in report.shown_refused])
    return report


def organization_trainees(session: Session, organization: Organization) -> list[tuple[User, None]]:
    """Every active trainee of ``organization`` and its sub-organisations."""
    q = (select(User).join(UserRole, UserRole.user_id == User.id)
         .where(UserRole.role == Role.TRAINEE, User.active.is_(True),
                User.organization_id.in_(organization.subtree_ids(session)))
         .options(selectinload(User.organization)).order_by(User.username))
    return [(u, None) for u in session.scalars(q)]


def find_people(session: Session, text: str) -> tuple[list[tuple[User, None]], list[Refusal]]:
    """Usernames or employee numbers, separated by spaces, commas or lines."""
    wanted = [w for w in re.split(r"[\s,，;；、]+", text.strip()) if w]
    if len(wanted) > MAX_ENROL_NAMES:
        raise SittingError(f"一次最多填写 {MAX_ENROL_NAMES} 个用户名或工号 (实际 {len(wanted)} 个), 请分批报名")
    found = _by_username_or_number(session, wanted)
    users = [(found[w], None) for w in wanted if w in found]
    return users, [Refusal(w, "没有这个用户名或工号") for w in wanted if w not in found]


def _by_username_or_number(session: Session, keys: list[str]) -> dict[str, User]:
    """The accounts named by username or employee number, under both keys (500 names a query)."""
    found: dict[str, User] = {}
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        for u in session.scalars(select(User).where(or_(User.username.in_(part), User.employee_no.in_(part)))
                                 .options(selectinload(User.organization))):
            found[u.username] = u
            if u.employee_no:
                found[u.employee_no] = u
    return found


#: header cells that name the column identifying the trainee in an enrolment workbook
_ID_HEADERS = ("工号", "员工编号", "员工号", "用户名", "账号", "帐号")


def read_enrolment_xlsx(session: Session, source: Source, filename: str = "") -> tuple[list[tuple[User, int]],
                                                                                    list[Refusal]]:
    """The trainees listed in an .xlsx (first sheet; a header row with 工号 or 用户名, other columns
    ignored), read within the bounds of ``question_bank.uploads``; unknown numbers come back as
    refusals with their row."""
    where = f"文件 {filename}" if filename else "文件"
    names: list[str] = []
    column: int | None = None
    wanted: list[tuple[int, str]] = []
    try:
        data, name = read_limited(source, filename or "名单")
        with open_workbook(data, name, then="上传") as wb:
            rows = sheet_rows(wb.worksheets[0], name)
            first, header = next(rows, (1, ()))
            if first != 1:  # the header must be row 1
                header = ()
            names = [re.sub(r"\s+", "", nfkc(cell_text(h))) for h in header]
            column = next((i for i, h in enumerate(names) if h in _ID_HEADERS), None)
            if column is not None:
                for number, row in rows:
                    text = cell_text(row[column] if column < len(row) else None)  # 工号 typed as a number: no ".0"
                    if text:
                        wanted.append((number, text))
    except TooManyRows as exc:
        raise SittingError(f"{where}人数过多 (到第 {exc.row} 行已超过 {exc.limit} 行), 一次最多 {MAX_ENROL_NAMES} 人, "
                           "请拆分后分批上传") from None
    except UploadRefused as exc:
        raise SittingError(str(exc)) from None
    except BankError as exc:
        raise SittingError(f"名单不是 .xlsx 工作簿或已损坏: {exc}") from None
    if column is None:
        raise SittingError(f"{where}第 1 行须有列名“工号”或“用户名”, 实际为: {', '.join(n for n in names if n) or '空'}")
    header_name = names[column]
    if len(wanted) > MAX_ENROL_NAMES:
        raise SittingError(f"{where}列出 {len(wanted)} 人, 一次最多 {MAX_ENROL_NAMES} 人, 请拆分后分批上传")
    if not wanted:
        raise SittingError(f"{where}在“{header_name}”列下没有任何人")
    found = _by_username_or_number(session, [t for _n, t in wanted])
    users = [(found[t], n) for n, t in wanted if t in found]
    refused = [Refusal(t, f"{header_name}“{t}”不存在", n) for n, t in wanted if t not in found]
    return users, refused


class DeadlinePassed(SittingError):
    """Extra time asked for an attempt whose deadline had already passed: it was collected (graded from
    its saved answers) instead, and that collection is to be committed."""


def grant_extra_time(session: Session, enrolment: Enrolment, minutes: int, reason: str, *, actor_id: int,
                     now: datetime, settings: CertificateSettings) -> None:
    """Accommodation: ``minutes`` on top of the level's duration; a reason is required; audited.
    An attempt already running gets its deadline moved at once; one whose deadline has passed is
    collected first and keeps its deadline (time that is over cannot be given back)."""
    reason = reason.strip()
    if not reason:
        raise SittingError("请写明延长时间的理由 (例如: 视力障碍, 经人力部门批准)")
    if not 0 <= minutes <= MAX_EXTRA_MINUTES:
        raise SittingError(f"延长时间须在 0 到 {MAX_EXTRA_MINUTES} 分钟之间")
    attempt = enrolment_attempt(session, enrolment)
    if attempt is not None and finalize_overdue(session, attempt, now, settings):
        raise DeadlinePassed(f"{enrolment.user.full_name} 的作答已于 {cn(attempt.deadline_at)} 到时, 已按时收卷, "
                             "不能再延长")
    before = enrolment.extra_minutes
    enrolment.extra_minutes = minutes
    if attempt is not None and attempt.state is AttemptState.IN_PROGRESS:
        attempt.deadline_at = attempt.started_at + Attempt.duration_for(attempt.level) + timedelta(minutes=minutes)
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="sitting.extra_time", entity=enrolment,
                 sitting=enrolment.sitting_id, user=enrolment.user_id, before=before, after=minutes, reason=reason)


def enrolment_attempt(session: Session, enrolment: Enrolment) -> Attempt | None:
    return session.scalars(select(Attempt).where(Attempt.sitting_id == enrolment.sitting_id,
                                                 Attempt.user_id == enrolment.user_id)).one_or_none()


def trainee_enrolments(session: Session, user: User, now: datetime) -> list[Enrolment]:
    """The trainee's enrolments whose window has not yet closed, soonest first."""
    return list(session.scalars(
        select(Enrolment).join(Sitting, Enrolment.sitting_id == Sitting.id)
        .where(Enrolment.user_id == user.id, Sitting.ends_at > now).order_by(Sitting.starts_at)
        .options(selectinload(Enrolment.sitting))))


def open_enrolment_and_attempt(session: Session, user: User, level: Level,
                               now: datetime) -> tuple[Enrolment | None, Attempt | None]:
    """The enrolment at ``level`` whose window contains ``now`` and that has no finished attempt yet (a retake
    sitting overlapping an earlier one), else the first open one, which will say it was used; with its sitting
    and the trainee's attempt in that sitting, read in one query (a synchronized start reads them for everyone)."""
    rows = session.execute(
        select(Enrolment, Attempt).join(Sitting, Enrolment.sitting_id == Sitting.id)
        .outerjoin(Attempt, (Attempt.sitting_id == Enrolment.sitting_id) & (Attempt.user_id == Enrolment.user_id))
        .where(Enrolment.user_id == user.id, Sitting.level_id == level.id, Sitting.starts_at <= now,
               Sitting.ends_at > now).order_by(Sitting.starts_at).options(contains_eager(Enrolment.sitting))).all()
    unused = (r for r in rows if r[1] is None or r[1].state is AttemptState.IN_PROGRESS)
    enrolment, attempt = next(unused, rows[0] if rows else (None, None))
    return enrolment, attempt


def check_entry(sitting: Sitting, now: datetime, password: str, remote_addr: str | None) -> None:
    """Inside the window, from an allowed network, with the room's password."""
    if now < sitting.starts_at:
        raise SittingError(f"{sitting.name}将于 {cn(sitting.starts_at)} 开考, 请届时再进入")
    if now >= sitting.ends_at:
        raise SittingError(f"{sitting.name}的开考窗口已于 {cn(sitting.ends_at)} 结束")
    if sitting.allowed_networks:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in ipaddress.ip_network(n) for n in sitting.allowed_networks):
            raise SittingError(f"本场考试只能在指定网络内进入 (您的地址 {remote_addr or '未知'} 不在允许范围内), 请到考场电脑上作答")
    if sitting.password_hash and not check_password_hash(sitting.password_hash, password or ""):
        if not password:
            raise SittingError("请输入监考老师公布的考场密码")
        raise WrongSittingPassword("考场密码不正确, 请向监考老师确认")


def start_certification(session: Session, user: User, enrolment: Enrolment, now: datetime,
                        settings: CertificateSettings, *, password: str = "", remote_addr: str | None = None,
                        seed: int | None = None, existing: Attempt | None | EllipsisType = ...) -> Attempt:
    """The enrolment's certification attempt: resumed if running (no second entry check: a trainee
    whose connection dropped comes straight back), else started after the entry checks. One per
    enrolment. ``existing``: the enrolment's attempt (or None) when the caller has just read it."""
    from exam.services.attempts import start_attempt

    sitting = enrolment.sitting
    if existing is ...:
        existing = enrolment_attempt(session, enrolment)
    if existing is not None:
        finalize_overdue(session, existing, now, settings)
        if existing.state is AttemptState.IN_PROGRESS:
            return existing
        raise SittingError(f"您已参加过{sitting.name} ({cn(existing.started_at)} 开始, {existing.state.label})")
    if enrolment.password_locked_until is not None and now < enrolment.password_locked_until:
        raise SittingError(f"考场密码错误次数过多, 入场已锁定至 {cn(enrolment.password_locked_until)[-5:]}; "
                           "请联系监考老师 (人力可在考场页面解除锁定)")
    check_entry(sitting, now, password, remote_addr)
    return start_attempt(session, user, sitting.level, now, settings, seed=seed, kind=AttemptKind.CERTIFICATION,
                         sitting=sitting, extra_minutes=enrolment.extra_minutes, enrolment_id=enrolment.id)


def record_wrong_password(session: Session, enrolment_id: int, now: datetime, *, tries: int, lock_minutes: int,
                          remote_addr: str | None) -> str:
    """Count a wrong sitting password against the enrolment (audited); every ``tries``-th locks entry
    for ``lock_minutes``. The message for the trainee."""
    enrolment = session.get(Enrolment, enrolment_id, with_for_update=True, populate_existing=True)
    enrolment.password_failures += 1
    locked = enrolment.password_failures % tries == 0
    if locked:
        enrolment.password_locked_until = now + timedelta(minutes=lock_minutes)
    record_audit(session, at=now, actor_id=enrolment.user_id, action="sitting.password_failure", entity=enrolment,
                 sitting_id=enrolment.sitting_id, failures=enrolment.password_failures, locked=locked,
                 address=(remote_addr or "")[:64])
    if locked:
        return (f"考场密码连续错误 {tries} 次, 入场已锁定 {lock_minutes} 分钟; 请向监考老师确认密码, "
                "或请人力在考场页面解除锁定。")
    return f"考场密码不正确, 请向监考老师确认 (再错 {tries - enrolment.password_failures % tries} 次将锁定入场)。"


def unlock_password(session: Session, enrolment: Enrolment, now: datetime, actor_id: int) -> None:
    """HR lets a locked-out trainee try again (audited); the failures stay on record."""
    enrolment.password_locked_until = None
    record_audit(session, at=now, actor_id=actor_id, action="sitting.password_unlock", entity=enrolment,
                 sitting_id=enrolment.sitting_id, failures=enrolment.password_failures)


def mock_refusals(session: Session, user: User, levels: Iterable[Level], now: datetime,
                  activity: str = "模拟考试") -> dict[int, str]:
    """Level id → why the trainee may not start a mock exam (or another ``activity`` that shows keys: 专项练习,
    错题本, a mock's review) there now: a certification attempt at that level is running, or an enrolment at
    that level has its window open (a mock's per-area score would give away keys of the certification paper).
    Levels without a reason are absent."""
    by_id = {lv.id: lv for lv in levels}
    out: dict[int, str] = {}
    for level_id, deadline in session.execute(select(Attempt.level_id, Attempt.deadline_at).where(
            Attempt.user_id == user.id, Attempt.level_id.in_(by_id), Attempt.kind == AttemptKind.CERTIFICATION,
            Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at > now)):
        out[level_id] = (f"您的{by_id[level_id].name}正式考试正在进行 (至 {cn(deadline)}), "
                         f"交卷前不能参加{by_id[level_id].name}{activity}")
    for level_id, name, ends_at in session.execute(
            select(Sitting.level_id, Sitting.name, Sitting.ends_at).join(Enrolment, Enrolment.sitting_id == Sitting.id)
            .where(Enrolment.user_id == user.id, Sitting.level_id.in_(by_id), Sitting.starts_at <= now,
                   Sitting.ends_at > now).order_by(Sitting.ends_at.desc())):
        out.setdefault(level_id, f"您报名的{name}正在开考 (开考窗口至 {cn(ends_at)}), "
                                 f"窗口关闭前不能参加{by_id[level_id].name}{activity}")
    return out


def start_mock(session: Session, user: User, level: Level, now: datetime, settings: CertificateSettings) -> Attempt:
    """The trainee's mock exam at ``level`` (resumed if running, else a new paper of practice-usable
    questions); refused while a certification attempt or an open sitting window at that level exists."""
    from exam.services.attempts import start_attempt

    why = mock_refusals(session, user, [level], now).get(level.id)
    if why:
        raise SittingError(why + "。")
    return start_attempt(session, user, level, now, settings, kind=AttemptKind.MOCK)


#: live status keys, in the order HR reads them
STATUSES = {"not_started": "未开始", "started": "作答中", "submitted": "已交卷", "awaiting": "待阅卷",
            "passed": "合格", "failed": "不合格"}


@dataclass
class StatusRow:
    enrolment: Enrolment
    attempt: Attempt | None
    key: str

    @property
    def label(self) -> str:
        return STATUSES[self.key]


def sitting_status(session: Session, sitting: Sitting, now: datetime,
                   settings: CertificateSettings) -> tuple[list[StatusRow], Counter]:
    """Each enrolled trainee's state (overdue attempts are collected first) and the counts:
    enrolled, started, submitted (everyone who handed in), awaiting marking, passed, failed."""
    enrolments = session.scalars(select(Enrolment).where(Enrolment.sitting_id == sitting.id)
                                 .options(selectinload(Enrolment.user).selectinload(User.organization))).all()
    attempts = {a.user_id: a for a in session.scalars(select(Attempt).where(Attempt.sitting_id == sitting.id))}
    rows, counts = [], Counter(enrolled=len(enrolments))
    for e in sorted(enrolments, key=lambda e: (e.user.organization_id or 0, e.user.username)):
        a = attempts.get(e.user_id)
        if a is not None and finalize_overdue(session, a, now, settings):
            session.flush()
        if a is None:
            key = "not_started"
        elif a.state is AttemptState.IN_PROGRESS:
            key = "started"
        elif a.state is AttemptState.GRADED:
            key = "passed" if a.passed else "failed"
        else:
            key = "awaiting"
        counts[key] += 1
        if a is not None:
            counts["started_any"] += 1
            if a.state is not AttemptState.IN_PROGRESS:
                counts["submitted"] += 1
        rows.append(StatusRow(e, a, key))
    return rows, counts
