"""Dates, times, money and numbers written the way the customer reads them (Babel).

Every date a draft writes is compared with "now" in the customer's time zone: a date in
another year carries its year, and a date fact reaches a template as a ``When``, which
reads as the written-out date and also knows whether it is past (``{% if new_eta.past %}``)
and how long ago it was (``{{ since(new_eta) }}``: "ten days ago", «hace diez días»).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from frankly.playbooks._facts import Money
from frankly.playbooks._model import FactSpec, Library

_ELAPSED_EN = {
    "today": "today",
    "yesterday": "yesterday",
    "days": "{n} days ago",
    "week": "a week ago",
    "weeks": "{n} weeks ago",
    "month": "a month ago",
    "months": "{n} months ago",
    "tomorrow": "tomorrow",
    "in_days": "in {n} days",
}


@dataclass(frozen=True)
class Formatter:
    """Formats values for one language (its language file) and one time zone.

    ``now`` is the moment the message is written; dates are compared with it in ``tz``
    (the customer's zone). Without it, the real clock is read when needed.
    """

    lang: str
    locale: str
    date_pattern: str
    time_pattern: str
    datetime_pattern: str
    tz: zoneinfo.ZoneInfo
    now: dt.datetime | None = None
    date_year_pattern: str | None = None
    on_date_pattern: str = "{date}"
    elapsed: dict[str, str] = field(default_factory=lambda: dict(_ELAPSED_EN))
    numbers: tuple[str, ...] = ()

    @classmethod
    def for_language(
        cls, library: Library, lang: str, tz: str, now: dt.datetime | None = None
    ) -> Formatter:
        """Raises ``InvalidInput`` when the library has no file for ``lang``."""
        spec = library.language(lang)
        return cls(
            lang=lang,
            locale=spec["locale"],
            date_pattern=spec["date"],
            time_pattern=spec["time"],
            datetime_pattern=spec["datetime"],
            tz=_zone(tz),
            now=now,
            date_year_pattern=spec.get("date_year"),
            on_date_pattern=spec.get("on_date", "{date}"),
            elapsed={**_ELAPSED_EN, **(spec.get("elapsed") or {})},
            numbers=tuple(spec.get("numbers") or ()),
        )

    @property
    def today(self) -> dt.date:
        """Today's date in this zone."""
        now = self.now or dt.datetime.now(dt.UTC)
        return self.local(now).date()

    def date(self, value: dt.date) -> str:
        """The date written out; with its year when that is not the current year."""
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        pattern = self.date_pattern
        if self.date_year_pattern and value.year != self.today.year:
            pattern = self.date_year_pattern
        return format_date(value, pattern, locale=self.locale)

    def time(self, value: dt.datetime) -> str:
        return format_time(self.local(value), self.time_pattern, locale=self.locale)

    def datetime(self, value: dt.datetime) -> str:
        local = self.local(value)
        return self.datetime_pattern.format(date=self.date(local.date()), time=self.time(local))

    def on(self, value: dt.date | When) -> str:
        """The date as the day something happens: "on Tuesday 24 November", «el martes…»."""
        text = str(value) if isinstance(value, When) else self.date(value)
        return self.on_date_pattern.format(date=text)

    def since(self, value: dt.date | When) -> str:
        """How far ``value`` is from today, in words: "ten days ago", «hace diez días»."""
        days = (self._day(value) - self.today).days
        words = self.elapsed
        if days == 0:
            return words["today"]
        if days == 1:
            return words["tomorrow"]
        if days > 1:
            return words["in_days"].format(n=self.count(days))
        ago = -days
        if ago == 1:
            return words["yesterday"]
        if ago < 14:
            return words["days"].format(n=self.count(ago))
        if ago < 60:
            weeks = round(ago / 7)
            return words["week"] if weeks == 1 else words["weeks"].format(n=self.count(weeks))
        months = round(ago / 30.4)
        return words["month"] if months == 1 else words["months"].format(n=self.count(months))

    def count(self, n: int) -> str:
        """A small number in words ("ten", «diez»), larger ones as figures."""
        return self.numbers[n] if 0 <= n < len(self.numbers) else self.number(n)

    def when(self, value: dt.date) -> When:
        """A date (or a moment) as a ``When`` a template can ask questions of."""
        return When(self, value)

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
        """A typed fact value as text for a message (``None`` stays ``None``).

        Dates and moments become ``When`` values: text that also knows past from future.
        """
        if value is None:
            return None
        if spec.type == "money":
            return self.money(value)
        if spec.type == "int":
            return self.number(value)
        if spec.type in ("date", "datetime"):
            return When(self, value)
        if spec.type == "choice":
            return spec.label(value, self.lang)
        return str(value)

    def _day(self, value: dt.date | When) -> dt.date:
        if isinstance(value, When):
            return value.day
        if isinstance(value, dt.datetime):
            return self.local(value).date()
        return value


class When(str):
    """A date (or a date and time) written out for the customer, that knows today.

    It is the text itself ("Tuesday 24 November", «martes 24 de noviembre», with the
    year when it is not this year), so ``{{ new_eta }}`` writes it; a template also asks
    ``.past``, ``.today``, ``.future`` (by calendar day in the customer's zone; for a
    moment, ``.over`` says whether that moment has gone by), ``.days`` (days from today,
    negative when past), ``.ago`` (``since``) and ``.on`` ("on Tuesday 24 November").
    """

    value: dt.date
    day: dt.date
    moment: dt.datetime | None
    _fmt: Formatter

    def __new__(cls, fmt: Formatter, value: dt.date) -> When:
        if isinstance(value, dt.datetime):
            text = fmt.datetime(value)
            day = fmt.local(value).date()
            moment: dt.datetime | None = value
        else:
            text = fmt.date(value)
            day = value
            moment = None
        self = super().__new__(cls, text)
        self.value, self.day, self.moment, self._fmt = value, day, moment, fmt
        return self

    @property
    def days(self) -> int:
        return (self.day - self._fmt.today).days

    @property
    def past(self) -> bool:
        return self.days < 0

    @property
    def today(self) -> bool:
        return self.days == 0

    @property
    def future(self) -> bool:
        return self.days > 0

    @property
    def over(self) -> bool:
        """Whether the date (a whole day) or the moment has gone by."""
        if self.moment is None:
            return self.past
        now = self._fmt.now or dt.datetime.now(dt.UTC)
        return self._fmt.local(self.moment) <= self._fmt.local(now)

    @property
    def date(self) -> str:
        """The date alone (without a time), written out."""
        return self._fmt.date(self.day)

    @property
    def time(self) -> str:
        """The time alone ("10:00"); empty for a date without a time."""
        return self._fmt.time(self.moment) if self.moment is not None else ""

    @property
    def ago(self) -> str:
        return self._fmt.since(self)

    @property
    def on(self) -> str:
        return self._fmt.on_date_pattern.format(date=self.date)

    def __reduce__(self) -> Any:  # a str subclass with extra state: copy as plain text
        return (str, (str(self),))


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
