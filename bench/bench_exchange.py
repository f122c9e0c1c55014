"""Exchange figures: a generated 3,000-question Moodle XML file through ``flask bank import``.

Run: .venv/bin/python bench/bench_exchange.py                         (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_exchange.py   (SQLite, then PostgreSQL)

The file is what a Moodle course exports: 12 categories, HTML question texts (paragraphs, entities,
an image now and then with its embedded base64 file), every type the importer reads (truefalse,
multichoice single and multiple, shortanswer, numerical, cloze, essay) and a few it reports as skipped
(matching, description). Each figure is a fresh ``flask --app exam bank import FILE`` process against a
migrated database holding the starter bank: the dry run (read, categories, keyword suggestions,
duplicate look-up) and the real import (keys, one commit). The floor, in the same run, is merely
parsing the same XML with lxml; the CLI's start-up alone is printed too. Target: the dry run under 5 s.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import fresh_database, on_each_database  # noqa: E402
from lxml import etree  # noqa: E402

N = 3000
TARGET_S = 5.0
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
CATEGORIES = ["W01 客户关怀", "W02 流失预警", "W03 维系挽留", "W05 投诉处理", "B12 服务礼仪及行为规范", "B22 重点业务知识",
              "存费送费", "离网预警", "宽带提速", "电话礼仪", "合约续约", "Default for 培训"]
TOPICS = ["存费送费", "离网预警", "客户关怀", "投诉受理", "融合套餐", "电话礼仪", "宽带提速", "合约续约", "积分兑换"]


def _answer(text: str, fraction: str, fmt: str = "html") -> str:
    return (f'<answer fraction="{fraction}" format="{fmt}"><text><![CDATA[{text}]]></text>'
            '<feedback format="html"><text></text></feedback></answer>')


def _question(i: int, rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    stem = f"第{i}题: 关于<b>{topic}</b>的做法, 客户经理在第{i % 97 + 1}个工作日&nbsp;应当"
    image, file = "", ""
    if i % 25 == 0:
        image, file = f'<img src="@@PLUGINFILE@@/p{i}.png" alt="图{i}"/>', f'<file name="p{i}.png" encoding="base64">{PNG}</file>'
    head = (f"<name><text>题 {i}</text></name><questiontext format=\"html\"><text><![CDATA[<p>{stem}{image}</p>]]></text>"
            f"{file}</questiontext><generalfeedback format=\"html\"><text><![CDATA[<p>依据{topic}工作规范。</p>]]></text>"
            "</generalfeedback><defaultgrade>1</defaultgrade><penalty>0.3333333</penalty><hidden>0</hidden>")
    kind = i % 10
    if kind in (0, 1):
        body = "".join(_answer(t, f, "moodle_auto_format") for t, f in (("true", "100" if i % 2 else "0"),
                                                                          ("false", "0" if i % 2 else "100")))
        return f'<question type="truefalse">{head}{body}</question>'
    if kind in (2, 3, 4):
        options = "".join(_answer(f"<p>{t}</p>", "100" if n == i % 4 else "0")
                          for n, t in enumerate(("及时回访", "发送短信", "上门拜访", "不做处理")))
        return f'<question type="multichoice">{head}<single>true</single>{options}</question>'
    if kind == 5:
        options = "".join(_answer(t, f) for t, f in (("关怀回访", "50"), ("停机催缴", "-100"), ("合约续约", "50"),
                                                     ("拒接电话", "-100")))
        return f'<question type="multichoice">{head}<single>false</single>{options}</question>'
    if kind == 6:
        return (f'<question type="shortanswer">{head.replace("应当", "应当完成________")}<usecase>0</usecase>'
                + _answer("回访", "100", "plain_text") + _answer("记录", "50", "plain_text") + "</question>")
    if kind == 7:
        return (f'<question type="cloze"><name><text>题 {i}</text></name><questiontext format="html"><text><![CDATA['
                f"<p>{stem}先{{1:SHORTANSWER:=回访#好~*#不对}}, 再{{1:MULTICHOICE:=记录~删除}}。</p>]]></text>"
                "</questiontext><generalfeedback format=\"html\"><text></text></generalfeedback></question>")
    if kind == 8:
        return (f'<question type="essay">{head}<responseformat>editor</responseformat><graderinfo format="html">'
                "<text><![CDATA[<p>(1) 核实身份</p><p>(2) 了解原因</p><p>(3) 提出方案</p>]]></text></graderinfo>"
                "</question>")
    if i % 20 == 9:
        return (f'<question type="matching">{head}<subquestion format="html"><text>甲</text><answer><text>乙</text>'
                "</answer></subquestion></question>")
    return f'<question type="numerical">{head}<answer fraction="100"><text>{i % 30 + 1}</text><tolerance>0</tolerance></answer></question>'


def write_moodle_file(path: Path, n: int) -> None:
    rng = random.Random(7)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    per_category = n // len(CATEGORIES) + 1
    for i in range(n):
        if i % per_category == 0:
            name = CATEGORIES[i // per_category]
            parts.append(f'<question type="category"><category><text>$course$/top/培训题库/{name}</text></category>'
                         "</question>\n")
        parts.append(_question(i, rng) + "\n")
    parts.append("</quiz>\n")
    path.write_text("".join(parts), encoding="utf-8")


def cli(env: dict, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "exam", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT)
    took = time.perf_counter() - t
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took, done.stdout


def bench(label: str, base_url: str | None, workdir: Path, xml: Path, floor: float) -> None:
    url = fresh_database(label, base_url, workdir, "exam_bench_exchange")
    env = {**os.environ, "EXAM_DATABASE_URL": url, "EXAM_SECRET_KEY": "bench"}
    cli(env, "db", "upgrade")
    cli(env, "demo", "load")
    start_ups, runs = [], []
    for _ in range(3):  # interleaved, so that both see the same load on a shared machine
        start_ups.append(cli(env, "bank", "--help")[0])
        took, out = cli(env, "bank", "import", str(xml), "--dry-run", "--json", "--area", "W03")
        runs.append(took)
    report = json.loads(out)
    start_up, dry = statistics.median(start_ups), statistics.median(runs)
    print(f"  {label}: flask CLI start-up alone {start_up:.2f} s (median of 3)")
    print(f"  {label}: dry run of the {N:,}-question Moodle XML: {dry:.2f} s median of 3, {dry - start_up:.2f} s beyond "
          f"start-up = {(dry - start_up) / floor:.0f}× the parse floor (target < {TARGET_S:.0f} s: "
          f"{'met' if dry < TARGET_S else 'NOT met'}) — {report['recognised']:,} recognised, "
          f"{len(report['skipped']):,} skipped lines, {len(report['categories'])} categories, "
          f"{report['duplicates']} duplicates")
    took, out = cli(env, "bank", "import", str(xml), "--area", "W03")
    print(f"  {label}: real import end to end: {took:.2f} s, {took - start_up:.2f} s beyond start-up "
          f"({out.strip().splitlines()[-1]})")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        xml = workdir / "moodle-3000.xml"
        write_moodle_file(xml, N)
        data = xml.read_bytes()
        print(f"file: {len(data) / 1e6:.1f} MB Moodle XML, {N:,} questions in {len(CATEGORIES)} categories")
        floors = []
        for _ in range(5):
            t = time.perf_counter()
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
            count = sum(1 for _ in root.iterchildren("question"))
            floors.append(time.perf_counter() - t)
        floor = statistics.median(floors)
        print(f"floor: lxml parse of the same file ({count:,} <question> elements): {floor * 1000:.0f} ms median of 5")
        t = time.perf_counter()
        from question_bank.readers import read_source

        read = read_source(data, xml.name)
        print(f"reader alone (in process, no database): {time.perf_counter() - t:.2f} s, {len(read.entries):,} entries")
        on_each_database(lambda label, url: bench(label, url, workdir, xml, floor))


if __name__ == "__main__":
    main()
