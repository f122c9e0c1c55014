"""A trainee's results per knowledge area across their graded attempts, for trainers planning training."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from exam.models import Answer, Attempt, AttemptKind, AttemptState, Level, PaperItem, Role, User, UserRole


@dataclass(frozen=True)
class AttemptSummary:
    id: int
    level: str
    kind: AttemptKind
    finished_at: datetime | None
    score: float
    total_points: int
    pass_mark: int
    passed: bool


@dataclass
class AreaProgress:
    area: str
    #: per attempt (in ``Progress.attempts`` order): share of the area's points earned; None when not on that paper
    shares: list[float | None] = field(default_factory=list)
    earned: list[float | None] = field(default_factory=list)
    possible: list[int | None] = field(default_factory=list)

    @property
    def latest(self) -> float | None:
        return next((s for s in reversed(self.shares) if s is not None), None)

    @property
    def first(self) -> float | None:
        return next((s for s in self.shares if s is not None), None)

    @property
    def change(self) -> float | None:
        seen = [s for s in self.shares if s is not None]
        return seen[-1] - seen[0] if len(seen) >= 2 else None


@dataclass
class Progress:
    attempts: list[AttemptSummary]
    areas: list[AreaProgress]
    #: the pass mark as a share of the points (the line a weak area sits below)
    pass_share: float

    def weakest(self, n: int = 3) -> list[AreaProgress]:
        """The areas whose latest share is lowest and below the pass share: where training helps most."""
        low = [a for a in self.areas if a.latest is not None and a.latest < self.pass_share]
        return sorted(low, key=lambda a: a.latest)[:n]


def trainee_progress(session: Session, user_id: int, kind: AttemptKind | None = None) -> Progress:
    """Every graded attempt of the trainee (certification and mock, or only ``kind``), oldest first, with the
    points earned per area; two statements whatever the number of attempts."""
    where = [Attempt.user_id == user_id, Attempt.state == AttemptState.GRADED]
    if kind is not None:
        where.append(Attempt.kind == kind)
    rows = session.execute(
        select(Attempt.id, Level.code, Attempt.kind, Attempt.finished_at, Attempt.score, Attempt.total_points,
               Attempt.pass_mark, Attempt.passed)
        .join(Level, Level.id == Attempt.level_id).where(*where).order_by(Attempt.finished_at, Attempt.id)).all()
    attempts = [AttemptSummary(r[0], r[1], r[2], r[3], float(r[4] or 0), r[5], r[6], bool(r[7])) for r in rows]
    index = {a.id: i for i, a in enumerate(attempts)}
    areas: dict[str, AreaProgress] = {}
    if attempts:
        per_area = session.execute(
            select(PaperItem.attempt_id, PaperItem.area_code, func.sum(func.coalesce(Answer.score, 0.0)),
                   func.sum(PaperItem.points))
            .join(Attempt, Attempt.id == PaperItem.attempt_id)
            .outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
            .where(*where).group_by(PaperItem.attempt_id, PaperItem.area_code))
        for attempt_id, area, earned, possible in per_area:
            a = areas.setdefault(area, AreaProgress(area, [None] * len(attempts), [None] * len(attempts),
                                                    [None] * len(attempts)))
            i = index[attempt_id]
            a.earned[i], a.possible[i] = round(float(earned), 2), int(possible)
            a.shares[i] = float(earned) / possible if possible else None
    pass_share = (attempts[-1].pass_mark / attempts[-1].total_points) if attempts else 0.6
    return Progress(attempts, [areas[k] for k in sorted(areas)], pass_share)


def find_trainees(session: Session, who: str, limit: int = 50) -> list[tuple[User, int]]:
    """Trainees whose username, employee number or name contains ``who``, with their graded attempts."""
    who = who.strip()[:64]
    if not who:
        return []
    graded = (select(func.count()).where(Attempt.user_id == User.id, Attempt.state == AttemptState.GRADED)
              .correlate(User).scalar_subquery())
    stmt = (select(User, graded).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == Role.TRAINEE,
        or_(User.username == who, User.employee_no == who, User.full_name.contains(who, autoescape=True),
            User.username.contains(who, autoescape=True)))
        .order_by(User.full_name, User.id).limit(limit))
    return [(u, int(n)) for u, n in session.execute(stmt).all()]
