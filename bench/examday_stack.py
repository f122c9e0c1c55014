"""The exam-day bench's stack: a throw-away durable PostgreSQL, gunicorn instances from the repository's
config, and a database seeded with N eligible candidates enrolled in one 四级 sitting."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "exam-day-password"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throw-away server with durable settings (fsync, synchronous_commit and full_page_writes on)."""

    def __init__(self) -> None:
        # its own folder: the postgres user cannot enter the bench's (private) work folder
        self.dir, self.port = Path(tempfile.mkdtemp(prefix="examday-pg-")), free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_pg, *args], check=True, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def start(self) -> str:
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        self._run(str(PGBIN / "initdb"), "-D", str(self.dir / "data"), "-U", "exam", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._ctl("start")
        subprocess.run([str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "exam", "examday"],
                       check=True)
        return f"postgresql+psycopg://exam@127.0.0.1:{self.port}/examday"

    def _ctl(self, action: str) -> None:
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                "-c shared_buffers=256MB")
        self._run(str(PGBIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w",
                  "-m", "fast", "-o", opts, action)

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        try:
            self._run(str(PGBIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Stack:
    url: str
    bases: list[str]
    floor: str
    masters: list[subprocess.Popen]
    others: list[subprocess.Popen]
    pg: Postgres | None


def server_env(url: str, args: Any, bind: str) -> dict[str, str]:
    env = dict(os.environ, EXAM_DATABASE_URL=url, EXAM_SECRET_KEY="exam-day-bench-secret", EXAM_BIND=bind,
               EXAM_WORKERS=str(args.workers), EXAM_THREADS=str(args.threads),
               EXAM_DB_POOL_SIZE=str(args.threads + 1), EXAM_PUBLIC_BASE_URL="http://exam.test")
    env.pop("EXAM_TEST_DATABASE_URL", None)
    return env


def gunicorn(env: dict[str, str], work: Path, name: str, *app: str) -> subprocess.Popen:
    log = open(work / f"{name}.log", "wb")  # noqa: SIM115 (lives as long as the process)
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *app],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, path: str = "/login", timeout: float = 60) -> None:
    import urllib.error
    import urllib.request

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(base + path, timeout=2)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{base} did not start; see the logs in the work folder")


def seed(url: str, n: int) -> dict[str, Any]:
    """Migrations, demo bank, N eligible candidates enrolled in one 四级 sitting with a pool of 8 papers."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from exam import create_app
    from exam.cli import upgrade_database
    from exam.extensions import db
    from exam.models import Level, Organization, Role, SittingMode, TrainingRecord, User, UserRole
    from exam.services.demo import load_demo
    from exam.services.paper_pools import build_pool
    from exam.services.sittings import enrol, schedule_sitting

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "JOB_QUEUE": False})
    with app.app_context():
        upgrade_database()
        now = utcnow()
        load_demo(db.session, now, PASSWORD)
        level = db.session.scalars(select(Level).where(Level.code == "L4")).one()
        org = db.session.scalars(select(Organization).where(Organization.code == "CT-GD-GZ")).one()
        top = db.session.scalars(select(Organization).where(Organization.code == "CT")).one()
        digest = generate_password_hash(PASSWORD)
        names = [f"cand{i:05d}" for i in range(n)]
        for i in range(0, n, 2000):
            db.session.execute(insert(User), [
                {"username": u, "password_hash": digest, "full_name": f"考生{u[4:]}", "employee_no": f"E{u[4:]}",
                 "organization_id": org.id, "job_start_date": date(2024, 7, 1), "active": True, "created_at": now}
                for u in names[i:i + 2000]])
        ids = dict(db.session.execute(select(User.username, User.id).where(User.username.like("cand%"))).all())
        db.session.execute(insert(UserRole), [{"user_id": ids[u], "role": Role.TRAINEE} for u in names])
        db.session.execute(insert(TrainingRecord), [{"user_id": ids[u], "level_id": level.id, "hours": 40}
                                                     for u in names])
        sitting = schedule_sitting(db.session, name="全省四级认证考试 (压测)", level=level, organization=top,
                                   starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=3),
                                   mode=SittingMode.ONLINE, actor_id=None, now=now)
        users = db.session.scalars(select(User).where(User.username.like("cand%"))).all()
        report = enrol(db.session, sitting, [(u, None) for u in users], actor_id=None, now=now)
        if report.refused or len(report.enrolled) != n:
            raise SystemExit(f"enrolment refused {len(report.refused)}: {report.refused[:3]}")
        sitting.pool = build_pool(db.session, level, size=8, seed=1, now=now, actor_id=None)
        db.session.commit()
        return {"sitting": sitting.id, "level": level.code}


def sql(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url, pool_pre_ping=True)


def children(pid: int) -> list[int]:
    """The gunicorn master's worker processes (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
