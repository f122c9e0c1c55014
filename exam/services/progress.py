"""我的进度: a trainee's results per knowledge area over recent weeks, from practice answers (one point each) and
the machine- or trainer-scored items of their finished mocks and certification attempts; weakest areas first."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import (
    Answer,
    Attempt,
    AttemptState,
    Certificate,
    CertificateStatus,
    KnowledgeArea,
    Level,
    PaperItem,
    PracticeResponse,
    User,
)
from exam.services.certificates import china_date

#: the weeks the page looks back over
WEEKS = 12


@dataclass
class AreaProgress:
    code: str
    name: str
    #: per week, oldest first: (earned, possible); possible 0 where nothing was answered
    weeks: list[tuple[float, float]] = field(default_factory=list)
    practised: int = 0
    #: items of finished attempts counted
    exam_items: int = 0

    @property
    def earned(self) -> float:
        return sum(e for e, _p in self.weeks)

    @property
    def possible(self) -> float:
        return sum(p for _e, p in self.weeks)

    @property
    def rate(self) -> float | None:
        """Share of points earned over the whole window, or None without any answer."""
        return self.earned / self.possible if self.possible else None

    @property
    def weekly_rates(self) -> list[float | None]:
        return [e / p if p else None for e, p in self.weeks]


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Monday of each week in the window, oldest first; the last is this week's."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def area_progress(session: Session, user: User, now: datetime, weeks: int = WEEKS) -> list[AreaProgress]:
    """Every knowledge area with the trainee's weekly results, weakest first (areas without answers last)."""
    today = china_date(now)
    starts = week_starts(today, weeks)
    since_utc = datetime.combine(starts[0], datetime.min.time()) - timedelta(hours=8)
    areas = {code: AreaProgress(code, name, [(0.0, 0.0)] * weeks) for code, name in session.execute(
        select(KnowledgeArea.code, KnowledgeArea.name).order_by(KnowledgeArea.sort_order, KnowledgeArea.code))}

    def add(area: str, at: datetime, earned: float, possible: float) -> AreaProgress | None:
        a = areas.get(area)
        week = (china_date(at) - starts[0]).days // 7
        if a is None or not 0 <= week < weeks:
            return None
        e, p = a.weeks[week]
        a.weeks[week] = (e + earned, p + possible)
        return a

    for area, at, correct in session.execute(
            select(PracticeResponse.area_code, PracticeResponse.answered_at, PracticeResponse.correct)
            .where(PracticeResponse.user_id == user.id, PracticeResponse.answered_at >= since_utc)):
        if (a := add(area, at, 1.0 if correct else 0.0, 1.0)) is not None:
            a.practised += 1
    for area, at, score, points in session.execute(
            select(PaperItem.area_code, Attempt.finished_at, Answer.score, PaperItem.points)
            .join(Attempt, Attempt.id == PaperItem.attempt_id).join(Answer, Answer.paper_item_id == PaperItem.id)
            .where(Attempt.user_id == user.id, Attempt.state != AttemptState.IN_PROGRESS,
                   Attempt.finished_at >= since_utc, Answer.score.is_not(None))):
        if (a := add(area, at, float(score), float(points))) is not None:
            a.exam_items += 1
    return sorted(areas.values(), key=lambda a: (a.rate is None, a.rate if a.rate is not None else 0, a.code))


def target_level(session: Session, user: User, today: date, closed: Iterable[int] = ()) -> Level | None:
    """The lowest level the trainee holds no valid certificate of (what practice is most likely for), passing
    over the ``closed`` level ids (closed to practice now) where another remains."""
    held = set(session.scalars(select(Certificate.level_id).where(
        Certificate.user_id == user.id, Certificate.having_status(CertificateStatus.VALID, today))))
    levels = session.scalars(select(Level).order_by(Level.rank.desc())).all()
    closed = set(closed)
    return (next((lv for lv in levels if lv.id not in held and lv.id not in closed), None)
            or next((lv for lv in levels if lv.id not in closed), None)
            or (levels[0] if levels else None))
