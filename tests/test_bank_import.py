"""Imports end to end: the dry run writes nothing, the import writes everything accepted or nothing."""
from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from exam.extensions import db
from exam.models import AuditEvent, ImportStatus, ImportUpload, Question, QuestionStatus, QuestionVersion
from question_bank import Difficulty, QuestionRecord, QuestionType, dumps_bank
from question_bank.xlsx import write_xlsx

#: a copy of ../shared/samples/dump-sample.txt, so that a clone tests on its own
SAMPLE = Path(__file__).resolve().parent / "data" / "dump-sample.txt"


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Question))


def records(n: int, area: str = "W03", key_prefix: str = "~") -> list[QuestionRecord]:
    return [QuestionRecord(key=f"{key_prefix}{i}", type=QuestionType.SINGLE, area=area, difficulty=Difficulty.MEDIUM,
                           stem=f"第{i}号测试题: 存费维系活动中, 客户预存话费后可获得的赠送金额应当( )。",
                           options=("一次性到账", "按月返还", "不予赠送", "由客户自选"), answer=("B",)) for i in range(n)]


def xlsx_bytes(recs, blank_keys: bool = True) -> bytes:
    out = io.BytesIO()
    write_xlsx(recs, out)
    if not blank_keys:
        return out.getvalue()
    wb = load_workbook(io.BytesIO(out.getvalue()))
    ws = wb["题目"]
    for row in ws.iter_rows(min_row=2):
        row[0].value = None
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import(runner, path: Path, *args: str):  # noqa: ANN201
    result = runner.invoke(args=["bank", "import", str(path), "--json", *args])
    return result, json.loads(result.output) if result.output.startswith("{") else None


@pytest.fixture
def runner(app):  # noqa: ANN201
    return app.test_cli_runner()


def test_excel_import_adds_new_questions_with_area_keys_and_audits(runner, tmp_path, clock):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes(records(30)))
    before = question_count()
    result, report = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert report["recognised"] == 30 and report["by_type"]["single"] == 30 and report["errors"] == []
    assert report["imported"] == {"added": 30, "new_versions": 0, "unchanged": 0}
    assert question_count() == before + 30
    keys = db.session.scalars(select(Question.key).where(Question.source == "导入 bank.xlsx")).all()
    assert len(keys) == 30 and all(k.startswith("W03-") for k in keys)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.import")).all()


def test_dry_run_reports_and_writes_nothing(runner, tmp_path, clock):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(xlsx_bytes(records(5)))
    before = question_count()
    result, report = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0 and report["recognised"] == 5 and "imported" not in report
    assert report["items"][0]["lines"] == [2, 2] and report["items"][0]["answer"] == ["B"]
    assert question_count() == before


def test_an_excel_file_with_bad_rows_reports_each_row_and_imports_nothing(runner, tmp_path, clock):
    wb = load_workbook(io.BytesIO(xlsx_bytes(records(20))))
    ws = wb["题目"]
    header = [c.value for c in ws[1]]
    ws.cell(row=14, column=header.index("答案") + 1, value="AB")
    ws.cell(row=3, column=header.index("知识领域") + 1, value="X99")
    ws.cell(row=9, column=header.index("难度") + 1, value="超难")
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    before = question_count()
    result, report = run_import(runner, path)
    assert result.exit_code == 1
    assert report["imported"] is None
    errors = "\n".join(report["errors"])
    assert "第 14 行 答案列: 单选题只能有一个答案, 读到 'AB'" in errors
    assert "第 3 行 知识领域列" in errors and "第 9 行 难度列" in errors
    assert question_count() == before


def test_export_then_import_is_the_identity(runner, tmp_path, clock):
    for fmt in ("xlsx", "json"):
        path = tmp_path / f"export.{fmt}"
        assert runner.invoke(args=["bank", "export", str(path), "--area", "W05"]).exit_code == 0
        result, report = run_import(runner, path)
        assert result.exit_code == 0, result.output
        w05 = db.session.scalar(select(func.count()).select_from(Question).where(Question.key.like("W05-%")))
        assert report["imported"] == {"added": 0, "new_versions": 0, "unchanged": w05}, fmt
        assert report["duplicates"] == 0


def test_an_edited_export_comes_back_as_new_versions(runner, tmp_path, clock):
    path = tmp_path / "w05.xlsx"
    runner.invoke(args=["bank", "export", str(path), "--area", "W05", "--type", "single"])
    wb = load_workbook(path)
    ws = wb["题目"]
    header = [c.value for c in ws[1]]
    key = ws.cell(row=2, column=1).value
    ws.cell(row=2, column=header.index("解析") + 1, value="修订后的解析")
    wb.save(path)
    result, report = run_import(runner, path)
    assert report["imported"]["new_versions"] == 1, result.output
    q = db.session.scalars(select(Question).where(Question.key == key)).one()
    assert q.current_version.version == 2 and q.current_version.explanation == "修订后的解析"


def test_json_of_an_unknown_version_is_refused(runner, tmp_path, clock):
    doc = json.loads(dumps_bank(records(2, key_prefix="J-")))
    doc["version"] = 7
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result, report = run_import(runner, path)
    assert result.exit_code == 1 and "不支持的题库格式版本 7" in report["errors"][0]


def test_duplicates_of_the_bank_and_within_the_file_are_reported_and_skipped(runner, tmp_path, clock):
    existing, key = db.session.execute(
        select(QuestionVersion, Question.key).join(Question, Question.current_version_id == QuestionVersion.id)
        .where(QuestionVersion.type == QuestionType.SINGLE).order_by(Question.key)).first()
    # full-width brackets and a trailing space: still the same stem
    twin = QuestionRecord(key="~x", type=existing.type, area=existing.area_code, difficulty=Difficulty.EASY,
                          stem=existing.stem.replace("(", "（").replace(")", "）") + " ",
                          options=tuple(existing.options), answer=tuple(existing.answer))
    recs = [*records(2), twin, records(1)[0]]  # the last repeats the first
    path = tmp_path / "dups.xlsx"
    path.write_bytes(xlsx_bytes(recs))
    result, report = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert report["duplicates"] == 2
    dup_of = [item["duplicate_of"] for item in report["items"]]
    assert dup_of[2] == [key] and dup_of[3] == ["本文件第 1 项"]
    assert report["imported"]["added"] == 2


def test_text_items_need_an_area_and_the_whole_file_can_be_given_one(runner, tmp_path, clock):
    path = tmp_path / "dump.txt"
    path.write_text("1、判断题 WindOWS系统中误删的文件可以从回收站找回。()正确答案:对\n", encoding="utf-8")
    before = question_count()
    result, report = run_import(runner, path)
    assert result.exit_code == 1 and "没有知识领域" in report["errors"][0] and "第 1 行" in report["errors"][0]
    assert question_count() == before
    result, report = run_import(runner, path, "--area", "B11", "--status", "draft")
    assert result.exit_code == 0, result.output
    q = db.session.scalars(select(Question).order_by(Question.id.desc())).first()
    assert q.key.startswith("B11-") and q.status is QuestionStatus.DRAFT and q.current_version.answer is True


def test_web_upload_shows_a_dry_run_then_imports_with_the_trainers_choices(client, auth, clock):
    auth.login("trainer1")
    data = xlsx_bytes(records(3))
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(data), "三题.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    upload = db.session.scalars(select(ImportUpload).order_by(ImportUpload.id.desc())).first()
    preview = client.get(response.location)
    assert "识别 <strong>3</strong> 题" in preview.text and "确认导入 3 题" in preview.text
    before = question_count()
    # the trainer skips item 2 and moves item 3 to W01
    response = client.post(response.location, data={
        "area": "", "difficulty": "medium", "levels": ["L4"], "status": "active", "action": "import",
        "shown": ["0", "1", "2"], "area_0": "W03", "area_1": "W03", "skip_1": "1", "area_2": "W01"})
    assert response.status_code == 302
    assert question_count() == before + 2
    assert upload.status is ImportStatus.IMPORTED and upload.summary["result"]["added"] == 2
    keys = sorted(db.session.scalars(select(Question.key).where(Question.source == "导入 三题.xlsx")))
    assert keys[0].startswith("W01-") and keys[1].startswith("W03-")
    assert "已于" in client.get(f"/trainer/imports/{upload.id}").text


def test_web_import_with_a_problem_writes_nothing_and_says_where(client, auth, clock):
    auth.login("trainer1")
    text = "1、判断题 WindOWS系统中误删的文件可以从回收站找回。()正确答案:对\n".encode()
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(text), "dump.txt")},
                           content_type="multipart/form-data")
    before = question_count()
    page = client.post(response.location, data={"difficulty": "medium", "levels": ["L4"], "status": "active",
                                                 "action": "import"}, follow_redirects=True)
    assert "未导入任何题目" in page.text and "没有知识领域" in page.text
    assert question_count() == before


def test_only_the_uploader_or_an_admin_sees_an_upload(client, auth, clock):
    auth.login("trainer1")
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(b"x"), "a.txt")},
                           content_type="multipart/form-data")
    url = response.location
    auth.logout()
    auth.login("admin1")
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login("hr1")
    assert client.get(url).status_code == 403


def test_the_sample_dump_imports_with_the_expected_counts_and_skips_its_truncated_last_item(runner, clock):
    result, report = run_import(runner, SAMPLE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert report["recognised"] == 17
    assert report["by_type"] == {"true_false": 7, "single": 2, "multiple": 2, "fill_blank": 1,
                                 "short_answer": 5, "case_study": 0}
    assert report["skipped"] == [{"lines": [18, 18], "reason": "没有答案 (可能被截断), 已跳过"}]
    first = report["items"][0]
    assert first["type"] == "single" and first["answer"] == ["B"] and first["lines"] == [3, 3]
    fill = next(i for i in report["items"] if i["type"] == "fill_blank")
    assert fill["answer"] == ["成长期", "稳定期"] and fill["stem"].count("____") == 2
    assert all("维系题库网" not in json.dumps(i, ensure_ascii=False) for i in report["items"])
    before = question_count()
    result, report = run_import(runner, SAMPLE, "--area", "W03")
    assert result.exit_code == 0, result.output
    assert report["imported"]["added"] == 17 and question_count() == before + 17


def test_a_word_file_in_text_shapes_imports_like_the_text(runner, tmp_path, clock):
    import docx

    doc = docx.Document()
    for line in ("1、单选客户投诉处理的第一步是()。", "A.解释原因", "B.倾听并安抚", "C.给予赔偿", "D.转交上级",
                 "正确答案:B", "2、判断题首问负责制要求第一位受理人跟踪问题直至解决。()正确答案:对"):
        doc.add_paragraph(line)
    path = tmp_path / "题库.docx"
    doc.save(path)
    result, report = run_import(runner, path, "--area", "W05")
    assert result.exit_code == 0, result.output
    assert report["format"] == "docx" and report["by_type"]["single"] == 1 and report["by_type"]["true_false"] == 1
    assert report["items"][0]["options"] == ["解释原因", "倾听并安抚", "给予赔偿", "转交上级"]
    assert report["imported"]["added"] == 2


def test_traditional_script_in_gbk_is_converted_to_simplified(runner, tmp_path, clock):
    text = "1.【單選題】處理客戶投訴時, 首先應當( )。\nA、解釋原因\nB、傾聽並安撫\n標準答案:B\n"
    path = tmp_path / "繁體.txt"
    path.write_bytes(text.encode("gb18030"))
    result, report = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert report["traditional"] is True
    item = report["items"][0]
    assert item["stem"].startswith("处理客户投诉时") and item["options"] == ["解释原因", "倾听并安抚"]
    assert item["area"] == "W05" and item["area_source"] == "关键词建议"


@pytest.mark.parametrize("question", [
    {"options": 5}, {"options": ["甲", {"x": 1}]}, {"type": "fill_blank", "stem": "客户 ____ 期", "answer": [[{"a": 1}]]},
    {"type": "true_false", "answer": "yes"}, {"stem": ["x"]}, {"tags": "a,b"},
])
def test_a_json_bank_file_with_wrong_field_types_is_refused_by_field_and_its_upload_still_opens(client, auth, clock,
                                                                                                 question):
    auth.login("trainer1")
    base = {"key": "B11-900", "type": "single", "area": "B11", "difficulty": "medium", "levels": ["L4"],
            "stem": "VIP客户首次来电, 服务经理首先应当?", "options": ["自我介绍", "推荐套餐"], "answer": ["A"]}
    doc = {"format": "vip-exam-bank", "version": 1, "questions": [base | question]}
    response = client.post("/trainer/imports", data={"file": (io.BytesIO(json.dumps(doc).encode()), "题库.json")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code in (200, 400) and "第 1 题" in response.text
    for upload in db.session.scalars(select(ImportUpload)):
        assert client.get(f"/trainer/imports/{upload.id}").status_code < 500


def test_json_import_sets_enemy_groups_keeps_them_when_unsaid_and_clears_them_on_empty(runner, tmp_path, clock):
    recs = [dataclasses.replace(r, enemy_group="存费赠送") for r in records(2, key_prefix="EG-")]
    path = tmp_path / "bank.json"
    path.write_text(dumps_bank(recs), encoding="utf-8")
    result, report = run_import(runner, path, "--keep-duplicates")
    assert result.exit_code == 0, result.output

    def groups() -> dict[str, str | None]:
        return dict(db.session.execute(select(Question.key, Question.enemy_group).where(Question.key.like("EG-%"))).all())

    assert groups() == {"EG-0": "存费赠送", "EG-1": "存费赠送"}
    # the export carries the groups
    out = tmp_path / "export.json"
    assert runner.invoke(args=["bank", "export", str(out), "--area", "W03"]).exit_code == 0
    exported = {q["key"]: q.get("enemy_group") for q in json.loads(out.read_text("utf-8"))["questions"]}
    assert {k: g for k, g in exported.items() if k.startswith("EG-")} == groups()
    # a file that says nothing about groups leaves them; "" takes a question out; no new versions either way
    unsaid = json.loads(dumps_bank(records(2, key_prefix="EG-")))
    unsaid["questions"][1]["enemy_group"] = ""
    path.write_text(json.dumps(unsaid, ensure_ascii=False), encoding="utf-8")
    result, report = run_import(runner, path, "--keep-duplicates")
    assert result.exit_code == 0, result.output
    assert report["imported"]["new_versions"] == 0
    assert groups() == {"EG-0": "存费赠送", "EG-1": None}
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "question.enemy_group")).all()
    assert [(e.detail["key"], e.detail["after"]) for e in audit][-1] == ("EG-1", None)


def test_the_app_starts_without_the_solver_the_spreadsheet_or_the_pdf_libraries():
    """``flask bank import`` of a text dump never draws a paper, writes a workbook or renders a PDF: the libraries
    that do (each a tenth to a third of a second to import) are imported by the functions that use them."""
    import subprocess
    import sys

    script = ("import sys\nfrom exam import create_app\nimport exam.services.bank_import, question_bank.dumps\n"
              "create_app({'DATABASE_URL': 'sqlite://', 'SECRET_KEY': 'x'})\n"
              "print(sorted(m for m in ('ortools', 'pandas', 'openpyxl', 'numpy', 'weasyprint', 'pyhanko')"
              " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
