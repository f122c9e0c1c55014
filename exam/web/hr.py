"""HR: find certificates, download one, the filtered list's manifest (.xlsx) or a ZIP of its PDFs."""
from __future__ import annotations

import io
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload, undefer

from exam import clock
from exam.extensions import db
from exam.models import Certificate, CertificateStatus, Level, Organization, Role, User
from exam.services.certificates import (
    china_date,
    manifest_row,
    revoke_certificate,
    stream_certificate_zip,
    write_manifest_xlsx,
)
from exam.web.access import guard
from exam.web.common import certificate_settings, send_certificate
from exam.web.inputs import page_arg

bp = Blueprint("hr", __name__, url_prefix="/hr")
guard(bp, Role.HR, Role.ADMIN)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


#: the query-string keys the list, the .xlsx and the ZIP share
FILTER_KEYS = ("q", "org", "level", "status", "from", "to")
PAGE_SIZE = 100


def _filtered(today: date | None = None) -> Select:
    """Certificates matching the filters (of the current request), newest first.

    ``q``: part of the holder's name, the start of an employee number or of a certificate number;
    ``org``: the organisation with its sub-organisations; ``level``: L4…L1; ``status``: valid / expired /
    revoked on ``today`` (default: the China date now; the rule of ``Certificate.status_on`` in SQL);
    ``from``/``to``: issue dates.
    """
    today = today or china_date(clock.now())
    q = select(Certificate).join(User, Certificate.user_id == User.id)
    if term := request.args.get("q", "").strip():
        q = q.where(or_(Certificate.holder_name.contains(term, autoescape=True),
                        User.employee_no.startswith(term, autoescape=True),
                        Certificate.number.startswith(term.upper(), autoescape=True)))
    org_id = request.args.get("org", type=int)
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is not None:
            q = q.where(User.organization_id.in_(org.subtree_ids(db.session)))
    level = request.args.get("level")
    if level:
        q = q.join(Level, Certificate.level_id == Level.id).where(Level.code == level)
    if (status := request.args.get("status")) in set(CertificateStatus):
        q = q.where(Certificate.having_status(CertificateStatus(status), today))
    if (since := _date_arg("from")) is not None:
        q = q.where(Certificate.issued_on >= since)
    if (until := _date_arg("to")) is not None:
        q = q.where(Certificate.issued_on <= until)
    return q.order_by(Certificate.issued_on.desc(), Certificate.number)


def _with_holder(q: Select) -> Select:
    """Load level, holder and organisation in a few batched queries, not one per certificate."""
    return q.options(selectinload(Certificate.level), selectinload(Certificate.user).selectinload(User.organization))


def zip_query(today: date | None = None) -> Select:
    """What the ZIP reads: the filtered certificates with their PDFs, holders, organisations and levels."""
    return _with_holder(_filtered(today)).options(undefer(Certificate.pdf))


def _filters() -> dict[str, str]:
    return {k: v for k in FILTER_KEYS if (v := request.args.get(k, "").strip())}


@bp.route("/certificates")
def certificates():  # noqa: ANN201
    today = china_date(clock.now())
    query = _filtered(today)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = page_arg(last=pages)
    certs = db.session.scalars(_with_holder(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "hr/certificates.html", certs=certs, today=today, total=total, page=page, pages=pages,
        page_size=PAGE_SIZE, filters=_filters(), statuses=list(CertificateStatus),
        orgs=db.session.scalars(select(Organization).order_by(Organization.code)).all(),
        levels=db.session.scalars(select(Level).order_by(Level.rank.desc())).all(),
    )


@bp.route("/certificates.xlsx")
def certificates_xlsx():  # noqa: ANN201
    """The filtered list as a manifest: number, holder, employee number, organisation, level, dates, status,
    SHA-256, verify URL (write-only workbook, rows read in batches; the PDFs are never loaded)."""
    today, settings = china_date(clock.now()), certificate_settings()
    rows = (manifest_row(c, today, settings)
            for c in db.session.scalars(_with_holder(_filtered(today)).execution_options(yield_per=500)))
    out = io.BytesIO()
    write_manifest_xlsx(rows, out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"certificates-{today.isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


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
    """The filtered certificates' stored PDFs and the manifest (.xlsx and .csv), streamed member by member."""
    today, settings = china_date(clock.now()), certificate_settings()

    def rows():  # noqa: ANN202
        # yield_per on the statement: a server-side cursor on PostgreSQL (on the result, psycopg would
        # fetch every PDF first: 2.3 GB for 5,000 certificates, measured in bench_certificates.py)
        for cert in db.session.scalars(zip_query(today).execution_options(yield_per=50)):
            yield cert
            db.session.expunge(cert)  # its PDF goes with it

    return Response(stream_with_context(stream_certificate_zip(rows(), today, settings=settings)),
                    mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=certificates-{today.isoformat()}.zip"})
