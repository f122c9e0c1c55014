"""Sittings (考场): when, where and for whom a level's certification exam is open, and who is enrolled."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base, str_enum
from exam.models.level import Level
from exam.models.pool import PaperPool
from exam.models.user import Organization, User


class SittingMode(enum.StrEnum):
    ROOM = "room"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return {"room": "考场", "online": "线上"}[self.value]


class Sitting(Base):
    """One scheduled sitting of one level for one organisation (and its sub-organisations).

    A trainee enrolled here may start the certification attempt between ``starts_at`` and
    ``ends_at`` (UTC); the attempt then runs the level's duration plus the trainee's extra time.
    """

    __tablename__ = "sittings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: the window in which an attempt may be started
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    mode: Mapped[SittingMode] = mapped_column(str_enum(SittingMode, "sitting_mode"))
    #: room name and address, or joining instructions for an online sitting
    place: Mapped[str] = mapped_column(Text, default="")
    #: an access password announced in the room (hash only); None: no password
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: CIDR ranges an attempt may be started from, e.g. ["10.12.0.0/16"]; empty: anywhere
    allowed_networks: Mapped[list[Any]] = mapped_column(default=list)
    #: parallel papers assembled for this sitting; None: the level's active pool, else drawn at start
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("paper_pools.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    level: Mapped[Level] = relationship()
    organization: Mapped[Organization] = relationship()
    pool: Mapped[PaperPool | None] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="sitting", cascade="all, delete-orphan")

    def is_open(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class Enrolment(Base):
    """A trainee admitted to a sitting (eligibility checked at enrolment and again at start)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("sitting_id", "user_id", name="uq_enrolments_sitting_user"),
        CheckConstraint("extra_minutes >= 0 AND extra_minutes <= 600", name="extra_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: accommodation: added to the level's duration for this trainee (audited when granted)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    #: wrong sitting passwords typed by this trainee (HR sees them); too many lock entry for a while
    password_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    password_locked_until: Mapped[datetime | None] = mapped_column(DateTime)

    sitting: Mapped[Sitting] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PreparedPaper(Base):
    """A certification paper made ready for an enrolment while its trainee waits in the lobby (候考): the pool
    paper, its order of items and options for this trainee, as the rows ``paper_items`` will hold. Nobody
    sees it before the start; starting then copies it into the attempt instead of choosing and shuffling at
    the same minute as everyone else. Used once (deleted at the start); one that no longer fits (the pool
    was rebuilt, a question retired, the trainee practised one of its questions) is set aside at the start
    and the paper is chosen as if none had been prepared."""

    __tablename__ = "prepared_papers"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("paper_pools.id", ondelete="CASCADE"), index=True)
    pool_paper_id: Mapped[int] = mapped_column(ForeignKey("pool_papers.id", ondelete="CASCADE"))
    #: the seed that ordered the items and options (kept on the attempt, as for any start)
    seed: Mapped[int]
    total_points: Mapped[int]
    #: the ``paper_items`` rows as one JSON document (position, version, area, type, difficulty, points,
    #: option order), inserted as they are at the start
    items: Mapped[str] = mapped_column(Text)
    prepared_at: Mapped[datetime] = mapped_column(DateTime)


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"pending": "待审核", "approved": "已批准", "refused": "未批准", "withdrawn": "已撤回"}[self.value]


class SittingApplication(Base):
    """报名申请: a trainee asks to be enrolled in an upcoming sitting of their organisation; HR approves (the
    enrolment's checks run again) or refuses with a reason. One row per trainee and sitting; applying again
    after a refusal or a withdrawal reopens it."""

    __tablename__ = "sitting_applications"
    __table_args__ = (UniqueConstraint("sitting_id", "user_id", name="uq_sitting_applications_sitting_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, "application_status"), index=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: HR's written reason for a refusal (shown to the trainee)
    reason: Mapped[str] = mapped_column(Text, default="")

    sitting: Mapped[Sitting] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
