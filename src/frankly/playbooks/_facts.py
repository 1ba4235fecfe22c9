"""Typed facts: turning what a person typed ("1250.00 EUR", "2026-12-01") into values."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from frankly.errors import InvalidInput
from frankly.playbooks._model import FactSpec

# A good value of each type, shown in error messages and used to render templates
# with typical values when a playbook is validated.
EXAMPLES: dict[str, str] = {
    "text": "order 4471",
    "int": "12",
    "money": "1250.00 EUR",
    "date": "2026-12-01",
    "datetime": "2026-12-01 17:00",
    "choice": "",
    "url": "https://pay.example.com/invoice/1042",
    "phone": "+34 600 123 456",
}
DEFAULT_CURRENCY = "EUR"
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_MONEY = re.compile(
    r"^\s*(?P<pre>[A-Za-z]{3}|[€$£])?\s*(?P<num>-?[\d.,]+)\s*(?P<post>[A-Za-z]{3}|[€$£])?\s*$"
)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
# The ranges a typed fact must fall in: beyond them a value is a typing mistake (or an
# attack) that would overflow a date sum or a decimal format further on.
MIN_YEAR, MAX_YEAR = 1900, 2200
INT_RANGE = (0, 1_000_000_000)
MONEY_RANGE = (Decimal(0), Decimal(1_000_000_000_000))


@dataclass(frozen=True)
class Money:
    """An amount in a currency (ISO 4217 code)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


def example(spec: FactSpec) -> str:
    """A typical value for ``spec``: its own example, or one for its type."""
    if spec.example:
        return spec.example
    if spec.type == "choice" and spec.choices:
        return next(iter(spec.choices))
    if spec.type == "money" and spec.currency:
        return f"1250.00 {spec.currency}"
    return EXAMPLES[spec.type]


def coerce(spec: FactSpec, value: Any) -> Any:
    """``value`` as the type ``spec`` names. Raises ``InvalidInput`` naming fact, type, example."""
    try:
        typed = _COERCERS[spec.type](spec, value)
    except (ValueError, TypeError, KeyError, InvalidOperation, OverflowError):
        raise InvalidInput(
            f"The fact {spec.name!r} must be {_describe(spec)}, for example "
            f"{spec.name}={example(spec)}; {str(value)[:100]!r} is not",
            field=spec.name,
        ) from None
    _in_range(spec, typed)
    return typed


def _in_range(spec: FactSpec, typed: Any) -> None:
    """Refuse a well-formed value outside what the fact can mean (``quantity=-5``)."""
    # Text needs no check here: what may be stored is the input boundary's business
    # (``frankly.cases.validate.facts``), and a draft renders any stored text as written.
    problem = None
    low: Decimal | int
    high: Decimal | int
    if isinstance(typed, Money):
        low = Decimal(str(spec.minimum)) if spec.minimum is not None else MONEY_RANGE[0]
        high = Decimal(str(spec.maximum)) if spec.maximum is not None else MONEY_RANGE[1]
        exponent = typed.amount.as_tuple().exponent
        if not typed.amount.is_finite():
            problem = "must be a finite amount"
        elif not low <= typed.amount <= high:
            problem = f"must be between {low} and {high}"
        elif isinstance(exponent, int) and exponent < -2:
            problem = "has more than 2 decimals"
        elif not re.fullmatch(r"[A-Z]{3}", typed.currency):
            problem = f"has the currency {typed.currency!r}; use a 3-letter code such as EUR"
    elif isinstance(typed, bool):
        pass
    elif isinstance(typed, int):
        low = int(spec.minimum) if spec.minimum is not None else INT_RANGE[0]
        high = int(spec.maximum) if spec.maximum is not None else INT_RANGE[1]
        if not low <= typed <= high:
            problem = f"must be between {low:,} and {high:,}"
    elif isinstance(typed, dt.date):
        utc = typed
        if isinstance(typed, dt.datetime) and typed.tzinfo is not None:
            try:
                utc = typed.astimezone(dt.UTC)
            except (OverflowError, ValueError):
                utc = dt.date(1, 1, 1)
        if not (MIN_YEAR <= typed.year <= MAX_YEAR and MIN_YEAR <= utc.year <= MAX_YEAR):
            problem = f"must be within the years {MIN_YEAR}-{MAX_YEAR}"
    if problem is not None:
        shown = f"{typed.amount} {typed.currency}" if isinstance(typed, Money) else str(typed)
        raise InvalidInput(
            f"The fact {spec.name!r} {problem}, for example {spec.name}={example(spec)}; "
            f"{shown[:100]!r} is not",
            field=spec.name,
        )


def _describe(spec: FactSpec) -> str:
    if spec.type == "choice":
        return "one of " + ", ".join(spec.choices)
    return {
        "text": "text",
        "int": "a whole number",
        "money": "an amount of money",
        "date": "a date (YYYY-MM-DD)",
        "datetime": "a date and time (YYYY-MM-DD HH:MM)",
        "url": "a web address starting with https://",
        "phone": "a phone number",
    }[spec.type]


def _text(spec: FactSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError
    return str(value).strip()


def _int(spec: FactSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    return int(str(value).strip().replace("_", ""))


def _money(spec: FactSpec, value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, dict):
        return Money(
            Decimal(str(value["amount"])),
            str(value.get("currency") or spec.currency or DEFAULT_CURRENCY).upper(),
        )
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int | float | Decimal):
        return Money(Decimal(str(value)), spec.currency or DEFAULT_CURRENCY)
    match = _MONEY.match(str(value))
    if not match or (match["pre"] and match["post"]):
        raise ValueError
    code = match["pre"] or match["post"] or spec.currency or DEFAULT_CURRENCY
    currency = _SYMBOLS.get(code, code).upper()
    number = match["num"]
    if "," in number and "." in number:
        # Whichever comes last is the decimal mark: 1,250.50 or 1.250,50.
        if number.rfind(",") > number.rfind("."):
            number = number.replace(".", "").replace(",", ".")
        else:
            number = number.replace(",", "")
    elif "," in number:
        head, _, tail = number.rpartition(",")
        number = number.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    amount = Decimal(number)
    if not amount.is_finite():
        raise ValueError
    return Money(amount, currency)


def _date(spec: FactSpec, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _datetime(spec: FactSpec, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    text = str(value).strip()
    if len(text) <= 10:
        raise ValueError  # a date alone: the time is part of the fact
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _choice(spec: FactSpec, value: Any) -> str:
    text = str(value).strip()
    if text not in spec.choices:
        raise ValueError
    return text


def _url(spec: FactSpec, value: Any) -> str:
    text = str(value).strip()
    if not _URL.match(text):
        raise ValueError
    return text


def _phone(spec: FactSpec, value: Any) -> str:
    text = str(value).strip()
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < 6:
        raise ValueError
    return text


_COERCERS = {
    "text": _text,
    "int": _int,
    "money": _money,
    "date": _date,
    "datetime": _datetime,
    "choice": _choice,
    "url": _url,
    "phone": _phone,
}
