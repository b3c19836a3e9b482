"""Departments can be deactivated (停用): routing and new accounts skip them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases; every department there is now stays active.
    op.add_column(
        'departments',
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of departments would break its references.
    op.drop_column('departments', 'active')
