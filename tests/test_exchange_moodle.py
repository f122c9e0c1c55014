"""Moodle XML: every question type read from files in Moodle's format, round trips, categories → areas.

The fixtures in tests/data/exchange follow the files Moodle itself exports and tests with
(question/format/xml/tests/fixtures in the Moodle repository: CDATA HTML, embedded ``<file>`` s, Moodle
1.9's ``<image>``, category pseudo-questions, cloze text, essays with grader information); the texts are
this project's own. ``MOODLE_FIXTURES=<moodle>/question/format/xml/tests/fixtures`` also runs the reader
over Moodle's own files.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exam.extensions import db
from exam.models import ImportStatus, ImportUpload, Question
from question_bank import Difficulty, QuestionRecord, QuestionType, QuestionUse, load_starter_bank
from question_bank.moodle import write_moodle
from question_bank.readers import Entry, read_source

DATA = Path(__file__).resolve().parent / "data" / "exchange"


def read(name: str):  # noqa: ANN201
    return read_source((DATA / name).read_bytes(), name)


def as_record(e: Entry) -> QuestionRecord:
    return QuestionRecord(key=e.key or "~", type=e.type, area=e.area or "W01", difficulty=e.difficulty or Difficulty.MEDIUM,
                          stem=e.stem, answer=e.answer, options=e.options, levels=e.levels or ("L4", "L3", "L2", "L1"),
                          explanation=e.explanation, tags=e.tags, use=e.use)


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


@pytest.fixture
def runner(app):  # noqa: ANN201
    return app.test_cli_runner()


def run_import(runner, path: Path, *args: str):  # noqa: ANN201
    result = runner.invoke(args=["bank", "import", str(path), "--json", *args])
    return result, json.loads(result.output) if result.output.startswith("{") else None


# --------------------------------------------------------------------------- reading, per question type


def test_true_false_html_is_reduced_and_embedded_files_are_reported_as_skipped():
    src = read("moodle-truefalse.xml")
    assert src.format == "moodle" and src.errors == []
    first, second, third = src.entries
    assert first.type is QuestionType.TRUE_FALSE and first.answer is False
    assert first.stem == "存费送费活动的赠送金额一律一次性到账。"
    assert first.explanation == "赠送金额一般按月返还，详见活动规则。"
    assert first.notes == ("图片或媒体 poster.png 未导入", "图片或媒体 infos.png 未导入")
    assert second.stem == "高价值客户离网预警后，客户经理应在 24 小时内 完成首次回访 & 记录。" and second.answer is True
    assert second.key is None  # Moodle's idnumber "T & F" is not a key of this bank
    assert third.answer is False and third.explanation == "首问负责制要求跟进到底。"  # Moodle 1.9: no format attributes
    assert [(s.lines, s.reason) for s in src.skipped] == [
        ((12, 34), "内嵌文件 poster.png 未导入 (题库不保存图片和附件)"),
        ((12, 34), "内嵌文件 infos.png 未导入 (题库不保存图片和附件)"),
        ((12, 34), "内嵌文件 thumbdown.png 未导入 (题库不保存图片和附件)")]
    # the category names an area by its name: 维系挽留 is W03
    assert {e.heading for e in src.entries} == {"客户维系/维系挽留"} and {e.area for e in src.entries} == {"W03"}


def test_multichoice_single_and_multiple_with_fractions_partial_credit_and_old_image_fields():
    src = read("moodle-multichoice.xml")
    greeting, means, partial, lone, old = src.entries
    assert (greeting.type, greeting.options, greeting.answer) == (QuestionType.SINGLE, ("禁忌语", "服务用语", "方言"), ("B",))
    assert greeting.stem == "听这段录音:\n录音中客户经理使用的是哪类用语?" and "图片或媒体 greeting.mp3 未导入" in greeting.notes
    # single=false: every option with a positive fraction is right (33.33333 and Moodle-invalid 33 alike)
    assert means.type is QuestionType.MULTIPLE and means.answer == ("A", "C", "E")
    assert means.explanation == "关怀回访、合约续约和积分兑换都是维系手段。"
    assert partial.answer == ("A",) and partial.notes == ("选项 B 原为部分得分 (50%), 按错误选项导入",)
    assert partial.stem == "客户提出解约时, 客户经理首先应当"
    assert lone.type is QuestionType.SINGLE and lone.notes == ("多选题只有一个正确选项 A, 按单选题导入",)
    assert old.options == ("错误答案", "另一个错误答案", "正确答案") and old.answer == ("C",)
    reasons = [s.reason for s in src.skipped]
    assert "单选题有 2 个满分选项 (A、B), 本系统单选题只能有一个答案" in reasons
    assert "内嵌文件 moodle.png 未导入 (题库不保存图片和附件)" in reasons  # Moodle 1.9's <image>


def test_shortanswer_and_exact_numerical_become_fill_in_with_their_accepted_answers():
    src = read("moodle-shortanswer.xml")
    gap, hotline, brackets, days = src.entries
    assert gap.type is QuestionType.FILL_BLANK and gap.answer == (("心情", "情绪"),)
    assert gap.stem == "投诉处理的原则: 先处理________，再处理事情。"
    assert gap.notes == ("部分得分答案 '客户' (50%) 未导入",)
    assert hotline.stem == "中国电信客服热线号码是? ____" and hotline.notes == ("题干中没有空, 已在末尾加 ____",)
    assert brackets.stem == "客户经理接听电话应在铃响____声内接起。" and brackets.answer == (("三", "3"),)
    assert days.answer == (("2",),) and "数值题按填空题导入 (答案须精确相同)" in days.notes
    assert [(s.lines, s.reason) for s in src.skipped] == [
        ((89, 97), "简答 (填空) 题没有满分答案"), ((132, 141), "数值题允许误差 ±0.0005, 本系统填空题只能精确匹配")]


def test_cloze_gaps_become_blanks_and_gaps_that_cannot_are_reported():
    src = read("moodle-cloze.xml")
    care, escaped = src.entries
    assert care.stem == "客户生日当天应发送 ____，\n入网周年应赠送 ____，\n欠费超过 ____ 天应提醒。"
    assert care.answer == (("祝福短信",), ("积分",), ("30",))
    assert "第 2 空原为下拉选择 (积分 / 话费券 / 流量包), 已改为填空" in care.notes
    assert care.area == "W01" and care.explanation == "关怀节点见《客户关怀工作规范》。"
    assert escaped.answer == (("{畅享}", "畅享 ~ 融合"), ("a/b#c",))
    assert [s.reason for s in src.skipped] == [
        "内嵌文件 cake.png 未导入 (题库不保存图片和附件)", "完形填空题中没有 {1:SHORTANSWER:=答案} 这样的空",
        "第 1 空是多选 (MULTIRESPONSE), 无法改为填空", "第 1 空没有满分答案", "第 1 空的数值答案 '零' 不是数字"]


def test_essay_is_a_short_answer_marked_with_its_grader_information_and_tags_carry_bank_fields():
    src = read("moodle-essay.xml")
    steps, first_contact, case = src.entries
    assert steps.type is QuestionType.SHORT_ANSWER
    assert steps.stem == "简述处理客户投诉的基本步骤。\n要求分点作答。"  # moodle_auto_format: line ends are kept
    assert steps.answer == "(1) 倾听并安抚客户情绪;\n(2) 核实问题并提出方案;\n(3) 跟进回访。"
    assert (steps.difficulty, steps.levels, steps.tags) == (Difficulty.HARD, ("L2", "L1"), ("投诉",))
    assert first_contact.answer == "第一个接待客户的员工负责到底。"
    assert first_contact.notes == ("参考答案取自总体反馈 (generalfeedback)",)
    assert case.type is QuestionType.CASE_STUDY and case.use is QuestionUse.PRACTICE
    assert case.notes == ("标签 '难度:超难' 无法识别, 已忽略",)
    assert [(s.lines, s.reason) for s in src.skipped] == [((66, 77), "问答题没有评分信息 (graderinfo), 本系统简答题需要参考答案")]


def test_types_the_bank_does_not_have_are_reported_with_their_lines():
    src = read("moodle-other-types.xml")
    assert [(s.lines, s.reason) for s in src.skipped] == [
        ((15, 27), "题型 description (说明文字, 不是题目) 本系统不支持"),
        ((42, 66), "题型 matching (配对题) 本系统不支持"),
        ((72, 77), "题型 ddmarker (拖放标记题) 本系统不支持"),
        ((82, 87), "未知题型 mysteryplugin")]
    (only,) = src.entries
    assert only.key == "B12-901" and only.heading == "Iota/Kappa" and only.area is None


@pytest.mark.parametrize(("name", "message"), [
    ("moodle-broken.xml", "moodle-broken.xml: 不是有效的 XML 文件, 第 9 行第 19 列有错"),
    ("moodle-not-a-quiz.xml", "moodle-not-a-quiz.xml: 不是 Moodle XML 题库 (最外层应为 <quiz>, 读到 <questions>)"),
])
def test_a_file_that_is_not_moodle_xml_is_refused_saying_where(name, message):
    src = read(name)
    assert src.entries == [] and len(src.errors) == 1 and src.errors[0].startswith(message)


def test_entities_and_external_references_are_not_expanded():
    data = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<quiz><question type="truefalse"><questiontext format="plain_text"><text>&x;</text></questiontext>'
            b'<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
            b'</question></quiz>')
    src = read_source(data, "evil.xml")
    assert "root:" not in repr(src)


# --------------------------------------------------------------------------- writing and round trips


def every_kind() -> list[QuestionRecord]:
    return [
        QuestionRecord(key="W03-801", type=QuestionType.TRUE_FALSE, area="W03", difficulty=Difficulty.EASY,
                       stem="客户预存 <100 元 & 不足一年时, 不赠送。", answer=False, levels=("L4",), explanation="见规则。"),
        QuestionRecord(key="W03-802", type=QuestionType.SINGLE, area="W03", difficulty=Difficulty.MEDIUM,
                       stem="第一行\n  第二行有前导空格", options=("一次性", "按月", "不赠送"), answer=("B",),
                       use=QuestionUse.EXAM, tags=("存费送费", "重点")),
        QuestionRecord(key="W03-803", type=QuestionType.MULTIPLE, area="W03", difficulty=Difficulty.HARD,
                       stem="哪些是维系手段?", options=tuple("ABCDEFGH".lower()), answer=("A", "C", "H"),
                       levels=("L2", "L1"), use=QuestionUse.PRACTICE),
        QuestionRecord(key="W05-804", type=QuestionType.FILL_BLANK, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="先处理____, 再处理事情。", answer=(("心情", "情绪"),)),
        QuestionRecord(key="W05-805", type=QuestionType.FILL_BLANK, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="大括号 {不是空}; ____ 和 ____ 才是。",
                       answer=(("}#~/\"\\", "a=b"), ("<b>&amp;</b>",))),
        QuestionRecord(key="W05-806", type=QuestionType.SHORT_ANSWER, area="W05", difficulty=Difficulty.MEDIUM,
                       stem="简述投诉处理步骤。", answer="(1) 倾听\n(2) 处理\n(3) 回访", explanation=""),
        QuestionRecord(key="W06-807", type=QuestionType.CASE_STUDY, area="W06", difficulty=Difficulty.HARD,
                       stem="案例:\n某客户话务量下降。\n请分析。", answer="原因 4 分; 方案 6 分。", levels=("L1",),
                       explanation="参考《维系策略》。", tags=("案例",)),
    ]


def test_export_then_import_gives_the_same_records_for_every_type():
    records = every_kind()
    src = read_source(write_moodle(records), "bank.xml")
    assert src.errors == [] and src.skipped == []
    assert [as_record(e) for e in src.entries] == records


def test_the_starter_bank_round_trips_through_moodle_xml():
    records = load_starter_bank()
    src = read_source(write_moodle(records), "starter.xml")
    assert [as_record(e) for e in src.entries] == records


def test_an_export_reads_as_moodle_writes_it():
    """The shapes Moodle's importer expects: category pseudo-questions, cloze for several blanks, tags, idnumber."""
    from lxml import etree

    root = etree.fromstring(write_moodle(every_kind()))
    types = [q.get("type") for q in root.iter("question")]
    assert types == ["category", "truefalse", "multichoice", "multichoice", "category", "shortanswer", "cloze",
                     "essay", "category", "essay"]
    assert root.findtext("question/category/text") == "$course$/top/VIP客户服务经理题库/W03 维系挽留"
    multiple = root.findall("question")[3]
    assert [a.get("fraction") for a in multiple.findall("answer")] == ["33.33333", "-100", "33.33333"] + ["-100"] * 4 + [
        "33.33333"]
    cloze = root.findall("question")[6]
    assert cloze.findtext("questiontext/text") == (
        '大括号 {不是空}; {1:SHORTANSWER:=\\}\\#\\~\\/\\"\\\\~=a=b} 和 {1:SHORTANSWER:=<b>&amp;<\\/b>} 才是。')
    assert [t.text for t in root.findall("question")[9].iter("text")][-4:] == ["难度:难", "等级:L1", "题型:案例分析", "案例"]


# --------------------------------------------------------------------------- through the importer: CLI and web


def test_cli_export_as_moodle_then_import_is_unchanged(runner, tmp_path, clock):
    path = tmp_path / "w05.xml"
    result = runner.invoke(args=["bank", "export", str(path), "--area", "W05", "--format", "moodle"])
    assert result.exit_code == 0, result.output
    before = question_count()
    result, report = run_import(runner, path)
    assert result.exit_code == 0, result.output
    w05 = db.session.scalar(select(func.count()).select_from(Question).where(Question.key.like("W05-%")))
    assert report["format"] == "moodle" and report["duplicates"] == 0
    assert report["imported"] == {"added": 0, "new_versions": 0, "unchanged": w05}
    assert report["categories"] == [{"name": "VIP客户服务经理题库/W05 投诉处理", "count": w05, "area": "W05", "source": "类别名称"}]
    assert question_count() == before


def test_cli_dry_run_lists_categories_and_a_category_without_an_area_refuses_the_import(runner, tmp_path, clock):
    path = tmp_path / "other.xml"
    path.write_bytes((DATA / "moodle-other-types.xml").read_bytes())
    before = question_count()
    result, report = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0 and report["categories"] == [{"name": "Iota/Kappa", "count": 1, "area": None,
                                                                "source": ""}]
    assert len(report["skipped"]) == 4 and report["items"][0]["key"] == "B12-901"
    # 营业厅 / 文明用语 suggest B12 for the item itself, but a key the bank lacks is a new question: it is imported
    result, report = run_import(runner, path, "--category", "Iota/Kappa=B11")
    assert result.exit_code == 0, result.output
    assert report["items"][0]["area"] == "B11" and report["items"][0]["area_source"] == "类别映射"
    assert report["imported"]["added"] == 1 and question_count() == before + 1


def test_cli_refuses_a_category_option_without_an_area(runner, tmp_path):
    path = tmp_path / "x.xml"
    path.write_bytes((DATA / "moodle-truefalse.xml").read_bytes())
    result = runner.invoke(args=["bank", "import", str(path), "--category", "客户维系=X99"])
    assert result.exit_code == 2 and "应为 类别=领域代码" in result.output


def moodle_tf(stem: str) -> str:
    return (f'<question type="truefalse"><questiontext format="html"><text>{stem}</text></questiontext>'
            '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>')


def test_an_import_with_one_unmapped_category_writes_nothing(runner, tmp_path, clock):
    """Items of a category nobody mapped, whose text suggests no area, refuse the whole file."""
    path = tmp_path / "two.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><quiz>'
                    '<question type="category"><category><text>$course$/top/W05 投诉处理</text></category></question>'
                    + moodle_tf("Testing Alpha Question")
                    + '<question type="category"><category><text>$course$/Default for 2024</text></category></question>'
                    + moodle_tf("Testing Beta Question") + moodle_tf("Testing Gamma Question") + "</quiz>",
                    encoding="utf-8")
    before = question_count()
    result, report = run_import(runner, path)
    assert result.exit_code == 1 and report["imported"] is None
    assert report["errors"] == ["第 2 项 (第 1 行): 没有知识领域, 无法从题干判断, 请指定",
                                "第 3 项 (第 1 行): 没有知识领域, 无法从题干判断, 请指定"]
    assert question_count() == before
    result, report = run_import(runner, path, "--category", "Default for 2024=W03")
    assert result.exit_code == 0 and report["imported"]["added"] == 3
    assert [i["area"] for i in report["items"]] == ["W05", "W03", "W03"]


def test_web_upload_of_moodle_xml_maps_categories_in_the_dry_run_then_imports(client, auth, clock):
    auth.login("trainer1")
    data = (DATA / "moodle-multichoice.xml").read_bytes()
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(data), "选择题.xml")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    preview = client.get(response.location)
    assert "格式: Moodle XML" in preview.text and "类别 → 知识领域" in preview.text
    assert 'name="category_0"' in preview.text and "Default for 岗位培训/选择题" in preview.text
    assert "内嵌文件 greeting.mp3 未导入" in preview.text and "单选题有 2 个满分选项" in preview.text
    before = question_count()
    response = client.post(response.location, data={
        "difficulty": "medium", "levels": ["L4", "L3"], "status": "active", "action": "import", "category_0": "W02"})
    assert response.status_code == 302
    upload = db.session.scalars(select(ImportUpload).order_by(ImportUpload.id.desc())).first()
    assert upload.status is ImportStatus.IMPORTED and upload.summary["choices"]["categories"] == {
        "Default for 岗位培训/选择题": "W02"}
    keys = db.session.scalars(select(Question.key).where(Question.source == "导入 选择题.xml")).all()
    assert len(keys) == 5 and all(k.startswith("W02-") for k in keys) and question_count() == before + 5
    # the same file again: every question is now a duplicate of the bank and nothing would be imported
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(data), "again.xml")},
                           content_type="multipart/form-data")
    assert "重复 5 题" in client.get(response.location).text


def test_web_export_of_moodle_xml_downloads_the_selection(client, auth, clock):
    auth.login("trainer1")
    response = client.get("/trainer/questions/export.xml?area=W05&type=single")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "moodle.xml" in response.headers["Content-Disposition"]
    src = read_source(response.data, "export.xml")
    assert src.entries and {(e.type, e.area) for e in src.entries} == {(QuestionType.SINGLE, "W05")}


# --------------------------------------------------------------------------- Moodle's own files


MOODLE = os.environ.get("MOODLE_FIXTURES")


@pytest.mark.skipif(not MOODLE, reason="MOODLE_FIXTURES (Moodle's question/format/xml/tests/fixtures) not set")
def test_moodles_own_fixture_files():
    expected = {  # file → (entries, types) as this bank reads them
        "truefalse.xml": [(QuestionType.TRUE_FALSE, False)],
        "multichoice.xml": [(QuestionType.SINGLE, ("B",))],
        "nested_categories_with_questions.xml": [(QuestionType.TRUE_FALSE, True)] * 4,
        "multianswer.xml": [(QuestionType.FILL_BLANK, (("California",), ("Arizona",), ("California",), ("Arizona",),
                                                      ("Paris",)))],
        "sample_questions_with_old_image_tag.xml": [
            (QuestionType.FILL_BLANK, (("California",), ("Arizona",), ("California",), ("Arizona",), ("Paris",))),
            (QuestionType.SINGLE, ("C",))],
        "html_chars_in_idnumbers.xml": [(QuestionType.TRUE_FALSE, True)],
        "old_format_file.xml": [(QuestionType.TRUE_FALSE, True)] * 2,
        "export_category.xml": [(QuestionType.TRUE_FALSE, True)],
        "error_invalid_grades.xml": [(QuestionType.MULTIPLE, ("B", "C", "E"))],
        "broken_cloze_questions.xml": [(QuestionType.FILL_BLANK, (("Apple",),))],
    }
    for path in sorted(Path(MOODLE).glob("*.xml")):
        src = read_source(path.read_bytes(), path.name)
        assert src.format == "moodle" and src.errors == [], path.name
        if path.name in expected:
            assert [(e.type, e.answer) for e in src.entries] == expected[path.name], path.name


def test_a_moodle_file_in_traditional_script_is_converted():
    xml = ('<quiz><question type="category"><category><text>$course$/維繫挽留</text></category></question>'
           + moodle_tf("客戶經理應當及時回訪，這是維繫的關鍵。") + "</quiz>")
    src = read_source(xml.encode(), "繁體.xml")
    assert src.traditional and src.entries[0].stem == "客户经理应当及时回访，这是维系的关键。"
    assert src.entries[0].heading == "维系挽留" and src.entries[0].area == "W03"
