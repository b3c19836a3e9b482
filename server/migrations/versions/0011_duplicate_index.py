"""Index the hazard each duplicate was merged into: its reporters follow that one's fate.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_hazards_duplicate_of_id'), 'hazards', ['duplicate_of_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_hazards_duplicate_of_id'), table_name='hazards')
