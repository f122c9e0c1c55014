"""Paper assembly at 100,000 questions, on SQLite and (when given) PostgreSQL.

Run:  .venv/bin/python bench/bench_assembly.py                      (SQLite only)
      scripts/with-postgres .venv/bin/python bench/bench_assembly.py (SQLite and PostgreSQL)

The bank is generated (set-up, not measured): 100,000 active questions spread over the 13
areas, 6 types and 3 difficulties, each allowed in a random non-empty set of levels, 1 % of
them in enemy groups of three. Figures, each beside its baseline from the same run:
- floor: fetching 85 question versions by primary key (what any paper costs to show);
- one L4 paper and one L1 paper from the database (`draw_paper`: cell counts, solve, sample);
- a plain stratified random draw (allocate items to cells at random, then sample), how often
  it is exact at all, and its time — the issue asks to keep whichever is faster where both are exact;
- a pool of 50 parallel L4 papers (`build_pool`: read the bank, assemble, balance, store), with its
  expected-score spread and exposure.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import fresh_database, on_each_database, timed  # noqa: E402

N = 100_000
CHUNK = 5_000


def record(i: int, rng: random.Random):  # noqa: ANN201
    from question_bank import AREA_CODES, LEVEL_CODES, Difficulty, QuestionRecord, QuestionType

    t = list(QuestionType)[i % 6]
    levels = tuple(lv for lv in LEVEL_CODES if rng.random() < 0.6) or (rng.choice(LEVEL_CODES),)
    base = dict(key=f"G-{i:06d}", type=t, area=AREA_CODES[(i // 6) % 13], difficulty=list(Difficulty)[(i // 78) % 3],
                levels=levels, stem=f"第 {i} 题: 客户来电要求办理携号转网, 维系经理应当如何处理?")
    if t is QuestionType.TRUE_FALSE:
        return QuestionRecord(**base, answer=bool(i % 2))
    if t is QuestionType.SINGLE:
        return QuestionRecord(**base, options=("甲", "乙", "丙", "丁"), answer=("B",))
    if t is QuestionType.MULTIPLE:
        return QuestionRecord(**base, options=("甲", "乙", "丙", "丁"), answer=("A", "C"))
    if t is QuestionType.FILL_BLANK:
        return QuestionRecord(**(base | {"stem": base["stem"] + " ____"}), answer=(("首问负责",),))
    return QuestionRecord(**base, answer="先安抚情绪, 再核实诉求, 给出方案并回访。")


def build_bank(url: str) -> int:
    from exam import create_app
    from exam.extensions import db
    from exam.models import Question, QuestionStatus
    from exam.services.bank_sync import add_questions
    from exam.services.demo import load_demo

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        from exam.cli import upgrade_database

        upgrade_database()
        now = datetime(2026, 11, 22)
        load_demo(db.session, now, "bench-password")
        # only the generated bank: retire the starter questions so the figures are about 100k
        db.session.execute(Question.__table__.update().values(status=QuestionStatus.RETIRED))
        rng = random.Random(5)
        for start in range(0, N, CHUNK):
            batch = [record(i, rng) for i in range(start, min(N, start + CHUNK))]
            ids = add_questions(db.session, batch, status=QuestionStatus.ACTIVE, source="bench", now=now, actor_id=None)
            # 1 % in enemy groups of three
            grouped = [qid for k, qid in enumerate(ids) if (start + k) % 100 == 0]
            for g in range(0, len(grouped) - 2, 3):
                db.session.execute(Question.__table__.update().where(Question.id.in_(grouped[g:g + 3]))
                                   .values(enemy_group=f"E{start}-{g}"))
        db.session.commit()
    # what autovacuum / a periodic ANALYZE would have done by the time of a real sitting
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question)
                                 .where(Question.status == QuestionStatus.ACTIVE))


def largest_remainder(total: int, shares: dict, rng: random.Random) -> dict:
    """``total`` split in proportion to ``shares``, rounding by largest remainder (ties at random)."""
    whole = sum(shares.values()) or 1
    raw = {k: total * v / whole for k, v in shares.items()}
    out = {k: int(x) for k, x in raw.items()}
    order = sorted(raw, key=lambda k: (raw[k] - out[k], rng.random()), reverse=True)
    for k in order[:total - sum(out.values())]:
        out[k] += 1
    return out


def stratified_draw(session, level, rng: random.Random):  # noqa: ANN001, ANN201
    """The baseline the issue names: split each type's count over areas by weight and over difficulties
    by the mix (largest remainder), sample each cell at random, then check whether the paper is exact.
    Returns (paper or None, milliseconds)."""
    from exam.services.assembly import Paper, PaperEntry
    from exam.services.papers import level_cells, level_rules

    t = time.perf_counter()
    rules = level_rules(level)
    cells = level_cells(session, level.code, rules)
    have = {k: len(p.new) for k, p in cells.items()}  # grouped questions left out: a plain draw ignores them
    alloc: dict = {}
    for qtype, (count, _pts) in rules.sections.items():
        for area, n_area in largest_remainder(count, dict(rules.weights), rng).items():
            for diff, n in largest_remainder(n_area, dict(rules.difficulty_mix), rng).items():
                if n:
                    alloc[(area, qtype, diff)] = n
    paper = None
    if all(have.get(k, 0) >= n for k, n in alloc.items()):
        reqs = [(cells[k].new, rng.sample(range(have[k]), n)) for k, n in alloc.items()]
        taken = type(reqs[0][0]).take_together(reqs) if reqs else []
        entries = tuple(PaperEntry(c.question_id, None, c.area, c.type, rules.sections[c.type][1], c.difficulty)
                        for chosen in taken for c in chosen)
        candidate = Paper(level.code, entries)
        exact = (candidate.points_by_area() == {a: p for a, p in rules.area_points().items()}
                 and all(lo <= candidate.points_by_difficulty().get(d, 0) <= hi
                         for d, (lo, hi) in rules.difficulty_bounds().items()))
        paper = candidate if exact else None
    return paper, (time.perf_counter() - t) * 1000


def fmt(runs: list[float]) -> str:
    return f"median {statistics.median(runs):.1f} ms, p90 {sorted(runs)[int(len(runs) * 0.9)]:.1f} ms"


def bench(label: str, base_url: str | None, workdir: Path) -> None:
    from exam import create_app
    from exam.extensions import db
    from exam.models import QuestionVersion
    from exam.services.paper_pools import build_pool
    from exam.services.papers import draw_paper, level_by_code, level_rules

    url = fresh_database(label, base_url, workdir, "exam_bench_assembly")
    t = time.perf_counter()
    active = build_bank(url)
    print(f"  {label}: {active:,} active questions generated in {time.perf_counter() - t:.0f} s "
          "(set-up, then ANALYZE / VACUUM ANALYZE as autovacuum would)")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session
        max_id = session.scalar(select(func.max(QuestionVersion.id)))
        floor = timed(lambda i: list(session.scalars(select(QuestionVersion).where(
            QuestionVersion.id.in_(random.Random(i).sample(range(max_id - N + 1, max_id + 1), 85))))), 30)
        session.rollback()
        print(f"  {label}: floor, fetch 85 questions by primary key: {fmt(floor)}")
        base = statistics.median(floor)
        for code in ("L4", "L1"):
            level = level_by_code(session, code)
            rules = level_rules(level)
            draw_paper(session, level, random.Random(0))  # warm-up (imports, statement cache)
            runs = timed(lambda i: draw_paper(session, level, random.Random(i)), 30)  # noqa: B023
            session.rollback()
            print(f"  {label}: one {code} paper ({sum(c for c, _ in rules.sections.values())} items), solver: "
                  f"{fmt(runs)} = {statistics.median(runs) / base:.1f}× the floor")
            outcomes = [stratified_draw(session, level, random.Random(i)) for i in range(30)]
            exact = [o for o in outcomes if o[0] is not None]
            sruns = [ms for _p, ms in outcomes]
            print(f"  {label}: one {code} paper, plain stratified random draw: {fmt(sruns)}, "
                  f"exact in {len(exact)}/30 tries")
        level = level_by_code(session, "L4")
        t = time.perf_counter()
        pool = build_pool(session, level, size=50, seed=11, now=datetime(2026, 11, 22), actor_id=None)
        took = time.perf_counter() - t
        session.rollback()
        r = pool.report
        print(f"  {label}: pool of 50 L4 papers (assembled, balanced and stored): {took:.1f} s; "
              f"expected-score spread {r['spread']:.4f}, max exposure {r['max_exposure']:.0%}, "
              f"max pairwise overlap {r['max_overlap']:.0%}")


def main() -> None:
    print(f"paper assembly, {N:,}-question generated bank, on this machine ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        on_each_database(lambda label, url: bench(label, url, Path(tmp)))


if __name__ == "__main__":
    main()
