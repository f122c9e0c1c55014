"""Certificates are numbered from a counter per level and year (certificate_serials) at grading and rendered by background workers: the PDF and its SHA-256
arrive later (rendered_at), from the values fixed at grading (render_values). On PostgreSQL the job
queue's tables (Procrastinate) live in their own schema ``procrastinate``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('render_values', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rendered_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_index(batch_op.f('ix_certificates_rendered_at'), ['rendered_at'], unique=False)
    serials = op.create_table('certificate_serials',
    sa.Column('level_code', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level_code', 'year', name=op.f('pk_certificate_serials'))
    )
    # numbers already given: VIP-<level>-<year>-<serial>-<check>
    last: dict[tuple[str, int], int] = {}
    for (number,) in op.get_bind().execute(sa.text('SELECT number FROM certificates')):
        _vip, level, year, serial, _check = number.split('-')
        last[(level, int(year))] = max(last.get((level, int(year)), 0), int(serial))
    if last:
        op.bulk_insert(serials, [{'level_code': lv, 'year': y, 'last': n} for (lv, y), n in last.items()])
    if op.get_bind().dialect.name == 'postgresql':
        from procrastinate.schema import SchemaManager

        op.execute('CREATE SCHEMA procrastinate')
        op.execute('SET LOCAL search_path TO procrastinate')
        op.execute(sa.text(SchemaManager.get_schema().replace(':', r'\:')))
        op.execute('SET LOCAL search_path TO public')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP SCHEMA procrastinate CASCADE')
    op.drop_table('certificate_serials')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_rendered_at'))
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('rendered_at')
        batch_op.drop_column('render_values')
