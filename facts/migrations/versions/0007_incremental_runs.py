"""Incremental runs: what each committed run saw (``evaluation_run.state``: the last ingest
batch it evaluated, the number of facts, as of which date) and the matches of every
partition it evaluated (``partition_match``), so that the next run re-evaluates only the
partitions whose facts or time windows changed.

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_run") as batch:
        batch.add_column(sa.Column("state", sa.JSON(), nullable=True))
    op.create_table(
        "partition_match",
        sa.Column("plan", sa.String(), nullable=False),
        sa.Column("partition", sa.String(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan", "partition"),
    )


def downgrade() -> None:
    op.drop_table("partition_match")
    with op.batch_alter_table("evaluation_run") as batch:
        batch.drop_column("state")
