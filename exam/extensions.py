"""The app's extensions: the database (plain SQLAlchemy 2), Flask-Login and CSRF."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.globals import app_ctx
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import scoped_session, sessionmaker


def _scope() -> int:
    """One session per application context (each request, each CLI command)."""
    try:
        return id(app_ctx._get_current_object())
    except RuntimeError:
        return 0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; on SQLite with foreign keys on and real SAVEPOINT support."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself (pysqlite quirk)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """``db.session`` is scoped to the app context and removed at its teardown."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_scope)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(lambda _exc: self.session.remove())


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
