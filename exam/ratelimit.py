"""Throttling: Flask-Limiter (the ``limits`` library underneath) with counters every process and host
share.

By default the counters live in the platform's own database (table ``rate_limits``), so gunicorn's
workers and several app hosts behind a proxy count together without another server; a deployment
with Redis or Memcached may point ``EXAM_RATELIMIT_STORAGE_URI`` there instead. Counters are written
on a connection of their own, in their own short transaction: a throttled request that rolls back
still counts.

Limits (fixed windows, the figures in config):
- login failures per account and per client address (a success never counts); a breach is audited;
- wrong sitting passwords per client address (per enrolment the count is stored on the enrolment);
- certificate look-ups on /verify per client address.
"""
from __future__ import annotations

import functools
import random
import time
from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from exam.models.audit import RateLimit

#: scheme of the database-backed storage (``exam-database://``; the URL comes from the app's config)
SCHEME = "exam-database"

limiter = Limiter(key_func=get_remote_address, headers_enabled=False,
                  strategy="fixed-window")


class DatabaseStorage(Storage):
    """Fixed-window counters in ``rate_limits``: one row per key, upserted in one statement."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        from exam.extensions import make_engine

        url = options.get("database_url")
        if not url:
            raise ValueError("the database storage needs RATELIMIT_STORAGE_OPTIONS['database_url']")
        self.engine: Engine = make_engine(str(url), **({} if str(url).startswith("sqlite") else
                                                        {"pool_size": 2, "max_overflow": 4}))
        self.table = RateLimit.__table__

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        t = self.table
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(t).values(key=key, expires_at=now + expiry, hits=amount)
            dead = t.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(index_elements=[t.c.key], set_={
                "hits": _case(dead, amount, t.c.hits + amount),
                "expires_at": _case(dead, now + expiry, t.c.expires_at),
            }).returning(t.c.hits)
            hits = conn.execute(stmt).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows that ended
                conn.execute(delete(t).where(t.c.expires_at <= now))
        return int(hits)

    def get(self, key: str) -> int:
        t = self.table
        with self.engine.connect() as conn:
            hits = conn.execute(select(t.c.hits).where(t.c.key == key, t.c.expires_at > time.time())).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        t = self.table
        with self.engine.connect() as conn:
            at = conn.execute(select(t.c.expires_at).where(t.c.key == key)).scalar()
        return float(at) if at is not None and at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key))


def _case(cond: Any, then: Any, otherwise: Any) -> Any:
    return case((cond, then), else_=otherwise)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", f"{SCHEME}://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(SCHEME):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"database_url": app.config["DATABASE_URL"]})
    limiter.init_app(app)


class Counter:
    """A fixed-window limit counted by hand (only failures count), on the limiter's storage; the figure
    comes from the app's config (e.g. ``"5 per 15 minutes"``)."""

    def __init__(self, name: str, config_key: str) -> None:
        self.name, self.config_key = name, config_key

    @property
    def item(self) -> RateLimitItem:
        return _parsed(current_app.config[self.config_key])

    def allowed(self, key: str) -> bool:
        return limiter.limiter.test(self.item, self.name, key)

    def hit(self, key: str) -> bool:
        """Count one; False when the limit is now reached (the next try would be refused)."""
        return limiter.limiter.hit(self.item, self.name, key) and self.allowed(key)

    def clear(self, key: str) -> None:
        """Forget the key's count; a read only when nothing was counted (the common case: a login
        without earlier failures writes nothing)."""
        if limiter.limiter.get_window_stats(self.item, self.name, key).remaining < self.item.amount:
            limiter.limiter.clear(self.item, self.name, key)

    def window_minutes(self) -> int:
        return max(1, round(self.item.get_expiry() / 60))


@functools.cache
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)
