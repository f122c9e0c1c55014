"""HR edits one trainee's eligibility facts on /hr/facts/trainee: the upload's rules, all of it or nothing, audited."""
from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from test_facts_import import facts, user

from exam.extensions import db
from exam.models import AuditEvent

URL = "/hr/facts/trainee"




def edits() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.facts_edit")
                                   .order_by(AuditEvent.id)))


class _PostForm(HTMLParser):
    """The fields of the page's edit form as a browser would post them, prefilled values included."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self._in_form, self.action = True, a.get("action", "")
        elif not self._in_form:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            else:
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select is not None:
            if self._select not in self.fields or "selected" in a:
                self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None


def page_form(page: str) -> tuple[str, dict[str, str]]:
    parser = _PostForm()
    parser.feed(page)
    assert parser.action.startswith(URL), "no edit form on the page"
    return parser.action.replace("&amp;", "&"), parser.fields


def edit(client, who: str, **changes: str):  # noqa: ANN001, ANN201
    """Open the page, change some fields (the others as prefilled), post; the page after the post."""
    page = client.get(URL, query_string={"who": who})
    assert page.status_code == 200
    action, fields = page_form(page.text)
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)  # an unticked checkbox
        else:
            fields[name] = value
    return client.post(action, data=fields, follow_redirects=True)


def errors_listed(page: str) -> list[str]:
    block = page.split('class="facts-errors"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>([^<]*)</li>", block)


@pytest.fixture
def hr(client, auth, clock):  # noqa: ANN001, ANN201
    user("trainee1").employee_no = "GZ0001"
    db.session.commit()
    auth.login("hr1")
    return client


# --------------------------------------------------------------------------- the page


def test_the_page_shows_the_trainee_the_facts_and_every_routes_reasons(hr):
    page = hr.get(URL, query_string={"who": "GZ0001"}).text  # 工号 or user name
    assert "王喆" in page and "trainee1" in page and "GZ0001" in page and "CT-GD-GZ" in page
    assert "2024-07-01" in page
    assert "完成四级培训 40 学时 ✓" in page
    _, fields = page_form(page)
    assert fields["organization"] == "CT-GD-GZ" and fields["job_start"] == "2024-07-01"
    assert (fields["hours_L4"], fields["hours_L3"], fields["hours_L2"]) == ("40", "48", "")
    assert fields["break_start_1"] == "" and "break_start_3" in fields  # no breaks: blank rows to add some


def test_hr_lowers_the_l4_hours_and_the_page_shows_the_new_eligibility_and_the_audit_has_before_and_after(hr):
    before = facts("trainee1")
    page = edit(hr, "trainee1", hours_L4="32").text
    assert "已保存 王喆 的申报资料" in page
    assert "完成四级培训 32 学时 &lt; 40 学时 ✗" in page
    assert "完成四级培训 40 学时 ✓" not in page
    after = facts("trainee1")
    assert after[:4] == before[:4]  # only the hours changed
    assert [(code, hours) for code, hours, _ in after[4]] == [("L3", 48), ("L4", 32)]

    (event,) = edits()
    assert event.actor_id == user("hr1").id
    assert (event.entity_type, event.entity_id) == ("users", user("trainee1").id)
    assert event.detail["before"]["training"]["L4"] == {"hours": 40, "completed_on": None}
    assert event.detail["after"]["training"]["L4"] == {"hours": 32, "completed_on": None}
    assert event.detail["after"]["training"]["L3"] == event.detail["before"]["training"]["L3"]
    assert event.detail["changed"] == ["training"]
    assert event.detail["before"]["job_start"] == event.detail["after"]["job_start"] == "2024-07-01"


def test_posting_the_form_unchanged_changes_nothing_and_audits_nothing(hr):
    before = facts("trainee2")
    page = edit(hr, "trainee2").text
    assert "李玥 的申报资料没有改动" in page
    assert facts("trainee2") == before and edits() == []


def test_an_overlapping_break_is_refused_naming_the_row_and_nothing_changes(hr):
    before = facts("trainee1")
    response = edit(hr, "trainee1", break_start_1="2025-01-01", break_end_1="2025-03-01",
                    break_start_2="2025-02-01", break_end_2="2025-04-01", hours_L4="32")
    assert response.status_code == 200
    assert errors_listed(response.text) == ["中断 2 开始日期: 中断 2025-01-01~2025-03-01 与 2025-02-01~2025-04-01 重叠"]
    assert "1 处错误, 未保存任何改动" in response.text
    assert facts("trainee1") == before and edits() == []  # the valid L4 change was not written either
    # the form keeps what was typed, and the message is next to the field
    _, fields = page_form(response.text)
    assert (fields["break_start_2"], fields["hours_L4"]) == ("2025-02-01", "32")
    row2 = response.text.split('name="break_start_2"', 1)[1].split("</tr>", 1)[0]
    assert "重叠" in row2


def test_every_problem_is_named_by_its_field(hr):
    before = facts("trainee1")
    page = edit(hr, "trainee1", break_start_1="2025-03-01", break_end_1="2025-01-01",
                break_start_2="2024-01-01", break_end_2="2024-02-01", break_end_3="2025-06-01",
                probation_passed_on="2024-01-02", hours_L4="4.5", hours_L3="1001", completed_L2="2025-01-01").text
    assert errors_listed(page) == [
        "中断 1 结束日期: 中断 2025-03-01~2025-01-01 的复岗日期不晚于开始日期",
        "中断 2 开始日期: 中断 2024-01-01~2024-02-01 早于上岗日期 2024-07-01",
        "中断 3 开始日期: 请填写开始日期 (离开本岗位的第一天)",
        "实习考核合格日期: 实习考核合格日期 2024-01-02 早于上岗日期 2024-07-01",
        "四级学时: 学时应为不小于 0 的整数, 读到 “4.5”",
        "三级学时: 学时 1001 超过 1000, 请检查",
        "二级培训完成日期: 二级培训完成日期要与二级学时同时填写",
    ]
    assert facts("trainee1") == before and edits() == []


def test_a_job_start_in_the_future_is_refused(hr):
    before = facts("trainee1")
    page = edit(hr, "trainee1", job_start="2027-01-01").text
    assert errors_listed(page) == ["上岗日期: 上岗日期 2027-01-01 晚于今天 (2026-11-22)"]
    assert facts("trainee1") == before and edits() == []


def test_adding_and_deleting_breaks(hr):
    assert facts("trainee2")[3] == [(date(2021, 3, 1), date(2021, 9, 1))]
    page = edit(hr, "trainee2", break_start_2="2023-01-01", break_end_2="2023-02-01").text
    assert "已保存 李玥 的申报资料" in page
    assert facts("trainee2")[3] == [(date(2021, 3, 1), date(2021, 9, 1)), (date(2023, 1, 1), date(2023, 2, 1))]
    assert "2023-01-01 ~ 2023-02-01" in page

    page = edit(hr, "trainee2", break_delete_1="1").text
    assert "已保存 李玥 的申报资料" in page
    assert facts("trainee2")[3] == [(date(2023, 1, 1), date(2023, 2, 1))]

    added, deleted = edits()
    assert added.detail["before"]["breaks"] == [["2021-03-01", "2021-09-01"]]
    assert added.detail["after"]["breaks"] == [["2021-03-01", "2021-09-01"], ["2023-01-01", "2023-02-01"]]
    assert deleted.detail["after"]["breaks"] == [["2023-01-01", "2023-02-01"]]
    assert deleted.detail["changed"] == ["breaks"]


def test_clearing_fields_removes_the_facts(hr):
    page = edit(hr, "trainee1", organization="", hours_L3="", job_start="").text
    assert "已保存 王喆 的申报资料" in page
    org, job_start, _, _, training = facts("trainee1")
    assert (org, job_start) == (None, None) and [code for code, *_ in training] == ["L4"]
    assert "未登记上岗日期" in page  # the eligibility says why now
    (event,) = edits()
    assert event.detail["changed"] == ["job_start", "organization", "training"]
    assert event.detail["before"]["organization"] == "CT-GD-GZ" and event.detail["after"]["organization"] is None


def test_an_organisation_a_completion_date_and_a_probation_date(hr):
    page = edit(hr, "trainee1", organization="CT-GD-SZ", probation_passed_on="2024-10-01",
                completed_L4="2024-06-30").text
    assert "已保存 王喆 的申报资料" in page
    org, _, probation, _, training = facts("trainee1")
    assert user("trainee1").organization.code == "CT-GD-SZ" and probation == date(2024, 10, 1)
    assert training == [("L3", 48, None), ("L4", 40, date(2024, 6, 30))]
    assert "上岗实习考核合格 ✓" in page


def test_an_unknown_trainee_gets_a_clear_message_and_nothing_is_written(hr):
    page = hr.get(URL, query_string={"who": "nobody"}).text
    assert "找不到用户名或工号为 “nobody” 的学员" in page
    assert 'name="job_start"' not in page
    before = facts("trainee1")
    response = hr.post(URL, query_string={"who": "nobody"}, data={"who": "nobody", "hours_L4": "1"})
    assert response.status_code == 200 and "找不到用户名或工号为 “nobody” 的学员" in response.text
    assert facts("trainee1") == before and edits() == []
    assert "找不到" not in hr.get(URL).text  # no who yet: only the lookup box


def test_the_upload_page_links_the_lookup(hr):
    page = hr.get("/hr/facts/").text
    assert "单个学员" in page and f'action="{URL}"' in page


def test_only_hr_and_administrators_edit(client, auth, clock):
    before = facts("trainee1")
    for name in ("trainee1", "trainer1"):
        auth.login(name)
        assert client.get(URL, query_string={"who": "trainee1"}).status_code == 403
        assert client.post(URL, data={"who": "trainee1", "hours_L4": "0"}).status_code == 403
    assert facts("trainee1") == before
    auth.login("admin1")
    assert "已保存 王喆 的申报资料" in edit(client, "trainee1", hours_L4="0").text
    assert facts("trainee1")[4][1][:2] == ("L4", 0)
