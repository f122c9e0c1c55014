"""Questions carry a use (用途): practice only, exam only or both (every existing question: both).
Each version has its use and the question row a copy of the current one; ``bank_cells`` counts per
use as well, so certification papers count 考试 + 两者 and mocks 练习 + 两者; the cell index ends
with the use so a paper samples a cell's usable questions from the index alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

The triggers of 0004 are replaced by ones that count per use (and back on downgrade). On SQLite
the columns are added in place (``ALTER TABLE … ADD COLUMN`` with the CHECK on the column), so
tables that others reference are never rebuilt.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

USES = ('practice', 'exam', 'both')
LEVEL_BITS = (1, 2, 4, 8)
#: a question counts in its cells while it is active and in no enemy group
COUNTS_IF = "{r}status = 'active' AND {r}enemy_group IS NULL AND {r}area_code IS NOT NULL"


def _use_column(enum_name: str, table: str) -> sa.Column:
    check = sa.CheckConstraint("use IN ('practice', 'exam', 'both')", name=op.f(f'ck_{table}_{enum_name}'))
    return sa.Column('use', sa.Enum(*USES, name=enum_name, native_enum=False, create_constraint=False, length=16),
                     check, server_default='both', nullable=False)


def _triggers(per_use: bool) -> list[str]:
    """The statements that create the cell-count triggers: per use (this revision) or not (0004)."""
    use_col, new_use, old_use = (", use", ", NEW.use", " AND use = OLD.use") if per_use else ("", "", "")
    key = f"level_bit, area_code, type, difficulty{use_col}"
    watched = "status, enemy_group, area_code, type, difficulty, levels_mask" + (", use" if per_use else "")
    when_new, when_old = COUNTS_IF.format(r="NEW."), COUNTS_IF.format(r="OLD.")
    remove_where = ("(OLD.levels_mask & level_bit) <> 0 AND area_code = OLD.area_code AND type = OLD.type "
                    f"AND difficulty = OLD.difficulty{old_use}")
    stamp = "UPDATE bank_cells SET n = abs(random() % 2000000000) WHERE level_bit = 0"
    if op.get_bind().dialect.name == "postgresql":
        pg_stamp = "UPDATE bank_cells SET n = floor(random() * 2000000000)::int WHERE level_bit = 0;"
        function = f"""
CREATE FUNCTION bank_cells_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {when_old} THEN
    UPDATE bank_cells SET n = n - 1 WHERE {remove_where};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {when_new} THEN
    INSERT INTO bank_cells ({key}, n)
      SELECT b, NEW.area_code, NEW.type, NEW.difficulty{new_use}, 1 FROM unnest(ARRAY{list(LEVEL_BITS)}) AS b
      WHERE (NEW.levels_mask & b) <> 0
    ON CONFLICT ({key}) DO UPDATE SET n = bank_cells.n + 1;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF OLD.enemy_group IS NOT NULL THEN
      {pg_stamp}
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.enemy_group IS NOT NULL THEN
      {pg_stamp}
    END IF;
  END IF;
  RETURN NULL;
END $$
"""
        return [function, f"CREATE TRIGGER bank_cells_track AFTER INSERT OR DELETE OR UPDATE OF {watched} ON questions "
                          "FOR EACH ROW EXECUTE FUNCTION bank_cells_track()"]
    # SQLite: one statement per direction, guarded by WHERE (trigger bodies have no IF)
    add = (f"INSERT INTO bank_cells ({key}, n) SELECT * FROM ("
           + " UNION ALL ".join(f"SELECT {b}, NEW.area_code, NEW.type, NEW.difficulty{new_use}, 1 "
                                f"WHERE (NEW.levels_mask & {b}) <> 0" for b in LEVEL_BITS)
           + f") WHERE {when_new} ON CONFLICT ({key}) DO UPDATE SET n = n + 1;")
    remove = f"UPDATE bank_cells SET n = n - 1 WHERE {remove_where} AND {when_old};"
    stamp_if = {
        "ins": f"{stamp} AND NEW.enemy_group IS NOT NULL;",
        "del": f"{stamp} AND OLD.enemy_group IS NOT NULL;",
        "upd": f"{stamp} AND (OLD.enemy_group IS NOT NULL OR NEW.enemy_group IS NOT NULL);",
    }
    return [f"CREATE TRIGGER bank_cells_{name} AFTER {event} ON questions FOR EACH ROW BEGIN {body} {stamp_if[name]} END"
            for name, event, body in (("ins", "INSERT", add), ("del", "DELETE", remove),
                                      ("upd", f"UPDATE OF {watched}", remove + add))]


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER bank_cells_track ON questions")
        op.execute("DROP FUNCTION bank_cells_track()")
    else:
        for name in ("ins", "del", "upd"):
            op.execute(f"DROP TRIGGER bank_cells_{name}")


def _bank_cells(per_use: bool) -> None:
    """``bank_cells`` (re)created and counted from ``questions``, with its stamp row."""
    op.drop_table('bank_cells')
    key = ['level_bit', 'area_code', 'type', 'difficulty'] + (['use'] if per_use else [])
    op.create_table('bank_cells',
    sa.Column('level_bit', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('difficulty', sa.String(length=16), nullable=False),
    *([sa.Column('use', sa.String(length=16), nullable=False)] if per_use else []),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_bank_cells'))
    )
    columns = ", ".join(key)
    # level_bit 0 holds no count but the stamp of the enemy-grouped questions (see 0004)
    blanks = ", ".join("''" for _ in key[1:])
    op.execute(f"INSERT INTO bank_cells ({columns}, n) VALUES (0, {blanks}, 0)")
    grouped = ", ".join(key[1:])
    for bit in LEVEL_BITS:
        op.execute(f"""
            INSERT INTO bank_cells ({columns}, n)
            SELECT {bit}, {grouped}, count(*) FROM questions
            WHERE {COUNTS_IF.format(r='')} AND (levels_mask & {bit}) <> 0
            GROUP BY {grouped}
        """)


def upgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.add_column(_use_column('question_use', 'question_versions'))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(_use_column('question_cell_use', 'questions'))
        batch_op.drop_index('ix_questions_cell')
        batch_op.create_index('ix_questions_cell', ['status', 'area_code', 'type', 'difficulty', 'enemy_group', 'levels_mask', 'use', 'id'], unique=False)
    _bank_cells(per_use=True)
    for statement in _triggers(per_use=True):
        op.execute(statement)


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_cell')
        batch_op.create_index('ix_questions_cell', ['status', 'area_code', 'type', 'difficulty', 'enemy_group', 'levels_mask', 'id'], unique=False)
    op.drop_column('questions', 'use')
    op.drop_column('question_versions', 'use')
    _bank_cells(per_use=False)
    for statement in _triggers(per_use=False):
        op.execute(statement)
