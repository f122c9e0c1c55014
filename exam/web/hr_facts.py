"""HR: trainees' eligibility facts (申报资料) — uploaded from Excel (every row's problems, or all of it
written), or edited for one trainee on a page checked by the same rules."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from exam import clock
from exam.extensions import db
from exam.models import AuditEvent, Level, Organization, Role, User, UserRole
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level
from exam.services.facts_edit import EDIT_AUDIT_ACTION, FactsForm, edit_facts, facts_form, recorded_facts
from exam.services.facts_import import AUDIT_ACTION, apply_facts
from exam.web.access import guard
from question_bank.facts_sheet import COMPLETED_COLUMNS, HOURS_COLUMNS, FactsImportError, break_field, read_facts_xlsx
from question_bank.facts_template import write_facts_template
from question_bank.uploads import upload_limits

bp = Blueprint("hr_facts", __name__, url_prefix="/hr/facts")
guard(bp, Role.HR, Role.ADMIN)

#: empty break rows offered on the per-trainee page for adding breaks
NEW_BREAK_ROWS = 3
MAX_BREAK_ROWS = 100
_BREAK_FIELD = re.compile(r"^break_(start|end|delete)_(\d{1,3})$")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FactsUploadForm(FlaskForm):
    file = FileField("申报资料文件 (.xlsx)", validators=[FileRequired("请选择文件")],
                     description="按模板填写, 每行一名学员")


@bp.route("/", methods=["GET", "POST"])
def index():  # noqa: ANN201
    """The upload form; posting checks every row and writes all of them, or nothing and lists the errors."""
    form = FactsUploadForm()
    errors: list = []
    filename = ""
    if form.validate_on_submit():
        upload = form.file.data
        filename = (upload.filename or "upload.xlsx")[:255]
        try:
            sheet = read_facts_xlsx(upload, filename)  # read within the bounds of question_bank.uploads
            report = apply_facts(db.session, sheet, actor_id=current_user.id, now=clock.now())
        except FactsImportError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(report.summary, "info")
            return redirect(url_for(".index"))
    recent = db.session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == AUDIT_ACTION).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(20)).all()
    return render_template("hr/facts.html", form=form, errors=errors, filename=filename, recent=recent,
                           limits=upload_limits())


@bp.route("/template.xlsx")
def template():  # noqa: ANN201
    out = BytesIO()
    write_facts_template(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name="申报资料导入模板.xlsx", mimetype=XLSX_MIMETYPE)


# --- one trainee ---------------------------------------------------------------------------


def _find_user(who: str) -> User | None:
    """A trainee by user name, else by 工号 (facts are recorded for trainees only)."""
    who = unicodedata.normalize("NFKC", who).strip()
    trainees = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.TRAINEE)
    return (db.session.scalars(trainees.where(User.username == who)).first()
            or db.session.scalars(trainees.where(User.employee_no == who)).first())


def _posted_form(form: MultiDict, levels: Sequence[Level]) -> FactsForm:
    """The posted fields; the break rows in the order shown (numbered 1, 2, … as on the page)."""
    rows = sorted({int(m.group(2)) for key in form if (m := _BREAK_FIELD.match(key))})[:MAX_BREAK_ROWS]
    return FactsForm(
        organization=form.get("organization"), job_start=form.get("job_start"),
        probation_passed_on=form.get("probation_passed_on"),
        breaks=tuple((form.get(f"break_start_{n}", ""), form.get(f"break_end_{n}", ""),
                      bool(form.get(f"break_delete_{n}"))) for n in rows) if rows else None,
        training={lv.code: (form.get(f"hours_{lv.code}"), form.get(f"completed_{lv.code}")) for lv in levels})


def _shown(posted: FactsForm | None, recorded: FactsForm) -> FactsForm:
    """The form to show again: what was posted, and what is recorded where nothing was sent."""
    if posted is None:
        return recorded
    training = {code: tuple(p if p is not None else r for p, r in zip(
        posted.training.get(code, (None, None)), recorded.training.get(code, ("", "")), strict=True))
        for code in {*posted.training, *recorded.training}}
    return replace(posted, **{name: getattr(recorded, name) for name in ("organization", "job_start",
                                                                        "probation_passed_on", "breaks")
                              if getattr(posted, name) is None}, training=training)


@bp.route("/trainee", methods=["GET", "POST"])
def trainee():  # noqa: ANN201
    """One trainee (``?who=`` user name or 工号): the recorded facts, the eligibility per level with every
    route's reasons, and a form setting every fact — checked by the upload's rules, all written or nothing."""
    csrf = FlaskForm()
    who = (request.values.get("who") or "").strip()
    user = _find_user(who) if who else None
    levels = db.session.scalars(select(Level).order_by(Level.rank.desc())).all()
    errors: list = []
    form: FactsForm | None = None
    if user is not None and request.method == "POST":
        if not csrf.validate_on_submit():
            flash("页面已过期, 请刷新后重新填写。", "error")
        else:
            form = _posted_form(request.form, levels)
            try:
                changed = edit_facts(db.session, user, form, actor_id=current_user.id, now=clock.now())
            except FactsImportError as exc:  # raised before anything changed
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(f"已保存 {user.full_name} 的申报资料。" if changed
                      else f"{user.full_name} 的申报资料没有改动。", "info")
                return redirect(url_for(".trainee", who=who))
    context: dict = {}
    if user is not None:
        today = china_date(clock.now())
        breaks, training = recorded_facts(db.session, user)
        field_errors: dict[str, list[str]] = {}
        for e in errors:
            field_errors.setdefault(e.field, []).append(e.message)
        history = db.session.execute(
            select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.action == EDIT_AUDIT_ACTION, AuditEvent.entity_type == "users",
                   AuditEvent.entity_id == user.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(20)).all()
        context = dict(
            today=today, breaks=breaks, training=training, history=history,
            decisions=eligibility_by_level(db.session, user, list(levels), today),
            orgs=db.session.scalars(select(Organization).order_by(Organization.code)).all(),
            form=_shown(form, facts_form(db.session, user, blank_breaks=NEW_BREAK_ROWS)),
            field_errors=field_errors, break_field=break_field,
            hours_column={code: column for column, code in HOURS_COLUMNS.items()}, completed_column=COMPLETED_COLUMNS)
    return render_template("hr/facts_trainee.html", csrf=csrf, who=who, trainee=user, not_found=bool(who) and user is None,
                           levels=levels, errors=errors, **context)
