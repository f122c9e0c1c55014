"""HR at the end of a quarter: enrolling a whole province's trainees in one sitting.

Run: .venv/bin/python bench/bench_enrolment.py                      (SQLite)
     scripts/with-postgres .venv/bin/python bench/bench_enrolment.py (SQLite, then PostgreSQL)

Set-up (not measured): the demo data plus 3,000 generated trainees under 广东分公司 and its two
city branches, with job start dates from 2015 to 2026, a break in service for one in five,
四级 training of 32 or 40 hours and probation passed for some — so the 四级 decision varies.

Measured (medians of 5, each rolled back): the floor of reading the same trainees with their roles
and organisations (``organization_trainees``); ``enrol`` of all of them into one 四级 sitting as
the "按单位报名" button does (eligibility decided in bulk, every refusal with its reason); and,
as the baseline it replaced, the per-person ``eligibility_by_level`` loop over the same trainees.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import fresh_database, on_each_database, timed  # noqa: E402

N = 3_000
NOW = datetime(2026, 11, 22, 1, 0)


def build(url: str) -> None:
    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.models import Level, Organization, Role, ServiceBreak, TrainingRecord, User, UserRole
    from exam.services.demo import load_demo

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade_database()
        load_demo(db.session, NOW, "bench-password")
        orgs = [o.id for o in db.session.scalars(select(Organization).where(
            Organization.code.in_(["CT-GD-GZ", "CT-GD-SZ", "CT-GD"])))]
        l4 = db.session.scalars(select(Level).where(Level.code == "L4")).one()
        rng = random.Random(7)
        users = []
        for i in range(N):
            start = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 4300))
            users.append({"username": f"gd{i:05d}", "password_hash": "x", "full_name": f"学员{i:05d}",
                          "employee_no": f"GD{i:06d}", "organization_id": orgs[i % len(orgs)],
                          "job_start_date": start, "active": True, "created_at": NOW,
                          "probation_passed_on": start + timedelta(days=90) if rng.random() < 0.3 else None})
        db.session.execute(insert(User), users)
        ids = dict(db.session.execute(select(User.username, User.id).where(User.username.like("gd%"))).all())
        db.session.execute(insert(UserRole), [{"user_id": uid, "role": Role.TRAINEE} for uid in ids.values()])
        db.session.execute(insert(TrainingRecord), [
            {"user_id": uid, "level_id": l4.id, "hours": rng.choice([32, 40])} for uid in ids.values()])
        breaks = []
        for u in users:
            if rng.random() < 0.2:
                b = u["job_start_date"] + timedelta(days=rng.randrange(30, 900))
                breaks.append({"user_id": ids[u["username"]], "start_on": b, "end_on": b + timedelta(days=120)})
        db.session.execute(insert(ServiceBreak), breaks)
        db.session.commit()


def fmt(ms: list[float]) -> str:
    return f"median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f})"


def bench(label: str, base_url: str | None, workdir: Path) -> None:
    from exam import create_app
    from exam.extensions import db
    from exam.models import Level, Organization, SittingMode
    from exam.services.certificates import china_date
    from exam.services.eligibility import eligibility_by_level
    from exam.services.sittings import enrol, organization_trainees, schedule_sitting

    url = fresh_database(label, base_url, workdir, "exam_bench_enrolment")
    t = time.perf_counter()
    build(url)
    print(f"  {label}: {N:,} trainees generated in {time.perf_counter() - t:.1f} s (set-up, not measured)")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        session = db.session
        gd = session.scalars(select(Organization).where(Organization.code == "CT-GD")).one()
        l4 = session.scalars(select(Level).where(Level.code == "L4")).one()
        sitting = schedule_sitting(session, name="广东 2026 年第四季度四级认证", level=l4, organization=gd,
                                   starts_at=NOW + timedelta(days=7), ends_at=NOW + timedelta(days=7, hours=3),
                                   mode=SittingMode.ROOM, actor_id=None, now=NOW)
        session.commit()
        sitting_id = sitting.id

        def read(_i: int) -> object:
            session.expunge_all()
            return organization_trainees(session, session.get(Organization, gd.id))

        floor = timed(read, 5)
        people = len(read(0))
        reports = []

        def enrol_all(_i: int) -> None:
            session.expunge_all()
            s = session.get(type(sitting), sitting_id)
            reports.append(enrol(session, s, organization_trainees(session, s.organization), actor_id=None, now=NOW))
            session.rollback()

        runs = timed(enrol_all, 5)
        report = reports[-1]

        def one_by_one(_i: int) -> None:
            session.expunge_all()
            level = session.get(Level, l4.id)
            for user, _row in organization_trainees(session, session.get(Organization, gd.id)):
                eligibility_by_level(session, user, [level], china_date(NOW))
            session.rollback()

        before = timed(one_by_one, 1)
        base = statistics.median(floor)
        print(f"  {label}: floor, read {people:,} trainees with roles and organisations: {fmt(floor)}")
        example = f" (e.g. “{report.refused[0]}”)" if report.refused else ""
        print(f"  {label}: enrol all of them (按单位报名): {fmt(runs)} = {statistics.median(runs) / base:.1f}× the floor; "
              f"{len(report.enrolled):,} enrolled, {len(report.refused):,} refused with reasons{example}")
        print(f"  {label}: baseline, the per-person eligibility loop it replaced: {before[0]:.0f} ms "
              f"({before[0] / statistics.median(runs):.1f}× slower)")


def main() -> None:
    print(f"enrolment of a province, {N:,} generated trainees, on this machine ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        on_each_database(lambda label, url: bench(label, url, Path(tmp)))


if __name__ == "__main__":
    main()
