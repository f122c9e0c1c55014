"""The facts HR records for eligibility (申报条件) and an administrator's per-trainee overrides."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base
from exam.models.level import Level
from exam.models.user import User


class ServiceBreak(Base):
    """A period out of the occupation: resets continuous years, does not count in cumulative years."""

    __tablename__ = "service_breaks"
    __table_args__ = (CheckConstraint("end_on > start_on", name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)


class TrainingRecord(Base):
    """Certification training completed for one level, with its standard hours (标准学时)."""

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint("user_id", "level_id", name="uq_training_records_user_level"),
        CheckConstraint("hours >= 0", name="hours_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    hours: Mapped[int]
    completed_on: Mapped[date | None] = mapped_column(Date)

    level: Mapped[Level] = relationship()


class EligibilityOverride(Base):
    """An administrator's decision for one trainee and level, with the written reason (audited)."""

    __tablename__ = "eligibility_overrides"
    __table_args__ = (UniqueConstraint("user_id", "level_id", name="uq_eligibility_overrides_user_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    eligible: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    level: Mapped[Level] = relationship()
