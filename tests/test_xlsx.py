"""The Excel template trainers fill in: round trips, the cell forms they type, and the errors they see."""
from __future__ import annotations

import dataclasses
import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from question_bank import LEVEL_CODES, BankError, Difficulty, QuestionRecord, QuestionType, load_starter_bank
from question_bank.xlsx import (
    COLUMNS,
    RowError,
    looks_like_xlsx,
    read_xlsx,
    write_template,
    write_xlsx,
)

T = QuestionType


def _record(**kw: Any) -> QuestionRecord:
    base: dict[str, Any] = dict(
        key="W05-900", type=T.SINGLE, area="W05", difficulty=Difficulty.EASY, stem="客户投诉处理的第一步是( )。",
        options=("解释原因", "倾听并安抚", "给予赔偿", "转交上级"), answer=("B",),
    )
    return QuestionRecord(**(base | kw))


HAND_MADE = [
    _record(),
    _record(key="T-TF-1", type=T.TRUE_FALSE, options=(), answer=True, stem="向客户道歉就等于承认公司有过错。"),
    _record(key="T-TF-2", type=T.TRUE_FALSE, options=(), answer=False, stem="零通话用户无需关注。", area="W02"),
    _record(
        key="T-M8", type=T.MULTIPLE, area="W01", difficulty=Difficulty.HARD, stem="VIP客户关怀的常用方式有( )。",
        options=("节日短信", "生日问候", "账单提醒", "停机催缴", "上门拜访", "电话回访", "积分兑换", "俱乐部活动"),
        answer=("A", "B", "C", "E", "H"), levels=("L3", "L4"), tags=("关怀", "多选八项"),
        explanation="停机催缴不是关怀。\n第二行解析。",
    ),
    _record(
        key="T-FB", type=T.FILL_BLANK, area="B21", options=(), stem="客户生命周期分为识别期、____、____和预警期。",
        answer=(("成长期",), ("稳定期", "稳定阶段", "成熟期")), levels=("L2",),
    ),
    _record(
        key="T-SA", type=T.SHORT_ANSWER, area="W03", options=(), difficulty=Difficulty.MEDIUM,
        stem="简述外呼挽留的基本步骤。", answer="(1)核实身份\n(2)了解离网原因\n(3)提出方案\n(4)确认办理",
        levels=("L1", "L2", "L3"),
    ),
    _record(
        key="T-CS", type=T.CASE_STUDY, area="W05", options=(), difficulty=Difficulty.HARD,
        stem="王女士投诉账单中多出一笔增值业务费。\n请分析处理思路。", answer="先安抚情绪, 再核查订购记录。",
        tags=("案例",),
    ),
    _record(
        key="=K1", stem="=SUM(A1:A2) 不是公式", options=("+86 号码", "-1 天", "@客户经理", "=A1"), answer=("D",),
        explanation="-以减号开头的解析", tags=("=标签", "+", "@x"),
    ),
]


def _xlsx_bytes(records) -> bytes:
    buf = io.BytesIO()
    write_xlsx(records, buf)
    return buf.getvalue()


def _row(**cells: Any) -> list[Any]:
    """One template row; keyword names are column titles (``答案="AB"``), defaults make a valid single choice."""
    values: dict[str, Any] = {
        "知识领域": "W05 投诉处理", "题型": "单选题", "难度": "易", "题干": "客户投诉处理的第一步是( )。",
        "选项A": "解释原因", "选项B": "倾听并安抚", "选项C": "给予赔偿", "选项D": "转交上级", "答案": "B",
    }
    values.update(cells)
    unknown = set(values) - set(COLUMNS)
    assert not unknown, unknown
    return [values.get(c) for c in COLUMNS]


def _sheet(*rows: list[Any], header: tuple[str, ...] | list[str] = COLUMNS, title: str = "题目") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(list(header))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _errors(result) -> list[str]:
    return [str(e) for e in result.errors]


# --------------------------------------------------------------------------- round trips


def test_the_starter_bank_round_trips_through_excel_unchanged():
    bank = load_starter_bank()
    assert len(bank) >= 1000
    result = read_xlsx(_xlsx_bytes(bank))
    assert result.errors == []
    assert [q for _, q in result.rows] == bank
    assert [row for row, _ in result.rows] == list(range(2, 2 + len(bank)))


def test_hand_made_records_of_every_type_round_trip_unchanged():
    result = read_xlsx(_xlsx_bytes(HAND_MADE))
    assert result.errors == []
    assert result.records == HAND_MADE
    assert {q.type for q in result.records} == set(QuestionType)


def test_text_starting_with_formula_characters_is_stored_as_text_never_as_a_formula():
    data = _xlsx_bytes([HAND_MADE[-1]])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet_xml = next(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    ws = load_workbook(io.BytesIO(data))["题目"]
    cells = {c.value: c for c in ws[2] if c.value is not None}
    for text in ("=K1", "=SUM(A1:A2) 不是公式", "+86 号码", "-1 天", "@客户经理", "=A1", "=标签,+,@x"):
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix, text


def test_writing_to_a_path_and_reading_from_a_path_or_an_open_file(tmp_path):
    path = tmp_path / "bank.xlsx"
    write_xlsx(HAND_MADE, path)
    assert read_xlsx(path).records == HAND_MADE
    assert read_xlsx(str(path)).records == HAND_MADE
    with open(path, "rb") as f:
        assert read_xlsx(f).records == HAND_MADE


def test_three_thousand_generated_rows_round_trip():
    bank = load_starter_bank()
    records = [dataclasses.replace(bank[i % len(bank)], key=f"GEN-{i:05d}") for i in range(3000)]
    result = read_xlsx(_xlsx_bytes(records))
    assert result.errors == []
    assert result.records == records
    assert result.rows[-1][0] == 3001


def test_the_writer_refuses_a_fill_in_answer_containing_a_separator():
    bad = _record(key="T-SEP", type=T.FILL_BLANK, options=(), stem="分为____。", answer=(("甲;乙",),))
    with pytest.raises(BankError, match="T-SEP.*填空答案 '甲;乙' 含有分隔符"):
        _xlsx_bytes([bad])


# --------------------------------------------------------------------------- the template


def test_the_template_has_the_question_sheet_with_a_bold_frozen_header_and_dropdowns_and_a_help_sheet():
    buf = io.BytesIO()
    write_template(buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["题目", "说明"]
    ws = wb["题目"]
    header = [c.value for c in ws[1]]
    assert header == [
        "编号", "知识领域", "题型", "难度", "适用等级", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F",
        "选项G", "选项H", "答案", "解析", "标签", "用途",
    ]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 1
    assert ws.column_dimensions["F"].width >= 40  # 题干
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert set(lists) == {"B2", "C2", "D2", "R2"}
    assert "W05 投诉处理" in lists["B2"] and "B11 电信基础知识" in lists["B2"]
    assert lists["C2"] == '"判断题,单选题,多选题,填空题,简答题,案例分析题"'
    assert lists["D2"] == '"易,中,难"'
    assert lists["R2"] == '"练习,考试,两者"'
    help_text = "\n".join(str(v) for row in wb["说明"].iter_rows(values_only=True) for v in row if v)
    for title in ("编号", "知识领域", "题型", "难度", "适用等级", "题干", "答案", "解析", "标签", "用途", "W07", "培训指导与团队管理"):
        assert title in help_text
    result = read_xlsx(buf.getvalue())
    assert result.rows == [] and result.errors == []


def test_the_writer_uses_the_canonical_cell_forms():
    ws = load_workbook(io.BytesIO(_xlsx_bytes(HAND_MADE)))["题目"]
    rows = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["W05-900"]["知识领域"] == "W05 投诉处理"
    assert rows["W05-900"]["题型"] == "单选题"
    assert rows["W05-900"]["难度"] == "易"
    assert rows["W05-900"]["适用等级"] == "L4,L3,L2,L1"
    assert rows["T-TF-1"]["答案"] == "对" and rows["T-TF-2"]["答案"] == "错"
    assert rows["T-M8"]["答案"] == "ABCEH" and rows["T-M8"]["适用等级"] == "L3,L4" and rows["T-M8"]["选项H"] == "俱乐部活动"
    assert rows["T-M8"]["标签"] == "关怀,多选八项"
    assert rows["T-FB"]["答案"] == "成长期;稳定期|稳定阶段|成熟期"
    assert rows["T-FB"]["选项A"] is None
    assert rows["T-CS"]["题型"] == "案例分析题"


# --------------------------------------------------------------------------- forms trainers type


def test_a_new_question_with_an_empty_key_gets_a_provisional_key_from_its_row():
    result = read_xlsx(_sheet(_row(编号="W05-001"), _row(), [None] * len(COLUMNS), _row(编号="  ")))
    assert result.errors == []
    assert [(row, q.key) for row, q in result.rows] == [(2, "W05-001"), (3, "~3"), (5, "~5")]


def test_completely_empty_rows_are_ignored_and_row_numbers_stay_those_of_excel():
    result = read_xlsx(_sheet(_row(), [], [None, "", "   "], _row(答案="C")))
    assert result.errors == []
    assert [(row, q.answer) for row, q in result.rows] == [(2, ("B",)), (5, ("C",))]


@pytest.mark.parametrize("cell, area", [
    ("W05", "W05"), ("w05", "W05"), ("W05 投诉处理", "W05"), ("W05投诉处理", "W05"), ("W05-随便写", "W05"),
    ("投诉处理", "W05"), ("  b12  ", "B12"), ("数据分析与维系策略", "W06"), ("Ｗ０５", "W05"), ("投訴處理", "W05"),
])
def test_the_area_is_read_from_a_code_a_code_with_anything_after_it_or_the_area_name(cell, area):
    assert read_xlsx(_sheet(_row(知识领域=cell))).records[0].area == area


@pytest.mark.parametrize("cell, qtype", [
    ("单选题", T.SINGLE), ("单选", T.SINGLE), ("single", T.SINGLE), ("单项选择题", T.SINGLE),
    ("多选", T.MULTIPLE), ("多选题", T.MULTIPLE), ("multiple", T.MULTIPLE),
    ("判断", T.TRUE_FALSE), ("判断题", T.TRUE_FALSE), ("true_false", T.TRUE_FALSE),
    ("填空", T.FILL_BLANK), ("填空题", T.FILL_BLANK), ("fill_blank", T.FILL_BLANK),
    ("简答", T.SHORT_ANSWER), ("简答题", T.SHORT_ANSWER), ("问答题", T.SHORT_ANSWER), ("名词解释", T.SHORT_ANSWER),
    ("short_answer", T.SHORT_ANSWER),
    ("案例", T.CASE_STUDY), ("案例分析", T.CASE_STUDY), ("案例分析题", T.CASE_STUDY), ("case_study", T.CASE_STUDY),
])
def test_the_question_type_is_read_from_labels_short_forms_and_enum_values(cell, qtype):
    answers = {
        T.SINGLE: "B", T.MULTIPLE: "AB", T.TRUE_FALSE: "对", T.FILL_BLANK: "倾听",
        T.SHORT_ANSWER: "先倾听", T.CASE_STUDY: "先倾听",
    }
    options = {f"选项{c}": None for c in "ABCD"} if not qtype.is_choice else {}
    stem = "第一步是____。" if qtype is T.FILL_BLANK else "第一步是什么?"
    result = read_xlsx(_sheet(_row(题型=cell, 答案=answers[qtype], 题干=stem, **options)))
    assert result.errors == []
    assert result.records[0].type is qtype


@pytest.mark.parametrize("cell, difficulty", [
    ("易", Difficulty.EASY), ("easy", Difficulty.EASY), ("简单", Difficulty.EASY), ("容易", Difficulty.EASY),
    ("中", Difficulty.MEDIUM), ("medium", Difficulty.MEDIUM), ("中等", Difficulty.MEDIUM), ("一般", Difficulty.MEDIUM),
    ("难", Difficulty.HARD), ("hard", Difficulty.HARD), ("困难", Difficulty.HARD), ("较难", Difficulty.HARD),
    ("Hard", Difficulty.HARD),
])
def test_the_difficulty_is_read_in_the_words_trainers_use(cell, difficulty):
    assert read_xlsx(_sheet(_row(难度=cell))).records[0].difficulty is difficulty


@pytest.mark.parametrize("cell, levels", [
    ("", LEVEL_CODES), ("L4,L3", ("L4", "L3")), ("L3，L4", ("L3", "L4")), ("l2、l1", ("L2", "L1")),
    ("四级/三级", ("L4", "L3")), ("岗位技能四级 三级", ("L4", "L3")), ("4级,2级", ("L4", "L2")),
    ("岗位技能三级(中级)、岗位技能二级（高级）", ("L3", "L2")), ("一级", ("L1",)), ("L4, L4", ("L4",)),
])
def test_levels_are_read_from_codes_or_names_with_any_separator_and_empty_means_all(cell, levels):
    assert read_xlsx(_sheet(_row(适用等级=cell))).records[0].levels == levels


@pytest.mark.parametrize("cell", ["对", "正确", "√", "T", "true", "TRUE", True, "是", "（√）"])
def test_a_true_statement_is_read_from_every_usual_mark(cell):
    result = read_xlsx(_sheet(_row(题型="判断题", 答案=cell, 选项A=None, 选项B=None, 选项C=None, 选项D=None)))
    assert result.errors == []
    assert result.records[0].answer is True


@pytest.mark.parametrize("cell", ["错", "错误", "×", "F", "false", False, "否", "錯"])
def test_a_false_statement_is_read_from_every_usual_mark(cell):
    result = read_xlsx(_sheet(_row(题型="判断题", 答案=cell, 选项A=None, 选项B=None, 选项C=None, 选项D=None)))
    assert result.errors == []
    assert result.records[0].answer is False


@pytest.mark.parametrize("cell", ["ABD", "A,B,D", "A、B、D", "abd", "ＡＢＤ", "A B D", " A，B，D ", "A;B;D"])
def test_multiple_choice_keys_are_read_with_any_separator_case_or_width(cell):
    result = read_xlsx(_sheet(_row(题型="多选题", 答案=cell)))
    assert result.errors == []
    assert result.records[0].answer == ("A", "B", "D")


def test_fill_in_answers_accept_full_width_separators_and_alternatives():
    result = read_xlsx(_sheet(_row(
        题型="填空", 题干="客户生命周期分为识别期、____、____和预警期。", 答案="成长期 ｜ 成长阶段；稳定期;",
        选项A=None, 选项B=None, 选项C=None, 选项D=None,
    )))
    assert result.errors == []
    assert result.records[0].answer == (("成长期", "成长阶段"), ("稳定期",))


def test_numbers_in_cells_are_read_as_the_text_the_trainer_typed():
    result = read_xlsx(_sheet(
        _row(编号=12, 选项A=100, 选项B=200.0, 选项C=2.5, 选项D=0),
        _row(编号=13, 题型="填空", 题干="电话铃响____声之内接起。", 答案=3, 选项A=None, 选项B=None, 选项C=None, 选项D=None),
    ))
    assert result.errors == []
    first, second = result.records
    assert first.key == "12" and first.options == ("100", "200", "2.5", "0")
    assert second.key == "13" and second.answer == (("3",),)


def test_tags_are_split_on_ascii_and_chinese_commas():
    result = read_xlsx(_sheet(_row(标签="首问负责，情绪安抚、升级 , 道歉")))
    assert result.records[0].tags == ("首问负责", "情绪安抚", "升级", "道歉")


def test_whitespace_around_cells_is_trimmed_but_newlines_inside_are_kept():
    result = read_xlsx(_sheet(_row(题干="  第一行\n第二行  ", 解析="\n解析一\r\n解析二 ", 选项A=" 解释原因 ")))
    q = result.records[0]
    assert q.stem == "第一行\n第二行"
    assert q.explanation == "解析一\n解析二"
    assert q.options[0] == "解释原因"


def test_columns_may_come_in_any_order_and_optional_ones_may_be_missing():
    header = ["题干", "答案", "题型", "知识领域", "难度", "选项A", "选项B"]
    result = read_xlsx(_sheet(["道歉是否等于认错?", "错", "判断", "W05", "中"], ["第一步?", "A", "单选", "W05", "易", "倾听", "解释"],
                              header=header))
    assert result.errors == []
    tf, single = result.records
    assert tf.key == "~2" and tf.answer is False and tf.levels == LEVEL_CODES
    assert single.options == ("倾听", "解释") and single.answer == ("A",)


def test_a_sheet_not_named_like_the_template_is_still_read_when_it_is_the_first():
    result = read_xlsx(_sheet(_row(编号="X-1"), title="Sheet1"))
    assert result.records[0].key == "X-1"


# --------------------------------------------------------------------------- errors trainers see


def test_a_single_choice_row_with_two_keys_is_reported_with_row_and_column():
    rows = [_row(编号=f"W05-{i:03d}") for i in range(2, 14)] + [_row(编号="W05-014", 答案="A,B")]
    result = read_xlsx(_sheet(*rows))
    assert _errors(result) == ["第 14 行 答案列: 单选题只能有一个答案, 读到 'AB'"]
    assert result.errors == [RowError(14, "答案", "单选题只能有一个答案, 读到 'AB'")]
    assert [row for row, _ in result.rows] == list(range(2, 14))


def test_several_bad_rows_give_one_error_each_with_row_and_column_and_good_rows_still_load():
    no_options = {"选项A": None, "选项B": None, "选项C": None, "选项D": None}
    result = read_xlsx(_sheet(
        _row(编号="OK-1"),                                                    # 2 fine
        _row(编号="BAD-3", 知识领域="X99"),                                   # 3
        _row(编号="BAD-4", 题型="选择题"),                                    # 4
        _row(编号="BAD-5", 难度="超难"),                                      # 5
        _row(编号="BAD-6", 题型="填空题", 题干="分为____和____。", 答案="甲", **no_options),   # 6
        _row(编号="BAD-7", 题型="填空题", 题干="分为( )和( )。", 答案="甲;乙", **no_options),  # 7
        _row(编号="BAD-8", 答案="E"),                                         # 8
        _row(编号="BAD-9", 选项C=None),                                       # 9
        _row(编号="OK-1"),                                                    # 10
        _row(编号="BAD-11", 适用等级="L5,三级"),                              # 11
        _row(编号="BAD-12", 题型="判断题", 答案="B", **no_options),           # 12
        _row(编号="BAD-13", 题型="判断题", 答案="对"),                        # 13
        _row(编号="BAD-14", 题型="多选题", 答案="C"),                         # 14
        _row(编号="BAD-15", 题干=None),                                       # 15
        _row(编号="BAD-16", 题型="简答题", 答案=None, **no_options),          # 16
        _row(编号="BAD-17", 选项B=None, 选项C=None, 选项D=None, 答案="A"),   # 17
        _row(编号="BAD-18", 题型="填空题", 题干="没有空的题干。", 答案="甲", **no_options),  # 18
        _row(编号="BAD-19", 答案="AX"),                                       # 19
    ))
    assert _errors(result) == [
        "第 3 行 知识领域列: 知识领域 'X99' 不存在",
        "第 4 行 题型列: 题型 '选择题' 不存在 (可填: 判断题、单选题、多选题、填空题、简答题、案例分析题)",
        "第 5 行 难度列: 难度 '超难' 无效 (可填: 易、中、难)",
        "第 6 行 答案列: 题干有 2 个空, 答案有 1 组 (每空的答案用 ; 分隔)",
        "第 7 行 题干列: 题干中的空要写成 ____ (三个以上下划线), 不能用括号 ( ): 读到 0 个 ____ 和 2 个括号, 答案有 2 组",
        "第 8 行 答案列: 答案 E 没有对应的选项 (只填写了选项 A–D)",
        "第 9 行 选项C列: 选项C为空, 但选项D有内容 (选项要从 A 开始连续填写)",
        "第 10 行 编号列: 编号 'OK-1' 与第 2 行重复",
        "第 11 行 适用等级列: 适用等级 'L5' 无效 (可填 L4、L3、L2、L1 或 四级、三级、二级、一级, 多个用逗号分隔; 留空表示全部等级)",
        "第 12 行 答案列: 判断题答案应为 对 或 错, 读到 'B'",
        "第 13 行 选项A列: 判断题不应有选项",
        "第 14 行 答案列: 多选题至少两个答案, 读到 'C'",
        "第 15 行 题干列: 题干为空",
        "第 16 行 答案列: 缺少参考答案 (主观题需要参考答案)",
        "第 17 行 选项B列: 选项数应为 2–8 个, 读到 1 个",
        "第 18 行 题干列: 填空题题干中没有空 (用 ____ 表示)",
        "第 19 行 答案列: 答案 'AX' 应为选项字母, 如 A 或 ABD",
    ]
    assert [(row, q.key) for row, q in result.rows] == [(2, "OK-1")]


def test_a_row_with_several_problems_reports_each_of_its_columns():
    result = read_xlsx(_sheet(_row(编号="BAD", 知识领域="Z01", 难度=None, 适用等级="五级", 答案="AB")))
    assert _errors(result) == [
        "第 2 行 知识领域列: 知识领域 'Z01' 不存在",
        "第 2 行 难度列: 缺少难度 (可填: 易、中、难)",
        "第 2 行 适用等级列: 适用等级 '五级' 无效 (可填 L4、L3、L2、L1 或 四级、三级、二级、一级, 多个用逗号分隔; 留空表示全部等级)",
        "第 2 行 答案列: 单选题只能有一个答案, 读到 'AB'",
    ]
    assert result.rows == []


def test_an_unknown_type_still_reports_the_other_columns_of_the_row():
    result = read_xlsx(_sheet(_row(题型=None, 知识领域=None, 题干=None)))
    assert _errors(result) == [
        "第 2 行 知识领域列: 缺少知识领域",
        "第 2 行 题型列: 缺少题型 (可填: 判断题、单选题、多选题、填空题、简答题、案例分析题)",
        "第 2 行 题干列: 题干为空",
    ]


def test_a_sheet_that_is_not_the_template_gets_one_error_at_row_1_naming_the_missing_columns():
    result = read_xlsx(_sheet(["张三", 90], ["李四", 85], header=["姓名", "成绩"]))
    assert _errors(result) == [
        "第 1 行 表头列: 缺少列 知识领域、题型、难度、题干、答案 (请使用题库 Excel 模板, 第 1 行为列标题)",
    ]
    assert result.rows == []
    partial = read_xlsx(_sheet(header=[c for c in COLUMNS if c not in ("难度", "答案")]))
    assert [e.message.split(" (")[0] for e in partial.errors] == ["缺少列 难度、答案"]


def test_a_file_that_is_not_an_xlsx_raises_bank_error_naming_the_file(tmp_path):
    with pytest.raises(BankError, match="^题库.xlsx: 不是 Excel"):
        read_xlsx(b"just some text", name="题库.xlsx")
    old = tmp_path / "旧题库.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(BankError, match="^旧题库.xls: 是旧版 Excel"):
        read_xlsx(old)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(BankError, match="^a.docx: 不是 Excel"):
        read_xlsx(zipped.getvalue(), name="a.docx")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("xl/workbook.xml", "not xml at all")
    with pytest.raises(BankError, match="^坏.xlsx: "):
        read_xlsx(broken.getvalue(), name="坏.xlsx")


def test_looks_like_xlsx_recognises_workbooks_only():
    data = _xlsx_bytes(HAND_MADE)
    assert looks_like_xlsx(data)
    cut = data.index(b"xl/workbook.xml") + 100
    assert looks_like_xlsx(data[:cut])  # a truncated upload is still recognised by its member names
    assert not looks_like_xlsx(b"PK\x03\x04 nothing")
    assert not looks_like_xlsx("题目".encode())
    docx_like = io.BytesIO()
    with zipfile.ZipFile(docx_like, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert not looks_like_xlsx(docx_like.getvalue())


def test_a_workbook_is_opened_and_read_once(monkeypatch):
    import openpyxl  # question_bank.xlsx imports its load_workbook when it opens a file

    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1) or real(*a, **k))
    assert len(read_xlsx(_xlsx_bytes(HAND_MADE)).records) == len(HAND_MADE)
    assert len(opened) == 1
