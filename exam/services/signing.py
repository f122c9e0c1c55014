"""The issuing body's PAdES signature on certificate PDFs: applied once when a PDF is rendered, checkable by anyone.

The signature is PAdES baseline B-B (CAdES detached, no timestamp server: the platform runs on intranets). Key
and certificate come from ``EXAM_SIGNING_KEY`` / ``EXAM_SIGNING_CERT``; without them a self-signed demonstration
pair is generated once into ``instance/signing/``. The signer is loaded once per process.
"""
from __future__ import annotations

import enum
import fcntl
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import KeyUsageConstraints, validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

__all__ = ["CertificateSigner", "SignatureCheck", "SignatureState", "check_signature", "configured_certificate",
           "configured_signer", "demo_signing_files", "load_certificate", "load_signer", "signing_files"]

FIELD_NAME = "IssuerSignature"
DEMO_VALID_YEARS = 10
#: key usages either of which makes a certificate fit to sign documents
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


class SignatureState(enum.StrEnum):
    """What the embedded signature of an uploaded PDF says, from the platform's point of view."""

    #: signed with the platform's certificate, and not one byte changed since
    VALID = "valid"
    #: the platform's intact signature, but content was appended after signing (an incremental update)
    APPENDED = "appended"
    #: a signature whose digest no longer matches the bytes it covers (or that does not cover its own
    #: revision): the file was altered
    BROKEN = "broken"
    #: an intact signature, but not by the platform's signing certificate
    OTHER_SIGNER = "other_signer"
    #: no signature at all
    UNSIGNED = "unsigned"
    #: not a PDF that can be read
    UNREADABLE = "unreadable"

    @property
    def label(self) -> str:
        return {
            "valid": "本平台的电子签名有效, 签名后文件未被改动",
            "appended": "带有本平台的有效电子签名, 但签名后文件被追加了修改",
            "broken": "带有电子签名, 但签名后内容被改动, 签名已失效",
            "other_signer": "带有电子签名, 但不是本平台的签名证书所签",
            "unsigned": "没有电子签名",
            "unreadable": "无法读取文件中的电子签名",
        }[self.value]


@dataclass(frozen=True)
class SignatureCheck:
    state: SignatureState
    #: SHA-256 of the bytes as they were signed (the signed revision), when the platform's signature is intact:
    #: for ``APPENDED`` this is the file as issued, before anything was added to it
    signed_sha256: str | None = None


class _ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its private key again for every signature it makes (two per PDF: a size
    estimate, then the real one), and cryptography's consistency check of an RSA key costs about 0.3 s. This one
    signs with the key parsed once when the signer was loaded."""

    def __init__(self, private_key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        key, digest = self._private_key, get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


class CertificateSigner:
    """Signs certificate PDFs with one key and its certificate (the first of the certificate file; any others
    are its chain, embedded in the signature)."""

    def __init__(self, key_pem: bytes, cert_pem: bytes, password: str | None, issuing_body: str) -> None:
        certs = list(load_certs_from_pemder_data(cert_pem))
        if not certs:
            raise ValueError("签名证书文件中没有证书 (EXAM_SIGNING_CERT)")
        passphrase = password.encode() if password else None
        load = serialization.load_pem_private_key if b"-----BEGIN" in key_pem else serialization.load_der_private_key
        private_key = load(key_pem, passphrase)
        spki = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        if spki != certs[0].public_key.dump():
            raise ValueError("签名私钥与签名证书不匹配 (EXAM_SIGNING_KEY / EXAM_SIGNING_CERT)")
        pkcs8 = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        self.certificate: asn1_x509.Certificate = certs[0]
        self.issuing_body = issuing_body
        #: hex digits reserved for the signature container, learnt from the first signature
        self._reserved: int | None = None
        self._signer = _ParsedKeySigner(
            private_key, signing_cert=certs[0], signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
            cert_registry=SimpleCertificateStore.from_certs(certs[1:]))

    @property
    def subject(self) -> str:
        """The signing certificate's subject, e.g. "Common Name: 中国电信集团公司 证书签名 (演示), …"."""
        return self.certificate.subject.human_friendly

    def sign(self, pdf: bytes, number: str = "") -> bytes:
        """The PDF with an invisible PAdES B-B signature appended as an incremental update."""
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            name=self.issuing_body, location=f"{self.issuing_body} 岗位技能认证考试平台",
            reason=f"{self.issuing_body}签发岗位技能认证证书" + (f" {number}" if number else ""),
            signer_key_usage={"digital_signature", "non_repudiation"},
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        signed = signers.sign_pdf(writer, meta, signer=self._signer, bytes_reserved=self._reserved).getvalue()
        if self._reserved is None:
            # pyHanko sizes the signature's placeholder by first making a throw-away signature (half the cost of
            # signing). The size depends only on the key and certificates (no timestamp server), so the room it
            # chose for the first PDF, with its margin, is kept for the next ones.
            _zero, before, after, _rest = PdfFileReader(io.BytesIO(signed)).embedded_signatures[-1].byte_range
            self._reserved = int(after) - int(before) - 2  # the hex string between its < >
        return signed


def check_signature(pdf: bytes, trusted: asn1_x509.Certificate) -> SignatureCheck:
    """What a file's embedded signature says, validated with ``trusted`` (the platform's signing certificate) as
    the only trust root and without fetching anything (no revocation servers on an intranet)."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
    except Exception:  # noqa: BLE001  (whatever an upload holds, the answer is a verdict, never a 500)
        return SignatureCheck(SignatureState.UNREADABLE)
    if not signatures:
        return SignatureCheck(SignatureState.UNSIGNED)
    ours = [s for s in signatures if _signer_cert(s) is not None and _signer_cert(s).dump() == trusted.dump()]
    if not ours:  # whatever name a forger's certificate claims, it is not this one
        return SignatureCheck(SignatureState.OTHER_SIGNER)
    embedded = ours[-1]
    try:
        # judged at the signing time the signature itself asserts (a signed attribute, so only the key's holder
        # chose it): a certificate's PDF stays valid after the signing certificate expires
        context = ValidationContext(trust_roots=[trusted], allow_fetching=False,
                                    moment=embedded.self_reported_timestamp)
        status = validate_pdf_signature(embedded, context, key_usage_settings=_KEY_USAGE)
    except Exception:  # noqa: BLE001
        return SignatureCheck(SignatureState.BROKEN)
    if not status.intact or not status.valid:
        return SignatureCheck(SignatureState.BROKEN)
    if not status.trusted:  # the right certificate, but not fit to sign then (validity, key usage)
        return SignatureCheck(SignatureState.OTHER_SIGNER)
    _start, _length, after, rest = (int(n) for n in embedded.byte_range)
    signed = hashlib.sha256(pdf[:after + rest]).hexdigest()
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(SignatureState.VALID, signed)
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return SignatureCheck(SignatureState.APPENDED, signed)
    return SignatureCheck(SignatureState.BROKEN)  # a byte range that does not cover its own revision


def _signer_cert(embedded: Any) -> asn1_x509.Certificate | None:
    try:
        return embedded.signer_cert
    except Exception:  # noqa: BLE001  (a signature without a usable signer certificate)
        return None


@lru_cache(maxsize=4)
def load_signer(key_path: str, cert_path: str, password: str | None, issuing_body: str) -> CertificateSigner:
    """The signer for these files, read once per process."""
    return CertificateSigner(Path(key_path).read_bytes(), Path(cert_path).read_bytes(), password, issuing_body)


@lru_cache(maxsize=4)
def load_certificate(cert_path: str) -> asn1_x509.Certificate:
    """The signing certificate alone (the first of the file), read once per process: checking needs no key."""
    certs = list(load_certs_from_pemder_data(Path(cert_path).read_bytes()))
    if not certs:
        raise ValueError("签名证书文件中没有证书 (EXAM_SIGNING_CERT)")
    return certs[0]


def signing_files() -> tuple[Path | None, Path]:
    """The configured key and certificate (inside an app context; a web host may have only the certificate),
    else the instance's demonstration pair."""
    from flask import current_app

    key, cert = current_app.config.get("SIGNING_KEY"), current_app.config.get("SIGNING_CERT")
    if cert:
        return (Path(key) if key else None), Path(cert)
    return demo_signing_files(Path(current_app.instance_path) / "signing", current_app.config["ISSUING_BODY"])


def configured_signer() -> CertificateSigner:
    """The app's signer: the worker and the CLI run inside an app context."""
    from flask import current_app

    key, cert = signing_files()
    if key is None:
        raise RuntimeError("EXAM_SIGNING_KEY is not set: this process can check certificates but not sign them")
    return load_signer(str(key), str(cert), current_app.config.get("SIGNING_KEY_PASSWORD") or None,
                       current_app.config["ISSUING_BODY"])


def configured_certificate() -> asn1_x509.Certificate:
    """The certificate uploads are checked against (a web process never needs the private key)."""
    return load_certificate(str(signing_files()[1]))


def demo_signing_files(directory: Path, issuing_body: str) -> tuple[Path, Path]:
    """A self-signed key and certificate generated once into ``directory`` (0600) and reused afterwards.

    For laptops and demonstrations only: a verifier cannot tell it from one anybody else generates, so
    production sets ``EXAM_SIGNING_KEY`` and ``EXAM_SIGNING_CERT``. Processes starting together take a
    lock, so they all end up with the same pair.
    """
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key_path.exists() and cert_path.exists()):
            key_pem, cert_pem = _self_signed(issuing_body, datetime.now(UTC))
            for path, data in ((key_path, key_pem), (cert_path, cert_pem)):
                tmp = path.with_suffix(".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
    return key_path, cert_path


def _self_signed(issuing_body: str, now: datetime) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{issuing_body} 证书签名 (演示)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuing_body),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
    ])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * DEMO_VALID_YEARS + DEMO_VALID_YEARS // 4))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
