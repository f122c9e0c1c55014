"""Exam day on the real stack: gunicorn (gunicorn.conf.py), a job worker and a throw-away durable PostgreSQL.

Run: .venv/bin/python bench/bench_examday.py [--candidates 2000] [--instances 2] [--db sqlite]

1. setup    a fresh database (PostgreSQL with fsync and synchronous commit on, or a SQLite file), the
            migrations, the demo bank, N eligible candidates enrolled in one 四级 sitting with a pool of
            8 parallel papers; gunicorn (one or two instances on loopback ports), one `flask worker`;
2. lobby    every candidate logs in and waits in the sitting's lobby (候考); a few try to start early and
            must be refused: the server's clock decides;
3. open     the sitting opens; everyone POSTs 进入正式考试 at once and loads the exam page;
4. floor    one durable INSERT per request on the same stack (bench/floor_app.py): the baseline;
5. autosave every candidate saves its answers in batches, sending back the exam page's signed copy of its
            paper as the page's script does, with 32 requests in flight; half of the saves run
            clean, the other half while one gunicorn worker is killed with SIGKILL and PostgreSQL is
            restarted. A failed save is retried, as the exam page does, and every replayed older save
            must be refused as stale;
6. submit   time is compressed to the last minute of the exam; 95 % submit at once, the rest walk away
            and are finalised by the worker's deadline sweep;
7. check    every acknowledged save is in the database (same or newer sequence number), one attempt
            per candidate, every attempt graded, every passing attempt holds exactly one rendered
            certificate whose SHA-256 matches its PDF, certificate numbers run 1…N without a gap.

Prints each phase's throughput and latency beside the floor measured in the same run. Exits 1 when
anything was lost. Time compression: the bench moves the attempts' deadline forward before the submit
phase, and a share of candidates (--pass-share) answers from the keys read from the database so that
certificates are issued in volume.
"""
from __future__ import annotations

import argparse
import asyncio
import contextvars
import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from examday_stack import (  # noqa: E402
    PASSWORD,
    Postgres,
    Stack,
    children,
    free_port,
    gunicorn,
    seed,
    server_env,
    sql,
    utcnow,
    wait_ready,
)

# ---------------------------------------------------------------- the candidates' browsers

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
STATE = re.compile(r'<script type="application/json" id="exam-state">(.*?)</script>', re.S)
SECTION = re.compile(r'<section class="q" id="q-(\d+)" data-position="\d+" data-type="(\w+)">(.*?)</section>', re.S)


@dataclass
class Candidate:
    index: int
    username: str
    base: str
    cookie: str = ""
    csrf: str = ""
    #: the exam page's signed copy of its paper's rows, sent back with every save as the page's script does
    paper: str | None = None
    attempt: int = 0
    items: dict[int, tuple[str, int]] = field(default_factory=dict)  # position → (type, options or blanks)
    seq: int = 0
    #: position → (seq, display response) of the newest acknowledged save
    acked: dict[int, tuple[int, Any]] = field(default_factory=dict)
    passing: bool = False


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    #: why requests were retried: "HTTP 500", "ServerDisconnectedError", …
    why: Counter = field(default_factory=Counter)
    started: float = 0.0
    ended: float = 0.0

    def line(self, floor: Phase | None = None) -> str:
        n, secs = len(self.latencies), max(self.ended - self.started, 1e-9)
        lat = sorted(self.latencies) or [0.0]
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        text = (f"{self.name:<22} {n:>7} in {secs:6.1f} s = {n / secs:7.1f}/s   p50 {statistics.median(lat) * 1000:6.0f} ms"
                f"   p95 {p95 * 1000:6.0f} ms   max {lat[-1] * 1000:6.0f} ms   retried {self.errors}")
        if self.why:
            text += " (" + ", ".join(f"{k} × {v}" for k, v in self.why.most_common()) + ")"
        if floor is not None and floor.latencies:
            text += f"   = {100 * (n / secs) / floor.rate:.0f} % of floor"
        return text

    @property
    def rate(self) -> float:
        return len(self.latencies) / max(self.ended - self.started, 1e-9)

    @property
    def p95(self) -> float:
        lat = sorted(self.latencies) or [0.0]
        return lat[min(len(lat) - 1, int(len(lat) * 0.95))]


class Browser:
    """HTTP for many candidates over one connection pool, with at most ``inflight`` requests at once.

    A request that fails (connection reset by a killed worker, 5xx while the database restarts) is
    retried after a short wait, as the exam page's own saves are; the retries are counted.
    """

    def __init__(self, inflight: int) -> None:
        import aiohttp

        self.aiohttp = aiohttp
        self.sem = asyncio.Semaphore(inflight)
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=inflight * 2, limit_per_host=inflight * 2),
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=120))

    async def close(self) -> None:
        await self.http.close()

    async def call(self, cand: Candidate | None, method: str, url: str, phase: Phase, *, ok: tuple[int, ...],
                   retry_for: float = 120, **kw: Any) -> tuple[int, str, dict]:
        headers = kw.pop("headers", {})
        if cand is not None and cand.cookie:
            headers["Cookie"] = f"session={cand.cookie}"
        end = time.monotonic() + retry_for
        while True:
            try:
                async with self.sem:
                    t = time.perf_counter()
                    try:
                        async with self.http.request(method, url, headers=headers, allow_redirects=False,
                                                     **kw) as resp:
                            body = await resp.text()
                    finally:
                        SPENT.set(SPENT.get() + time.perf_counter() - t)
                    if cand is not None and "session" in resp.cookies:
                        cand.cookie = resp.cookies["session"].value
                    if resp.status in ok:
                        return resp.status, body, dict(resp.headers)
                    if resp.status < 500:
                        raise RuntimeError(f"{method} {url}: HTTP {resp.status}: {body[:300]}")
                    why = f"HTTP {resp.status}"
            except (TimeoutError, self.aiohttp.ClientError, ConnectionError) as exc:
                why = type(exc).__name__
            phase.errors += 1
            phase.why[why] += 1
            if time.monotonic() > end:
                raise RuntimeError(f"{method} {url}: still failing after {retry_for} s")
            await asyncio.sleep(0.3 + random.random() * 0.5)


#: seconds the current task's requests spent in flight (not waiting for a free slot)
SPENT: contextvars.ContextVar[float] = contextvars.ContextVar("spent", default=0.0)


async def timed(phase: Phase, coro: Any) -> Any:
    """Await ``coro`` and record the time its requests were in flight: the latency a browser would see with
    the stack serving ``--inflight`` requests at once (time queued in this client does not count)."""
    SPENT.set(0.0)
    out = await coro
    phase.latencies.append(SPENT.get())
    return out


async def run_all(coros: list[Any]) -> None:
    for done in asyncio.as_completed(coros):
        await done


# ---------------------------------------------------------------- the day


async def day(args: argparse.Namespace, stack: Stack, seeded: dict) -> tuple[dict[str, Phase], list]:
    browser = Browser(args.inflight)
    try:
        return await _day(args, stack, seeded, browser)
    finally:
        await browser.close()


async def _day(args: argparse.Namespace, stack: Stack, seeded: dict, browser: Browser) -> tuple[dict[str, Phase], list]:
    from sqlalchemy import text

    engine = sql(stack.url)
    sitting = seeded["sitting"]
    rng = random.Random(7)
    cands = [Candidate(i, f"cand{i:05d}", stack.bases[i % len(stack.bases)]) for i in range(args.candidates)]
    for c in rng.sample(cands, int(len(cands) * args.pass_share)):
        c.passing = True
    phases = {k: Phase(k) for k in ("login", "lobby-early-refused", "mock rush (start+page)", "open (start+page)",
                                    "floor (1 INSERT)",
                                    "autosave clean", "floor again", "autosave with faults", "submit",
                                    "certificates")}

    # 2. lobby: log in, wait in the lobby
    async def login(c: Candidate) -> None:
        ph = phases["login"]
        _s, page, _h = await browser.call(c, "GET", c.base + "/login", ph, ok=(200,))
        token = CSRF_INPUT.search(page) or CSRF_META.search(page)
        await timed(ph, browser.call(c, "POST", c.base + "/login", ph, ok=(302,), data={
            "csrf_token": token.group(1), "username": c.username, "password": PASSWORD}))
        _s, lobby, _h = await browser.call(c, "GET", f"{c.base}/trainee/sittings/{sitting}/lobby", ph, ok=(200,))
        c.csrf = CSRF_META.search(lobby).group(1)

    phases["login"].started = time.perf_counter()
    await run_all([login(c) for c in cands])
    phases["login"].ended = time.perf_counter()

    early = phases["lobby-early-refused"]
    early.started = time.perf_counter()
    for c in cands[:3]:
        _s, _b, h = await timed(early, browser.call(c, "POST", c.base + "/trainee/levels/L4/start", early,
                                                    ok=(302,), data={"csrf_token": c.csrf}))
        if "/trainee/attempts/" in h.get("Location", ""):
            raise SystemExit("a candidate got the paper before the sitting opened")
    early.ended = time.perf_counter()

    if args.mock_rush:  # while waiting, everyone clicks 模拟考试 at the same moment (a fresh paper each)
        rush = phases["mock rush (start+page)"]

        async def mock(c: Candidate) -> None:
            async def both() -> None:
                _s, _b, h = await browser.call(c, "POST", c.base + "/trainee/levels/L4/mock", rush, ok=(302,),
                                               data={"csrf_token": c.csrf})
                if "/trainee/attempts/" not in h.get("Location", ""):
                    raise RuntimeError(f"{c.username}: the mock exam did not open (→ {h.get('Location')})")
                await browser.call(c, "GET", h["Location"] if h["Location"].startswith("http")
                                   else c.base + h["Location"], rush, ok=(200,))
            await timed(rush, both())

        rush.started = time.perf_counter()
        await run_all([mock(c) for c in cands])
        rush.ended = time.perf_counter()

    # 3. open: the sitting starts in two seconds by the server's clock; everyone enters at once
    with engine.begin() as conn:
        conn.execute(text("UPDATE sittings SET starts_at = :t WHERE id = :id"),
                     {"t": utcnow() + timedelta(seconds=2), "id": sitting})
    await asyncio.sleep(2.2)

    async def enter(c: Candidate) -> None:
        ph = phases["open (start+page)"]

        async def both() -> None:
            _s, _b, h = await browser.call(c, "POST", c.base + "/trainee/levels/L4/start", ph, ok=(302,),
                                           data={"csrf_token": c.csrf})
            where = h.get("Location", "")
            m = re.search(r"/trainee/attempts/(\d+)$", where)
            if not m:
                raise RuntimeError(f"{c.username}: start did not open the paper (→ {where})")
            c.attempt = int(m.group(1))
            _s, page, _h = await browser.call(c, "GET", f"{c.base}/trainee/attempts/{c.attempt}", ph, ok=(200,))
            state = json.loads(STATE.search(page).group(1))
            c.seq, c.paper = state["max_seq"], state.get("paper")
            for pos, qtype, body in SECTION.findall(page):
                size = body.count('class="blank"') if qtype == "fill_blank" else body.count(f'name="q{pos}"')
                c.items[int(pos)] = (qtype, size)
            if '"answer"' in page:
                raise RuntimeError("an answer key reached the exam page")

        await timed(ph, both())

    phases["open (start+page)"].started = time.perf_counter()
    await run_all([enter(c) for c in cands])
    phases["open (start+page)"].ended = time.perf_counter()

    # 4. floor: one durable INSERT per request, same stack, same number in flight (again after the clean saves,
    #    so that both sides of the comparison see the same database and machine state)
    async def measure_floor(floor: Phase) -> None:
        floor.started = time.perf_counter()
        await run_all([timed(floor, browser.call(None, "POST", stack.floor + "/floor", floor, ok=(200,),
                                                 json={"n": i, "answers": [{"item": 1, "seq": i}]}))
                       for i in range(args.floor_requests)])
        floor.ended = time.perf_counter()

    await measure_floor(phases["floor (1 INSERT)"])

    # 5. autosave: each candidate's batches in order; the second half under faults
    keys = correct_responses(engine, [c for c in cands if c.passing])
    plans = {c.index: plan_saves(c, keys.get(c.attempt, {}), args.saves, rng) for c in cands}
    half = args.saves // 2

    async def save(c: Candidate, batch: list[tuple[int, Any]], ph: Phase) -> None:
        changes = []
        for pos, response in batch:
            c.seq += 1
            changes.append({"item": pos, "response": response, "flagged": False, "seq": c.seq})
        _s, body, _h = await timed(ph, browser.call(
            c, "POST", f"{c.base}/trainee/attempts/{c.attempt}/answers", ph, ok=(200,),
            json={"answers": changes, "paper": c.paper},
            headers={"X-CSRFToken": c.csrf, "Content-Type": "application/json"}))
        json.loads(body)
        for ch in changes:  # a 200 acknowledges every change sent (saved, or already superseded on the server)
            if ch["seq"] > c.acked.get(ch["item"], (0, None))[0]:
                c.acked[ch["item"]] = (ch["seq"], ch["response"])

    async def replay_stale(c: Candidate, ph: Phase) -> None:
        """A browser replays an old save from its local storage: the server must keep the newer one."""
        pos, (seq, _r) = max(c.acked.items(), key=lambda kv: kv[1][0])
        if seq < 2:
            return
        qtype, size = c.items[pos]
        _s, body, _h = await browser.call(
            c, "POST", f"{c.base}/trainee/attempts/{c.attempt}/answers", ph, ok=(200,),
            json={"answers": [{"item": pos, "response": random_response(qtype, size, rng), "seq": seq - 1}],
                  "paper": c.paper},
            headers={"X-CSRFToken": c.csrf, "Content-Type": "application/json"})
        if json.loads(body)["stale"] != [pos]:
            raise RuntimeError(f"{c.username}: an older save overwrote a newer one")

    async def saves(c: Candidate, part: slice, ph: Phase) -> None:
        for batch in plans[c.index][part]:
            await save(c, batch, ph)
        if part.start is None and c.acked:
            await replay_stale(c, ph)

    clean = phases["autosave clean"]
    clean.started = time.perf_counter()
    await run_all([saves(c, slice(None, half), clean) for c in cands])
    clean.ended = time.perf_counter()
    await measure_floor(phases["floor again"])

    faulty = phases["autosave with faults"]
    total = sum(len(p[half:]) for p in plans.values())
    faults: list[str] = []

    async def inject() -> None:
        while len(faulty.latencies) < total * 0.25:
            await asyncio.sleep(0.05)
        victims = children(stack.masters[0].pid) if stack.masters else []
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            faults.append(f"SIGKILL gunicorn worker {victims[0]} after {len(faulty.latencies)} saves")
        if stack.pg is not None:
            while len(faulty.latencies) < total * 0.55:
                await asyncio.sleep(0.05)
            t = time.perf_counter()
            await asyncio.to_thread(stack.pg.restart)
            faults.append(f"PostgreSQL restarted after {len(faulty.latencies)} saves "
                          f"({time.perf_counter() - t:.1f} s down)")

    faulty.started = time.perf_counter()
    injector = asyncio.create_task(inject())
    await run_all([saves(c, slice(half, None), faulty) for c in cands])
    faulty.ended = time.perf_counter()
    await injector

    # 6. submit: the exam's last minute; 95 % submit, the rest walk away
    walk_away = set(rng.sample(range(len(cands)), max(1, len(cands) // 20)))
    grace = max(15.0, len(cands) / 100)
    with engine.begin() as conn:
        conn.execute(text("UPDATE attempts SET deadline_at = :t WHERE sitting_id = :id"),
                     {"t": utcnow() + timedelta(seconds=grace), "id": sitting})
    sub = phases["submit"]

    async def submit(c: Candidate) -> None:
        _s, _b, h = await timed(sub, browser.call(c, "POST", f"{c.base}/trainee/attempts/{c.attempt}/submit", sub,
                                                  ok=(302,), data={"csrf_token": c.csrf}))
        if not h.get("Location", "").endswith(f"/trainee/attempts/{c.attempt}/result"):
            raise RuntimeError(f"{c.username}: submit went to {h.get('Location')}")

    sub.started = time.perf_counter()
    await run_all([submit(c) for c in cands if c.index not in walk_away])
    sub.ended = time.perf_counter()

    # the walk-aways are finalised by the worker's sweep at their deadline; certificates rendered by the worker
    certs = phases["certificates"]
    certs.started = time.perf_counter()
    deadline = time.monotonic() + grace + 60 + len(cands) * 0.5
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            open_ = conn.execute(text("SELECT count(*) FROM attempts WHERE sitting_id = :id AND state <> 'graded'"),
                                 {"id": sitting}).scalar()
            pending = conn.execute(text("SELECT count(*) FROM certificates WHERE rendered_at IS NULL")).scalar()
        if not open_ and not pending:
            break
        await asyncio.sleep(1)
    certs.ended = time.perf_counter()
    with engine.connect() as conn:
        certs.latencies = [0.0] * conn.execute(text("SELECT count(*) FROM certificates")).scalar()
    return phases, [cands, faults, walk_away]


def random_response(qtype: str, size: int, rng: random.Random) -> Any:
    letters = "ABCDEFGH"[:max(size, 2)]
    if qtype == "true_false":
        return rng.random() < 0.5
    if qtype == "single":
        return rng.choice(letters)
    if qtype == "multiple":
        return sorted(rng.sample(letters, rng.randint(1, len(letters))))
    if qtype == "fill_blank":
        return [rng.choice(["成长期", "稳定期", "首问负责"]) for _ in range(max(size, 1))]
    return "(1) 核实身份 (2) 了解原因 (3) 提出方案"


def plan_saves(c: Candidate, keys: dict[int, Any], saves: int, rng: random.Random) -> list[list[tuple[int, Any]]]:
    """The candidate's batches: every item answered (from the key when passing, else at random), some
    items answered twice (a changed mind), spread over ``saves`` requests."""
    positions = list(c.items)
    rng.shuffle(positions)
    batches: list[list[tuple[int, Any]]] = [[] for _ in range(saves)]
    for i, pos in enumerate(positions):
        qtype, size = c.items[pos]
        final = keys[pos] if c.passing else random_response(qtype, size, rng)
        slot = i % saves
        if slot > 0 and rng.random() < 0.15:  # first a different answer, corrected later
            batches[rng.randrange(slot)].append((pos, random_response(qtype, size, rng)))
        batches[slot].append((pos, final))
    return [b for b in batches if b]


def correct_responses(engine: Any, cands: list[Candidate]) -> dict[int, dict[int, Any]]:
    """The keys in display letters for the passing candidates' papers (the bench reads the database;
    the exam page never sees them)."""
    from sqlalchemy import select

    from exam.models import PaperItem, QuestionVersion
    from exam.services.qtypes import REGISTRY
    from question_bank import QuestionType as T

    out: dict[int, dict[int, Any]] = defaultdict(dict)
    ids = [c.attempt for c in cands]
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            rows = conn.execute(
                select(PaperItem.attempt_id, PaperItem.position, PaperItem.type, PaperItem.option_order,
                       QuestionVersion.answer).join(QuestionVersion, QuestionVersion.id == PaperItem.question_version_id)
                .where(PaperItem.attempt_id.in_(ids[i:i + 500])))
            for attempt, pos, t, order, answer in rows:
                if t is T.TRUE_FALSE:
                    value = answer
                elif t is T.SINGLE:
                    value = REGISTRY[t].display(answer[0], order)
                elif t is T.MULTIPLE:
                    value = REGISTRY[t].display(answer, order)
                elif t is T.FILL_BLANK:
                    value = [alts[0] for alts in answer]
                else:
                    value = "(1) 核实身份 (2) 了解原因 (3) 提出方案"
                out[attempt][pos] = value
    return out


# ---------------------------------------------------------------- the check


def check(engine: Any, sitting: int, cands: list[Candidate]) -> dict[str, int]:
    """Acknowledged saves against the database, attempts, grading and certificates."""
    from sqlalchemy import select, text

    from exam.models import Answer, PaperItem
    from exam.services.qtypes import REGISTRY

    lost = acked = 0
    by_attempt = {c.attempt: c for c in cands}
    with engine.connect() as conn:
        ids = list(by_attempt)
        for i in range(0, len(ids), 500):
            rows = conn.execute(
                select(PaperItem.attempt_id, PaperItem.position, PaperItem.type, PaperItem.option_order, Answer.seq,
                       Answer.response).outerjoin(Answer, Answer.paper_item_id == PaperItem.id)
                .where(PaperItem.attempt_id.in_(ids[i:i + 500])))
            stored: dict[tuple[int, int], tuple] = {}
            for attempt, pos, qtype, order, seq, response in rows:
                stored[(attempt, pos)] = (qtype, order, seq or 0, response)
            for attempt in ids[i:i + 500]:
                for pos, (seq, shown) in by_attempt[attempt].acked.items():
                    acked += 1
                    qtype, order, db_seq, db_response = stored[(attempt, pos)]
                    if db_seq < seq or (db_seq == seq and REGISTRY[qtype].parse(shown, order) != db_response):
                        lost += 1
        q = lambda s: conn.execute(text(s), {"id": sitting}).scalar()  # noqa: E731
        return {
            "acknowledged answers": acked,
            "acknowledged answers lost": lost,
            "attempts": q("SELECT count(*) FROM attempts WHERE sitting_id = :id"),
            "candidates with two attempts": q("SELECT count(*) FROM (SELECT user_id FROM attempts WHERE sitting_id = :id "
                                              "GROUP BY user_id HAVING count(*) > 1) d"),
            "attempts not graded": q("SELECT count(*) FROM attempts WHERE sitting_id = :id AND state <> 'graded'"),
            "answers without a score": q("SELECT count(*) FROM answers a JOIN attempts t ON t.id = a.attempt_id "
                                         "WHERE t.sitting_id = :id AND a.score IS NULL"),
            "passed": q("SELECT count(*) FROM attempts WHERE sitting_id = :id AND passed"),
            "passed without a certificate": q(
                "SELECT count(*) FROM attempts t WHERE t.sitting_id = :id AND t.passed AND NOT EXISTS "
                "(SELECT 1 FROM certificates c WHERE c.attempt_id = t.id AND c.rendered_at IS NOT NULL)"),
            "certificates not passed": q("SELECT count(*) FROM certificates c JOIN attempts t ON t.id = c.attempt_id "
                                         "WHERE t.sitting_id = :id AND NOT t.passed"),
            # serials are allocated in turn from a counter row: per level and year they run 1..N, none skipped
            "certificate numbers skipped": q(
                "SELECT CAST(coalesce(sum(gaps), 0) AS integer) FROM (SELECT max(CAST(substr(number, 13, 6) AS integer)) - count(*) "
                "AS gaps FROM certificates GROUP BY substr(number, 1, 12)) s"),
        }


def certificate_hashes_ok(engine: Any) -> int:
    """Certificates whose stored PDF does not hash to their recorded SHA-256."""
    from sqlalchemy import text

    bad = 0
    with engine.connect() as conn:
        for pdf, sha in conn.execute(text("SELECT pdf, sha256 FROM certificates")):
            if pdf is None or hashlib.sha256(bytes(pdf)).hexdigest() != sha:
                bad += 1
    return bad


# ---------------------------------------------------------------- main


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--candidates", type=int, default=2000)
    p.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    p.add_argument("--instances", type=int, choices=[1, 2], default=1,
                   help="app instances on two loopback ports sharing the database; candidates split between them")
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers per instance")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    p.add_argument("--job-workers", type=int, default=1, help="`flask worker` processes")
    p.add_argument("--inflight", type=int, default=32, help="requests in flight at once")
    p.add_argument("--saves", type=int, default=24,
                   help="autosave requests per candidate (85 items: about 4 changes a request, as a page batches them)")
    p.add_argument("--pass-share", type=float, default=0.5, help="share of candidates answering from the key")
    p.add_argument("--floor-requests", type=int, default=0, help="default: as many as the autosave phases send")
    p.add_argument("--no-faults", action="store_true")
    p.add_argument("--mock-rush", action="store_true", help="in the lobby, everyone also starts a mock exam at once")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, database)")
    args = p.parse_args(argv)
    args.floor_requests = args.floor_requests or max(2000, min(20000, args.candidates * args.saves // 4))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="examday-"))
    pg = Postgres() if args.db == "postgresql" else None
    procs: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        url = pg.start() if pg else f"sqlite:///{work / 'exam.sqlite3'}"
        seeded = seed(url, args.candidates)
        from floor_app import metadata  # noqa: PLC0415  (bench/ is on the path when run as a script)

        metadata.create_all(sql(url))
        ports = [free_port() for _ in range(args.instances)]
        masters = [gunicorn(server_env(url, args, f"127.0.0.1:{p}"), work, f"app{i}")
                   for i, p in enumerate(ports)]
        floor_port = free_port()
        floor_env = server_env(url, args, f"127.0.0.1:{floor_port}")
        floor = gunicorn(floor_env, work, "floor", "--pythonpath", str(ROOT / "bench"), "floor_app:create()")
        workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "exam", "worker"], cwd=ROOT,
                                    env=server_env(url, args, ""), stdout=open(work / f"worker{i}.log", "wb"),  # noqa: SIM115
                                    stderr=subprocess.STDOUT) for i in range(args.job_workers)]
        procs = [*masters, floor, *workers]
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for b in bases:
            wait_ready(b)
        stack = Stack(url, bases, f"http://127.0.0.1:{floor_port}", masters, [floor, *workers], pg)
        if args.no_faults:
            stack.masters, stack.pg = [], None
        print(f"exam day: {args.candidates} candidates, {args.db}, {args.instances} instance(s) × {args.workers} "
              f"gunicorn workers × {args.threads} threads, {args.job_workers} job worker(s), {args.inflight} in flight "
              f"(setup {time.perf_counter() - t0:.0f} s; work folder {work})")
        phases, (cands, faults, walk_away) = asyncio.run(day(args, stack, seeded))
        floor_phase = Phase("floor")
        for ph in (phases["floor (1 INSERT)"], phases["floor again"]):
            floor_phase.latencies += ph.latencies
        floor_phase.started, floor_phase.ended = 0.0, sum(p.ended - p.started for p in (
            phases["floor (1 INSERT)"], phases["floor again"]))
        for name, ph in phases.items():
            compare = floor_phase if name.startswith("autosave") else None  # the mean of both floor runs
            if not ph.latencies and name != "certificates":
                continue
            if name == "certificates":
                secs = ph.ended - ph.started
                print(f"{'certificates':<22} {len(ph.latencies):>7} issued; the last rendered {secs:.1f} s after the "
                      f"last submit; {len(walk_away)} walk-aways finalised by the deadline sweep")
            else:
                print(ph.line(compare))
        for f in faults:
            print("fault:", f)
        engine = sql(url)
        result = check(engine, seeded["sitting"], cands)
        result["certificates whose PDF does not match its SHA-256"] = certificate_hashes_ok(engine)
        # certificates whose rendering could not be queued (the sweep renders them); only a fault may cause it
        result["certificate jobs not queued"] = sum(
            (work / f"app{i}.log").read_text(errors="replace").count("could not queue certificate rendering")
            for i in range(args.instances) if (work / f"app{i}.log").exists()) if args.db == "postgresql" else 0
        for k, v in result.items():
            print(f"check: {k}: {v}")
        bad = [k for k in ("acknowledged answers lost", "candidates with two attempts", "attempts not graded",
                           "answers without a score", "passed without a certificate", "certificates not passed",
                           "certificate numbers skipped", "certificates whose PDF does not match its SHA-256") if result[k]]
        bad += [] if result["attempts"] == args.candidates else ["attempts"]
        bad += ["certificate jobs not queued"] if result["certificate jobs not queued"] and not faults else []
        summary = {"candidates": args.candidates, "db": args.db, "instances": args.instances,
                   "login_per_s": round(phases["login"].rate, 1),
                   "open_per_s": round(phases["open (start+page)"].rate, 1),
                   "open_p95_ms": round(phases["open (start+page)"].p95 * 1000),
                   "floor_per_s": round(floor_phase.rate, 1),
                   "autosave_per_s": round(phases["autosave clean"].rate, 1),
                   "autosave_p95_ms": round(phases["autosave clean"].p95 * 1000),
                   "autosave_share_of_floor": round(phases["autosave clean"].rate / floor_phase.rate, 3),
                   "submit_per_s": round(phases["submit"].rate, 1),
                   "submit_p95_ms": round(phases["submit"].p95 * 1000),
                   "retried": {name: ph.errors for name, ph in phases.items()},
                   "faults": faults, "problems": bad, **result}
        print("summary:", json.dumps(summary, ensure_ascii=False))
        print("RESULT:", "nothing lost" if not bad else "FAILED: " + ", ".join(bad))
        return 1 if bad else 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
