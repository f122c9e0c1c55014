"""Issued certificates: stored once, never re-rendered."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Date, DateTime, ForeignKey, LargeBinary, String, Text, and_
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from exam.models.base import Base
from exam.models.level import Level
from exam.models.user import User


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return {"valid": "有效", "expired": "已过期", "revoked": "已撤销"}[self.value]


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: human-readable, e.g. VIP-L4-2026-000123-K (last character is an ISO 7064 check character)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    #: an attempt earns at most one certificate
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    expires_on: Mapped[date] = mapped_column(Date)
    #: the unguessable token in the QR code's /verify/<code> link
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    template_version: Mapped[str] = mapped_column(String(16))
    #: the plain values the PDF is rendered from, fixed when the certificate is issued at grading
    render_values: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    #: None until a background worker has rendered the PDF (证书生成中); after that pdf and sha256 never change
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: last change (issue or revocation): other HR systems ask for certificates changed since a time
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    level: Mapped[Level] = relationship()

    @classmethod
    def having_status(cls, status: CertificateStatus, today: date) -> ColumnElement[bool]:
        """The rule of :meth:`status_on` as a SQL condition, for filtering in the database."""
        if status is CertificateStatus.REVOKED:
            return cls.revoked_at.is_not(None)
        if status is CertificateStatus.EXPIRED:
            return and_(cls.revoked_at.is_(None), cls.expires_on < today)
        return and_(cls.revoked_at.is_(None), cls.expires_on >= today)

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None

    def status_on(self, today: date) -> CertificateStatus:
        """Computed at read time: revocation wins, then expiry."""
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        if today > self.expires_on:
            return CertificateStatus.EXPIRED
        return CertificateStatus.VALID


class CertificateSerial(Base):
    """The last serial number given per level and year: one row that concurrent graders increment in turn,
    so a submit spike numbers certificates without collisions or retries."""

    __tablename__ = "certificate_serials"

    level_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
