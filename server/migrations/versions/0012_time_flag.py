"""Flag a report whose claimed time is implausible (the phone's clock is off).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases (no batch copy of the hazards table).
    op.add_column('hazards', sa.Column('time_flag', sa.String(length=10), nullable=True))
    # Reports already filed: judged as they would be now, against when they arrived.
    op.execute(
        "UPDATE hazards SET time_flag = CASE "
        "WHEN observed_at > received_at + INTERVAL '10 minutes' THEN 'ahead' "
        "WHEN observed_at < received_at - INTERVAL '30 days' THEN 'behind' END"
        if op.get_bind().dialect.name == 'postgresql' else
        "UPDATE hazards SET time_flag = CASE "
        "WHEN observed_at > datetime(received_at, '+10 minutes') THEN 'ahead' "
        "WHEN observed_at < datetime(received_at, '-30 days') THEN 'behind' END"
    )


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of hazards would break its references.
    op.drop_column('hazards', 'time_flag')
