"""Item analysis (试题分析): the figures of a sitting, stored once it closes, and each question's flags."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base
from exam.models.sitting import Sitting


class SittingAnalysis(Base):
    """The item analysis of one sitting's graded certification attempts (recomputed replaces it)."""

    __tablename__ = "sitting_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id", ondelete="CASCADE"), unique=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    #: None: computed by the background worker once the sitting closed and all marking was done
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int]
    #: the last finish time among the attempts analysed: newer evidence replaces a question's flags
    data_until: Mapped[datetime | None] = mapped_column(DateTime)
    #: the form-level figures (score distribution, pass rate, forms with α and SEM) and the thresholds used
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)

    sitting: Mapped[Sitting] = relationship()
    items: Mapped[list[ItemStatistic]] = relationship(back_populates="analysis", cascade="all, delete-orphan",
                                                      passive_deletes=True)


class ItemStatistic(Base):
    """One question version's figures in one sitting's analysis."""

    __tablename__ = "item_statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("sitting_analyses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    type: Mapped[str] = mapped_column(String(16))
    points: Mapped[float] = mapped_column(Float)
    #: attempts that had the item on their paper (an unanswered item counts, scored 0)
    responses: Mapped[int]
    #: facility: the mean share of the item's points earned
    p: Mapped[float] = mapped_column(Float)
    mean_score: Mapped[float] = mapped_column(Float)
    sd: Mapped[float | None] = mapped_column(Float)
    #: corrected item–total correlation (the item against the rest of the paper); point-biserial for 0/1 items
    r_corrected: Mapped[float | None] = mapped_column(Float)
    #: upper–lower 27 % discrimination index D = p(upper) − p(lower)
    d_index: Mapped[float | None] = mapped_column(Float)
    p_upper: Mapped[float | None] = mapped_column(Float)
    p_lower: Mapped[float | None] = mapped_column(Float)
    #: choice items: [{"option", "label", "key", "rate", "upper", "lower"}, …] plus the unanswered share
    options: Mapped[list[Any]] = mapped_column(default=list)
    #: bit set of ``services.item_analysis.Flag``
    flags: Mapped[int] = mapped_column(default=0)

    analysis: Mapped[SittingAnalysis] = relationship(back_populates="items")


class QuestionFlag(Base):
    """A question's standing flags from its latest judged analysis; what a trainer cleared stays cleared
    until newer evidence arrives. Pools leave out questions whose open flags hold negative discrimination."""

    __tablename__ = "question_flags"

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    #: the flags as measured (bit set of ``Flag``)
    flags: Mapped[int] = mapped_column(default=0)
    #: the measured flags a trainer has not cleared: the bank filter and the pools read these
    open_flags: Mapped[int] = mapped_column(default=0, index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sittings.id", ondelete="SET NULL"))
    data_until: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_flags: Mapped[int] = mapped_column(default=0)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cleared_reason: Mapped[str] = mapped_column(Text, default="")
