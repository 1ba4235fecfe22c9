"""Promises in words: the frozen sentence sets, and which time wins (text or field)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frankly.cadence import find_promise as cadence_find_promise
from frankly.compose.promises import (
    PromiseConflict,
    PromiseWordsInvalid,
    find_promise,
    load_words,
    promise_words,
    read_promise,
    resolve_promise,
)
from frankly.errors import Conflict, InvalidInput
from frankly.packs import builtin_dir

SETS = Path(__file__).parent / "data"
ZONE = "Europe/Madrid"
MADRID = zoneinfo.ZoneInfo(ZONE)
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=MADRID)  # a Monday


def _frozen(lang: str) -> list[Any]:
    data = yaml.safe_load((SETS / f"promises_{lang}.yml").read_text(encoding="utf-8"))
    assert data["timezone"] == ZONE and data["now"] == "2026-12-07 10:00"
    return [pytest.param(lang, s, id=s["text"][:50]) for s in data["sentences"]]


def _local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(MADRID).strftime("%Y-%m-%d %H:%M") if moment else None


@pytest.mark.parametrize(("lang", "sentence"), _frozen("en") + _frozen("es"))
def test_every_sentence_of_the_frozen_sets_reads_as_written(
    lang: str, sentence: dict[str, Any]
) -> None:
    found = read_promise(sentence["text"], lang, ZONE, now=NOW)
    want_vague, want_past = bool(sentence.get("vague")), bool(sentence.get("past"))
    if sentence["at"] is None and not want_vague and not want_past:
        assert found is None
        return
    assert found is not None
    assert (found.vague, found.past) == (want_vague, want_past)
    if sentence["at"] is not None:
        assert _local(found.at) == sentence["at"]


def test_the_frozen_sets_hold_thirty_sentences_a_language_with_promises_and_non_promises() -> None:
    for lang in ("en", "es"):
        sentences = [p.values[1] for p in _frozen(lang)]
        assert len(sentences) >= 30
        assert sum(s["at"] is None for s in sentences) >= 5
        assert any(s.get("vague") for s in sentences) and any(s.get("past") for s in sentences)


def test_the_cadence_names_still_work_and_give_only_future_times() -> None:
    text = "Le escribiré de nuevo el lunes 30 de noviembre a las 10:00."
    assert read_promise(text, "es", ZONE, now=NOW).past  # type: ignore[union-attr]
    assert find_promise(text, "es", ZONE, now=NOW) is None
    assert cadence_find_promise("Le escribiré pronto.", "es", ZONE, now=NOW) is None
    found = cadence_find_promise("I'll call you at 4pm.", "en", ZONE, now=NOW)
    assert found is not None and _local(found.at) == "2026-12-07 16:00"


def test_a_delivery_date_in_another_sentence_is_not_the_promise() -> None:
    text = (
        "Su pedido llegará el viernes 18 de diciembre. Lo sentimos.\n\n"
        "Le escribiré de nuevo el miércoles 16 de diciembre a las 12:00."
    )
    found = read_promise(text, "es", ZONE, now=NOW)
    assert found is not None and _local(found.at) == "2026-12-16 12:00"
    assert found.text.startswith("Le escribiré")


def test_a_day_without_an_hour_is_held_to_the_end_of_that_day_and_says_so() -> None:
    decision = resolve_promise("I will write again on Friday.", "en", ZONE, None, now=NOW)
    assert _local(decision.at) == "2026-12-11 23:59" and decision.source == "text"
    assert "no hour" in decision.warnings[0] and "Fri 11 Dec 23:59" in decision.warnings[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.sampled_from(["en", "es"]))
def test_any_text_never_crashes_the_reader(text: str, lang: str) -> None:
    found = read_promise(text, lang, ZONE, now=NOW)
    assert found is None or found.vague == (found.at is None)
    assert (
        find_promise(text, lang, ZONE, now=NOW) is None
        or find_promise(text, lang, ZONE, now=NOW).at > NOW
    )  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- text or field

PROMISE = "Lo sentimos mucho. Le escribiré de nuevo el miércoles 16 de diciembre a las 12:00."
TEXT_AT = dt.datetime(2026, 12, 16, 12, 0, tzinfo=MADRID)
OTHER_DAY = dt.datetime(2026, 12, 17, 9, 0, tzinfo=MADRID)


def test_an_empty_field_takes_the_time_the_text_promises() -> None:
    decision = resolve_promise(PROMISE, "es", ZONE, None, now=NOW)
    assert (decision.at, decision.source, decision.warnings) == (TEXT_AT, "text", ())


def test_a_field_that_agrees_with_the_text_within_half_an_hour_is_both() -> None:
    field = TEXT_AT + dt.timedelta(minutes=30)
    decision = resolve_promise(PROMISE, "es", ZONE, field, now=NOW)
    assert (decision.at, decision.source) == (field, "both")


@pytest.mark.parametrize(
    "field",
    [OTHER_DAY, TEXT_AT + dt.timedelta(minutes=31)],
    ids=["another day", "31 minutes later"],
)
def test_a_field_that_disagrees_with_the_text_is_a_conflict_naming_both(
    field: dt.datetime,
) -> None:
    with pytest.raises(PromiseConflict) as caught:
        resolve_promise(PROMISE, "es", ZONE, field, now=NOW)
    conflict = caught.value
    assert isinstance(conflict, Conflict) and conflict.http_status == 409
    assert (conflict.text_at, conflict.field_at) == (TEXT_AT, field)
    assert conflict.words.startswith("Le escribiré de nuevo")
    assert "Wed 16 Dec 12:00" in str(conflict) and "choose one" in str(conflict)
    assert conflict.to_dict()["choices"] == ["text", "field"]


def test_the_conflict_message_names_both_times_and_the_words() -> None:
    with pytest.raises(PromiseConflict) as caught:
        resolve_promise(PROMISE, "es", ZONE, OTHER_DAY, now=NOW)
    assert str(caught.value) == (
        "The message promises an update on Wed 16 Dec 12:00 (“Le escribiré de nuevo el "
        "miércoles 16 de diciembre a las 12:00.”), but the next-update field says "
        "Thu 17 Dec 09:00 (times in Europe/Madrid): choose one"
    )


def test_the_agent_chooses_the_text_or_the_field() -> None:
    by_text = resolve_promise(PROMISE, "es", ZONE, OTHER_DAY, now=NOW, choice="text")
    by_field = resolve_promise(PROMISE, "es", ZONE, OTHER_DAY, now=NOW, choice="field")
    assert (by_text.at, by_text.source) == (TEXT_AT, "text")
    assert (by_field.at, by_field.source) == (OTHER_DAY, "field")
    # Choosing the empty field is saying the message promises nothing.
    nothing = resolve_promise(PROMISE, "es", ZONE, None, now=NOW, choice="field")
    assert (nothing.at, nothing.source) == (None, "none")


def test_a_vague_or_past_promise_is_flagged_and_no_time_invented() -> None:
    vague = resolve_promise("Le escribiré pronto.", "es", ZONE, None, now=NOW)
    assert (vague.at, vague.source, vague.vague) == (None, "none", True)
    assert "without a time" in vague.warnings[0]
    past = "I will write again on Monday 30 November at 10:00."
    decision = resolve_promise(past, "en", ZONE, OTHER_DAY, now=NOW)
    assert (decision.at, decision.source, decision.past) == (OTHER_DAY, "field", True)
    assert "already past" in decision.warnings[0]


def test_no_promise_anywhere_is_none_and_a_field_alone_is_the_field() -> None:
    text = "Your order arrives on Friday. Thanks for your patience."
    assert resolve_promise(text, "en", ZONE, None, now=NOW).source == "none"
    assert resolve_promise(text, "en", ZONE, OTHER_DAY, now=NOW).source == "field"


@pytest.mark.parametrize(
    ("field", "choice", "match"),
    [
        (dt.datetime(2026, 12, 17, 9, 0), None, "time zone"),
        (NOW - dt.timedelta(hours=1), None, "in the past"),
        (None, "maybe", "Unknown promise choice"),
    ],
)
def test_bad_input_is_refused_naming_what(
    field: dt.datetime | None, choice: str | None, match: str
) -> None:
    with pytest.raises(InvalidInput, match=match):
        resolve_promise(PROMISE, "es", ZONE, field, now=NOW, choice=choice)


# ---------------------------------------------------------------------------- words as data


def test_every_language_has_the_same_kinds_of_words() -> None:
    english, spanish = promise_words("en"), promise_words("es")
    assert set(english.patterns) == set(spanish.patterns)
    assert set(english.weekdays.values()) == set(spanish.weekdays.values()) == set(range(7))
    assert set(english.months.values()) == set(spanish.months.values()) == set(range(1, 13))
    assert promise_words("fr") is english  # no file: English


def test_a_broken_words_file_names_its_file_and_key(tmp_path: Path) -> None:
    data = yaml.safe_load((builtin_dir() / "en" / "promises.yml").read_text(encoding="utf-8"))
    data["times"]["noon"] = "twelve"
    broken = tmp_path / "en.yml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PromiseWordsInvalid, match=r"en\.yml: times: noon: 'twelve'"):
        load_words(broken)
    del data["cues"]
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PromiseWordsInvalid, match=r"en\.yml: cues: expected a list"):
        load_words(broken)


@pytest.mark.parametrize("hour", [9, 22, 23])
def test_in_two_days_is_about_then_even_late_in_the_evening(hour: int) -> None:
    """The composer's field is a working-hours time near "in two days"; late in the day the
    field falls on the next calendar day, and that is still the same promise."""
    now = dt.datetime(2026, 12, 7, hour, 5, tzinfo=dt.UTC)
    field = now + dt.timedelta(days=2, hours=2)
    decision = resolve_promise(
        "I will write to you again in two days.", "en", "Europe/London", field, now=now
    )
    assert decision.at == field and decision.source == "both"
    far = now + dt.timedelta(days=4)
    with pytest.raises(PromiseConflict):
        resolve_promise("I will write to you again in two days.", "en", "UTC", far, now=now)
