"""Administrator: users, the levels' rules (read-only here until the rules editor lands), the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select

from exam import clock
from exam.extensions import db
from exam.models import AuditEvent, EligibilityOverride, Level, Role, User
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level, set_override
from exam.web.access import guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp, Role.ADMIN)


@bp.route("/")
def index():  # noqa: ANN201
    users = db.session.scalars(select(User).order_by(User.username)).all()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)).all()
    return render_template("admin/index.html", users=users, levels=levels, events=events)


@bp.route("/eligibility", methods=["GET", "POST"])
def eligibility():  # noqa: ANN201
    """Look up one trainee's eligibility per level with every route's reasons; override one level
    with a written reason (audited), or remove an override."""
    form = FlaskForm()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    who = (request.values.get("who") or "").strip()
    trainee = None
    if who:
        trainee = db.session.scalars(select(User).where(or_(User.username == who, User.employee_no == who))).first()
        if trainee is None:
            flash(f"找不到用户名或员工编号为 {who} 的学员。", "error")
    if trainee is not None and request.method == "POST" and form.validate_on_submit():
        level = next((lv for lv in levels if lv.code == request.form.get("level")), None)
        choice = request.form.get("decision")
        eligible = {"allow": True, "deny": False, "clear": None}.get(choice or "", "bad")
        if level is None or eligible == "bad":
            flash("请选择等级和决定。", "error")
        else:
            try:
                set_override(db.session, trainee, level, eligible=eligible, reason=request.form.get("reason", ""),
                             actor_id=current_user.id, now=clock.now())
                db.session.commit()
                flash(f"已记录对 {trainee.full_name} {level.name} 的决定。", "info")
                return redirect(url_for(".eligibility", who=who))
            except ValueError as exc:
                flash(str(exc), "error")
    decisions = eligibility_by_level(db.session, trainee, list(levels), china_date(clock.now())) if trainee else {}
    overrides = db.session.scalars(select(EligibilityOverride).order_by(EligibilityOverride.decided_at.desc())
                                   .limit(100)).all()
    return render_template("admin/eligibility.html", form=form, who=who, trainee=trainee, levels=levels,
                           decisions=decisions, overrides=overrides)
