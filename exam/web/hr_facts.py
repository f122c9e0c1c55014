"""HR: upload trainees' eligibility facts (申报资料) from Excel — every row's problems, or all of it written."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from exam import clock
from exam.extensions import db
from exam.models import AuditEvent, Role, User
from exam.services.facts_import import (
    AUDIT_ACTION,
    FactsImportError,
    apply_facts,
    read_facts_xlsx,
    write_facts_template,
)
from exam.web.access import guard

bp = Blueprint("hr_facts", __name__, url_prefix="/hr/facts")
guard(bp, Role.HR, Role.ADMIN)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
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
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            flash(f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB, 请拆分后再上传。", "error")
            return redirect(url_for(".index"))
        try:
            sheet = read_facts_xlsx(data, filename)
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
    return render_template("hr/facts.html", form=form, errors=errors, filename=filename, recent=recent)


@bp.route("/template.xlsx")
def template():  # noqa: ANN201
    out = BytesIO()
    write_facts_template(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name="申报资料导入模板.xlsx", mimetype=XLSX_MIMETYPE)
