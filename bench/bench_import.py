"""Import figures: a 10,000-question .xlsx and a 10,000-item text dump, end to end through the CLI.

Run: .venv/bin/python bench/bench_import.py                    (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_import.py   (SQLite, then PostgreSQL)

Each import is timed as the trainer runs it: a fresh ``flask --app exam bank import FILE`` process
against a migrated database holding the starter bank, so start-up, parsing, duplicate look-up,
key assignment and the single commit are all inside the figure. The floor, in the same run, is
merely reading the same .xlsx with openpyxl (read-only, values only). Then the bank is grown to
50,000 questions and the trainer's list queries (count + one page, with and without filters) are timed.
"""
from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import fresh_database, on_each_database  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from question_bank.records import AREA_CODES  # noqa: E402
from question_bank.xlsx import COLUMNS  # noqa: E402

N = 10_000
TOPICS = ["存费送费", "离网预警", "客户关怀", "投诉受理", "融合套餐", "电话礼仪", "宽带提速", "合约续约", "积分兑换"]


def stem(i: int, rng: random.Random) -> str:
    return f"第{i}题 关于{rng.choice(TOPICS)}的做法, 客户经理在第{i % 97 + 1}个工作日应当"


def write_xlsx_file(path: Path, n: int) -> None:
    """A trainer's sheet: no 编号, every type, every area."""
    rng = random.Random(1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("题目")
    ws.append(list(COLUMNS))
    kinds = ["单选题", "多选题", "判断题", "填空题", "简答题"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        row = dict.fromkeys(COLUMNS, "")
        row.update({"知识领域": rng.choice(AREA_CODES), "题型": kind, "难度": rng.choice("易中难"), "适用等级": "L4,L3,L2,L1"})
        if kind in ("单选题", "多选题"):
            row["题干"] = stem(i, rng) + "( )。"
            for c, opt in zip("ABCD", ("及时回访", "发送短信", "上门拜访", "不做处理"), strict=True):
                row[f"选项{c}"] = opt
            row["答案"] = "A" if kind == "单选题" else "ABC"
        elif kind == "判断题":
            row["题干"], row["答案"] = stem(i, rng) + "主动回访。", rng.choice("对错")
        elif kind == "填空题":
            row["题干"], row["答案"] = stem(i, rng) + "完成____和____。", "回访;记录"
        else:
            row["题干"], row["答案"] = stem(i, rng) + "做什么?", "(1)核实身份(2)了解原因(3)提出方案"
        row["解析"] = "依据维系工作规范。"
        ws.append([row[c] for c in COLUMNS])
    wb.save(path)


def write_dump_file(path: Path, n: int) -> None:
    """A study-site dump in shapes S1–S4 with OCR blanks, watermarks, page furniture and glued items."""
    rng = random.Random(2)
    parts = []
    for i in range(1, n + 1):
        s = "练习" + stem(i, rng)  # not the stems of the .xlsx file, which the duplicate check would skip
        kind = i % 4
        if kind == 0:
            parts.append(f"{i}、单选{s}OoA.及时回访B.发送短信C.上门拜访D.不做处理正确答案:A")
        elif kind == 1:
            parts.append(f"{i}、多选{s}(某某题库)O。\nA.及时回访B.发送短信C.上门拜访D.不做处理正确答案:A,B,C")
        elif kind == 2:
            parts.append(f"{i}、填空题{s}完成()和()。\n正确答案:回访;记录")
        else:
            parts.append(f"{i}、判断题{s}主动回访。O正确答案:{rng.choice('对错')}")
        if i % 40 == 0:
            parts.append(f"\n第{i // 40}页共{n // 40}页\n")
    path.write_text("".join(parts) + "\n", encoding="utf-8")


def cli(env: dict, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "exam", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT)
    took = time.perf_counter() - t
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took, done.stdout


def grow_bank(url: str, target: int) -> int:
    """Add generated questions in bulk until the bank holds ``target`` (set-up, not measured)."""
    from exam import create_app
    from exam.extensions import db
    from exam.models import QuestionStatus
    from exam.services.bank_query import BankFilter, count_questions
    from exam.services.bank_sync import add_questions
    from question_bank import Difficulty, QuestionRecord, QuestionType

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        have = count_questions(db.session, BankFilter())
        rng = random.Random(3)
        batch = [QuestionRecord(key=f"G-{i:06d}", type=QuestionType.TRUE_FALSE, area=rng.choice(AREA_CODES),
                                difficulty=rng.choice(list(Difficulty)), stem=stem(100_000 + i, rng) + "及时回访。",
                                answer=bool(i % 2)) for i in range(max(0, target - have))]
        for i in range(0, len(batch), 5000):
            add_questions(db.session, batch[i:i + 5000], status=QuestionStatus.ACTIVE, source="bench",
                          now=datetime(2026, 11, 22), actor_id=None)
        db.session.commit()
        return count_questions(db.session, BankFilter())


def time_list_queries(url: str) -> None:
    from exam import create_app
    from exam.extensions import db
    from exam.services.bank_query import BankFilter, count_questions, page_of_questions

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    cases = {
        "no filter, page 1": {},
        "area+type, page 3": {"area": "W03", "type": "single"},
        "stem search '回访'": {"q": "回访"},
        "search + level, sorted by last change": {"q": "客户", "level": "L4", "sort": "-updated"},
        "deep page 900": {},
    }
    with app.app_context():
        for label, args in cases.items():
            f = BankFilter.from_args(args)
            page = 900 if "deep" in label else (3 if "page 3" in label else 1)
            runs = []
            for _ in range(7):
                t = time.perf_counter()
                count_questions(db.session, f)
                page_of_questions(db.session, f, page, 50)
                runs.append((time.perf_counter() - t) * 1000)
            print(f"    list {label}: median {statistics.median(runs):.0f} ms (count + 50 rows)")


def bench(label: str, base_url: str | None, workdir: Path, xlsx: Path, dump: Path) -> None:
    url = fresh_database(label, base_url, workdir, "exam_bench")
    env = {**os.environ, "EXAM_DATABASE_URL": url, "EXAM_SECRET_KEY": "bench"}
    cli(env, "db", "upgrade")
    cli(env, "demo", "load")
    start_up, _ = cli(env, "bank", "--help")
    print(f"  {label}: flask CLI start-up alone {start_up:.2f} s")
    took, out = cli(env, "bank", "import", str(xlsx))
    print(f"  {label}: import {N:,}-question .xlsx end to end: {took:.2f} s  ({out.strip().splitlines()[-1]})")
    took, out = cli(env, "bank", "import", str(dump), "--area", "W03")
    print(f"  {label}: import {N:,}-item text dump end to end: {took:.2f} s  ({out.strip().splitlines()[-1]})")
    total = grow_bank(url, 50_000)
    print(f"  {label}: bank grown to {total:,} questions for the list queries")
    time_list_queries(url)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        xlsx, dump = workdir / "bank-10k.xlsx", workdir / "dump-10k.txt"
        write_xlsx_file(xlsx, N)
        write_dump_file(dump, N)
        print(f"files: {xlsx.stat().st_size / 1e6:.1f} MB .xlsx, {dump.stat().st_size / 1e6:.1f} MB text")
        floors = []
        for _ in range(3):
            t = time.perf_counter()
            wb = load_workbook(xlsx, read_only=True)
            rows = sum(1 for _ in wb["题目"].iter_rows(values_only=True))
            wb.close()
            floors.append(time.perf_counter() - t)
        print(f"floor: openpyxl read-only read of the same .xlsx ({rows:,} rows): {statistics.median(floors):.2f} s")
        on_each_database(lambda label, url: bench(label, url, workdir, xlsx, dump))


if __name__ == "__main__":
    main()
