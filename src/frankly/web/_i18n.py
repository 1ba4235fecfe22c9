"""The interface's words in each language, as data (``interface.yml`` of each language pack).

Templates write English and call ``t("…")``; each other language's pack maps the English
words to its own. A new interface language is a new pack folder (``frankly.packs``), not new
code; dates are written with the pack's Babel locale.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import yaml
from babel.dates import format_datetime

from frankly import packs
from frankly.errors import InvalidInput

# The templates, whose English words the packs translate.
FOLDER = Path(__file__).parent / "templates"
PACK_FILE = "interface.yml"


def catalogue(lang: str) -> dict[str, str]:
    """English words → words in ``lang`` (empty for English). Raises ``InvalidInput``."""
    entry = packs.pack(lang)
    if entry is None:
        raise InvalidInput(f"No interface language {lang!r}", field="language")
    path = packs.pack_file(lang, PACK_FILE)
    # A pack without interface words shows the interface in English.
    return _catalogue(path) if path is not None else {}


@functools.cache
def _catalogue(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidInput(f"{path}: every entry must map English words to words")
    return data


def languages() -> list[str]:
    """The interface languages: every installed language pack."""
    return list(packs.languages())


def translator(lang: str) -> Callable[..., str]:
    """``t(words, **values)``: the words in ``lang`` (English when missing), formatted."""
    try:
        words = catalogue(lang)
    except InvalidInput:
        words = {}

    def t(text: str, **values: object) -> str:
        out = words.get(text) or text
        return out.format(**values) if values else out

    return t


# How a moment is written on the pages: a weekday, a date and a time, in the agent's zone.
WHEN_PATTERN = "EEE d MMM y, HH:mm"


def when(value: dt.datetime | None, lang: str, tz: str = "UTC") -> str:
    """``value`` in the agent's time zone and language, with the zone's name ("" for None)."""
    if value is None:
        return ""
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, tz = dt.UTC, "UTC"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    text = format_datetime(value.astimezone(zone), WHEN_PATTERN, locale=packs.locale(lang))
    return f"{text} ({tz})"
