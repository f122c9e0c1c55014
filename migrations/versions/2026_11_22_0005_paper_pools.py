"""paper pools

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paper_pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'retired', name='pool_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_paper_pools_created_by_id_users')),
    sa.ForeignKeyConstraint(['level_id'], ['levels.id'], name=op.f('fk_paper_pools_level_id_levels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_pools'))
    )
    with op.batch_alter_table('paper_pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_pools_level_id'), ['level_id'], unique=False)

    op.create_table('pool_papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('expected_score', sa.Float(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['paper_pools.id'], name=op.f('fk_pool_papers_pool_id_paper_pools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_papers')),
    sa.UniqueConstraint('pool_id', 'position', name='uq_pool_papers_pool_position')
    )
    with op.batch_alter_table('pool_papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_papers_pool_id'), ['pool_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool_paper_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attempts_pool_paper_id'), ['pool_paper_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attempts_pool_paper_id_pool_papers'), 'pool_papers', ['pool_paper_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attempts_pool_paper_id_pool_papers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attempts_pool_paper_id'))
        batch_op.drop_column('pool_paper_id')

    with op.batch_alter_table('pool_papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_papers_pool_id'))

    op.drop_table('pool_papers')
    with op.batch_alter_table('paper_pools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_pools_level_id'))

    op.drop_table('paper_pools')
