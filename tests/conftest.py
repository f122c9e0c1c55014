"""Fixtures: the schema is built once by the real migrations; every test runs in a rolled-back transaction.

The database is ``EXAM_TEST_DATABASE_URL`` (PostgreSQL in ``make test``'s second pass), else a
fresh SQLite file.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from alembic import command
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, text

from exam import create_app
from exam.cli import alembic_config
from exam.extensions import db
from exam.models import User
from exam.ratelimit import limiter
from exam.services import version_cache
from exam.services.demo import load_demo

DEMO_PASSWORD = "test-password"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("EXAM_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://exam.test", "DEMO_PASSWORD": DEMO_PASSWORD, "JOB_QUEUE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    app.instance_path = str(tmp_path_factory.mktemp("instance"))

    def forget_request_user() -> None:
        """Tests run inside one app context, which requests then share: the logged-in user Flask-Login
        keeps in ``g`` would outlive its request. Each request loads it from its own cookie, as in production."""
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_request_user)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        command.upgrade(alembic_config(conn), "head")
    with app.app_context():
        load_demo(db.session, datetime(2026, 1, 5, 2, 0), DEMO_PASSWORD)
        db.session.commit()
    yield app
    db.engine.dispose()


@pytest.fixture(autouse=True)
def _rollback(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test that touches the app sees the seeded database and leaves nothing behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    version_cache.forget()
    limiter.reset()
    conn = db.engine.connect()
    outer = conn.begin()
    db.session.remove()
    db.session.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        with app.app_context():
            yield
    finally:
        db.session.remove()
        outer.rollback()
        conn.close()
        db.session.configure(bind=db.engine, join_transaction_mode="conservative_savepoint")
        app.config.pop("CLOCK", None)


class Clock:
    """A controllable clock: tests move time instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Flask) -> Clock:
    c = Clock(datetime(2026, 11, 22, 1, 0, 0))
    app.config["CLOCK"] = c
    return c


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):  # noqa: ANN201
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):  # noqa: ANN201
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def user(app: Flask):  # noqa: ANN201
    def get(username: str) -> User:
        return db.session.scalars(select(User).where(User.username == username)).one()
    return get
