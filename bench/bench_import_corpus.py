"""Text-dump figures: recall on the corpus, and a 10,000-item dump through the CLI import dry run.

Run: .venv/bin/python bench/bench_import_corpus.py                          (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_import_corpus.py    (SQLite, then PostgreSQL)

1. The corpus of tests/data/corpus/ (documents written for the platform, each with a hand-written gold
   file) is parsed and scored: per shape and overall, recall and precision of items with the right type
   and key, invented answers (an answer the gold does not give) and items lost without a report.
2. A 10,000-item dump in the corpus's shapes and contexts (titles, page headers and numbers, watermarks,
   free-text answers followed by true/false lists and numbered sections, explanations) is written, then
   ``flask --app exam bank import FILE --dry-run`` runs in a fresh process against a migrated database
   holding the starter bank: start-up, reading, parsing, area suggestions and duplicate look-up are all
   inside the figure. Beside it, in the same run: the floor of merely reading and decoding the same file,
   the CLI's start-up alone, and the parser alone in this process. Target: the dry run under 5 s.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from common import fresh_database, on_each_database  # noqa: E402
from dump_corpus import load_corpus, score_corpus  # noqa: E402

from question_bank.dumps import parse_dump  # noqa: E402
from question_bank.readers import decode_text  # noqa: E402

N = 10_000
TARGET_S = 5.0
ROUNDS = 5
TOPICS = ["存费送费", "离网预警", "客户关怀", "投诉受理", "融合套餐", "电话礼仪", "宽带提速", "合约续约", "积分兑换",
          "携号转网", "客户分级", "服务补救"]
HEADER = "中国电信VIP客户服务经理认证题库"
#: items per set below: 7 labelled, 3 true/false after a free-text answer, 3 under a numbered section, 3 bracketed
PER_SET = 16


def dump_set(u: int) -> str:
    """One question set as the corpus shows them: a title, labelled items, a true/false list after an essay,
    a numbered section of 【答案】 items, bracketed items with explanations, then a page break."""
    t = TOPICS[u % len(TOPICS)]
    s = f"第{u}套{t}"
    wm = "(维系题库网)" if u % 3 == 0 else ""
    return "\n".join([
        f"VIP客户维系练习题（第{u}套）",
        f"1、单选{s}工作中，客户经理首先应当{wm}OoA.及时回访B.发送短信C.上门拜访D.不做处理正确答案:A"
        f"2、多选{s}的常用方式有O。",
        "A.节日短信B.生日问候C.账单提醒D.停机催缴正确答案:A,B,C",
        f"3、填空题{s}分为识别期、()、()和预警期。正确答案:成长期;稳定期4、判断题{s}中向客户道歉就等于承认过错。O正确答案:错",
        f"5、问答题简述{s}的基本步骤。",
        "正确答案:(1)核实客户身份；",
        "(2)了解客户需求和意见；",
        "(3)提出方案并确认办理。",
        f"1.{s}时应做到起身相迎。(√)",
        f"2.{s}可以同时接待多位客户并让他们等待。(×)",
        f"3.{s}结束时一般等客户先挂断电话。(√)",
        f"6、单选{s}中客户情绪激动时应()。A.争辩B.倾听安抚C.挂断D.转交正确答案:B",
        f"7、名词解释{s}拍照用户",
        "正确答案:在某一时点锁定、作为维系考核对象的目标客户群。",
        f"一、{t}应知应会",
        f"1.{s}的三大主题是什么【答案】流失预警、客户关怀、价值提升2.{s}的回访时限是多少【答案】2个工作日内",
        f"3.{s}的核心目标是什么【答案】延长客户生命周期",
        "二、单项选择题",
        f"1.【单项选择题】{s}中授权码由谁发送",
        "A、携入方", "B、携出方", "C、工信部",
        "标准答案:B",
        "解析:授权码由携出方发送。",
        f"2.【判断题】{s}中携入用户与新入网用户享受同等服务。",
        "标准答案:正确",
        f"3.{s}星级最高为",
        "A.五星", "B.六星", "C.七星",
        "答案：",
        "C",
        f"第{u}页共{N // PER_SET}页",
        HEADER,
        *(["维系题库网 www.wxtk.net"] if u % 10 == 0 else []),
    ]) + "\n"


def write_dump(path: Path, n: int) -> int:
    sets = -(-n // PER_SET)
    path.write_text(HEADER + "\n" + "".join(dump_set(u) for u in range(1, sets + 1)), encoding="utf-8")
    return sets * PER_SET


def corpus_figures() -> None:
    docs = load_corpus()
    t = time.perf_counter()
    score = score_corpus(docs, parse_dump)
    took = time.perf_counter() - t
    print(f"corpus: {len(docs)} documents, {sum(len(d.gold) for d in docs)} gold items, parsed and scored in {took:.2f} s")
    for line in score.lines():
        print("  " + line)
    met = (score.overall.recall >= 0.95 and score.overall.precision >= 0.98 and not score.invented)
    print(f"  targets (recall >= 95 %, precision >= 98 %, 0 invented): {'met' if met else 'NOT MET'}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(env: dict, *args: str) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one fresh ``flask`` process, and what it printed. On a machine shared with
    other work the CPU time is the better guide to the wall time on a quiet one (the command is single-threaded)."""
    t, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "exam", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT)
    took, cpu = time.perf_counter() - t, _children_cpu() - cpu
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took, cpu, done.stdout


def bench(label: str, base_url: str | None, workdir: Path, dump: Path, expected: int) -> None:
    url = fresh_database(label, base_url, workdir, "exam_bench_dump")
    env = {**os.environ, "EXAM_DATABASE_URL": url, "EXAM_SECRET_KEY": "bench"}
    cli(env, "db", "upgrade")
    cli(env, "demo", "load")
    starts, runs = [], []
    for _ in range(ROUNDS):  # alternating, so that a change in the machine's load touches both alike
        starts.append(cli(env, "bank", "--help")[:2])
        took, cpu, out = cli(env, "bank", "import", str(dump), "--dry-run", "--area", "W03")
        runs.append((took, cpu))
    summary = out.strip().splitlines()[0]
    if f"识别 {expected} 题" not in summary:
        raise SystemExit(f"the dry run did not recognise the {expected} items: {summary}")
    took, cpu = (statistics.median(r[k] for r in runs) for k in (0, 1))
    start_up, start_cpu = (statistics.median(r[k] for r in starts) for k in (0, 1))
    print(f"  {label}: dry run of the {expected:,}-item dump end to end {took:.2f} s wall, {cpu:.2f} s CPU "
          f"(target < {TARGET_S:.0f} s: {'met' if took < TARGET_S else 'NOT MET'} on the wall clock); "
          f"CLI start-up alone {start_up:.2f} s wall, {start_cpu:.2f} s CPU (medians of {ROUNDS}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"    {summary}")


def main() -> None:
    corpus_figures()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        dump = workdir / "dump-10k.txt"
        expected = write_dump(dump, N)
        floors = []
        for _ in range(5):
            t = time.perf_counter()
            decode_text(dump.read_bytes(), dump.name)
            floors.append(time.perf_counter() - t)
        text = dump.read_text(encoding="utf-8")
        t, cpu = time.perf_counter(), time.process_time()
        result = parse_dump(text)
        parse_s, parse_cpu = time.perf_counter() - t, time.process_time() - cpu
        print(f"dump: {expected:,} items, {dump.stat().st_size / 1e6:.1f} MB; floor, reading and decoding the file: "
              f"{statistics.median(floors) * 1000:.0f} ms; parser alone in this process: {parse_s:.2f} s wall, "
              f"{parse_cpu:.2f} s CPU ({len(result.items):,} items, {len(result.skipped)} skipped)")
        if len(result.items) != expected or result.skipped:
            raise SystemExit("the generated dump did not parse into exactly its items")
        on_each_database(lambda label, url: bench(label, url, workdir, dump, expected))


if __name__ == "__main__":
    main()
