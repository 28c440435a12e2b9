"""An index for the daily broadcast cap: a person's sent broadcasts of the last 24 hours

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_broadcast_cap', ['citizen_id', 'kind', 'status', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_broadcast_cap')
