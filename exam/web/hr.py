"""HR: find certificates, download one or a ZIP of the filtered list."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, select
from sqlalchemy.orm import undefer

from exam import clock
from exam.extensions import db
from exam.models import Certificate, Level, Organization, Role, User
from exam.services.certificates import china_date, revoke_certificate, stream_certificate_zip
from exam.web.access import guard
from exam.web.common import send_certificate

bp = Blueprint("hr", __name__, url_prefix="/hr")
guard(bp, Role.HR, Role.ADMIN)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filtered() -> Select:
    """Certificates matching the filters: organisation (with its sub-organisations), level, issue dates."""
    q = select(Certificate).join(User, Certificate.user_id == User.id)
    org_id = request.args.get("org", type=int)
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is not None:
            q = q.where(User.organization_id.in_(org.subtree_ids(db.session)))
    level = request.args.get("level")
    if level:
        q = q.join(Level, Certificate.level_id == Level.id).where(Level.code == level)
    if (since := _date_arg("from")) is not None:
        q = q.where(Certificate.issued_on >= since)
    if (until := _date_arg("to")) is not None:
        q = q.where(Certificate.issued_on <= until)
    return q.order_by(Certificate.issued_on.desc(), Certificate.number)


@bp.route("/certificates")
def certificates():  # noqa: ANN201
    certs = db.session.scalars(_filtered().limit(500)).all()
    return render_template(
        "hr/certificates.html", certs=certs, today=china_date(clock.now()),
        orgs=db.session.scalars(select(Organization).order_by(Organization.code)).all(),
        levels=db.session.scalars(select(Level).order_by(Level.rank.desc())).all(),
    )


@bp.route("/certificates/<int:cert_id>.pdf")
def certificate_pdf(cert_id: int):  # noqa: ANN201
    cert = db.session.get(Certificate, cert_id) or abort(404)
    return send_certificate(cert)


@bp.route("/certificates/<int:cert_id>/revoke", methods=["POST"])
def revoke(cert_id: int):  # noqa: ANN201
    """Revoke with a written reason (audited); the stored PDF stays as issued, /verify says 已撤销."""
    cert = db.session.get(Certificate, cert_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        revoke_certificate(db.session, cert, request.form.get("reason", ""), actor_id=current_user.id,
                           now=clock.now())
        db.session.commit()
        flash(f"证书 {cert.number} 已撤销。", "info")
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(request.referrer or url_for(".certificates"))


@bp.route("/certificates.zip")
def certificates_zip():  # noqa: ANN201
    """The filtered certificates' stored PDFs and a manifest, streamed member by member."""
    today = china_date(clock.now())

    def rows():  # noqa: ANN202
        for cert in db.session.scalars(_filtered().options(undefer(Certificate.pdf))).yield_per(100):
            yield cert
            db.session.expunge(cert)

    return Response(stream_with_context(stream_certificate_zip(rows(), today)), mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=certificates-{today.isoformat()}.zip"})
