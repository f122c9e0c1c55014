"""Certificates third parties can check: the PDF carries the issuing body's PAdES signature, and /verify says
whether a file (uploaded, or its pasted SHA-256) is exactly one the platform issued."""
from __future__ import annotations

import hashlib
import io
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import answer_all, render_certificates
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import KeyUsageConstraints, validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select
from test_certificate_ops import certificate_for
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from exam import clock as app_clock
from exam.config import load_config
from exam.extensions import db
from exam.models import AuditEvent, Certificate, Level, User
from exam.services.attempts import start_attempt
from exam.services.certificates import render_certificate_pdf
from exam.services.signing import CertificateSigner, configured_signer
from exam.web.common import certificate_settings

ISSUING_BODY = "中国电信集团公司"
#: what a verifier's validation must accept: a document-signing certificate (either usage)
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def platform_certificate(app):  # noqa: ANN001, ANN201
    """The signing certificate this instance uses (no EXAM_SIGNING_* in the tests: the demonstration pair)."""
    return load_cert_from_pemder(str(Path(app.instance_path) / "signing" / "cert.pem"))


def signature_status(pdf: bytes, trust_root):  # noqa: ANN001, ANN201
    """pyHanko's own verdict on the file's only signature, with ``trust_root`` as the only trusted certificate."""
    signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    assert len(signatures) == 1, f"expected one embedded signature, found {len(signatures)}"
    context = ValidationContext(trust_roots=[trust_root], allow_fetching=False)
    return signatures[0], validate_pdf_signature(signatures[0], context, key_usage_settings=KEY_USAGE)


def with_one_byte_changed(pdf: bytes) -> bytes:
    """The file with one byte of its first page's content (covered by the signature) changed."""
    data = bytearray(pdf)
    data[len(pdf) // 3] ^= 0x01
    return bytes(data)


def with_an_appended_edit(pdf: bytes) -> bytes:
    """An incremental update as a forger would append it: a white box drawn over part of the first page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    box = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 150 420 300 60 re f Q"))
    writer.add_stream_to_page(0, box)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def other_signer(common_name: str) -> CertificateSigner:
    """A key and self-signed certificate that are not the platform's, whatever name they claim."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return CertificateSigner(key_pem, cert.public_bytes(serialization.Encoding.PEM), None, ISSUING_BODY)


def upload(client, data: bytes, filename: str = "certificate.pdf", **fields: str):  # noqa: ANN001, ANN201
    """POST the file as a browser does. The body is encoded here, in memory: the test client would spool a large
    one to a temporary file it never closes."""
    boundary, body = encode_multipart({"pdf": FileStorage(io.BytesIO(data), filename, content_type="application/pdf"),
                                       **fields})
    return client.post("/verify/file", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def assert_no_inline_script(html: str) -> None:
    """The Content-Security-Policy allows scripts only from our files: no inline script, no on… handlers."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html), "inline style"


# --- the signature ---

def test_the_rendered_pdf_carries_a_valid_pades_signature_by_the_configured_certificate(app, client, auth, clock):
    cert = certificate_for(client, auth)
    embedded, status = signature_status(cert.pdf, platform_certificate(app))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # the stored bytes are exactly the signed ones
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7.detached
    assert embedded.sig_object["/Name"] == ISSUING_BODY
    assert ISSUING_BODY in embedded.sig_object["/Reason"] and cert.number in embedded.sig_object["/Reason"]
    assert ISSUING_BODY in embedded.sig_object["/Location"]
    assert embedded.signer_cert.subject.native["common_name"] == f"{ISSUING_BODY} 证书签名 (演示)"
    assert hashlib.sha256(cert.pdf).hexdigest() == cert.sha256
    text = PdfReader(io.BytesIO(cert.pdf)).pages[0].extract_text().replace(" ", "")
    assert cert.number in text and "王喆" in text  # still the same certificate to read
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.render")).one()
    assert event.detail["sha256"] == cert.sha256 and ISSUING_BODY in event.detail["signed_by"]


def test_the_demonstration_key_is_generated_once_private_and_reused(app, client, auth, clock):
    first = certificate_for(client, auth)
    directory = Path(app.instance_path) / "signing"
    key, cert = directory / "key.pem", directory / "cert.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(cert.stat().st_mode) == 0o600
    pem = x509.load_pem_x509_certificate(cert.read_bytes())
    lifetime = pem.not_valid_after_utc - pem.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3660)
    before = key.read_bytes()
    auth.logout()
    second = certificate_for(client, auth, "trainee2")
    assert key.read_bytes() == before  # not generated again
    for issued in (first, second):
        assert signature_status(issued.pdf, platform_certificate(app))[1].trusted


def test_changing_one_byte_or_appending_an_edit_breaks_the_signature(app, client, auth, clock):
    cert = certificate_for(client, auth)
    trust = platform_certificate(app)
    assert signature_status(cert.pdf, trust)[1].bottom_line

    _embedded, changed = signature_status(with_one_byte_changed(cert.pdf), trust)
    assert not changed.intact and not changed.bottom_line

    _embedded, appended = signature_status(with_an_appended_edit(cert.pdf), trust)
    assert appended.coverage == SignatureCoverageLevel.ENTIRE_REVISION  # the signature no longer covers the file
    assert not appended.bottom_line


def test_the_key_and_certificate_come_from_the_environment(app, client, auth, clock, tmp_path, monkeypatch):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "中国电信 证书签名 (生产)")])
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "中国电信 内部根证书")])
    now = datetime.now(UTC)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(2).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    key_path, cert_path, leaf_path = tmp_path / "key.pem", tmp_path / "cert-and-chain.pem", tmp_path / "leaf.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b"s3cret")))
    leaf_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf_path.read_bytes() + ca.public_bytes(serialization.Encoding.PEM))

    monkeypatch.setenv("EXAM_SIGNING_KEY", str(key_path))
    monkeypatch.setenv("EXAM_SIGNING_CERT", str(cert_path))
    monkeypatch.setenv("EXAM_SIGNING_KEY_PASSWORD", "s3cret")
    config = load_config(str(tmp_path / "instance"), {"SECRET_KEY": "x"})
    assert (config["SIGNING_KEY"], config["SIGNING_CERT"], config["SIGNING_KEY_PASSWORD"]) == (
        str(key_path), str(cert_path), "s3cret")
    for name_ in ("SIGNING_KEY", "SIGNING_CERT", "SIGNING_KEY_PASSWORD"):
        monkeypatch.setitem(app.config, name_, config[name_])

    cert = certificate_for(client, auth)
    embedded, status = signature_status(cert.pdf, load_cert_from_pemder(str(leaf_path)))
    assert status.bottom_line and embedded.signer_cert.subject.native["common_name"] == "中国电信 证书签名 (生产)"
    assert "中国电信 内部根证书" in {c.subject.native["common_name"] for c in embedded.other_embedded_certs}
    # the demonstration certificate does not vouch for it
    assert not signature_status(cert.pdf, platform_certificate(app))[1].trusted

    # a web host holds only the certificate: it checks uploads against it, and cannot sign
    monkeypatch.setitem(app.config, "SIGNING_KEY", None)
    auth.logout()
    assert "本平台的电子签名有效" in upload(client, cert.pdf).text
    with pytest.raises(RuntimeError, match="EXAM_SIGNING_KEY"):
        configured_signer()
    monkeypatch.delenv("EXAM_SIGNING_CERT")
    with pytest.raises(RuntimeError, match="without EXAM_SIGNING_CERT"):
        load_config(str(tmp_path / "instance"), {"SECRET_KEY": "x"})


def test_the_cli_worker_signs_what_it_renders(app, client, auth, clock):
    holder = db.session.scalars(select(User).where(User.username == "trainee1")).one()
    level = db.session.scalars(select(Level).where(Level.code == "L4")).one()
    attempt = start_attempt(db.session, holder, level, app_clock.now(), certificate_settings())
    db.session.commit()
    auth.login("trainee1")
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()
    db.session.refresh(cert)
    assert signature_status(cert.pdf, platform_certificate(app))[1].bottom_line


# --- /verify: is this file exactly the issued one? ---

def test_uploading_the_issued_pdf_says_it_is_exactly_the_issued_certificate(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.logout()
    page = upload(client, cert.pdf)
    assert page.status_code == 200
    result = page.text.split('id="check-result"')[1]
    assert "与已签发证书完全一致" in result
    assert cert.number in result and "王*" in result and "王喆" not in page.text and "岗位技能四级" in result
    assert "有效" in result and "本平台的电子签名有效" in result and cert.sha256 in result.replace("<wbr>", "")
    assert_no_inline_script(page.text)


def test_the_number_lookup_shows_the_issued_files_sha256_or_that_it_is_being_generated(client, auth, clock):
    holder = db.session.scalars(select(User).where(User.username == "trainee1")).one()
    level = db.session.scalars(select(Level).where(Level.code == "L4")).one()
    attempt = start_attempt(db.session, holder, level, app_clock.now(), certificate_settings())
    db.session.commit()
    auth.login("trainee1")
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    auth.logout()
    cert = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()
    pending = client.get(f"/verify/{cert.verify_code}")
    assert pending.status_code == 200
    assert "证书生成中" in pending.text.split('id="issued-sha256"')[1].split("</dd>")[0]
    render_certificates()
    db.session.refresh(cert)
    page = client.get(f"/verify/{cert.verify_code}").text
    assert cert.sha256 in page.split('id="issued-sha256"')[1].split("</dd>")[0].replace("<wbr>", "")
    assert_no_inline_script(page)


def test_a_forged_pdf_with_the_same_number_is_not_an_issued_file(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.logout()
    values = db.session.get(Certificate, cert.id).render_values
    forged = render_certificate_pdf(values | {"holder_name": "张三丰"})  # same number, same QR link, other name
    assert cert.number in PdfReader(io.BytesIO(forged)).pages[0].extract_text().replace(" ", "")
    page = upload(client, forged)
    assert page.status_code == 200
    result = page.text.split('id="check-result"')[1]
    assert "完全一致" not in result and "不是本平台签发的证书文件" in result and "没有电子签名" in result
    assert cert.number not in result  # no certificate is named for it

    signed_elsewhere = other_signer(f"{ISSUING_BODY} 证书签名 (演示)").sign(forged, cert.number)
    result = upload(client, signed_elsewhere).text.split('id="check-result"')[1]
    assert "不是本平台签发的证书文件" in result and "不是本平台的签名证书所签" in result


def test_the_issued_bytes_with_one_byte_changed_are_reported_as_modified(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.logout()
    page = upload(client, with_one_byte_changed(cert.pdf))
    assert page.status_code == 200
    result = page.text.split('id="check-result"')[1]
    assert "完全一致" not in result and "文件已被修改" in result and "签名已失效" in result


def test_an_appended_edit_is_reported_as_a_modified_copy_of_its_certificate(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.logout()
    page = upload(client, with_an_appended_edit(cert.pdf))
    assert page.status_code == 200
    result = page.text.split('id="check-result"')[1]
    assert "完全一致" not in result and "文件已被修改" in result and "签发后被追加了修改" in result
    assert cert.number in result  # which certificate it was before the edit


def test_pasting_the_sha256_finds_the_certificate(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.logout()
    pasted = " ".join(cert.sha256[i:i + 8] for i in range(0, 64, 8)).upper() + "\n"  # as some tools print it
    page = client.get("/verify/file", query_string={"sha256": pasted})
    assert page.status_code == 200
    result = page.text.split('id="check-result"')[1]
    assert "与已签发证书完全一致" in result and cert.number in result and "王*" in result

    other = hashlib.sha256(with_one_byte_changed(cert.pdf)).hexdigest()
    result = client.get("/verify/file", query_string={"sha256": other}).text.split('id="check-result"')[1]
    assert "完全一致" not in result and "不是本平台签发的证书文件, 或文件已被修改" in result


def test_a_revoked_certificates_file_is_the_original_but_says_it_is_revoked(client, auth, clock):
    cert = certificate_for(client, auth)
    auth.login("hr1")
    client.post(f"/hr/certificates/{cert.id}/revoke", data={"reason": "冒名顶替考试"})
    auth.logout()
    result = upload(client, cert.pdf).text.split('id="check-result"')[1]
    assert "与已签发证书完全一致" in result and "已撤销" in result and "不再有效" in result
    assert "冒名顶替" not in result


NOT_A_PDF = "上传的文件不是 PDF"


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"hello, this is not a certificate", "certificate.pdf", NOT_A_PDF),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "scan.png", NOT_A_PDF),
    (b"", "empty.pdf", "上传的文件是空的"),
    (b"%PDF-1.7\n% a header and nothing else", "broken.pdf", "不是本平台签发的证书文件"),
    (b"%PDF-1.7\n" + b"\x00" * (10 * 1024 * 1024), "huge.pdf", "文件超过 10 MB"),
], ids=["text", "png", "empty", "pdf-header-only", "over-10-mb"])
def test_malformed_uploads_are_answered_in_chinese_never_with_a_5xx(client, data, filename, message):
    page = upload(client, data, filename)
    assert page.status_code in (200, 400, 413)
    assert message in page.text


def test_a_post_without_a_file_is_answered_in_chinese(client):
    page = client.post("/verify/file", data={}, content_type="multipart/form-data")
    assert page.status_code in (200, 400) and "请选择要核对的证书 PDF 文件" in page.text


def test_a_request_larger_than_the_apps_limit_gets_the_size_message(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    page = upload(client, b"%PDF-1.7\n" + b"\x00" * (128 * 1024))
    assert page.status_code == 413 and "文件超过 10 MB" in page.text


@pytest.mark.parametrize("pasted", [
    "not a hash", "g" * 64, "a" * 63, "a" * 65, "a" * 100_000, "", "   ", "<script>alert(1)</script>",
], ids=["words", "non-hex", "63-digits", "65-digits", "100k-characters", "empty", "spaces", "markup"])
def test_a_malformed_sha256_is_refused_in_chinese_never_with_a_5xx(client, pasted):
    page = client.get("/verify/file", query_string={"sha256": pasted})
    assert page.status_code == 200
    assert "SHA-256 应为 64 位十六进制字符" in page.text and "<script>alert" not in page.text
    assert len(page.data) < 50_000  # a long paste is not echoed back


def test_the_upload_needs_the_pages_csrf_token(app, client, auth, clock, monkeypatch):
    cert = certificate_for(client, auth)
    auth.logout()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert upload(client, cert.pdf).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/verify").text).group(1)
    page = upload(client, cert.pdf, csrf_token=token)
    assert page.status_code == 200 and "与已签发证书完全一致" in page.text
