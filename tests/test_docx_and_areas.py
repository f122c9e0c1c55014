"""Word files as text for the dump importer, area names, and the keyword guess of a question's area."""
from __future__ import annotations

import io
import zipfile

import docx
import pytest

from question_bank import AREA_CODES, LEVEL_CODES, BankError, load_starter_bank
from question_bank.areas import AREA_NAMES, LEVEL_NAMES, AreaGuess, suggest_area
from question_bank.docx import docx_to_text, looks_like_docx


def _docx_bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- docx


def test_paragraphs_tables_and_line_breaks_come_out_in_body_order_one_paragraph_per_line():
    d = docx.Document()
    d.add_heading("二、单选(共30分,每题2分)", level=1)
    p = d.add_paragraph("1、单选客户投诉处理的第一步是()。")
    run = p.add_run("A.解释原因")
    run.add_break()
    p.add_run("B.倾听并安抚")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "C.给予赔偿"
    table.cell(0, 1).text = "D.转交上级"
    table.cell(1, 0).text = "正确答案:B"
    table.cell(1, 1).text = "第一行\n第二行"
    d.add_paragraph("")
    d.add_paragraph("9、判断题向客户道歉就等于承认公司有过错。()正确答案:错")
    assert docx_to_text(_docx_bytes(d)).split("\n") == [
        "二、单选(共30分,每题2分)",
        "1、单选客户投诉处理的第一步是()。A.解释原因",
        "B.倾听并安抚",
        "C.给予赔偿",
        "D.转交上级",
        "正确答案:B",
        "第一行",
        "第二行",
        "",
        "9、判断题向客户道歉就等于承认公司有过错。()正确答案:错",
    ]


def test_a_dump_with_one_option_per_paragraph_reads_line_by_line():
    lines = [
        "1.【单项选择题】客户投诉处理的第一步是( )。", "A、解释原因", "B、倾听并安抚", "C、给予赔偿", "D、转交上级",
        "标准答案:B",
        "7、多选VIP客户关怀的常用方式有()。A.节日短信B.生日问候C.账单提醒D.停机催缴正确答案:A,B,C",
        "1.拍照用户是指在某一时点锁定的目标维系客户.(√) .2.零通话用户无需关注.(×) .",
        "【單選題】…\t標準答案:A",
    ]
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    assert docx_to_text(_docx_bytes(d)) == "\n".join(lines)


def test_deleted_revisions_and_field_codes_are_not_part_of_the_text():
    d = docx.Document()
    p = d.add_paragraph("正确答案:")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    p._p.append(docx.oxml.parse_xml(
        f'<w:del xmlns:w="{w}" w:id="1" w:author="x"><w:r><w:delText>A</w:delText></w:r></w:del>'
    ))
    p._p.append(docx.oxml.parse_xml(
        f'<w:ins xmlns:w="{w}" w:id="2" w:author="x"><w:r><w:t>B</w:t></w:r></w:ins>'
    ))
    p._p.append(docx.oxml.parse_xml(
        f'<w:r xmlns:w="{w}"><w:instrText> PAGE </w:instrText></w:r>'
    ))
    p._p.append(docx.oxml.parse_xml(
        f'<w:r xmlns:w="{w}"><w:sym w:font="Wingdings" w:char="F0FC"/></w:r>'
    ))
    assert docx_to_text(_docx_bytes(d)) == "正确答案:B√"


def test_a_docx_is_read_from_a_path_or_an_open_file(tmp_path):
    d = docx.Document()
    d.add_paragraph("12、问答题简述外呼挽留的基本步骤。正确答案:(1)核实身份(2)了解离网原因")
    path = tmp_path / "题库.docx"
    d.save(path)
    assert docx_to_text(path) == "12、问答题简述外呼挽留的基本步骤。正确答案:(1)核实身份(2)了解离网原因"
    with open(path, "rb") as f:
        assert docx_to_text(f).startswith("12、问答题")


def test_a_file_that_is_not_a_docx_raises_bank_error_naming_the_file(tmp_path):
    with pytest.raises(BankError, match="^x.docx: 不是 Word"):
        docx_to_text(b"plain text", name="x.docx")
    old = tmp_path / "旧题库.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(BankError, match="^旧题库.doc: 是旧版 Word"):
        docx_to_text(old)
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(BankError, match="^book.xlsx: 不是 Word"):
        docx_to_text(workbook.getvalue(), name="book.xlsx")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("word/document.xml", "<w:document")
    with pytest.raises(BankError, match="^坏.docx: Word 文件已损坏"):
        docx_to_text(broken.getvalue(), name="坏.docx")


def test_looks_like_docx_recognises_word_files_only():
    data = _docx_bytes(docx.Document())
    assert looks_like_docx(data)
    assert not looks_like_docx(b"PK\x03\x04 nothing")
    assert not looks_like_docx(b"%PDF-1.7")
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert not looks_like_docx(workbook.getvalue())


# --------------------------------------------------------------------------- area and level names


def test_every_area_and_level_has_its_name_from_the_standard():
    assert tuple(AREA_NAMES) == AREA_CODES
    assert tuple(LEVEL_NAMES) == LEVEL_CODES
    assert AREA_NAMES["W05"] == "投诉处理" and AREA_NAMES["B12"] == "服务礼仪及行为规范"
    assert AREA_NAMES["W06"] == "数据分析与维系策略" and AREA_NAMES["W07"] == "培训指导与团队管理"
    assert LEVEL_NAMES == {"L4": "四级", "L3": "三级", "L2": "二级", "L1": "一级"}


# --------------------------------------------------------------------------- area suggestions


TYPICAL_STEMS = [
    ("B11", "FTTH光纤接入方式中，ONU一般安装在用户端。"),
    ("B11", "5G网络与4G网络相比，时延更低。"),
    ("B12", "接听客户来电时，应在铃响三声之内接起，并使用文明用语。"),
    ("B12", "客户经理的仪容仪表应当整洁大方。"),
    ("B21", "按照客户生命周期理论，客户关系依次经历识别期、成长期、稳定期和（ ）四个阶段。"),
    ("B22", "存费送费活动中赠送的话费，客户可以随时申请退还现金。"),
    ("B23", "面对客户在外呼营销中提出的异议，客户经理首先应当（ ）。"),
    ("B30", "根据《消费者权益保护法》，消费者享有知悉其接受的服务的真实情况的权利。"),
    ("W01", "在客户生日当天发送生日祝福短信，属于客户关怀中的（ ）。"),
    ("W02", "连续三个月零通话的用户应列入流失预警名单。"),
    ("W03", "客户申请宽带拆机时，客户经理应先了解原因，再有针对性地进行挽留。"),
    ("W04", "根据客户的流量使用情况进行套餐适配，并挖掘融合业务商机。"),
    ("W05", "客户投诉时情绪激动，客户经理应先安抚情绪，并真诚道歉。"),
    ("W05", "首问负责制要求第一个受理客户诉求的员工跟踪到底。"),
    ("W06", "某拍照用户群的离网率由4%下降到3%，说明离网率下降了（ ）个百分点。"),
    ("W07", "带教新员工时，采用讲解、示范、练习、反馈的方式效果较好。"),
]


@pytest.mark.parametrize("area, stem", TYPICAL_STEMS)
def test_a_typical_stem_of_each_area_is_suggested_that_area(area, stem):
    guess = suggest_area(stem)
    assert guess is not None and guess.code == area, guess
    assert guess.score > 0 and guess.hits


def test_every_area_has_a_typical_stem_above():
    assert {area for area, _ in TYPICAL_STEMS} == set(AREA_CODES)


@pytest.mark.parametrize("text", ["今天天气晴朗，适合去公园散步。", "下列说法正确的是（ ）。", "", "Hello world"])
def test_text_unrelated_to_any_area_gets_no_suggestion(text):
    assert suggest_area(text) is None


def test_the_guess_names_the_keywords_it_found_longest_first():
    guess = suggest_area("客户投诉处理的第一步是（ ）。")
    assert guess == AreaGuess("W05", guess.score, ("投诉处理", "投诉"))


def test_traditional_script_is_matched_after_conversion_to_simplified():
    guess = suggest_area("客戶投訴時情緒激動，客戶經理應先安撫情緒。")
    assert guess is not None and guess.code == "W05"


def test_the_section_heading_counts_when_the_stem_itself_says_nothing():
    assert suggest_area("下列说法正确的是（ ）。", heading="第五部分 投诉处理") == AreaGuess("W05", 6.497, ("投诉处理", "投诉"))
    # … but a clear stem outweighs a loose heading.
    guess = suggest_area("连续三个月零通话的用户应列入流失预警名单。", heading="第五部分 投诉处理")
    assert guess is not None and guess.code == "W02"


def test_longer_keywords_weigh_more_than_short_ones():
    # 拍照用户 (W06) against 套餐 (B22): the specific term wins.
    guess = suggest_area("拍照用户中套餐到期的比例")
    assert guess is not None and guess.code == "W06"


def test_most_starter_questions_are_suggested_their_own_area():
    # Recall items (the 四级 band, like most items in the dumps trainers import) name their topic;
    # analysis items for 二级/一级 mix several areas' vocabulary, so the whole bank is held lower.
    bank = load_starter_bank()

    def share(items) -> float:
        return sum(1 for q in items if (g := suggest_area(q.stem)) is not None and g.code == q.area) / len(items)

    assert share([q for q in bank if "L4" in q.levels]) >= 0.85
    assert share(bank) >= 0.75
