"""question fingerprints and import uploads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Existing versions get their fingerprint computed here, with the same folding the importer uses.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from question_bank.normalize import stem_fingerprint

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'imported', 'discarded', name='import_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_uploads_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_uploads'))
    )
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_uploads_created_by_id'), ['created_by_id'], unique=False)

    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=20), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_question_versions_fingerprint'), ['fingerprint'], unique=False)

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_updated_at'), ['updated_at'], unique=False)

    conn = op.get_bind()
    versions = sa.table('question_versions', sa.column('id', sa.Integer), sa.column('stem', sa.Text),
                        sa.column('fingerprint', sa.String))
    rows = conn.execute(sa.select(versions.c.id, versions.c.stem)).all()
    if rows:
        conn.execute(versions.update().where(versions.c.id == sa.bindparam('vid')).values(fingerprint=sa.bindparam('fp')),
                     [{'vid': vid, 'fp': stem_fingerprint(stem)} for vid, stem in rows])
    op.execute("UPDATE questions SET updated_at = created_at WHERE updated_at IS NULL")



def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_updated_at'))
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_versions_fingerprint'))
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('tags')

    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_uploads_created_by_id'))

    op.drop_table('import_uploads')
