"""Certificates: numbered, rendered once with WeasyPrint and signed, stored with their SHA-256, never re-rendered."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import segno
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam.models import Attempt, Certificate, CertificateSerial, record_audit
from exam.services.numbering import format_number, parse_serial
from question_bank.cells import csv_cell, looks_like_formula

if TYPE_CHECKING:
    from exam.services.signing import CertificateSigner

#: bump when templates/certificates/certificate.html changes; stored on every certificate issued with it.
#: Certificates already issued keep their stored PDF (and version): a template change affects only future ones.
TEMPLATE_VERSION = "2026.2"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CHINA_OFFSET = timedelta(hours=8)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CertificateSettings:
    public_base_url: str
    issuing_body: str

    def verify_url(self, code: str) -> str:
        return f"{self.public_base_url}/verify/{code}"


def china_date(moment: datetime) -> date:
    return (moment + CHINA_OFFSET).date()


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def mask_name(name: str) -> str:
    """张伟 → 张*, 张小伟 → 张*伟, 欧阳小明 → 欧**明."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@lru_cache(maxsize=1)
def _jinja() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES / "certificates"), autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def font_config() -> Any:
    """One FontConfiguration per process: building it costs as much as a render."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _locked_url_fetcher() -> Any:
    """The certificate may only embed data: URLs (the QR code); nothing is fetched from anywhere."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def certificate_template() -> Template:
    """The template new certificates are rendered with (the one ``TEMPLATE_VERSION`` names)."""
    return _jinja().get_template("certificate.html")


def render_certificate_pdf(values: dict[str, str]) -> bytes:
    """Render from plain values only."""
    from weasyprint import HTML

    qr = segno.make(values["verify_url"], error="m")
    html = certificate_template().render(
        qr_data_uri=qr.svg_data_uri(scale=4, border=1), **values
    )
    return HTML(string=html, url_fetcher=_locked_url_fetcher(), base_url=".").write_pdf(font_config=font_config())


#: ``session.info`` key: ids of certificates issued in the current transaction, rendered once it commits
RENDER_AFTER_COMMIT = "certificates_to_render"


def issue_certificate(session: Session, attempt: Attempt, now: datetime, settings: CertificateSettings) -> Certificate:
    """Number and record the certificate of a passed attempt (once; a second call returns it).

    Nothing is rendered here: the values the PDF will show are fixed now, and a background worker
    renders it after the transaction commits (``render_issued_certificate``). Grading, a submit and a
    deadline sweep therefore never wait for WeasyPrint.

    The level's counter row stays locked from the number's allocation until the transaction ends, so
    everything else is read first; the row is inserted with ``ON CONFLICT DO NOTHING`` (no savepoint).
    At the submit spike every passing candidate of a level takes that row in turn.
    """
    existing = session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one_or_none()
    if existing is not None:
        return existing
    if not attempt.passed:
        raise ValueError("only a passed attempt earns a certificate")
    level, user = attempt.level, attempt.user
    issued = china_date(now)
    expires = add_years(issued, level.certificate_validity_years) - timedelta(days=1)
    code = secrets.token_urlsafe(12)
    values = {
        "holder_name": user.full_name, "level_name": level.name, "level_code": level.code,
        "issued_on": f"{issued.year}年{issued.month}月{issued.day}日",
        "expires_on": f"{expires.year}年{expires.month}月{expires.day}日",
        "issuing_body": settings.issuing_body, "verify_url": settings.verify_url(code),
        "organization": user.organization.name if user.organization else "",
    }
    row = dict(attempt_id=attempt.id, user_id=user.id, level_id=level.id, holder_name=user.full_name,
               issued_on=issued, expires_on=expires, verify_code=code, template_version=TEMPLATE_VERSION,
               created_at=now, updated_at=now)
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(Certificate)
    for _try in range(5):
        number = format_number(level.code, issued.year, _next_serial(session, level.code, issued.year))
        cert = session.scalars(insert.values(number=number, render_values={**values, "number": number}, **row)
                               .on_conflict_do_nothing().returning(Certificate)).one_or_none()
        if cert is None:
            # another process issued for this attempt (or took this serial) meanwhile
            existing = session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one_or_none()
            if existing is not None:
                return existing
            continue
        record_audit(session, at=now, actor_id=None, action="certificate.issue", entity=cert, number=number)
        session.info.setdefault(RENDER_AFTER_COMMIT, []).append(cert.id)
        return cert
    raise RuntimeError("could not allocate a certificate number")


def render_issued_certificate(session: Session, cert_id: int, now: datetime,
                              signer: CertificateSigner | None = None) -> bool:
    """Render one issued certificate's PDF from its recorded values, sign it, and store it with its SHA-256.

    Runs in a worker. Once rendered, a certificate is never rendered again: the row is taken with
    ``FOR UPDATE SKIP LOCKED`` and only while ``rendered_at`` is empty, so two workers handed the same
    job (or a job and the sweep) render it once. The stored bytes and hash are those of the signed file.
    ``signer`` defaults to the app's (``EXAM_SIGNING_KEY`` / ``EXAM_SIGNING_CERT``, or the instance's
    demonstration pair): the worker and the CLI run inside an app context. Returns whether this call rendered it.
    """
    if signer is None:
        from exam.services.signing import configured_signer

        signer = configured_signer()  # before taking the row: the first call of a process reads (or makes) the key
    cert = session.scalars(
        select(Certificate).where(Certificate.id == cert_id, Certificate.rendered_at.is_(None))
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if cert is None or cert.render_values is None:
        return False
    pdf = signer.sign(render_certificate_pdf(cert.render_values), cert.number)
    cert.pdf, cert.sha256, cert.rendered_at = pdf, hashlib.sha256(pdf).hexdigest(), now
    cert.template_version = TEMPLATE_VERSION
    session.flush()
    record_audit(session, at=now, actor_id=None, action="certificate.render", entity=cert, number=cert.number,
                 sha256=cert.sha256, template_version=TEMPLATE_VERSION, signed_by=signer.subject)
    return True


def pending_certificates(session: Session, limit: int = 100) -> list[int]:
    """Ids of issued certificates whose PDF is not rendered yet, oldest first."""
    return list(session.scalars(
        select(Certificate.id).where(Certificate.rendered_at.is_(None)).order_by(Certificate.id).limit(limit)))


def _next_serial(session: Session, level_code: str, year: int) -> int:
    """The next serial of (level, year) from its counter row, which stays locked until this transaction ends:
    concurrent graders take numbers in turn instead of colliding on max + 1."""
    bump = (update(CertificateSerial).where(CertificateSerial.level_code == level_code, CertificateSerial.year == year)
            .values(last=CertificateSerial.last + 1).returning(CertificateSerial.last))
    serial = session.scalar(bump)
    if serial is None:  # the first certificate of this level and year
        prefix = f"VIP-{level_code}-{year:04d}-"
        last = session.scalar(select(func.max(Certificate.number)).where(Certificate.number.like(prefix + "%")))
        try:
            with session.begin_nested():
                session.add(CertificateSerial(level_code=level_code, year=year, last=parse_serial(last) if last else 0))
        except IntegrityError:
            pass  # another grader created it meanwhile
        serial = session.scalar(bump)
    return serial


def find_by_code_or_number(session: Session, token: str) -> Certificate | None:
    token = token.strip()
    cert = session.scalars(select(Certificate).where(Certificate.verify_code == token)).one_or_none()
    if cert is None:
        cert = session.scalars(select(Certificate).where(Certificate.number == token.upper())).one_or_none()
    return cert


def normalize_sha256(text: str) -> str | None:
    """A pasted SHA-256 as 64 lowercase hex digits (spaces, line breaks, capitals and full-width characters
    tolerated), or None when it is not one."""
    if len(text) > 256:
        return None
    compact = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    return compact if _SHA256.fullmatch(compact) else None


def find_by_sha256(session: Session, digest: str) -> Certificate | None:
    """The certificate whose stored (signed) PDF has this SHA-256 (lowercase hex), if any."""
    return session.scalars(select(Certificate).where(Certificate.sha256 == digest).order_by(Certificate.id)
                           .limit(1)).first()


def certificate_record(cert: Certificate, today: date, settings: CertificateSettings) -> dict:
    """What operations tools and other HR systems get for one certificate."""
    user = cert.user
    return {
        "number": cert.number, "holder": cert.holder_name, "employee_no": user.employee_no,
        "organization": user.organization.name if user.organization else "",
        "level": cert.level.code, "level_name": cert.level.name,
        "issued_on": cert.issued_on.isoformat(), "expires_on": cert.expires_on.isoformat(),
        "status": cert.status_on(today).value, "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
        "revoke_reason": cert.revoke_reason or None, "sha256": cert.sha256,
        "verify_url": settings.verify_url(cert.verify_code),
        "updated_at": (cert.updated_at or cert.created_at).isoformat(),
    }


def revoke_certificate(session: Session, cert: Certificate, reason: str, *, actor_id: int | None,
                       now: datetime) -> None:
    """Revoked with a written reason (audited); the stored PDF is kept as issued."""
    reason = reason.strip()
    if not reason:
        raise ValueError("撤销证书须写明理由")
    if cert.revoked_at is not None:
        raise ValueError(f"证书 {cert.number} 已于 {cert.revoked_at:%Y-%m-%d} 撤销")
    cert.revoked_at, cert.revoke_reason, cert.revoked_by_id, cert.updated_at = now, reason, actor_id, now
    session.flush()
    record_audit(session, at=now, actor_id=actor_id, action="certificate.revoke", entity=cert, number=cert.number,
                 reason=reason)


class _Sink(io.RawIOBase):
    """An unseekable sink zipfile writes into; the generator drains it after each member."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self._chunks.append(bytes(b))
        return len(b)

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


#: the manifest's columns, in the .xlsx export, the ZIP's manifest.xlsx and its manifest.csv
MANIFEST_HEADER = ["证书编号", "姓名", "工号", "单位", "等级", "发证日期", "有效期至", "状态", "SHA-256", "验证网址"]
_MANIFEST_WIDTHS = [26, 10, 12, 16, 14, 12, 12, 8, 66, 48]
_DATE_COLUMNS = {5, 6}


def manifest_row(cert: Certificate, today: date, settings: CertificateSettings | None = None) -> tuple:
    """One certificate as a small tuple of plain values (never the PDF); the verify URL only with settings."""
    user = cert.user
    org = user.organization
    return (cert.number, cert.holder_name, user.employee_no or "", org.name if org else "", cert.level.name,
            cert.issued_on, cert.expires_on, cert.status_on(today).label, cert.sha256 or "证书生成中",
            settings.verify_url(cert.verify_code) if settings is not None else "")


def _manifest_cell(ws: Any, column: int, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if column in _DATE_COLUMNS and isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not looks_like_formula(text):
        return text
    cell = WriteOnlyCell(ws, value=text)  # a name typed as "=…" stays text, never a formula
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_manifest_xlsx(rows: Iterable[tuple], target: str | os.PathLike | BinaryIO) -> None:
    """The manifest workbook (sheet 证书清单): the header, then one row per ``manifest_row`` tuple.

    openpyxl's write-only mode streams the rows to a temporary file, so a long iterable is not held in memory
    (imported here: with the numpy it loads, a fifth of a second that every other process would pay at start-up).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("证书清单")
    for i, width in enumerate(_MANIFEST_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in MANIFEST_HEADER:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    n = 0
    for row in rows:
        ws.append([_manifest_cell(ws, i, v) for i, v in enumerate(row)])
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(MANIFEST_HEADER))}{n + 1}"
    wb.save(os.fspath(target) if isinstance(target, os.PathLike) else target)


def _csv_value(value: Any) -> str:
    return csv_cell(value)


def stream_certificate_zip(certs: Iterable[Certificate], today: date, *,
                           settings: CertificateSettings | None = None) -> Iterator[bytes]:
    """The stored PDFs, then manifest.xlsx and manifest.csv, yielded member by member.

    Only the PDF being written is in memory; the manifest keeps one small tuple per certificate
    (``manifest_row``) and is written after the last PDF. With ``settings`` it carries the verify URLs.
    """
    sink = _Sink()
    rows: list[tuple] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as zf:
        for cert in certs:
            if cert.pdf is not None:  # one still being rendered is listed in the manifest only
                zf.writestr(f"{cert.number}.pdf", cert.pdf)
            rows.append(manifest_row(cert, today, settings))
            yield sink.drain()
        xlsx = io.BytesIO()
        write_manifest_xlsx(rows, xlsx)
        zf.writestr("manifest.xlsx", xlsx.getvalue())
        yield sink.drain()
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(MANIFEST_HEADER)
        writer.writerows([_csv_value(v) for v in row] for row in rows)
        zf.writestr("manifest.csv", "\ufeff" + text.getvalue())
    yield sink.drain()
