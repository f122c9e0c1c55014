"""A trainee's timed sitting of one paper, its items and answers. The model owns the state machine."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from exam.models.base import Base, str_enum
from exam.models.level import Level
from exam.models.user import User
from question_bank import Difficulty, QuestionType


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"
    GRADED = "graded"

    @property
    def label(self) -> str:
        return {"in_progress": "作答中", "submitted": "已交卷", "expired": "超时收卷", "graded": "已评分"}[self.value]


class AttemptKind(enum.StrEnum):
    #: inside an enrolled sitting's window; a pass earns a certificate
    CERTIFICATION = "certification"
    #: 模拟考试: open to every trainee at any level, graded the same way, never certified
    MOCK = "mock"

    @property
    def label(self) -> str:
        return {"certification": "正式考试", "mock": "模拟考试"}[self.value]


class IllegalTransition(Exception):
    """A move the attempt's state machine refuses; the message is for the user."""


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("deadline_at > started_at", name="deadline_after_start"),
        # one open attempt per trainee, level and kind: a double click on "start" cannot open two
        Index(
            "uq_attempts_one_open", "user_id", "level_id", "kind", unique=True,
            sqlite_where=text("state = 'in_progress'"), postgresql_where=text("state = 'in_progress'"),
        ),
        # one certification attempt per enrolment (mock attempts have no sitting; NULLs are distinct)
        Index("uq_attempts_sitting_user", "sitting_id", "user_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    state: Mapped[AttemptState] = mapped_column(str_enum(AttemptState, "attempt_state"), index=True)
    kind: Mapped[AttemptKind] = mapped_column(str_enum(AttemptKind, "attempt_kind"), default=AttemptKind.CERTIFICATION)
    #: the sitting a certification attempt was started in
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sittings.id"))
    #: the rng seed the paper was drawn with (reproducible papers)
    seed: Mapped[int]
    #: the pre-assembled paper this attempt was given, when the level had a pool
    pool_paper_id: Mapped[int | None] = mapped_column(ForeignKey("pool_papers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    #: fixed by the server at start; the page's countdown only displays it
    deadline_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    pass_mark: Mapped[int]
    total_points: Mapped[int]
    #: optimistic lock: two tabs submitting at once cannot both move the state
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    user: Mapped[User] = relationship()
    level: Mapped[Level] = relationship()
    items: Mapped[list[PaperItem]] = relationship(
        back_populates="attempt", order_by="PaperItem.position", cascade="all, delete-orphan"
    )

    def remaining_seconds(self, now: datetime) -> int:
        if self.state is not AttemptState.IN_PROGRESS:
            return 0
        return max(0, int((self.deadline_at - now).total_seconds()))

    def is_overdue(self, now: datetime) -> bool:
        return self.state is AttemptState.IN_PROGRESS and now >= self.deadline_at

    @staticmethod
    def check_save_allowed(state: AttemptState, deadline_at: datetime, now: datetime) -> None:
        """The rule of saving, for callers that read only the state and the deadline."""
        if now >= deadline_at:
            raise IllegalTransition("考试时间已到, 此后的作答不再保存。")
        if state is not AttemptState.IN_PROGRESS:
            raise IllegalTransition("本次考试已交卷, 答案不能再修改。")

    def submit(self, now: datetime) -> None:
        if self.state is not AttemptState.IN_PROGRESS:
            raise IllegalTransition("本次考试已交卷。")
        if now >= self.deadline_at:
            raise IllegalTransition("考试时间已到, 已按保存的答案收卷。")
        self.state, self.finished_at = AttemptState.SUBMITTED, now

    def expire(self, now: datetime) -> None:
        if not self.is_overdue(now):
            raise IllegalTransition("考试尚未到时, 不能超时收卷。")
        self.state, self.finished_at = AttemptState.EXPIRED, self.deadline_at

    def mark_graded(self, score: float, now: datetime) -> None:
        if self.state not in (AttemptState.SUBMITTED, AttemptState.EXPIRED):
            raise IllegalTransition("只有已交卷的考试可以定分。")
        self.state, self.score, self.graded_at = AttemptState.GRADED, score, now
        self.passed = score >= self.pass_mark

    @staticmethod
    def duration_for(level: Level) -> timedelta:
        return timedelta(minutes=level.duration_minutes)


class PaperItem(Base):
    """One question version on one attempt's paper, with its points and shuffled option order."""

    __tablename__ = "paper_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position", name="uq_paper_items_attempt_position"),
        UniqueConstraint("attempt_id", "question_version_id", name="uq_paper_items_attempt_version"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("knowledge_areas.code"))
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "item_type"))
    difficulty: Mapped[Difficulty] = mapped_column(str_enum(Difficulty, "item_difficulty"))
    points: Mapped[int]
    #: displayed option i is the version's option option_order[i] (empty for non-choice types)
    option_order: Mapped[list[Any]] = mapped_column(default=list)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question_version: Mapped[QuestionVersion] = relationship()  # noqa: F821
    answer: Mapped[Answer | None] = relationship(back_populates="item", uselist=False)


class Answer(Base):
    """The trainee's response to one item; a save applies only with a higher client sequence number."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("paper_item_id", name="uq_answers_paper_item_id"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    paper_item_id: Mapped[int] = mapped_column(ForeignKey("paper_items.id", ondelete="CASCADE"))
    #: canonical response in the version's own option letters (see services.qtypes)
    response: Mapped[Any | None]
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[float | None] = mapped_column(Float)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime | None] = mapped_column(DateTime)
    marker_comment: Mapped[str] = mapped_column(Text, default="")
    #: fixed at the first mark: whether two independent marks are needed (the level's 双评 setting then)
    double_marking: Mapped[bool | None]

    item: Mapped[PaperItem] = relationship(back_populates="answer")


def answers_by_item(session: Session, attempt_id: int) -> dict[int, Answer]:
    """An attempt's answers keyed by paper item id, in one query."""
    return {a.paper_item_id: a for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))}


from exam.models.bank import QuestionVersion  # noqa: E402,F401  (relationship target)
