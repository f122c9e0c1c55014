"""Bounded uploads: hostile files are refused before they are parsed, with a message naming the file and the
limit, quickly, and nothing is written — on the bank import (web and CLI), the facts upload and enrolment lists."""
from __future__ import annotations

import io
import json
import time
import tracemalloc

import hostile_files as hostile
import pytest
from sqlalchemy import func, select
from test_facts_import import facts

from exam.extensions import db
from exam.models import AuditEvent, Enrolment, ImportUpload, Question, User
from exam.services.sittings import SittingError, read_enrolment_xlsx
from question_bank import uploads
from question_bank.docx import docx_to_text
from question_bank.sources import read_from_json, read_to_json, read_upload
from question_bank.uploads import UploadRefused
from question_bank.xlsx import open_workbook, read_xlsx, sheet_rows

FACTS_HEADER = ["工号", "姓名", "上岗日期"]
DUMP = "1、判断题 首问负责制要求第一位受理人跟踪问题直至解决。()正确答案:对\n"


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def runner(app):  # noqa: ANN001, ANN201
    return app.test_cli_runner()


@pytest.fixture
def staff(app, clock):  # noqa: ANN001, ANN201
    for username, number in (("trainee1", "GZ0001"), ("trainee2", "SZ0002")):
        db.session.scalars(select(User).where(User.username == username)).one().employee_no = number
    db.session.commit()
    return clock


def refused_quickly(call, *, within: float = 1.0) -> str:  # noqa: ANN001
    """The message of the ``UploadRefused`` that ``call`` raises, which must come within ``within`` seconds."""
    started = time.perf_counter()
    with pytest.raises(UploadRefused) as caught:
        call()
    assert time.perf_counter() - started < within
    return str(caught.value)


# --------------------------------------------------------------------------- the checks, framework-free


def test_a_word_file_of_repeated_text_is_refused_by_its_compression_ratio_before_it_is_parsed():
    data = hostile.repeated_text_docx(12)  # 50 KB that unpacks to 12 MB; reading it took seconds and 240 MB
    assert len(data) < 100_000
    message = refused_quickly(lambda: docx_to_text(data, name="题库.docx"))
    assert message.startswith("题库.docx: 其中的 word/document.xml 压缩比 ") and "超过上限 100:1" in message


def test_a_member_that_claims_more_than_the_limit_is_refused_from_the_central_directory():
    sheet = hostile.table_xlsx(["工号"], [["GZ0001"]])
    lying = hostile.declared_size(sheet, "xl/worksheets/sheet1.xml", 2**31 - 1)
    message = refused_quickly(lambda: read_xlsx(lying, name="名单.xlsx"))
    assert message == "名单.xlsx: 其中的 xl/worksheets/sheet1.xml 解压后有 2047 MB, 超过上限 64 MB, 请拆分后再上传"


def test_parts_the_reader_never_opens_are_not_held_against_a_word_file():
    picture = ("word/media/image1.bmp", b"\0" * 5_000_000)  # packs 1000:1, but is never decompressed
    read = read_upload(hostile.docx_package(hostile.paragraphs([DUMP.strip()]), extra=[picture]), "题库.docx")
    assert len(read.entries) == 1


def test_an_archive_of_too_many_members_is_refused():
    message = refused_quickly(lambda: docx_to_text(hostile.many_members_docx(2_001), name="x.docx"))
    assert message == "x.docx: 压缩包内有 2,004 个部件, 超过上限 2,000 个, 不是正常的 Word 文件"


def test_cells_are_counted_in_the_xml_before_the_sheet_is_parsed(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SHEET_CELLS", 5_000)
    data = hostile.many_cells_xlsx(6_000)  # distinct numbers: packs well under the ratio limit
    message = refused_quickly(lambda: read_xlsx(data, name="大表.xlsx"))
    assert message == "大表.xlsx: 超过 5,000 个单元格, 请只保留需要的行和列, 或拆分后再上传"


def test_content_beyond_the_last_column_is_refused_naming_row_and_column():
    data = hostile.far_column_xlsx(["工号", "上岗日期"], [["GZ0001", "2020-01-01"]] * 3)
    message = refused_quickly(lambda: read_xlsx(data, name="名单.xlsx"))
    assert message == "名单.xlsx: 第 3 行第 XFD 列有内容, 超过上限 256 列 (IV 列), 请删除多余的列后再上传"


def test_empty_cells_far_to_the_right_are_harmless_and_rows_are_never_laid_out_past_the_last_column():
    def rows():  # noqa: ANN202
        yield 1, [(1, "工号")]
        for i in range(2, 2_002):
            yield i, [(1, f"GZ{i:05d}"), (16_384, None), (300, None)]
    data = hostile.xlsx_package(hostile.sheet_xml(rows()))
    with open_workbook(data, "名单.xlsx") as wb:
        read = list(sheet_rows(wb.worksheets[0], "名单.xlsx"))
    assert len(read) == 2_001 and {len(values) for _, values in read} == {256}
    assert read[-1] == (2_001, ("GZ02001",) + (None,) * 255)


def test_a_huge_stored_dimension_is_ignored_and_memory_stays_small():
    rows = [[f"GZ{i:05d}", "王喆"] for i in range(3_000)]
    data = hostile.huge_dimension_xlsx(["工号", "姓名"], rows)  # claims A1:XFD1048576
    tracemalloc.start()
    try:
        with open_workbook(data, "名单.xlsx") as wb:
            read = [values[0] for _, values in sheet_rows(wb.worksheets[0], "名单.xlsx")]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == ["工号", *(r[0] for r in rows)]
    assert peak < 40 * 1024 * 1024  # rows laid out 16,384 cells wide took 400 MB


def test_rows_beyond_the_limit_are_refused_naming_the_row(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SHEET_ROWS", 100)
    data = hostile.table_xlsx(["工号"], [[f"GZ{i}"] for i in range(150)])

    def read() -> None:
        with open_workbook(data, "名单.xlsx") as wb:
            for _ in sheet_rows(wb.worksheets[0], "名单.xlsx"):
                pass
    assert refused_quickly(read) == "名单.xlsx: 超过 100 行 (第 102 行), 请拆分后再上传"


def test_word_paragraphs_are_counted_before_parsing_and_text_is_capped_while_streaming(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PARAGRAPHS", 50)
    many = hostile.docx_package(hostile.paragraphs([f"{i}、判断题 首问负责。()正确答案:对" for i in range(60)]))
    assert refused_quickly(lambda: docx_to_text(many, name="a.docx")) == "a.docx: 超过 50 段, 请拆分后再上传"
    monkeypatch.setattr(uploads, "MAX_TEXT_CHARS", 1_000)
    long = hostile.docx_package(hostile.paragraphs(["客户关怀" * 200] * 3))
    assert "a.docx: 文字超过 0 万字 (上限 1,000 字)" in refused_quickly(lambda: docx_to_text(long, name="a.docx"))


def test_a_text_dump_beyond_the_character_limit_is_refused_before_the_dump_parser_sees_it():
    data = ("维系" * (uploads.MAX_TEXT_CHARS // 2 + 1)).encode()
    message = refused_quickly(lambda: read_upload(data, "题库.txt"))
    assert message == "题库.txt: 文字超过 200 万字 (上限 2,000,000 字), 请拆分后再上传"


def test_a_file_over_the_size_limit_is_refused_without_reading_past_the_limit(tmp_path):
    path = tmp_path / "大.txt"
    with path.open("wb") as f:
        f.truncate(uploads.MAX_UPLOAD_BYTES + 1)
    message = refused_quickly(lambda: read_upload(path))
    assert message == "大.txt: 文件大小 20.0 MB, 超过上限 20 MB, 请拆分后再上传"

    class Stream(io.BytesIO):
        asked: list[int] = []

        def read(self, n: int = -1) -> bytes:
            self.asked.append(n)
            return super().read(n)
    stream = Stream(b"x" * (uploads.MAX_UPLOAD_BYTES + 10))
    assert "超过上限 20 MB" in refused_quickly(lambda: read_upload(stream, "a.txt"))
    assert Stream.asked == [uploads.MAX_UPLOAD_BYTES + 1]


def test_the_kind_is_read_from_the_content_not_the_extension():
    assert read_upload(hostile.docx_package(hostile.paragraphs([DUMP.strip()])), "题库.txt").format == "docx"
    with pytest.raises(Exception, match="^题库.pdf: 扩展名是 .pdf, 内容却不是 PDF 文件"):
        read_upload(DUMP.encode(), "题库.pdf")
    with pytest.raises(Exception, match="^a.zip: 是压缩文件, 但既不是 .xlsx 也不是 .docx"):
        read_upload(hostile._package([("a.txt", "x")]), "a.zip")


def test_what_was_read_round_trips_through_its_stored_form():
    sheet = read_upload(hostile.table_xlsx(
        ["知识领域", "题型", "难度", "题干", "选项A", "选项B", "答案", "用途"],
        [["W05", "单选题", "中", "投诉处理的第一步是( )。", "倾听", "解释", "A", "考试"],
         ["W05", "填空题", "易", "首问____制。", None, None, "负责|负责人", None]]), "题.xlsx")
    dump = read_upload((DUMP + "2、单选 客户投诉处理的第一步是()。A.解释 B.倾听 正确答案:B\n3、单选 没有答案()。\n")
                       .encode(), "题.txt")
    assert sheet.entries and dump.entries and dump.skipped
    for read in (sheet, dump):
        assert read_from_json(json.loads(json.dumps(read_to_json(read), ensure_ascii=False))) == read
    with pytest.raises(ValueError):
        read_from_json({"codec": 0})


# --------------------------------------------------------------------------- the three pages and the CLI


def test_the_bank_upload_refuses_a_hostile_word_file_quickly_and_stores_nothing(client, auth, clock):
    auth.login("trainer1")
    before = count(ImportUpload)
    started = time.perf_counter()
    page = client.post("/trainer/imports", data={"file": (io.BytesIO(hostile.repeated_text_docx(12)), "题库.docx")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert time.perf_counter() - started < 2
    assert "未上传: 题库.docx: 其中的 word/document.xml 压缩比" in page.text and "超过上限 100:1" in page.text
    assert count(ImportUpload) == before


def test_the_bank_upload_refuses_a_file_over_the_size_limit(client, auth, clock):
    auth.login("trainer1")
    before = count(ImportUpload)
    page = client.post("/trainer/imports", data={"file": (io.BytesIO(b"1" * (uploads.MAX_UPLOAD_BYTES + 1)), "a.txt")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "未上传: a.txt: 文件大小 超过上限 20 MB, 请拆分后再上传" in page.text
    assert count(ImportUpload) == before


def test_the_cli_refuses_a_hostile_file_with_the_message_and_writes_nothing(runner, tmp_path, clock):
    path = tmp_path / "题库.docx"
    path.write_bytes(hostile.repeated_text_docx(12))
    before = count(Question)
    result = runner.invoke(args=["bank", "import", str(path), "--json", "--area", "W05"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["imported"] is None and report["recognised"] == 0
    assert any("压缩比" in e and "超过上限 100:1" in e for e in report["errors"])
    assert count(Question) == before


def test_the_facts_upload_refuses_content_beyond_the_last_column_and_writes_nothing(client, auth, staff):
    before = facts("trainee1")
    auth.login("hr1")
    data = hostile.far_column_xlsx(FACTS_HEADER, [["GZ0001", "王喆", "2020-01-01"]] * 3)
    page = client.post("/hr/facts/", data={"file": (io.BytesIO(data), "申报资料.xlsx")},
                       content_type="multipart/form-data")
    assert "申报资料.xlsx: 第 3 行第 XFD 列有内容, 超过上限 256 列 (IV 列)" in page.text
    assert "1 处错误, 未写入任何数据" in page.text
    assert facts("trainee1") == before
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "eligibility.facts_import")).all() == []


def test_the_facts_upload_refuses_too_many_cells_quickly(client, auth, staff, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SHEET_CELLS", 5_000)
    before = facts("trainee1")
    auth.login("hr1")
    started = time.perf_counter()
    page = client.post("/hr/facts/", data={"file": (io.BytesIO(hostile.many_cells_xlsx(6_000, FACTS_HEADER)),
                                                    "申报资料.xlsx")}, content_type="multipart/form-data")
    assert time.perf_counter() - started < 2
    assert "申报资料.xlsx: 超过 5,000 个单元格" in page.text and facts("trainee1") == before


def test_an_enrolment_list_with_a_huge_stored_dimension_enrols_as_listed(client, auth, staff):
    from helpers import open_sitting

    db.session.execute(Enrolment.__table__.delete())
    sitting, _ = open_sitting("L4", [], now=staff.now)
    data = hostile.huge_dimension_xlsx(["序号", "工号"], [[1, "GZ0001"], [2, "SZ0002"], [3, "XX9999"]])
    users, refused = read_enrolment_xlsx(db.session, data, "名单.xlsx")
    assert [(u.username, row) for u, row in users] == [("trainee1", 2), ("trainee2", 3)]
    assert [(r.who, r.row) for r in refused] == [("XX9999", 4)]
    auth.login("hr1")
    page = client.post(f"/hr/sittings/{sitting.id}/enrol", data={"how": "xlsx", "file": (io.BytesIO(data), "名单.xlsx")},
                       content_type="multipart/form-data").text
    assert "工号“XX9999”不存在" in page


def test_an_enrolment_list_beyond_the_bounds_enrols_nobody_and_says_why(client, auth, staff):
    from helpers import open_sitting

    db.session.execute(Enrolment.__table__.delete())
    sitting, _ = open_sitting("L4", [], now=staff.now)
    data = hostile.far_column_xlsx(["工号"], [["GZ0001"], ["SZ0002"]])
    with pytest.raises(SittingError, match="^名单.xlsx: 第 3 行第 XFD 列有内容, 超过上限 256 列"):
        read_enrolment_xlsx(db.session, data, "名单.xlsx")
    auth.login("hr1")
    for upload in (data, b"1" * (uploads.MAX_UPLOAD_BYTES + 1)):
        page = client.post(f"/hr/sittings/{sitting.id}/enrol", data={"how": "xlsx", "file": (io.BytesIO(upload),
                                                                                             "名单.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True).text
        assert "名单.xlsx: " in page and "超过上限" in page
    assert count(Enrolment) == 0


# --------------------------------------------------------------------------- parsed once


def test_the_import_preview_parses_the_upload_once_however_often_it_is_viewed(client, auth, clock, monkeypatch):
    import question_bank.dumps as dumps

    parsed = []
    real = dumps.parse_dump
    monkeypatch.setattr(dumps, "parse_dump", lambda text: parsed.append(text) or real(text))
    auth.login("trainer1")
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(DUMP.encode()), "dump.txt")},
                           content_type="multipart/form-data")
    url = response.location
    for _ in range(3):
        assert "识别 <strong>1</strong> 题" in client.get(url).text
    client.post(url, data={"area": "W05", "difficulty": "medium", "levels": ["L4"], "status": "active",
                           "action": "save"})
    assert "识别 <strong>1</strong> 题" in client.get(url + "?view=problems").text
    assert len(parsed) == 1
    before = count(Question)
    client.post(url, data={"area": "W05", "difficulty": "medium", "levels": ["L4"], "status": "active",
                           "action": "import"})
    assert count(Question) == before + 1 and len(parsed) == 1
    upload = db.session.scalars(select(ImportUpload).order_by(ImportUpload.id.desc())).first()
    assert upload.parsed is None  # no longer needed once imported


def test_an_upload_stored_without_its_reading_is_read_again_from_its_file(client, auth, clock):
    auth.login("trainer1")
    url = client.post("/trainer/imports", data={"file": (io.BytesIO(DUMP.encode()), "dump.txt")},
                      content_type="multipart/form-data").location
    upload = db.session.scalars(select(ImportUpload).order_by(ImportUpload.id.desc())).first()
    upload.parsed = None  # as stored before readings were kept
    db.session.commit()
    assert "识别 <strong>1</strong> 题" in client.get(url).text
