"""Pages for anyone: the home redirect and certificate verification (by number, by file, by SHA-256)."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from werkzeug.exceptions import RequestEntityTooLarge

from exam import clock
from exam.extensions import db
from exam.models import Certificate
from exam.ratelimit import limiter
from exam.services.certificates import (
    china_date,
    find_by_code_or_number,
    find_by_sha256,
    mask_name,
    normalize_sha256,
)
from exam.services.numbering import is_valid_number
from exam.web.access import home_for, public

if TYPE_CHECKING:
    from exam.services.signing import SignatureCheck

bp = Blueprint("public", __name__)
public(bp)

#: an issued certificate is about 240 KB; anything far larger is not one of ours
MAX_CHECKED_PDF = 10 * 1024 * 1024
TOO_LARGE = "文件超过 10 MB, 不可能是本平台签发的证书 PDF。"


class FileCheckForm(FlaskForm):
    pdf = FileField("证书 PDF 文件", validators=[
        FileRequired("请选择要核对的证书 PDF 文件。"), FileSize(MAX_CHECKED_PDF, message=TOO_LARGE)])


@bp.route("/")
def index():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


def _public_view(cert: Certificate) -> dict:
    """What anyone may see of a certificate: status, level, dates, the masked name and its file's SHA-256."""
    return {
        "number": cert.number, "holder": mask_name(cert.holder_name), "level": cert.level.name,
        "issued_on": cert.issued_on, "expires_on": cert.expires_on,
        "status": cert.status_on(china_date(clock.now())), "sha256": cert.sha256,
    }


def _page(status: int = 200, **context: object):  # noqa: ANN202
    context = {"cert": None, "searched": False, "typo": False, "form": FileCheckForm(formdata=None), "check": None,
               "check_error": None, "sha256_query": ""} | context
    return render_template("public/verify.html", **context), status


@bp.route("/verify")
def verify():  # noqa: ANN201
    """Look a certificate up by its number (form) or redirect a scanned code."""
    q = request.args.get("q", "").strip()
    if q:
        return redirect(url_for("public.verify_code", code=q))
    return _page()


#: look-ups by number, hash or file count together per client address (config VERIFY_LIMIT)
_lookups = limiter.shared_limit(lambda: current_app.config["VERIFY_LIMIT"], scope="verify")


@bp.route("/verify/<code>")
@_lookups
def verify_code(code: str):  # noqa: ANN201
    """Status, level, dates, the masked name and the SHA-256 of the issued file; never more."""
    cert = find_by_code_or_number(db.session, code)
    view = _public_view(cert) if cert is not None else None
    typo = view is None and code.upper().startswith("VIP-") and not is_valid_number(code)
    return _page(200 if view else 404, cert=view, searched=True, typo=typo)


@bp.get("/verify/file")
@_lookups
def verify_sha256():  # noqa: ANN201
    """Is there an issued certificate whose PDF has this SHA-256 (pasted, spaces and capitals tolerated)?"""
    raw = request.args.get("sha256")
    if raw is None:
        return _page()
    digest = normalize_sha256(raw)
    if digest is None:
        return _page(check_error="SHA-256 应为 64 位十六进制字符 (0-9, a-f), 请核对后重新粘贴。",
                     sha256_query=raw[:200])
    return _page(check=_file_check(digest), sha256_query=digest)


@bp.post("/verify/file")
@_lookups
def verify_file():  # noqa: ANN201
    """Is this uploaded PDF exactly a certificate the platform issued? Compared byte for byte (SHA-256) with the
    stored PDFs; its embedded signature tells a file altered after issue from one never issued here."""
    form = FileCheckForm()
    if not form.validate_on_submit():
        return _page(form=form, check_error=next(iter(form.errors.values()))[0])
    data = form.pdf.data.read()
    if not data:
        return _page(form=form, check_error="上传的文件是空的, 请选择证书 PDF 文件。")
    if b"%PDF-" not in data[:1024]:
        return _page(form=form, check_error="上传的文件不是 PDF, 请选择证书 PDF 文件。")
    from exam.services.signing import check_signature, configured_certificate

    return _page(form=form, check=_file_check(hashlib.sha256(data).hexdigest(),
                                              check_signature(data, configured_certificate())))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(_exc: RequestEntityTooLarge):  # noqa: ANN201
    return _page(413, check_error=TOO_LARGE)


def _file_check(digest: str, signature: SignatureCheck | None = None) -> dict:
    """The verdict on a file (or a pasted hash): the certificate it is exactly, if any; else, when its intact
    signature is the platform's, the certificate it was before something was appended to it."""
    cert = find_by_sha256(db.session, digest)
    original = None
    signed = signature.signed_sha256 if signature is not None else None
    if cert is None and signed and signed != digest:
        original = find_by_sha256(db.session, signed)
    return {"sha256": digest, "match": _public_view(cert) if cert else None,
            "original": _public_view(original) if original else None, "signature": signature}


@bp.route("/healthz")
def healthz():  # noqa: ANN201
    return {"ok": True}
