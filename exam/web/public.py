"""Pages for anyone: the home redirect and certificate verification."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from exam import clock
from exam.extensions import db
from exam.services.certificates import china_date, find_by_code_or_number, mask_name
from exam.services.numbering import is_valid_number
from exam.web.access import home_for, public

bp = Blueprint("public", __name__)
public(bp)


@bp.route("/")
def index():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/verify")
def verify():  # noqa: ANN201
    """Look a certificate up by its number (form) or redirect a scanned code."""
    q = request.args.get("q", "").strip()
    if q:
        return redirect(url_for("public.verify_code", code=q))
    return render_template("public/verify.html", cert=None, searched=False)


@bp.route("/verify/<code>")
def verify_code(code: str):  # noqa: ANN201
    """Status, level, dates and the masked name; never more."""
    cert = find_by_code_or_number(db.session, code)
    view = None
    if cert is not None:
        view = {
            "number": cert.number, "holder": mask_name(cert.holder_name), "level": cert.level.name,
            "issued_on": cert.issued_on, "expires_on": cert.expires_on,
            "status": cert.status_on(china_date(clock.now())),
        }
    typo = view is None and code.upper().startswith("VIP-") and not is_valid_number(code)
    return render_template("public/verify.html", cert=view, searched=True, typo=typo), (200 if view else 404)


@bp.route("/healthz")
def healthz():  # noqa: ANN201
    return {"ok": True}
