"""HR's bulk upload of eligibility facts (申报资料): check every row against the rules and the database,
then write all of it — or nothing.

Reading the sheet is ``question_bank.facts_sheet`` (framework-free, within the bounds of
``question_bank.uploads``); its template is ``question_bank.facts_template``. Here
:func:`apply_facts` checks every row (:func:`check_rows`: the user, the organisation, and the rules
one trainee's facts keep, merged with what stays recorded) and then writes everything
(:func:`write_rows`), or raises :class:`FactsImportError` carrying every problem, each with its row and
column, having changed nothing. The per-trainee page (``facts_edit``) goes through the same two.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Level, Organization, ServiceBreak, TrainingRecord, User, record_audit
from exam.services.certificates import china_date
from exam.services.eligibility_rules import MAX_TRAINING_HOURS
from question_bank.facts_sheet import (
    CLEAR,
    COMPLETED_COLUMNS,
    HOURS_COLUMN_OF,
    Clear,
    FactsError,
    FactsImportError,
    FactsRow,
    FactsSheet,
    break_problems,
    fold_name,
    sorted_errors,
)
from question_bank.xlsx import nfkc

AUDIT_ACTION = "eligibility.facts_import"


@dataclass(frozen=True)
class FactsReport:
    rows: int
    users_updated: int
    users_unchanged: int
    breaks_replaced: int
    training_records: int
    ignored_columns: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        text = f"已更新 {self.users_updated} 名学员的申报资料 (共 {self.rows} 行"
        if self.users_unchanged:
            text += f", 其中 {self.users_unchanged} 行与已登记的相同"
        text += ")。"
        if self.ignored_columns:
            text += f" 已忽略无法识别的列: {'、'.join(self.ignored_columns)}。"
        return text


def _chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


def _users_by(session: Session, column: Any, keys: Iterable[str]) -> dict[str, User]:
    out: dict[str, User] = {}
    for chunk in _chunks(sorted(set(keys))):
        for user in session.scalars(select(User).where(column.in_(chunk))):
            out[getattr(user, column.key)] = user
    return out


def _org_lookup(session: Session) -> dict[str, Organization | None]:
    """Code (any case) and name → organisation; a name two organisations share maps to None."""
    out: dict[str, Organization | None] = {}
    orgs = list(session.scalars(select(Organization)))
    for org in orgs:
        name = fold_name(org.name)
        out[name] = None if name in out and out[name] is not org else org
    for org in orgs:  # codes win over names
        out[nfkc(org.code).upper().replace(" ", "")] = org
    return out


@dataclass(frozen=True)
class _Recorded:
    """What stays recorded for a trainee where a row leaves a fact untouched."""

    job_start: date | None = None
    probation_passed_on: date | None = None
    breaks: tuple[tuple[date, date], ...] = ()


def _merged(value: date | Clear | None, recorded: date | None) -> date | None:
    return recorded if value is None else (None if value is CLEAR else value)


def _row_problems(r: FactsRow, recorded: _Recorded, today: date) -> list[FactsError]:
    """The rules one trainee's facts keep, however they come in (the upload or the per-trainee page).

    Checks the row's facts merged with what stays recorded where the row leaves a fact untouched:
    no date after today, breaks that end after they start, do not overlap and do not start before
    the job start, no probation before the job start, no completion date without hours, no more
    hours than ``MAX_TRAINING_HOURS``.
    """
    out: list[FactsError] = []

    def add(column: str, message: str, item: int | None = None, part: str = "") -> None:
        out.append(FactsError(r.row, column, message, item, part))

    for code, hours in r.training.items():
        if isinstance(hours, int) and hours > MAX_TRAINING_HOURS:
            add(HOURS_COLUMN_OF[code], f"学时 {hours} 超过 {MAX_TRAINING_HOURS}, 请检查")

    for column, value in (("上岗日期", r.job_start), ("实习考核合格日期", r.probation_passed_on),
                          ("培训完成日期", r.training_completed_on),
                          *((COMPLETED_COLUMNS[code], d) for code, d in r.training_completed.items())):
        if isinstance(value, date) and value > today:
            add(column, f"{column} {value} 晚于今天 ({today})")
    breaks = r.breaks if isinstance(r.breaks, tuple) else ()
    for number, part, message in break_problems(breaks):
        add("中断起止", message, number, part)
    for number, (start, end) in enumerate(breaks, 1):
        if start > today:
            add("中断起止", f"中断 {start}~{end} 的开始日期晚于今天 ({today})", number, "start")
    job_start = _merged(r.job_start, recorded.job_start)
    if job_start is not None:
        for number, (start, end) in enumerate(breaks, 1):
            if start < job_start:
                add("中断起止", f"中断 {start}~{end} 早于上岗日期 {job_start}", number, "start")
        if r.breaks is None and isinstance(r.job_start, date):
            early = [b for b in recorded.breaks if b[0] < job_start]
            if early:
                add("上岗日期", f"已登记的中断 {early[0][0]}~{early[0][1]} 早于上岗日期 {job_start} "
                              f"(请在 中断起止 列填写该学员全部的中断期间, 或填 无)")
        probation = _merged(r.probation_passed_on, recorded.probation_passed_on)
        if probation is not None and probation < job_start:
            column = "实习考核合格日期" if isinstance(r.probation_passed_on, date) else "上岗日期"
            add(column, f"实习考核合格日期 {probation} 早于上岗日期 {job_start}")
    if r.training_completed_on is not None and not any(isinstance(h, int) for h in r.training.values()):
        add("培训完成日期", "培训完成日期要与某一级的学时同时填写")
    for code, completed in r.training_completed.items():
        if isinstance(completed, date) and not isinstance(r.training.get(code), int):
            add(COMPLETED_COLUMNS[code], f"{COMPLETED_COLUMNS[code]}要与{HOURS_COLUMN_OF[code]}同时填写")
    return out


@dataclass
class CheckedRows:
    """The rows that passed with their users and organisations, what the writer needs, and every problem."""

    plan: list[tuple[FactsRow, User, Organization | None]]
    levels: dict[str, Level]
    stored_breaks: dict[int, list[ServiceBreak]]
    errors: list[FactsError]


def check_rows(session: Session, rows: Sequence[FactsRow], today: date) -> CheckedRows:
    """Every row against the database and :func:`_row_problems`; nothing is changed."""
    errors: list[FactsError] = []

    def error(row: int, column: str, message: str) -> None:
        errors.append(FactsError(row, column, message))

    by_no = _users_by(session, User.employee_no, (r.employee_no for r in rows if r.employee_no))
    by_name = _users_by(session, User.username, (r.username for r in rows if r.username))
    orgs = _org_lookup(session) if any(isinstance(r.organization, str) for r in rows) else {}
    levels = {lv.code: lv for lv in session.scalars(select(Level))}
    user_ids = {u.id for u in [*by_no.values(), *by_name.values()]}
    stored_breaks: dict[int, list[ServiceBreak]] = {}
    for chunk in _chunks(sorted(user_ids)):
        for b in session.scalars(select(ServiceBreak).where(ServiceBreak.user_id.in_(chunk))
                                 .order_by(ServiceBreak.start_on)):
            stored_breaks.setdefault(b.user_id, []).append(b)

    plan: list[tuple[FactsRow, User, Organization | None]] = []
    seen: dict[int, int] = {}
    for r in rows:
        user = by_no.get(r.employee_no) if r.employee_no else by_name.get(r.username)
        if user is None:
            error(r.row, r.key_column, f"{r.key_column} “{r.key}” 不存在")
            errors.extend(_row_problems(r, _Recorded(), today))  # still every problem of the row itself
            continue
        if r.employee_no and r.username and by_name.get(r.username) is not user:
            error(r.row, "用户名", f"用户名 “{r.username}” 与工号 {r.employee_no} 不是同一个人")
        if user.id in seen:
            error(r.row, r.key_column, f"与第 {seen[user.id]} 行是同一名学员 ({user.full_name})")
            errors.extend(_row_problems(r, _Recorded(), today))
            continue
        seen[user.id] = r.row
        if r.name and fold_name(r.name) != fold_name(user.full_name):
            error(r.row, "姓名", f"姓名 “{r.name}” 与{r.key_column} {r.key} 登记的姓名 “{user.full_name}” 不符")
        org: Organization | None = None
        if isinstance(r.organization, str):
            key = nfkc(r.organization).upper().replace(" ", "")
            org = orgs.get(key) or orgs.get(fold_name(r.organization))
            if org is None:
                shared = fold_name(r.organization) in orgs
                error(r.row, "单位", f"单位 “{r.organization}” 有多个同名单位, 请填写单位代码" if shared
                      else f"单位 “{r.organization}” 不存在 (填单位代码或名称)")
        recorded = _Recorded(user.job_start_date, user.probation_passed_on,
                             tuple((b.start_on, b.end_on) for b in stored_breaks.get(user.id, [])))
        errors.extend(_row_problems(r, recorded, today))
        missing = [code for code in r.training if code not in levels]
        if missing:  # pragma: no cover - the four levels are reference data
            error(r.row, "四级学时", f"等级 {'、'.join(missing)} 不存在")
        plan.append((r, user, org))
    return CheckedRows(plan, levels, stored_breaks, errors)


def write_rows(session: Session, checked: CheckedRows) -> tuple[list[int], int, int]:
    """Write the checked rows: (the users changed, how many users' breaks were replaced, training records written)."""
    updated: list[int] = []
    breaks_replaced = training_written = 0
    user_ids = sorted({user.id for _, user, _ in checked.plan})
    records = {(t.user_id, t.level_id): t for chunk in _chunks(user_ids) for t in session.scalars(
        select(TrainingRecord).where(TrainingRecord.user_id.in_(chunk)))}
    for r, user, org in checked.plan:
        changed = False
        if r.organization is not None:
            new_org_id = None if r.organization is CLEAR else org.id  # type: ignore[union-attr]
            if user.organization_id != new_org_id:
                user.organization = None if r.organization is CLEAR else org
                changed = True
        for attr, value in (("job_start_date", r.job_start), ("probation_passed_on", r.probation_passed_on)):
            if value is not None:
                new = None if value is CLEAR else value
                if getattr(user, attr) != new:
                    setattr(user, attr, new)
                    changed = True
        if r.breaks is not None:
            wanted = [] if r.breaks is CLEAR else sorted(r.breaks)
            current = checked.stored_breaks.get(user.id, [])
            if sorted((b.start_on, b.end_on) for b in current) != wanted:
                for b in current:
                    session.delete(b)
                session.add_all(ServiceBreak(user_id=user.id, start_on=a, end_on=b) for a, b in wanted)
                breaks_replaced += 1
                changed = True
        for code, hours in r.training.items():
            level = checked.levels[code]
            record = records.get((user.id, level.id))
            if hours is CLEAR:
                if record is not None:
                    session.delete(record)
                    training_written += 1
                    changed = True
                continue
            given = r.completed_on(code)
            if given is None:  # untouched: keep the recorded date
                completed = None if record is None else record.completed_on
            else:
                completed = None if given is CLEAR else given
            if record is None:
                session.add(TrainingRecord(user_id=user.id, level_id=level.id, hours=hours, completed_on=completed))
            elif (record.hours, record.completed_on) != (hours, completed):
                record.hours, record.completed_on = hours, completed
            else:
                continue
            training_written += 1
            changed = True
        if changed:
            updated.append(user.id)
    session.flush()
    return updated, breaks_replaced, training_written


def apply_facts(session: Session, rows: FactsSheet | Iterable[FactsRow], *, actor_id: int | None, now: datetime,
                filename: str = "") -> FactsReport:
    """Check every row against the database, then write all of it — or nothing.

    ``rows`` is what :func:`read_facts_xlsx` returned (its errors are reported together with the
    ones found here) or plain rows. Raises :class:`FactsImportError` with every problem before
    anything is changed. Otherwise updates the users, replaces breaks, upserts training records,
    adds one audit event (``eligibility.facts_import``) and flushes; the caller commits.
    """
    sheet = rows if isinstance(rows, FactsSheet) else FactsSheet(name=filename, rows=list(rows))
    name = filename or sheet.name
    checked = check_rows(session, sheet.rows, china_date(now))
    errors = sorted_errors([*sheet.errors, *checked.errors])
    if errors:
        raise FactsImportError(errors)
    updated, breaks_replaced, training_written = write_rows(session, checked)
    report = FactsReport(rows=len(checked.plan), users_updated=len(updated),
                         users_unchanged=len(checked.plan) - len(updated), breaks_replaced=breaks_replaced,
                         training_records=training_written, ignored_columns=sheet.ignored_columns)
    record_audit(session, at=now, actor_id=actor_id, action=AUDIT_ACTION, entity="users", filename=name,
                 sha256=sheet.sha256, rows=report.rows, users_updated=report.users_updated,
                 users_unchanged=report.users_unchanged, breaks_replaced=breaks_replaced,
                 training_records=training_written, columns=list(sheet.columns), user_ids=updated)
    session.flush()
    return report
