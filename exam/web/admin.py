"""Administrator: users, the levels' rules (read-only here until the rules editor lands), the audit log."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from exam.extensions import db
from exam.models import AuditEvent, Level, Role, User
from exam.web.access import guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp, Role.ADMIN)


@bp.route("/")
def index():  # noqa: ANN201
    users = db.session.scalars(select(User).order_by(User.username)).all()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)).all()
    return render_template("admin/index.html", users=users, levels=levels, events=events)
