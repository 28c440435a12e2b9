"""Follow-ups are claimed when due: no `armed` flag, an index for the claim, and no
APScheduler job table (its jobs are kept in memory and re-added at every start)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:55:55.431619
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_pending')
        batch_op.create_index('ix_followup_due', ['status', 'due_at'], unique=False)
        batch_op.drop_column('armed')

    # APScheduler created this table itself (only in databases a scheduler ran on), so it
    # may be missing. Its rows were timers for follow-up rows and the recurring jobs; the
    # follow-up rows are what the claim job reads, and the recurring jobs are re-added.
    op.execute(sa.text('DROP TABLE IF EXISTS apscheduler_jobs'))


def downgrade() -> None:
    # The old scheduler creates its job table again and arms every pending follow-up at start.
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('armed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_index('ix_followup_due')
        batch_op.create_index('ix_followup_pending', ['status', 'armed'], unique=False)
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.alter_column('armed', server_default=None)  # as revision 0003 made it
