"""Certificates are looked up by the SHA-256 of their file (/verify: a dropped PDF or a pasted hash).

Revision ID: 0015
Revises: 0010
Create Date: 2026-11-26
"""
from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_sha256'))
