"""Accounts: a name, a role, the units whose subtree the user sees, and an argon2 hash."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from engine.rulebook import Rulebook
from facts.review_tables import ReviewUser
from facts.tables import UnitRow
from review import audit
from review.county import county
from review.errors import BadInput

PASSWORD_MIN = 8
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HASHER = PasswordHasher()  # argon2id with the library's current parameters
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY = _HASHER.hash("not a password of anyone")


class Role(StrEnum):
    """What a user may do is rules/review.yaml ``roles``; these are the kinds of account."""

    REVIEWER = "reviewer"
    APPROVER = "approver"
    POLICY = "policy"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    units: tuple[str, ...]  # the user sees and decides these units and everything under them
    home: str | None = None  # the unit the user works in: never decides its own cases


def _user(row: ReviewUser | object) -> User:
    return User(row.name, Role(row.role), tuple(row.units), row.home)  # type: ignore[attr-defined]


def add_user(store: Engine, name: str, role: Role | str, units: Iterable[str], password: str, *,
             home: str | None = None, by: str = "admin", rulebook: Rulebook | None = None) -> User:
    """Create an account (``wenze users add``); every unit named must be a stored unit."""
    book = county(rulebook)
    units = tuple(dict.fromkeys(units))
    if not _NAME.match(name):
        raise BadInput(book, "name_bad")
    role = Role(role)
    if not units:
        raise BadInput(book, "units_required")
    if len(password) < PASSWORD_MIN:
        raise BadInput(book, "password_short", length=PASSWORD_MIN)
    table, unit_table = ReviewUser.__table__, UnitRow.__table__
    with store.begin() as connection:
        known = set(connection.execute(select(unit_table.c.id).where(
            unit_table.c.id.in_([*units, *([home] if home else [])]))).scalars())
        for unit in (*units, *([home] if home else [])):
            if unit not in known:
                raise BadInput(book, "unit_unknown", unit=unit)
        if connection.execute(select(table.c.name).where(table.c.name == name)).first():
            raise BadInput(book, "user_exists", user=name)
        connection.execute(insert(table).values(
            name=name, role=role.value, units=list(units), home=home,
            password_hash=_HASHER.hash(password), created=datetime.now(UTC)))
        audit.append(connection, by, "user_add", f"user:{name}", None,
                     {"role": role.value, "units": list(units), "home": home})
    return User(name, role, units, home)


def get_user(store: Engine, name: str) -> User | None:
    table = ReviewUser.__table__
    with store.connect() as connection:
        row = connection.execute(select(table).where(table.c.name == name)).first()
    return _user(row) if row else None


def list_users(store: Engine) -> list[User]:
    table = ReviewUser.__table__
    with store.connect() as connection:
        return [_user(row) for row in connection.execute(select(table).order_by(table.c.name))]


def authenticate(store: Engine, name: str, password: str) -> User | None:
    """The user, if the password is theirs; None otherwise (unknown name or wrong password)."""
    table = ReviewUser.__table__
    with store.connect() as connection:
        row = connection.execute(select(table).where(table.c.name == name)).first()
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):  # parameters raised since it was hashed
        with store.begin() as connection:
            connection.execute(update(table).where(table.c.name == name).values(
                password_hash=_HASHER.hash(password)))
    return _user(row)
