"""JSON for other HR systems, reached with an API token: certificates changed since a time, one by number."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select

from exam import clock
from exam.extensions import csrf, db
from exam.models import Certificate
from exam.services.certificates import CHINA_OFFSET, certificate_record, china_date
from exam.services.numbering import is_valid_number
from exam.web.access import token_guard
from exam.web.common import certificate_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
token_guard(bp)
csrf.exempt(bp)
PAGE = 500


def _since(raw: str) -> datetime | None:
    """ISO time; with an offset it is converted, without one it is China Standard Time (stored times are UTC)."""
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if not 1900 <= moment.year <= 9000:  # converting an offset at the calendar's ends overflows
        raise ValueError(raw)
    if moment.tzinfo is None:
        return moment - CHINA_OFFSET
    return moment.astimezone(UTC).replace(tzinfo=None)


@bp.route("/certificates")
def certificates():  # noqa: ANN201
    """``?changed_since=2026-11-01T00:00:00+08:00`` (issued or revoked since), oldest change first, 500 a
    page; ``next`` is the ``changed_since`` for the following page."""
    raw = request.args.get("changed_since", "1970-01-01T00:00:00+00:00")
    try:
        since = _since(raw)
    except ValueError:
        return jsonify(error=f"changed_since 不是 ISO 8601 时间: {raw!r}"), 400
    changed = func.coalesce(Certificate.updated_at, Certificate.created_at)
    rows = db.session.scalars(select(Certificate).where(changed > since).order_by(changed, Certificate.id)
                              .limit(PAGE)).all()
    today, settings = china_date(clock.now()), certificate_settings()
    items = [certificate_record(c, today, settings) for c in rows]
    nxt = (rows[-1].updated_at or rows[-1].created_at).replace(tzinfo=UTC).isoformat() if len(rows) == PAGE else None
    return jsonify(certificates=items, next=nxt)


@bp.route("/certificates/<number>")
def certificate(number: str):  # noqa: ANN201
    number = number.strip().upper()
    if not is_valid_number(number):
        return jsonify(error=f"{number} 不是有效的证书编号 (格式或校验位不符)", valid=False), 404
    cert = db.session.scalars(select(Certificate).where(Certificate.number == number)).one_or_none()
    if cert is None:
        return jsonify(error=f"证书 {number} 不存在", valid=False), 404
    record = certificate_record(cert, china_date(clock.now()), certificate_settings())
    return jsonify(record | {"valid": record["status"] == "valid"})
