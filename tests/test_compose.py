"""The composer: drafts from the demo cases, next-update times, formats, errors, saving."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from frankly import cases, demo
from frankly.cases import CaseView
from frankly.cli import app
from frankly.compose import WorkingHours, draft, next_update_time
from frankly.errors import InvalidInput
from frankly.playbooks import (
    SMS_LIMIT,
    MissingFacts,
    NoText,
    UnknownPlaybook,
    UnknownStage,
    load_library,
)
from frankly.store import Database, utcnow
from frankly.store.models import Agent, Case, Commitment, Customer, Event, Message

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # a Monday morning
GOOD = Path(__file__).parent / "data" / "good_playbooks"
_CUSTOMERS = {c[2]: c for c in demo.CUSTOMERS}
_AGENTS = {a["email"]: a for a in demo.AGENTS}
runner = CliRunner()


def demo_view(spec: demo.DemoCase, number: int = 1, **changes: Any) -> CaseView:
    """A demo case as the composer sees it, without a database."""
    name, company, email, phone, language, tier, timezone = _CUSTOMERS[spec.customer]
    customer = Customer(
        id=number,
        name=name,
        company=company,
        email=email,
        phone=phone,
        language=language,
        tier=changes.pop("tier", tier),
        timezone=changes.pop("timezone", timezone),
    )
    agent = _AGENTS[spec.owner]
    owner = Agent(
        id=number,
        name=agent["name"],
        email=agent["email"],
        phone=agent["phone"],
        timezone=agent["timezone"],
    )
    case = Case(
        id=number,
        kind=changes.pop("kind", spec.kind),
        title=spec.title_at(NOW),
        severity=spec.severity,
        fault=spec.fault,
        facts=changes.pop("facts", spec.facts_at(NOW)),
        external_ref=spec.ref,
    )
    return CaseView(case, customer, changes.pop("owner", owner))


def demo_case(ref: str) -> demo.DemoCase:
    return next(c for c in demo.CASES if c.ref == ref)


def _combinations() -> list[tuple[str, str, str, str]]:
    library = load_library()
    return [
        (spec.ref, stage, channel, lang)
        for spec in demo.CASES
        for stage in library.get(spec.kind).stages
        for channel in ("email", "sms", "call")
        for lang in ("en", "es")
    ]


COMBINATIONS = _combinations()


def test_every_kind_has_demo_cases() -> None:
    assert {spec.kind for spec in demo.CASES} == set(load_library().playbooks)


@pytest.mark.parametrize(("ref", "stage", "channel", "lang"), COMBINATIONS)
def test_every_stage_channel_and_language_renders_for_the_demo_cases(
    ref: str, stage: str, channel: str, lang: str
) -> None:
    spec = demo_case(ref)
    d = draft(demo_view(spec), stage, channel, lang, now=NOW)
    agent = _AGENTS[spec.owner]
    assert d.language == lang and d.stage == stage and d.channel == channel
    assert agent["phone"] in d.body  # a direct contact, always
    assert d.next_update_text in d.body  # a concrete next-update time, always
    assert d.next_update_at > NOW and d.next_update_at.utcoffset() == dt.timedelta(0)
    assert "{{" not in d.body and "{%" not in d.body and "None" not in d.body
    assert "  " not in d.body.replace("\n  ", "\n")
    if channel == "email":
        assert d.subject and "\n" not in d.subject
    if channel == "sms":
        assert len(d.body) <= SMS_LIMIT and "\n" not in d.body
        # Fits, and goes to a number on file (a date gone by is warned about elsewhere).
        assert not [w for w in d.warnings if "SMS" in w or "phone" in w]
    if channel == "call":
        assert set(d.sections) >= {"opening", "facts", "admission", "closing", "calm"}
        assert d.sections["calm"]


def test_a_first_notice_says_what_why_options_next_update_and_contact() -> None:
    d = draft(demo_view(demo_case("demo:01")), "first_notice", now=NOW)
    # Written on Monday 23 November: the promised Friday has gone by, and the draft says so.
    assert d.subject == "Order 4471 did not arrive on Friday 20 November"
    body = d.body
    assert "did not arrive on Friday 20 November as we promised" in body
    assert "The new delivery date is Friday 27 November." in body
    assert "missing the commodity code. That was our mistake, and I am sorry." in body
    assert body.count("sorry") == 1
    assert "Tell me which you prefer." in body
    assert "- cancel the order for a full refund within 5 working days" in body
    # a key customer gets the "more than expected" extras
    assert "- add extra protective packaging at no cost" in body
    assert "I will write again by Tuesday 24 November at 10:00" in body
    assert "+44 20 7946 0102" in body and "james@northwind.example" in body
    assert [r["id"] for r in d.remedies] == [
        "keep_order",
        "partial_now",
        "cancel_refund",
        "express_at_our_cost",
        "extra_packaging",
    ]


def test_a_standard_customer_gets_the_small_extra_instead() -> None:
    d = draft(demo_view(demo_case("demo:03")), "first_notice", now=NOW)
    ids = {r["id"] for r in d.remedies}
    assert "small_gift" in ids and "extra_packaging" not in ids
    assert "add a small gift from us to the box" in d.body


def test_spanish_drafts_use_spanish_dates_money_and_usted() -> None:
    d = draft(demo_view(demo_case("demo:18")), "first_notice", now=NOW)
    assert d.language == "es"
    assert "3120,00\xa0€" in d.body.replace(".", "")  # 3.120,00 € with a no-break space
    assert "1.560,00\xa0€" in d.body
    assert "Le debemos 1.560,00\xa0€." in d.body
    # The owner works in Madrid, the customer reads Bogotá time: the promise falls in
    # both working days (17:00 in Madrid is 11:00 in Bogotá), not at 04:00 for her.
    assert "antes del martes 24 de noviembre a las 11:00" in d.body
    late = draft(demo_view(demo_case("demo:02")), "first_notice", now=NOW)
    assert "no llegará el miércoles 25 de noviembre" in late.body
    assert "Puede llamarme directamente al +34 910 000 103" in late.body


def test_money_uses_the_case_currency() -> None:
    d = draft(demo_view(demo_case("demo:22")), "reminder_7_days", now=NOW)
    assert "£1,875.50" in d.body
    assert "https://pay.northwind.example/INV-20612" in d.body
    assert "Our payment terms require payment within 30 days" in d.body


def test_the_next_update_is_in_the_customers_zone_and_the_owners_hours() -> None:
    # The owner works in London; the customer reads New York time.
    spec = demo_case("demo:03")
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    d = draft(demo_view(spec, timezone="America/New_York"), "update", now=now)
    assert d.next_update_at == dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
    assert "by Tuesday 24 November at 09:00" in d.body


def test_a_friday_afternoon_promise_goes_to_monday() -> None:
    friday = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)
    d = draft(demo_view(demo_case("demo:01")), "update", now=friday)
    assert d.next_update_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    assert "by Monday 30 November at 10:00" in d.body


def test_an_outage_promises_updates_every_half_hour_day_and_night() -> None:
    sunday_night = dt.datetime(2026, 11, 29, 23, 5, tzinfo=dt.UTC)
    d = draft(demo_view(demo_case("demo:35")), "update", now=sunday_night)
    assert d.next_update_at == dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)


def test_update_shows_each_logistics_milestone_so_far() -> None:
    facts = {**demo_case("demo:01").facts_at(NOW), "milestone": "documents_checked"}
    d = draft(demo_view(demo_case("demo:01"), facts=facts), "update", now=NOW)
    assert d.subject == "Order 4471: customs has checked the documents"
    steps = d.body.split("The steps so far:\n")[1].split("\n\n")[0].splitlines()
    assert steps == [
        "- the goods are with the carrier",
        "- the goods are at customs",
        "- customs has checked the documents",
    ]


def test_a_call_script_has_every_talking_point() -> None:
    d = draft(demo_view(demo_case("demo:13")), "first_notice", "call", now=NOW)
    for heading in (
        "## Opening",
        "## The facts",
        "## Our part",
        "## Options to offer",
        "## Questions they may ask",
        "## If the call gets heated",
        "## Closing",
    ):
        assert heading in d.body
    assert "- Q: Is it safe to keep using the units?" in d.body
    assert d.sections["options"][-1] == "Tell us which you prefer."
    assert d.sections["closing"].startswith("I will write to you by Tuesday 24 November")


def test_a_missing_required_fact_is_named_with_its_question() -> None:
    facts = {k: v for k, v in demo_case("demo:02").facts_at(NOW).items() if k != "promised_date"}
    with pytest.raises(MissingFacts) as caught:
        draft(demo_view(demo_case("demo:02"), facts=facts), "first_notice", now=NOW)
    assert caught.value.field == "promised_date"
    assert "promised_date (¿Qué fecha de entrega prometimos?)" in caught.value.message
    assert [f.name for f in caught.value.missing] == ["promised_date"]


def test_a_fact_of_the_wrong_type_is_an_error_naming_it() -> None:
    facts = {**demo_case("demo:17").facts_at(NOW), "refund_amount": "abc"}
    with pytest.raises(InvalidInput) as caught:
        draft(demo_view(demo_case("demo:17"), facts=facts), "first_notice", now=NOW)
    assert caught.value.field == "refund_amount"
    assert "amount of money" in caught.value.message


def test_unknown_kind_stage_channel_or_language_are_clear_errors() -> None:
    view = demo_view(demo_case("demo:01"), kind="lost_parcel")
    with pytest.raises(UnknownPlaybook, match="late_delivery"):
        draft(view, "first_notice", now=NOW)
    view = demo_view(demo_case("demo:01"))
    with pytest.raises(UnknownStage, match="first_notice, update"):
        draft(view, "public_statement", now=NOW)
    with pytest.raises(InvalidInput, match="email, sms, call"):
        draft(view, "first_notice", "fax", now=NOW)
    with pytest.raises(NoText, match="'fr'"):
        draft(view, "first_notice", lang="fr", now=NOW)
    with pytest.raises(InvalidInput, match="no owner"):
        draft(demo_view(demo_case("demo:01"), owner=None), "first_notice", now=NOW)


def _english_only(tmp_path: Path) -> Path:
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "es"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    data = strip(yaml.safe_load((GOOD / "missed_visit.yml").read_text(encoding="utf-8")))
    (tmp_path / "missed_visit.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


def test_a_language_the_playbook_lacks_is_a_clear_error(tmp_path: Path) -> None:
    folder = _english_only(tmp_path)
    spec = demo_case("demo:02")  # a Spanish-speaking customer
    facts = {"visit_date": "2026-11-20 10:00", "cause": "we double-booked the technician"}
    view = demo_view(spec, kind="missed_visit", facts=facts)
    with pytest.raises(NoText) as caught:
        draft(view, "first_notice", now=NOW, playbooks_dirs=[folder])
    assert "'missed_visit' has no text in 'es': it has en" in caught.value.message
    english = draft(view, "first_notice", lang="en", now=NOW, playbooks_dirs=[folder])
    assert english.subject == "We missed your visit on Friday 20 November at 10:00"


def test_working_hours_can_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRANKLY_WORKING_HOURS", "07:00-15:00")
    hours = WorkingHours.from_env()
    assert (hours.start, hours.end) == (dt.time(7), dt.time(15))
    monkeypatch.setenv("FRANKLY_WORKING_HOURS", "early-late")
    with pytest.raises(InvalidInput):
        WorkingHours.from_env()


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(dt.UTC),
    ),
    minutes=st.sampled_from([30, 60, 120, 240, 1440, 2880, 4320, 10080]),
    zone=st.sampled_from(["Europe/London", "Europe/Madrid", "America/New_York", "Asia/Tokyo"]),
)
def test_next_update_is_after_now_in_working_hours_and_close_to_the_cadence(
    now: dt.datetime, minutes: int, zone: str
) -> None:
    interval = dt.timedelta(minutes=minutes)
    result = next_update_time(now, interval, zone)
    local = result.astimezone(zoneinfo.ZoneInfo(zone))
    assert result.tzinfo is not None and result > now
    assert WorkingHours().contains(local)
    deadline = now + interval
    if result > deadline + interval / 4:
        # Only when no working slot fits between now and the deadline.
        assert result - deadline <= dt.timedelta(days=4)


@settings(max_examples=100, deadline=None)
@given(
    now=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(dt.UTC),
    ),
)
def test_round_the_clock_updates_keep_the_cadence(now: dt.datetime) -> None:
    result = next_update_time(now, dt.timedelta(minutes=30), "UTC", working_hours_only=False)
    assert now + dt.timedelta(minutes=15) <= result <= now + dt.timedelta(minutes=30)
    assert result.minute % 15 == 0 and result.second == 0


# ------------------------------------------------------------------------- saving


def _case(db: Database, facts: dict[str, Any] | None = None) -> int:
    customer = cases.add_customer(
        db,
        name="Carmen Ruiz",
        email="carmen@example.com",
        language="es",
        tier="key",
        timezone="Europe/Madrid",
        phone="+34 915 550 201",
    )
    agent = cases.add_agent(
        db,
        name="Lucía Fernández",
        email="lucia@example.com",
        timezone="Europe/Madrid",
        phone="+34 910 000 103",
    )
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="Pedido 8812 retrasado",
        facts=facts if facts is not None else dict(demo_case("demo:02").facts_at(NOW)),
        owner_id=agent.id,
    )
    return case.id


def _counts(db: Database) -> tuple[int, int, int]:
    with db.reading() as session:
        return (
            session.query(Message).count(),
            session.query(Commitment).count(),
            session.query(Event).count(),
        )


def test_save_draft_saves_message_commitment_and_event_together(db: Database) -> None:
    case_id = _case(db)
    message = cases.save_draft(db, case_id, "first_notice", "sms", author="lucia", now=NOW)
    view = cases.show_case(db, case_id)
    [saved] = view.messages
    assert saved.id == message.id
    assert (saved.status, saved.direction, saved.channel, saved.stage) == (
        "draft",
        "out",
        "sms",
        "first_notice",
    )
    assert saved.language == "es" and saved.recipient == "+34 915 550 201"
    assert saved.next_update_at == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    assert "antes del martes 24 de noviembre a las 10:00" in saved.body
    [commitment] = view.commitments
    assert commitment.status == "proposed" and commitment.message_id == saved.id
    assert commitment.due_at == saved.next_update_at
    event = view.events[-1]
    assert event.kind == "message_drafted" and event.author == "lucia"
    assert event.payload["message_id"] == saved.id
    assert event.payload["commitment_id"] == commitment.id
    assert event.payload["stage"] == "first_notice"
    call = cases.save_draft(db, case_id, "first_notice", "call", lang="en", now=NOW)
    assert call.channel == "phone" and call.language == "en"
    assert call.body.startswith("## Opening")


def test_save_draft_saves_nothing_on_error(db: Database) -> None:
    facts = {k: v for k, v in demo_case("demo:02").facts_at(NOW).items() if k != "cause"}
    case_id = _case(db, facts)
    before = _counts(db)
    with pytest.raises(MissingFacts, match="cause"):
        cases.save_draft(db, case_id, "first_notice", now=NOW)
    with pytest.raises(UnknownStage):
        cases.save_draft(db, case_id, "public_statement", now=NOW)
    with pytest.raises(InvalidInput):
        cases.save_draft(db, case_id, "first_notice", "fax", now=NOW)
    assert _counts(db) == before


def test_cli_draft_prints_saves_or_not_and_explains_errors(use_sqlite_db: Database) -> None:
    # The CLI drafts at the real time: the demo's facts are dated from today too.
    case_id = _case(use_sqlite_db, facts=demo_case("demo:02").facts_at(utcnow()))
    result = runner.invoke(app, ["draft", str(case_id), "--stage", "first_notice", "--no-save"])
    assert result.exit_code == 0, result.output
    assert "Su pedido 8812 no llegará el " in result.output
    assert "Not saved" in result.output
    assert _counts(use_sqlite_db)[0] == 0
    result = runner.invoke(
        app,
        [
            "draft",
            str(case_id),
            "--stage",
            "update",
            "--channel",
            "sms",
            "--lang",
            "en",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["language"] == "en" and shown["channel"] == "sms"
    assert shown["saved_message_id"] is not None
    assert _counts(use_sqlite_db)[:2] == (1, 1)
    result = runner.invoke(app, ["draft", str(case_id), "--stage", "nothing"])
    assert result.exit_code == 2 and "no stage 'nothing'" in result.output
    cases.record_facts(use_sqlite_db, case_id, {"cause": None})
    result = runner.invoke(app, ["draft", str(case_id), "--stage", "first_notice"])
    assert result.exit_code == 2
    assert "cause" in result.output and "¿Por qué se retrasa" in result.output
    result = runner.invoke(app, ["draft", "999", "--stage", "first_notice"])
    assert result.exit_code == 1 and "No case with id 999" in result.output
    assert _counts(use_sqlite_db)[:2] == (1, 1)


@settings(max_examples=100, deadline=None)
@given(cause=st.text(min_size=1, max_size=200).filter(str.strip))
def test_any_text_in_a_fact_renders_as_written(cause: str) -> None:
    facts = {**demo_case("demo:03").facts_at(NOW), "cause": cause}
    d = draft(demo_view(demo_case("demo:03"), facts=facts), "first_notice", now=NOW)
    assert cause.strip().split()[0] in d.body
