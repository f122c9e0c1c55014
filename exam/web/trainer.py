"""The trainer's pages: overview and blind marking of open questions (the bank has its own blueprint).

Nothing a marker sees here names a candidate: answers are shown under their attempt's code, never
with a name, username, employee number, organisation or sitting.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from exam import clock
from exam.extensions import db
from exam.models import (
    Answer,
    Attempt,
    AttemptKind,
    AttemptState,
    Certificate,
    IllegalTransition,
    Question,
    Role,
    Sitting,
)
from exam.services.marking import (
    MarkingPolicy,
    attempt_code,
    give_mark,
    marker_tasks,
    marking_view,
    revisable_marks,
    sitting_progress,
    sittings_with_marking,
)
from exam.services.qtypes import qtype
from exam.web.access import guard
from exam.web.common import certificate_settings

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
guard(bp, Role.TRAINER, Role.ADMIN)

#: tasks listed on the marking page (the rest follow as these are marked)
TASKS_SHOWN = 200
COMMENT_MAX = 2000


def marking_policy() -> MarkingPolicy:
    cfg = current_app.config
    return MarkingPolicy(exclude_own_organization=bool(cfg.get("MARKING_EXCLUDE_OWN_ORGANIZATION")),
                         arbiters="admin" if cfg.get("MARKING_ARBITERS") == "admin" else "any")


@bp.app_template_filter("attempt_code")
def _attempt_code(attempt_id: int) -> str:
    return attempt_code(attempt_id, current_app.config["SECRET_KEY"])


@bp.route("/")
def index():  # noqa: ANN201
    counts = dict(db.session.execute(
        select(Question.status, func.count()).group_by(Question.status)).all())
    pending = len(marker_tasks(db.session, current_user, marking_policy()))
    return render_template("trainer/index.html", counts=counts, pending=pending)


@bp.route("/marking")
def marking():  # noqa: ANN201
    """The answers this marker may mark now, their own marks they may still change, and the sittings'
    marking progress."""
    tasks = marker_tasks(db.session, current_user, marking_policy())
    return render_template("trainer/marking.html", tasks=tasks[:TASKS_SHOWN], total=len(tasks),
                           revisable=revisable_marks(db.session, current_user),
                           sittings=sittings_with_marking(db.session))


def _read_points(raw: str | None, maximum: float) -> tuple[float | None, str]:
    """A typed mark: an ASCII number, a multiple of 0.5, 0 … ``maximum``; else the reason."""
    raw = (raw or "").strip()
    if not raw:
        return None, "请填写得分"
    try:
        value = Decimal(raw) if raw.isascii() and len(raw) <= 20 else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return None, "请填写一个数字"
    if not 0 <= value <= Decimal(str(maximum)):
        return None, f"得分应在 0 到 {maximum:g} 分之间"
    if (value * 2) != (value * 2).to_integral_value():
        return None, "得分应为 0.5 分的整数倍"
    return float(value), ""


@bp.route("/marking/<int:answer_id>", methods=["GET", "POST"])
def mark(answer_id: int):  # noqa: ANN201
    """One answer beside the item's marking scheme; the marker awards each point (or one total)."""
    answer = db.session.get(Answer, answer_id, with_for_update=request.method == "POST") or abort(404)
    if not answer.item.type.is_manual:
        abort(404)
    policy = marking_policy()
    view = marking_view(db.session, answer, current_user, policy)
    if view.round is None:
        flash(view.refusal, "error")
        return redirect(url_for(".marking"))
    item = answer.item
    form = FlaskForm()
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if view.own is not None:
        values = {f"point-{i}": f"{v:g}" for i, v in enumerate(view.own.point_scores, start=1)}
        values |= {"points": f"{view.own.points:g}", "comment": view.own.comment}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        awards: list[float] | None = None
        total: float | None = None
        if view.scheme is not None:
            awards = []
            for i, point in enumerate(view.scheme.points, start=1):
                value, problem = _read_points(request.form.get(f"point-{i}"), point.points)
                if problem:
                    errors[f"point-{i}"] = problem
                awards.append(value or 0.0)
        else:
            total, problem = _read_points(request.form.get("points"), item.points)
            if problem:
                errors["points"] = problem
        comment = request.form.get("comment", "")
        if len(comment) > COMMENT_MAX:
            errors["comment"] = f"评语不能超过 {COMMENT_MAX} 字"
        if not errors:
            try:
                given = give_mark(db.session, answer, current_user, awards=awards, total=total, comment=comment,
                                  now=clock.now(), settings=certificate_settings(), policy=policy)
                db.session.commit()
            except IllegalTransition as exc:
                db.session.rollback()
                flash(str(exc), "error")
                return redirect(url_for(".mark", answer_id=answer_id))
            except IntegrityError:
                db.session.rollback()
                flash("此题刚由另一位阅卷人评过, 请重新打开。", "error")
                return redirect(url_for(".marking"))
            flash(f"已{'修改' if view.own else '保存'}{view.label}: 第 {item.position} 题 {given.points:g} 分。"
                  + _attempt_outcome(answer), "info")
            return redirect(url_for(".marking"))
    version = item.question_version
    return render_template("trainer/mark.html", answer=answer, item=item, view=view, form=form, version=version,
                           errors=errors, values=values,
                           key_text=qtype(version.type).key_text(version.answer, version.options))


def _sitting(sitting_id: int) -> Sitting:
    return db.session.get(Sitting, sitting_id) or abort(404)


@bp.route("/marking/sittings/<int:sitting_id>")
def progress(sitting_id: int):  # noqa: ANN201
    """How far a sitting's marking has come, per question and per marker."""
    return render_template("trainer/progress.html", progress=sitting_progress(db.session, _sitting(sitting_id)))


@bp.route("/marking/sittings/<int:sitting_id>.json")
def progress_json(sitting_id: int):  # noqa: ANN201
    """The same figures for another system (counts only)."""
    return jsonify(sitting_progress(db.session, _sitting(sitting_id)).as_json())


def _attempt_outcome(answer: Answer) -> str:
    """What this mark did to the attempt: still waiting for other marks, or final (with its certificate).
    Blind: the attempt is named by its code only."""
    attempt = db.session.get(Attempt, answer.attempt_id, populate_existing=True)
    if attempt.state is not AttemptState.GRADED:
        return " 该试卷还有主观题待阅, 全部阅完后定分。"
    text = f" 该试卷已全部阅完, 成绩已确定: {attempt.score:g} 分, {'合格' if attempt.passed else '不合格'}"
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one_or_none()
    if cert is not None:
        text += f"; 已颁发证书 {cert.number}" + ("" if cert.is_rendered else " (证书生成中)")
    elif attempt.kind is AttemptKind.MOCK:
        text += " (模拟考试, 不发证书)"
    return text + "。"
