"""Reference numbers in the official form, 县纪建〔2026〕7号, kept in the store.

Per year the sequence starts at 1 and never repeats: a recommendation keeps the number it
was first given, and (year, seq) is unique in the database, so two processes cannot give
out the same number.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from facts.recommendation_tables import DocumentNumber

PATTERN = re.compile(r"^(?P<prefix>\S+)〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


def format_number(prefix: str, year: int, seq: int) -> str:
    """``县纪建〔2026〕7号``: full year in 〔〕, no leading zeros."""
    return f"{prefix}〔{year}〕{seq}号"


def number_order(number: str) -> tuple[str, int, int]:
    """How reference numbers are listed: by series (prefix), year, then number — 县纪建〔2026〕9号
    before 县纪建〔2026〕10号; anything not in that form by its whole text, among the series."""
    found = PATTERN.match(number)
    return (found["prefix"], int(found["year"]), int(found["seq"])) if found else (number, 0, 0)


def assign(engine: Engine, recommendation_id: str, year: int, prefix: str,
           table: Table = DocumentNumber.__table__) -> str:
    """The recommendation's number, given now if it has none yet (``prefix`` from the county
    folder). ``table``: the series' table — recommendation documents by default; decision
    documents keep theirs in ``decision_number``."""
    for _ in range(5):  # a concurrent assignment may take the same next seq: try again
        try:
            with engine.begin() as connection:
                row = connection.execute(select(table).where(
                    table.c.recommendation_id == recommendation_id)).first()
                if row is not None:
                    return format_number(row.prefix, row.year, row.seq)
                seq = connection.execute(select(func.coalesce(func.max(table.c.seq), 0) + 1)
                                         .where(table.c.year == year, table.c.prefix == prefix)
                                         ).scalar_one()
                connection.execute(insert(table).values(recommendation_id=recommendation_id,
                                                        year=year, seq=seq, prefix=prefix))
                return format_number(prefix, year, seq)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not assign a document number to {recommendation_id}")


def numbers(engine: Engine) -> dict[str, str]:
    """Every recommendation's reference number, by recommendation id (those given one)."""
    table = DocumentNumber.__table__
    with engine.connect() as connection:
        return {r.recommendation_id: format_number(r.prefix, r.year, r.seq)
                for r in connection.execute(select(table))}


def numbered(engine: Engine, number: str) -> str | None:
    """The recommendation a reference number (县纪建〔2026〕7号) was given to, or None."""
    found = PATTERN.match(number.strip())
    if found is None:
        return None
    table = DocumentNumber.__table__
    with engine.connect() as connection:
        return connection.execute(select(table.c.recommendation_id).where(
            table.c.prefix == found["prefix"], table.c.year == int(found["year"]),
            table.c.seq == int(found["seq"]))).scalar_one_or_none()
