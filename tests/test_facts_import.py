"""HR's bulk upload of eligibility facts from Excel: every row's errors with row and column, or all of it written."""
from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from exam.extensions import db
from exam.models import AuditEvent, Level, ServiceBreak, TrainingRecord, User
from exam.services.certificates import china_date
from exam.services.eligibility import eligibility_by_level
from exam.services.facts_import import apply_facts
from question_bank.facts_sheet import CLEAR, FactsImportError, read_facts_xlsx
from question_bank.facts_template import facts_template_bytes

HEADER = ["工号", "姓名", "单位", "上岗日期", "中断起止", "实习考核合格日期", "四级学时", "三级学时", "二级学时",
          "一级学时", "培训完成日期"]
NOW = datetime(2026, 11, 22, 1, 0)


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def row(**cells: Any) -> list[Any]:
    return [cells.get(c) for c in HEADER]


def user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def facts(name: str) -> tuple:
    """Everything the import may change for one user, as plain values."""
    u = user(name)
    db.session.refresh(u)
    breaks = db.session.execute(select(ServiceBreak.start_on, ServiceBreak.end_on)
                                .where(ServiceBreak.user_id == u.id).order_by(ServiceBreak.start_on)).all()
    training = db.session.execute(select(Level.code, TrainingRecord.hours, TrainingRecord.completed_on).join(
        Level, Level.id == TrainingRecord.level_id).where(TrainingRecord.user_id == u.id).order_by(Level.code)).all()
    return (u.organization_id, u.job_start_date, u.probation_passed_on, [tuple(b) for b in breaks],
            [tuple(t) for t in training])


def training_hours(name: str) -> dict[str, int]:
    return {code: hours for code, hours, _ in facts(name)[4]}


@pytest.fixture
def staff(app, clock):  # noqa: ANN001, ANN201
    """The demo trainees carry no employee numbers; give them some."""
    user("trainee1").employee_no = "GZ0001"
    user("trainee2").employee_no = "SZ0002"
    db.session.commit()


def upload(client, data: bytes, name: str = "申报资料.xlsx"):  # noqa: ANN001, ANN201
    return client.post("/hr/facts/", data={"file": (BytesIO(data), name)}, content_type="multipart/form-data",
                       follow_redirects=True)


def level_card(page: str, level_name: str) -> str:
    """The text of one level's card on the trainee dashboard."""
    for card in page.split("<article")[1:]:
        if f">{level_name}<" in card:
            return card.split("</article>")[0]
    raise AssertionError(f"no card for {level_name}")


def eligible(name: str) -> dict[str, bool]:
    levels = list(db.session.scalars(select(Level)))
    decisions = eligibility_by_level(db.session, user(name), levels, china_date(NOW))
    return {lv.code: decisions[lv.id].eligible for lv in levels}


# --------------------------------------------------------------------------- the page, end to end


def test_a_good_file_updates_the_facts_and_the_trainees_eligibility(client, auth, staff):
    t1 = user("trainee1")
    l4 = db.session.scalars(select(Level).where(Level.code == "L4")).one()
    db.session.scalars(select(TrainingRecord).where(TrainingRecord.user_id == t1.id,
                                                    TrainingRecord.level_id == l4.id)).one().hours = 32
    db.session.commit()
    auth.login("trainee1")
    before = client.get("/trainee/").text
    assert "暂不可报考" in level_card(before, "岗位技能四级")  # 32 < 40 hours, no probation
    assert "暂不可报考" in level_card(before, "岗位技能三级(中级)")  # 1½ years
    assert eligible("trainee1") == {"L4": False, "L3": False, "L2": False, "L1": False}
    t2_before = facts("trainee2")

    auth.login("hr1")
    data = xlsx([
        row(工号="GZ0001", 姓名="王 喆", 单位="深圳分公司", 上岗日期="2019/7/1", 中断起止="2020-01-01~2020-03-01",
            实习考核合格日期=datetime(2019, 10, 1), 四级学时=40, 三级学时="48"),
        row(工号="SZ0002", 中断起止="无", 二级学时="56学时", 培训完成日期="2024年6月30日"),
    ])
    page = upload(client, data).text
    assert "已更新 2 名学员的申报资料 (共 2 行)" in page

    org, job_start, probation, breaks, training = facts("trainee1")
    assert (user("trainee1").organization.code, job_start, probation) == ("CT-GD-SZ", date(2019, 7, 1), date(2019, 10, 1))
    assert breaks == [(date(2020, 1, 1), date(2020, 3, 1))]
    assert training_hours("trainee1") == {"L4": 40, "L3": 48}
    # empty cells left trainee2's organisation, job start and L4 hours alone; 无 cleared the break
    org2, job2, _, breaks2, training2 = facts("trainee2")
    assert (org2, job2) == t2_before[:2] and breaks2 == [] and t2_before[3] != []
    assert training2 == [("L2", 56, date(2024, 6, 30)), ("L4", 40, None)]

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.facts_import")).one()
    assert event.actor_id == user("hr1").id
    assert event.detail["filename"] == "申报资料.xlsx" and event.detail["users_updated"] == 2
    assert event.detail["rows"] == 2 and event.detail["breaks_replaced"] == 2

    auth.login("trainee1")
    after = client.get("/trainee/").text
    assert "可以报考" in level_card(after, "岗位技能四级") and "暂不可报考" not in level_card(after, "岗位技能四级")
    assert "符合途径B" in level_card(after, "岗位技能三级(中级)")  # > 3 cumulative years now
    assert eligible("trainee1") == {"L4": True, "L3": True, "L2": False, "L1": False}


def test_errors_in_two_rows_write_nothing_and_the_page_lists_both(client, auth, staff):
    before = facts("trainee1"), facts("trainee2")
    auth.login("hr1")
    data = xlsx([
        row(工号="GZ0001", 上岗日期="2018-01-01", 四级学时=60),  # fine on its own
        row(工号="SZ0002", 上岗日期="2024-13-01", 单位="火星分公司"),
        row(工号="X9999", 中断起止="2021-09-01~2021-03-01"),
    ])
    page = upload(client, data, "bad.xlsx").text
    # problems of reading and of checking against the database are all listed, in row and column order
    listed = re.findall(r"<li>(第 \d+ 行 [^<]*)</li>", page)
    assert listed == [
        "第 3 行 单位: 单位 “火星分公司” 不存在 (填单位代码或名称)",
        "第 3 行 上岗日期: 无法识别的日期 “2024-13-01” (应为 2024-07-01、2024/7/1 或 2024年7月1日)",
        "第 4 行 工号: 工号 “X9999” 不存在",
        "第 4 行 中断起止: 中断 2021-09-01~2021-03-01 的复岗日期不晚于开始日期",
    ]
    assert "bad.xlsx: 4 处错误, 未写入任何数据" in page
    assert (facts("trainee1"), facts("trainee2")) == before
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.facts_import")).all() == []


def test_unknown_employee_number(client, auth, staff):
    auth.login("hr1")
    page = upload(client, xlsx([row(工号="GZ0001", 四级学时=50), row(工号="X9999", 四级学时=40)])).text
    assert "第 3 行 工号: 工号 “X9999” 不存在" in page
    assert training_hours("trainee1")["L4"] == 40


def test_a_name_that_does_not_match_the_employee_number_refuses_the_file(client, auth, staff):
    auth.login("hr1")
    page = upload(client, xlsx([row(工号="GZ0001", 姓名="李玥", 上岗日期="2018-01-01")])).text
    assert "第 2 行 姓名: 姓名 “李玥” 与工号 GZ0001 登记的姓名 “王喆” 不符" in page
    assert facts("trainee1")[1] == date(2024, 7, 1)


def test_a_duplicate_employee_number_refuses_the_file(client, auth, staff):
    auth.login("hr1")
    page = upload(client, xlsx([row(工号="GZ0001", 四级学时=41), row(工号="SZ0002"),
                                row(工号="GZ0001", 四级学时=42)])).text
    assert "第 4 行 工号: 工号 GZ0001 与第 2 行重复" in page
    assert training_hours("trainee1")["L4"] == 40


def test_bad_dates_hours_and_breaks_are_reported_per_cell(client, auth, staff):
    auth.login("hr1")
    page = upload(client, xlsx([
        row(工号="GZ0001", 上岗日期="下周一", 实习考核合格日期="2024-02-30", 三级学时="4.5"),
        row(工号="SZ0002", 中断起止="2020-01-01~2020-06-01; 2020-05-01~2020-07-01"),
    ])).text
    assert "第 2 行 上岗日期: 无法识别的日期 “下周一”" in page
    assert "第 2 行 实习考核合格日期: 无法识别的日期 “2024-02-30”" in page
    assert "第 2 行 三级学时: 学时应为不小于 0 的整数, 读到 “4.5”" in page
    assert "第 3 行 中断起止: 中断 2020-01-01~2020-06-01 与 2020-05-01~2020-07-01 重叠" in page


def test_the_template_round_trips(client, auth, staff):
    auth.login("hr1")
    response = client.get("/hr/facts/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames == ["申报资料", "说明"]
    ws = wb["申报资料"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["工号", "姓名", "单位", "上岗日期"]
    assert ws.cell(row=2, column=1).value  # the example row
    example = read_facts_xlsx(response.data, "template.xlsx")
    assert example.errors == [] and len(example.rows) == 1  # the example itself parses cleanly

    values = {"工号": "SZ0002", "姓名": "李玥", "单位": "CT-GD-SZ", "上岗日期": datetime(2018, 3, 1),
              "中断起止": "2021-03-01~2021-09-01; 2023-01-01~2023-02-01", "实习考核合格日期": datetime(2018, 6, 1),
              "四级学时": 40, "三级学时": 48, "二级学时": None, "一级学时": None, "培训完成日期": datetime(2024, 6, 30)}
    for i, title in enumerate(header, 1):
        ws.cell(row=2, column=i, value=values[title])
    out = BytesIO()
    wb.save(out)
    page = upload(client, out.getvalue(), "申报资料导入模板.xlsx").text
    assert "已更新 1 名学员的申报资料 (共 1 行)" in page
    org, job_start, probation, breaks, training = facts("trainee2")
    assert (job_start, probation) == (date(2018, 3, 1), date(2018, 6, 1))
    assert breaks == [(date(2021, 3, 1), date(2021, 9, 1)), (date(2023, 1, 1), date(2023, 2, 1))]
    assert training == [("L3", 48, date(2024, 6, 30)), ("L4", 40, date(2024, 6, 30))]


def test_the_unchanged_template_example_is_refused(client, auth, staff):
    auth.login("hr1")
    page = upload(client, facts_template_bytes()).text
    assert "第 2 行 工号: 工号 “GZ000123” 不存在" in page


def test_a_file_that_is_not_a_workbook_is_refused(client, auth, staff):
    auth.login("hr1")
    page = upload(client, "工号,姓名\nGZ0001,王喆\n".encode(), "facts.csv").text
    assert "facts.csv: 不是 Excel (.xlsx) 文件" in page


def test_only_hr_and_administrators_upload(client, auth, staff):
    for name in ("trainee1", "trainer1"):
        auth.login(name)
        assert client.get("/hr/facts/").status_code == 403
        assert upload(client, xlsx([row(工号="GZ0001", 四级学时=0)])).status_code == 403
    assert training_hours("trainee1")["L4"] == 40
    auth.login("admin1")
    assert "已更新 1 名学员" in upload(client, xlsx([row(工号="GZ0001", 四级学时=0)])).text


# --------------------------------------------------------------------------- the service


def test_headers_tolerate_width_spaces_notes_aliases_and_usernames(app, staff):
    data = xlsx([["trainee1", "王喆", "2019.7.1", 20190901, "45", "备注随便写"]],
                header=["用 户 名", "姓名（必填）", "本职业上岗日期", "实习考核合格", "L4学时", "备注"])
    sheet = read_facts_xlsx(data, "x.xlsx")
    assert sheet.errors == [] and sheet.ignored_columns == ("备注",)
    (r,) = sheet.rows
    assert (r.username, r.job_start, r.probation_passed_on, r.training) == (
        "trainee1", date(2019, 7, 1), date(2019, 9, 1), {"L4": 45})
    report = apply_facts(db.session, sheet, actor_id=None, now=NOW)
    assert report.users_updated == 1 and "已忽略无法识别的列: 备注" in report.summary
    assert facts("trainee1")[1:3] == (date(2019, 7, 1), date(2019, 9, 1))


def test_an_unchanged_row_counts_as_unchanged_and_no_clears(app, staff):
    sheet = read_facts_xlsx(xlsx([row(工号="GZ0001", 上岗日期=date(2024, 7, 1), 四级学时=40),
                                  row(工号="SZ0002", 单位="无", 四级学时="无")]), "x.xlsx")
    assert sheet.rows[1].organization is CLEAR
    report = apply_facts(db.session, sheet, actor_id=None, now=NOW)
    assert (report.users_updated, report.users_unchanged) == (1, 1)
    assert facts("trainee2")[0] is None and training_hours("trainee2") == {}


def test_dates_must_not_be_in_the_future_nor_breaks_before_the_job_start(app, staff):
    sheet = read_facts_xlsx(xlsx([
        row(工号="GZ0001", 上岗日期="2027-01-01"),
        row(工号="SZ0002", 中断起止="2019-01-01~2019-10-01"),  # trainee2 started on 2019-09-01
    ]), "x.xlsx")
    assert sheet.errors == []
    with pytest.raises(FactsImportError) as exc:
        apply_facts(db.session, sheet, actor_id=None, now=NOW)
    assert [str(e) for e in exc.value.errors] == [
        "第 2 行 上岗日期: 上岗日期 2027-01-01 晚于今天 (2026-11-22)",
        "第 3 行 中断起止: 中断 2019-01-01~2019-10-01 早于上岗日期 2019-09-01",
    ]


def test_a_later_job_start_must_come_with_the_breaks_it_would_leave_behind(app, staff):
    # trainee2 has a break in 2021; moving the job start past it without restating the breaks is refused
    with pytest.raises(FactsImportError) as exc:
        apply_facts(db.session, read_facts_xlsx(xlsx([row(工号="SZ0002", 上岗日期="2022-01-01")]), "x.xlsx"),
                    actor_id=None, now=NOW)
    assert re.search(r"第 2 行 上岗日期: 已登记的中断 2021-03-01~2021-09-01 早于上岗日期 2022-01-01",
                     str(exc.value.errors[0]))
    report = apply_facts(db.session, read_facts_xlsx(
        xlsx([row(工号="SZ0002", 上岗日期="2022-01-01", 中断起止="无")]), "x.xlsx"), actor_id=None, now=NOW)
    assert report.users_updated == 1 and facts("trainee2")[3] == []


def test_header_problems(app):
    sheet = read_facts_xlsx(xlsx([["王喆", "2020-01-01"]], header=["姓名", "上岗日期"]), "x.xlsx")
    assert [str(e) for e in sheet.errors] == ["第 1 行 表头: 缺少列 工号 (或 用户名) (请使用申报资料模板, 第 1 行为列标题)"]
    sheet = read_facts_xlsx(xlsx([], header=["工号", "上岗日期", "上岗时间"]), "x.xlsx")
    assert "列 上岗日期 出现了两次" in str(sheet.errors[0])
