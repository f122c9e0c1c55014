"""The app's extensions: the database (plain SQLAlchemy 2), Flask-Login and CSRF."""
from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask.globals import app_ctx
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import scoped_session, sessionmaker


def _scope() -> int:
    """One session per application context (each request, each CLI command)."""
    try:
        return id(app_ctx._get_current_object())
    except RuntimeError:
        return 0


#: how long a SQLite writer waits for the write lock before giving up (a bounded busy wait)
SQLITE_BUSY_SECONDS = 30
#: a pooled PostgreSQL connection idle longer than this is checked before use (see ``make_engine``)
IDLE_PING_SECONDS = 5.0
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _takes_write_lock() -> bool:
    """Whether a SQLite transaction begun now should take the write lock up front.

    Requests that may write (POST, PUT, DELETE …), CLI commands and workers do; a GET reads in a
    deferred transaction, and a GET that turns out to need a write asks for it with
    ``Database.lock_for_write``. A deferred transaction that later writes can fail at once with
    ``database is locked`` when another writer committed meanwhile; one that starts with
    ``BEGIN IMMEDIATE`` waits its turn instead.
    """
    if not has_request_context():
        return True
    if g.get("sqlite_write_lock"):
        return True
    return request.method not in _READ_ONLY_METHODS and not getattr(
        current_app.view_functions.get(request.endpoint or ""), "reads_first", False)


def reads_first(view: Any) -> Any:
    """For a POST view that usually only reads (a login): on SQLite its transaction does not take the
    write lock up front, so writers on other connections (the rate limiter's counters) are not held up
    by it; the view calls ``db.lock_for_write()`` before it writes."""
    view.reads_first = True
    return view


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; on SQLite with foreign keys on, real SAVEPOINT support and writers that queue for the lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself (pysqlite quirk)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _takes_write_lock() else "BEGIN")

        return engine
    engine = create_engine(url, **kwargs)

    # A restarted database server leaves dead connections in the pool. One that has been idle for a while is
    # checked before use (a dead one is replaced at once); one in steady use is not, which spares a busy
    # server a round trip per request: if the server went away meanwhile, the request fails as those in
    # flight do, and SQLAlchemy then replaces every pooled connection.
    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info["checked_in"] < IDLE_PING_SECONDS:
            return
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # any failure: let the pool connect afresh
            raise DisconnectionError() from exc

    return engine


class Database:
    """``db.session`` is scoped to the app context and removed at its teardown."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_scope)

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        pool = {} if url.startswith("sqlite") else {"pool_size": app.config["DB_POOL_SIZE"], "max_overflow": 0}
        self.engine = make_engine(url, **pool)
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(lambda _exc: self.session.remove())

    def lock_for_write(self) -> None:
        """A GET request (or a ``reads_first`` POST) that is about to write: on SQLite, restart its transaction holding the write lock.

        The current transaction is rolled back (loaded objects reload on their next access), so call
        this before changing anything. Elsewhere (PostgreSQL, POST requests, CLI) it does nothing.
        """
        if self.engine is None or self.engine.dialect.name != "sqlite" or _takes_write_lock():
            return
        g.sqlite_write_lock = True
        self.session.rollback()


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
