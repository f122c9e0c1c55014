"""Item analysis of a national sitting: 10,000 graded attempts × 85 items (850,000 responses).

Run: .venv/bin/python bench/bench_item_analysis.py                      (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_item_analysis.py (SQLite, then PostgreSQL)

Set-up (not measured): the demo data, a pool of 8 parallel 四级 papers, one closed sitting and
10,000 trainees whose attempts are written straight into the database (paper items and answers in
bulk), answered by a simple ability model so the figures look like a real sitting's; then ANALYZE,
as autovacuum would after such a load (without statistics PostgreSQL plans 850,000 index probes).

Measured (medians of 3): the floor of reading the responses (the very statement the analysis runs,
every row fetched as a plain row, the cyclic garbage collector paused as the analysis pauses it); the analysis in memory (read + every figure: p, corrected item–total r, 27 % D,
option rates, KR-20 per form, SEM, distribution); and the whole stored analysis as the button, the
CLI and the background worker run it (read + compute + write the item rows and flags), rolled back.
Target: under 10 s.
"""
from __future__ import annotations

import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import fresh_database, on_each_database, timed  # noqa: E402

ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "10000"))
NOW = datetime(2026, 11, 22, 9, 0)
CHUNK = 20_000


def build(url: str) -> int:
    """Migrated database with the demo data and one closed sitting of ``ATTEMPTS`` graded attempts; its id."""
    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.models import (
        Answer,
        Attempt,
        AttemptKind,
        AttemptState,
        Organization,
        PaperItem,
        QuestionVersion,
        Role,
        Sitting,
        SittingMode,
        User,
        UserRole,
    )
    from exam.services.demo import load_demo
    from exam.services.paper_pools import build_pool
    from exam.services.papers import level_by_code
    from exam.services.qtypes import qtype
    from question_bank import QuestionType as T

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        s = db.session
        upgrade_database()
        load_demo(s, NOW - timedelta(days=30), "bench-password")
        level = level_by_code(s, "L4")
        pool = build_pool(s, level, size=8, seed=1, now=NOW - timedelta(days=2), actor_id=None)
        org = s.scalars(select(Organization).where(Organization.code == "CT")).one()
        sitting = Sitting(name="全国 2026 年四级统一认证", level_id=level.id, organization_id=org.id,
                          starts_at=NOW - timedelta(hours=4), ends_at=NOW - timedelta(hours=2), mode=SittingMode.ROOM,
                          place="", allowed_networks=[], pool_id=pool.id, created_at=NOW - timedelta(days=1))
        s.add(sitting)
        s.flush()
        papers = [(p.id, p.items) for p in pool.papers]
        versions = {v.id: v for v in s.scalars(select(QuestionVersion).where(
            QuestionVersion.id.in_({row[1] for _pid, items in papers for row in items})))}
        s.execute(insert(User), [{"username": f"b{i:05d}", "password_hash": "x", "full_name": f"学员{i:05d}",
                                  "active": True, "created_at": NOW, "session_version": 0} for i in range(ATTEMPTS)])
        users = s.scalars(select(User.id).where(User.username.like("b%")).order_by(User.username)).all()
        s.execute(insert(UserRole), [{"user_id": u, "role": Role.TRAINEE} for u in users])
        rng = random.Random(7)
        hardness = {vid: rng.gauss(0, 1) for vid in versions}
        first_attempt = (s.scalar(select(Attempt.id).order_by(Attempt.id.desc()).limit(1)) or 0) + 1
        first_item = (s.scalar(select(PaperItem.id).order_by(PaperItem.id.desc()).limit(1)) or 0) + 1
        attempts, items, answers = [], [], []
        item_id = first_item

        def flush() -> None:
            if attempts:
                s.execute(insert(Attempt), attempts)
            if items:
                s.execute(insert(PaperItem), items)
            if answers:
                s.execute(insert(Answer), answers)
            attempts.clear(), items.clear(), answers.clear()

        for j, uid in enumerate(users):
            aid = first_attempt + j
            pid, rows = papers[j % len(papers)]
            theta = rng.gauss(0, 1)
            total = 0.0
            started = NOW - timedelta(hours=3, seconds=j % 3600)
            for pos, (_qid, vid, area, t, d, pts) in enumerate(rows, start=1):
                v, qt = versions[vid], T(t)
                right = rng.random() < 1 / (1 + math.exp(-1.7 * (theta - hardness[vid])))
                if qt is T.TRUE_FALSE:
                    response = v.answer if right else (not v.answer)
                elif qt is T.SINGLE:
                    wrong = [chr(65 + i) for i in range(len(v.options)) if chr(65 + i) not in v.answer]
                    response = v.answer[0] if right else rng.choice(wrong)
                elif qt is T.MULTIPLE:
                    response = sorted(v.answer) if right else sorted(v.answer)[:-1]
                else:
                    response = [a[0] if right else "不知道" for a in v.answer]
                score = float(qtype(qt).grade(response, v.answer, pts))
                total += score
                items.append({"id": item_id, "attempt_id": aid, "position": pos, "question_version_id": vid,
                              "area_code": area, "type": qt, "difficulty": d, "points": pts,
                              "option_order": list(range(len(v.options)))})
                answers.append({"attempt_id": aid, "paper_item_id": item_id, "response": response, "seq": 1,
                                "flagged": False, "score": score, "marker_comment": ""})
                item_id += 1
            attempts.append({"id": aid, "user_id": uid, "level_id": level.id, "state": AttemptState.GRADED,
                             "kind": AttemptKind.CERTIFICATION, "sitting_id": sitting.id, "seed": j,
                             "pool_paper_id": pid, "started_at": started, "deadline_at": started + timedelta(minutes=90),
                             "finished_at": started + timedelta(minutes=80), "graded_at": NOW - timedelta(hours=1),
                             "score": round(total, 2), "passed": total >= 60, "pass_mark": 60, "total_points": 100,
                             "lock_version": 1})
            if len(answers) >= CHUNK:
                flush()
        flush()
        sitting_id = sitting.id
        s.commit()
    with app.app_context():  # planner statistics, as autovacuum (PostgreSQL) would gather after such a load
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return sitting_id


def fmt(ms: list[float]) -> str:
    return f"median {statistics.median(ms) / 1000:.2f} s (min {min(ms) / 1000:.2f}, max {max(ms) / 1000:.2f})"


def bench(label: str, base_url: str | None, workdir: Path) -> None:
    from exam import create_app
    from exam.extensions import db
    from exam.models import Sitting
    from exam.services.item_analysis import (
        AnalysisSettings,
        Scope,
        analyse_scope,
        responses_statement,
    )
    from exam.services.sitting_analysis import analyse_sitting
    from question_bank.allocations import no_cycle_collection

    url = fresh_database(label, base_url, workdir, "exam_bench_analysis")
    t = time.perf_counter()
    sitting_id = build(url)
    print(f"  {label}: {ATTEMPTS:,} attempts × 85 items generated in {time.perf_counter() - t:.0f} s "
          "(set-up, not measured)")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session
        settings = AnalysisSettings()
        scope = Scope(sitting_id=sitting_id)
        rows = []

        def read(_i: int) -> None:
            with no_cycle_collection():  # as the analysis reads them
                rows.append(len(session.connection().execute(responses_statement(scope)).all()))
            session.rollback()

        results = []

        def compute(_i: int) -> None:
            results.append(analyse_scope(session, scope, settings))
            session.rollback()

        def store(_i: int) -> None:
            analyse_sitting(session, session.get(Sitting, sitting_id), settings, NOW, None)
            session.flush()
            session.rollback()

        floor = timed(read, 3)
        runs = timed(compute, 3)
        stored = timed(store, 3)
        base = statistics.median(floor)
        a = results[-1]
        alphas = ", ".join(f"{f.alpha:.3f}" for f in a.forms if f.alpha is not None)
        print(f"  {label}: floor, read the {rows[-1]:,} responses (the analysis' own statement): {fmt(floor)}")
        print(f"  {label}: analysis in memory (read + every figure): {fmt(runs)} = "
              f"{statistics.median(runs) / base:.2f}× the floor")
        print(f"  {label}: stored analysis (read + compute + write items and flags): {fmt(stored)} = "
              f"{statistics.median(stored) / base:.2f}× the floor; target < 10 s: "
              f"{'met' if statistics.median(stored) < 10_000 else 'NOT MET'}")
        print(f"  {label}: {a.attempts:,} attempts, {len(a.items)} items on {len(a.forms)} forms; mean {a.mean:.1f}, "
              f"SD {a.sd:.1f}, pass rate {a.pass_rate:.0%}; KR-20 per form {alphas}; "
              f"{sum(1 for i in a.items if i.flags)} items flagged")
        print("  " + json.dumps({"label": label, "floor_s": round(base / 1000, 3),
                                 "analysis_s": round(statistics.median(runs) / 1000, 3),
                                 "stored_s": round(statistics.median(stored) / 1000, 3)}))


def main() -> None:
    print(f"item analysis of one sitting, {ATTEMPTS:,} attempts × 85 items, on this machine ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        on_each_database(lambda label, url: bench(label, url, Path(tmp)))


if __name__ == "__main__":
    main()
