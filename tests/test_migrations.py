"""The migrations are the schema: the models must not drift from them."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from exam.extensions import db
from exam.models import Base


def test_models_match_the_migrated_schema(app):
    conn = db.session.connection()  # the test's own connection (on SQLite a second one would wait for its lock)
    diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_reference_rules_are_loaded_as_data(app):
    from exam.models import Level

    levels = {lv.code: lv for lv in db.session.query(Level)}
    assert set(levels) == {"L4", "L3", "L2", "L1"}
    for lv in levels.values():
        assert sum(w.percent for w in lv.weights) == 100
        assert lv.total_points == 100
        assert lv.pass_mark == 60
    assert levels["L4"].item_count == 85 and levels["L1"].item_count == 46
    assert levels["L2"].duration_minutes == 120
