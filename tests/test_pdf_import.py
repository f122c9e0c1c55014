"""PDF imports: the text layer, page by page in reading order, without running headers, footers and page
numbers, through the same dump parser and dry run; a scan without a text layer is refused saying so."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from exam.extensions import db
from exam.models import ImportUpload, Question
from question_bank import BankError, QuestionType, uploads
from question_bank.pdf import pdf_to_text, remove_furniture
from question_bank.sources import read_upload
from question_bank.uploads import UploadRefused

HEADER = "VIP客户服务经理岗位认证 内部学习资料"
STYLE = """@page { size: A5; margin: 2cm 1.5cm;
  @top-center { content: "HEADER"; font-size: 8pt }
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 8pt } }
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 11pt }
.next { break-before: page }""".replace("HEADER", HEADER)
#: three pages; question 3 starts at the foot of page 1 and ends on page 2
BODY = """<h2>维系挽留练习题</h2>
<p>1、单选客户投诉处理的第一步是()。</p><p>A.解释原因</p><p>B.倾听并安抚</p><p>C.给予赔偿</p><p>D.转交上级</p>
<p>正确答案:B</p>
<p>2、判断题首问负责制要求第一位受理人跟踪问题直至解决。()正确答案:对</p>
<p>3、多选VIP客户关怀的常用方式有()。</p>
<p class="next">A.节日短信</p><p>B.生日问候</p><p>C.账单提醒</p><p>D.停机催缴</p><p>正确答案:A,B,C</p>
<p>4、填空题客户生命周期一般分为识别期、()、()和预警期四个阶段。</p><p>正确答案:成长期;稳定期</p>
<p class="next">5、判断题向客户道歉就等于承认公司有过错。()正确答案:错</p>"""


def render(body: str, style: str = STYLE) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<html><head><style>{style}</style></head><body>{body}</body></html>").write_pdf()


def image_pdf(pages: int = 1) -> bytes:
    """A scan: every page one picture, no text layer."""
    from PIL import Image, ImageDraw

    images = []
    for i in range(pages):
        image = Image.new("RGB", (420, 595), "white")
        ImageDraw.Draw(image).rectangle((40, 60 + i * 10, 380, 90 + i * 10), fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


@pytest.fixture(scope="module")
def text_pdf() -> bytes:
    return render(BODY)


@pytest.fixture
def runner(app):  # noqa: ANN001, ANN201
    return app.test_cli_runner()


def test_pages_are_read_in_order_without_their_running_header_footer_and_page_numbers(text_pdf):
    pdf = pdf_to_text(text_pdf, name="练习题.pdf")
    lines = pdf.text.split("\n")
    assert pdf.pages == 3 and pdf.pages_without_text == []
    assert lines[0] == "维系挽留练习题" and lines[-1] == "5、判断题向客户道歉就等于承认公司有过错。()正确答案:错"
    assert HEADER not in pdf.text and "页" not in pdf.text
    at = lines.index("3、多选VIP客户关怀的常用方式有()。")
    assert lines[at + 1: at + 3] == ["A.节日短信", "B.生日问候"]  # the question goes on across the page break


def test_a_text_pdf_goes_through_the_dump_parser_like_text(text_pdf):
    read = read_upload(text_pdf, "练习题.pdf")
    assert read.format == "pdf" and read.errors == [] and read.skipped == []
    got = [(e.type, e.answer) for e in read.entries]
    assert got == [(QuestionType.SINGLE, ("B",)), (QuestionType.TRUE_FALSE, True),
                   (QuestionType.MULTIPLE, ("A", "B", "C")), (QuestionType.FILL_BLANK, (("成长期",), ("稳定期",))),
                   (QuestionType.TRUE_FALSE, False)]
    multiple = read.entries[2]
    assert multiple.options == ("节日短信", "生日问候", "账单提醒", "停机催缴")
    assert all(HEADER not in e.stem and "页" not in "".join(e.options) for e in read.entries)


def test_furniture_is_what_repeats_at_the_ends_of_most_pages_or_numbers_them():
    pages = [["机密 内部资料", "1、单选甲", "A.是", "B.否", "正确答案:A", "- 1 -"],
             ["机密 内部资料", "2、判断题乙。()", "正确答案:对", "- 2 -"],
             ["机密 内部资料", "第 3 章 投诉处理", "3、判断题丙。()", "正确答案:对", "3 / 3"]]
    assert remove_furniture(pages) == [["1、单选甲", "A.是", "B.否", "正确答案:A"], ["2、判断题乙。()", "正确答案:对"],
                                       ["第 3 章 投诉处理", "3、判断题丙。()", "正确答案:对"]]
    # a page ending with the same answer, or starting with the same item or option, keeps it
    same = [["1、判断题甲。()", "正文", "正确答案:对"], ["1、判断题甲。()", "正文", "正确答案:对"]]
    assert remove_furniture(same) == same
    # the same text in the middle of pages is content; a single page loses only its page number
    middle = [[f"标题{i}", "机密 内部资料", "正文", "1、判断题甲。()正确答案:对", f"尾{i}"] for i in "一二三"]
    assert remove_furniture(middle) == middle
    assert remove_furniture([["第 1 页 共 1 页", "1、判断题甲。()正确答案:对"]]) == [["1、判断题甲。()正确答案:对"]]


def test_a_scan_without_a_text_layer_is_refused_saying_so():
    with pytest.raises(BankError) as caught:
        read_upload(image_pdf(2), "扫描件.pdf")
    assert str(caught.value) == "扫描件.pdf: PDF 无文字层 (可能是扫描件), 读不出其中的文字; 请先 OCR 或提供 Word/文本文件"


def test_a_scanned_page_inside_a_text_pdf_is_reported_not_guessed(text_pdf):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in (text_pdf, image_pdf(1)):
        for page in PdfReader(io.BytesIO(source)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    read = read_upload(out.getvalue(), "混合.pdf")
    assert len(read.entries) == 5
    assert [s.reason for s in read.skipped] == ["PDF 第 4 页无文字层 (可能是扫描页), 该页内容未导入; 请先 OCR"]


def test_an_encrypted_pdf_and_one_with_too_many_pages_are_refused(text_pdf, monkeypatch):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf)))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(BankError, match="^锁.pdf: PDF 文件已加密, 请提供未加密的文件$"):
        read_upload(locked.getvalue(), "锁.pdf")
    monkeypatch.setattr(uploads, "MAX_PDF_PAGES", 2)
    with pytest.raises(UploadRefused, match="^长.pdf: PDF 有 3 页, 超过上限 2 页, 请拆分后再上传$"):
        read_upload(text_pdf, "长.pdf")


def test_a_pdf_is_imported_on_the_web_page_with_the_dry_run(client, auth, clock, text_pdf):
    auth.login("trainer1")
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(text_pdf), "练习题.pdf")},
                           content_type="multipart/form-data")
    preview = client.get(response.location).text
    assert "格式: PDF" in preview and "识别 <strong>5</strong> 题" in preview
    before = db.session.scalar(select(func.count()).select_from(Question))
    client.post(response.location, data={"area": "W05", "difficulty": "medium", "levels": ["L4"], "status": "active",
                                          "action": "import"})
    assert db.session.scalar(select(func.count()).select_from(Question)) == before + 5


def test_a_scan_is_refused_on_the_web_page_and_by_the_cli_and_nothing_is_stored(client, auth, clock, runner, tmp_path):
    auth.login("trainer1")
    before = db.session.scalar(select(func.count()).select_from(ImportUpload))
    page = client.post("/trainer/imports", data={"file": (io.BytesIO(image_pdf()), "扫描件.pdf")},
                       content_type="multipart/form-data", follow_redirects=True).text
    assert "未上传: 扫描件.pdf: PDF 无文字层" in page and "请先 OCR 或提供 Word/文本文件" in page
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == before
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(image_pdf())
    result = runner.invoke(args=["bank", "import", str(path), "--json", "--dry-run"])
    assert json.loads(result.output)["errors"] == [
        "扫描件.pdf: PDF 无文字层 (可能是扫描件), 读不出其中的文字; 请先 OCR 或提供 Word/文本文件"]
