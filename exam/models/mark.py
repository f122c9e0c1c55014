"""Marks: each marker's own mark of one open answer (the answer's score is the final one)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.attempt import Answer
from exam.models.base import Base
from exam.models.user import User


class Mark(Base):
    """One marker's mark of one answer in one round: 1 (一评, or the only mark), 2 (二评), 3 (仲裁).

    Kept for the record whatever the outcome; a marker may revise their own mark only until a later
    round exists and the attempt is graded (see services.marking).
    """

    __tablename__ = "marks"
    __table_args__ = (
        UniqueConstraint("answer_id", "round", name="uq_marks_answer_round"),
        # two marks of one answer are always by two different people
        UniqueConstraint("answer_id", "marker_id", name="uq_marks_answer_marker"),
        CheckConstraint("round >= 1 AND round <= 3", name="round_range"),
        CheckConstraint("points >= 0", name="points_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    round: Mapped[int]
    marker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the marker's total for the answer (the sum of ``point_scores`` when the item has a scheme)
    points: Mapped[float] = mapped_column(Float)
    #: points awarded per scoring point of the item's scheme, in the scheme's order; empty: one total
    point_scores: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    marked_at: Mapped[datetime] = mapped_column(DateTime)

    answer: Mapped[Answer] = relationship()
    marker: Mapped[User] = relationship()
