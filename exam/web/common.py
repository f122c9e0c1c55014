"""Small helpers shared by the blueprints."""
from __future__ import annotations

from io import BytesIO

from flask import current_app, render_template, request, send_file

from exam.models import Certificate
from exam.services.certificates import CertificateSettings


def certificate_settings() -> CertificateSettings:
    return CertificateSettings(current_app.config["PUBLIC_BASE_URL"], current_app.config["ISSUING_BODY"])


def send_certificate(cert: Certificate):  # noqa: ANN201
    """The stored bytes, exactly as issued; while a worker is still rendering them, a page that says so
    and reloads itself (202)."""
    if not cert.is_rendered:
        return render_template("certificates/pending.html", cert=cert, url=request.path), 202
    return send_file(BytesIO(cert.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{cert.number}.pdf", etag=cert.sha256)
