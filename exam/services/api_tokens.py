"""API tokens for other HR systems: shown once when issued, stored only as a SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam.models import ApiToken, record_audit


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, name: str, *, actor_id: int, now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``name`` (the system that will use it); returns the row and the token text."""
    name = name.strip()
    if not name:
        raise ValueError("请填写令牌用途 (调用方系统名称)")
    token = "vip_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name[:120], token_sha256=_digest(token), created_by_id=actor_id, created_at=now)
    session.add(row)
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="api_token.issue", entity=row, name=row.name)
    return row, token


def revoke_token(session: Session, row: ApiToken, *, actor_id: int, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
        record_audit(session, at=now, actor_id=actor_id, action="api_token.revoke", entity=row, name=row.name)


def check_token(session: Session, token: str, now: datetime) -> ApiToken | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == _digest(token))).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now
    return row
