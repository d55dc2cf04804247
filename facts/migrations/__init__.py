"""Alembic migrations of the store schema (see ``facts/migrate.py`` and README "Store schema")."""
