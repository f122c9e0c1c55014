"""The floor the exam-day bench compares autosave with: one durable INSERT per request on the same stack
(gunicorn with the repository's config, Flask, SQLAlchemy, the same database). Not part of the product.

Served as ``gunicorn -c gunicorn.conf.py 'floor_app:create()'`` with EXAM_DATABASE_URL set.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, insert

from exam.extensions import make_engine

metadata = MetaData()
floor_hits = Table("bench_floor_hits", metadata, Column("id", Integer, primary_key=True), Column("n", Integer),
                   Column("payload", JSON), Column("at", DateTime))


def create() -> Flask:
    app = Flask(__name__)
    url = os.environ["EXAM_DATABASE_URL"]
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": 5, "max_overflow": 0}))

    @app.post("/floor")
    def floor():  # noqa: ANN202
        payload = request.get_json(silent=True) or {}
        with engine.begin() as conn:
            conn.execute(insert(floor_hits).values(n=int(payload.get("n", 0)), payload=payload,
                                                   at=datetime.now(UTC).replace(tzinfo=None)))
        return jsonify(saved=True)

    return app
