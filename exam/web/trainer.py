"""The trainer's pages: overview and marking of open questions (the bank has its own blueprint)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DecimalField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, StopValidation

from exam import clock
from exam.extensions import db
from exam.models import Answer, IllegalTransition, Question, Role
from exam.services.grading import mark_answer, pending_marking
from exam.services.qtypes import qtype
from exam.web.access import guard
from exam.web.common import certificate_settings

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
guard(bp, Role.TRAINER, Role.ADMIN)

PAGE_SIZE = 50


def _finite(form: FlaskForm, field: DecimalField) -> None:
    """"NaN", "sNaN" and "Infinity" are numbers to Decimal, not marks."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("请填写一个数字")


class MarkForm(FlaskForm):
    points = DecimalField("得分", places=1, validators=[InputRequired("请填写得分"), _finite,
                                                     NumberRange(min=0, max=1000, message="得分应在 0 到 1000 之间")])
    comment = TextAreaField("评语", validators=[Length(max=2000)])


@bp.route("/")
def index():  # noqa: ANN201
    counts = dict(db.session.execute(
        select(Question.status, func.count()).group_by(Question.status)).all())
    return render_template("trainer/index.html", counts=counts, pending=len(pending_marking(db.session)))


@bp.route("/marking")
def marking():  # noqa: ANN201
    """Every short-answer and case-study item that waits for a mark."""
    return render_template("trainer/marking.html", answers=pending_marking(db.session))


@bp.route("/marking/<int:answer_id>", methods=["GET", "POST"])
def mark(answer_id: int):  # noqa: ANN201
    answer = db.session.get(Answer, answer_id) or abort(404)
    if not answer.item.type.is_manual:
        abort(404)
    form = MarkForm()
    if form.validate_on_submit():
        try:
            mark_answer(db.session, answer, float(form.points.data), form.comment.data or "", current_user,
                        clock.now(), certificate_settings())
            db.session.commit()
        except IllegalTransition as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".mark", answer_id=answer.id))
        flash(f"已评分: 第 {answer.item.position} 题 {float(form.points.data):g} 分。", "info")
        return redirect(url_for(".marking"))
    version = answer.item.question_version
    return render_template("trainer/mark.html", answer=answer, form=form, version=version,
                           key_text=qtype(version.type).key_text(version.answer, version.options))
