"""The bank linter: every rule with an item that triggers it and one that does not, and the bank-wide rates."""
from __future__ import annotations

import pytest

from exam.services.qtypes import REGISTRY
from question_bank import Difficulty, QuestionRecord, QuestionType, load_starter_bank
from question_bank.lint import RULES, format_report, lint, thresholds
from question_bank.normalize import fold_many, fold_text

T = QuestionType


def rec(key: str, qtype: QuestionType, stem: str, answer, options=(), area: str = "W05",  # noqa: ANN001
        explanation: str = "") -> QuestionRecord:
    return QuestionRecord(key=key, type=qtype, area=area, difficulty=Difficulty.MEDIUM, stem=stem, answer=answer,
                          options=tuple(options), explanation=explanation)


def single(key: str, stem: str, options, answer: str = "A", **kw) -> QuestionRecord:  # noqa: ANN001
    return rec(key, T.SINGLE, stem, (answer,), options, **kw)


def tf(key: str, stem: str, answer: bool, **kw) -> QuestionRecord:  # noqa: ANN003
    return rec(key, T.TRUE_FALSE, stem, answer, **kw)


def fill(key: str, stem: str, *blanks: tuple[str, ...], **kw) -> QuestionRecord:  # noqa: ANN003
    return rec(key, T.FILL_BLANK, stem, tuple(blanks), **kw)


def reasons(records, rule: str, **kw) -> list[str]:  # noqa: ANN001
    return [f"{f.key}: {f.reason}" for f in lint(records, rules=[rule], **kw).findings]


def flagged(records, rule: str) -> list[str]:  # noqa: ANN001
    return [r.label for r in lint(records, rules=[rule]).rates if r.flagged]


BALANCED = ("倾听客户诉求", "解释公司政策", "承诺给予赔偿", "转交上级处理")


# ---- key-longest -------------------------------------------------------------------------------------------

def test_a_key_much_longer_than_every_distractor_is_flagged_and_a_balanced_item_is_not():
    long_key = single("Q1", "受理投诉时首先应当（　）。", ("先倾听并安抚客户情绪再了解事实经过", *BALANCED[1:]))
    assert reasons([long_key], "key-longest") == ["Q1: 答案 A 是最长的选项 (17 字, 其余最长 6 字), 考生可凭长度猜中"]
    assert reasons([single("Q2", "受理投诉时首先应当（　）。", BALANCED)], "key-longest") == []


def test_a_multiple_choice_whose_keys_are_all_longer_than_the_distractors_is_flagged():
    item = rec("M1", T.MULTIPLE, "关怀的常用方式有（　）。", ("A", "B"),
               ("节日发送个性化祝福短信", "生日当天电话问候客户", "停机", "催缴"))
    assert "答案 AB 每项都比任何错误选项长" in reasons([item], "key-longest")[0]
    mixed = rec("M2", T.MULTIPLE, "关怀的常用方式有（　）。", ("A", "C"), ("节日祝福短信", "生日问候", "停机催缴", "账单提醒"))
    assert reasons([mixed], "key-longest") == []


def test_the_bank_wide_rate_of_longest_keys_is_judged_against_chance():
    options = ("短", "中等长度", "这是最长的一个选项内容", "略长一点")
    skewed = [single(f"Q{i}", f"第{i}题（　）。", options, answer="C") for i in range(30)]
    [rate] = [r for r in lint(skewed, rules=["key-longest"]).rates if r.label.startswith("单选")]
    assert (rate.count, rate.total, rate.chance) == (30, 30, 0.25) and rate.flagged
    fair = [single(f"Q{i}", f"第{i}题（　）。", options, answer="ABCD"[i % 4]) for i in range(32)]
    assert flagged(fair, "key-longest") == []
    assert "单选题答案恰是唯一最长的选项: 30/30 = 100%, 随机应约 25%" in reasons(skewed, "key-longest")[0]


def test_chance_follows_each_items_number_of_options():
    five = ("一", "二二", "三三三", "四四四四", "五五五五五")
    items = [single(f"Q{i}", f"第{i}题（　）。", five if i % 2 else BALANCED, answer="E" if i % 2 else "A")
             for i in range(20)]
    [rate] = [r for r in lint(items, rules=["key-longest"]).rates if r.label.startswith("单选")]
    assert rate.total == 10 and rate.chance == pytest.approx(0.2)  # balanced items have no unique longest


# ---- absolute words and the true/false balance -----------------------------------------------------------

def test_a_false_statement_carrying_an_absolute_word_is_flagged():
    item = tf("T1", "客户提出提前解约时，营业人员无需说明违约责任，直接办理即可。", False)
    assert reasons([item], "absolute-words") == ["T1: 答案为错, 且含绝对化用语「无需」、「直接」、「即可」: 考生凭用语即可判错"]


@pytest.mark.parametrize("stem, answer", [
    ("首问负责人必须跟踪问题直到解决。", True),  # a true statement may be absolute: that is the balance
    ("处理投诉时不一定要先请示上级。", False),  # 不一定 is no absolute
    ("存费送费要求客户预存一定金额的话费。", False),  # 一定金额 = a certain amount
    ("投诉处理的第一步是安抚客户情绪。", False),
])
def test_statements_without_a_giveaway_absolute_word_are_not_flagged(stem, answer):
    assert reasons([tf("T1", stem, answer)], "absolute-words") == []


def test_absolute_words_mostly_in_false_statements_are_flagged_bank_wide():
    items = [tf(f"F{i}", f"第{i}条：客户经理一定要当场解决问题。", False) for i in range(20)]
    items += [tf(f"R{i}", f"第{i}条：客户经理应认真倾听客户意见。", True) for i in range(20)]
    assert flagged(items, "absolute-words") == ["含绝对化用语的判断题答案为错"]
    balanced = [tf(f"F{i}", f"第{i}条：客户经理一定要当场解决问题。", i % 2 == 0) for i in range(40)]
    assert flagged(balanced, "absolute-words") == []


def test_hedged_statements_mostly_true_are_flagged_bank_wide():
    items = [tf(f"R{i}", f"第{i}条：回访一般应在办结后进行。", True) for i in range(20)]
    items += [tf(f"F{i}", f"第{i}条：回访应在办结前进行。", False) for i in range(20)]
    assert flagged(items, "absolute-words") == ["含限定词(一般、通常…)的判断题答案为对"]


def test_a_bank_of_mostly_true_statements_is_flagged():
    items = [tf(f"T{i}", f"第{i}条陈述。", i >= 6) for i in range(40)]
    assert flagged(items, "tf-balance") == ["判断题答案为对"]
    assert flagged([tf(f"T{i}", f"第{i}条陈述。", i % 2 == 0) for i in range(40)], "tf-balance") == []


# ---- negative stems ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stem, found", [
    ("下列关于首问负责制的说法，错误的是（　）。", "错误的是"),
    ("以下不属于流失预警信号的是（　）。", "不属于流失预警信号的是"),
    ("VIP客户关怀的方式不包括（　）。", "不包括"),
    ("下列哪项不是拆机的常见原因？", "哪项不是"),
    ("电信业务经营者在电信服务中不得有的行为包括（　）。", "不得有的行为"),
    ("除（　）外，以下都是关怀渠道。", "除( )外"),
])
def test_an_unemphasised_negative_stem_is_flagged(stem, found):
    [reason] = reasons([single("Q1", stem, BALANCED)], "negative-stem")
    assert f"否定问法「{found}」未强调" in reason and "【不】" in reason


@pytest.mark.parametrize("stem", [
    "下列关于首问负责制的说法，【错误】的是（　）。",
    "以下【不】属于流失预警信号的是（　）。",
    "【除】（　）外，以下都是关怀渠道。",
    "客户对处理结果不满意时，客户经理首先应当（　）。",  # 不满意 describes the case; the question is positive
    "客户欠费不能使用时应（　）。",
])
def test_an_emphasised_or_positive_stem_is_not_flagged(stem):
    assert reasons([single("Q1", stem, BALANCED)], "negative-stem") == []


# ---- 以上都是 / 以上都不是 ---------------------------------------------------------------------------------------

def test_all_or_none_of_the_above_is_flagged():
    item = single("Q1", "关怀的渠道有（　）。", ("短信", "电话", "上门拜访", "以上都是"), answer="D")
    assert reasons([item], "all-none-above") == ["Q1: 选项 D「以上都是」(且是答案): 不必懂全部选项即可作答"]
    for option in ("以上都不是", "上述说法均不正确", "A和B都对"):
        assert reasons([single("Q1", "（　）", ("短信", "电话", option))], "all-none-above"), option
    assert reasons([single("Q1", "（　）", ("以上级指示为准", "电话", "短信"))], "all-none-above") == []


# ---- key letter and unkeyed position -----------------------------------------------------------------------

def test_single_choice_keys_piled_on_one_letter_are_flagged():
    items = [single(f"Q{i}", f"第{i}题（　）。", BALANCED, answer="A") for i in range(40)]
    assert flagged(items, "key-letter") == ["单选题答案为 A", "单选题答案为 B", "单选题答案为 C", "单选题答案为 D"]
    spread = [single(f"Q{i}", f"第{i}题（　）。", BALANCED, answer="ABCD"[i % 4]) for i in range(40)]
    assert flagged(spread, "key-letter") == []


def test_the_wrong_option_of_multiple_choice_always_last_is_flagged():
    opts = ("甲方案", "乙方案", "丙方案", "丁方案", "戊方案")
    last = [rec(f"M{i}", T.MULTIPLE, f"第{i}题（　）。", ("A", "B", "C", "D"), opts) for i in range(30)]
    assert "多选题的 E 为错误选项" in flagged(last, "unkeyed-position")
    rotating = [rec(f"M{i}", T.MULTIPLE, f"第{i}题（　）。", tuple(sorted(set("ABCDE") - {"ABCDE"[i % 5]})), opts)
                for i in range(30)]
    assert flagged(rotating, "unkeyed-position") == []


# ---- overlapping options -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, reason", [
    (("倾听客户", "倾听客户", "解释政策"), "选项 A 与 B 相同「倾听客户」"),
    (("倾听", "倾听并安抚客户情绪", "解释政策"), "选项 A「倾听」包含在选项 B「倾听并安抚客户情绪」中, 两项界限不清"),
    (("1-3个月", "3～6个月", "6个月以上"), "选项 A「1-3个月」与 B「3～6个月」的范围重叠"),
    (("不超过5天", "3天以上", "10天"), "选项 A「不超过5天」与 B「3天以上」的范围重叠"),
    (("1-3个月", "4-6个月", "6个月以上"), "选项 B「4-6个月」与 C「6个月以上」的范围重叠"),
])
def test_options_that_repeat_or_overlap_are_flagged(options, reason):
    assert reasons([single("Q1", "（　）", options)], "option-overlap")[0] == f"Q1: {reason}"


@pytest.mark.parametrize("options", [
    ("1-3个月", "4-6个月", "7个月以上"),
    ("25MB/s", "25Mb/s", "2.5MB/s"),  # bytes and bits are different units
    ("1‰", "1%", "3‰"),
    ("3天", "13天", "30天"),
    ("少于3天", "3-5天", "超过5天"),
])
def test_options_that_are_merely_alike_are_not_flagged(options):
    assert reasons([single("Q1", "（　）", options)], "option-overlap") == []


# ---- one item giving another's key away --------------------------------------------------------------------

GIVEN = single("B22-008", "将移动电话、宽带、固话等多项业务组合在同一套餐中向家庭提供的产品，通常称为（　）。",
               ("单产品套餐", "融合套餐", "流量加油包", "预付费卡"), answer="B", area="B22")
GIVER = tf("B22-001", "融合套餐通常将移动电话、宽带、固话等多项业务组合在一起，整体价格一般更优惠。", True, area="B22")


def test_a_statement_that_restates_another_items_key_is_flagged_on_both_items():
    report = lint([GIVEN, GIVER], rules=["giveaway"])
    [finding] = report.findings
    assert (finding.key, finding.related) == ("B22-008", ("B22-001",))
    assert finding.reason == "B22-001 的题干含有 B22-008 的答案「融合套餐」"
    assert report.for_key("B22-001") == [finding]


def test_an_explanation_and_a_fill_in_answer_count_too():
    blank = fill("W03-030", "存费维系中，赠送款项通常采用____返还的方式，使优惠在协议期内持续发挥作用。", ("分月", "按月"))
    explained = tf("W03-004", "存费维系中的赠送款项应当一次性返还给客户。", False,
                   explanation="赠送款项采用分月返还的方式，使优惠在协议期内持续发挥作用。")
    assert reasons([blank, explained], "giveaway") == ["W03-030: W03-004 的解析含有 W03-030 的填空答案「分月」"]


def test_a_text_that_lists_every_option_or_another_topic_gives_nothing_away():
    lists_all = tf("X1", "单产品套餐、融合套餐、流量加油包和预付费卡都是常见的家庭产品。", True, area="B22")
    other_topic = tf("X2", "融合套餐的资费调整须提前一个月告知客户。", True, area="B22")
    assert reasons([GIVEN, lists_all, other_topic], "giveaway") == []


def test_questions_in_one_enemy_group_never_share_a_paper_so_are_not_reported():
    assert reasons([GIVEN, GIVER], "giveaway", groups={"B22-008": "融合", "B22-001": "融合"}) == []


def test_a_records_own_enemy_group_counts_unless_the_mapping_says_otherwise():
    import dataclasses

    given, giver = (dataclasses.replace(r, enemy_group="融合") for r in (GIVEN, GIVER))
    assert reasons([given, giver], "giveaway") == []  # as read from a bank file
    # the database's word wins: a question taken out of the group in the bank is reported again
    assert len(reasons([given, giver], "giveaway", groups={"B22-001": None})) == 1


# ---- near-duplicates ---------------------------------------------------------------------------------------

def test_near_duplicates_are_flagged_once_per_pair():
    a = single("W05-001", "受理VIP客户投诉时，客户经理首先应当（　）。", BALANCED)
    b = single("W05-002", "受理VIP客户投訴時，客戶經理首先應該（　）。", BALANCED)  # Traditional, one word changed
    c = single("W05-003", "投诉处理结束后，客户经理应在多长时间内回访（　）。", ("24小时", "三天", "一周", "一个月"))
    [reason] = reasons([a, b, c], "near-duplicate")
    assert reason.startswith("W05-001: W05-001 与 W05-002 近似重复 (题干与选项相似度 ")


def test_a_generic_stem_with_different_options_is_no_duplicate_and_an_enemy_group_is_exempt():
    a = single("Q1", "下列说法正确的是（　）。", ("首问负责制要求跟踪到底", "投诉只需口头道歉", "回访可以省略", "升级无需记录"))
    b = single("Q2", "下列说法正确的是（　）。", ("拍照用户是锁定的目标客户", "ARPU指户均收入", "离网率越高越好", "零通话无需关注"))
    assert reasons([a, b], "near-duplicate") == []
    twin = single("Q3", "下列说法正确的是：", a.options)
    assert reasons([a, twin], "near-duplicate")
    assert reasons([a, twin], "near-duplicate", groups={"Q1": "g", "Q3": "g"}) == []


# ---- area --------------------------------------------------------------------------------------------------

def test_a_law_item_outside_the_law_area_is_flagged():
    law = single("W05-026", "按照《电信用户申诉处理办法》，收费争议的申诉时限是（　）。", ("一个月", "三个月", "五个月", "一年"))
    assert reasons([law], "area-mismatch") == [
        "W05-026: 题目引用《电信用户申诉处理办法》, 属于 B30 法律知识, 却归在 W05 投诉处理"]
    bare = tf("W01-040", "根据消费者权益保护法，客户享有自主选择权。", True, area="W01")
    assert "《消费者权益保护法》" in reasons([bare], "area-mismatch")[0]
    assert reasons([single("B30-020", law.stem, law.options, area="B30")], "area-mismatch") == []


def test_an_item_whose_keywords_all_belong_to_another_area_is_flagged():
    lifecycle = fill("W02-022", "客户生命周期通常划分为识别期、成长期、稳定期和____四个阶段。", ("预警期",), area="W02")
    assert reasons([lifecycle], "area-mismatch") == [
        "W02-022: 内容更像 B21 专业基本知识 (关键词: 客户生命周期、生命周期、成长期、稳定期), 却归在 W02 流失预警"]
    assert reasons([fill("B21-018", lifecycle.stem, ("预警期",), area="B21")], "area-mismatch") == []


# ---- fill-in alternatives ----------------------------------------------------------------------------------

@pytest.mark.parametrize("answers, reason", [
    (("48",), "第 1 空只接受「48」, 写作「四十八」(汉字数字) 的考生不得分"),
    (("五个月",), "第 1 空只接受「五个月」, 写作「5个月」(阿拉伯数字) 的考生不得分"),
    (("2年",), "第 1 空只接受「2年」, 写作「二年」(汉字数字) 的考生不得分"),
    (("客户的需求",), "第 1 空只接受「客户的需求」, 写作「客户需求」(去掉「的」) 的考生不得分"),
    (("维系挽留工作流程",), "第 1 空只接受「维系挽留工作流程」(8 字), 措辞稍有不同即判错"),
])
def test_a_blank_without_its_natural_alternatives_is_flagged(answers, reason):
    assert reasons([fill("F1", "应在____内修复。", answers)], "fill-alternatives") == [f"F1: {reason}"]


@pytest.mark.parametrize("answers", [("48", "四十八"), ("二年", "2年", "两年"), ("两年", "2年"), ("MOU",), ("ＡＲＰＵ",),
                                     ("预警期",), ("客户的需求", "客户需求")])
def test_a_blank_with_its_alternatives_or_variants_grading_folds_anyway_is_not_flagged(answers):
    assert reasons([fill("F1", "应在____内修复。", answers)], "fill-alternatives") == []


def test_the_variants_left_unflagged_are_the_ones_grading_accepts():
    grade = REGISTRY[T.FILL_BLANK].grade
    assert grade(["mou"], (("MOU",),), 1) == 1.0 and grade(["ｍｏｕ "], (("MOU",),), 1) == 1.0
    assert grade(["四十八"], (("48",),), 1) == 0.0  # why "48" alone is flagged


# ---- the registry and the report ---------------------------------------------------------------------------

def test_every_rule_has_a_name_a_chinese_title_and_advice():
    assert len(RULES) >= 12
    for name, rule in RULES.items():
        assert rule.name == name and rule.title and rule.advice
    with pytest.raises(KeyError):
        lint([], rules=["no-such-rule"])


def test_context_items_are_compared_but_not_reported_on():
    report = lint([GIVER], context=[GIVEN, single("Q9", "以下说法错误的是（　）。", BALANCED)])
    assert report.items == 1
    assert [(f.rule, f.key) for f in report.findings] == [("giveaway", "B22-008")]


def test_the_starter_bank_lints_and_its_json_names_every_rule():
    bank = load_starter_bank()
    report = lint(bank)
    data = report.to_json()
    assert data["items"] == len(bank) and {r["name"] for r in data["rules"]} == set(RULES)
    assert all(f["reason"] and f["rule"] in RULES for f in data["findings"])


def test_fold_many_folds_like_fold_text():
    texts = ["繁體字  ＡＢＣ！_x", "a\nb\u2028c", "", "（　）下列说法【不】正确的是", "25MB/s 1‰"]
    assert fold_many(texts) == [fold_text(t) for t in texts]


def test_one_question_against_the_bank_finds_what_the_whole_bank_check_finds_about_it(monkeypatch):
    import dataclasses
    import random

    import question_bank.lint as linting

    # without its enemy groups the starter bank has pairs that give each other away
    bank = [dataclasses.replace(r, enemy_group=None) for r in load_starter_bank()]
    twin = next(r for r in bank if r.key == "W05-016")
    bank.append(dataclasses.replace(twin, key="W05-916", stem=twin.stem.replace("下列", "以下")))
    whole = lint(bank, rules=["near-duplicate", "giveaway"])
    involved = {k for f in whole.findings for k in (f.key, *f.related) if k}
    assert len(involved) > 10 and "W05-916" in involved
    by_key = whole.by_key()  # what an import's dry run shows per item, grouped in one pass
    assert set(by_key) == involved and all(by_key[k] == whole.for_key(k) for k in involved)
    rng = random.Random(3)
    sample = [r for r in bank if r.key == "W05-916"] + rng.sample([r for r in bank if r.key in involved], 12) \
        + rng.sample(bank, 4)
    for few in (linting.FEW_TARGETS, 0):  # scanning texts, then indexing every bigram: the same findings
        monkeypatch.setattr(linting, "FEW_TARGETS", few)
        for record in sample:
            rest = [r for r in bank if r.key != record.key]
            alone = lint([record], context=rest, rules=["near-duplicate", "giveaway"])
            expected = {(f.rule, frozenset((f.key, *f.related))) for f in whole.for_key(record.key)}
            assert {(f.rule, frozenset((f.key, *f.related))) for f in alone.findings} == expected, record.key


def starter_with_copies(groups: bool = False) -> list[QuestionRecord]:
    """The starter bank (without its enemy groups unless ``groups``) and copies of 120 of its items with 1–4
    characters changed: similarities around the near-duplicate threshold, and pairs that give keys away."""
    import dataclasses
    import random

    rng = random.Random(11)
    starter = load_starter_bank()
    if not groups:
        starter = [dataclasses.replace(r, enemy_group=None) for r in starter]
    bank = list(starter)
    for n, original in enumerate(rng.sample(starter, 120)):
        stem = list(original.stem)
        han = [i for i, c in enumerate(stem) if "\u4e00" <= c <= "\u9fff"]
        for i in rng.sample(han, rng.randint(1, 4)):
            stem[i] = rng.choice("甲乙丙丁戊己庚辛")
        bank.append(dataclasses.replace(original, key=f"V-{n}", stem="".join(stem), enemy_group=None))
    return bank


def test_near_duplicates_are_exactly_the_pairs_a_brute_force_comparison_finds():
    from question_bank.lint.prepare import prepare

    bank = starter_with_copies(groups=True)
    items = prepare(bank)
    expected = {frozenset((a.key, b.key)) for i, a in enumerate(items) for b in items[i + 1:]
                if a.doc_grams and len(a.doc_grams & b.doc_grams) >= 0.75 * len(a.doc_grams | b.doc_grams)}
    assert 40 < len(expected) < 120  # some copies just above the threshold, some just below
    found = {frozenset((f.key, *f.related)) for f in lint(bank, rules=["near-duplicate"]).findings}
    assert found == expected


def test_the_linter_never_fails_on_a_valid_record():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    text = st.text(st.sampled_from("一二三两十百客户投诉不【】的是以上都（）() 　,。、%‰-~0123456789AbＣ5G\n\u2028"),
                   min_size=1, max_size=30).filter(str.strip)

    @st.composite
    def records(draw):  # noqa: ANN001, ANN202
        qtype = draw(st.sampled_from(list(T)))
        key = f"H{draw(st.integers(0, 9))}"
        stem = draw(text)
        if qtype.is_choice:
            options = tuple(draw(st.lists(text, min_size=2, max_size=8)))
            letters = "ABCDEFGH"[:len(options)]
            keys = draw(st.lists(st.sampled_from(letters), min_size=1 if qtype is T.SINGLE else 2,
                                 max_size=1 if qtype is T.SINGLE else len(options), unique=True))
            return rec(key, qtype, stem, tuple(keys), options, explanation=draw(text))
        if qtype is T.FILL_BLANK:
            blanks = draw(st.lists(st.lists(text, min_size=1, max_size=3), min_size=1, max_size=3))
            return rec(key, qtype, stem + "".join("____" + draw(text) for _ in blanks), tuple(map(tuple, blanks)))
        if qtype is T.TRUE_FALSE:
            return rec(key, qtype, stem, draw(st.booleans()))
        return rec(key, qtype, stem, draw(text))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=6))
    def check(bank):  # noqa: ANN001, ANN202
        report = lint(bank)
        assert all(f.rule in RULES for f in report.findings)
        lint(bank[:1], context=bank[1:])
        format_report(report)

    check()


def test_a_normal_bank_gets_the_findings_it_got_before_partner_lists_were_bounded():
    """tests/data/lint/starter-with-copies.json was written by the linter before each item's partners were capped
    (``thresholds.PAIR_PARTNERS``); no item of this bank has more partners than the cap, so nothing may change."""
    import json
    from pathlib import Path

    before = json.loads((Path(__file__).parent / "data" / "lint" / "starter-with-copies.json").read_text("utf-8"))
    now = [f.to_json() for f in lint(starter_with_copies()).findings]
    assert len(before) == 208 and now == before


# ---- partners per item: at most PAIR_PARTNERS shown, then how many more -----------------------------------------

def _pairs_shown(report, key: str) -> list:  # noqa: ANN001
    return [f for f in report.for_key(key) if f.related]


def test_an_item_with_more_near_duplicates_than_shown_says_how_many_more_as_on_its_own_page():
    import dataclasses

    bank = load_starter_bank()
    original = next(r for r in bank if r.key == "W05-016")
    copies = [dataclasses.replace(original, key=f"W05-9{n:02d}", stem=original.stem + "　" * (n % 3) + f"（第{n}式）",
                                  enemy_group=None) for n in range(12)]
    whole = lint([*bank, *copies], rules=["near-duplicate"])
    cap = thresholds.PAIR_PARTNERS
    for record in copies:
        mine = whole.for_key(record.key)
        shown = [f for f in mine if f.related]
        assert len(shown) == cap, record.key
        assert [f.reason for f in mine if not f.related] == [f"{record.key} 还与另外 7 题近似重复 (只列出前 {cap} 题)"]
        rest = [r for r in [*bank, *copies] if r.key != record.key]
        alone = lint([record], context=rest, rules=["near-duplicate"])
        assert {frozenset((f.key, *f.related)) if f.related else f.reason for f in alone.findings} \
            == {frozenset((f.key, *f.related)) if f.related else f.reason for f in mine}, record.key
    # the first copies show each other on both items; a later copy shows the first five on its own item only
    last = whole.for_key("W05-911")
    assert all(f.one_sided and f.key == "W05-911" for f in last if f.related)
    assert {k for f in last for k in f.related} == {"W05-016", "W05-900", "W05-901", "W05-902", "W05-903"}
    assert not any(f.involves("W05-911") for f in whole.for_key("W05-900") if f.related)
    assert set(whole.by_key()["W05-911"]) == set(last)
    assert next(f for f in last if f.related).to_json()["one_sided"] is True
    assert "one_sided" not in next(f for f in whole.for_key("W05-900") if f.related and not f.one_sided).to_json()


def test_an_item_whose_key_is_given_away_by_many_texts_shows_five_and_how_many_more():
    import random

    rng = random.Random(1)
    filler = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    texts = [tf(f"T{i:03d}", "".join(rng.choice(filler) for _ in range(14))
                + "，融合套餐通常将移动电话、宽带、固话等多项业务组合在同一套餐中向家庭提供。", True, area="B22")
             for i in range(200)]
    report = lint([GIVEN, *texts], rules=["near-duplicate", "giveaway"])
    mine = report.for_key("B22-008")
    assert [f.related for f in mine if f.related] == [(f"T{i:03d}",) for i in range(5)]
    assert [f.reason for f in mine if not f.related] == ["还有另外 195 题的题干或解析含有 B22-008 的答案 (只列出前 5 题)"]
    # each text still shows the key it gives away; beyond the first five, on its own item only
    assert [f.reason for f in report.for_key("T150")] == ["T150 的题干含有 B22-008 的答案「融合套餐」"]
    assert [f.one_sided for f in report.for_key("T150")] == [True] and report.for_key("T004")[0].one_sided is False


def test_a_file_of_2000_near_identical_items_shows_five_partners_per_item_and_compares_few_candidates(monkeypatch):
    import question_bank.lint.pair_rules as pair_rules
    from question_bank.lint.prepare import prepare

    judged = [0]
    walk = pair_rules.walk

    def counted(candidates, verdict, limit=None):  # noqa: ANN001, ANN202
        def judge(j):  # noqa: ANN001, ANN202
            judged[0] += 1
            return verdict(j)
        return walk(candidates, judge, limit)

    monkeypatch.setattr(pair_rules, "walk", counted)
    n, cap = 2000, thresholds.PAIR_PARTNERS
    items = [single(f"Q{i:04d}", f"第{i}题：受理VIP客户投诉时，客户经理首先应当（　）。", BALANCED) for i in range(n)]
    report = lint(items, rules=["near-duplicate", "giveaway"])
    # every item is a crowd member: judged against its first candidates only, not against 1,999 others
    assert judged[0] <= 2 * n * (thresholds.PAIR_CANDIDATES + 1)
    assert [f.reason for f in report.findings if f.key is None] == [
        f"{n} 题与大量题目字面相近 (成批的近似题): 每题只与排在前面的 {thresholds.PAIR_CANDIDATES} 题比对是否近似重复, "
        "其余未逐一比对",
        f"{n} 题与大量题目字面相近 (成批的近似题): 每题只与排在前面的 {thresholds.PAIR_CANDIDATES} 题比对是否泄露答案, "
        "其余未逐一比对"]
    grams = {it.key: it.doc_grams for it in prepare(items)}
    by_key = report.by_key()
    for record in items:
        mine = by_key[record.key]
        shown = [f for f in mine if f.related]
        assert len(shown) == cap, record.key
        assert all(len(grams[f.key] & grams[f.related[0]]) >= 0.75 * len(grams[f.key] | grams[f.related[0]])
                   for f in shown)  # each a real near-duplicate
        assert [f.reason for f in mine if not f.related] == [f"{record.key} 还与更多题目近似重复 (只列出前 {cap} 题)"]
    assert lint(items, rules=["near-duplicate"]).findings == lint(items, rules=["near-duplicate"]).findings
