"""Reading trainers' text dumps: the shapes S1–S11 and the damage of shared/question-formats.md."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from question_bank.dumps import DumpResult, Entry, parse_dump
from question_bank.records import AREA_CODES, Difficulty, QuestionType, count_blanks

T = QuestionType
#: a copy of ../shared/samples/dump-sample.txt, so that a clone tests on its own
SAMPLE = Path(__file__).resolve().parent / "data" / "dump-sample.txt"


def only(text: str) -> Entry:
    result = parse_dump(text)
    assert not result.skipped, result.skipped
    assert len(result.items) == 1, result.items
    return result.items[0]


def all_valid(result: DumpResult) -> None:
    for item in result.items:
        item.to_record(key="~1", area="W05")


# the sample file


@pytest.fixture(scope="module")
def sample() -> DumpResult:
    return parse_dump(SAMPLE.read_text(encoding="utf-8"))


def test_sample_yields_seventeen_items_by_type_and_one_skipped(sample):
    assert Counter(i.type for i in sample.items) == {
        T.TRUE_FALSE: 7, T.SINGLE: 2, T.MULTIPLE: 2, T.FILL_BLANK: 1, T.SHORT_ANSWER: 5,
    }
    assert len(sample.skipped) == 1
    assert not sample.traditional
    all_valid(sample)


def test_sample_truncated_fill_in_is_skipped_with_its_line_and_reason(sample):
    (skip,) = sample.skipped
    assert skip.lines == (18, 18)
    assert skip.reason == "没有答案 (可能被截断), 已跳过"
    assert skip.excerpt.startswith("4、填空题维系系统可以自动提取连续")


def test_sample_single_choice_with_damaged_markers(sample):
    item5 = sample.items[4]
    assert item5.type is T.SINGLE
    assert item5.stem == "对连续五天零通话的中高端用户,维系系统应当( )"
    assert item5.options == ("立即停机", "生成预警并提示客户经理回访", "不做处理", "下月再看")
    assert item5.answer == ("B",)
    assert item5.lines == (6, 6)
    assert "选项标记 'c、' 按 C 读取" in item5.notes
    assert "选项标记 'D>' 按 D 读取" in item5.notes


def test_sample_multiple_choice_with_greek_lambda_in_key(sample):
    item7 = sample.items[6]
    assert item7.type is T.MULTIPLE
    assert item7.stem == "下列属于存费维系手段的是( )。"
    assert item7.options == ("预存话费赠送", "二次续约", "拆机", "终端补贴", "积分兑换")
    assert item7.answer == ("A", "B", "D", "E")
    assert item7.lines == (10, 11)
    assert "答案中的 'Λ' 按 A 读取" in item7.notes


def test_sample_items_in_order_with_their_lines(sample):
    got = [(i.type, i.lines) for i in sample.items]
    assert got == [
        (T.SINGLE, (3, 3)), (T.MULTIPLE, (3, 4)), (T.FILL_BLANK, (4, 5)), (T.TRUE_FALSE, (5, 6)),
        (T.SINGLE, (6, 6)), (T.SHORT_ANSWER, (6, 10)), (T.MULTIPLE, (10, 11)), (T.SHORT_ANSWER, (11, 11)),
        *[(T.TRUE_FALSE, (14, 14))] * 6,
        (T.SHORT_ANSWER, (16, 16)), (T.SHORT_ANSWER, (16, 16)), (T.SHORT_ANSWER, (17, 17)),
    ]


def test_sample_first_items_are_clean(sample):
    first, second, fill, judge = sample.items[:4]
    assert first.stem == "客户投诉处理的第一步是( )。" and first.answer == ("B",)
    assert second.options == ("节日短信", "生日问候", "账单提醒", "停机催缴")
    assert fill.stem == "客户生命周期一般分为识别期、____、____和预警期四个阶段。"
    assert fill.answer == (("成长期",), ("稳定期",))
    assert judge.stem == "向客户道歉就等于承认公司有过错。" and judge.answer is False


def test_sample_short_answers_including_misread_number(sample):
    steps, term = sample.items[5], sample.items[7]
    assert steps.stem == "简述外呼挽留的基本步骤。"
    assert steps.answer == "(1)核实客户身份\n(2)了解离网原因\n(3)提出针对性方案\n(4)确认办理并跟踪"
    assert term.stem == "拍照用户"
    assert term.answer == "在某一时点锁定、作为维系考核对象的目标客户群。"
    assert "题号 'IK' 识别为题号" in term.notes


def test_sample_watermark_gone_and_latin_words_intact(sample):
    texts = [i.stem + "".join(i.options) + str(i.answer) for i in sample.items]
    assert not any("维系题库网" in t for t in texts)
    assert sample.items[-1].stem == "WindOWS系统中误删的文件可以从哪里找回"
    assert sample.items[-1].answer == "回收站"


def test_sample_headings_follow_the_blocks(sample):
    assert {i.heading for i in sample.items[:8]} == {"VIP客户维系岗位练习题(一)"}
    assert {i.heading for i in sample.items[8:14]} == {"维系知识判断题"}
    assert {i.heading for i in sample.items[14:]} == {"经理人员应知应会"}


# shapes


def test_s1_single_choice_with_run_together_options():
    item = only("3、单选客户投诉处理的第一步是()。A.解释原因B.倾听并安抚C.给予赔偿D.转交上级正确答案:B")
    assert item.type is T.SINGLE
    assert item.stem == "客户投诉处理的第一步是( )。"
    assert item.options == ("解释原因", "倾听并安抚", "给予赔偿", "转交上级")
    assert item.answer == ("B",)
    assert item.lines == (1, 1)


def test_s1_options_marked_with_ideographic_comma():
    item = only("1、单选客户投诉处理的第一步是()A、解释原因;B、倾听并安抚;C、给予赔偿；正确答案:B")
    assert item.options == ("解释原因", "倾听并安抚", "给予赔偿")


def test_s2_multiple_choice_with_options_up_to_h():
    item = only("7、多选VIP客户关怀的常用方式有()。A.节日短信B.生日问候C.账单提醒D.停机催缴E.积分兑换"
                "F.上门拜访G.专属经理H.停机提醒正确答案:A,B,D,F,G")
    assert item.type is T.MULTIPLE
    assert len(item.options) == 8 and item.options[-1] == "停机提醒"
    assert item.answer == ("A", "B", "D", "F", "G")


@pytest.mark.parametrize("key", ["A,B,D", "A、B、D", "ABD", "A B D", "abd", "Ａ，Ｂ，Ｄ", "D,A,B"])
def test_s2_key_spellings(key):
    item = only(f"1、多选选出正确的()A.甲B.乙C.丙D.丁正确答案:{key}")
    assert item.answer == ("A", "B", "D")


def test_s3_fill_in_blanks_become_four_underscores_and_answers_split_on_semicolons():
    item = only("5、填空题客户生命周期分为识别期、()、（  ）、( )、____和预警期。正确答案:成长期;稳定期；成熟期;衰退期")
    assert item.type is T.FILL_BLANK
    assert item.stem == "客户生命周期分为识别期、____、____、____、____和预警期。"
    assert count_blanks(item.stem) == 4
    assert item.answer == (("成长期",), ("稳定期",), ("成熟期",), ("衰退期",))


@pytest.mark.parametrize(("word", "value"), [
    ("对", True), ("错", False), ("正确", True), ("错误", False), ("√", True), ("×", False),
    ("✓", True), ("✗", False), ("T", True), ("F", False), ("Y", True), ("N", False),
])
def test_s4_true_false_verdict_words(word, value):
    item = only(f"9、判断题向客户道歉就等于承认公司有过错。()正确答案:{word}")
    assert item.type is T.TRUE_FALSE
    assert item.stem == "向客户道歉就等于承认公司有过错。"
    assert item.answer is value


def test_s5_short_answer_keeps_a_line_per_enumeration_and_joins_wrapped_lines():
    item = only("12、问答题简述外呼挽留的\n基本步骤。正确答案:(1)核实身份\n(2)了解离网\n原因\n(3)提出方案(4)确认办理")
    assert item.type is T.SHORT_ANSWER
    assert item.stem == "简述外呼挽留的基本步骤。"
    assert item.answer == "(1)核实身份\n(2)了解离网原因\n(3)提出方案(4)确认办理"
    assert item.lines == (1, 5)


def test_s5_term_definition_is_a_short_answer():
    item = only("8、名词解释拍照用户正确答案:在某一时点锁定、作为维系考核对象的目标客户群。")
    assert (item.type, item.stem) == (T.SHORT_ANSWER, "拍照用户")


def test_s6_true_false_list_with_many_items_on_one_line():
    result = parse_dump("1.拍照用户是指在某一时点锁定的目标维系客户.(√) .2.零通话用户无需关注.(×) .3.回访越多越好. (×) ."
                        "4.首问负责制要求跟踪到底.(√)5.客户关怀属于维系工作.(√)")
    assert [(i.stem, i.answer) for i in result.items] == [
        ("拍照用户是指在某一时点锁定的目标维系客户", True), ("零通话用户无需关注", False),
        ("回访越多越好", False), ("首问负责制要求跟踪到底", True), ("客户关怀属于维系工作", True),
    ]
    assert {i.type for i in result.items} == {T.TRUE_FALSE}


def test_s7_items_run_together_are_split_at_the_next_number():
    result = parse_dump("1.系统提取哪些用户【答案】连续5天零通话的用户2.预警门槛是多少【答案】2.5天以上"
                        "3.维系的核心目标是什么【答案】延长客户生命周期,提升客户价值")
    assert [(i.stem, i.answer) for i in result.items] == [
        ("系统提取哪些用户", "连续5天零通话的用户"),
        ("预警门槛是多少", "2.5天以上"),
        ("维系的核心目标是什么", "延长客户生命周期,提升客户价值"),
    ]
    assert {i.type for i in result.items} == {T.SHORT_ANSWER}


def test_s8_bracketed_type_labels_with_one_option_per_line():
    result = parse_dump(
        "1.【单项选择题】维系挽留应优先关注哪类客户\nA、高价值高风险\nB、低价值低风险\nC、新入网客户\n标准答案:C\n"
        "2.【多项选择题】属于客户关怀的有\nA、节日短信\nB、生日问候\nC、停机\n标准答案:AB\n"
        "3.【判断题】零通话用户无需关注。\n标准答案:错误\n"
        "4.【填空题】客户生命周期分为识别期、（  ）和预警期。\n标准答案:成长期\n"
        "5.【问答题】简述外呼挽留步骤。\n标准答案:核实身份,了解原因\n"
    )
    assert [(i.type, i.answer, i.lines) for i in result.items] == [
        (T.SINGLE, ("C",), (1, 5)), (T.MULTIPLE, ("A", "B"), (6, 10)), (T.TRUE_FALSE, False, (11, 12)),
        (T.FILL_BLANK, (("成长期",),), (13, 14)), (T.SHORT_ANSWER, "核实身份,了解原因", (15, 16)),
    ]
    assert result.items[0].options == ("高价值高风险", "低价值低风险", "新入网客户")


def test_s9_answer_in_stem_parentheses_under_a_scored_section_header():
    result = parse_dump("二、单选(共30分,每题2分)\n1.维系挽留应优先关注( B )客户。A.低价值B.高价值高风险C.新入网D.沉默\n"
                        "三、多选(共20分,每题4分)\n1.属于存费维系手段的是（ABD）A.预存话费赠送B.二次续约C.拆机D.终端补贴\n")
    single, multiple = result.items
    assert (single.type, single.stem, single.answer) == (T.SINGLE, "维系挽留应优先关注( )客户。", ("B",))
    assert single.options == ("低价值", "高价值高风险", "新入网", "沉默")
    assert (multiple.type, multiple.stem, multiple.answer) == (T.MULTIPLE, "属于存费维系手段的是( )", ("A", "B", "D"))
    assert not result.skipped


def test_s9_section_header_type_applies_to_unlabelled_items():
    result = parse_dump("一、判断题\n1.首问负责制要求跟踪到底。\n答案:对\n2.回访越多越好。\n答案:错\n")
    assert [(i.type, i.answer) for i in result.items] == [(T.TRUE_FALSE, True), (T.TRUE_FALSE, False)]


def test_s10_answer_label_on_its_own_line_and_keys_without_commas():
    result = parse_dump("1.维系挽留应优先关注哪类客户\nA.高价值高风险\nB.低价值\nC.新入网\nD.沉默\nE.离网\n答案:\nABCE\n"
                        "2.向客户道歉就等于承认过错。\n答案:\n错\n3.简述外呼步骤\n答案:\n先核实身份,\n再了解原因。\n")
    multi, judge, essay = result.items
    assert (multi.type, multi.answer, multi.lines) == (T.MULTIPLE, ("A", "B", "C", "E"), (1, 8))
    assert (judge.type, judge.answer) == (T.TRUE_FALSE, False)
    assert (essay.type, essay.answer) == (T.SHORT_ANSWER, "先核实身份,再了解原因。")


def test_s11_traditional_script_is_converted_before_parsing():
    result = parse_dump("【單選題】維繫客戶時應優先關注哪類客戶?\nA.高價值\nB.低價值\n標準答案:A\n"
                        "【判斷題】軟體升級後客戶資料會遺失。標準答案:錯\n")
    assert result.traditional
    choice, judge = result.items
    assert (choice.type, choice.stem, choice.options, choice.answer) == (
        T.SINGLE, "维系客户时应优先关注哪类客户?", ("高价值", "低价值"), ("A",))
    assert (judge.type, judge.stem, judge.answer) == (T.TRUE_FALSE, "软件升级后客户数据会遗失。", False)


@pytest.mark.parametrize(("label", "kind"), [
    ("单选", T.SINGLE), ("单选题", T.SINGLE), ("单项选择", T.SINGLE), ("单项选择题", T.SINGLE),
    ("多选", T.MULTIPLE), ("多选题", T.MULTIPLE), ("多项选择", T.MULTIPLE), ("多项选择题", T.MULTIPLE),
    ("不定项选择题", T.MULTIPLE),
])
def test_choice_type_label_spellings(label, kind):
    key = "B" if kind is T.SINGLE else "A,B"
    for text in (f"1、{label}选出正确的()A.甲B.乙正确答案:{key}", f"1.【{label}】选出正确的()A.甲B.乙正确答案:{key}",
                 f"1.[{label}]选出正确的()A.甲B.乙正确答案:{key}"):
        assert only(text).type is kind, text


@pytest.mark.parametrize(("label", "kind"), [
    ("判断", T.TRUE_FALSE), ("判断题", T.TRUE_FALSE), ("是非题", T.TRUE_FALSE), ("填空", T.FILL_BLANK),
    ("填空题", T.FILL_BLANK), ("问答", T.SHORT_ANSWER), ("问答题", T.SHORT_ANSWER), ("简答", T.SHORT_ANSWER),
    ("简答题", T.SHORT_ANSWER), ("名词解释", T.SHORT_ANSWER), ("论述题", T.SHORT_ANSWER), ("案例", T.CASE_STUDY),
    ("案例分析", T.CASE_STUDY), ("案例分析题", T.CASE_STUDY),
])
def test_other_type_label_spellings(label, kind):
    answer = {T.TRUE_FALSE: "对", T.FILL_BLANK: "成长期"}.get(kind, "(1)核实身份\n(2)了解原因")
    item = only(f"1、{label}:客户生命周期的第二阶段是()。正确答案:{answer}")
    assert item.type is kind
    assert item.stem.startswith("客户生命周期")


def test_unlabelled_items_are_typed_by_their_answer():
    result = parse_dump("1.选哪个()A.甲B.乙【答案】B\n2.选哪些()A.甲B.乙C.丙【答案】AC\n3.零通话无需关注【答案】错\n"
                        "4.维系的目标是什么【答案】提升客户价值\n5.连续()天零通话要预警【答案】5\n")
    assert [i.type for i in result.items] == [T.SINGLE, T.MULTIPLE, T.TRUE_FALSE, T.SHORT_ANSWER, T.SHORT_ANSWER]


def test_unlabelled_items_under_a_fill_in_heading_are_fill_ins():
    item = only("填空题\n1.客户分为()和()两类【答案】高价值;低价值\n")
    assert (item.type, item.stem, item.answer) == (T.FILL_BLANK, "客户分为____和____两类", (("高价值",), ("低价值",)))


# damage


@pytest.mark.parametrize(("written", "stem"), [
    ("第一步是OoA.", "第一步是( )。"), ("第一步是O o\nA.", "第一步是( )。"), ("第一步是OO A.", "第一步是( )。"),
    ("第一步是O。\nA.", "第一步是( )。"), ("第一步应当OA、", "第一步应当( )"),
])
def test_ocr_blank_o_forms_become_blanks(written, stem):
    item = only(f"1、单选{written}解释原因B.倾听正确答案:B")
    assert item.stem == stem
    assert item.options == ("解释原因", "倾听")
    assert any("按空白括号读取" in n for n in item.notes)


def test_ocr_blank_in_fill_in_counts_as_a_blank():
    item = only("1、填空题客户生命周期分为识别期、O、O和预警期O o正确答案:成长期;稳定期;衰退期")
    assert item.stem == "客户生命周期分为识别期、____、____和预警期____。"
    assert len(item.answer) == 3


def test_latin_words_with_capital_o_stay_intact():
    item = only("1、单选WindOWS和O2O都属于OA.系统B.模式正确答案:A")
    assert item.stem == "WindOWS和O2O都属于( )"


def test_watermarks_are_removed_from_stem_option_and_type_label():
    result = parse_dump("1、问答(某某题库)题简述(www.tiku.com)步骤。正确答案:核实身份\n"
                        "2、单选客户（维系题库网）投诉第一步是()A.解释B.倾听(维系题库网)C.赔偿正确答案:B\n")
    essay, choice = result.items
    assert (essay.type, essay.stem) == (T.SHORT_ANSWER, "简述步骤。")
    assert choice.stem == "客户投诉第一步是( )"
    assert choice.options == ("解释", "倾听", "赔偿")


def test_recurring_parenthesised_text_is_a_watermark_but_short_asides_stay():
    text = "".join(f"{k}、判断题第{k}条(精品资料整理)说法正确。正确答案:对\n" for k in range(1, 7))
    text += "7、单选在网3个月(含)以上的客户属于()A.老客户B.新客户正确答案:A\n"
    result = parse_dump(text)
    assert [i.stem for i in result.items[:2]] == ["第1条说法正确。", "第2条说法正确。"]
    assert result.items[-1].stem == "在网3个月(含)以上的客户属于( )"


def test_meaningful_parentheses_are_never_taken_for_watermarks():
    text = "二、判断题(每题2分)\n" + "".join(f"{k}.离网(1)预警(√)\n" for k in range(1, 7))
    result = parse_dump(text)
    assert len(result.items) == 6
    assert {(i.stem, i.answer) for i in result.items} == {("离网(1)预警", True)}


@pytest.mark.parametrize("junk", ["IK", "l1", "I1", "|1"])
def test_misread_question_number_glued_to_the_previous_answer(junk):
    result = parse_dump(f"10、多选选出正确的()A.甲B.乙C.丙D.丁正确答案:A,B,D{junk}问答题简述步骤。正确答案:核实身份")
    choice, essay = result.items
    assert choice.answer == ("A", "B", "D")
    assert (essay.type, essay.stem, essay.answer) == (T.SHORT_ANSWER, "简述步骤。", "核实身份")
    assert f"题号 '{junk}' 识别为题号" in essay.notes


def test_answer_glued_to_the_next_item_without_separator():
    result = parse_dump("1、单选第一步是()A.甲B.乙C.丙D.丁正确答案:D2、填空题客户分为()两类。正确答案:高价值3、判断题"
                        "道歉等于过错。正确答案:错4、单选选哪个()A.甲B.乙正确答案:A")
    assert [(i.type, i.answer) for i in result.items] == [
        (T.SINGLE, ("D",)), (T.FILL_BLANK, (("高价值",),)), (T.TRUE_FALSE, False), (T.SINGLE, ("A",)),
    ]
    assert not any(i.notes for i in result.items)


def test_damaged_option_markers_are_read_with_a_note():
    item = only("5、单选选哪个()A.甲B>乙c.丙D^丁正确答案:C")
    assert item.options == ("甲", "乙", "丙", "丁")
    assert item.notes == ("选项标记 'B>' 按 B 读取", "选项标记 'c.' 按 C 读取", "选项标记 'D^' 按 D 读取")


@pytest.mark.parametrize(("key", "letter"), [("Λ", "A"), ("А", "A"), ("В", "B"), ("С", "C"), ("Α", "A"), ("Β", "B")])
def test_look_alike_letters_in_keys_are_read_as_latin(key, letter):
    item = only(f"1、单选选哪个()A.甲B.乙C.丙正确答案:{key}")
    assert item.answer == (letter,)
    assert item.notes == (f"答案中的 '{key}' 按 {letter} 读取",)


def test_extra_punctuation_after_the_type_label_is_dropped():
    item = only("4、单选、.对连续五天零通话的用户应当()A.停机B.回访正确答案:B")
    assert item.stem == "对连续五天零通话的用户应当( )"


def test_half_and_full_width_punctuation_mixed():
    item = only("１．单选客户投诉处理第一步是（　）。Ａ．解释Ｂ、倾听Ｃ.赔偿正确答案：Ｂ")
    assert (item.stem, item.options, item.answer) == ("客户投诉处理第一步是( )。", ("解释", "倾听", "赔偿"), ("B",))


def test_line_breaks_anywhere_are_ocr_wrapping():
    item = only("1、单选\n客户使用Windows\nXP系统时,\n投诉处理的\n第一步是\n()\nA.解释\n原因\nB.倾听\n正确答案\n:\nB")
    assert item.stem == "客户使用Windows XP系统时,投诉处理的第一步是( )"
    assert item.options == ("解释原因", "倾听")
    assert item.lines == (1, 12)


def test_page_furniture_is_removed_even_mid_item():
    item = only("- 格式:pdf\n- 大小:88.10 KB\n1、单选客户投诉处理的第一步是\n第3页共40页\n（ ）。\n12\n"
                "A.解释原因B.倾听并安抚\n- 格式:pdf\nC.给予赔偿错误!未定义书签。D.转交上级\n第 3 页 / 共 40 页\n正确答案:B")
    assert item.stem == "客户投诉处理的第一步是( )。"
    assert item.options == ("解释原因", "倾听并安抚", "给予赔偿", "转交上级")
    assert item.lines == (3, 11)


def test_lone_number_after_an_answer_label_is_the_answer_not_a_page_number():
    item = only("1、填空题连续()天零通话的用户需要预警。\n正确答案:\n5\n")
    assert item.answer == (("5",),)


def test_block_header_glued_to_the_first_item_becomes_the_heading():
    result = parse_dump("VIP客户维系岗位练习题(一)1、单选选哪个()A.甲B.乙正确答案:A\n"
                        "客户服务规范1、判断题服务要热情。正确答案:对")
    assert [(i.heading, i.stem) for i in result.items] == [
        ("VIP客户维系岗位练习题(一)", "选哪个( )"), ("客户服务规范", "服务要热情。"),
    ]


def test_heading_lines_between_blocks_become_headings_and_may_set_the_type():
    result = parse_dump("维系知识判断题\n1.零通话用户无需关注【答案】错\n2.首问负责【答案】对\n经理人员应知应会\n"
                        "1.维系的三大主题是什么【答案】流失预警、客户关怀、价值提升\n")
    assert [(i.heading, i.type) for i in result.items] == [
        ("维系知识判断题", T.TRUE_FALSE), ("维系知识判断题", T.TRUE_FALSE), ("经理人员应知应会", T.SHORT_ANSWER),
    ]


def test_prose_glued_after_a_closed_answer_is_left_out_with_a_note():
    item = only("2、判断题向客户道歉就等于承认过错()正确答案:错以上为全部练习题,祝考试顺利")
    assert item.answer is False
    assert item.notes == ("答案 '错' 后面的文字 '以上为全部练习题,祝考试顺利' 未读入",)


def test_prose_on_the_line_after_a_complete_fill_in_answer_is_left_out_with_a_note():
    item = only("2、填空题客户生命周期分为识别期、()、()和预警期。正确答案:成长期;稳定期\n说明: 以上题目仅供参考。")
    assert item.answer == (("成长期",), ("稳定期",))
    assert item.notes == ("答案 '成长期;稳定期' 后面的文字 '说明: 以上题目仅供参考' 未读入",)


def test_a_fill_in_answer_may_still_run_over_lines_after_a_separator():
    item = only("2、填空题客户生命周期分为识别期、()、()和预警期。正确答案:\n成长期;\n稳定期")
    assert item.answer == (("成长期",), ("稳定期",)) and item.lines == (1, 3)


def test_truncated_last_item_is_skipped_never_answered():
    result = parse_dump("1、单选选哪个()A.甲B.乙正确答案:A\n2、多选选哪些()A.甲\nB.乙\n")
    assert len(result.items) == 1
    (skip,) = result.skipped
    assert (skip.lines, skip.reason) == ((2, 3), "没有答案 (可能被截断), 已跳过")
    assert skip.excerpt == "2、多选选哪些()A.甲B.乙"


def test_truncated_answer_label_is_skipped():
    (skip,) = parse_dump("1、单选选哪个()A.甲B.乙正确答案:").skipped
    assert skip.reason == "答案为空 (可能被截断), 已跳过"


# items that cannot become valid records


@pytest.mark.parametrize(("text", "reason"), [
    ("4、单选选哪个()A.甲B.乙正确答案:AB", "单选题只能有一个答案, 读到 'AB', 已跳过"),
    ("4、多选选哪些()A.甲B.乙正确答案:B", "多选题至少两个答案, 读到 'B', 已跳过"),
    ("3、单选选哪个()A.甲B.乙正确答案:E", "答案 E 超出选项范围 A–B, 已跳过"),
    ("2、填空题客户分为()和()两类。正确答案:高价值", "题干有 2 个空, 答案有 1 组, 已跳过"),
    ("2、填空题客户分为两类。正确答案:高价值", "填空题题干中没有空 (括号或下划线), 已跳过"),
    ("5、多选选哪些()正确答案:AB", "多选题没有找到选项, 已跳过"),
    ("6、单选选哪个()A.甲B.乙正确答案:无", "答案 '无' 不是选项字母, 已跳过"),
    ("7、判断题道歉等于过错。正确答案:不一定", "判断题答案 '不一定' 不是 对/错, 已跳过"),
])
def test_items_that_would_be_invalid_records_are_skipped_with_the_reason(text, reason):
    result = parse_dump(text)
    assert not result.items
    assert [(s.lines, s.reason) for s in result.skipped] == [((1, 1), reason)]


def test_text_with_an_answer_but_no_number_is_reported():
    result = parse_dump("客户投诉处理的第一步是什么?答案:倾听\n\n1、判断题服务要热情。正确答案:对")
    assert len(result.items) == 1
    assert [(s.lines, s.reason) for s in result.skipped] == [((1, 1), "有答案但找不到题号, 已跳过")]


def test_to_record_builds_a_bank_record():
    item = only("3、单选客户投诉处理的第一步是()。A.解释原因B.倾听并安抚正确答案:B")
    record = item.to_record(key="D-3", area=AREA_CODES[0], difficulty=Difficulty.EASY, levels=("L4",))
    assert (record.key, record.type, record.answer, record.levels) == ("D-3", T.SINGLE, ("B",), ("L4",))
    assert record.options == ("解释原因", "倾听并安抚")


# scale


def _generated(n: int) -> tuple[str, list[tuple[QuestionType, object]]]:
    shapes = [
        ("{k}、单选客户投诉处理的第一步是Oo A.解释原因B.倾听(维系题库网)并安抚C.给予赔偿D>转交上级正确答案:B",
         T.SINGLE, ("B",)),
        ("{k}、多选VIP客户关怀的常用方式有O。\nA.节日短信B.生日问候C.账单提醒D.停机催缴正确答案:Λ,B,C",
         T.MULTIPLE, ("A", "B", "C")),
        ("{k}、填空题客户生命周期分为识别期、()、()和预警期。\n第3页共40页\n正确答案:成长期;稳定期",
         T.FILL_BLANK, (("成长期",), ("稳定期",))),
        ("{k}、判断题向客户道歉就等于承认公司有过错。O正确答案:错", T.TRUE_FALSE, False),
        ("{k}、问答题简述外呼挽留的基本步骤。正确答案:(1)核实客户身份\n(2)了解离网原因(第{k}次回访)\n(3)提出方案",
         T.SHORT_ANSWER, "(1)核实客户身份\n(2)了解离网原因(第{k}次回访)\n(3)提出方案"),
        ("{k}.【单项选择题】维系挽留应优先关注哪类客户\nA、高价值高风险\nB、低价值低风险\nC、新入网客户\n标准答案:C",
         T.SINGLE, ("C",)),
    ]
    parts, expected = [], []
    for k in range(1, n + 1):
        text, kind, answer = shapes[k % len(shapes)]
        parts.append(text.format(k=k) + ("\n" if k % 3 else ""))
        expected.append((kind, answer.format(k=k) if isinstance(answer, str) else answer))
    return "".join(parts), expected


def test_two_thousand_generated_items_all_come_out_with_their_answers():
    text, expected = _generated(2000)
    result = parse_dump(text)
    assert not result.skipped
    assert [(i.type, i.answer) for i in result.items] == expected
    all_valid(result)


@pytest.mark.parametrize("label", [
    "正确答案:", "正确答案：", "标准答案:", "参考答案：", "答案:", "【答案】", "【参考答案】", "答:", "\n答案\n", " 答案 ",
])
def test_answer_label_spellings(label):
    assert only(f"1、单选选哪个()A.甲B.乙C.丙{label}C").answer == ("C",)


def test_word_answer_inside_a_stem_is_not_an_answer_label():
    item = only("1.以下哪个答案正确()A.甲B.乙【答案】B")
    assert (item.stem, item.answer) == ("以下哪个答案正确( )", ("B",))


def test_truncated_item_before_a_heading_does_not_swallow_the_next_block():
    result = parse_dump("4、填空题维系系统可以自动提取连续()天没有产生话务量的用户明细\n维系知识判断题\n"
                        "1.拍照用户是目标客户.(√) .2.零通话用户无需关注.(×) .\n")
    assert [(i.stem, i.answer, i.heading) for i in result.items] == [
        ("拍照用户是目标客户", True, "维系知识判断题"), ("零通话用户无需关注", False, "维系知识判断题"),
    ]
    assert [s.lines for s in result.skipped] == [(1, 1)]


def test_answer_on_the_line_after_its_label_is_not_taken_for_a_heading():
    result = parse_dump("1.零通话用户无需关注\n答案:\n正确\n2.首问负责制要求跟踪到底\n答案:\n对\n")
    assert [(i.type, i.answer) for i in result.items] == [(T.TRUE_FALSE, True), (T.TRUE_FALSE, True)]


def test_damaged_copies_of_the_sample_never_fail_and_every_item_stays_valid():
    rnd = random.Random(20260105)
    sample = SAMPLE.read_text(encoding="utf-8")
    noise = "1234567890一二、.【】()（）IlK|正确答案:：单选多判断题填空ABCDOo√×对错;\n"
    for _ in range(200):
        chars = list(sample)
        for _ in range(rnd.randint(1, 30)):
            at = rnd.randrange(len(chars))
            if rnd.random() < 0.5:
                del chars[at]
            else:
                chars.insert(at, rnd.choice(noise))
        result = parse_dump("".join(chars))
        all_valid(result)
        assert all(a <= b for a, b in [i.lines for i in result.items] + [s.lines for s in result.skipped])


def test_enumerated_answer_lines_are_not_taken_for_the_next_item():
    result = parse_dump("二、简答题\n1.简述外呼步骤\n答:\n1.核实身份\n2.了解原因\n3.提出方案\n"
                        "2.什么是拍照用户\n答:在某一时点锁定的目标客户\n")
    steps, term = result.items
    assert steps.answer == "1.核实身份\n2.了解原因\n3.提出方案"
    assert (term.stem, term.lines) == ("什么是拍照用户", (7, 8))


def test_s7_truncated_last_item_is_skipped_not_glued_to_the_previous_answer():
    result = parse_dump("1.维系的目标是什么【答案】提升客户价值\n2.拍照用户是指")
    assert [i.answer for i in result.items] == ["提升客户价值"]
    assert [(s.lines, s.reason) for s in result.skipped] == [((2, 2), "没有答案 (可能被截断), 已跳过")]
