"""One file per revision of the store schema; ``facts.migrate`` reads their ids without Alembic."""
