"""Practice sets and their responses (专项练习, 错题本, progress); trainees' applications for sittings (报名申请)

Revision ID: 0016
Revises: 0013
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None

TYPES = ('true_false', 'single', 'multiple', 'fill_blank', 'short_answer', 'case_study')
DIFFICULTIES = ('easy', 'medium', 'hard')


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table('practice_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('practice_kind', 'practice', 'wrong_book'), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=True),
    sa.Column('type', _enum('practice_type', *TYPES), nullable=True),
    sa.Column('difficulty', _enum('practice_difficulty', *DIFFICULTIES), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_practice_sets_level_id_levels')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_sets_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_sets'))
    )
    with op.batch_alter_table('practice_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_sets_user_id'), ['user_id'], unique=False)

    op.create_table('practice_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.Column('type', _enum('practice_response_type', *TYPES), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_practice_responses_question_id_questions')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_practice_responses_question_version_id_question_versions')),
    sa.ForeignKeyConstraint(['set_id'], ['practice_sets.id'], name=op.f('fk_practice_responses_set_id_practice_sets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_responses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_responses')),
    sa.UniqueConstraint('set_id', 'position', name='uq_practice_responses_set_position')
    )
    with op.batch_alter_table('practice_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_responses_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_responses_set_id'), ['set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_responses_user_id'), ['user_id'], unique=False)

    op.create_table('sitting_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', _enum('application_status', 'pending', 'approved', 'refused', 'withdrawn'), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_sitting_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_sitting_applications_sitting_id_sittings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sitting_applications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sitting_applications')),
    sa.UniqueConstraint('sitting_id', 'user_id', name='uq_sitting_applications_sitting_user')
    )
    with op.batch_alter_table('sitting_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sitting_applications_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sitting_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_sitting_applications_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('sitting_applications')
    op.drop_table('practice_responses')
    op.drop_table('practice_sets')
