"""Promises in words: the next-update time a message holds us to, and which time wins.

``read_promise`` reads the first sentence of a message that promises the next contact
("I will write again on Wednesday 16 December at 12:00", «El jueves a las 15:00 le
llamo») and says when it means, or that it is vague ("soon") or already past.
``resolve_promise`` weighs that against the next-update field the agent filled in and
raises ``PromiseConflict`` when the two disagree. Every path that approves an outgoing
message asks it, so the time we record is the time the customer reads.

The words (promise cues, weekdays, months, parts of the day) are data, one file per
language in ``data/promises/<lang>.yml``; a new language is a new file. The grammar is
small and deterministic on purpose: it must give the same answer on every path, and
never invent a time the customer was not given.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from frankly import packs
from frankly.errors import Conflict, InvalidInput
from frankly.store import utcnow

PACK_FILE = "promises.yml"
DEFAULT_LANGUAGE = "en"
# Two times closer than this on the same day are the same promise (a field rounded to
# the half hour, a text saying "around 12").
SAME_PROMISE = dt.timedelta(minutes=30)
# A day-and-month already past by more than this is next year's ("5 January" said in
# December); a nearer one is a mistake the agent should see ("Monday 30 November").
_PAST_WINDOW = 60
_END_OF_DAY = (23, 59)

Source = Literal["field", "text", "both", "none"]


class PromiseWordsInvalid(InvalidInput):
    """A promise words file is malformed."""


class PromiseConflict(Conflict):
    """The message's words promise one time and the next-update field another.

    ``text_at`` and ``field_at`` are the two times (UTC), ``words`` the sentence that
    promises, ``timezone`` the customer's zone the message names times in. The caller
    asks the agent which one holds (``choice="text"`` or ``"field"``).
    """

    code = "promise_conflict"

    def __init__(
        self, text_at: dt.datetime, field_at: dt.datetime, words: str, timezone: str
    ) -> None:
        self.text_at = text_at
        self.field_at = field_at
        self.words = words
        self.timezone = timezone
        zone = _zone(timezone)
        super().__init__(
            f"The message promises an update on {_say(text_at, zone)} (“{_quote(words)}”), "
            f"but the next-update field says {_say(field_at, zone)} (times in {zone.key}): "
            "choose one",
            field="next_update_at",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "field": self.field,
            "text_at": self.text_at.isoformat(),
            "field_at": self.field_at.isoformat(),
            "words": self.words,
            "timezone": self.timezone,
            "choices": ["text", "field"],
        }

    def details(self) -> dict[str, object]:
        """What the API's error body carries beyond the message: both times and the words."""
        out = self.to_dict()
        for key in ("error", "message", "field"):
            out.pop(key)
        return out


@dataclass(frozen=True)
class Promise:
    """What a message's words promise: the sentence, and the moment it means (UTC).

    ``at`` is None when the promise is ``vague`` ("I'll be in touch soon"); when ``past``
    it is the moment named, already gone. ``day_only``: a day with no hour, held to the
    end of that day.
    """

    text: str
    at: dt.datetime | None
    vague: bool = False
    past: bool = False
    day_only: bool = False
    # "in two days": about that moment; a time within a day of it is the same promise.
    approximate: bool = False


@dataclass(frozen=True)
class PromiseDecision:
    """The next-update time to hold us to, and where it came from.

    ``source``: ``field`` (the agent's field alone, or chosen over the text), ``text``
    (the words alone, or chosen), ``both`` (they agree; ``at`` is the field's), ``none``.
    ``warnings`` are plain sentences to show the agent (a vague or past promise in the
    text, a day with no hour); they never block.
    """

    at: dt.datetime | None
    source: Source
    text_at: dt.datetime | None = None
    field_at: dt.datetime | None = None
    words: str | None = None
    vague: bool = False
    past: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "source": self.source,
            "text_at": self.text_at.isoformat() if self.text_at else None,
            "field_at": self.field_at.isoformat() if self.field_at else None,
            "words": self.words,
            "vague": self.vague,
            "past": self.past,
            "warnings": list(self.warnings),
        }


def resolve_promise(
    text: str,
    language: str,
    timezone: str,
    field: dt.datetime | None,
    *,
    now: dt.datetime,
    choice: str | None = None,
) -> PromiseDecision:
    """Which next-update time an outgoing message holds us to.

    ``text`` is the message's body, ``field`` the next-update time the agent set (aware,
    or None). The text's promise is read in ``language`` and the customer's ``timezone``.
    With no field, the text's time is used; with no time in the text, the field's. When
    both name a time and they differ (by more than 30 minutes, or on another day),
    ``PromiseConflict`` is raised unless ``choice`` says which holds: ``"text"`` (the
    words; none if they name no time) or ``"field"`` (the field; none if empty).

    Raises ``InvalidInput`` for a naive or past ``field`` or an unknown ``choice``.
    """
    if choice not in (None, "text", "field"):
        raise InvalidInput(
            f"Unknown promise choice {choice!r}: use 'text' or 'field'", field="promise_from"
        )
    if field is not None:
        if field.tzinfo is None:
            raise InvalidInput("The next-update time needs a time zone", field="next_update_at")
        if field <= now:
            raise InvalidInput(
                f"The next-update time {_say(field, _zone(timezone))} is in the past",
                field="next_update_at",
            )
    found = read_promise(text, language, timezone, now=now)
    text_at = found.at if found and not found.vague and not found.past else None
    warnings = _warnings(found, timezone)
    common: dict[str, Any] = {
        "text_at": text_at,
        "field_at": field,
        "words": found.text if found else None,
        "vague": bool(found and found.vague),
        "past": bool(found and found.past),
        "warnings": tuple(warnings),
    }
    if choice == "text":
        return PromiseDecision(text_at, "text" if text_at else "none", **common)
    if choice == "field":
        return PromiseDecision(field, "field" if field else "none", **common)
    if field is None:
        return PromiseDecision(text_at, "text" if text_at else "none", **common)
    if text_at is None:
        return PromiseDecision(field, "field", **common)
    if (
        same_promise(text_at, field, timezone)
        or (found is not None and found.day_only and _same_day(text_at, field, timezone))
        or (found is not None and found.approximate and abs(text_at - field) <= _ABOUT)
    ):
        return PromiseDecision(field, "both", **common)
    assert found is not None
    raise PromiseConflict(text_at, field, found.text, _zone(timezone).key)


_ABOUT = dt.timedelta(hours=24)


def _same_day(a: dt.datetime, b: dt.datetime, timezone: str) -> bool:
    zone = _zone(timezone)
    return a.astimezone(zone).date() == b.astimezone(zone).date()


def same_promise(a: dt.datetime, b: dt.datetime, timezone: str = "UTC") -> bool:
    """Whether two promised times are the same promise: the same local day, 30 min apart."""
    zone = _zone(timezone)
    return abs(a - b) <= SAME_PROMISE and a.astimezone(zone).date() == b.astimezone(zone).date()


def read_promise(
    text: str, language: str = "en", timezone: str = "UTC", *, now: dt.datetime
) -> Promise | None:
    """What the first promising sentence of ``text`` promises, or None if none does.

    Only sentences with a promise cue ("write again", «le llamaré») count, so a delivery
    date in the same message is not mistaken for the next update. A sentence naming no
    time is skipped unless it promises vaguely ("soon", «pronto»); a sentence with a time
    wins over a vague one anywhere in the message.
    """
    words = promise_words(language)
    zone = _zone(timezone)
    local = now.astimezone(zone)
    vague: Promise | None = None
    for sentence in _sentences(text):
        norm = _normalise(sentence)
        if not words.cues.search(norm):
            continue
        found = _when(norm, words, local)
        if found is None:
            if vague is None and words.vague.search(norm):
                vague = Promise(sentence.strip(), None, vague=True)
            continue
        moment, precision = found
        at = moment.replace(tzinfo=zone).astimezone(dt.UTC)
        # A moment that does not exist or repeats (a DST change) reads as its zone says.
        return Promise(
            sentence.strip(),
            at,
            past=at <= now,
            day_only=precision == "day",
            approximate=precision == "about",
        )
    return vague


def find_promise(
    text: str, language: str = "en", timezone: str = "UTC", now: dt.datetime | None = None
) -> Promise | None:
    """The future next-update time a hand-written message promises, or None.

    Like ``read_promise`` but only a promise with a time still to come.
    """
    now = now or utcnow()
    found = read_promise(text, language, timezone, now=now)
    if found is None or found.at is None or found.past:
        return None
    return found


def parse_when(
    text: str, language: str = "en", timezone: str = "UTC", now: dt.datetime | None = None
) -> dt.datetime:
    """A time the agent typed ("2026-11-27 17:00", "Thursday 5 pm", "el jueves a las 17:00").

    Read in the customer's time zone, returned in UTC. Raises ``InvalidInput`` when the
    words are not a time, or name a time already past.
    """
    now = now or utcnow()
    zone = _zone(timezone)
    parsed: dt.datetime | None
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        found = _when(_normalise(text), promise_words(language), now.astimezone(zone))
        parsed = found[0] if found else _dateparser(text, language, now.astimezone(zone))
    if parsed is None:
        raise InvalidInput(
            f"Not a time: {text!r}. Write for example 2026-11-27T17:00 or 'Thursday 5 pm'",
            field="next_update",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(dt.UTC)
    if parsed <= now:
        raise InvalidInput(f"{text!r} is in the past", field="next_update")
    return parsed


# ---------------------------------------------------------------------------- words


@dataclass(frozen=True)
class PromiseWords:
    """One language's promise words, as the patterns the reader uses."""

    language: str
    cues: re.Pattern[str]
    vague: re.Pattern[str]
    dmy: bool
    weekdays: dict[str, int]
    months: dict[str, int]
    days: dict[str, int]
    not_a_day_after: frozenset[str]
    pm: frozenset[str]
    times: dict[str, tuple[int, int]]
    numbers: dict[str, float]
    units: dict[str, str]
    patterns: dict[str, re.Pattern[str]]


_KEYS = {
    "language": str,
    "cues": list,
    "vague": list,
    "date_order": str,
    "weekdays": dict,
    "months": dict,
    "days": dict,
    "not_a_day_after": list,
    "at": list,
    "between": list,
    "and": list,
    "pm": list,
    "am": list,
    "times": dict,
    "within": list,
    "numbers": dict,
    "units": dict,
}


def languages() -> list[str]:
    """The languages whose pack has promise words."""
    return sorted(packs.languages_with(PACK_FILE))


def promise_words(language: str) -> PromiseWords:
    """The promise words for ``language`` (English when its pack has none)."""
    path = packs.pack_file(language, PACK_FILE)
    if path is None:
        language, path = DEFAULT_LANGUAGE, packs.pack_file(DEFAULT_LANGUAGE, PACK_FILE)
    if path is None:
        raise PromiseWordsInvalid(f"the {language!r} language pack has no {PACK_FILE}")
    return _load_language(path, language)


@functools.cache
def _load_language(path: Path, language: str) -> PromiseWords:
    return load_words(path, language)


def load_words(path: Path, language: str | None = None) -> PromiseWords:
    """Load and check one words file of ``language`` (by default the file's name, as in
    ``fr.yml``). Raises ``PromiseWordsInvalid`` naming file and key."""
    expected = language or path.stem
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PromiseWordsInvalid(f"{path.name}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise PromiseWordsInvalid(f"{path.name}: expected a mapping of words")
    for key, kind in _KEYS.items():
        if not isinstance(data.get(key), kind):
            raise PromiseWordsInvalid(f"{path.name}: {key}: expected a {kind.__name__}")
    if data["language"] != expected:
        raise PromiseWordsInvalid(
            f"{path}: language is {data['language']!r} but the file is for {expected!r}"
        )
    if data["date_order"] not in ("dmy", "mdy"):
        raise PromiseWordsInvalid(f"{path.name}: date_order: use dmy or mdy")
    times: dict[str, tuple[int, int]] = {}
    for phrase, clock in data["times"].items():
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(clock))
        if match is None:
            raise PromiseWordsInvalid(f"{path.name}: times: {phrase}: {clock!r} is not HH:MM")
        times[_normalise(phrase)] = (int(match[1]), int(match[2]))
    units = {_normalise(k): str(v) for k, v in data["units"].items()}
    bad = sorted(set(units.values()) - {"minutes", "hours", "days", "weeks"})
    if bad:
        raise PromiseWordsInvalid(
            f"{path.name}: units: {bad[0]!r}: use minutes, hours, days, weeks"
        )

    def norm_map(key: str) -> dict[str, Any]:
        return {_normalise(str(k)): v for k, v in data[key].items()}

    weekdays, months, days = norm_map("weekdays"), norm_map("months"), norm_map("days")
    numbers = {k: float(v) for k, v in norm_map("numbers").items()}
    patterns = _patterns(
        weekdays=list(weekdays),
        months=list(months),
        days=list(days),
        at=[_normalise(w) for w in data["at"]],
        between=[_normalise(w) for w in data["between"]],
        and_=[_normalise(w) for w in data["and"]],
        marks=[_normalise(w) for w in data["pm"] + data["am"]],
        times=list(times),
        within=[_normalise(w) for w in data["within"]],
        numbers=list(numbers),
        units=list(units),
    )
    return PromiseWords(
        language=data["language"],
        cues=_any(data["cues"]),
        vague=_any(data["vague"]),
        dmy=data["date_order"] == "dmy",
        weekdays=weekdays,
        months=months,
        days=days,
        not_a_day_after=frozenset(_normalise(w) for w in data["not_a_day_after"]),
        pm=frozenset(_normalise(w) for w in data["pm"]),
        times=times,
        numbers=numbers,
        units=units,
        patterns=patterns,
    )


def _alt(words: list[str]) -> str:
    """A regex alternation of ``words``, longest first so "day after tomorrow" beats "tomorrow"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _any(words: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alt([_normalise(w) for w in words])})(?!\w)")


def _patterns(**w: list[str]) -> dict[str, re.Pattern[str]]:
    ordinal = r"(?:st|nd|rd|th|º|o)?"
    mark = rf"(?:\s*(?P<mark>{_alt(w['marks'])})(?!\w))?"
    return {
        "iso": re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
        "numeric": re.compile(
            r"(?<![\d/.:-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
        ),
        "day_month": re.compile(
            rf"(?<![\w.,:])(?P<d>\d{{1,2}}){ordinal}\s+(?:de\s+|of\s+)?"
            rf"(?P<month>{_alt(w['months'])})\.?(?!\w)(?:,?\s+(?:de\s+)?(?P<y>\d{{4}}))?"
        ),
        "month_day": re.compile(
            rf"(?<!\w)(?P<month>{_alt(w['months'])})\.?\s+(?P<d>\d{{1,2}}){ordinal}(?![\d:])"
            rf"(?:,?\s+(?P<y>\d{{4}}))?"
        ),
        "weekday": re.compile(rf"(?<!\w)(?P<w>{_alt(w['weekdays'])})\.?(?!\w)"),
        "day": re.compile(rf"(?<!\w)(?P<r>{_alt(w['days'])})(?!\w)"),
        "within": re.compile(
            rf"(?<!\w)(?:{_alt(w['within'])})\s+(?P<n>\d{{1,3}}|{_alt(w['numbers'])})\s+"
            rf"(?P<unit>{_alt(w['units'])})(?!\w)"
        ),
        "clock": re.compile(
            r"(?<![\d.,:/])(?P<h>[01]?\d|2[0-3])\s?(?::|h)\s?(?P<min>[0-5]\d)(?!\d)" + mark
        ),
        "dotted": re.compile(
            r"(?<![\d.,:/])(?P<h>1[0-2]|0?[1-9])\.(?P<min>[0-5]\d)\s*"
            r"(?P<mark>a\.m\.|p\.m\.|am|pm)(?!\w)"
        ),
        "hour_h": re.compile(r"(?<![\d.,:/])(?P<h>[01]?\d|2[0-3])\s?h(?!\w)"),
        "range": re.compile(
            rf"(?<!\w)(?:{_alt(w['between'])})\s+(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*"
            rf"(?:{_alt(w['and_'])})\s+(?P<h>[01]?\d|2[0-3])(?::(?P<min>[0-5]\d))?(?![\d:])" + mark
        ),
        "ampm": re.compile(
            r"(?<![\d.,:/])(?P<h>1[0-2]|0?[1-9])\s*(?P<mark>a\.m\.|p\.m\.|am|pm)(?!\w)"
        ),
        "bare": re.compile(
            rf"(?<!\w)(?:{_alt(w['at'])})\s+(?P<h>[01]?\d|2[0-3])(?![\d:/]|[.,]\d|\s*h\b)" + mark
        ),
        "said": re.compile(rf"(?<!\w)(?P<t>{_alt(w['times'])})(?!\w)"),
    }


# ---------------------------------------------------------------------------- reading


@dataclass
class _Found:
    dates: list[tuple[int, dt.date | None, str]] = field(default_factory=list)
    weekdays: list[tuple[int, int]] = field(default_factory=list)
    days: list[tuple[int, int]] = field(default_factory=list)
    clocks: list[tuple[int, tuple[int, int]]] = field(default_factory=list)
    parts: list[tuple[int, tuple[int, int]]] = field(default_factory=list)
    within: list[tuple[int, dt.timedelta, str]] = field(default_factory=list)


def _when(norm: str, words: PromiseWords, local: dt.datetime) -> tuple[dt.datetime, str] | None:
    """The local moment ``norm`` (one normalised sentence) names, and how precisely:
    ``"moment"``, ``"day"`` (a day without an hour) or ``"about"`` ("in two days": about
    then, within a day); None when it names no time."""
    p = words.patterns
    taken: list[tuple[int, int]] = []

    def scan(name: str) -> list[re.Match[str]]:
        found = []
        for match in p[name].finditer(norm):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append(match)
        return found

    today = local.date()
    f = _Found()
    # Dates claim their words first, so "by 20 December" is a date, not 20:00.
    for m in scan("iso"):
        f.dates.append((m.start(), _date(int(m["y"]), int(m["m"]), int(m["d"])), "full"))
    for m in scan("numeric"):
        a, b = int(m["a"]), int(m["b"])
        day, month = (a, b) if words.dmy or b > 12 else (b, a)
        if month > 12:
            day, month = month, day
        year = _year(m["y"])
        f.dates.append((m.start(), _date(year or today.year, month, day), "" if year else "dm"))
    for name in ("day_month", "month_day"):
        for m in scan(name):
            year = _year(m["y"])
            date = _date(year or today.year, words.months[m["month"]], int(m["d"]))
            f.dates.append((m.start(), date, "" if year else "dm"))
    for m in scan("within"):
        n = m["n"]
        count = float(n) if n.isdigit() else words.numbers[n]
        unit = words.units[m["unit"]]
        f.within.append((m.start(), dt.timedelta(**{unit: count}), unit))
    for m in scan("range"):
        minute = int(m["min"] or 0)
        f.clocks.append((m.start(), _hour(int(m["h"]), minute, m["mark"], words, not minute)))
    for m in scan("clock"):
        f.clocks.append((m.start(), _hour(int(m["h"]), int(m["min"]), m["mark"], words, True)))
    for m in scan("dotted"):
        f.clocks.append((m.start(), _hour(int(m["h"]), int(m["min"]), m["mark"], words, True)))
    for m in scan("hour_h"):
        f.clocks.append((m.start(), (int(m["h"]), 0)))
    for m in scan("ampm"):
        f.clocks.append((m.start(), _hour(int(m["h"]), 0, m["mark"], words, True)))
    for m in scan("bare"):
        f.clocks.append((m.start(), _hour(int(m["h"]), 0, m["mark"], words, False)))
    for m in scan("said"):
        f.parts.append((m.start(), words.times[m["t"]]))
    for m in scan("weekday"):
        f.weekdays.append((m.start(), words.weekdays[m["w"]]))
    for m in scan("day"):
        before = norm[: m.start()].split()
        if before and before[-1] in words.not_a_day_after:
            continue
        f.days.append((m.start(), words.days[m["r"]]))
    return _combine(f, local)


def _combine(f: _Found, local: dt.datetime) -> tuple[dt.datetime, str] | None:
    today = local.date()
    naive = local.replace(tzinfo=None)
    clock = max(f.clocks)[1] if f.clocks else max(f.parts)[1] if f.parts else None
    date: dt.date | None = None
    explicit = False
    dates = [d for d in f.dates if d[1] is not None]
    if dates:
        position, date, how = max(dates, key=lambda d: d[0])
        assert date is not None
        explicit = True
        if how == "dm":
            date = _which_year(date, today, _weekday_near(f.weekdays, position))
    elif f.days:
        date = today + dt.timedelta(days=max(f.days)[1])
        explicit = True
    elif f.weekdays:
        ahead = (max(f.weekdays)[1] - today.weekday()) % 7 or 7
        date = today + dt.timedelta(days=ahead)
        explicit = True
    elif f.within:
        _, delta, unit = max(f.within, key=lambda w: w[0])
        moment = naive + delta
        if unit in ("minutes", "hours") or clock is None:
            # "in two days" with no hour is about then: a time within a day of it is the
            # same promise.
            precision = "moment" if unit in ("minutes", "hours") else "about"
            return moment.replace(second=0, microsecond=0), precision
        date = moment.date()
        explicit = True
    if date is None and clock is None:
        return None
    if clock is None:
        assert date is not None
        return dt.datetime.combine(date, dt.time(*_END_OF_DAY)), "day"
    moment = dt.datetime.combine(date or today, dt.time(*clock))
    if not explicit and moment <= naive:
        moment += dt.timedelta(days=1)  # "at 9" said at 10: tomorrow's 9
    return moment, "moment"


def _hour(
    hour: int, minute: int, mark: str | None, words: PromiseWords, clock: bool
) -> tuple[int, int]:
    if mark is not None:
        pm = mark in words.pm or mark in ("pm", "p.m.")
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    elif not clock and 1 <= hour <= 7:
        hour += 12  # "at 5" in business hours is five in the afternoon
    return hour, minute


def _weekday_near(weekdays: list[tuple[int, int]], position: int) -> int | None:
    """The weekday named just before a date ("Monday 30 November"), if any."""
    near = [w for p, w in weekdays if 0 <= position - p <= 16]
    return near[-1] if near else None


def _which_year(date: dt.date, today: dt.date, weekday: int | None) -> dt.date:
    """The year a day-and-month without one means: this year's, unless it is long past
    (then next year's); a weekday named with it decides when it fits one of them."""
    following = _date(date.year + 1, date.month, date.day)
    if weekday is not None:
        if date.weekday() == weekday:
            return date
        if following is not None and following.weekday() == weekday:
            return following
    if date < today and (today - date).days > _PAST_WINDOW and following is not None:
        return following
    return date


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


# ---------------------------------------------------------------------------- helpers

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "\u00a0": " "})


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text or "") if s.strip()]


def _normalise(text: str) -> str:
    """Lower case without accents, character for character ("Miércoles" -> "miercoles")."""
    out = []
    for char in unicodedata.normalize("NFC", text).translate(_APOSTROPHES):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        lowered = (base or char).lower()
        out.append(lowered if len(lowered) == 1 else char)
    return "".join(out)


def _dateparser(text: str, language: str, base: dt.datetime) -> dt.datetime | None:
    import dateparser

    try:
        return dateparser.parse(
            text,
            languages=[language],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base.replace(tzinfo=None),
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except (ValueError, OverflowError):
        return None


def _warnings(found: Promise | None, timezone: str) -> list[str]:
    if found is None:
        return []
    quoted = f"“{_quote(found.text)}”"
    if found.vague:
        return [f"The message promises news without a time ({quoted}): say when"]
    when = _say(found.at, _zone(timezone)) if found.at is not None else ""
    if found.past:
        return [f"The message promises an update on {when}, already past ({quoted})"]
    if found.day_only:
        return [f"The message names a day but no hour ({quoted}): held to {when}"]
    return []


def _say(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _quote(words: str, limit: int = 80) -> str:
    words = " ".join(words.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
