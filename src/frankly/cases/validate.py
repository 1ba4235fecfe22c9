"""Checks on input shared by every write. Each raises ``InvalidInput`` naming the field."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from frankly.errors import InvalidInput

_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Characters no stored text may hold: C0 controls other than tab, newline and carriage
# return, DEL, C1 controls, the two non-characters XML 1.0 forbids and lone surrogates.
# They cannot be shown, they break the Atom feed (XML 1.0 has no way to write them) and
# NUL is refused by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# A line break of any kind: a name or a subject is one line (and a header, for mail).
_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
# Dates and times outside these years are typing mistakes, and near the ends of what
# Python can hold a time zone offset overflows when the time is turned into UTC.
MIN_YEAR, MAX_YEAR = 1900, 2200
# Limits on what a case's facts (any JSON value) may hold.
MAX_FACTS = 200
MAX_FACT_TEXT = 10_000
MAX_FACTS_SIZE = 200_000
MAX_DEPTH = 10
# Numbers beyond this are not exact in JSON readers that use doubles (and PostgreSQL's
# jsonb, SQLite's JSON functions and browsers all read them so).
MAX_NUMBER = 2**53


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


def text(value: str | None, field: str, *, max_length: int = 300, single_line: bool = False) -> str:
    """``value`` stripped: not empty, at most ``max_length`` long, without control characters
    (tab and line breaks aside) and, with ``single_line``, without line breaks either."""
    if value is None or not str(value).strip():
        raise InvalidInput(f"The {field} must not be empty", field=field)
    if not isinstance(value, str):
        raise InvalidInput(f"The {field} must be text", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(
            f"The {field} is {len(value)} characters long; the limit is {max_length}", field=field
        )
    printable(value, field)
    if single_line:
        one_line(value, field)
    return value


def optional_text(
    value: str | None, field: str, *, max_length: int = 300, single_line: bool = False
) -> str | None:
    if value is None or not str(value).strip():
        return None
    return text(value, field, max_length=max_length, single_line=single_line)


def printable(value: str, field: str) -> str:
    """Refuse control characters (other than tab and line breaks) in ``value``."""
    bad = _CONTROL.search(value)
    if bad is not None:
        raise InvalidInput(
            f"The {field} contains the control character U+{ord(bad.group()):04X} at "
            f"position {bad.start() + 1}; remove it",
            field=field,
        )
    return value


def one_line(value: str, field: str) -> str:
    """Refuse line breaks in ``value`` (a name, a subject, a mail header)."""
    if _BREAK.search(value):
        raise InvalidInput(f"The {field} must be one line, without line breaks", field=field)
    return value


def like_pattern(query: str) -> str:
    """``%query%`` for ``LIKE ... ESCAPE '\\'``: ``%`` and ``_`` typed in a search are
    letters, not wildcards."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
    """A time with its zone, within the years 1900-2200 both as given and in UTC."""
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"The {field} needs a time zone", field=field)
    if value is not None:
        moment(value, field)
    return value


def moment(value: dt.datetime, field: str) -> dt.datetime:
    """Refuse a time outside 1900-2200 (also once turned into UTC, so an offset at the
    edge of the calendar cannot overflow when it is stored)."""
    try:
        utc = value.astimezone(dt.UTC) if value.tzinfo is not None else value
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not (MIN_YEAR <= value.year <= MAX_YEAR and MIN_YEAR <= utc.year <= MAX_YEAR):
        raise InvalidInput(
            f"The {field} {value.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}",
            field=field,
        )
    return value


def day(value: dt.date, field: str) -> dt.date:
    """Refuse a date outside 1900-2200."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(
            f"The {field} {value.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR}",
            field=field,
        )
    return value


def fact_key(key: str) -> str:
    return identifier(key, "fact name")


def facts(values: dict[str, Any]) -> dict[str, Any]:
    """Facts as they may be stored: known names, standard JSON values only (no NaN, no
    Infinity, numbers within 2^53), text without control characters, sizes capped."""
    if not isinstance(values, dict):
        raise InvalidInput("Facts must be a mapping of names to values", field="facts")
    if len(values) > MAX_FACTS:
        raise InvalidInput(
            f"{len(values)} facts given; a case holds at most {MAX_FACTS}", field="facts"
        )
    for key, value in values.items():
        if not isinstance(key, str):
            raise InvalidInput("Fact names must be text", field="facts")
        fact_key(key)
        if not isinstance(value, str | int | float | bool | type(None) | list | dict):
            raise InvalidInput(f"The fact {key!r} has a value of an unsupported type", field=key)
        json_value(value, key, what=f"The fact {key!r}")
    try:
        size = len(json.dumps(values, allow_nan=False, default=str))
    except ValueError as exc:  # pragma: no cover - json_value refused these already
        raise InvalidInput("The facts hold a number JSON cannot write", field="facts") from exc
    if size > MAX_FACTS_SIZE:
        raise InvalidInput(
            f"The facts take {size} characters; the limit is {MAX_FACTS_SIZE}", field="facts"
        )
    return dict(values)


def json_value(value: Any, field: str, *, what: str | None = None, depth: int = 0) -> Any:
    """Refuse what standard JSON cannot hold or readers choke on, at any depth: NaN,
    Infinity (``1e400`` reads as Infinity), integers beyond 2^53, control characters."""
    what = what or f"The {field}"
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{what} is nested more than {MAX_DEPTH} levels deep", field=field)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(
                f"{what} is {value!r}: numbers must be finite (no NaN or Infinity)", field=field
            )
        if abs(value) > MAX_NUMBER:
            raise InvalidInput(f"{what} is {value!r}: numbers must be below 2^53", field=field)
    elif isinstance(value, int):
        if abs(value) > MAX_NUMBER:
            raise InvalidInput(f"{what} is {value}: numbers must be below 2^53", field=field)
    elif isinstance(value, str):
        if len(value) > MAX_FACT_TEXT:
            raise InvalidInput(
                f"{what} is {len(value)} characters long; the limit is {MAX_FACT_TEXT}",
                field=field,
            )
        printable(value, field)
    elif isinstance(value, list):
        for item in value:
            json_value(item, field, what=what, depth=depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{what} has a key that is not text", field=field)
            printable(key, field)
            json_value(item, field, what=what, depth=depth + 1)
    return value


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
