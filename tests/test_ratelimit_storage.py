"""The rate limiter's counters in the database: shared by every process and host that uses it."""
from __future__ import annotations

import time

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import create_engine

from exam.models import RateLimit
from exam.ratelimit import DatabaseStorage


@pytest.fixture
def url(database_url: str, tmp_path) -> str:  # noqa: ANN001
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"  # the suite's own file is held by the test's transaction
        engine = create_engine(url)
        RateLimit.__table__.create(engine)
        engine.dispose()
        return url
    return database_url


def test_two_processes_count_together_and_windows_end(url):
    one, two = DatabaseStorage(database_url=url), DatabaseStorage(database_url=url)
    try:
        one.reset()
        assert one.incr("k", expiry=60) == 1 and two.incr("k", expiry=60) == 2 and one.get("k") == 2
        assert time.time() + 50 < two.get_expiry("k") <= time.time() + 60
        assert one.incr("short", expiry=1) == 1
        time.sleep(1.1)
        assert two.get("short") == 0 and two.incr("short", expiry=1) == 1  # a new window starts at 1
        two.clear("k")
        assert one.get("k") == 0 and one.check()
    finally:
        one.reset()
        one.engine.dispose()
        two.engine.dispose()


def test_the_limiter_refuses_over_the_limit_across_instances(url):
    first, second = (FixedWindowRateLimiter(DatabaseStorage(database_url=url)) for _ in range(2))
    limit = parse("3 per minute")
    try:
        first.storage.reset()
        assert all(limiter.hit(limit, "login", "trainee1") for limiter in (first, second, first))
        assert not second.hit(limit, "login", "trainee1") and not first.test(limit, "login", "trainee1")
        assert first.test(limit, "login", "trainee2")
    finally:
        first.storage.reset()
        for limiter in (first, second):
            limiter.storage.engine.dispose()
