"""The trainer's pages: overview, marking of open questions, the bank (read-only for now)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DecimalField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from exam import clock
from exam.extensions import db
from exam.models import Answer, IllegalTransition, KnowledgeArea, Question, QuestionStatus, QuestionVersion, Role
from exam.services.grading import mark_answer, pending_marking
from exam.services.qtypes import qtype
from exam.web.access import guard
from exam.web.common import certificate_settings
from question_bank import Difficulty, QuestionType

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
guard(bp, Role.TRAINER, Role.ADMIN)

PAGE_SIZE = 50


class MarkForm(FlaskForm):
    points = DecimalField("得分", places=1, validators=[InputRequired("请填写得分"), NumberRange(min=0)])
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


@bp.route("/questions")
def questions():  # noqa: ANN201
    """The bank, filtered by area, type, difficulty, status and stem text, 50 per page."""
    q = select(Question, QuestionVersion).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
    f = request.args
    if f.get("area"):
        q = q.where(QuestionVersion.area_code == f["area"])
    if f.get("type") in {t.value for t in QuestionType}:
        q = q.where(QuestionVersion.type == QuestionType(f["type"]))
    if f.get("difficulty") in {d.value for d in Difficulty}:
        q = q.where(QuestionVersion.difficulty == Difficulty(f["difficulty"]))
    if f.get("status") in {s.value for s in QuestionStatus}:
        q = q.where(Question.status == QuestionStatus(f["status"]))
    if f.get("q"):
        q = q.where(QuestionVersion.stem.contains(f["q"].strip()))
    total = db.session.scalar(select(func.count()).select_from(q.subquery()))
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.execute(q.order_by(Question.key).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    areas = db.session.scalars(select(KnowledgeArea).order_by(KnowledgeArea.sort_order)).all()
    return render_template("trainer/questions.html", rows=rows, total=total, page=page, page_size=PAGE_SIZE,
                           areas=areas, types=list(QuestionType), difficulties=list(Difficulty),
                           statuses=list(QuestionStatus), qtype=qtype)
