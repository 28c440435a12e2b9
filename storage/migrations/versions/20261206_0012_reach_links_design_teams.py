"""Measured reach (diffusers' personal links, people who started through them); design teams

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('design_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('formed_by', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('slack_channel_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('slack_channel_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('slack_pinned_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('telegram_chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('telegram_invite_link', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('formed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idea_id')
    )
    op.create_table('reach_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcast.id'], ),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('broadcast_id', 'citizen_id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('reach_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_link_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_link_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('reach_start',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ),
    sa.ForeignKeyConstraint(['link_id'], ['reach_link.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('citizen_id')
    )
    with op.batch_alter_table('reach_start', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_start_link_id'), ['link_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reach_start', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_start_link_id'))
    op.drop_table('reach_start')
    with op.batch_alter_table('reach_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_link_citizen_id'))
        batch_op.drop_index(batch_op.f('ix_reach_link_broadcast_id'))
    op.drop_table('reach_link')
    op.drop_table('design_team')
