"""Interim: the promise decision the sending gate needs (the promises branch replaces this)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from frankly.errors import Conflict


class PromiseConflict(Conflict):
    code = "promise_conflict"

    def __init__(self, message: str, *, text_at: dt.datetime, field_at: dt.datetime, words: str):
        super().__init__(message, field="next_update_at")
        self.text_at, self.field_at, self.words = text_at, field_at, words

    def details(self) -> dict[str, object]:
        return {
            "text_at": self.text_at.isoformat(),
            "field_at": self.field_at.isoformat(),
            "words": self.words,
            "choose": "promise_from: text or field",
        }


@dataclass
class PromiseDecision:
    at: dt.datetime | None
    source: str
    warnings: list[str] = field(default_factory=list)


def resolve_promise(
    text: str,
    language: str,
    timezone: str,
    field_at: dt.datetime | None,
    *,
    now: dt.datetime,
    choice: str | None = None,
) -> PromiseDecision:
    from frankly.cadence._promises import find_promise  # interim only

    found = find_promise(text, language, timezone, now)
    if found is None:
        return PromiseDecision(field_at, "field" if field_at else "none")
    if field_at is None or choice == "text":
        return PromiseDecision(found.at, "text")
    if choice == "field" or found.at.date() == field_at.date():
        return PromiseDecision(field_at, "field" if choice else "both")
    raise PromiseConflict(
        f"The message promises an update at {found.at:%a %d %b %H:%M} UTC ({found.text!r}), "
        f"but the next-update field says {field_at:%a %d %b %H:%M} UTC: choose one",
        text_at=found.at,
        field_at=field_at,
        words=found.text,
    )
