"""Per-category time estimates (Kaplan-Meier quartiles of the time to first response and to done)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op



revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('category_estimate',
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('finished', sa.Integer(), nullable=False),
    sa.Column('still_open', sa.Integer(), nullable=False),
    sa.Column('first_response_low', sa.Float(), nullable=True),
    sa.Column('first_response_high', sa.Float(), nullable=True),
    sa.Column('done_low', sa.Float(), nullable=True),
    sa.Column('done_high', sa.Float(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('category')
    )


def downgrade() -> None:
    op.drop_table('category_estimate')
