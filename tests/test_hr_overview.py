"""HR at a glance: the overview with its charts, certificates expiring soon (.xlsx), and a sitting's 成绩单."""
from __future__ import annotations

import io
from datetime import timedelta

from helpers import answer_all, open_sitting
from openpyxl import load_workbook
from sqlalchemy import select
from test_certificate_ops import certificate_for

from exam.extensions import db
from exam.models import Level, Organization, User
from exam.services.attempts import start_attempt
from exam.services.certificates import china_date
from exam.services.overview import month_keys
from exam.web.charts import bar_chart, line_chart, share_bars, sparkline
from exam.web.common import certificate_settings


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _level(code: str) -> Level:
    return db.session.scalars(select(Level).where(Level.code == code)).one()


def _fail_certification(client, auth, clock, username: str, level: str = "L4") -> None:
    attempt = start_attempt(db.session, _user(username), _level(level), clock.now, certificate_settings())
    db.session.commit()
    auth.login(username)
    client.post(f"/trainee/attempts/{attempt.id}/submit")


def test_hr_lands_on_the_overview_with_its_charts(client, auth, clock):
    certificate_for(client, auth)  # trainee1 passes 四级
    _fail_certification(client, auth, clock, "trainee2")
    auth.login("hr1")
    response = client.post("/login", data={"username": "hr1", "password": "test-password"})
    assert response.location.endswith("/hr/overview/")
    page = client.get("/hr/overview/").text
    for chart in ("certificates-per-month", "pass-rate-by-level", "pass-rate-by-unit"):
        assert f'data-chart="{chart}"' in page
    assert '<p class="big" data-total="issued">1</p>' in page
    assert "<td>岗位技能四级</td><td>2</td><td>1</td><td>50%</td>" in page
    this_month = month_keys(china_date(clock.now))[-1]
    assert f"{this_month[0] % 100:02d}/{this_month[1]:02d}: 1 张" in page  # the bar's tooltip


def test_the_overview_for_one_organisation_counts_only_its_people(client, auth, clock):
    certificate_for(client, auth)  # trainee1 of 广州分公司
    auth.login("hr1")
    js = db.session.scalars(select(Organization).where(Organization.code == "CT-JS")).one()
    page = client.get("/hr/overview/", query_string={"org": js.id}).text
    assert "江苏分公司及其下级单位" in page and '<p class="big" data-total="issued">0</p>' in page
    gd = db.session.scalars(select(Organization).where(Organization.code == "CT-GD")).one()
    page = client.get("/hr/overview/", query_string={"org": gd.id}).text
    assert '<p class="big" data-total="issued">1</p>' in page and "广州分公司" in page


def test_certificates_expiring_within_90_days_are_listed_and_exported(client, auth, clock):
    cert = certificate_for(client, auth)
    today = china_date(clock.now)
    auth.login("hr1")
    assert cert.number not in client.get("/hr/overview/").text  # valid for years
    cert.expires_on = today + timedelta(days=30)
    db.session.commit()
    page = client.get("/hr/overview/").text
    assert cert.number in page and "<td>30</td>" in page
    sheet = load_workbook(io.BytesIO(client.get("/hr/overview/expiring.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("证书编号", "姓名", "工号", "单位", "等级", "发证日期", "有效期至", "剩余天数")
    assert rows[2][0] == cert.number and rows[2][1] == "王喆" and rows[2][2] == "GZ0420011" and rows[2][7] == 30
    cert.expires_on = today + timedelta(days=91)
    db.session.commit()
    assert len(list(load_workbook(io.BytesIO(client.get("/hr/overview/expiring.xlsx").data)).active.iter_rows())) == 2


def test_a_sittings_result_list_has_per_area_scores_and_exports_them(client, auth, clock):
    sitting, _report = open_sitting("L4", ["trainee1", "trainee2"], now=clock.now)
    attempt = start_attempt(db.session, _user("trainee1"), sitting.level, clock.now, certificate_settings(),
                            sitting=sitting)
    db.session.commit()
    auth.login("trainee1")
    answer_all(client, attempt, only=set(range(1, 60)))
    client.post(f"/trainee/attempts/{attempt.id}/submit")
    db.session.refresh(attempt)
    auth.login("hr1")
    assert f"/hr/sittings/{sitting.id}/results" in client.get(f"/hr/sittings/{sitting.id}").text
    page = client.get(f"/hr/sittings/{sitting.id}/results").text
    assert 'data-user="trainee1"' in page and 'data-user="trainee2"' in page
    assert "W01 客户关怀" in page and "满分 15" in page
    sheet = load_workbook(io.BytesIO(client.get(f"/hr/sittings/{sitting.id}/results.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[1]
    assert header[:5] == ("姓名", "工号", "用户名", "单位", "状态") and "W01 客户关怀 (满分 15)" in header
    by_user = {r[2]: r for r in rows[2:]}
    mine = by_user["trainee1"]
    areas = [v for h, v in zip(header, mine, strict=True) if "满分" in str(h)]
    assert mine[7] == attempt.score and abs(sum(areas) - attempt.score) < 0.01
    assert by_user["trainee2"][4] == "未开始" and by_user["trainee2"][7] is None


def test_charts_are_plain_svg_with_their_numbers_as_text():
    bars = str(bar_chart("x", "每月发证数", ["01", "02"], [3, 0]))
    assert bars.startswith("<svg") and "<title>每月发证数</title>" in bars and ">3</text>" in bars
    assert "<script" not in bars and "style=" not in bars
    lines = str(line_chart("y", "合格率", ["01", "02", "03"], [("四级", [0.5, None, 1.0])]))
    assert "<polyline" not in lines  # a gap: no line across a month without attempts
    assert "四级 01: 50%" in lines and "四级 03: 100%" in lines
    assert "<polyline" in str(sparkline("z", "走势", [0.2, 0.4, None, 0.9]))
    assert "—" in str(share_bars("u", "各单位", [("广东分公司", None, "0/0")]))
    assert "&lt;b&gt;" in str(bar_chart("x", "<b>", ["<b>"], [1]))


def test_months_run_back_over_the_new_year():
    from datetime import date

    assert month_keys(date(2026, 2, 10), 4) == [(2025, 11), (2025, 12), (2026, 1), (2026, 2)]


def test_spreadsheet_cells_never_become_formulas():
    from exam.services.sheets import write_table_xlsx

    out = io.BytesIO()
    write_table_xlsx(out, "成绩单", ["姓名", "总分"], [("=HYPERLINK(\"x\")", 88.5)], title="+考场")
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A1"].data_type == "s" and sheet["A3"].data_type == "s" and sheet["A3"].value.startswith("=")
    assert sheet["B3"].value == 88.5
