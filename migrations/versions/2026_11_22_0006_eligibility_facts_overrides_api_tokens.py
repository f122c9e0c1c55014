"""eligibility facts, overrides, api tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_api_tokens_token_sha256'))
    )
    op.create_table('eligibility_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_eligibility_overrides_decided_by_id_users')),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_eligibility_overrides_level_id_levels')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_eligibility_overrides_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_overrides')),
    sa.UniqueConstraint('user_id', 'level_id', name='uq_eligibility_overrides_user_level')
    )
    with op.batch_alter_table('eligibility_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_overrides_user_id'), ['user_id'], unique=False)

    op.create_table('service_breaks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.CheckConstraint('end_on > start_on', name=op.f('ck_service_breaks_end_after_start')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_breaks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_breaks'))
    )
    with op.batch_alter_table('service_breaks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_breaks_user_id'), ['user_id'], unique=False)

    op.create_table('training_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.CheckConstraint('hours >= 0', name=op.f('ck_training_records_hours_nonnegative')),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_training_records_level_id_levels')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_records')),
    sa.UniqueConstraint('user_id', 'level_id', name='uq_training_records_user_level')
    )
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_records_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificates_updated_at'), ['updated_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificates_revoked_by_id_users'), 'users', ['revoked_by_id'], ['id'])
    op.execute("UPDATE certificates SET updated_at = coalesce(revoked_at, created_at)")

    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eligibility_routes', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('probation_passed_on', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('probation_passed_on')

    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.drop_column('eligibility_routes')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_revoked_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificates_updated_at'))
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_records_user_id'))

    op.drop_table('training_records')
    with op.batch_alter_table('service_breaks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_breaks_user_id'))

    op.drop_table('service_breaks')
    with op.batch_alter_table('eligibility_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eligibility_overrides_user_id'))

    op.drop_table('eligibility_overrides')
    op.drop_table('api_tokens')
