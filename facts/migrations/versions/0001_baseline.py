"""Baseline: the store schema before migrations (tests/data/store-v0.*.sql).

A store created before migrations existed has exactly these tables; wenze stamps it at
this revision instead of running it (facts/migrate.py).

Revision ID: 0001
Revises: (none: the first revision)
Create Date: 2026-11-25 09:36:41.430340
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('accountability',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('form', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_accountability_date'), 'accountability', ['date'], unique=False)
    op.create_index(op.f('ix_accountability_ingest_id'), 'accountability', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_accountability_person'), 'accountability', ['person'], unique=False)

    op.create_table('disunity',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('affects_work', sa.Boolean(), nullable=False),
    sa.Column('public_reaction', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_disunity_date'), 'disunity', ['date'], unique=False)
    op.create_index(op.f('ix_disunity_ingest_id'), 'disunity', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_disunity_unit'), 'disunity', ['unit'], unique=False)

    op.create_table('document_number',
    sa.Column('recommendation_id', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('recommendation_id'),
    sa.UniqueConstraint('year', 'seq')
    )
    op.create_table('evaluation',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('approval', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_evaluation_ingest_id'), 'evaluation', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_evaluation_person'), 'evaluation', ['person'], unique=False)
    op.create_index(op.f('ix_evaluation_year'), 'evaluation', ['year'], unique=False)

    op.create_table('evaluation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('rulebook_hash', sa.String(length=64), nullable=False),
    sa.Column('started', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('timings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('fact_version',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('src', sa.String(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('superseded_by_ingest', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('pk')
    )
    op.create_index(op.f('ix_fact_version_id'), 'fact_version', ['id'], unique=False)
    op.create_index(op.f('ix_fact_version_kind'), 'fact_version', ['kind'], unique=False)

    op.create_table('ingest_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started', sa.DateTime(timezone=True), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('loaded', sa.JSON(), nullable=False),
    sa.Column('replaced', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('inspection',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('person', sa.String(), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('group', sa.String(), nullable=False),
    sa.Column('mode', sa.String(), nullable=False),
    sa.Column('problem', sa.String(), nullable=False),
    sa.Column('severity', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_inspection_date'), 'inspection', ['date'], unique=False)
    op.create_index(op.f('ix_inspection_ingest_id'), 'inspection', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_inspection_person'), 'inspection', ['person'], unique=False)
    op.create_index(op.f('ix_inspection_unit'), 'inspection', ['unit'], unique=False)

    op.create_table('ledger',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('task', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('verdict', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ledger_date'), 'ledger', ['date'], unique=False)
    op.create_index(op.f('ix_ledger_ingest_id'), 'ledger', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_ledger_period'), 'ledger', ['period'], unique=False)
    op.create_index(op.f('ix_ledger_person'), 'ledger', ['person'], unique=False)
    op.create_index('ix_ledger_person_period', 'ledger', ['person', 'period'], unique=False)
    op.create_index(op.f('ix_ledger_task'), 'ledger', ['task'], unique=False)
    op.create_index(op.f('ix_ledger_verdict'), 'ledger', ['verdict'], unique=False)

    op.create_table('person',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('category', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_person_ingest_id'), 'person', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_person_unit'), 'person', ['unit'], unique=False)

    op.create_table('post',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_post_ingest_id'), 'post', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_post_person'), 'post', ['person'], unique=False)
    op.create_index(op.f('ix_post_unit'), 'post', ['unit'], unique=False)
    op.create_index('ix_post_unit_role', 'post', ['unit', 'role', 'start'], unique=False)

    op.create_table('proposal',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('proposer', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_proposal_date'), 'proposal', ['date'], unique=False)
    op.create_index(op.f('ix_proposal_ingest_id'), 'proposal', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_proposal_person'), 'proposal', ['person'], unique=False)

    op.create_table('recommendation',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('person_name', sa.String(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('circumstance', sa.Integer(), nullable=False),
    sa.Column('responsibility', sa.String(), nullable=False),
    sa.Column('degree', sa.String(), nullable=False),
    sa.Column('form', sa.String(), nullable=False),
    sa.Column('proposer', sa.String(), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('conduct_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('rulebook_hash', sa.String(length=64), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_recommendation_circumstance'), 'recommendation', ['circumstance'], unique=False)
    op.create_index(op.f('ix_recommendation_conduct_date'), 'recommendation', ['conduct_date'], unique=False)
    op.create_index(op.f('ix_recommendation_person'), 'recommendation', ['person'], unique=False)
    op.create_index(op.f('ix_recommendation_rule'), 'recommendation', ['rule'], unique=False)
    op.create_index(op.f('ix_recommendation_run_id'), 'recommendation', ['run_id'], unique=False)
    op.create_index(op.f('ix_recommendation_status'), 'recommendation', ['status'], unique=False)
    op.create_index(op.f('ix_recommendation_unit'), 'recommendation', ['unit'], unique=False)

    op.create_table('rectification',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('reminder', sa.String(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('effective', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rectification_date'), 'rectification', ['date'], unique=False)
    op.create_index(op.f('ix_rectification_ingest_id'), 'rectification', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_rectification_person'), 'rectification', ['person'], unique=False)
    op.create_index(op.f('ix_rectification_reminder'), 'rectification', ['reminder'], unique=False)

    op.create_table('reminder',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('person', sa.String(), nullable=False),
    sa.Column('issuer', sa.String(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('matter', sa.String(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reminder_date'), 'reminder', ['date'], unique=False)
    op.create_index(op.f('ix_reminder_ingest_id'), 'reminder', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_reminder_person'), 'reminder', ['person'], unique=False)

    op.create_table('unit',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('parent', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_unit_ingest_id'), 'unit', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_unit_parent'), 'unit', ['parent'], unique=False)

    op.create_table('violation',
    sa.Column('src', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('ingest_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('actors', sa.JSON(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('severity', sa.String(), nullable=False),
    sa.Column('case_filed', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_violation_date'), 'violation', ['date'], unique=False)
    op.create_index(op.f('ix_violation_ingest_id'), 'violation', ['ingest_id'], unique=False)
    op.create_index(op.f('ix_violation_unit'), 'violation', ['unit'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_violation_unit'), table_name='violation')
    op.drop_index(op.f('ix_violation_ingest_id'), table_name='violation')
    op.drop_index(op.f('ix_violation_date'), table_name='violation')

    op.drop_table('violation')
    op.drop_index(op.f('ix_unit_parent'), table_name='unit')
    op.drop_index(op.f('ix_unit_ingest_id'), table_name='unit')

    op.drop_table('unit')
    op.drop_index(op.f('ix_reminder_person'), table_name='reminder')
    op.drop_index(op.f('ix_reminder_ingest_id'), table_name='reminder')
    op.drop_index(op.f('ix_reminder_date'), table_name='reminder')

    op.drop_table('reminder')
    op.drop_index(op.f('ix_rectification_reminder'), table_name='rectification')
    op.drop_index(op.f('ix_rectification_person'), table_name='rectification')
    op.drop_index(op.f('ix_rectification_ingest_id'), table_name='rectification')
    op.drop_index(op.f('ix_rectification_date'), table_name='rectification')

    op.drop_table('rectification')
    op.drop_index(op.f('ix_recommendation_unit'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_status'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_run_id'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_rule'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_person'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_conduct_date'), table_name='recommendation')
    op.drop_index(op.f('ix_recommendation_circumstance'), table_name='recommendation')

    op.drop_table('recommendation')
    op.drop_index(op.f('ix_proposal_person'), table_name='proposal')
    op.drop_index(op.f('ix_proposal_ingest_id'), table_name='proposal')
    op.drop_index(op.f('ix_proposal_date'), table_name='proposal')

    op.drop_table('proposal')
    op.drop_index('ix_post_unit_role', table_name='post')
    op.drop_index(op.f('ix_post_unit'), table_name='post')
    op.drop_index(op.f('ix_post_person'), table_name='post')
    op.drop_index(op.f('ix_post_ingest_id'), table_name='post')

    op.drop_table('post')
    op.drop_index(op.f('ix_person_unit'), table_name='person')
    op.drop_index(op.f('ix_person_ingest_id'), table_name='person')

    op.drop_table('person')
    op.drop_index(op.f('ix_ledger_verdict'), table_name='ledger')
    op.drop_index(op.f('ix_ledger_task'), table_name='ledger')
    op.drop_index('ix_ledger_person_period', table_name='ledger')
    op.drop_index(op.f('ix_ledger_person'), table_name='ledger')
    op.drop_index(op.f('ix_ledger_period'), table_name='ledger')
    op.drop_index(op.f('ix_ledger_ingest_id'), table_name='ledger')
    op.drop_index(op.f('ix_ledger_date'), table_name='ledger')

    op.drop_table('ledger')
    op.drop_index(op.f('ix_inspection_unit'), table_name='inspection')
    op.drop_index(op.f('ix_inspection_person'), table_name='inspection')
    op.drop_index(op.f('ix_inspection_ingest_id'), table_name='inspection')
    op.drop_index(op.f('ix_inspection_date'), table_name='inspection')

    op.drop_table('inspection')
    op.drop_table('ingest_batch')
    op.drop_index(op.f('ix_fact_version_kind'), table_name='fact_version')
    op.drop_index(op.f('ix_fact_version_id'), table_name='fact_version')

    op.drop_table('fact_version')
    op.drop_table('evaluation_run')
    op.drop_index(op.f('ix_evaluation_year'), table_name='evaluation')
    op.drop_index(op.f('ix_evaluation_person'), table_name='evaluation')
    op.drop_index(op.f('ix_evaluation_ingest_id'), table_name='evaluation')

    op.drop_table('evaluation')
    op.drop_table('document_number')
    op.drop_index(op.f('ix_disunity_unit'), table_name='disunity')
    op.drop_index(op.f('ix_disunity_ingest_id'), table_name='disunity')
    op.drop_index(op.f('ix_disunity_date'), table_name='disunity')

    op.drop_table('disunity')
    op.drop_index(op.f('ix_accountability_person'), table_name='accountability')
    op.drop_index(op.f('ix_accountability_ingest_id'), table_name='accountability')
    op.drop_index(op.f('ix_accountability_date'), table_name='accountability')

    op.drop_table('accountability')
