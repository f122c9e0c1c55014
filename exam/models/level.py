"""Levels and their rules: weight table (比重表), paper structure, difficulty mix."""
from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base, str_enum
from question_bank import Difficulty, QuestionType


class Level(Base):
    __tablename__ = "levels"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_range"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("difficulty_tolerance >= 0 AND difficulty_tolerance <= 50", name="tolerance_range"),
        CheckConstraint("marking_tolerance >= 0", name="marking_tolerance_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    #: 4 for L4 … 1 for L1; a lower number is a higher level
    rank: Mapped[int] = mapped_column(unique=True)
    duration_minutes: Mapped[int]
    pass_mark: Mapped[int]
    #: ± percentage points allowed around each difficulty share
    difficulty_tolerance: Mapped[int] = mapped_column(default=5)
    #: 少选得部分分: a correct proper subset of a multiple-choice key earns half the points
    multiple_partial_credit: Mapped[bool] = mapped_column(default=False)
    certificate_validity_years: Mapped[int] = mapped_column(default=3)
    training_hours: Mapped[int] = mapped_column(default=0)
    #: 申报条件 as data: {"routes": [{"name", "requires_certificate", "continuous_years", …}]}
    #: (see services.eligibility_rules); empty means the defaults of the standard
    eligibility_routes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: 双评: certification case studies are marked by two markers independently (see services.marking)
    double_marking: Mapped[bool] = mapped_column(default=False)
    #: two markers' totals may differ by this many points; beyond it a third marker decides
    marking_tolerance: Mapped[float] = mapped_column(Float, default=2.0)

    weights: Mapped[list[AreaWeight]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    sections: Mapped[list[PaperSection]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PaperSection.position"
    )
    difficulty_mix: Mapped[list[DifficultyShare]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def total_points(self) -> int:
        return sum(s.count * s.points for s in self.sections)

    @property
    def item_count(self) -> int:
        return sum(s.count for s in self.sections)


class AreaWeight(Base):
    """One row of a level's weight table: the share of the paper's points for one area."""

    __tablename__ = "area_weights"
    __table_args__ = (
        UniqueConstraint("level_id", "area_code", name="uq_area_weights_level_area"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(ForeignKey("knowledge_areas.code"))
    percent: Mapped[int]


class PaperSection(Base):
    """One row of a level's paper structure: count × points of one question type."""

    __tablename__ = "paper_sections"
    __table_args__ = (
        UniqueConstraint("level_id", "type", name="uq_paper_sections_level_type"),
        CheckConstraint("count >= 0 AND points > 0", name="count_points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id", ondelete="CASCADE"))
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "section_type"))
    count: Mapped[int]
    points: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)


class DifficultyShare(Base):
    """Target share of a paper's points at one declared difficulty."""

    __tablename__ = "difficulty_shares"
    __table_args__ = (
        UniqueConstraint("level_id", "difficulty", name="uq_difficulty_shares_level_difficulty"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id", ondelete="CASCADE"))
    difficulty: Mapped[Difficulty] = mapped_column(str_enum(Difficulty, "share_difficulty"))
    percent: Mapped[int]
