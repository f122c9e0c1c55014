"""What the benchmarks share: a fresh database per run and timing in milliseconds."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text


def fresh_database(label: str, base_url: str | None, workdir: Path, name: str) -> str:
    """A SQLite file in ``workdir``, or database ``name`` (dropped and created) on the server of ``base_url``."""
    if base_url is None:
        return f"sqlite:///{workdir / f'{label}.sqlite3'}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def timed(fn: Callable[[int], object], repeat: int) -> list[float]:
    """Milliseconds of ``fn(i)`` for i in 0..repeat-1."""
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def on_each_database(bench: Callable[[str, str | None], None]) -> None:
    """``bench(label, base_url)`` on SQLite, then on PostgreSQL when run under scripts/with-postgres."""
    bench("SQLite", None)
    pg = os.environ.get("EXAM_TEST_DATABASE_URL")
    if pg:
        print("  (PostgreSQL: the throw-away server of scripts/with-postgres, fsync=off)")
        bench("PostgreSQL", pg)
    else:
        print("  PostgreSQL skipped: run under scripts/with-postgres to include it")
