"""Drop ``ix_ledger_period``: the quarterly circulation, the one query by period, is read
faster without it. Planning without statistics, SQLite took the period index as the way in
and read every county's filings of the quarter to keep one county's (2.0 s for a county of a
city's store; through ``ix_ledger_person_period``, by the county's persons, 0.35 s, and the
same in a store of one county). PostgreSQL, planning by statistics, reads a store of one
county's quarter whole without it (0.2 s with the index, 0.5 s without: once a quarter).
Each index of the ledger, the largest table, is written by every ingest, every night.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ledger_period", table_name="ledger", if_exists=True)  # a store a DBA
    # already relieved of it upgrades as well


def downgrade() -> None:
    op.create_index("ix_ledger_period", "ledger", ["period"], unique=False)
