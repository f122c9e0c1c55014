"""The bank linter where trainers meet it: a question's page, an import's dry run, the report page, the CLI."""
from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from exam.extensions import db
from exam.models import Question, QuestionStatus
from exam.services.bank_sync import add_questions
from question_bank import Difficulty, QuestionRecord, QuestionType, dumps_bank, load_starter_bank


@pytest.fixture
def runner(app):  # noqa: ANN201
    return app.test_cli_runner()


def by_key(key: str) -> Question:
    return db.session.scalars(select(Question).where(Question.key == key)).one()


NEGATIVE_RECORD = QuestionRecord(
    key="W05-901", type=QuestionType.SINGLE, area="W05", difficulty=Difficulty.EASY, levels=("L4",),
    stem="关于首问负责制，以下说法错误的是（　）。",
    options=("第一位受理人负责到底", "转给其他部门后不跟进", "需要跟踪处理结果", "应向客户反馈进度"), answer=("B",),
    explanation="首问负责要求跟踪到底。")


def _plant(records: list[QuestionRecord]) -> None:
    """Put questions with known faults into the bank: the starter bank itself lints clean."""
    add_questions(db.session, records, status=QuestionStatus.ACTIVE, source="test", now=datetime(2026, 1, 1),
                  actor_id=None)
    db.session.flush()


def _a_bank_whose_keys_are_the_longest_option() -> None:
    """Only 30 single-choice questions whose key is padded to the longest option, and one unemphasised
    negative stem, stay active."""
    db.session.execute(update(Question).values(status=QuestionStatus.RETIRED))
    singles = [r for r in load_starter_bank() if r.type is QuestionType.SINGLE][:30]
    padded = []
    for n, r in enumerate(singles):
        at = "ABCD".index(r.answer[0])
        options = tuple(o + "，并按规定向客户说明清楚" if i == at else o for i, o in enumerate(r.options))
        padded.append(dataclasses.replace(r, key=f"{r.area}-9{n:02d}", options=options, enemy_group=None))
    _plant([*padded, NEGATIVE_RECORD])


NEGATIVE = {"type": "single", "area": "W05", "difficulty": "easy", "levels": ["L4"], "status": "active",
            "stem": "关于首问负责制，以下说法错误的是（　）。", "option_a": "第一位受理人负责到底",
            "option_b": "转给其他部门后不跟进", "option_c": "需要跟踪处理结果", "option_d": "应向客户反馈进度",
            "keys": ["B"], "explanation": "首问负责要求跟踪到底。"}


def test_a_questions_page_shows_its_findings_and_a_clean_one_says_so(client, auth, clock):
    auth.login("trainer1")
    page = client.get(client.post("/trainer/questions/new", data=NEGATIVE).location).text
    assert "题库体检 <span class=\"muted\">(1 条)" in page
    assert "否定题干未强调" in page and "否定问法「错误的是」未强调" in page
    clean = dict(NEGATIVE, stem="投诉处理结束后，回访客户的主要目的是（　）。", option_a="了解处理结果",
                 option_b="推销新的套餐业务", option_c="催缴客户欠费", option_d="核对客户证件信息", keys=["A"])
    assert "当前版本未发现命题问题" in client.get(client.post("/trainer/questions/new", data=clean).location).text


def test_a_questions_page_links_the_question_that_gives_its_key_away(client, auth, clock):
    for key in ("B22-008", "B22-001"):  # the starter bank keeps the pair in one enemy group
        by_key(key).enemy_group = None
    db.session.flush()
    auth.login("trainer1")
    page = client.get(f"/trainer/questions/{by_key('B22-008').id}").text
    assert "B22-001 的题干含有 B22-008 的答案「融合套餐」" in page
    assert f'href="/trainer/questions/{by_key("B22-001").id}"' in page
    # and the page of the question that gives it away shows the same pair
    assert "B22-001 的题干含有 B22-008 的答案" in client.get(f"/trainer/questions/{by_key('B22-001').id}").text


def test_questions_in_one_enemy_group_are_not_reported_as_giving_each_other_away(client, auth, clock):
    for key in ("B22-008", "B22-001"):
        by_key(key).enemy_group = "融合套餐"
    db.session.flush()
    auth.login("trainer1")
    assert "B22-001 的题干含有" not in client.get(f"/trainer/questions/{by_key('B22-008').id}").text


def test_the_report_page_shows_rates_beside_chance_and_findings_grouped_by_rule_with_links(client, auth, clock):
    _a_bank_whose_keys_are_the_longest_option()
    auth.login("trainer1")
    page = client.get("/trainer/lint")
    assert page.status_code == 200
    text = page.text
    active_and_draft = db.session.scalar(select(func.count()).select_from(Question).where(
        Question.status.in_([QuestionStatus.ACTIVE, QuestionStatus.DRAFT])))
    assert f"题库体检 <span class=\"muted\">({active_and_draft} 题" in text
    # the keys are the longest option far more often than chance
    row = re.search(r"<tr class=\"flagged\"><td>单选题答案恰是唯一最长的选项</td><td>(\d+)/(\d+) = \d+%</td>\s*<td>25%</td>", text)
    assert row and int(row.group(1)) > int(row.group(2)) / 2
    for title in ("答案是最长选项", "判断题的绝对化用语", "否定题干未强调", "题目之间泄露答案", "内容与知识领域不符",
                  "填空缺少常见写法", "近似重复", "以上都是 / 以上都不是"):
        assert title in text, title
    assert f'href="/trainer/questions/{by_key("W05-901").id}">W05-901</a>' in text
    assert "建议: " in text


def test_retired_questions_are_left_out_unless_asked_for(client, auth, clock):
    _plant([NEGATIVE_RECORD])
    q = by_key("W05-901")
    q.status = QuestionStatus.RETIRED
    db.session.flush()
    auth.login("trainer1")
    assert ">W05-901</a>" not in client.get("/trainer/lint").text
    assert ">W05-901</a>" in client.get("/trainer/lint?status=all").text
    assert client.get("/trainer/lint?status=nonsense").status_code == 200


def test_the_report_is_for_trainers_and_admins_only(client, auth, clock):
    auth.login("trainee1")
    assert client.get("/trainer/lint").status_code == 403


def _records() -> list[QuestionRecord]:
    return [
        QuestionRecord(key="X-1", type=QuestionType.SINGLE, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="以下不属于投诉处理基本原则的是（　）。", options=("先处理心情", "首问负责", "推诿给其他部门", "及时反馈"),
                       answer=("C",)),
        QuestionRecord(key="X-2", type=QuestionType.TRUE_FALSE, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="客户投诉时，客户经理一定要当场给予现金补偿。", answer=False),
        QuestionRecord(key="X-3", type=QuestionType.SINGLE, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="受理投诉后，向客户反馈处理进度的时限一般是（　）。", options=("当天", "三天内", "一周内", "一个月内"),
                       answer=("B",)),
    ]


def test_the_import_dry_run_shows_findings_per_item(client, auth, clock):
    auth.login("trainer1")
    data = dumps_bank(_records()).encode()
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(data), "体检.json")},
                           content_type="multipart/form-data")
    page = client.get(response.location).text
    assert "题库体检: 2 题有命题提示" in page
    assert "否定问法「不属于投诉处理基本原则的是」未强调" in page
    assert "答案为错, 且含绝对化用语「一定」" in page
    only = client.get(response.location + "?view=lint").text
    assert "以下不属于投诉处理基本原则的是" in only and "一定要当场给予现金补偿" in only
    assert "受理投诉后" not in only


def test_cli_lint_prints_json_with_rates_and_findings(runner, clock):
    _a_bank_whose_keys_are_the_longest_option()
    result = runner.invoke(args=["bank", "lint", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["items"] == db.session.scalar(select(func.count()).select_from(Question).where(
        Question.status.in_([QuestionStatus.ACTIVE, QuestionStatus.DRAFT])))
    assert {r["name"] for r in report["rules"]} >= {"key-longest", "giveaway", "near-duplicate", "negative-stem"}
    longest = next(r for r in report["rates"] if r["label"] == "单选题答案恰是唯一最长的选项")
    assert longest["flagged"] and longest["chance"] == 0.25 and longest["rate"] > 0.5
    assert {"rule": "negative-stem", "key": "W05-901", "related": [],
            "reason": "否定问法「错误的是」未强调, 考生容易看漏; 本库约定写作【不】/【错误】"} in report["findings"]
    assert any(f["key"] is None and f["rule"] == "key-longest" for f in report["findings"])


def test_cli_lint_reads_people_friendly_by_default_and_filters_rules(runner, clock):
    assert runner.invoke(args=["bank", "lint", "--strict"]).exit_code == 0  # the starter bank lints clean
    _plant([NEGATIVE_RECORD])
    result = runner.invoke(args=["bank", "lint", "--rule", "negative-stem"])
    assert result.exit_code == 0, result.output
    assert "题库体检:" in result.output and "[negative-stem] 否定题干未强调" in result.output
    assert "W05-901: 否定问法「错误的是」未强调" in result.output and "[giveaway]" not in result.output
    assert runner.invoke(args=["bank", "lint", "--rule", "negative-stem", "--strict"]).exit_code == 1
    bad = runner.invoke(args=["bank", "lint", "--rule", "no-such-rule"])
    assert bad.exit_code == 2 and "规则 no-such-rule 不存在" in bad.output


def test_cli_lint_checks_json_bank_files_without_the_database(runner, tmp_path):
    path = tmp_path / "bank.json"
    path.write_text(dumps_bank(_records()), encoding="utf-8")
    result = runner.invoke(args=["bank", "lint", str(path), "--json"])
    report = json.loads(result.output)
    assert report["items"] == 3
    assert sorted(f["key"] for f in report["findings"]) == ["X-1", "X-2"]
    path.write_text("{", encoding="utf-8")
    broken = runner.invoke(args=["bank", "lint", str(path)])
    assert broken.exit_code == 1 and "bank.json" in broken.output


def test_cli_import_dry_run_reports_findings_per_item(runner, tmp_path, clock):
    path = tmp_path / "bank.json"
    path.write_text(dumps_bank(_records()), encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--dry-run", "--json"])
    report = json.loads(result.output)
    findings = {item["key"]: [f["rule"] for f in item.get("findings", [])] for item in report["items"]}
    assert findings == {"X-1": ["negative-stem"], "X-2": ["absolute-words"], "X-3": []}
    text = runner.invoke(args=["bank", "import", str(path), "--dry-run"]).output
    assert "体检 第 1–1 行 [negative-stem]" in text or "体检 第 1–1 行" in text


def test_an_edited_export_is_not_a_near_duplicate_of_the_questions_it_revises(runner, tmp_path, clock):
    path = tmp_path / "w05.json"
    assert runner.invoke(args=["bank", "export", str(path), "--area", "W05"]).exit_code == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    edited = next(q for q in doc["questions"] if q["key"] == "W05-016")
    # a new version of W05-016, nearly the old one, whose negative word has lost its emphasis
    edited["stem"] = edited["stem"].replace("【不】", "不")
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = json.loads(runner.invoke(args=["bank", "import", str(path), "--dry-run", "--json"]).output)
    findings = {item["key"]: item.get("findings", []) for item in report["items"]}
    assert all(key not in f["related"] for key, found in findings.items() for f in found)
    assert [f["rule"] for f in findings["W05-016"]] == ["negative-stem"]  # its own findings still show


def test_the_dry_run_of_a_file_of_near_copies_shows_five_partners_per_item_and_says_the_rest_were_not_compared(
        client, auth, clock):
    auth.login("trainer1")
    copies = "".join(f"{i}、单选第{i}题：受理VIP客户投诉时，客户经理首先应当（　）。A.倾听客户诉求B.解释公司政策"
                     f"C.承诺给予赔偿D.转交上级处理正确答案:A\n" for i in range(1, 401))
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(copies.encode()), "近似题.txt")},
                           content_type="multipart/form-data")
    page = client.get(response.location + "?view=lint").text
    assert "400 题与大量题目字面相近 (成批的近似题): 每题只与排在前面的 10 题比对是否近似重复, 其余未逐一比对" in page
    row = re.search(r"<td>20<input.*?</tr>", page, re.S).group(0)
    assert row.count("近似重复 (题干与选项相似度") == 5
    assert row.index("第 20 项 还与更多题目近似重复 (只列出前 5 题)") > row.rindex("近似重复 (题干与选项相似度")
