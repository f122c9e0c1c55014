"""Trainers' item analysis (试题分析): a sitting's figures and plots, a pool paper's or a date range's, the .xlsx,
clearing a question's flags, and a trainee's results per knowledge area across attempts."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, func, select

from exam import clock
from exam.extensions import db, reads_first
from exam.models import (
    Attempt,
    AttemptState,
    Level,
    PoolPaper,
    Question,
    QuestionVersion,
    Role,
    Sitting,
    SittingAnalysis,
    User,
)
from exam.services.analysis_export import write_analysis_xlsx
from exam.services.certificates import CHINA_OFFSET
from exam.services.item_analysis import (
    FLAG_FILTERS,
    FLAG_LABELS,
    AnalysisSettings,
    Scope,
    analyse_scope,
    flag_names,
    flags_of,
)
from exam.services.sitting_analysis import (
    FlagError,
    clear_flags,
    question_flag,
    question_history,
    store_analysis,
    stored_report,
)
from exam.services.trainee_progress import find_trainees, trainee_progress
from exam.web import analysis_charts as charts
from exam.web.access import guard
from question_bank import QuestionType

bp = Blueprint("analysis", __name__, url_prefix="/trainer/analysis")
guard(bp, Role.TRAINER, Role.ADMIN)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def analysis_settings() -> AnalysisSettings:
    return AnalysisSettings.from_config(current_app.config)


@bp.route("/")
def index():  # noqa: ANN201
    """Sittings with their analysis state, the date-range form and the trainee search."""
    counts = (select(Attempt.sitting_id, func.count().label("n"),
                     func.sum(case((Attempt.state == AttemptState.GRADED, 1), else_=0)).label("graded"))
              .where(Attempt.sitting_id.is_not(None)).group_by(Attempt.sitting_id).subquery())
    rows = db.session.execute(
        select(Sitting, counts.c.n, counts.c.graded, SittingAnalysis.computed_at, SittingAnalysis.summary)
        .outerjoin(counts, counts.c.sitting_id == Sitting.id)
        .outerjoin(SittingAnalysis, SittingAnalysis.sitting_id == Sitting.id)
        .order_by(Sitting.starts_at.desc(), Sitting.id.desc()).limit(200)).all()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    return render_template("analysis/index.html", rows=rows, levels=levels, now=clock.now(), today=_today())


def _today() -> date:
    return (clock.now() + CHINA_OFFSET).date()


def _page(report: dict[str, Any], *, title: str, scope_note: str, sitting: Sitting | None = None,
          export_url: str | None = None, form: FlaskForm | None = None):  # noqa: ANN202
    """The analysis page for any scope: summary, plots, forms and items."""
    s = report["settings"]
    for item in report["items"]:
        item["flag_labels"] = [FLAG_LABELS[f] for f in item["flags"]]
    shown = request.args.get("flag", "")
    items = report["items"]
    if shown in FLAG_FILTERS:
        items = [i for i in items if flags_of(i["flags"]) & FLAG_FILTERS[shown][1]]
    plots = {
        "histogram": charts.histogram(report["histogram"]["counts"], report["histogram"]["edges"], report["pass_mark"]),
        "scatter": charts.scatter(report["items"], s["min_p"], s["max_p"], s["min_discrimination"],
                                  link=lambda i: url_for("bank.question", question_id=i["question_id"])),
    }
    option_plots = {i["version_id"]: charts.option_bars(i["options"], i["unanswered"]) for i in items if i["options"]}
    return render_template("analysis/report.html", report=report, items=items, plots=plots, option_plots=option_plots,
                           title=title, scope_note=scope_note, sitting=sitting, export_url=export_url,
                           form=form or FlaskForm(), flag_filters=FLAG_FILTERS, flag_labels=FLAG_LABELS, shown=shown,
                           flagged=sum(1 for i in report["items"] if i["flags"]))


def _sitting(sitting_id: int) -> Sitting:
    return db.session.get(Sitting, sitting_id) or abort(404)


def _stored(sitting: Sitting) -> SittingAnalysis | None:
    return db.session.scalars(select(SittingAnalysis).where(SittingAnalysis.sitting_id == sitting.id)).first()


@bp.route("/sittings/<int:sitting_id>")
def sitting(sitting_id: int):  # noqa: ANN201
    """The stored analysis of one sitting (computed when it closed and marking was done, or on demand)."""
    s = _sitting(sitting_id)
    row = _stored(s)
    states = dict(db.session.execute(select(Attempt.state, func.count()).where(Attempt.sitting_id == s.id)
                                     .group_by(Attempt.state)).all())
    if row is None:
        return render_template("analysis/pending.html", sitting=s, states=states, form=FlaskForm(), now=clock.now())
    return _page(stored_report(db.session, row), title=s.name, sitting=s,
                 scope_note=f"{s.level.name} · 开考窗口 {(s.starts_at + CHINA_OFFSET):%Y-%m-%d %H:%M} 起 · "
                            f"计算于 {(row.computed_at + CHINA_OFFSET):%Y-%m-%d %H:%M}"
                            + ("" if not _unfinished(states) else f" · 尚有 {_unfinished(states)} 份试卷未定分"),
                 export_url=url_for(".sitting_xlsx", sitting_id=s.id))


def _unfinished(states: dict) -> int:
    return sum(n for st, n in states.items() if st is not AttemptState.GRADED)


@bp.route("/sittings/<int:sitting_id>/recompute", methods=["POST"])
@reads_first
def recompute(sitting_id: int):  # noqa: ANN201
    """Compute the sitting's analysis now from its graded attempts (replacing the stored one); audited.

    The responses are read and the figures computed before the write lock is taken (SQLite), so a large
    sitting's seconds of reading never hold up other writers."""
    s = _sitting(sitting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    analysis = analyse_scope(db.session, Scope(sitting_id=s.id), analysis_settings())
    db.lock_for_write()
    row = store_analysis(db.session, _sitting(sitting_id), analysis, clock.now(), current_user.id)
    db.session.commit()
    flash(f"已重新计算: {row.attempts} 份已定分试卷。" if row.attempts else "本场考试还没有已定分的试卷, 暂无统计。",
          "info")
    return redirect(url_for(".sitting", sitting_id=s.id))


@bp.route("/sittings/<int:sitting_id>/analysis.xlsx")
def sitting_xlsx(sitting_id: int):  # noqa: ANN201
    s = _sitting(sitting_id)
    row = _stored(s) or abort(404)
    return _xlsx(stored_report(db.session, row), s.name, f"试题分析-{s.id}")


def _xlsx(report: dict[str, Any], title: str, name: str):  # noqa: ANN202
    out = BytesIO()
    write_analysis_xlsx(report, title, out)
    out.seek(0)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=f"{name}.xlsx")


@bp.route("/pool-papers/<int:pool_paper_id>")
def pool_paper(pool_paper_id: int):  # noqa: ANN201
    """Every graded certification attempt that was given one pool paper, whatever the sitting (computed now)."""
    paper = db.session.get(PoolPaper, pool_paper_id) or abort(404)
    report = analyse_scope(db.session, Scope(pool_paper_id=paper.id), analysis_settings()).to_json()
    return _page(report, title=f"平行试卷 #{paper.pool_id} 第 {paper.position} 套",
                 scope_note=f"{paper.pool.level.name} · 所有考场中领取这套试卷的已定分正式考试 (即时计算)",
                 export_url=url_for(".pool_paper_xlsx", pool_paper_id=paper.id))


@bp.route("/pool-papers/<int:pool_paper_id>/analysis.xlsx")
def pool_paper_xlsx(pool_paper_id: int):  # noqa: ANN201
    paper = db.session.get(PoolPaper, pool_paper_id) or abort(404)
    report = analyse_scope(db.session, Scope(pool_paper_id=paper.id), analysis_settings()).to_json()
    return _xlsx(report, f"平行试卷 #{paper.pool_id} 第 {paper.position} 套", f"试题分析-试卷{paper.id}")


class RangeError(ValueError):
    """A date range that cannot be read; the message says which field."""


def _range_scope() -> tuple[Scope, Level, date, date]:
    code = (request.args.get("level") or "").strip().upper()
    level = db.session.scalars(select(Level).where(Level.code == code)).first() if code else None
    if level is None:
        raise RangeError("请选择等级。")
    days = []
    for name, label in (("start", "开始日期"), ("end", "结束日期")):
        raw = (request.args.get(name) or "").strip()
        try:
            d = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            d = None
        if d is None or not 2000 <= d.year <= 2999:
            raise RangeError(f"{label}: “{raw[:20]}” 不是有效日期, 请按 2026-01-31 的格式填写。")
        days.append(d)
    start, end = days
    if end < start:
        raise RangeError("结束日期不能早于开始日期。")
    # Beijing calendar days → UTC instants: the end day is included
    lo = datetime.combine(start, datetime.min.time()) - CHINA_OFFSET
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time()) - CHINA_OFFSET
    return Scope(level_id=level.id, start=lo, end=hi), level, start, end


@bp.route("/range")
def date_range():  # noqa: ANN201
    """A level's graded certification attempts finished between two dates (Beijing time), computed now."""
    try:
        scope, level, start, end = _range_scope()
    except RangeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    report = analyse_scope(db.session, scope, analysis_settings()).to_json()
    return _page(report, title=f"{level.name} {start} 至 {end}",
                 scope_note="该等级在此期间交卷并已定分的正式考试 (北京时间, 含首尾两天; 即时计算)",
                 export_url=url_for(".range_xlsx", level=level.code, start=start.isoformat(), end=end.isoformat()))


@bp.route("/range.xlsx")
def range_xlsx():  # noqa: ANN201
    try:
        scope, level, start, end = _range_scope()
    except RangeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    report = analyse_scope(db.session, scope, analysis_settings()).to_json()
    return _xlsx(report, f"{level.name} {start} 至 {end}", f"试题分析-{level.code}-{start}-{end}")


@bp.route("/questions/<int:question_id>/clear", methods=["POST"])
def clear(question_id: int):  # noqa: ANN201
    """A trainer has reviewed a flagged question: its flags are cleared and pools may use it again (audited)."""
    q = db.session.get(Question, question_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        cleared = clear_flags(db.session, q, request.form.get("reason", ""), current_user, clock.now())
        db.session.commit()
        flash(f"已解除题目 {q.key} 的标记: {'、'.join(FLAG_LABELS[c] for c in cleared)}。", "info")
    except FlagError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("bank.question", question_id=q.id) + "#stats")


@bp.route("/trainees")
def trainees():  # noqa: ANN201
    who = (request.args.get("who") or "").strip()[:64]
    return render_template("analysis/trainees.html", who=who, found=find_trainees(db.session, who) if who else [])


@bp.route("/trainees/<int:user_id>")
def trainee(user_id: int):  # noqa: ANN201
    """One trainee's results per knowledge area across their graded attempts, to plan their training."""
    user = db.session.get(User, user_id) or abort(404)
    progress = trainee_progress(db.session, user.id)
    labels = [f"{(a.finished_at + CHINA_OFFSET):%m-%d}" if a.finished_at else f"#{a.id}" for a in progress.attempts]
    lines = {a.area: charts.sparkline(a.shares, labels, f"{a.area} 各次得分率", progress.pass_share)
             for a in progress.areas}
    overall = charts.line_chart(labels, [("总分", [a.score / a.total_points for a in progress.attempts], "total")],
                                lo=0, hi=1, reference=progress.pass_share, percent=True, width=640, height=180,
                                title="各次考试总分得分率") if progress.attempts else None
    return render_template("analysis/trainee.html", user=user, progress=progress, labels=labels, lines=lines,
                           overall=overall)


@bp.app_template_filter("qtype_label")
def qtype_label(value: str) -> str:
    try:
        return QuestionType(value).label
    except ValueError:
        return value


def question_stats(question: Question) -> dict[str, Any]:
    """What the question's page shows of its analysis: history across sittings, flags and the clear form."""
    history = question_history(db.session, question.id)
    flag = question_flag(db.session, question.id)
    out: dict[str, Any] = {"history": history, "flag": flag, "labels": FLAG_LABELS, "trend": None, "options": None,
                           "open_names": flag_names(flag.open_flags) if flag else [], "flag_sitting": None,
                           "flag_version": None, "cleared_by": None}
    if flag is not None:
        out["flag_sitting"] = db.session.get(Sitting, flag.sitting_id) if flag.sitting_id else None
        out["flag_version"] = db.session.scalar(select(QuestionVersion.version)
                                                .where(QuestionVersion.id == flag.question_version_id))
        if flag.cleared_by_id:
            out["cleared_by"] = db.session.scalar(select(User.full_name).where(User.id == flag.cleared_by_id))
    if history:
        labels = [f"{(h['starts_at'] + CHINA_OFFSET):%m-%d}" for h in history]
        out["trend"] = charts.line_chart(labels, [("通过率 p", [h["p"] for h in history], "p"),
                                                  ("区分度 D", [h["d_index"] for h in history], "d")],
                                         lo=-1, hi=1, reference=0, width=560, height=180, title="历次考试的通过率与区分度")
        if history[-1]["options"]:
            out["options"] = charts.option_bars(history[-1]["options"], history[-1]["unanswered"])
    return out
