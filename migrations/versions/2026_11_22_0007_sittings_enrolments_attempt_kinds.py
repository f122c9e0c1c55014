"""Sittings and enrolments; attempts get a kind (certification / mock) and their sitting

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sittings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.Enum('room', 'online', name='sitting_mode', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('allowed_networks', sa.JSON(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_sittings_window_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sittings_created_by_id_users')),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_sittings_level_id_levels')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_sittings_organization_id_organizations')),
    sa.ForeignKeyConstraint(['pool_id'], ['paper_pools.id'], name=op.f('fk_sittings_pool_id_paper_pools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sittings'))
    )
    with op.batch_alter_table('sittings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sittings_level_id'), ['level_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sittings_starts_at'), ['starts_at'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sitting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('extra_minutes', sa.Integer(), nullable=False),
    sa.Column('enrolled_by_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('extra_minutes >= 0 AND extra_minutes <= 600', name=op.f('ck_enrolments_extra_minutes_range')),
    sa.ForeignKeyConstraint(['enrolled_by_id'], ['users.id'], name=op.f('fk_enrolments_enrolled_by_id_users')),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_enrolments_sitting_id_sittings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrolments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('sitting_id', 'user_id', name='uq_enrolments_sitting_user')
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_sitting_id'), ['sitting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('certification', 'mock', name='attempt_kind', native_enum=False, create_constraint=True, length=16), nullable=False, server_default='certification'))
        batch_op.add_column(sa.Column('sitting_id', sa.Integer(), nullable=True))
        batch_op.drop_index('uq_attempts_one_open')
        batch_op.create_index('uq_attempts_one_open', ['user_id', 'level_id', 'kind'], unique=True, sqlite_where=sa.text("state = 'in_progress'"), postgresql_where=sa.text("state = 'in_progress'"))
        batch_op.create_index('uq_attempts_sitting_user', ['sitting_id', 'user_id'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_attempts_sitting_id_sittings'), 'sittings', ['sitting_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attempts_sitting_id_sittings'), type_='foreignkey')
        batch_op.drop_index('uq_attempts_sitting_user')
        batch_op.drop_index('uq_attempts_one_open', sqlite_where=sa.text("state = 'in_progress'"), postgresql_where=sa.text("state = 'in_progress'"))
        batch_op.create_index('uq_attempts_one_open', ['user_id', 'level_id'], unique=True, sqlite_where=sa.text("state = 'in_progress'"), postgresql_where=sa.text("state = 'in_progress'"))
        batch_op.drop_column('sitting_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_user_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_sitting_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('sittings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sittings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_sittings_level_id'))

    op.drop_table('sittings')
