"""Administrator: users, the levels' rules, the eligibility routes per level, API tokens, the audit log."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from exam import clock
from exam.extensions import db
from exam.models import ApiToken, AuditEvent, EligibilityOverride, Level, Role, User
from exam.services.api_tokens import issue_token, revoke_token
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level, routes_by_level, save_level_routes, set_override
from exam.services.eligibility_rules import STANDARD_TRAINING_HOURS, EligibilityRulesError, rules_to_json
from exam.web.access import guard
from exam.web.inputs import small_int

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp, Role.ADMIN)


@bp.route("/")
def index():  # noqa: ANN201
    users = db.session.scalars(select(User).order_by(User.username)).all()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)).all()
    actors = {u.id: u.full_name for u in users}
    return render_template("admin/index.html", users=users, levels=levels, events=events, actors=actors)


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


# --- 申报条件: the routes per level --------------------------------------------------------

#: blank rows offered under each level's routes for adding one
NEW_ROWS = 2
_ROW_FIELD = re.compile(r"^(name|cert|cont|cum|training|hours|probation|remove)_(\d{1,3})$")


def _number(raw: str) -> Any:
    """Form text → int or float; text that is no number is passed on as is for the rules to refuse by name."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    return int(value) if value.is_integer() else value


def _routes_from_form(form: MultiDict) -> list[dict[str, Any]]:
    """The rows of one level's table as route dicts; rows marked 删除 and untouched blank rows are left out."""
    rows = sorted({int(m.group(2)) for key in form if (m := _ROW_FIELD.match(key))})
    routes: list[dict[str, Any]] = []
    for i in rows:
        name = form.get(f"name_{i}", "").strip()
        cert = form.get(f"cert_{i}", "").strip() or None
        cont, cum = form.get(f"cont_{i}", "").strip(), form.get(f"cum_{i}", "").strip()
        training, probation = bool(form.get(f"training_{i}")), bool(form.get(f"probation_{i}"))
        hours = form.get(f"hours_{i}", "").strip()
        if form.get(f"remove_{i}") or not (name or cert or cont or cum or training or probation):
            continue
        route: dict[str, Any] = {
            "name": name, "requires_certificate": cert,
            "continuous_years": _number(cont) if cont else None, "cumulative_years": _number(cum) if cum else None,
            "requires_training": training, "probation": probation,
        }
        if training and hours:  # left blank: the level's 标准学时
            route["training_hours"] = _number(hours)
        routes.append(route)
    return routes


@bp.route("/eligibility/rules", methods=["GET", "POST"])
def eligibility_rules():  # noqa: ANN201
    """Edit each level's 申报途径 (certificate, years, training hours, probation), or restore the
    standard's defaults; checked as a whole before anything is saved, audited with before and after."""
    form = FlaskForm()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    error, edited = None, None  # the level whose rows failed, with the rows as the administrator sent them
    if request.method == "POST" and form.validate_on_submit():
        level = next((lv for lv in levels if lv.code == request.form.get("level")), None)
        action = request.form.get("action")
        if level is None or action not in ("save", "defaults"):
            flash("请选择等级和操作。", "error")
        else:
            routes = _routes_from_form(request.form) if action == "save" else None
            try:
                save_level_routes(db.session, level, routes, actor_id=current_user.id, now=clock.now())
            except EligibilityRulesError as exc:  # raised before anything changed
                error, edited = str(exc), (level.code, routes)  # shown in that level's section
            else:
                db.session.commit()
                done = "已恢复标准默认的申报条件" if routes is None else "已保存申报条件"
                flash(f"{done}: {level.name}。", "info")
                return redirect(url_for(".eligibility_rules") + f"#level-{level.code}")
    doc = rules_to_json(routes_by_level(list(levels)))["levels"]
    if edited is not None and edited[1] is not None:
        doc[edited[0]] = edited[1]
    lower = {lv.code: [(o.code, o.name) for o in levels if o.rank > lv.rank] for lv in levels}
    return render_template("admin/eligibility_rules.html", form=form, levels=levels, routes=doc, lower=lower,
                           error=error, error_level=edited[0] if edited else None, new_rows=NEW_ROWS,
                           standard_hours=STANDARD_TRAINING_HOURS)


# --- API tokens for other HR systems ------------------------------------------------------


def _tokens() -> list[Any]:
    return list(db.session.execute(select(ApiToken, User).outerjoin(User, ApiToken.created_by_id == User.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all())


@bp.route("/api-tokens", methods=["GET", "POST"])
def api_tokens():  # noqa: ANN201
    """The tokens issued, and a new one: its text is in this response only (never flashed, never stored)."""
    form = FlaskForm()
    issued = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            row, token = issue_token(db.session, request.form.get("name", ""), actor_id=current_user.id,
                                     now=clock.now())
        except ValueError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            issued = (row, token)
    response = make_response(render_template("admin/api_tokens.html", form=form, tokens=_tokens(), issued=issued))
    if issued:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api-tokens/revoke", methods=["POST"])
def revoke_api_token():  # noqa: ANN201
    form = FlaskForm()
    if form.validate_on_submit():
        token_id = request.form.get("token_id", "")
        row = db.session.get(ApiToken, n) if (n := small_int(token_id)) is not None else None
        if row is None:
            flash("找不到该令牌。", "error")
        elif row.revoked_at is not None:
            flash(f"令牌 #{row.id} ({row.name}) 已经吊销。", "info")
        else:
            revoke_token(db.session, row, actor_id=current_user.id, now=clock.now())
            db.session.commit()
            flash(f"已吊销令牌 #{row.id} ({row.name}), 使用它的请求将被拒绝。", "info")
    return redirect(url_for(".api_tokens"))
