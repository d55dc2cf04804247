"""Values, field names and message ids as durable_rules can hold them without loss.

durable_rules segfaulted on non-ASCII literals joined with strings, fails on floats in
exponent form, has no date type, compares mixed types as strings, and keys a stored
message by a 32-bit hash of its id. Everything sent to it goes through here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z0-9_.:-]*$")
NUMBER_SCALE = 10**6


def encode(value: Any) -> Any:
    """A fact value as durable_rules can hold it without loss: ASCII strings and integers.

    Injective per type and order-preserving: every string becomes ``~`` and its UTF-8 bytes
    in hex, which sort as the strings do (a plain string left as it was would sort before
    every encoded one, so ``before``/``after`` joins on text compared wrongly). Floats in
    exponent form break durable_rules, so every number becomes an integer in millionths
    (``true`` is the number 1, as in Python); dates become day numbers.
    """
    if value is None:
        return None
    if isinstance(value, date):
        return value.toordinal()
    if isinstance(value, int | float):
        return int(round(value * NUMBER_SCALE))
    return "~" + str(value).encode().hex()


def message_key(text: str) -> str:
    """An ASCII message id or sid for ``text``: itself when plain, else ``~`` and hex."""
    return text if _PLAIN.match(text) else "~" + text.encode().hex()


def message_field(name: str) -> str:
    """Message key for a fact field (attrs keys may be non-ASCII, so they are encoded)."""
    if name.startswith("attrs."):
        return "a_" + name.removeprefix("attrs.").encode().hex()
    return "f_" + name


def durable_hash(message_id: str) -> int:
    """The 32-bit FNV-1a hash durable_rules keys a stored message by (signed chars, as in C).

    durable_rules refuses a message whose id hashes like one already in its sid, without
    comparing the ids (``storeMessage`` in state.c): a distinct fact would be lost.
    """
    value = 0x811C9DC5
    for byte in message_id.encode():
        value ^= byte - 256 if byte > 127 else byte
        value = (value * 16777619) & 0xFFFFFFFF
    return value


class MessageIds:
    """Message ids for the facts of one sid: ``kind:id``, plus ``#n`` on a hash clash.

    Give every message of a sid its id through one of these, so that no distinct fact is
    refused as already observed (see ``durable_hash``).
    """

    def __init__(self) -> None:
        self._hashes: set[int] = set()
        self.renamed = 0  # ids that needed a suffix

    def assign(self, key: str) -> str:
        base = message_key(key)
        message_id, n = base, 0
        while durable_hash(message_id) in self._hashes:
            n += 1
            message_id = f"{base}#{n}"
        self._hashes.add(durable_hash(message_id))
        self.renamed += n > 0
        return message_id
