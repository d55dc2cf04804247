"""Drop ``ix_ledger_person``: ``ix_ledger_person_period`` (person, period) serves every query
by person, and each index of the ledger, the largest table, costs every ingest.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ledger_person", table_name="ledger")


def downgrade() -> None:
    op.create_index("ix_ledger_person", "ledger", ["person"], unique=False)
