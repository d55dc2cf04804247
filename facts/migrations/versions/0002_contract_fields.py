"""Contract fields the legal rules need; ids up to 255 characters.

- ``reminder.basis`` (JSON list of ``kind:id``), ``violation.case_closed``,
  ``violation.source``, ``violation.verified``, ``disunity.verified``;
- ``verified`` of existing rows is ``source != 'petition'`` (existing violations have no
  source, so they are verified); ``disunity.source`` becomes a code: an existing free-text
  source that is not one is set to ``other`` and its text kept in ``attrs.source_text``;
- the ``id`` column of every fact table widens from 64 to 255 characters (reference
  columns are unbounded text already).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ('unit', 'person', 'post', 'ledger', 'inspection', 'reminder', 'rectification',
               'violation', 'disunity', 'evaluation', 'proposal', 'accountability')
SOURCES = ('inspection', 'investigation', 'ledger', 'evaluation', 'petition', 'other')


def _free_text_sources_to_other() -> None:
    """A disunity ``source`` that is not a code becomes ``other``; its text goes to attrs."""
    disunity = sa.table('disunity', sa.column('id', sa.String()), sa.column('source', sa.String()),
                        sa.column('attrs', sa.JSON()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(disunity.c.id, disunity.c.source, disunity.c.attrs).where(
        disunity.c.source.is_not(None), disunity.c.source.not_in(SOURCES))).all()
    for fact_id, source, attrs in rows:
        connection.execute(disunity.update().where(disunity.c.id == fact_id).values(
            source='other', attrs={**(attrs or {}), 'source_text': source}))


def upgrade() -> None:
    for name in FACT_TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column('id', existing_type=sa.String(length=64),
                                  type_=sa.String(length=255), existing_nullable=False)

    with op.batch_alter_table('reminder') as batch_op:
        batch_op.add_column(sa.Column('basis', sa.JSON(), nullable=True))

    _free_text_sources_to_other()
    for name in ('violation', 'disunity'):
        with op.batch_alter_table(name) as batch_op:
            if name == 'violation':
                batch_op.add_column(sa.Column('case_closed', sa.Date(), nullable=True))
                batch_op.add_column(sa.Column('source', sa.String(), nullable=True))
            batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=False,
                                          server_default=sa.true()))
        table = sa.table(name, sa.column('source', sa.String()), sa.column('verified', sa.Boolean()))
        op.execute(table.update().where(table.c.source == 'petition').values(verified=False))
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column('verified', existing_type=sa.Boolean(), existing_nullable=False,
                                  server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('disunity') as batch_op:
        batch_op.drop_column('verified')
    with op.batch_alter_table('violation') as batch_op:
        batch_op.drop_column('verified')
        batch_op.drop_column('source')
        batch_op.drop_column('case_closed')
    with op.batch_alter_table('reminder') as batch_op:
        batch_op.drop_column('basis')
    for name in FACT_TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column('id', existing_type=sa.String(length=255),
                                  type_=sa.String(length=64), existing_nullable=False)
