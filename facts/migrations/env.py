"""Alembic environment of the store.

At run time ``facts.migrate`` hands over an open connection (``config.attributes``), inside
the transaction that holds the migration lock. From the ``alembic`` command line (developers:
``alembic -c facts/migrations/alembic.ini ...``) the store is ``-x db=URL`` or ``WENZE_DB``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel
from sqlmodel.sql import sqltypes

from facts.store import database_url  # also registers every table on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """Write sqlmodel's column types as plain SQLAlchemy ones, so revisions import nothing else."""
    if type_ == "type":
        if isinstance(obj, sqltypes.AutoString):
            return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
        utc = getattr(sqltypes, "UTCDateTime", None)
        if utc is not None and isinstance(obj, utc):
            return "sa.DateTime(timezone=True)"
    return False


def _options(dialect: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        "compare_type": True,
        # SQLite cannot ALTER most things: autogenerate writes batch (copy-and-move) operations.
        "render_as_batch": dialect == "sqlite",
    }


def _run(connection: Any) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = database_url(context.get_x_argument(as_dictionary=True).get("db"))
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **_options(url.split(":", 1)[0].split("+")[0]))
        with context.begin_transaction():
            context.run_migrations()
    else:
        engine = create_engine(url, poolclass=pool.NullPool)
        with engine.connect() as cli_connection:
            _run(cli_connection)
            cli_connection.commit()
        engine.dispose()
