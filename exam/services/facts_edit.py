"""HR's page for one trainee's eligibility facts: the fields as shown, read into a row that sets every
fact, checked by the upload's rules (``facts_import``) and written by its writer — all of it or nothing.

Problems are named by field (``中断 2 结束日期``) instead of row and column.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import Level, ServiceBreak, TrainingRecord, User, record_audit
from exam.services.certificates import china_date
from exam.services.facts_import import check_rows, write_rows
from question_bank.facts_sheet import (
    CLEAR,
    COMPLETED_COLUMNS,
    HOURS_COLUMNS,
    PAGE_ROW,
    Clear,
    FactsError,
    FactsImportError,
    FactsRow,
    parse_date,
    parse_hours,
    sorted_errors,
)

#: one trainee's facts edited on the per-trainee page
EDIT_AUDIT_ACTION = "eligibility.facts_edit"


@dataclass(frozen=True)
class FactsForm:
    """The per-trainee page's fields as text. The page shows every fact, so an empty field means "none"; a
    field that was not sent at all (``None``) leaves its fact as recorded."""

    organization: str | None = ""  # organisation code (or name)
    job_start: str | None = ""
    probation_passed_on: str | None = ""
    #: the break rows as shown: (start, end — the first day back, 删除 ticked); a row with neither date is
    #: ignored; None: no break row was sent (the recorded breaks stay)
    breaks: tuple[tuple[str, str, bool], ...] | None = ()
    #: level code → (hours, completion date); empty hours: no training record for that level; a level
    #: missing here, or a part sent as None, stays as recorded
    training: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def recorded_facts(session: Session, user: User) -> tuple[list[tuple[date, date]], dict[str, tuple[int, date | None]]]:
    """``user``'s breaks (by start) and training records (level code → hours, completion date)."""
    breaks = [(s, e) for s, e in session.execute(
        select(ServiceBreak.start_on, ServiceBreak.end_on).where(ServiceBreak.user_id == user.id)
        .order_by(ServiceBreak.start_on, ServiceBreak.end_on))]
    training = {code: (hours, completed) for code, hours, completed in session.execute(
        select(Level.code, TrainingRecord.hours, TrainingRecord.completed_on)
        .join(Level, Level.id == TrainingRecord.level_id).where(TrainingRecord.user_id == user.id))}
    return breaks, training


def _iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def facts_form(session: Session, user: User, *, blank_breaks: int = 0) -> FactsForm:
    """The page's fields filled with what is recorded, and ``blank_breaks`` empty break rows for adding."""
    breaks, training = recorded_facts(session, user)
    return FactsForm(
        organization=user.organization.code if user.organization else "",
        job_start=_iso(user.job_start_date), probation_passed_on=_iso(user.probation_passed_on),
        breaks=(*((_iso(s), _iso(e), False) for s, e in breaks), *(("", "", False),) * blank_breaks),
        training={code: (str(hours), _iso(completed)) for code, (hours, completed) in training.items()})


def facts_snapshot(session: Session, user: User) -> dict[str, Any]:
    """What is recorded for ``user`` as plain JSON values (the audit's before and after)."""
    breaks, training = recorded_facts(session, user)
    return {
        "organization": user.organization.code if user.organization else None,
        "job_start": _iso(user.job_start_date) or None,
        "probation_passed_on": _iso(user.probation_passed_on) or None,
        "breaks": [[_iso(s), _iso(e)] for s, e in breaks],
        "training": {code: {"hours": hours, "completed_on": _iso(completed) or None}
                     for code, (hours, completed) in sorted(training.items())},
    }


def _read_form(user: User, form: FactsForm) -> tuple[FactsRow, list[FactsError], list[int]]:
    """The page's fields as a row setting every fact (an empty field: ``CLEAR``), read with the upload's
    readers; the problems named by field; and the page's row number of each break in the row."""
    errors: list[FactsError] = []

    def add(column: str, message: str, item: int | None = None, part: str = "") -> None:
        errors.append(FactsError(PAGE_ROW, column, message, item, part))

    def read_date(column: str, text: str, item: int | None = None, part: str = "") -> date | None:
        d, problem = parse_date(text.strip())
        if problem:
            add(column, problem, item, part)
            return None
        return d

    def fact_date(column: str, text: str | None) -> date | Clear | None:
        if text is None:
            return None  # not sent: as recorded
        return read_date(column, text) if text.strip() else CLEAR

    breaks: list[tuple[date, date]] = []
    numbers: list[int] = []
    for number, (start_text, end_text, delete) in enumerate(form.breaks or (), 1):
        if delete or not (start_text.strip() or end_text.strip()):
            continue
        pair: list[date] = []
        for part, text in (("start", start_text), ("end", end_text)):
            if not text.strip():
                add("中断起止", "请填写开始日期 (离开本岗位的第一天)" if part == "start"
                    else "请填写结束日期 (复岗日期: 回到本岗位的第一天)", number, part)
            elif (d := read_date("中断起止", text, number, part)) is not None:
                pair.append(d)
        if len(pair) == 2:
            breaks.append((pair[0], pair[1]))
            numbers.append(number)
    training: dict[str, int | Clear] = {}
    completed: dict[str, date | Clear] = {}
    for column, code in HOURS_COLUMNS.items():
        hours_text, completed_text = form.training.get(code, (None, None))
        completed_on = fact_date(COMPLETED_COLUMNS[code], completed_text)
        if hours_text is None:
            pass  # not sent: the level's hours stay as recorded
        elif not hours_text.strip():
            training[code] = CLEAR
        else:
            hours, problem = parse_hours(hours_text)
            if problem or hours is None:
                add(column, problem or "")
                continue  # the level's completion date is not checked against hours that could not be read
            training[code] = hours
        if completed_on is not None:
            completed[code] = completed_on
    organization = None if form.organization is None else (form.organization.strip() or CLEAR)
    row = FactsRow(row=PAGE_ROW, username=user.username, organization=organization,
                   job_start=fact_date("上岗日期", form.job_start),
                   breaks=None if form.breaks is None else tuple(breaks),
                   probation_passed_on=fact_date("实习考核合格日期", form.probation_passed_on),
                   training=training, training_completed=completed)
    return row, errors, numbers


def edit_facts(session: Session, user: User, form: FactsForm, *, actor_id: int | None, now: datetime) -> bool:
    """Record ``user``'s facts as the per-trainee page shows them, by the upload's rules — or nothing.

    Every fact is set (an empty field clears it; the breaks replace the recorded ones). Read and
    checked exactly as an uploaded row (:func:`facts_import.check_rows`); raises
    :class:`FactsImportError` with every problem, each named by field (``FactsError.field``, e.g.
    ``中断 2 结束日期``), before anything is changed. Otherwise writes, records one audit event
    (``eligibility.facts_edit``, with before and after) if anything changed, and flushes; the
    caller commits. Returns whether anything changed.
    """
    row, errors, numbers = _read_form(user, form)
    checked = check_rows(session, [row], china_date(now))
    for e in checked.errors:  # a break's position in the row → its row number on the page
        errors.append(e if e.item is None else replace(e, item=numbers[e.item - 1]))
    if errors:
        raise FactsImportError(sorted_errors(errors))
    before = facts_snapshot(session, user)
    updated, _, _ = write_rows(session, checked)
    if not updated:
        return False
    after = facts_snapshot(session, user)
    record_audit(session, at=now, actor_id=actor_id, action=EDIT_AUDIT_ACTION, entity=user, before=before,
                 after=after, changed=sorted(k for k in after if after[k] != before[k]))
    session.flush()
    return True
