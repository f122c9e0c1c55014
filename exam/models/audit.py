"""Who changed what, when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from exam.models.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: dotted verb, e.g. "certificate.issue", "attempt.mark"
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


def record_audit(
    session: Session, *, at: datetime, actor_id: int | None, action: str, entity: Any, **detail: Any
) -> AuditEvent:
    """Add an audit event for ``entity`` (a model row, or a table name for bulk changes).

    Added to the caller's transaction, never committed here.
    """
    event = AuditEvent(
        at=at, actor_id=actor_id, action=action,
        entity_type=entity if isinstance(entity, str) else type(entity).__tablename__,
        entity_id=getattr(entity, "id", None), detail=detail,
    )
    session.add(event)
    return event


class RateLimit(Base):
    """A fixed-window counter of the rate limiter (login, sitting passwords, /verify), shared by every
    process and host that uses the database; rows past ``expires_at`` are dead and swept."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: Unix time at which the window ends
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    hits: Mapped[int]
