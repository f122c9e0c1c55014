"""Operations on issued certificates: revoke with a reason, CLI list/verify, token-authenticated JSON,
HR search and export (.xlsx manifest, ZIP), template versions."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime, timedelta

from helpers import answer_all, render_certificates
from jinja2 import DictLoader, Environment, select_autoescape
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from exam import clock as app_clock
from exam.extensions import db
from exam.models import ApiToken, AuditEvent, Certificate, Level, Organization, User
from exam.services import certificates
from exam.services.api_tokens import issue_token
from exam.services.attempts import start_attempt
from exam.web import hr
from exam.web.common import certificate_settings


def certificate_for(client, auth, username: str = "trainee1", level_code: str = "L4") -> Certificate:
    """The trainee passes ``level_code`` and gets its certificate. The certification attempt is opened by the
    service directly (how a sitting admits the trainee is not what these tests are about); answers and the
    submission go through the trainee's pages."""
    holder = db.session.scalars(select(User).where(User.username == username)).one()
    level = db.session.scalars(select(Level).where(Level.code == level_code)).one()
    attempt = start_attempt(db.session, holder, level, app_clock.now(), certificate_settings())
    db.session.commit()
    auth.login(username)
    answer_all(client, attempt)
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    render_certificates()
    return db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt.id)).one()


def admin() -> User:
    return db.session.scalars(select(User).where(User.username == "admin1")).one()


def test_hr_revokes_with_a_reason_and_verify_shows_it_while_the_pdf_stays(client, auth, clock):
    cert = certificate_for(client, auth)
    pdf = cert.pdf
    auth.login("hr1")
    client.post(f"/hr/certificates/{cert.id}/revoke", data={"reason": ""})
    db.session.refresh(cert)
    assert cert.revoked_at is None  # no reason, no revocation
    client.post(f"/hr/certificates/{cert.id}/revoke", data={"reason": "冒名顶替考试"})
    db.session.refresh(cert)
    assert cert.revoked_at is not None and cert.pdf == pdf
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.revoke")).one()
    assert event.detail["reason"] == "冒名顶替考试"
    page = client.get(f"/verify/{cert.verify_code}").text
    assert "已撤销" in page and "冒名顶替" not in page  # status only, never the reason or the full name


def test_a_number_with_a_typo_is_recognised_as_a_typo_on_verify(client, auth, clock):
    cert = certificate_for(client, auth)
    typo = cert.number[:-3] + ("1" if cert.number[-3] != "1" else "2") + cert.number[-2:]
    page = client.get(f"/verify/{typo}")
    assert page.status_code == 404 and "校验位不符" in page.text


def test_cli_lists_and_verifies_with_the_exit_code_of_the_status(app, client, auth, clock):
    cert = certificate_for(client, auth)
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["certificates", "list", "--level", "L4", "--status", "valid", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["number"]: r for r in json.loads(listed.output)}
    row = rows[cert.number]
    assert row["holder"] == "王喆" and row["organization"] == "广州分公司" and row["status"] == "valid"
    assert row["sha256"] == cert.sha256 and row["verify_url"].endswith(f"/verify/{cert.verify_code}")
    assert runner.invoke(args=["certificates", "verify", cert.number]).exit_code == 0
    bad = cert.number[:-1] + ("A" if cert.number[-1] != "A" else "B")
    assert runner.invoke(args=["certificates", "verify", bad]).exit_code == 2
    assert runner.invoke(args=["certificates", "revoke", cert.number, "--reason", "测试撤销"]).exit_code == 0
    revoked = runner.invoke(args=["certificates", "verify", cert.number])
    assert revoked.exit_code == 1 and "revoked" in revoked.output
    still_valid = json.loads(runner.invoke(args=["certificates", "list", "--status", "valid", "--json"]).output)
    assert cert.number not in {r["number"] for r in still_valid}


def test_the_api_needs_a_live_token_and_lists_changes_since_a_time(client, auth, clock):
    cert = certificate_for(client, auth)
    row, token = issue_token(db.session, "集团人力系统", actor_id=admin().id, now=clock.now)
    db.session.commit()
    client.get("/logout")
    assert client.get("/api/v1/certificates").status_code == 401
    assert client.get("/api/v1/certificates", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/certificates?changed_since=2000-01-01T00:00:00Z", headers=headers).json
    assert [c["number"] for c in body["certificates"]] == [cert.number] and body["next"] is None
    later = client.get("/api/v1/certificates", headers=headers,
                       query_string={"changed_since": body["certificates"][0]["updated_at"] + "+00:00"}).json
    assert later["certificates"] == []
    one = client.get(f"/api/v1/certificates/{cert.number}", headers=headers).json
    assert one["valid"] is True and one["holder"] == "王喆"
    assert db.session.get(ApiToken, row.id).last_used_at is not None
    assert token not in db.session.scalars(select(ApiToken.token_sha256)).all()  # only the hash is stored
    row.revoked_at = clock.now
    db.session.commit()
    assert client.get(f"/api/v1/certificates/{cert.number}", headers=headers).status_code == 401


# --- template versions: issued once, stored; a template change affects only future certificates ---

NEW_VERSION = "2099.1"
MARKER = "TEMPLATE2099MARKER"


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


def test_a_template_change_affects_only_certificates_issued_after_it(client, auth, clock, monkeypatch):
    old = certificate_for(client, auth)
    stored_pdf, stored_sha, old_version = old.pdf, old.sha256, old.template_version
    assert old_version == certificates.TEMPLATE_VERSION != NEW_VERSION
    assert hashlib.sha256(stored_pdf).hexdigest() == stored_sha and MARKER not in pdf_text(stored_pdf)

    source = (certificates.TEMPLATES / "certificates" / "certificate.html").read_text(encoding="utf-8")
    changed = source.replace("证书编号：{{ number }}<br>", f"{MARKER}<br>证书编号：{{{{ number }}}}<br>")
    assert changed != source
    env = Environment(loader=DictLoader({"certificate.html": changed}), autoescape=select_autoescape(["html"]))
    monkeypatch.setattr(certificates, "certificate_template", lambda: env.get_template("certificate.html"))
    monkeypatch.setattr(certificates, "TEMPLATE_VERSION", NEW_VERSION)

    auth.logout()
    new = certificate_for(client, auth, "trainee2")
    assert new.template_version == NEW_VERSION and MARKER in pdf_text(new.pdf)
    assert hashlib.sha256(new.pdf).hexdigest() == new.sha256

    for username, url in (("hr1", f"/hr/certificates/{old.id}.pdf"), ("trainee1", f"/trainee/certificates/{old.id}.pdf")):
        auth.logout()
        auth.login(username)
        response = client.get(url)
        assert response.status_code == 200, (username, response.status_code)
        assert response.data == stored_pdf, f"{username} got re-rendered bytes"
        assert hashlib.sha256(response.data).hexdigest() == stored_sha
        assert MARKER not in pdf_text(response.data)
    db.session.refresh(old)
    assert (old.template_version, old.sha256) == (old_version, stored_sha)


# --- HR search, paging, .xlsx manifest, ZIP ---

def two_certificates(client, auth) -> tuple[Certificate, Certificate]:
    """王喆 (trainee1, 广州分公司) and 李玥 (trainee2, 深圳分公司, employee number GD0420017), both L4."""
    first = certificate_for(client, auth)
    auth.logout()
    second = certificate_for(client, auth, "trainee2")
    auth.logout()
    second.user.employee_no = "GD0420017"
    db.session.commit()
    auth.login("hr1")
    return first, second


def listed(client, *certs: Certificate, **filters) -> list[Certificate]:
    page = client.get("/hr/certificates", query_string=filters)
    assert page.status_code == 200
    return [c for c in certs if c.number in page.text]


def org_id(code: str) -> int:
    return db.session.scalars(select(Organization.id).where(Organization.code == code)).one()


def test_hr_searches_by_name_employee_number_and_certificate_number(client, auth, clock):
    first, second = two_certificates(client, auth)
    both = (first, second)
    page = client.get("/hr/certificates").text
    assert "共 2 张" in page and "GD0420017" in page
    assert listed(client, *both, q="王") == [first]
    assert listed(client, *both, q="李玥") == [second]
    assert listed(client, *both, q="GD0420017") == [second]  # exact employee number
    assert listed(client, *both, q="GD04") == [second]  # its prefix
    assert listed(client, *both, q="0420017") == []  # not a prefix, not a name
    assert listed(client, *both, q=first.number.lower()) == [first]
    assert listed(client, *both, q="%") == []  # a LIKE wildcard is a plain character
    assert "共 0 张" in client.get("/hr/certificates", query_string={"q": "张三"}).text


def test_hr_filters_by_status_computed_on_the_china_date(client, auth, clock):
    first, second = two_certificates(client, auth)
    both = (first, second)
    assert listed(client, *both, status="valid") == [first, second]
    client.post(f"/hr/certificates/{first.id}/revoke", data={"reason": "冒名顶替考试"})
    assert listed(client, *both, status="revoked") == [first]
    assert listed(client, *both, status="valid") == [second]
    today = certificates.china_date(clock.now)
    second.expires_on = today  # valid through its last day
    db.session.commit()
    assert listed(client, *both, status="valid") == [second]
    assert listed(client, *both, status="expired") == []
    clock.now = datetime.combine(today, datetime.min.time()) + timedelta(hours=16)  # 00:00 the next day in China
    assert listed(client, *both, status="expired") == [second]
    assert listed(client, *both, status="valid") == []
    page = client.get("/hr/certificates", query_string={"status": "expired"}).text
    assert "已过期" in page and "共 1 张" in page
    first.expires_on = date(2020, 1, 1)  # revocation wins over expiry
    db.session.commit()
    assert listed(client, *both, status="expired") == [second]
    assert listed(client, *both, status="revoked") == [first]
    assert listed(client, *both, status="nonsense") == [first, second]


def test_hr_filters_by_organisation_subtree_and_pages_the_list(client, auth, clock, monkeypatch):
    first, second = two_certificates(client, auth)
    both = (first, second)
    assert listed(client, *both, org=org_id("CT-GD")) == [first, second]  # the province holds both cities
    assert listed(client, *both, org=org_id("CT-GD-SZ")) == [second]
    assert listed(client, *both, org=org_id("CT-JS")) == []
    assert listed(client, *both, org=org_id("CT-GD"), q="王") == [first]  # filters combine
    monkeypatch.setattr(hr, "PAGE_SIZE", 1)
    page1 = client.get("/hr/certificates", query_string={"org": org_id("CT-GD")}).text
    page2 = client.get("/hr/certificates", query_string={"org": org_id("CT-GD"), "page": 2}).text
    assert "共 2 张" in page1 and "第 1 / 2 页" in page1 and "page=2" in page1
    assert {c.number for c in both if c.number in page1} ^ {c.number for c in both if c.number in page2} == {
        first.number, second.number}
    assert "certificates.xlsx?" in page1 and f"org={org_id('CT-GD')}" in page1  # export links carry the filters


def manifest_rows(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [tuple(r) for r in wb["证书清单"].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_the_xlsx_export_lists_the_filtered_certificates_with_their_sha256(client, auth, clock):
    first, second = two_certificates(client, auth)
    client.post(f"/hr/certificates/{first.id}/revoke", data={"reason": "测试撤销"})
    response = client.get("/hr/certificates.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = manifest_rows(response.data)
    assert rows[0] == tuple(certificates.MANIFEST_HEADER)
    assert rows[0][:9] == ("证书编号", "姓名", "工号", "单位", "等级", "发证日期", "有效期至", "状态", "SHA-256")
    by_number = {r[0]: r for r in rows[1:]}
    assert len(rows) == 3 and set(by_number) == {first.number, second.number}
    for cert, employee_no, org, status in ((first, "GZ0420011", "广州分公司", "已撤销"),
                                           (second, "GD0420017", "深圳分公司", "有效")):
        row = by_number[cert.number]
        assert row[1] == cert.holder_name and row[2] == employee_no and row[3] == org
        assert row[4] == cert.level.name and row[7] == status and row[8] == cert.sha256
        assert row[5].date() == cert.issued_on and row[6].date() == cert.expires_on
        assert row[9] == f"http://exam.test/verify/{cert.verify_code}"
    only_valid = manifest_rows(client.get("/hr/certificates.xlsx", query_string={"status": "valid"}).data)
    assert [r[0] for r in only_valid[1:]] == [second.number]
    assert manifest_rows(client.get("/hr/certificates.xlsx", query_string={"q": "nobody"}).data) == [
        tuple(certificates.MANIFEST_HEADER)]


def test_the_zip_holds_the_stored_pdfs_and_a_manifest_xlsx_matching_the_export(client, auth, clock):
    first, second = two_certificates(client, auth)
    z = client.get("/hr/certificates.zip", query_string={"org": org_id("CT-GD")})
    assert z.status_code == 200 and z.is_streamed
    with zipfile.ZipFile(io.BytesIO(z.data)) as zf:
        names = zf.namelist()
        assert zf.read(f"{first.number}.pdf") == first.pdf and zf.read(f"{second.number}.pdf") == second.pdf
        in_zip = manifest_rows(zf.read("manifest.xlsx"))
        assert "manifest.csv" in names
    assert sorted(names) == sorted([f"{first.number}.pdf", f"{second.number}.pdf", "manifest.xlsx", "manifest.csv"])
    export = manifest_rows(client.get("/hr/certificates.xlsx", query_string={"org": org_id("CT-GD")}).data)
    assert in_zip == export and {r[8] for r in in_zip[1:]} == {first.sha256, second.sha256}
    only_second = client.get("/hr/certificates.zip", query_string={"q": "GD0420017"})
    with zipfile.ZipFile(io.BytesIO(only_second.data)) as zf:
        assert [r[0] for r in manifest_rows(zf.read("manifest.xlsx"))[1:]] == [second.number]
        assert f"{first.number}.pdf" not in zf.namelist()


def test_the_manifest_keeps_formula_like_text_as_text_and_streams_without_settings():
    row = ("VIP-L4-2026-000001-X", "=HYPERLINK(\"http://evil\")", "-42", "@org", "岗位技能四级",
           date(2026, 11, 22), date(2029, 11, 21), "有效", "ab" * 32, "")
    out = io.BytesIO()
    certificates.write_manifest_xlsx(iter([row]), out)
    wb = load_workbook(io.BytesIO(out.getvalue()))
    ws = wb["证书清单"]
    assert ws["B2"].value == row[1] and ws["B2"].data_type == "s"
    assert ws["C2"].value == "-42" and ws["D2"].value == "@org"
    assert ws["F2"].value.date() == date(2026, 11, 22)


def test_the_zips_manifest_csv_neutralises_formula_like_cells(client, auth, clock):
    first, second = two_certificates(client, auth)
    first.holder_name = '=HYPERLINK("http://evil","x")'
    second.user.employee_no = "+cmd|' /C calc'!A0"
    db.session.flush()
    z = client.get("/hr/certificates.zip", query_string={"org": org_id("CT-GD")})
    with zipfile.ZipFile(io.BytesIO(z.data)) as zf:
        text = zf.read("manifest.csv").decode("utf-8-sig")
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells and "'+cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_pdf_names_the_holder_and_number_and_its_qr_code_opens_the_verify_page(client, auth, clock):
    import pypdfium2
    import zxingcpp

    cert = certificate_for(client, auth)
    pdf = client.get(f"/trainee/certificates/{cert.id}.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "王喆" in text and cert.number in text and "岗位技能四级" in text
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    codes = [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    document.close()
    assert codes == [f"http://exam.test/verify/{cert.verify_code}"]
    auth.logout()
    page = client.get(codes[0].removeprefix("http://exam.test"))
    assert page.status_code == 200 and cert.number in page.text and "有效" in page.text
