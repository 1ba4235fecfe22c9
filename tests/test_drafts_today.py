"""Drafts know what day it is, and say only what the case records.

The demo is loaded on one day and every case is drafted three weeks later, at every
stage, on every channel, in both languages: no date gone by is written as still to come,
no ISO date or placeholder reaches the customer, and every date carries its year when it
is not this year's (the load day is chosen so the three weeks cross New Year).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

from frankly import cases, demo
from frankly.compose import Formatter, When, draft
from frankly.playbooks import MissingFacts, load_library
from frankly.store import Database

from .conftest import _sqlite_db

LOADED = dt.datetime(2026, 12, 20, 9, 30, tzinfo=dt.UTC)  # a Sunday before Christmas
LATER = LOADED + dt.timedelta(weeks=3)  # Sunday 10 January 2027

_MONTHS = {
    "en": [dt.date(2027, m, 1).strftime("%B") for m in range(1, 13)],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
_DATE = {
    "en": re.compile(
        rf"\b({'|'.join(_DAYS['en'])}) (\d{{1,2}}) ({'|'.join(_MONTHS['en'])})(?: (\d{{4}}))?"
    ),
    "es": re.compile(
        rf"\b({'|'.join(_DAYS['es'])}) (\d{{1,2}}) de ({'|'.join(_MONTHS['es'])})"
        rf"(?: de (\d{{4}}))?"
    ),
}
# Words that put what follows in the future, in the clause before a date.
_FUTURE = {
    "en": re.compile(
        r"\bwill\b|\bby\b|\bis due\b|\bdue on\b|\bdate is\b|\barrives\b|\breaches\b"
        r"|\bwithin\b|\buntil\b|\bbefore\b|\bnext\b|\bexpected\b"
    ),
    "es": re.compile(
        r"\b\w+(?:rá|rán|ré|remos)\b|\bantes del?\b|\bvence\b|\bhasta\b"
        r"|\bfecha (?:de entrega )?es\b|\bprevista\b"
    ),
}
_PAST_CLAUSE = re.compile(r"\b(did|could|was|were|had|promised)\b")
_CLAUSE = re.compile(r"[.;:!?\n]\s")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_PLACEHOLDERS = ("{{", "{%", "[", "XXX", "000 000", "None")


def written_dates(text: str, lang: str, today: dt.date) -> Iterator[tuple[dt.date, int, str]]:
    """(date, where, its words) for each date written out in ``text``.

    A date without a year is in the current year; its weekday must agree, which catches a
    date of another year written without one.
    """
    for match in _DATE[lang].finditer(text):
        weekday, day, month, year = match.groups()
        value = dt.date(int(year) if year else today.year, _MONTHS[lang].index(month) + 1, int(day))
        assert _DAYS[lang][value.weekday()] == weekday, (
            f"{match[0]!r} is not a {weekday} in {value.year}: a date of another year "
            f"needs its year"
        )
        yield value, match.start(), match[0]


def past_written_as_future(text: str, lang: str, today: dt.date) -> list[str]:
    found = []
    for value, start, words in written_dates(text, lang, today):
        if value >= today:
            continue
        before = text[:start]
        boundaries = [m.end() for m in _CLAUSE.finditer(before)]
        clause = before[boundaries[-1] if boundaries else 0 :]
        if "was due" in clause:
            clause = clause.replace("was due", "").replace("due on", "")
        if _PAST_CLAUSE.search(clause):
            # "could not deliver it by …": a deadline in a sentence about the past.
            clause = re.sub(r"\bby\b", "", clause)
        if _FUTURE[lang].search(clause):
            found.append(f"{clause.strip()} {words}")
    return found


@pytest.fixture(scope="module")
def loaded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = _sqlite_db(sqlite_template, tmp_path_factory.mktemp("demo-today"))
    demo.load_demo(db, now=LOADED)
    yield db
    db.dispose()


def test_three_weeks_after_loading_no_draft_writes_a_past_date_as_future(
    loaded: Database,
) -> None:
    library = load_library()
    problems: list[str] = []
    drafted = 0
    for case in cases.list_cases(loaded, limit=500):
        if not (case.external_ref or "").startswith("demo:"):
            continue
        view = cases.show_case(loaded, case.id)
        zone = zoneinfo.ZoneInfo(view.customer.timezone or "UTC")
        today = LATER.astimezone(zone).date()
        for stage in library.get(case.kind).stages:
            for channel in ("email", "sms", "call"):
                for lang in ("en", "es"):
                    try:
                        d = draft(view, stage, channel, lang, now=LATER, library=library)
                    except MissingFacts:
                        continue
                    drafted += 1
                    where = f"{case.external_ref} {stage} {channel} {lang}"
                    text = d.text
                    problems += [
                        f"{where}: past as future: {p!r}"
                        for p in past_written_as_future(text, lang, today)
                    ]
                    problems += [f"{where}: ISO date {m!r}" for m in _ISO.findall(text)]
                    problems += [f"{where}: placeholder {p!r}" for p in _PLACEHOLDERS if p in text]
    assert drafted > 1000
    assert not problems, "\n".join(problems[:40])


def test_the_demo_is_dated_from_the_day_it_is_loaded(loaded: Database) -> None:
    found = cases.find_case_by_ref(loaded, "demo:01")
    assert found is not None
    facts = found.facts
    # Three days before the load day, and a week after it: not fixed November dates.
    assert facts["promised_date"] == "2026-12-17"
    assert facts["new_eta"] == "2026-12-24"
    view = cases.show_case(loaded, found.id)
    first = next(m for m in view.messages if m.direction == "out")
    assert "will not arrive on 17 December" in first.body
    outage = cases.find_case_by_ref(loaded, "demo:35")
    assert outage is not None
    started = dt.datetime.fromisoformat(outage.facts["started_at"])
    assert started == LOADED - dt.timedelta(hours=2.5)


def test_a_draft_changes_tense_and_warns_when_a_date_it_relies_on_has_passed(
    loaded: Database,
) -> None:
    found = cases.find_case_by_ref(loaded, "demo:01")
    assert found is not None
    view = cases.show_case(loaded, found.id)
    before = draft(view, "first_notice", now=LOADED)
    assert "will not arrive on Thursday 17 December" not in before.body  # already past
    assert "did not arrive on Thursday 17 December as we promised" in before.body
    assert "The new delivery date is Thursday 24 December." in before.body
    assert not [w for w in before.warnings if "new_eta" in w]
    after = draft(view, "first_notice", now=LATER)
    assert "did not arrive on Thursday 17 December 2026 as we promised" in after.body
    assert "The new date we gave you, Thursday 24 December 2026, has passed too" in after.body
    assert any("new_eta" in w and "already past" in w for w in after.warnings), after.warnings


def test_the_resolution_says_what_the_customer_chose(loaded: Database) -> None:
    found = cases.find_case_by_ref(loaded, "demo:02")  # Spanish, late delivery
    assert found is not None
    plain = draft(cases.show_case(loaded, found.id), "resolution", now=LOADED)
    assert "ya le ha llegado" in plain.body and "cancelado" not in plain.body
    cases.offer_options(loaded, found.id, at=LOADED)
    cases.choose_option(loaded, found.id, "cancel_refund", at=LOADED)
    chosen = draft(cases.show_case(loaded, found.id), "resolution", now=LOADED)
    assert "Como eligió, hemos cancelado su pedido 8812" in chosen.body
    assert "ya le ha llegado" not in chosen.body
    assert "cancelado y reembolsado" in (chosen.subject or "")


def test_the_follow_up_tells_the_reviews_changes_only_in_the_customers_language(
    loaded: Database,
) -> None:
    # demo:11 (English) was followed up and its review is written, in English.
    found = cases.find_case_by_ref(loaded, "demo:11")
    assert found is not None
    d = draft(cases.show_case(loaded, found.id), "follow_up", now=LATER)
    assert "What we have changed since: Each colour now has its own bin and label" in d.body
    spanish = draft(cases.show_case(loaded, found.id), "follow_up", lang="es", now=LATER)
    assert "cambiado" not in spanish.body and "colour" not in spanish.body
    assert any("written in 'en'" in w for w in spanish.warnings)
    # A case with no review says nothing about changes, and says why it does not.
    other = cases.find_case_by_ref(loaded, "demo:05")
    assert other is not None
    quiet = draft(cases.show_case(loaded, other.id), "follow_up", now=LATER)
    assert "changed" not in quiet.body and "checks each order" not in quiet.body
    assert any("No lessons-learned review" in w for w in quiet.warnings)


def test_elapsed_time_years_and_tense_in_both_languages() -> None:
    library = load_library()
    now = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
    en = Formatter.for_language(library, "en", "Europe/London", now=now)
    es = Formatter.for_language(library, "es", "Europe/Madrid", now=now)
    assert en.date(dt.date(2027, 1, 12)) == "Tuesday 12 January"
    assert en.date(dt.date(2026, 12, 31)) == "Thursday 31 December 2026"
    assert es.date(dt.date(2026, 12, 31)) == "jueves 31 de diciembre de 2026"
    assert en.since(dt.date(2026, 12, 31)) == "ten days ago"
    assert es.since(dt.date(2026, 12, 31)) == "hace diez días"
    assert en.since(dt.date(2027, 1, 9)) == "yesterday"
    assert es.since(dt.date(2026, 12, 20)) == "hace tres semanas"
    assert en.since(dt.date(2026, 12, 3)) == "a month ago" or "weeks ago" in en.since(
        dt.date(2026, 12, 3)
    )
    assert en.since(dt.date(2027, 1, 13)) == "in three days"
    past = When(es, dt.date(2026, 12, 31))
    assert past.past and not past.future and past.days == -10
    assert past.on == "el jueves 31 de diciembre de 2026"
    soon = When(en, dt.date(2027, 1, 10))
    assert soon.today and not soon.past and soon.on == "on Sunday 10 January"
    # A moment is over once it has gone by, even on the same day.
    morning = When(en, dt.datetime(2027, 1, 10, 8, 0, tzinfo=dt.UTC))
    assert morning.over and morning.today and str(morning) == "Sunday 10 January at 08:00"


def test_the_past_written_as_future_detector_finds_what_it_should() -> None:
    today = dt.date(2027, 1, 10)
    assert past_written_as_future("It will arrive on Thursday 31 December 2026.", "en", today)
    assert not past_written_as_future(
        "It did not arrive on Thursday 31 December 2026.", "en", today
    )
    assert past_written_as_future("Le llegará el jueves 31 de diciembre de 2026.", "es", today)
    assert not past_written_as_future("No llegó el jueves 31 de diciembre de 2026.", "es", today)
    with pytest.raises(AssertionError, match="needs its year"):
        list(written_dates("on Thursday 31 December", "en", today))
