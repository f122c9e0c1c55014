"""Pages that tell the trainee where they stand: provisional results, passed levels, links everywhere."""
from __future__ import annotations

from sqlalchemy import select

from exam.extensions import db
from exam.models import PaperItem


def test_a_result_awaiting_marking_says_so_per_area_instead_of_zero(client, auth, clock):
    auth.login("trainee1")
    attempt_id = int(client.post("/trainee/levels/L1/mock").location.rsplit("/", 1)[1])
    item = db.session.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt_id,
                                                      PaperItem.type.in_(["short_answer", "case_study"]))).first()
    client.post(f"/trainee/attempts/{attempt_id}/answers",
                json={"answers": [{"item": item.position, "response": "先安抚客户情绪, 再核实问题。", "seq": 1}]})
    client.post(f"/trainee/attempts/{attempt_id}/submit")
    page = client.get(f"/trainee/attempts/{attempt_id}/result").text
    assert f'data-awaiting="{item.area_code}"' in page and "待阅卷" in page and "暂定" in page


def test_a_passed_level_shows_passed_and_its_certificate_on_the_dashboard(client, auth, clock):
    from test_certificate_ops import certificate_for

    cert = certificate_for(client, auth)
    page = client.get("/trainee/").text
    assert 'data-passed="L4"' in page and "已通过" in page and cert.number in page
    assert 'data-passed="L3"' not in page


def test_logged_in_users_have_a_link_to_verify(client, auth):
    for username in ("trainee1", "trainer1", "hr1", "admin1"):
        auth.login(username)
        page = client.get("/", follow_redirects=True).text
        assert 'href="/verify"' in page, username


def test_the_certificate_names_the_level_once():
    from exam.services.certificates import TEMPLATE_VERSION, certificate_template

    html = certificate_template().render(holder_name="王喆", organization="广州分公司", level_name="岗位技能四级",
                                         number="VIP-L4-2026-000001-X", issued_on="2026年11月22日",
                                         expires_on="2029年11月21日", issuing_body="中国电信集团公司",
                                         qr_data_uri="data:,")
    sentence = " ".join(html.split("同志参加", 1)[1].split("特发此证", 1)[0].split())
    assert sentence.startswith("VIP客户服务经理 <span class=\"level\">岗位技能四级</span> 认证考试")
    assert sentence.count("岗位技能") == 1 and TEMPLATE_VERSION != "2026.1"


def test_hr_certificate_filters_are_labelled(client, auth):
    auth.login("hr1")
    page = client.get("/hr/certificates").text
    bar = page.split('id="certificate-filters"', 1)[1].split("</form>", 1)[0]
    assert '<label>搜索 <input type="search" name="q"' in bar
    assert "<label>发证日期从 <input type=\"date\" name=\"from\"" in bar and "<label>至 <input type=\"date\" name=\"to\"" in bar
    assert bar.count("<label>") == 6
