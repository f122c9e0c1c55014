"""HR: find certificates, download one or a ZIP of the filtered list."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from tempfile import SpooledTemporaryFile

from flask import Blueprint, abort, render_template, request, send_file
from sqlalchemy import Select, select
from sqlalchemy.orm import undefer

from exam import clock
from exam.extensions import db
from exam.models import Certificate, Level, Organization, Role, User
from exam.services.certificates import china_date
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


@bp.route("/certificates.zip")
def certificates_zip():  # noqa: ANN201
    """The filtered certificates' stored PDFs and a manifest, spooled to disk past 32 MB."""
    today = china_date(clock.now())
    spool = SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["证书编号", "姓名", "单位", "等级", "发证日期", "有效期至", "状态", "SHA-256"])
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as zf:
        for cert in db.session.scalars(_filtered().options(undefer(Certificate.pdf))).yield_per(100):
            zf.writestr(f"{cert.number}.pdf", cert.pdf)
            org = cert.user.organization
            writer.writerow([cert.number, cert.holder_name, org.name if org else "", cert.level.name,
                             cert.issued_on.isoformat(), cert.expires_on.isoformat(),
                             cert.status_on(today).label, cert.sha256])
            db.session.expunge(cert)
        zf.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True,
                     download_name=f"certificates-{today.isoformat()}.zip")
