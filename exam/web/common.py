"""Small helpers shared by the blueprints."""
from __future__ import annotations

from io import BytesIO

from flask import current_app, send_file

from exam.models import Certificate
from exam.services.certificates import CertificateSettings


def certificate_settings() -> CertificateSettings:
    return CertificateSettings(current_app.config["PUBLIC_BASE_URL"], current_app.config["ISSUING_BODY"])


def send_certificate(cert: Certificate):  # noqa: ANN201
    """The stored bytes, exactly as issued."""
    return send_file(BytesIO(cert.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{cert.number}.pdf", etag=cert.sha256)
