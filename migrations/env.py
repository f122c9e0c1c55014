"""Alembic environment: the schema is ``exam.models.Base.metadata``; the URL comes from the app's config."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from exam.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from exam import create_app
    from exam.extensions import db

    app = create_app()
    with app.app_context(), db.engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `flask --app exam db upgrade`")
run_migrations_online()
