"""Uploaded imports keep what was read from them: the file is parsed once, when it arrives, and the
dry run is planned from the stored result on every later look (until confirmed or discarded).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26

A nullable JSON column: uploads stored before it are read again from their file when looked at.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parsed', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.drop_column('parsed')
