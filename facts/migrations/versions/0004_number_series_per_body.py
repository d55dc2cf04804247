"""Each issuing body has its own series of reference numbers: (prefix, year, seq) is unique,
not (year, seq) — 县纪建〔2026〕1号 and 县组建〔2026〕1号 may both exist.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(unique: tuple[str, ...], name: str | None) -> None:
    """Copy the table into one with the new unique constraint (the old one is unnamed on
    SQLite, so it cannot be dropped in place on both databases alike)."""
    op.create_table(
        "document_number_new",
        sa.Column("recommendation_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("recommendation_id"),
        sa.UniqueConstraint(*unique, name=name),
    )
    op.execute("INSERT INTO document_number_new (recommendation_id, year, seq, prefix) "
               "SELECT recommendation_id, year, seq, prefix FROM document_number")
    op.drop_table("document_number")
    op.rename_table("document_number_new", "document_number")


def upgrade() -> None:
    _rebuild(("prefix", "year", "seq"), "uq_document_number_series")


def downgrade() -> None:
    _rebuild(("year", "seq"), None)
