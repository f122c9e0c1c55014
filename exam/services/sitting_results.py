"""A sitting's 成绩单: every enrolled trainee's state, total and points per knowledge area, on the page and as .xlsx."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exam.models import Answer, Attempt, AttemptState, PaperItem, Sitting
from exam.services.certificates import CHINA_OFFSET, CertificateSettings
from exam.services.sheets import write_table_xlsx
from exam.services.sittings import StatusRow, sitting_status


@dataclass(frozen=True)
class AreaScore:
    earned: float
    possible: int
    #: points still waiting for a trainer
    awaiting: int = 0


@dataclass
class ResultRow:
    status: StatusRow
    areas: dict[str, AreaScore] = field(default_factory=dict)

    @property
    def attempt(self) -> Attempt | None:
        return self.status.attempt

    @property
    def finished(self) -> bool:
        return self.attempt is not None and self.attempt.state is not AttemptState.IN_PROGRESS


@dataclass
class SittingResults:
    #: area codes in the order of the columns, with the points each area is worth on this level's papers
    areas: list[tuple[str, int]]
    rows: list[ResultRow]


def sitting_results(session: Session, sitting: Sitting, now: datetime, settings: CertificateSettings) -> SittingResults:
    """Each enrolled trainee (overdue attempts collected first, as on the status board) with per-area points of
    finished attempts, from one grouped query over the sitting's answers."""
    rows, _counts = sitting_status(session, sitting, now, settings)
    finished = {r.attempt.id for r in rows if r.attempt is not None and r.attempt.state is not AttemptState.IN_PROGRESS}
    per_attempt: dict[int, dict[str, AreaScore]] = defaultdict(dict)
    possible_by_area: dict[str, int] = {}
    if finished:
        awaiting = func.sum(case((Answer.score.is_(None), PaperItem.points), else_=0))
        for attempt_id, area, points, earned, waiting in session.execute(
                select(PaperItem.attempt_id, PaperItem.area_code, func.sum(PaperItem.points),
                       func.sum(func.coalesce(Answer.score, 0)), awaiting)
                .outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
                .where(PaperItem.attempt_id.in_(finished)).group_by(PaperItem.attempt_id, PaperItem.area_code)):
            per_attempt[attempt_id][area] = AreaScore(round(float(earned or 0), 2), int(points), int(waiting or 0))
            possible_by_area.setdefault(area, int(points))
    weights = {w.area_code: w.percent for w in sitting.level.weights if w.percent}
    total = sitting.level.total_points
    for code, percent in weights.items():
        possible_by_area.setdefault(code, round(total * percent / 100))
    order = sorted(possible_by_area)
    return SittingResults([(a, possible_by_area[a]) for a in order],
                          [ResultRow(r, per_attempt.get(r.attempt.id, {}) if r.attempt else {}) for r in rows])


def write_results_xlsx(target: BinaryIO, sitting: Sitting, results: SittingResults, area_names: dict[str, str]) -> None:
    """The 成绩单 as one sheet: who, state, total, pass, then one column per knowledge area."""
    header = ["姓名", "工号", "用户名", "单位", "状态", "开始时间", "交卷时间", "总分", "是否合格", "待阅卷分值"]
    header += [f"{code} {area_names.get(code, '')} (满分 {points})" for code, points in results.areas]

    def local(moment: datetime | None) -> str:
        return (moment + CHINA_OFFSET).strftime("%Y-%m-%d %H:%M") if moment else ""

    def rows():  # noqa: ANN202
        for r in results.rows:
            user, a = r.status.enrolment.user, r.attempt
            graded = a is not None and a.state is AttemptState.GRADED
            yield [user.full_name, user.employee_no or "", user.username,
                   user.organization.name if user.organization else "", r.status.label,
                   local(a.started_at) if a else "", local(a.finished_at) if a else "",
                   a.score if graded else None, ("合格" if a.passed else "不合格") if graded else "",
                   sum(s.awaiting for s in r.areas.values()) if r.finished else None,
                   *[(r.areas[code].earned if code in r.areas else None) for code, _p in results.areas]]

    title = (f"{sitting.name} · {sitting.level.name} · 开考窗口 {local(sitting.starts_at)} 至 {local(sitting.ends_at)}"
             " (北京时间)")
    write_table_xlsx(target, "成绩单", header, rows(), widths=[10, 12, 12, 14, 8, 17, 17, 8, 9, 10]
                     + [14] * len(results.areas), title=title)
