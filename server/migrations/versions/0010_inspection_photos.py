"""Inspection answers cite their photos in a table, so that the photos can be shown.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_photos',
    sa.Column('answer_id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['inspection_answers.id'], name=op.f('fk_inspection_photos_answer_id_inspection_answers')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_photos_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('answer_id', 'sha256', name=op.f('pk_inspection_photos'))
    )
    op.create_index(op.f('ix_inspection_photos_sha256'), 'inspection_photos', ['sha256'], unique=False)
    # The answers filed before this revision keep their photos as a JSON list.
    answers = sa.table(
        'inspection_answers',
        sa.column('id', sa.Uuid()),
        sa.column('inspection_id', sa.Uuid()),
        sa.column('photos', sa.JSON()),
    )
    photos = sa.table(
        'inspection_photos',
        sa.column('answer_id', sa.Uuid()),
        sa.column('sha256', sa.String()),
        sa.column('inspection_id', sa.Uuid()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(answers))
    while batch := rows.fetchmany(5000):
        cited = [
            {'answer_id': a.id, 'sha256': sha256, 'inspection_id': a.inspection_id}
            for a in batch
            for sha256 in dict.fromkeys(a.photos or [])
        ]
        if cited:
            bind.execute(photos.insert(), cited)


def downgrade():
    op.drop_index(op.f('ix_inspection_photos_sha256'), table_name='inspection_photos')
    op.drop_table('inspection_photos')
