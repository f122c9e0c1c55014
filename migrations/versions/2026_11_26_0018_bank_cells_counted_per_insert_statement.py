"""PostgreSQL: questions inserted together are counted in ``bank_cells`` once per statement, not per row.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26

The row trigger of 0010 upserted the same few cell rows once for every new question: an import of
10,000 questions wrote each of them thousands of times in one transaction, and every upsert walked the
row's growing chain of versions (2,000 questions took 0.09 s in the trigger, 10,000 took 2.8 s). An
INSERT now fires one statement trigger that adds each cell's count of the inserted rows (its transition
table) in one upsert, and changes the enemy-group stamp once when any of them is in a group. Deletes and
updates keep the row trigger. SQLite keeps its row triggers: it keeps no row versions to walk.
"""
from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

#: as in 0010
WATCHED = "status, enemy_group, area_code, type, difficulty, levels_mask, use"
COUNTS_IF = "status = 'active' AND enemy_group IS NULL AND area_code IS NOT NULL"
KEY = "level_bit, area_code, type, difficulty, use"

ADD_INSERTED = f"""
CREATE FUNCTION bank_cells_add_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bank_cells ({KEY}, n)
    SELECT b, area_code, type, difficulty, use, count(*) FROM inserted, unnest(ARRAY[1, 2, 4, 8]) AS b
    WHERE {COUNTS_IF} AND (levels_mask & b) <> 0
    GROUP BY b, area_code, type, difficulty, use
  ON CONFLICT ({KEY}) DO UPDATE SET n = bank_cells.n + EXCLUDED.n;
  IF EXISTS (SELECT FROM inserted WHERE enemy_group IS NOT NULL) THEN
    UPDATE bank_cells SET n = floor(random() * 2000000000)::int WHERE level_bit = 0;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bank_cells_track ON questions")
    op.execute(f"CREATE TRIGGER bank_cells_track AFTER DELETE OR UPDATE OF {WATCHED} ON questions "
               "FOR EACH ROW EXECUTE FUNCTION bank_cells_track()")
    op.execute(ADD_INSERTED)
    op.execute("CREATE TRIGGER bank_cells_add_inserted AFTER INSERT ON questions REFERENCING NEW TABLE AS inserted "
               "FOR EACH STATEMENT EXECUTE FUNCTION bank_cells_add_inserted()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bank_cells_add_inserted ON questions")
    op.execute("DROP FUNCTION bank_cells_add_inserted()")
    op.execute("DROP TRIGGER bank_cells_track ON questions")
    op.execute(f"CREATE TRIGGER bank_cells_track AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON questions "
               "FOR EACH ROW EXECUTE FUNCTION bank_cells_track()")
