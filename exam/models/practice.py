"""Practice (专项练习): short sets of practice-usable questions answered one at a time, with the key and
explanation right after each answer. The responses are also what the 错题本 and the progress page read."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base, str_enum
from exam.models.level import Level
from question_bank import Difficulty, QuestionType


class PracticeKind(enum.StrEnum):
    #: drawn from the bank by area, type and difficulty
    PRACTICE = "practice"
    #: the trainee's own wrong items (错题本) again
    WRONG_BOOK = "wrong_book"

    @property
    def label(self) -> str:
        return {"practice": "专项练习", "wrong_book": "错题重练"}[self.value]


class PracticeSet(Base):
    """One short set of practice questions for one trainee at one level; the versions are fixed when it is drawn."""

    __tablename__ = "practice_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    kind: Mapped[PracticeKind] = mapped_column(str_enum(PracticeKind, "practice_kind"))
    #: the filters it was drawn with (None: any)
    area_code: Mapped[str | None] = mapped_column(String(8))
    type: Mapped[QuestionType | None] = mapped_column(str_enum(QuestionType, "practice_type"))
    difficulty: Mapped[Difficulty | None] = mapped_column(str_enum(Difficulty, "practice_difficulty"))
    #: [[question_id, version_id], …] in the order shown
    items: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: set when the last item is answered
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    level: Mapped[Level] = relationship()
    responses: Mapped[list[PracticeResponse]] = relationship(
        back_populates="practice_set", order_by="PracticeResponse.position", cascade="all, delete-orphan")


class PracticeResponse(Base):
    """One answer to one practice item, graded at once (an item is answered once per set)."""

    __tablename__ = "practice_responses"
    __table_args__ = (UniqueConstraint("set_id", "position", name="uq_practice_responses_set_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("practice_sets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    #: 1-based place in the set
    position: Mapped[int]
    area_code: Mapped[str] = mapped_column(String(8))
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "practice_response_type"))
    #: canonical response in the version's own option letters (see services.qtypes); None: left blank
    response: Mapped[Any | None]
    correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(DateTime)

    practice_set: Mapped[PracticeSet] = relationship(back_populates="responses")
