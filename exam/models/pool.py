"""Pre-assembled parallel papers: a level's pool, from which attempts take a paper at start time."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.models.base import Base, str_enum
from exam.models.level import Level


class PoolStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class PaperPool(Base):
    """F exact papers of one level with equal expected difficulty, assembled before a sitting.

    At most one pool per level is active; building a new one retires the old one (attempts keep
    the papers they were given).
    """

    __tablename__ = "paper_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"), index=True)
    status: Mapped[PoolStatus] = mapped_column(str_enum(PoolStatus, "pool_status"))
    seed: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: expected scores, overlap and exposure figures as reported when the pool was built
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)

    level: Mapped[Level] = relationship()
    papers: Mapped[list[PoolPaper]] = relationship(
        back_populates="pool", order_by="PoolPaper.position", cascade="all, delete-orphan"
    )


class PoolPaper(Base):
    __tablename__ = "pool_papers"
    __table_args__ = (UniqueConstraint("pool_id", "position", name="uq_pool_papers_pool_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("paper_pools.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    #: [[question_id, version_id, area, type, difficulty, points], …] in paper order
    items: Mapped[list[Any]] = mapped_column(default=list)
    expected_score: Mapped[float] = mapped_column(Float)
    #: how many attempts were given this paper (the least given is handed out next)
    assigned: Mapped[int] = mapped_column(default=0)

    pool: Mapped[PaperPool] = relationship(back_populates="papers")
