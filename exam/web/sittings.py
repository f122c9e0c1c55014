"""HR: schedule sittings, enrol trainees (one by one, by organisation, from .xlsx), extra time, live status."""
from __future__ import annotations

import io
import secrets
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import DateTimeLocalField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from exam import clock
from exam.extensions import db
from exam.models import (
    Attempt,
    Enrolment,
    KnowledgeArea,
    Level,
    Organization,
    Role,
    Sitting,
    SittingApplication,
    SittingMode,
)
from exam.services.assembly import AssemblyError
from exam.services.certificates import CHINA_OFFSET
from exam.services.paper_pools import build_pool
from exam.services.pools import DEFAULT_POOL_SIZE
from exam.services.registration import (
    RegistrationError,
    approve_application,
    refuse_application,
    sitting_applications,
)
from exam.services.sitting_results import sitting_results, write_results_xlsx
from exam.services.sittings import (
    DeadlinePassed,
    EnrolmentReport,
    SittingError,
    enrol,
    find_people,
    grant_extra_time,
    organization_trainees,
    read_enrolment_xlsx,
    schedule_sitting,
    sitting_status,
    unlock_password,
)
from exam.web.access import guard
from exam.web.bank_forms import choices
from exam.web.common import certificate_settings
from exam.web.inputs import small_int
from question_bank.uploads import upload_limits

bp = Blueprint("sittings", __name__, url_prefix="/hr/sittings")
guard(bp, Role.HR, Role.ADMIN)


class SittingForm(FlaskForm):
    name = StringField("考场名称", validators=[DataRequired("请填写考场名称"), Length(max=120)])
    level = SelectField("等级", validators=[DataRequired()])
    organization = SelectField("组织单位 (含下级单位)", validators=[DataRequired()])
    starts_at = DateTimeLocalField("开考窗口开始 (北京时间)", format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired("请填写开始时间")])
    ends_at = DateTimeLocalField("开考窗口结束 (北京时间)", format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired("请填写结束时间")])
    mode = SelectField("形式", choices=choices((m.value, m.label) for m in SittingMode))
    place = StringField("考场地点 / 线上说明", validators=[Length(max=500)])
    password = PasswordField("考场密码 (可选, 开考时由监考公布)", validators=[Length(max=64)])
    networks = TextAreaField("允许的 IP 段 (可选, 如 10.12.0.0/16, 每行或逗号分隔)", validators=[Length(max=2000)])


def _utc(local: datetime) -> datetime:
    """A time typed in Beijing time → stored UTC; a year outside 2000–2999 is a typing error."""
    if not 2000 <= local.year <= 2999:
        raise SittingError(f"时间 {local:%Y-%m-%d %H:%M} 不在合理范围内, 请检查年份")
    return local - CHINA_OFFSET


def _sitting(sitting_id: int) -> Sitting:
    return db.session.get(Sitting, sitting_id) or abort(404)


@bp.route("/", methods=["GET", "POST"])
def index():  # noqa: ANN201
    """Sittings, newest window first, with the number enrolled; the form to schedule one."""
    form = SittingForm()
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    orgs = db.session.scalars(select(Organization).order_by(Organization.code)).all()
    form.level.choices = choices((lv.code, lv.name) for lv in levels)
    form.organization.choices = choices((o.code, o.name) for o in orgs)
    if form.validate_on_submit():
        level = next(lv for lv in levels if lv.code == form.level.data)
        org = next(o for o in orgs if o.code == form.organization.data)
        try:
            sitting = schedule_sitting(
                db.session, name=form.name.data or "", level=level, organization=org,
                starts_at=_utc(form.starts_at.data), ends_at=_utc(form.ends_at.data),  # type: ignore[arg-type]
                mode=SittingMode(form.mode.data), place=form.place.data or "", password=form.password.data or "",
                networks=form.networks.data or "", actor_id=current_user.id, now=clock.now())
            db.session.commit()
            flash(f"已安排考场 {sitting.name}。", "info")
            return redirect(url_for(".sitting", sitting_id=sitting.id))
        except SittingError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
    enrolled = dict(db.session.execute(select(Enrolment.sitting_id, func.count()).group_by(Enrolment.sitting_id)).all())
    sittings = db.session.scalars(select(Sitting).order_by(Sitting.starts_at.desc()).limit(200)).all()
    return render_template("hr/sittings.html", form=form, sittings=sittings, enrolled=enrolled, now=clock.now())


def _status(sitting: Sitting) -> dict:
    """What both status views show; overdue attempts collected while reading are committed."""
    now = clock.now()
    db.lock_for_write()
    rows, counts = sitting_status(db.session, sitting, now, certificate_settings())
    db.session.commit()
    return {"sitting": sitting, "rows": rows, "counts": counts, "now": now}


def _detail(sitting: Sitting, report: EnrolmentReport | None = None):  # noqa: ANN202
    orgs = db.session.scalars(select(Organization).order_by(Organization.code)).all()
    return render_template("hr/sitting.html", **_status(sitting), report=report, orgs=orgs, form=FlaskForm(),
                           pool_size=DEFAULT_POOL_SIZE, limits=upload_limits(),
                           applications=sitting_applications(db.session, sitting))


@bp.route("/<int:sitting_id>")
def sitting(sitting_id: int):  # noqa: ANN201
    """The sitting, its enrolment forms, and each trainee's live state."""
    return _detail(_sitting(sitting_id))


@bp.route("/<int:sitting_id>/live")
def live(sitting_id: int):  # noqa: ANN201
    """The status board alone, refreshing itself, for the invigilator's screen."""
    return render_template("hr/sitting_live.html", **_status(_sitting(sitting_id)))


@bp.route("/<int:sitting_id>/enrol", methods=["POST"])
def enrol_trainees(sitting_id: int):  # noqa: ANN201
    """Enrol by usernames / employee numbers, a whole organisation, or an .xlsx; only the eligible are
    enrolled, the rest are listed with reasons."""
    s = _sitting(sitting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    how = request.form.get("how")
    try:
        if how == "people":
            users, refused = find_people(db.session, request.form.get("people", ""))
            if not users and not refused:
                raise SittingError("请填写用户名或工号")
        elif how == "organization":
            org = db.session.scalars(select(Organization).where(Organization.code == request.form.get("org"))).first()
            if org is None:
                raise SittingError("请选择单位")
            users, refused = organization_trainees(db.session, org), []
        elif how == "xlsx":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise SittingError("请选择 .xlsx 文件")
            users, refused = read_enrolment_xlsx(db.session, upload, upload.filename)  # type: ignore[assignment]
        else:
            abort(400)
        report = enrol(db.session, s, users, refused=refused, actor_id=current_user.id, now=clock.now())
        db.session.commit()
    except SittingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".sitting", sitting_id=s.id))
    return _detail(s, report)


@bp.route("/<int:sitting_id>/enrolments/<int:enrolment_id>/extra-time", methods=["POST"])
def extra_time(sitting_id: int, enrolment_id: int):  # noqa: ANN201
    """Accommodation for one trainee, with a reason (audited); a running attempt's deadline moves too."""
    s = _sitting(sitting_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.sitting_id != s.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    minutes = small_int(request.form.get("minutes", "").strip(), 100_000)
    minutes = -1 if minutes is None else minutes
    try:
        grant_extra_time(db.session, enrolment, minutes, request.form.get("reason", ""), actor_id=current_user.id,
                         now=clock.now(), settings=certificate_settings())
        db.session.commit()
        flash(f"{enrolment.user.full_name} 的考试时间延长 {minutes} 分钟。", "info")
    except DeadlinePassed as exc:
        db.session.commit()  # the collection stands
        flash(str(exc), "error")
    except SittingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".sitting", sitting_id=s.id))


@bp.route("/<int:sitting_id>/enrolments/<int:enrolment_id>/unlock", methods=["POST"])
def unlock(sitting_id: int, enrolment_id: int):  # noqa: ANN201
    """Let a trainee locked out by wrong sitting passwords try again (audited)."""
    s = _sitting(sitting_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.sitting_id != s.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    unlock_password(db.session, enrolment, clock.now(), current_user.id)
    db.session.commit()
    flash(f"已解除 {enrolment.user.full_name} 的入场锁定。", "info")
    return redirect(url_for(".sitting", sitting_id=s.id))


@bp.route("/<int:sitting_id>/pool", methods=["POST"])
def pool(sitting_id: int):  # noqa: ANN201
    """Assemble this sitting's parallel papers before it starts: no solving when everyone clicks at once."""
    s = _sitting(sitting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    size = request.form.get("size", type=int) or DEFAULT_POOL_SIZE
    if not 1 <= size <= 200:
        flash("套数须在 1 到 200 之间。", "error")
        return redirect(url_for(".sitting", sitting_id=s.id))
    started = db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.sitting_id == s.id))
    if started:
        flash(f"已有 {started} 人开考, 不能再更换本场试卷。", "error")
        return redirect(url_for(".sitting", sitting_id=s.id))
    try:
        s.pool = build_pool(db.session, s.level, size=size, seed=secrets.randbits(31), now=clock.now(),
                            actor_id=current_user.id)
        db.session.commit()
        flash(f"已为本场考试组好 {size} 套平行试卷。", "info")
    except AssemblyError as exc:
        db.session.rollback()
        flash(f"无法组卷: {exc}", "error")
    return redirect(url_for(".sitting", sitting_id=s.id))


def _application(sitting: Sitting, application_id: int) -> SittingApplication:
    application = db.session.get(SittingApplication, application_id)
    if application is None or application.sitting_id != sitting.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return application


@bp.route("/<int:sitting_id>/applications/<int:application_id>/approve", methods=["POST"])
def approve(sitting_id: int, application_id: int):  # noqa: ANN201
    """Approve a trainee's 报名申请: enrolled if still eligible (checked again now), audited."""
    s = _sitting(sitting_id)
    application = _application(s, application_id)
    try:
        approve_application(db.session, application, actor_id=current_user.id, now=clock.now())
        db.session.commit()
        flash(f"已批准 {application.user.full_name} 报名{s.name}。", "info")
    except IntegrityError:  # approved (or enrolled) at the same moment by someone else
        db.session.rollback()
        flash("该申请刚刚已被处理, 请查看最新状态。", "info")
    except RegistrationError as exc:
        db.session.rollback()
        flash(f"{application.user.full_name}: {exc}", "error")
    return redirect(url_for(".sitting", sitting_id=s.id) + "#applications")


@bp.route("/<int:sitting_id>/applications/<int:application_id>/refuse", methods=["POST"])
def refuse(sitting_id: int, application_id: int):  # noqa: ANN201
    """Refuse a 报名申请 with a written reason the trainee sees (audited)."""
    s = _sitting(sitting_id)
    application = _application(s, application_id)
    try:
        refuse_application(db.session, application, request.form.get("reason", ""), actor_id=current_user.id,
                           now=clock.now())
        db.session.commit()
        flash(f"已不批准 {application.user.full_name} 的报名申请。", "info")
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".sitting", sitting_id=s.id) + "#applications")


def _results(sitting: Sitting):  # noqa: ANN202
    db.lock_for_write()  # overdue attempts are collected while reading
    results = sitting_results(db.session, sitting, clock.now(), certificate_settings())
    db.session.commit()
    return results


@bp.route("/<int:sitting_id>/results")
def results(sitting_id: int):  # noqa: ANN201
    """成绩单: every enrolled trainee's state, total and points per knowledge area."""
    s = _sitting(sitting_id)
    return render_template("hr/sitting_results.html", sitting=s, results=_results(s))


@bp.route("/<int:sitting_id>/results.xlsx")
def results_xlsx(sitting_id: int):  # noqa: ANN201
    """The 成绩单 as .xlsx (one column per knowledge area)."""
    s = _sitting(sitting_id)
    results = _results(s)
    names = dict(db.session.execute(select(KnowledgeArea.code, KnowledgeArea.name)).all())
    out = io.BytesIO()
    write_results_xlsx(out, s, results, names)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"results-sitting-{s.id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
