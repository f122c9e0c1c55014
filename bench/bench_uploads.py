"""Bounded uploads: how fast hostile files are refused, and what the checks cost a normal import.

Run: .venv/bin/python bench/bench_uploads.py                      (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_uploads.py (SQLite, then PostgreSQL)

Part 1, no database: hostile files built by ``tests/hostile_files.py`` — a 228 KB Word file of
repeated text (the file that took 28 s and 600 MB), a 46 KB .xlsx of one facts row repeated, content in
the last column, a stored dimension claiming every cell, a million distinct cells, a member lying
about its size — each through the reader the upload pages use (median of 5), beside the floor of
merely reading the same file without any check (decompressing and XML-parsing the part the reader
would parse, once: for the hostile files that floor is the cost the checks avoid).

Part 2, per database: a normal 3,000-question .xlsx (the bank template) and a 3,000-row facts sheet.
The floor is reading the same .xlsx with openpyxl (read-only, values only); then the archive checks
alone, reading with every check, the whole dry run (reading + planning against the bank), and what
each later look at the dry run costs now (the stored reading + planning) beside the re-parse it replaced.
"""
from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile_files as hostile  # noqa: E402
from common import fresh_database, on_each_database, timed  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from question_bank.facts_sheet import FactsImportError, read_facts_xlsx  # noqa: E402
from question_bank.records import BankError  # noqa: E402
from question_bank.sources import read_from_json, read_to_json, read_upload  # noqa: E402
from question_bank.uploads import check_archive  # noqa: E402
from question_bank.xlsx import open_workbook, sheet_rows  # noqa: E402

N = 3_000
NOW = datetime(2026, 11, 22, 1, 0)


def median_ms(fn: Callable[[int], object], repeat: int = 5) -> float:
    return statistics.median(timed(fn, repeat))


def once_ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def xml_floor(data: bytes, member: str) -> Callable[[], object]:
    """Decompress ``member`` and parse its XML (streamed, nothing kept): the least any reader of it does."""
    def run() -> int:
        n = 0
        with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(member) as stream:
            for _event, elem in ElementTree.iterparse(stream):
                n += 1
                elem.clear()
        return n
    return run


def openpyxl_floor(data: bytes) -> Callable[[], object]:
    def run() -> int:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()
            return sum(1 for _ in ws.iter_rows(values_only=True))
        finally:
            wb.close()
    return run


def following_dimension(data: bytes) -> Callable[[], list[tuple]]:
    def run() -> list[tuple]:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return list(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
    return run


def sheet_values(data: bytes) -> Iterator[tuple]:
    with open_workbook(data, "list.xlsx") as wb:
        for _number, values in sheet_rows(wb.worksheets[0], "list.xlsx"):
            yield values


def peak_mb(fn: Callable[[], list]) -> tuple[int, float]:
    """(rows, peak traced Python memory in MB) of ``fn``."""
    tracemalloc.start()
    try:
        rows = len(fn())
        return rows, tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except (BankError, FactsImportError) as exc:
        return str(exc)
    return "read"


def hostile_files() -> None:
    print("part 1: hostile files, refused by the checks (median of 5) beside the floor of parsing them (once)")
    rows = [[f"GZ{i:05d}", "王喆", "2020-01-01"] for i in range(N)]
    header = ["工号", "姓名", "上岗日期"]
    facts_row = ["GZ000123", "张三", "CT-GD-GZ", "2019-09-01", "2021-03-01~2021-09-01", "2019-12-01", 40, 48, "",
                 "", "2024-06-30"]
    facts_header = ["工号", "姓名", "单位", "上岗日期", "中断起止", "实习考核合格日期", "四级学时", "三级学时", "二级学时",
                    "一级学时", "培训完成日期"]
    sheet = "xl/worksheets/sheet1.xml"
    cases = [
        ("Word, repeated text", hostile.repeated_text_docx(57), "word/document.xml"),
        ("xlsx, one facts row repeated", hostile.repeated_rows_xlsx(facts_header, facts_row, 21_000), sheet),
        ("xlsx, content in column XFD", hostile.far_column_xlsx(header, rows), sheet),
        ("xlsx, 1,000,000 distinct cells", hostile.many_cells_xlsx(1_000_050, header, width=50), sheet),
        ("xlsx, member claims 2 GB", hostile.declared_size(hostile.table_xlsx(header, rows), sheet, 2**31 - 1), ""),
        ("xlsx, stored dimension A1:XFD1048576", hostile.huge_dimension_xlsx(header, rows), sheet),
    ]
    for label, data, member in cases:
        name = "hostile.docx" if label.startswith("Word") else "hostile.xlsx"
        read = (lambda d=data, n=name: read_upload(d, n)) if name.endswith("docx") else \
            (lambda d=data, n=name: read_facts_xlsx(d, n))
        said = outcome(read)
        took = median_ms(lambda _i, r=read: outcome(r))
        floor = f"{once_ms(xml_floor(data, member)):,.0f} ms" if member else "unreadable"
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
        print(f"  {label}: {len(data) / 1024:,.0f} KB ({unpacked / 1024 / 1024:,.1f} MB unpacked): {took:,.0f} ms "
              f"(floor: parsing it {floor}) → {said[:110]}")
        if "dimension" in label:
            kept, peak = peak_mb(lambda d=data: list(sheet_values(d)))
            old, old_peak = peak_mb(following_dimension(data))
            print(f"    reading it: {kept:,} rows, peak Python memory {peak:,.0f} MB; read following its stored "
                  f"dimension and kept, as enrolment lists were: {old:,} rows, peak {old_peak:,.0f} MB")


def normal_files(workdir: Path) -> tuple[bytes, bytes]:
    from bench_import import write_xlsx_file

    bank = workdir / "bank3000.xlsx"
    write_xlsx_file(bank, N)
    rng = random.Random(5)
    facts = hostile.table_xlsx(
        ["工号", "姓名", "单位", "上岗日期", "中断起止", "四级学时", "培训完成日期"],
        [[f"GD{i:06d}", f"学员{i:05d}", "CT-GD", f"20{rng.randrange(10, 24)}-0{rng.randrange(1, 9)}-01",
          "2021-03-01~2021-09-01" if i % 5 == 0 else None, rng.choice([32, 40]), "2024-06-30"] for i in range(N)])
    return bank.read_bytes(), facts


def bench(label: str, base_url: str | None, workdir: Path, bank: bytes, facts: bytes) -> None:
    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.services.bank_import import ImportOptions, plan_import
    from exam.services.demo import load_demo

    url = fresh_database(label, base_url, workdir, "exam_bench_uploads")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_database()
        load_demo(db.session, NOW, "bench-password")
        db.session.commit()
        session = db.session
        floor = median_ms(lambda _i: openpyxl_floor(bank)())
        checks = median_ms(lambda _i: check_archive(bank, "bank.xlsx", "xlsx"))
        reading = median_ms(lambda _i: read_upload(bank, "bank.xlsx"))
        source = read_upload(bank, "bank.xlsx")
        stored = read_to_json(source)

        def dry_run(_i: int) -> None:
            plan_import(session, read_upload(bank, "bank.xlsx"), "bank.xlsx", ImportOptions())
            session.rollback()

        def look(_i: int) -> None:
            plan_import(session, read_from_json(stored), "bank.xlsx", ImportOptions())
            session.rollback()

        dry = median_ms(dry_run)
        view = median_ms(look)
        print(f"  {label}: {N:,}-question .xlsx ({len(bank) / 1024:,.0f} KB, {len(source.entries):,} items): "
              f"floor (openpyxl) {floor:,.0f} ms; archive checks {checks:,.0f} ms; reading with every check "
              f"{reading:,.0f} ms ({reading / floor:.1f}× the floor); dry run (read + plan) {dry:,.0f} ms")
        print(f"  {label}: each later look at the dry run: stored reading + plan {view:,.0f} ms "
              f"(the re-parse on every look it replaced: {dry:,.0f} ms)")
    facts_floor = median_ms(lambda _i: openpyxl_floor(facts)())
    facts_read = median_ms(lambda _i: read_facts_xlsx(facts, "facts.xlsx"))
    print(f"  {label}: {N:,}-row facts sheet: floor (openpyxl) {facts_floor:,.0f} ms; reading with every check "
          f"{facts_read:,.0f} ms ({facts_read / facts_floor:.1f}× the floor)")


def main() -> None:
    print(f"bounded uploads on this machine ({os.cpu_count()} cores)")
    hostile_files()
    print(f"part 2: normal files of {N:,} rows (median of 5)")
    with tempfile.TemporaryDirectory() as tmp:
        bank, facts = normal_files(Path(tmp))
        on_each_database(lambda label, url: bench(label, url, Path(tmp), bank, facts))


if __name__ == "__main__":
    main()
