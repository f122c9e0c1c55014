"""GIFT and Aiken, the plain-text formats Moodle teachers write by hand: every question type, what cannot
be imported with its lines, telling them apart from a text dump, and the import through CLI and web page."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exam.extensions import db
from exam.models import Question
from question_bank import Difficulty, QuestionType
from question_bank.readers import detect_format, read_source

DATA = Path(__file__).resolve().parent / "data" / "exchange"


def read(name: str, as_name: str | None = None):  # noqa: ANN201
    return read_source((DATA / name).read_bytes(), as_name or name)


# --------------------------------------------------------------------------- GIFT


def test_gift_every_question_type():
    src = read("questions.gift")
    assert src.format == "gift" and src.errors == [] and src.skipped == []
    by_line = {e.lines[0]: e for e in src.entries}
    single = by_line[6]
    assert (single.type, single.stem, single.options, single.answer) == (
        QuestionType.SINGLE, "客户提出解约时, 客户经理首先应当", ("了解解约原因", "介绍新套餐", "直接办理解约"), ("A",))
    assert single.lines == (6, 10) and single.heading == "Default for 客户维系/维系挽留" and single.area == "W03"
    missing_word = by_line[13]
    assert missing_word.stem == "存费送费活动的赠送金额一般 ____ 到账。" and missing_word.answer == ("B",)
    multiple = by_line[16]
    assert multiple.type is QuestionType.MULTIPLE and multiple.answer == ("A", "C")
    assert multiple.options == ("关怀回访", "停机催缴", "合约续约", "拒接电话")  # [plain] and feedback removed
    first_contact = by_line[24]
    assert first_contact.answer is False and first_contact.explanation == "首问负责制要求跟进到底。"
    assert by_line[27].stem == "中国电信客服热线是 10000。" and by_line[27].answer is True  # [html]
    fill = by_line[30]
    assert (fill.type, fill.stem, fill.answer) == (QuestionType.FILL_BLANK, "投诉处理的原则: 先处理____, 再处理事情。",
                                                   (("心情", "情绪"),))
    assert fill.notes == ("部分得分答案 '客户' (50%) 未导入",)
    assert by_line[33].stem == "中国大陆手机号码有几位数字? ____" and by_line[33].answer == (("11", "十一"),)
    assert by_line[36].answer == (("2",),) and "数值题按填空题导入 (答案须精确相同)" in by_line[36].notes
    essay = by_line[40]
    assert essay.type is QuestionType.SHORT_ANSWER and essay.answer == "(1) 倾听安抚; (2) 核实处理; (3) 跟进回访。"
    assert (essay.key, essay.difficulty, essay.levels, essay.tags) == ("W05-901", Difficulty.HARD, ("L2",), ("投诉",))
    assert by_line[44].stem == "等式 1 = 1 中的符号 { } # ~ : 都是字面字符\n第二行。"
    assert by_line[48].heading == "题库/W05 投诉处理" and by_line[48].area == "W05"


def test_gift_questions_the_bank_cannot_hold_are_reported_with_their_lines():
    src = read("problems.gift")
    assert [(s.lines, s.reason) for s in src.skipped] == [
        ((2, 2), "说明文字 (没有 {…} 答案部分), 不是题目"),
        ((4, 7), "配对题本系统不支持"),
        ((9, 9), "数值题允许误差 ±0.0005, 本系统填空题只能精确匹配"),
        ((11, 11), "数值题的答案是范围 3.141..3.142, 本系统填空题只能精确匹配"),
        ((13, 13), "问答题没有参考答案 (可写在 {####参考答案} 中)"),
        ((15, 15), "单选题有 2 个 = 答案, 本系统单选题只能有一个答案"),
        ((17, 17), "缺少 { 或 }, 答案部分不完整"),
    ]
    assert [(e.lines, e.stem) for e in src.entries] == [((19, 19), "这道题可以导入。")]


def test_gift_in_traditional_script_is_converted():
    src = read_source("::繁體::客戶經理應當{=及時回訪 ~拒絕服務}\n".encode(), "t.gift")
    assert src.traditional and src.entries[0].stem == "客户经理应当" and src.entries[0].options[0] == "及时回访"


# --------------------------------------------------------------------------- Aiken


def test_aiken_questions():
    src = read("questions-aiken.txt")
    assert src.format == "aiken" and src.skipped == []
    first, second, several, two_lines, html = src.entries
    assert (first.stem, first.options, first.answer, first.lines) == (
        "客户预存话费后, 赠送金额一般如何发放?", ("一次性到账", "按月返还", "不予赠送", "由客户自选"), ("B",), (1, 6))
    assert second.options == ("话务量连续下降", "天气变化") and second.answer == ("A",)
    assert several.type is QuestionType.MULTIPLE and several.answer == ("A", "C")
    assert several.notes == ("Aiken 格式只有一个答案, 此题有多个, 按多选题导入",)
    assert two_lines.stem == "题干可以写成\n两行。" and two_lines.options == ("全角字母和标点", "也可以")
    assert html.stem.endswith('<html class="cool"> & images:')  # Aiken is plain text: kept as written


def test_aiken_mistakes_are_reported_with_their_lines_and_the_good_questions_kept():
    src = read("errors-aiken.txt")
    assert src.format == "aiken"
    assert [(s.lines, s.reason) for s in src.skipped] == [
        ((1, 3), "至少需要两个选项, 只有 1 个"),
        ((5, 7), "选项前面没有题干"),
        ((14, 16), "缺少 ANSWER: 行 (题目没有写完)"),
        ((18, 21), "答案 'E' 应为选项 A–B 中的字母"),
        ((23, 26), "选项字母应为 B, 读到 C"),
    ]
    assert [(e.stem, e.answer) for e in src.entries] == [("一道好题", ("A",)), ("第二道好题", ("B",))]


# --------------------------------------------------------------------------- telling the formats apart


@pytest.mark.parametrize(("name", "as_name", "fmt"), [
    ("questions.gift", "questions.gift", "gift"),
    ("questions.gift", "从 Moodle 导出.txt", "gift"),
    ("problems.gift", "problems.txt", "gift"),
    ("questions-aiken.txt", "questions.txt", "aiken"),
    ("errors-aiken.txt", "errors.txt", "aiken"),
    ("moodle-essay.xml", "essay.xml", "moodle"),
    ("moodle-essay.xml", "导出", "moodle"),
])
def test_the_format_is_found_from_the_content(name, as_name, fmt):
    assert detect_format((DATA / name).read_bytes(), as_name) == fmt


def test_text_dumps_stay_text_dumps():
    dump = (Path(__file__).resolve().parent / "data" / "dump-sample.txt").read_bytes()
    assert detect_format(dump, "dump.txt") == "text"
    stray = "1、单选 客户经理应当( )。\nA.及时回访\nB.拒绝\n答案: A\nANSWER: A 是英文写法\n2、判断 对错{题}\n正确答案:对\n"
    assert detect_format(stray.encode(), "dump.txt") == "text"


# --------------------------------------------------------------------------- through the importer


@pytest.fixture
def runner(app):  # noqa: ANN201
    return app.test_cli_runner()


def test_cli_imports_a_gift_file_with_its_categories_mapped(runner, tmp_path, clock):
    path = tmp_path / "moodle.gift"
    path.write_bytes((DATA / "questions.gift").read_bytes())
    before = db.session.scalar(select(func.count()).select_from(Question))
    result = runner.invoke(args=["bank", "import", str(path), "--json", "--category", "Default for 客户维系/维系挽留=W01"])
    report = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert report["format"] == "gift" and report["recognised"] == 11
    assert [c["area"] for c in report["categories"]] == ["W01", "W05"]
    assert report["imported"]["added"] == 11
    assert db.session.scalar(select(func.count()).select_from(Question)) == before + 11
    essay = db.session.scalars(select(Question).where(Question.key == "W05-901")).one()
    assert essay.current_version.difficulty is Difficulty.HARD and tuple(essay.current_version.levels) == ("L2",)


def test_web_upload_of_an_aiken_txt_file_shows_its_dry_run(client, auth, clock):
    auth.login("trainer1")
    response = client.post("/trainer/imports", data={"file": (io.BytesIO((DATA / "errors-aiken.txt").read_bytes()),
                                                               "aiken.txt")}, content_type="multipart/form-data")
    page = client.get(response.location).text
    assert "格式: Aiken" in page and "识别 <strong>2</strong> 题" in page
    assert "第 18–21 行: 答案 &#39;E&#39; 应为选项 A–B 中的字母" in page
    assert "类别 → 知识领域" not in page  # Aiken has no categories
