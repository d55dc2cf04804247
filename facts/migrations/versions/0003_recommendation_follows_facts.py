"""A recommendation follows its facts: why and by which run its status last changed, what
changed under a decided one, and the findings of each run that made no recommendation.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation") as batch:
        batch.add_column(sa.Column("status_reason", sa.String(), nullable=True))
        batch.add_column(sa.Column("status_run", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("facts_changed", sa.JSON(), nullable=True))
    with op.batch_alter_table("evaluation_run") as batch:
        batch.add_column(sa.Column("set_aside", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_run") as batch:
        batch.drop_column("set_aside")
    with op.batch_alter_table("recommendation") as batch:
        batch.drop_column("facts_changed")
        batch.drop_column("status_run")
        batch.drop_column("status_reason")
