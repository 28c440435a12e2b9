"""Trust and safety: submissions' moderation and privacy, blocked people

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 06:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing submissions stay shown and public; existing people are not blocked.
    for table in ('problem', 'idea'):
        op.add_column(table, sa.Column('moderation', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='shown'))
        op.add_column(table, sa.Column('private', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('citizen', sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('citizen', sa.Column('blocked_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('citizen', sa.Column('block_notified', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('citizen') as batch:
        batch.drop_column('block_notified')
        batch.drop_column('blocked_reason')
        batch.drop_column('blocked_at')
    for table in ('idea', 'problem'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('private')
            batch.drop_column('moderation')
