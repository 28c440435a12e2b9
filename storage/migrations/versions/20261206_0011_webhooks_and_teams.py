"""Webhooks, teams and which team each submission is with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('webhook',
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('include_personal_data', sa.Boolean(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('team',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('slack_channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('telegram_chat', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('team_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'target_id')
    )
    with op.batch_alter_table('team_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_assignment_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('team_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_assignment_team_id'))
    op.drop_table('team_assignment')
    op.drop_table('team')
    op.drop_table('webhook')
