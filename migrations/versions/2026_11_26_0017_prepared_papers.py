"""Papers made ready in the lobby (候考) before a sitting starts, copied into the attempt at the start.

Revision ID: 0017
Revises: 0011
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'prepared_papers',
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('pool_id', sa.Integer(), nullable=False),
        sa.Column('pool_paper_id', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('total_points', sa.Integer(), nullable=False),
        sa.Column('items', sa.Text(), nullable=False),
        sa.Column('prepared_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_prepared_papers_enrolment_id_enrolments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['pool_id'], ['paper_pools.id'], name=op.f('fk_prepared_papers_pool_id_paper_pools'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['pool_paper_id'], ['pool_papers.id'],
                                name=op.f('fk_prepared_papers_pool_paper_id_pool_papers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('enrolment_id', name=op.f('pk_prepared_papers')),
    )
    with op.batch_alter_table('prepared_papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepared_papers_pool_id'), ['pool_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('prepared_papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepared_papers_pool_id'))
    op.drop_table('prepared_papers')
