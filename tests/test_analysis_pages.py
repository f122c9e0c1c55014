"""Item analysis for trainers: stored after a sitting closes, its pages and plots, the .xlsx, the CLI, the
question's history and flags (cleared by a trainer, audited), flagged items left out of new pools, and a
trainee's results per area across attempts."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta

import pytest
from analysis_data import graded_sitting, reversed_item
from helpers import answer_all, open_sitting
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from exam.extensions import db
from exam.jobs import run_sweep
from exam.models import (
    Attempt,
    AttemptState,
    AuditEvent,
    Enrolment,
    ItemStatistic,
    Question,
    QuestionFlag,
    Sitting,
    SittingAnalysis,
    User,
)
from exam.services import paper_pools
from exam.services.item_analysis import AnalysisSettings, Flag
from exam.services.paper_pools import build_pool
from exam.services.papers import level_by_code
from exam.services.sitting_analysis import (
    analyse_sitting,
    clear_flags,
    flagged_question_ids,
    question_history,
    stored_report,
)

NOW = datetime(2026, 11, 22, 9, 0)


@pytest.fixture
def settings(app):  # noqa: ANN001, ANN201
    """Judge items from 20 responses (the generated sittings are small)."""
    app.config["ANALYSIS_MIN_RESPONSES"] = 20
    yield AnalysisSettings.from_config(app.config)
    app.config["ANALYSIS_MIN_RESPONSES"] = 30


@pytest.fixture
def miskeyed(app, settings):  # noqa: ANN001, ANN201
    """A closed sitting of 120 graded attempts on one pool paper; one single-choice question behaves as if miskeyed."""
    pool = build_pool(db.session, level_by_code(db.session, "L4"), size=1, seed=3, now=NOW - timedelta(days=3),
                      actor_id=None)
    target = next(qid for qid, _v, _a, t, _d, _p in pool.papers[0].items if t == "single")
    sitting = graded_sitting(120, now=NOW, pool=pool, seed=3, behaviours={target: reversed_item})
    db.session.commit()
    return sitting, db.session.get(Question, target)


@pytest.fixture
def no_sittings(app, clock):  # noqa: ANN001, ANN201
    db.session.execute(delete(Enrolment))
    db.session.execute(delete(Sitting))
    db.session.commit()
    return clock


def _recompute(client, sitting):  # noqa: ANN001, ANN202
    return client.post(f"/trainer/analysis/sittings/{sitting.id}/recompute")


def test_a_trainer_computes_a_sittings_analysis_and_sees_its_plots(client, auth, clock, miskeyed):
    sitting, bad = miskeyed
    auth.login("trainer1")
    pending = client.get(f"/trainer/analysis/sittings/{sitting.id}")
    assert pending.status_code == 200 and "尚未统计" in pending.text and "已评分 120 份" in pending.text
    assert _recompute(client, sitting).status_code == 302
    page = client.get(f"/trainer/analysis/sittings/{sitting.id}")
    html = page.text
    assert page.status_code == 200
    assert html.count("<svg") >= 3 and "合格线 60 分" in html and "难度与区分度" in html
    assert "人数" in html and "分数" in html and "区分度 D (高低分组 27%)" in html
    assert 'style="' not in html and "<script>" not in html  # the CSP allows neither
    row = re.search(rf">{bad.key}</a>.*?</tr>", html, re.S).group(0)
    assert "负区分度 (建议停用)" in row
    assert "KR-20 = 0." in html  # every L4 item is scored all or nothing
    report = stored_report(db.session, db.session.scalars(select(SittingAnalysis)).one())
    unflagged = next(i["key"] for i in report["items"] if not i["flags"])
    only_negative = client.get(f"/trainer/analysis/sittings/{sitting.id}?flag=negative").text
    assert f">{bad.key}</a>" in only_negative and f">{unflagged}</a>" not in only_negative
    assert f">{unflagged}</a>" in html
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "analysis.compute")).all()
    assert audit and audit[-1].detail["attempts"] == 120


def test_the_analysis_exports_to_xlsx_with_the_same_figures(client, auth, miskeyed):
    sitting, bad = miskeyed
    auth.login("trainer1")
    _recompute(client, sitting)
    response = client.get(f"/trainer/analysis/sittings/{sitting.id}/analysis.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["概况", "试卷", "试题", "选项"]
    report = stored_report(db.session, db.session.scalars(select(SittingAnalysis)).one())
    items = {r[0]: r for r in wb["试题"].iter_rows(min_row=2, values_only=True)}
    mine = next(i for i in report["items"] if i["question_id"] == bad.id)
    assert items[bad.key][6] == mine["p"] and items[bad.key][10] == mine["d_index"]
    assert "负区分度" in items[bad.key][14]
    assert wb["概况"]["B3"].value == 120
    assert wb["概况"]._charts and wb["试题"]._charts  # the distribution and the p–D scatter as Excel charts
    options = [r for r in wb["选项"].iter_rows(min_row=2, values_only=True) if r[0] == bad.key]
    assert [r[3] for r in options].count("是") == 1


def test_the_cli_prints_the_same_figures_as_json(app, miskeyed, settings):
    sitting, bad = miskeyed
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "items", "--sitting", str(sitting.id), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    stored = stored_report(db.session, db.session.scalars(select(SittingAnalysis)).one())
    assert printed["scope"]["sitting"] == sitting.id
    assert {k: v for k, v in printed.items() if k != "scope"} == json.loads(json.dumps(stored, default=str))
    assert printed["forms"][0]["alpha"] > 0.7 and printed["attempts"] == 120
    text = runner.invoke(args=["stats", "items", "--sitting", str(sitting.id)])
    assert bad.key in text.output and "负区分度" in text.output
    refused = runner.invoke(args=["stats", "items", "--level", "L4", "--from", "2026-02-30"])
    assert refused.exit_code != 0 and "不是有效日期" in refused.output
    by_range = runner.invoke(args=["stats", "items", "--level", "L4", "--from", "2026-11-01", "--to", "2026-11-30",
                                   "--json"])
    assert json.loads(by_range.output)["attempts"] == 120


def test_the_question_page_shows_its_history_and_a_trainer_clears_the_flag(client, auth, miskeyed):
    sitting, bad = miskeyed
    auth.login("trainer1")
    _recompute(client, sitting)
    page = client.get(f"/trainer/questions/{bad.id}")
    assert "试题分析 (历次考试)" in page.text and sitting.name in page.text
    assert "负区分度" in page.text and "核对后解除标记" in page.text and "暂不进入新组的试卷池" in page.text
    assert "最近一次考试的选项选择率" in page.text and page.text.count("<svg") >= 2
    listed = client.get("/trainer/questions?flag=negative").text
    assert f">{bad.key}</a>" in listed
    refused = client.post(f"/trainer/analysis/questions/{bad.id}/clear", data={"reason": "  "}, follow_redirects=True)
    assert "请填写处理说明" in refused.text
    assert bad.id in flagged_question_ids(db.session)
    client.post(f"/trainer/analysis/questions/{bad.id}/clear", data={"reason": "已核对答案, 题目无误"})
    assert bad.id not in flagged_question_ids(db.session)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.flags_clear")).one()
    assert event.entity_id == bad.id and "negative" in event.detail["flags"]
    assert event.actor_id == db.session.scalars(select(User.id).where(User.username == "trainer1")).one()
    after = client.get(f"/trainer/questions/{bad.id}").text
    assert "已核对答案, 题目无误" in after and "核对后解除标记" not in after
    assert f">{bad.key}</a>" not in client.get("/trainer/questions?flag=negative").text


def test_flagged_questions_are_left_out_of_new_pools_until_cleared(app, clock, miskeyed, settings, monkeypatch):
    sitting, bad = miskeyed
    analyse_sitting(db.session, sitting, settings, NOW, None)
    offered: list[set[int]] = []
    real = paper_pools.assemble_pool

    def spy(rules, bank, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        bank = list(bank)
        offered.append({c.question_id for c in bank})
        return real(rules, bank, *args, **kwargs)

    monkeypatch.setattr(paper_pools, "assemble_pool", spy)
    level = level_by_code(db.session, "L4")
    pool = build_pool(db.session, level, size=2, seed=8, now=NOW, actor_id=None)
    assert bad.id not in offered[-1] and len(offered[-1]) > 200
    assert all(bad.id not in {row[0] for row in p.items} for p in pool.papers)
    assert pool.report["left_out_flagged"] >= 1
    trainer = db.session.scalars(select(User).where(User.username == "trainer1")).one()
    clear_flags(db.session, bad, "已核对", trainer, NOW)
    build_pool(db.session, level, size=2, seed=8, now=NOW, actor_id=None)
    assert bad.id in offered[-1]


def test_a_cleared_flag_stays_cleared_on_the_same_data_and_returns_with_newer_evidence(app, miskeyed, settings):
    sitting, bad = miskeyed
    analyse_sitting(db.session, sitting, settings, NOW, None)
    trainer = db.session.scalars(select(User).where(User.username == "trainer1")).one()
    clear_flags(db.session, bad, "题目无误", trainer, NOW + timedelta(minutes=5))
    analyse_sitting(db.session, sitting, settings, NOW + timedelta(hours=1), None)  # recomputed: same attempts
    assert bad.id not in flagged_question_ids(db.session)
    later = graded_sitting(120, now=NOW + timedelta(days=7), pool=sitting.pool, seed=4,
                           behaviours={bad.id: reversed_item}, name="下一场")
    analyse_sitting(db.session, later, settings, NOW + timedelta(days=7), None)
    assert bad.id in flagged_question_ids(db.session)
    # an older sitting analysed afterwards does not overwrite the newer flags
    flag = db.session.get(QuestionFlag, bad.id)
    analyse_sitting(db.session, sitting, settings, NOW + timedelta(days=8), None)
    db.session.refresh(flag)
    assert flag.sitting_id == later.id and flag.open_flags & Flag.NEGATIVE
    assert [h["sitting"] for h in question_history(db.session, bad.id)] == ["统计测试考场", "下一场"]


def test_the_worker_analyses_a_closed_sitting_once_marking_is_done(app, clock, settings):
    sitting = graded_sitting(40, now=NOW, pool_size=1, seed=5)
    waiting = db.session.scalars(select(Attempt).where(Attempt.sitting_id == sitting.id)).first()
    waiting.state, waiting.graded_at, waiting.score = AttemptState.SUBMITTED, None, None  # a case study to mark
    db.session.commit()
    clock.now = NOW
    run_sweep()
    assert db.session.scalar(select(func.count()).select_from(SittingAnalysis)) == 0
    waiting.state, waiting.graded_at, waiting.score, waiting.passed = AttemptState.GRADED, NOW, 70.0, True
    db.session.commit()
    run_sweep()
    row = db.session.scalars(select(SittingAnalysis).where(SittingAnalysis.sitting_id == sitting.id)).one()
    assert row.attempts == 40 and row.computed_by_id is None
    stamp = row.computed_at
    clock.advance(minutes=1)
    run_sweep()  # nothing new: not computed again
    db.session.refresh(row)
    assert row.computed_at == stamp
    assert db.session.scalar(select(func.count()).select_from(ItemStatistic).where(
        ItemStatistic.analysis_id == row.id)) == 85


def test_a_sitting_still_open_is_not_analysed_by_the_worker(app, clock, settings):
    sitting = graded_sitting(10, now=NOW, pool_size=1, seed=6)
    sitting.ends_at = NOW + timedelta(hours=2)
    db.session.commit()
    clock.now = NOW
    run_sweep()
    assert db.session.scalars(select(SittingAnalysis)).first() is None


def test_a_real_sitting_is_analysed_from_what_trainees_answered(app, client, auth, no_sittings):
    clock = no_sittings
    sitting, _report = open_sitting("L4", ["trainee1", "trainee2"], now=clock.now, hours=1)
    sitting.pool = build_pool(db.session, sitting.level, size=1, seed=2, now=clock.now, actor_id=None)
    db.session.commit()  # one paper for both, so every item has an upper and a lower response
    for who, correct in (("trainee1", True), ("trainee2", False)):
        auth.login(who)
        started = client.post("/trainee/levels/L4/start")
        attempt = db.session.get(Attempt, int(started.location.rstrip("/").split("/")[-1]))
        answer_all(client, attempt, correct=correct)
        client.post(f"/trainee/attempts/{attempt.id}/submit")
        auth.logout()
    clock.advance(hours=2)
    run_sweep()
    report = stored_report(db.session, db.session.scalars(select(SittingAnalysis)).one())
    assert report["attempts"] == 2 and report["pass_rate"] == 0.5
    assert all(i["p"] == 0.5 and i["d_index"] == 1.0 for i in report["items"])  # upper: all right, lower: blank
    single = next(i for i in report["items"] if i["type"] == "single")
    assert sum(o["rate"] for o in single["options"] if o["key"]) == 0.5 and single["unanswered"] == 0.5
    assert all(i["flags"] == [] for i in report["items"])  # two responses judge nothing
    auth.login("trainer1")
    page = client.get(f"/trainer/analysis/sittings/{sitting.id}")
    assert page.status_code == 200 and "50%" in page.text
    index = client.get("/trainer/analysis/")
    assert sitting.name in index.text and "2 / 2 已定分" in index.text
    trainee = db.session.scalars(select(User).where(User.username == "trainee1")).one()
    found = client.get("/trainer/analysis/trainees?who=trainee1")
    assert f"/trainer/analysis/trainees/{trainee.id}" in found.text
    progress = client.get(f"/trainer/analysis/trainees/{trainee.id}")
    assert progress.status_code == 200 and "W01 客户关怀" in progress.text and "100%" in progress.text
    assert "各知识领域的得分率都不低于合格线" in progress.text


def test_a_trainees_results_per_area_across_attempts_show_the_weak_areas(client, auth, no_sittings):
    clock = no_sittings
    auth.login("trainee1")
    attempts = []
    for correct in (False, True):  # a mock answered blank, then one answered right except W01
        started = client.post("/trainee/levels/L4/mock")
        attempt = db.session.get(Attempt, int(started.location.rstrip("/").split("/")[-1]))
        only = None if not correct else {i.position for i in attempt.items if i.area_code != "W01"}
        answer_all(client, attempt, correct=correct, only=only)
        client.post(f"/trainee/attempts/{attempt.id}/submit")
        attempts.append(attempt)
        clock.advance(hours=1)
    auth.logout()
    auth.login("trainer1")
    trainee = db.session.scalars(select(User).where(User.username == "trainee1")).one()
    page = client.get(f"/trainer/analysis/trainees/{trainee.id}").text
    assert "<b>W01 客户关怀</b> (0%)" in page  # the weakest area, to train
    row = re.search(r"<td>B12 服务礼仪及行为规范</td>.*?</tr>", page, re.S).group(0)
    assert "<svg" in row and "0%" in row and "100%" in row and "+100" in row
    assert page.count("模拟") >= 2


@pytest.mark.parametrize("username", ["trainee1", "hr1"])
def test_only_trainers_and_admins_see_analyses_or_clear_flags(client, auth, miskeyed, username):
    sitting, bad = miskeyed
    auth.login(username)
    for url in (f"/trainer/analysis/sittings/{sitting.id}", "/trainer/analysis/",
                f"/trainer/analysis/sittings/{sitting.id}/analysis.xlsx", "/trainer/analysis/trainees"):
        assert client.get(url).status_code == 403
    assert _recompute(client, sitting).status_code == 403
    assert client.post(f"/trainer/analysis/questions/{bad.id}/clear", data={"reason": "x"}).status_code == 403
    assert db.session.scalars(select(SittingAnalysis)).first() is None
    auth.logout()
    auth.login("admin1")
    assert _recompute(client, sitting).status_code == 302


def test_date_range_and_pool_paper_analyses_are_computed_on_demand(client, auth, miskeyed):
    sitting, bad = miskeyed
    auth.login("trainer1")
    page = client.get("/trainer/analysis/range?level=L4&start=2026-11-01&end=2026-11-30")
    assert page.status_code == 200 and "作答人次" in page.text and ">120<" in page.text
    empty = client.get("/trainer/analysis/range?level=L4&start=2025-01-01&end=2025-01-31")
    assert "没有已定分的正式考试" in empty.text
    bad_date = client.get("/trainer/analysis/range?level=L4&start=2026-02-30&end=2026-03-01", follow_redirects=True)
    assert "开始日期: “2026-02-30” 不是有效日期" in bad_date.text
    backwards = client.get("/trainer/analysis/range?level=L4&start=2026-03-01&end=2026-02-01", follow_redirects=True)
    assert "结束日期不能早于开始日期" in backwards.text
    paper = sitting.pool.papers[0]
    by_paper = client.get(f"/trainer/analysis/pool-papers/{paper.id}")
    assert by_paper.status_code == 200 and bad.key in by_paper.text and "KR-20" in by_paper.text
    xlsx = client.get("/trainer/analysis/range.xlsx?level=L4&start=2026-11-01&end=2026-11-30")
    assert load_workbook(io.BytesIO(xlsx.data))["概况"]["B3"].value == 120
