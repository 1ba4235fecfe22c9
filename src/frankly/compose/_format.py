"""Dates, times, money and numbers written the way the customer reads them (Babel)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from frankly.playbooks import FactSpec, Library, Money


@dataclass(frozen=True)
class Formatter:
    """Formats values for one language (its language file) and one time zone."""

    lang: str
    locale: str
    date_pattern: str
    time_pattern: str
    datetime_pattern: str
    tz: zoneinfo.ZoneInfo

    @classmethod
    def for_language(cls, library: Library, lang: str, tz: str) -> Formatter:
        """Raises ``InvalidInput`` when the library has no file for ``lang``."""
        spec = library.language(lang)
        return cls(
            lang=lang,
            locale=spec["locale"],
            date_pattern=spec["date"],
            time_pattern=spec["time"],
            datetime_pattern=spec["datetime"],
            tz=_zone(tz),
        )

    def date(self, value: dt.date) -> str:
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        return format_date(value, self.date_pattern, locale=self.locale)

    def time(self, value: dt.datetime) -> str:
        return format_time(self.local(value), self.time_pattern, locale=self.locale)

    def datetime(self, value: dt.datetime) -> str:
        local = self.local(value)
        return self.datetime_pattern.format(date=self.date(local.date()), time=self.time(local))

    def money(self, value: Money) -> str:
        return format_currency(value.amount, value.currency, locale=self.locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def local(self, value: dt.datetime) -> dt.datetime:
        """``value`` in this zone; a naive time is taken to be in this zone already."""
        if value.tzinfo is None:
            return value.replace(tzinfo=self.tz)
        return value.astimezone(self.tz)

    def fact(self, spec: FactSpec, value: Any) -> Any:
        """A typed fact value as text for a message (``None`` stays ``None``)."""
        if value is None:
            return None
        if spec.type == "money":
            return self.money(value)
        if spec.type == "int":
            return self.number(value)
        if spec.type == "date":
            return self.date(value)
        if spec.type == "datetime":
            return self.datetime(value)
        if spec.type == "choice":
            return spec.label(value, self.lang)
        return str(value)


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
