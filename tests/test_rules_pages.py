"""Trainers and administrators edit a level's tables; the bank's feasibility is shown and checked."""
from __future__ import annotations

import html
import json

from sqlalchemy import select, update

from exam.extensions import db
from exam.models import AuditEvent, Level, Question, QuestionStatus, QuestionVersion
from exam.services.rules import rules_of


def form_of(level: Level, **changes: str) -> dict[str, str]:
    edit = rules_of(level)
    data = {f"weight_{a}": str(p) for a, p in edit.weights.items()}
    for t, (count, points) in edit.sections.items():
        data[f"count_{t.value}"], data[f"points_{t.value}"] = str(count), str(points)
    data |= {f"diff_{d.value}": str(p) for d, p in edit.difficulty_mix.items()}
    data |= {"tolerance": str(edit.tolerance), "duration_minutes": str(edit.duration_minutes),
             "pass_mark": str(edit.pass_mark), "certificate_validity_years": str(edit.certificate_validity_years)}
    return data | changes


def l4() -> Level:
    return db.session.scalars(select(Level).where(Level.code == "L4")).one()


def test_an_edit_that_breaks_the_100_percent_total_is_refused_with_the_reason(client, auth, clock):
    auth.login("trainer1")
    response = client.post("/rules/L4", data=form_of(l4(), weight_W01="20"))
    assert response.status_code == 200
    assert "比重表合计应为 100%, 现在是 105%" in response.text
    db.session.expire_all()
    assert {w.area_code: w.percent for w in l4().weights}["W01"] == 15
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "level.rules")).all()


def test_other_invalid_edits_are_refused(client, auth, clock):
    auth.login("admin1")
    cases = [({"diff_easy": "40"}, "难度比例合计应为 100%, 现在是 110%"),
             ({"count_single": "abc"}, "单选题题量: 'abc' 不是整数"),
             ({"pass_mark": "120"}, "合格线应在 0 到总分 100 之间"),
             ({"points_multiple": "3"}, "不是整数分")]
    for changes, message in cases:
        response = client.post("/rules/L4", data=form_of(l4(), **changes))
        assert message in html.unescape(response.text), changes


def test_a_valid_edit_is_saved_and_audited_with_before_and_after(client, auth, clock):
    auth.login("trainer1")
    response = client.post("/rules/L4", data=form_of(l4(), weight_W01="13", weight_W05="12", pass_mark="65",
                                                    multiple_partial_credit="1"), follow_redirects=True)
    assert "规则已保存" in response.text
    db.session.expire_all()
    level = l4()
    assert level.pass_mark == 65 and level.multiple_partial_credit
    assert {w.area_code: w.percent for w in level.weights}["W05"] == 12
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "level.rules")).one()
    assert set(event.detail["changed"]) == {"weights", "pass_mark", "multiple_partial_credit"}
    assert event.detail["before"]["pass_mark"] == 60 and event.detail["after"]["pass_mark"] == 65


def test_saving_a_table_the_bank_cannot_satisfy_warns_with_the_cells(client, auth, clock):
    auth.login("trainer1")
    # W07 questions are not written for L4: giving W07 a weight at L4 cannot be satisfied
    response = client.post("/rules/L4", data=form_of(l4(), weight_W01="5", weight_W07="10"), follow_redirects=True)
    assert "无法按此规则组卷" in response.text and "W07" in response.text


def test_feasibility_cli_reports_a_bank_made_thin_on_purpose(app, clock):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["paper", "feasibility", "--level", "L4", "--json"])
    assert ok.exit_code == 0
    report = json.loads(ok.output)
    assert report["level"] == "L4" and report["feasible"] is True
    assert set(report["cells"][0]) == {"area", "type", "difficulty", "need", "have", "status"}
    # retire every W05 single-choice question: the W05 single cells run dry
    w05_singles = select(Question.id).join(QuestionVersion, Question.current_version_id == QuestionVersion.id).where(
        QuestionVersion.area_code == "W05", QuestionVersion.type == "single")
    db.session.execute(update(Question).where(Question.id.in_(w05_singles)).values(status=QuestionStatus.RETIRED))
    db.session.flush()
    thin = runner.invoke(args=["paper", "feasibility", "--level", "L4", "--json"])
    report = json.loads(thin.output)
    w05_single = [c for c in report["cells"] if c["area"] == "W05" and c["type"] == "single"]
    assert all(c["have"] == 0 for c in w05_single)
    if not report["feasible"]:
        assert thin.exit_code == 1
        assert all(c["area"] == "W05" for c in report["cells"] if c["status"] == "short")
    page = runner.invoke(args=["paper", "feasibility", "--level", "L4"])
    assert "岗位技能四级" in page.output


def test_the_rules_pages_show_feasibility(client, auth, clock):
    auth.login("trainer1")
    index = client.get("/rules/")
    assert "岗位技能四级" in index.text and "可以" in index.text
    page = client.get("/rules/L1")
    assert "题库能否满足" in page.text and "偏少" in page.text


def test_trainers_preview_a_paper_as_the_trainee_sees_it_and_with_keys(client, auth, clock):
    auth.login("trainer1")
    plain = client.get("/rules/L4/preview?seed=5")
    assert plain.status_code == 200 and "共 85 题, 100 分" in plain.text
    assert "答案:" not in plain.text and "解析:" not in plain.text
    keyed = client.get("/rules/L4/preview?seed=5&keys=1")
    assert keyed.text.count("答案:") == 85
    # the same seed shows the same paper both ways
    first_stem = plain.text.split('<article class="q" id="q1">')[1].split("</p>")[0].split("</strong>")[1].strip()
    assert first_stem[:20] in keyed.text
