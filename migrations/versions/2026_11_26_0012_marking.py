"""Marking a certification body signs off: every marker's mark is kept (marks), case studies of
certification attempts are double-marked at the levels that say so (levels.double_marking, with the
allowed difference levels.marking_tolerance), and each answer fixes at its first mark whether it
needs two marks (answers.double_marking).

Revision ID: 0012
Revises: 0015
Create Date: 2026-11-26

Levels whose paper holds case studies start with double marking on (the reference data does the
same for new databases). Answers a trainer marked before this revision get their mark as round 1.
On SQLite the columns are added in place (``ALTER TABLE … ADD COLUMN``), so the referenced tables
are never rebuilt.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('double_marking', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column(
            'marking_tolerance', sa.Float(),
            sa.CheckConstraint('marking_tolerance >= 0', name=op.f('ck_levels_marking_tolerance_range')),
            server_default='2', nullable=False))
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('double_marking', sa.Boolean(), nullable=True))
    op.create_table('marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('marker_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('point_scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('round >= 1 AND round <= 3', name=op.f('ck_marks_round_range')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_marks_points_nonnegative')),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_marks_answer_id_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marker_id'], ['users.id'], name=op.f('fk_marks_marker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marks')),
    sa.UniqueConstraint('answer_id', 'marker_id', name='uq_marks_answer_marker'),
    sa.UniqueConstraint('answer_id', 'round', name='uq_marks_answer_round')
    )
    op.create_index(op.f('ix_marks_marker_id'), 'marks', ['marker_id'], unique=False)
    op.execute("""UPDATE levels SET double_marking = true WHERE id IN
                  (SELECT level_id FROM paper_sections WHERE type = 'case_study' AND count > 0)""")
    op.execute("""INSERT INTO marks (answer_id, round, marker_id, points, point_scores, comment, marked_at)
                  SELECT id, 1, marked_by_id, score, '[]', marker_comment, marked_at FROM answers
                  WHERE marked_by_id IS NOT NULL AND score IS NOT NULL AND marked_at IS NOT NULL""")
    op.execute("UPDATE answers SET double_marking = false WHERE marked_by_id IS NOT NULL AND score IS NOT NULL")


def downgrade() -> None:
    op.drop_index(op.f('ix_marks_marker_id'), table_name='marks')
    op.drop_table('marks')
    # dropped in place: rebuilding levels or answers would break the rows that reference them
    with op.batch_alter_table('answers', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('double_marking')
    with op.batch_alter_table('levels', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('marking_tolerance')
        batch_op.drop_column('double_marking')
