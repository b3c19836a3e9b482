"""A clerk's claim on a hazard (处理中): who holds it and since when.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, not a batch copy: SQLite would rebuild the hazards table
    # (it accepts a REFERENCES clause on an added column, not a separate constraint).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE hazards ADD COLUMN claimed_by_id INTEGER REFERENCES users (id)')
    else:
        op.add_column('hazards', sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_hazards_claimed_by_id_users'), 'hazards', 'users', ['claimed_by_id'], ['id'])
    op.add_column('hazards', sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ drops a column's own REFERENCES with it): a batch
    # copy of hazards would break the tables that reference it, as 0013 says.
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_hazards_claimed_by_id_users'), 'hazards', type_='foreignkey')
    op.drop_column('hazards', 'claimed_at')
    op.drop_column('hazards', 'claimed_by_id')
