"""``finding_evidence``: per finding, what its rule's ``evidence:`` clauses found in the last
run that looked them up, so that an incremental run looks up again only the findings whose
matches, or the facts their lookup could find, changed (``engine.run.incremental``).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_evidence",
        sa.Column("plan", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan", "key"),
    )


def downgrade() -> None:
    op.drop_table("finding_evidence")
