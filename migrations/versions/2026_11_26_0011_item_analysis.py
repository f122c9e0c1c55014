"""Item analysis (试题分析): each sitting's stored figures (sitting_analyses, one row per question version in
item_statistics) and each question's standing flags (question_flags), which pools read to leave out
questions with negative discrimination until a trainer clears them.

Revision ID: 0011
Revises: 0016
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sitting_analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('computed_by_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('data_until', sa.DateTime(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['computed_by_id'], ['users.id'], name=op.f('fk_sitting_analyses_computed_by_id_users')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_sitting_analyses_sitting_id_sittings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sitting_analyses')),
    sa.UniqueConstraint('sitting_id', name=op.f('uq_sitting_analyses_sitting_id'))
    )
    op.create_table('item_statistics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('p', sa.Float(), nullable=False),
    sa.Column('mean_score', sa.Float(), nullable=False),
    sa.Column('sd', sa.Float(), nullable=True),
    sa.Column('r_corrected', sa.Float(), nullable=True),
    sa.Column('d_index', sa.Float(), nullable=True),
    sa.Column('p_upper', sa.Float(), nullable=True),
    sa.Column('p_lower', sa.Float(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['analysis_id'], ['sitting_analyses.id'],
                            name=op.f('fk_item_statistics_analysis_id_sitting_analyses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_item_statistics_question_id_questions')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'],
                            name=op.f('fk_item_statistics_question_version_id_question_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_statistics'))
    )
    op.create_index(op.f('ix_item_statistics_analysis_id'), 'item_statistics', ['analysis_id'], unique=False)
    op.create_index(op.f('ix_item_statistics_question_id'), 'item_statistics', ['question_id'], unique=False)
    op.create_table('question_flags',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.Column('open_flags', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=True),
    sa.Column('data_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('cleared_flags', sa.Integer(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('cleared_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['users.id'], name=op.f('fk_question_flags_cleared_by_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_flags_question_id_questions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'],
                            name=op.f('fk_question_flags_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_question_flags_sitting_id_sittings'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('question_id', name=op.f('pk_question_flags'))
    )
    op.create_index(op.f('ix_question_flags_open_flags'), 'question_flags', ['open_flags'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_question_flags_open_flags'), table_name='question_flags')
    op.drop_table('question_flags')
    op.drop_index(op.f('ix_item_statistics_question_id'), table_name='item_statistics')
    op.drop_index(op.f('ix_item_statistics_analysis_id'), table_name='item_statistics')
    op.drop_table('item_statistics')
    op.drop_table('sitting_analyses')
