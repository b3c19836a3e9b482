"""Invite codes (邀请码) volunteers join with.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('quota', sa.Integer(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quota > 0', name=op.f('ck_invites_quota')),
        sa.CheckConstraint('used >= 0 AND used <= quota', name=op.f('ck_invites_used')),
        sa.ForeignKeyConstraint(
            ['area_id'], ['areas.id'], name=op.f('fk_invites_area_id_areas')),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'], name=op.f('fk_invites_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invites')),
        sa.UniqueConstraint('code', name=op.f('uq_invites_code')),
    )


def downgrade():
    op.drop_table('invites')
