"""cell counts for assembly

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Questions carry their current version's cell (area, type, difficulty, levels); ``bank_cells``
counts the active, ungrouped questions per (level, cell) and follows every change of
``questions`` through triggers, so assembling a paper reads counts, not the whole bank.

Note: on SQLite a later batch_alter_table on ``questions`` recreates the table and drops these
triggers; such a migration must create them again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LEVEL_BITS = (1, 2, 4, 8)
WATCHED = "status, enemy_group, area_code, type, difficulty, levels_mask"
#: a question counts in its cells while it is active and in no enemy group
COUNTS_IF = "{r}status = 'active' AND {r}enemy_group IS NULL AND {r}area_code IS NOT NULL"
COUNTS = COUNTS_IF.format(r="")


def _when(row: str) -> str:
    return COUNTS_IF.format(r=f"{row}.")


# SQLite: one statement per direction, guarded by WHERE (trigger bodies have no IF)
ADD = ("INSERT INTO bank_cells (level_bit, area_code, type, difficulty, n) SELECT * FROM ("
       + " UNION ALL ".join(f"SELECT {b}, NEW.area_code, NEW.type, NEW.difficulty, 1 WHERE (NEW.levels_mask & {b}) <> 0"
                            for b in LEVEL_BITS)
       + f") WHERE {_when('NEW')} "
       "ON CONFLICT (level_bit, area_code, type, difficulty) DO UPDATE SET n = n + 1;")
#: level_bit 0 holds no count but a stamp that changes with every change to a question in an enemy
#: group, so the (small) list of grouped questions can be cached between papers
STAMP = "UPDATE bank_cells SET n = abs(random() % 2000000000) WHERE level_bit = 0"
STAMP_IF = {
    "ins": f"{STAMP} AND NEW.enemy_group IS NOT NULL;",
    "del": f"{STAMP} AND OLD.enemy_group IS NOT NULL;",
    "upd": f"{STAMP} AND (OLD.enemy_group IS NOT NULL OR NEW.enemy_group IS NOT NULL);",
}
REMOVE = ("UPDATE bank_cells SET n = n - 1 WHERE (OLD.levels_mask & level_bit) <> 0 AND area_code = OLD.area_code "
          f"AND type = OLD.type AND difficulty = OLD.difficulty AND {_when('OLD')};")

PG_FUNCTION = f"""
CREATE FUNCTION bank_cells_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {_when('OLD')} THEN
    UPDATE bank_cells SET n = n - 1 WHERE (OLD.levels_mask & level_bit) <> 0 AND area_code = OLD.area_code
      AND type = OLD.type AND difficulty = OLD.difficulty;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {_when('NEW')} THEN
    INSERT INTO bank_cells (level_bit, area_code, type, difficulty, n)
      SELECT b, NEW.area_code, NEW.type, NEW.difficulty, 1 FROM unnest(ARRAY{list(LEVEL_BITS)}) AS b
      WHERE (NEW.levels_mask & b) <> 0
    ON CONFLICT (level_bit, area_code, type, difficulty) DO UPDATE SET n = bank_cells.n + 1;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF OLD.enemy_group IS NOT NULL THEN
      UPDATE bank_cells SET n = floor(random() * 2000000000)::int WHERE level_bit = 0;
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.enemy_group IS NOT NULL THEN
      UPDATE bank_cells SET n = floor(random() * 2000000000)::int WHERE level_bit = 0;
    END IF;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table('bank_cells',
    sa.Column('level_bit', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('difficulty', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level_bit', 'area_code', 'type', 'difficulty', name=op.f('pk_bank_cells'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('type', sa.Enum('true_false', 'single', 'multiple', 'fill_blank', 'short_answer', 'case_study', name='question_cell_type', native_enum=False, create_constraint=True, length=16), nullable=True))
        batch_op.add_column(sa.Column('difficulty', sa.Enum('easy', 'medium', 'hard', name='question_cell_difficulty', native_enum=False, create_constraint=True, length=16), nullable=True))
        batch_op.add_column(sa.Column('levels_mask', sa.Integer(), nullable=True))
        batch_op.create_index('ix_questions_cell', ['status', 'area_code', 'type', 'difficulty', 'enemy_group', 'levels_mask', 'id'], unique=False)
        # the cell index starts with status; a second index on status alone made SQLite's planner
        # walk every active question in id order instead of seeking one cell
        batch_op.drop_index('ix_questions_status')
    op.execute("""
        UPDATE questions SET (area_code, type, difficulty, levels_mask) = (
            SELECT v.area_code, v.type, v.difficulty, v.levels_mask FROM question_versions v
            WHERE v.id = questions.current_version_id)
    """)
    op.execute("INSERT INTO bank_cells (level_bit, area_code, type, difficulty, n) VALUES (0, '', '', '', 0)")
    for bit in LEVEL_BITS:
        op.execute(f"""
            INSERT INTO bank_cells (level_bit, area_code, type, difficulty, n)
            SELECT {bit}, area_code, type, difficulty, count(*) FROM questions
            WHERE {COUNTS} AND (levels_mask & {bit}) <> 0
            GROUP BY area_code, type, difficulty
        """)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(f"CREATE TRIGGER bank_cells_track AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON questions "
                   "FOR EACH ROW EXECUTE FUNCTION bank_cells_track()")
    else:
        for name, event, body in (("ins", "INSERT", ADD), ("del", "DELETE", REMOVE),
                                  ("upd", f"UPDATE OF {WATCHED}", REMOVE + ADD)):
            op.execute(f"CREATE TRIGGER bank_cells_{name} AFTER {event} ON questions FOR EACH ROW "
                       f"BEGIN {body} {STAMP_IF[name]} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER bank_cells_track ON questions")
        op.execute("DROP FUNCTION bank_cells_track()")
    else:
        for name in ("ins", "del", "upd"):
            op.execute(f"DROP TRIGGER bank_cells_{name}")
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_cell')
        batch_op.create_index('ix_questions_status', ['status'], unique=False)
        batch_op.drop_column('levels_mask')
        batch_op.drop_column('difficulty')
        batch_op.drop_column('type')
        batch_op.drop_column('area_code')

    op.drop_table('bank_cells')
