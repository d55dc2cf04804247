"""Drop ``ix_ledger_verdict`` and ``ix_ledger_task``: no query is served by them. A verdict
has three values and a task code a few dozen, each shared by a large part of the ledger;
every read of ledger rows goes by person (``ix_ledger_person_period``), by period (the
quarterly circulation), by date or by ingest batch. Each index of the ledger, the largest
table, is written by every ingest: these two cost a sixth of the writer's time.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ledger_verdict", table_name="ledger")
    op.drop_index("ix_ledger_task", table_name="ledger")


def downgrade() -> None:
    op.create_index("ix_ledger_task", "ledger", ["task"], unique=False)
    op.create_index("ix_ledger_verdict", "ledger", ["verdict"], unique=False)
