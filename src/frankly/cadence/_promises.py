"""Reading a promised time out of words: "I will write again by Thursday 5 pm"."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from frankly.cadence._texts import texts
from frankly.errors import InvalidInput
from frankly.store import utcnow

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Promise:
    """A next-update time found in a message: the words, and the moment they mean (UTC)."""

    text: str
    at: dt.datetime


def parse_when(
    text: str, language: str = "en", timezone: str = "UTC", now: dt.datetime | None = None
) -> dt.datetime:
    """A time the agent typed ("2026-11-27 17:00", "Thursday 5 pm", "el jueves a las 17:00").

    Read in the customer's time zone, returned in UTC. Raises ``InvalidInput`` when the
    words are not a time, or name a time already past.
    """
    now = now or utcnow()
    zone = _zone(timezone)
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        parsed = _parse(text, language, now.astimezone(zone))
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


def find_promise(
    text: str, language: str = "en", timezone: str = "UTC", now: dt.datetime | None = None
) -> Promise | None:
    """The next-update time a hand-written message promises, or None.

    Only sentences with a promise word ("write again", "le escribiré") are searched, so a
    delivery date in the same message is not mistaken for the next update.
    """
    now = now or utcnow()
    cues = [c.lower() for c in texts(language).get("promise_cues", [])]
    zone = _zone(timezone)
    local = now.astimezone(zone)
    for sentence in _SENTENCES.split(text):
        lowered = sentence.lower()
        if not any(cue in lowered for cue in cues):
            continue
        found = _search(sentence, language, local)
        if found is None:
            continue
        words, moment = found
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        moment = moment.astimezone(dt.UTC)
        if moment > now:
            return Promise(words, moment)
    return None


def _parse(text: str, language: str, base: dt.datetime) -> dt.datetime | None:
    import dateparser

    return dateparser.parse(text, languages=[language], settings=_settings(base))


def _search(sentence: str, language: str, base: dt.datetime) -> tuple[str, dt.datetime] | None:
    from dateparser.search import search_dates

    found = search_dates(sentence, languages=[language], settings=_settings(base))
    if not found:
        return None
    # The last time named in a promise sentence is the deadline ("by Thursday at 5 pm").
    words, moment = found[-1]
    return words.strip(), moment


def _settings(base: dt.datetime) -> dict[str, object]:
    return {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
