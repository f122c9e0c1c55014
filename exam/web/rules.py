"""A level's tables (比重表, paper structure, difficulty mix, exam settings) and its feasibility report."""
from __future__ import annotations

import math
import random
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from exam import clock
from exam.extensions import db
from exam.models import Level, QuestionVersion, Role
from exam.services.assembly import DIFFICULTY_ORDER, TYPE_ORDER, AssemblyError
from exam.services.paper_pools import active_pool, build_pool
from exam.services.papers import draw_paper, level_by_code, level_feasibility
from exam.services.pools import DEFAULT_POOL_SIZE
from exam.services.qtypes import qtype
from exam.services.rules import RulesEdit, apply_rules, check_rules, rules_of
from exam.web.access import guard
from question_bank import AREA_CODES

bp = Blueprint("rules", __name__, url_prefix="/rules")
guard(bp, Role.TRAINER, Role.ADMIN)


@bp.route("/")
def index():  # noqa: ANN201
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    reports = {lv.code: level_feasibility(db.session, lv) for lv in levels}
    return render_template("rules/index.html", levels=levels, reports=reports)


@bp.route("/<code>", methods=["GET", "POST"])
def level(code: str):  # noqa: ANN201
    """Edit the tables; a refused edit keeps what was typed and says why; a saved one that the bank
    cannot satisfy is kept, with a warning naming the cells to fill."""
    lv = level_by_code(db.session, code.upper()) or abort(404)
    form = FlaskForm()
    edit, problems = rules_of(lv), []
    if form.validate_on_submit():
        edit, problems = _edit_from_form(edit)
        problems += check_rules(edit) if not problems else []
        if not problems:
            changed = apply_rules(db.session, lv, edit, actor_id=current_user.id, now=clock.now())
            db.session.commit()
            report = level_feasibility(db.session, lv)
            if not changed:
                flash("没有改动。", "info")
            elif report.feasible:
                flash(f"{lv.name} 的规则已保存。", "info")
            else:
                cells = "; ".join(f"{c.area} {c.type.label} {c.difficulty.label} 差 {c.need - c.have} 题"
                                  for c in report.short[:8])
                flash(f"已保存, 但当前题库无法按此规则组卷, 安排考试前需补充: {cells or report.problem}", "error")
            return redirect(url_for(".level", code=lv.code))
    report = level_feasibility(db.session, lv, edit.level_rules(lv.code)) if not problems else None
    pool = active_pool(db.session, lv)
    return render_template("rules/level.html", lv=lv, edit=edit, problems=problems, form=form, report=report,
                           areas=AREA_CODES, types=TYPE_ORDER, difficulties=DIFFICULTY_ORDER, pool=pool,
                           pool_size=DEFAULT_POOL_SIZE)


def _edit_from_form(current: RulesEdit) -> tuple[RulesEdit, list[str]]:
    problems: list[str] = []

    def number(name: str, label: str, default: int) -> int:
        raw = request.form.get(name, "").strip()
        if raw == "":
            return 0 if name.startswith(("weight_", "count_", "diff_")) else default
        try:
            return int(raw)
        except ValueError:
            problems.append(f"{label}: '{raw}' 不是整数")
            return default

    def decimal(name: str, label: str, default: float) -> float:
        raw = request.form.get(name, "").strip()
        if raw == "":
            return default
        try:
            value = float(raw) if raw.isascii() and len(raw) <= 12 else None
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            problems.append(f"{label}: '{raw[:20]}' 不是数字")
            return default
        return value

    edit = RulesEdit(
        weights={a: number(f"weight_{a}", f"领域 {a} 比重", current.weights.get(a, 0)) for a in AREA_CODES},
        sections={t: (number(f"count_{t.value}", f"{t.label}题量", 0),
                      number(f"points_{t.value}", f"{t.label}分值", current.sections[t][1])) for t in TYPE_ORDER},
        difficulty_mix={d: number(f"diff_{d.value}", f"难度 {d.label} 比例", 0) for d in DIFFICULTY_ORDER},
        tolerance=number("tolerance", "难度允许偏差", current.tolerance),
        duration_minutes=number("duration_minutes", "考试时长", current.duration_minutes),
        pass_mark=number("pass_mark", "合格线", current.pass_mark),
        multiple_partial_credit=request.form.get("multiple_partial_credit") == "1",
        certificate_validity_years=number("certificate_validity_years", "证书有效期", current.certificate_validity_years),
        double_marking=request.form.get("double_marking") == "1",
        marking_tolerance=decimal("marking_tolerance", "双评允许分差", current.marking_tolerance),
    )
    return edit, problems


@bp.route("/<code>/pool", methods=["POST"])
def build_level_pool(code: str):  # noqa: ANN201
    """Assemble and store the level's parallel papers now (before a sitting), replacing the old pool."""
    lv = level_by_code(db.session, code.upper()) or abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    size = request.form.get("size", type=int) or DEFAULT_POOL_SIZE
    if not 1 <= size <= 500:
        flash("试卷份数应在 1–500 之间。", "error")
        return redirect(url_for(".level", code=lv.code))
    try:
        pool = build_pool(db.session, lv, size=size, seed=secrets.randbits(31), now=clock.now(),
                          actor_id=current_user.id)
    except AssemblyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".level", code=lv.code))
    db.session.commit()
    flash(f"已生成 {pool.size} 份平行试卷; 学员开考时直接领取, 不再现场组卷。", "info")
    return redirect(url_for(".level", code=lv.code) + "#pool")


@bp.route("/<code>/preview")
def preview(code: str):  # noqa: ANN201
    """A paper drawn now (nothing stored) as the trainee would see it, or with keys and explanations."""
    lv = level_by_code(db.session, code.upper()) or abort(404)
    seed = request.args.get("seed", type=int)
    seed = secrets.randbelow(10**6) if seed is None else seed
    with_keys = request.args.get("keys") == "1"
    try:
        paper = draw_paper(db.session, lv, random.Random(seed))
    except AssemblyError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".level", code=lv.code))
    versions = {v.id: v for v in db.session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_([e.version_id for e in paper.items])))}
    items = []
    for pos, e in enumerate(paper.items, start=1):
        v = versions[e.version_id]
        order = list(range(len(v.options)))
        view = qtype(v.type).client_view(v.stem, v.options, order)
        items.append({"position": pos, "entry": e, "view": view, "version": v,
                      "key": qtype(v.type).key_text(v.answer, v.options) if with_keys else None})
    return render_template("rules/preview.html", lv=lv, paper=paper, items=items, seed=seed, with_keys=with_keys)
