"""The trainee's learning pages: 专项练习 (with the key and explanation after each answer), 错题本, 我的进度 and
the review of a finished mock exam. Keys are shown here on purpose, so every page first asks whether the level
is open to it (no running certification attempt, no open sitting window there) and hides questions of a
running certification paper."""
from __future__ import annotations

import secrets
from random import Random

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from exam import clock
from exam.extensions import db
from exam.models import Attempt, AttemptKind, AttemptState, KnowledgeArea, Level, PaperItem, PracticeSet, Role
from exam.services.attempts import on_running_certification
from exam.services.certificates import china_date
from exam.services.grading import area_results
from exam.services.practice import (
    PRACTICE_TYPES,
    SET_SIZES,
    PracticeError,
    answer_item,
    check_level_open,
    draw_practice_set,
    form_response,
    item_view,
    key_text,
    next_position,
    practice_refusals,
    response_text,
    visible_wrong_items,
    wrong_book_set,
)
from exam.services.progress import WEEKS, area_progress, target_level, week_starts
from exam.web.access import guard
from exam.web.charts import sparkline
from exam.web.inputs import small_int
from question_bank import Difficulty, QuestionType

bp = Blueprint("learning", __name__, url_prefix="/trainee/learn")
guard(bp, Role.TRAINEE)


#: the practice form's choices, kept when a choice is refused
PRACTICE_FIELDS = ("level", "area", "type", "difficulty", "size")


def _levels() -> list[Level]:
    return list(db.session.scalars(select(Level).order_by(Level.rank.desc())))


def _areas() -> list[tuple[str, str]]:
    return list(db.session.execute(select(KnowledgeArea.code, KnowledgeArea.name)
                                   .order_by(KnowledgeArea.sort_order, KnowledgeArea.code)).all())


@bp.route("/practice", methods=["GET", "POST"])
def practice():  # noqa: ANN201
    """Choose level, knowledge area, type, difficulty and how many items; a new set starts at its first item."""
    levels, now = _levels(), clock.now()
    by_code = {lv.code: lv for lv in levels}
    if request.method == "POST":
        level = by_code.get(request.form.get("level", ""))
        area = request.form.get("area", "")
        qt, difficulty = request.form.get("type", ""), request.form.get("difficulty", "")
        size = small_int(request.form.get("size", ""), 100)
        problems = []
        if level is None:
            problems.append("请选择等级")
        if area and area not in dict(_areas()):
            problems.append("请选择知识领域")
        if qt and qt not in {t.value for t in PRACTICE_TYPES}:
            problems.append("请选择题型")
        if difficulty and difficulty not in {d.value for d in Difficulty}:
            problems.append("请选择难度")
        if size not in SET_SIZES:
            problems.append("请选择每组题数")
        if not problems:
            try:
                pset = draw_practice_set(db.session, current_user, level, now, Random(secrets.randbits(64)),
                                         area=area or None, qtype_=QuestionType(qt) if qt else None,
                                         difficulty=Difficulty(difficulty) if difficulty else None, size=size)
                db.session.commit()
                return redirect(url_for(".practice_set", set_id=pset.id))
            except PracticeError as exc:
                db.session.rollback()
                problems.append(str(exc))
        for p in problems:
            flash(p, "error")
        return redirect(url_for(".practice", **{k: request.form.get(k, "")[:20] for k in PRACTICE_FIELDS}))
    closed = practice_refusals(db.session, current_user, levels, now)
    target = target_level(db.session, current_user, china_date(now), closed)
    chosen = {"level": request.args.get("level") or (target.code if target else ""),
              "area": request.args.get("area", ""), "type": request.args.get("type", ""),
              "difficulty": request.args.get("difficulty", ""), "size": request.args.get("size", "5")}
    recent = db.session.scalars(select(PracticeSet).where(PracticeSet.user_id == current_user.id)
                                .order_by(PracticeSet.created_at.desc(), PracticeSet.id.desc()).limit(10)).all()
    return render_template("learning/practice.html", levels=levels, areas=_areas(), types=PRACTICE_TYPES,
                           difficulties=list(Difficulty), sizes=SET_SIZES, chosen=chosen, recent=recent,
                           closed=closed)


def _own_set(set_id: int) -> PracticeSet:
    pset = db.session.get(PracticeSet, set_id)
    if pset is None or pset.user_id != current_user.id:
        abort(404)
    return pset


@bp.route("/sets/<int:set_id>")
def practice_set(set_id: int):  # noqa: ANN201
    """One item of the set (``?item=n``; by default the first not yet answered): the question, or once answered
    the trainee's answer beside the key and the explanation; when every item is answered, the set's summary."""
    pset, now = _own_set(set_id), clock.now()
    position = small_int(request.args.get("item", ""), 1000) or next_position(pset)
    try:
        if position is None:
            check_level_open(db.session, current_user, pset.level, now)
            return render_template("learning/summary.html", pset=pset)
        view = item_view(db.session, current_user, pset, position, now)
    except PracticeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".practice"))
    return render_template("learning/item.html", pset=pset, item=view, next_position=next_position(pset))


@bp.route("/sets/<int:set_id>/answer", methods=["POST"])
def answer(set_id: int):  # noqa: ANN201
    """Grade one answer at once (Post/Redirect/Get to the item, which then shows the key and explanation)."""
    pset, now = _own_set(set_id), clock.now()
    position = small_int(request.form.get("position", ""), 1000)
    if position is None or not 1 <= position <= len(pset.items):
        abort(400)
    try:
        view = item_view(db.session, current_user, pset, position, now)
        answer_item(db.session, current_user, pset, position,
                    form_response(view.type, request.form.getlist("answer")), now)
        db.session.commit()
    except IntegrityError:  # the same item answered at the same moment in another tab: the first answer stands
        db.session.rollback()
    except PracticeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        if "正式考试" in str(exc):
            return redirect(url_for(".practice"))
    return redirect(url_for(".practice_set", set_id=pset.id, item=position))


@bp.route("/wrong")
def wrong_book():  # noqa: ANN201
    """错题本: every item answered wrong in practice or a mock (the trainee's answer, the key, the explanation)
    until it is answered right twice in a row; re-practise a level's items as a set."""
    levels, now = _levels(), clock.now()
    items, closed, held = visible_wrong_items(db.session, current_user, levels, now)
    by_level = {lv.id: [w for w in items if w.level_id == lv.id] for lv in levels}
    return render_template("learning/wrong_book.html", levels=levels, by_level=by_level, closed=closed, held=held,
                           total=len(items), sizes=SET_SIZES)


@bp.route("/wrong/practice", methods=["POST"])
def wrong_book_practice():  # noqa: ANN201
    level = next((lv for lv in _levels() if lv.code == request.form.get("level")), None)
    size = small_int(request.form.get("size", ""), 100) or 10
    if level is None:
        abort(400)
    try:
        pset = wrong_book_set(db.session, current_user, level, clock.now(), Random(secrets.randbits(64)),
                              size=size if size in SET_SIZES else 10)
        db.session.commit()
    except PracticeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".wrong_book"))
    return redirect(url_for(".practice_set", set_id=pset.id))


@bp.route("/progress")
def progress():  # noqa: ANN201
    """Per-area results of the last weeks (practice and finished exams), weakest first, with a link to practise."""
    now = clock.now()
    areas = area_progress(db.session, current_user, now)
    target = target_level(db.session, current_user, china_date(now),
                          practice_refusals(db.session, current_user, _levels(), now))
    starts = week_starts(china_date(now))
    charts = {a.code: sparkline(f"area-{a.code}", f"{a.code} {a.name} 近 {WEEKS} 周每周得分率", a.weekly_rates,
                                threshold=0.6) for a in areas if a.rate is not None}
    return render_template("learning/progress.html", areas=areas, charts=charts, target=target, weeks=WEEKS,
                           first_week=starts[0])


@bp.route("/mocks/<int:attempt_id>")
def mock_review(attempt_id: int):  # noqa: ANN201
    """A finished mock exam item by item: the trainee's answer, the key and the explanation. Never for a
    certification attempt; not while the level's certification attempt runs or its sitting window is open."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or attempt.kind is not AttemptKind.MOCK:
        abort(404)
    if attempt.state is AttemptState.IN_PROGRESS:
        return redirect(url_for("trainee.attempt", attempt_id=attempt.id))
    try:
        check_level_open(db.session, current_user, attempt.level, clock.now(), activity="模拟考试解析")
    except PracticeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("trainee.result", attempt_id=attempt.id))
    blocked = on_running_certification(db.session, current_user)
    items = []
    for item in db.session.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt.id)
                                   .order_by(PaperItem.position)
                                   .options(selectinload(PaperItem.question_version), selectinload(PaperItem.answer))):
        version, row = item.question_version, item.answer
        items.append({"item": item, "version": version, "hidden": version.question_id in blocked,
                      "given": response_text(version, row.response if row else None), "key": key_text(version),
                      "score": row.score if row else None, "comment": row.marker_comment if row else ""})
    return render_template("learning/review.html", attempt=attempt, items=items,
                           areas=area_results(db.session, attempt))
