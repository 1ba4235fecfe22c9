"""Checks on input shared by every write. Each raises ``InvalidInput`` naming the field."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from frankly.errors import InvalidInput

_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def choice(value: str, allowed: Iterable[str], field: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidInput(
            f"Unknown {field} {value!r}: use one of {', '.join(allowed)}", field=field
        )
    return value


def email(value: str | None, field: str = "email", *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"The {field} is required", field=field)
        return None
    value = value.strip()
    if not _EMAIL.match(value):
        raise InvalidInput(f"Not a valid email address: {value!r}", field=field)
    return value.lower()


def text(value: str | None, field: str, *, max_length: int = 300) -> str:
    if value is None or not value.strip():
        raise InvalidInput(f"The {field} must not be empty", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(
            f"The {field} is {len(value)} characters long; the limit is {max_length}", field=field
        )
    return value


def optional_text(value: str | None, field: str, *, max_length: int = 300) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, field, max_length=max_length)


def timezone(value: str, field: str = "timezone") -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"Unknown time zone {value!r}: use a name such as Europe/Madrid", field=field
        ) from exc
    return value


def identifier(value: str, field: str) -> str:
    if not _IDENT.match(value or ""):
        raise InvalidInput(
            f"The {field} {value!r} must be lower-case letters, digits and _ "
            "(starting with a letter)",
            field=field,
        )
    return value


def aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"The {field} needs a time zone", field=field)
    return value


def fact_key(key: str) -> str:
    return identifier(key, "fact name")


def facts(values: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise InvalidInput("Facts must be a mapping of names to values", field="facts")
    for key, value in values.items():
        fact_key(key)
        if not isinstance(value, str | int | float | bool | type(None) | list | dict):
            raise InvalidInput(f"The fact {key!r} has a value of an unsupported type", field=key)
    return dict(values)


def parse_fact_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["eta=2026-12-01", "carrier=DHL"]`` → a dict; a pair without ``=`` is an error."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(
                f"Malformed fact {pair!r}: write name=value, for example eta=2026-12-01",
                field="facts",
            )
        fact_key(key)
        if key in result:
            raise InvalidInput(f"The fact {key!r} is given twice", field=key)
        result[key] = value.strip()
    return result
