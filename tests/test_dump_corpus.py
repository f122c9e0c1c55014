"""Text dumps as trainers really bring them: the corpus of tests/data/corpus/ read against its gold files,
and the context rules that let items survive what real files carry between them."""
from __future__ import annotations

import json
import random

import pytest
from dump_corpus import load_corpus, score_corpus

from question_bank.dumps import Entry, parse_dump
from question_bank.records import OPTION_LETTERS, QuestionType

T = QuestionType
SHAPES = {f"S{i}" for i in range(1, 12)}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def score(corpus):
    return score_corpus(corpus, parse_dump)


def answers(text: str) -> list[tuple[T, object]]:
    return [(i.type, i.answer) for i in parse_dump(text).items]


# the corpus and its figures


def test_the_corpus_holds_at_least_fifteen_documents_with_well_formed_gold(corpus):
    assert len(corpus) >= 15
    assert sum(len(d.gold) for d in corpus) >= 250
    for doc in corpus:
        assert doc.gold, doc.name
        for g in doc.gold:
            where = f"{doc.name} #{g.index + 1}"
            assert g.shape in SHAPES and g.stem, where
            if g.type.is_choice:
                assert 2 <= len(g.options) <= 8, where
                assert g.answer is None or set(g.answer) <= set(OPTION_LETTERS[:len(g.options)]), where
            elif g.type is T.TRUE_FALSE:
                assert g.answer is None or isinstance(g.answer, bool), where
            elif g.type is T.FILL_BLANK:
                assert g.answer is None or (isinstance(g.answer, list) and all(g.answer)), where
            else:
                assert g.answer is None or (isinstance(g.answer, str) and g.answer), where
    assert {g.shape for d in corpus for g in d.gold} == SHAPES


def test_recall_and_precision_on_the_corpus_meet_the_targets_with_no_invented_answer(score):
    report = "\n".join(score.lines())
    assert score.overall.recall >= 0.95, report
    assert score.overall.precision >= 0.98, report
    assert not score.invented, report
    for shape, tally in score.by_shape.items():
        assert tally.recall >= 0.90, f"{shape}\n{report}"


def test_no_item_of_the_corpus_is_lost_or_merged_without_being_reported(score):
    assert not score.silent, "\n".join(score.lines())


def test_items_the_corpus_cuts_off_are_skipped_with_their_lines_never_answered(corpus):
    for doc in corpus:
        cut = [g for g in doc.gold if not g.answerable]
        if not cut:
            continue
        result = parse_dump(doc.text)
        stems = [i.stem for i in result.items]
        for g in cut:
            assert not any(g.stem[:8] in s for s in stems), (doc.name, g.stem)
        assert result.skipped, doc.name
        assert all(a <= b for a, b in (s.lines for s in result.skipped))


def test_watermarks_do_not_survive_anywhere_in_the_corpus(score):
    leaked = [(d.doc.name, w) for d in score.docs for w in d.leaked_watermarks]
    assert not leaked


def test_explanations_after_the_answer_are_read_into_the_item(score):
    got, wanted = score.explanations
    assert wanted >= 5 and got == wanted


def test_damaged_corpus_documents_never_fail_and_every_item_stays_valid(corpus):
    rnd = random.Random(20261126)
    noise = "1234567890一二、.【】()（）IlK|正确答案:：解析单选多判断题填空ABCDOo√×对错;第页共\n\t—"
    for doc in corpus:
        for _ in range(8):
            chars = list(doc.text)
            for _ in range(rnd.randint(1, 40)):
                at = rnd.randrange(len(chars))
                if rnd.random() < 0.5:
                    del chars[at]
                else:
                    chars.insert(at, rnd.choice(noise))
            result = parse_dump("".join(chars))
            for item in result.items:
                item.to_record(key="~1", area="W05")
            assert all(a <= b for a, b in [i.lines for i in result.items] + [s.lines for s in result.skipped])


# items that follow a free-text answer


def test_a_numbered_true_false_list_after_a_free_text_answer_is_read_as_items():
    got = answers("8、问答题简述拜访礼仪。\n正确答案:(1)提前预约；\n(2)准时到达。\n"
                  "1.接待客户应起身相迎。(√)\n2.可以同时接待多位客户并让他们等待。(×)\n"
                  "9、单选选哪个()A.甲B.乙正确答案:B\n")
    assert got == [(T.SHORT_ANSWER, "(1)提前预约；\n(2)准时到达。"), (T.TRUE_FALSE, True), (T.TRUE_FALSE, False),
                   (T.SINGLE, ("B",))]


def test_a_true_false_list_glued_after_a_free_text_answer_on_the_same_line_is_read():
    got = answers("4、问答题简述职责。正确答案:负责客户维护。1.客户经理应熟悉所辖客户.(√) .2.投诉可以拖延.(×) .")
    assert got == [(T.SHORT_ANSWER, "负责客户维护。"), (T.TRUE_FALSE, True), (T.TRUE_FALSE, False)]


def test_a_numbered_section_of_answered_items_after_a_term_definition_is_read():
    result = parse_dump("3、名词解释存量经营\n正确答案:以现有客户为对象的经营方式。\n一、维系基础知识\n"
                        "1.维系的三大主题是什么【答案】流失预警、客户关怀、价值提升2.回访时限是多少【答案】2个工作日\n")
    assert [(i.stem, i.answer, i.heading) for i in result.items] == [
        ("存量经营", "以现有客户为对象的经营方式。", ""),
        ("维系的三大主题是什么", "流失预警、客户关怀、价值提升", "维系基础知识"),
        ("回访时限是多少", "2个工作日", "维系基础知识"),
    ]


def test_a_new_labelled_item_after_paragraphs_of_answer_text_is_read():
    got = answers("10、问答题如何理解首问负责制？\n正确答案:第一位接待的员工即为首问责任人。\n\n"
                  "首问责任人应跟踪直至问题解决，不得推诿。\n11、单选目光应()。A.盯住客户B.注视面部三角区正确答案:B")
    assert got == [(T.SHORT_ANSWER, "第一位接待的员工即为首问责任人。首问责任人应跟踪直至问题解决，不得推诿。"),
                   (T.SINGLE, ("B",))]


def test_an_answers_own_enumerations_stay_in_the_answer():
    result = parse_dump("5、问答题处理投诉的要点？\n正确答案:要点如下：\n一、倾听客户\n1.不打断客户\n2.记录要点\n"
                        "二、解决问题\n6、判断题服务要热情。正确答案:对\n")
    assert [(i.type, i.answer) for i in result.items] == [
        (T.SHORT_ANSWER, "要点如下：\n一、倾听客户\n1.不打断客户\n2.记录要点\n二、解决问题"), (T.TRUE_FALSE, True),
    ]


def test_a_case_answers_own_numbered_parts_stay_in_it_even_when_the_first_follows_the_label():
    result = parse_dump("3、案例分析题宽带频繁断网。请提出方案。\n正确答案:一、问题分析\n不满集中在宽带质量。\n二、处理措施\n"
                        "1.上门测速\n2.升级设备\n4、单选选()A.甲B.乙正确答案:A\n")
    assert [(i.type, i.answer) for i in result.items] == [
        (T.CASE_STUDY, "一、问题分析不满集中在宽带质量。\n二、处理措施\n1.上门测速\n2.升级设备"), (T.SINGLE, ("A",)),
    ]
    assert not result.skipped


def test_a_short_heading_over_unanswered_points_inside_an_answer_stays_in_it_with_a_note():
    (essay, choice) = parse_dump("5、问答题如何处理客户投诉？\n正确答案:先安抚客户情绪。\n处理步骤\n1.倾听记录\n2.核实情况\n"
                                 "6、单选选()A.甲B.乙正确答案:A\n").items
    assert essay.answer == "先安抚客户情绪。处理步骤\n1.倾听记录\n2.核实情况"
    assert essay.notes == ("答案中第 4 行起重新编号 '1.', 可能是答案之后的另一组题目, 请核对",)


def test_an_item_number_glued_to_a_digit_starts_the_next_item_where_the_count_expects_it():
    got = answers("判断题：\n1.信号格数越多网速一定越快。答案：错\n2.eSIM需要终端支持。答案：对\n3.5G手机可以使用4G网络。答案：对\n")
    assert got == [(T.TRUE_FALSE, False), (T.TRUE_FALSE, True), (T.TRUE_FALSE, True)]


def test_a_first_item_glued_to_a_digit_after_a_heading_is_read_but_a_decimal_in_an_answer_is_not():
    result = parse_dump("5G业务知识\n1.5G网络的三大场景之一是()A.eMBB B.GSM【答案】A\n"
                        "2.预警门槛是多少【答案】\n2.5天以上\n3.沉默客户要关注吗【答案】要\n")
    assert [(i.stem, i.answer) for i in result.items] == [
        ("5G网络的三大场景之一是( )", ("A",)), ("预警门槛是多少", "2.5天以上"), ("沉默客户要关注吗", "要"),
    ]


def test_a_free_text_answer_that_still_holds_an_answer_label_is_reported_as_doubtful_with_its_line():
    (essay, choice) = parse_dump("5、问答题简述要点。\n正确答案:先倾听客户。\n客户星级如何评定 正确答案:按消费评定\n"
                                 "6、单选选()A.甲B.乙正确答案:A\n").items
    assert essay.notes == ("答案中第 3 行还有 '正确答案:', 可能混入了另一题, 请核对",)
    assert choice.answer == ("A",)


def test_items_numbered_the_way_exam_systems_export_them_are_read():
    result = parse_dump("第1题 单选题 客户星级最高为（ ）\nA.五星 B.六星 C.七星\n正确答案：C\n"
                        "第2题【判断题】星级终身不变。\n正确答案：错\n第3题：简述星级的作用。\n正确答案：配置服务资源。\n")
    assert [(i.type, i.stem, i.answer) for i in result.items] == [
        (T.SINGLE, "客户星级最高为( )", ("C",)), (T.TRUE_FALSE, "星级终身不变。", False),
        (T.SHORT_ANSWER, "简述星级的作用。", "配置服务资源。"),
    ]


def test_answer_keys_collected_after_a_section_are_never_given_to_its_last_item():
    result = parse_dump("一、单选题\n1.第一步是（ ）。A.解释B.倾听\n2.负责人是（ ）。A.接待者B.主管\n参考答案：1.B 2.A\n")
    assert result.items == []
    assert [s.lines for s in result.skipped] == [(2, 2), (3, 4)]


def test_a_numbered_list_without_answers_after_an_essay_answer_stays_but_is_reported_as_doubtful():
    essay, listed, steps = parse_dump("8、问答题简述礼仪要点。\n正确答案:提前预约，准时到达。\n1.接待时起身相迎。\n"
                                      "2.可以推诿。\n9、问答题要点？\n答案:要点如下：\n1.倾听\n2.记录\n"
                                      "10、问答题步骤？\n正确答案:\n1.核实\n2.了解\n").items
    assert essay.answer == "提前预约，准时到达。\n1.接待时起身相迎。\n2.可以推诿。"
    assert essay.notes == ("答案中第 3 行起重新编号 '1.', 可能是答案之后的另一组题目, 请核对",)
    assert (listed.notes, steps.notes) == ((), ())


# what lies between blocks ends an answer instead of joining it


def test_a_title_and_a_table_of_contents_between_question_sets_end_the_answer():
    result = parse_dump("6、问答题简述回访话术。\n正确答案:开场问候，说明目的；确认意向并致谢。\n维系技能练习题（二）\n目录\n"
                        "一、单项选择题………………1\n二、判断题………………3\n1、单选首先应()。A.办理携出B.了解原因正确答案:B\n")
    assert [(i.answer, i.heading) for i in result.items] == [
        ("开场问候，说明目的；确认意向并致谢。", ""), (("B",), "维系技能练习题（二）"),
    ]


def test_a_chapter_title_ends_the_answer_and_its_prose_and_enumerations_are_not_items():
    result = parse_dump("3.简述事后回访的含义。\n答：处理结束后回访客户，确认效果。\n第二章 客户沟通技巧\n"
                        "有效沟通包括三个环节：\n1. 倾听：不随意打断；\n2. 提问：了解真实需求。\n课后练习\n"
                        "1.以下属于开放式提问的是（ B ）。\nA.您要办宽带吗？ B.您平时用手机做什么？\n")
    assert [(i.type, i.answer) for i in result.items] == [
        (T.SHORT_ANSWER, "处理结束后回访客户，确认效果。"), (T.SINGLE, ("B",)),
    ]
    assert result.items[1].heading == "课后练习"


def test_page_headers_repeated_on_every_page_are_removed_and_the_answer_runs_on_across_the_page():
    page = "中国电信VIP客户服务经理认证题库"
    result = parse_dump(f"{page}\n1、问答题流量不够用怎么办？\n正确答案:查询近三个月用量；推荐合适的流量包；\n- 5 -\n{page}\n"
                        f"设置流量提醒。\n2、判断题欠费停机缴清后恢复。()正确答案:对\n- 6 -\n{page}\n"
                        "3、单选详单打印前应()。A.直接打印B.核验身份正确答案:B\n第3页\n")
    assert [i.answer for i in result.items] == ["查询近三个月用量；推荐合适的流量包；设置流量提醒。", True, ("B",)]
    assert result.items[0].lines == (2, 6)


def test_a_header_seen_twice_beside_page_numbers_is_furniture_but_a_repeated_block_heading_is_kept():
    result = parse_dump("携号转网练习\n1.【问答题】如何挽留？\n标准答案:询问原因；给出方案。\n携号转网练习\n第2页\n"
                        "课后练习\n1.开放式提问是（ B ）。A.要办吗 B.做什么\n课后练习\n1.倾听时应（ A ）。A.不打断 B.打断\n")
    assert [(i.answer, i.heading) for i in result.items] == [
        ("询问原因；给出方案。", ""), (("B",), "课后练习"), (("A",), "课后练习"),
    ]


def test_a_running_footer_carrying_its_page_number_is_furniture_too():
    result = parse_dump("培训教材 第1页\n1、问答题流量不够用怎么办？\n正确答案:查询用量；\n培训教材 第2页\n推荐流量包。\n"
                        "2、判断题停机缴费后恢复。()正确答案:对\n共3页 第3页\n培训教材 第3页\n")
    assert [i.answer for i in result.items] == ["查询用量；推荐流量包。", True]
    assert result.items[1].notes == ()


def test_a_separator_rule_and_a_closing_remark_end_the_answer():
    result = parse_dump("5.（简答）要求超出规定怎么办？\n答：说明规定；提供替代方案。\n————————\n"
                        "6.（简答）陪同参观的礼仪？\n答：走在客户左前方，转弯时回身示意。\n以上为全部内容，祝您考试顺利！\n")
    assert [i.answer for i in result.items] == ["说明规定；提供替代方案。", "走在客户左前方，转弯时回身示意。"]


def test_an_unnumbered_type_line_with_a_colon_sets_the_section_after_an_answer():
    result = parse_dump("4、名词解释\n基站\n正确答案:收发无线信号的设备。\n判断题：\n1.格数越多网速越快。答案：错\n")
    assert [(i.type, i.answer) for i in result.items] == [(T.SHORT_ANSWER, "收发无线信号的设备。"), (T.TRUE_FALSE, False)]


def test_answer_text_that_only_looks_like_a_title_or_a_closing_stays_in_the_answer():
    got = answers("9、问答题如何组织培训？\n正确答案:每月组织一次服务礼仪培训\n定期开展岗位技能练习\n"
                  "以上内容均需记录在案。\n10、单选选()A.甲B.乙正确答案:A\n")
    assert got[0] == (T.SHORT_ANSWER, "每月组织一次服务礼仪培训定期开展岗位技能练习以上内容均需记录在案。")


# watermarks wherever they are


def test_a_watermark_on_its_own_line_at_a_line_start_and_mid_line_is_removed_everywhere():
    result = parse_dump("电信人学习网 www.dxrxx.net\n1、单选FABE中B代表()。A.特征B.利益正确答案:B\n"
                        "电信人学习网 2、问答题简述步骤。\n正确答案:了解需求；介绍利益；\n电信人学习网\n处理异议。\n"
                        "3、判断题应如实告知资费。(电信人学习网)()正确答案:对\n更多练习题请关注微信公众号：电信人学习\n")
    texts = " ".join(i.stem + "".join(i.options) + str(i.answer) + " ".join(i.notes) for i in result.items)
    assert "学习网" not in texts and "dxrxx" not in texts and "公众号" not in texts
    assert [i.answer for i in result.items] == [("B",), "了解需求；介绍利益；处理异议。", True]


def test_a_site_name_seen_only_before_item_numbers_is_removed_there_and_mid_stem():
    result = parse_dump("1、单选第一步是()。A.解释B.倾听正确答案:B\n维系宝典网 2、问答题简述步骤。\n正确答案:了解需求。\n"
                        "维系宝典网 3、判断题客户维系宝典网经理要热情。()正确答案:对\n")
    assert [(i.stem, i.answer, i.notes) for i in result.items] == [
        ("第一步是( )。", ("B",), ()), ("简述步骤。", "了解需求。", ()), ("客户经理要热情。", True, ()),
    ]


def test_a_web_address_that_is_the_answer_is_not_taken_for_a_watermark():
    item = parse_dump("4、填空题网上营业厅的网址是()。\n正确答案:\nwww.189.cn\n").items[0]
    assert item.answer == (("www.189.cn",),)


# answers written in other places


def test_an_explanation_after_the_answer_is_the_items_explanation_not_part_of_its_answer():
    result = parse_dump("7.【问答题】如何挽留携出客户？\n标准答案:询问原因；给出方案；尊重选择。\n解析:挽留以解决问题为核心。\n"
                        "8.【单选题】授权码由谁发送\nA、携入方\nB、携出方\n【正确答案】B\n【解析】由携出方发送。\n")
    essay, choice = result.items
    assert (essay.answer, essay.explanation, essay.lines) == ("询问原因；给出方案；尊重选择。", "挽留以解决问题为核心。", (1, 3))
    assert (choice.answer, choice.explanation, choice.notes) == (("B",), "由携出方发送。", ())
    assert choice.to_record(key="~1", area="W05").explanation == "由携出方发送。"


def test_fill_in_answers_written_inside_padded_parentheses_under_a_fill_in_section():
    result = parse_dump("四、填空题（每题2分）1.应遵守“不泄露、不（ 毁损 ）”的要求。\n2.坚持“（ 本人 ）办理”的原则。\n"
                        "3.在网3个月(含)以上属于老客户。\n")
    assert [(i.stem, i.answer) for i in result.items] == [
        ("应遵守“不泄露、不____”的要求。", (("毁损",),)), ("坚持“____办理”的原则。", (("本人",),)),
    ]
    assert [s.reason for s in result.skipped] == ["没有答案 (可能被截断), 已跳过"]


def test_an_answer_label_broken_over_two_lines_leaves_the_last_option_intact():
    item = parse_dump("2、单选FTTH是指OA.光纤到\n楼B.光纤到户C.光纤到路边D.光纤到交接箱正确\n答案:B\n").items[0]
    assert item.options == ("光纤到楼", "光纤到户", "光纤到路边", "光纤到交接箱")
    assert item.answer == ("B",)


def test_a_cross_read_as_the_letter_x_by_ocr_is_a_false_verdict_with_a_note():
    item = parse_dump("三、判断题\n1.客户经理可以向客户索要礼品。（X）\n").items[0]
    assert (item.type, item.answer) == (T.TRUE_FALSE, False)
    assert item.notes == ("判断标记 'X' 按 × 读取",)


def test_prose_asking_for_the_right_answer_is_not_an_answer_label():
    result = parse_dump("考试说明：请将正确答案的字母填在括号内。\n（不定项选择题可能有一个或多个正确答案）\n"
                        "1.客户服务的核心理念是（ A ）。\nA.以客户为中心 B.以产品为中心\n")
    assert not result.skipped and [i.answer for i in result.items] == [("A",)]


def test_taiwan_forms_become_mainland_forms_so_that_keys_match_what_trainees_type():
    item = parse_dump("【填空題】客戶經理辦理業務前，應核驗客戶的（　）證件及帳號。標準答案:有效身分").items[0]
    assert item.answer == (("有效身份",),)
    assert "账号" in item.stem


# the dry run shows the same


def test_the_dry_run_of_a_corpus_document_lists_every_item_and_the_cut_off_one_with_its_lines(app, tmp_path):
    doc = next(d for d in load_corpus() if d.name.startswith("15-"))
    path = tmp_path / doc.name
    path.write_text(doc.text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["bank", "import", str(path), "--dry-run", "--json", "--area", "W05"])
    report = json.loads(result.output)
    assert report["recognised"] == sum(1 for g in doc.gold if g.answerable)
    assert report["errors"] == []
    (cut,) = report["skipped"]
    assert cut["lines"] == [33, 33] and cut["reason"] == "没有答案 (可能被截断), 已跳过"


def test_items_are_entries_as_every_reader_yields_them():
    (item,) = parse_dump("1、单选选()A.甲B.乙正确答案:A").items
    assert isinstance(item, Entry) and item.key is None and item.area is None
