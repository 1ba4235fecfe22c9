"""The case page's remedies, follow-ups and override; Insights from stored checker figures;
Today and the public status page in the reader's language and time zone."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frankly import cases, incidents
from frankly import check as checker
from frankly.store import Database, utcnow

from .test_web import Client, Site


@pytest.fixture
def site(demo_db: Database) -> Site:
    """The demo business with passwords for its staff, and the app over it."""
    from frankly.web import create_app

    # The tests act on demo:02 as James, an agent: agents change only their own cases.
    james, demo02 = cases.find_agent(demo_db, "james@northwind.example"), _case_ref(demo_db)
    assert james is not None
    cases.update_case(demo_db, demo02, owner_id=james.id)
    return Site(demo_db, create_app(demo_db))


def _case_ref(db: Database) -> int:
    case = cases.find_case_by_ref(db, "demo:02")
    assert case is not None
    return case.id


@pytest.fixture
def api(site: Site) -> Client:
    from frankly.web import auth

    maria = cases.find_agent(site.db, "maria@northwind.example")
    assert maria is not None
    _, token = auth.issue_token(site.db, maria.id, "tests")
    client = site.client()
    client.client.headers["Authorization"] = f"Bearer {token}"
    return client


BLAMING = "Unfortunately you failed to read the terms. It is your fault."


def _case(site: Site) -> int:
    case = cases.find_case_by_ref(site.db, "demo:02")
    assert case is not None
    return case.id


def _events(db: Database, case_id: int, kind: str) -> list[Any]:
    return [e for e in cases.show_case(db, case_id).events if e.kind == kind]


# --- remedies ------------------------------------------------------------------------------


def test_the_agent_records_the_options_offered_and_the_customers_choice(site: Site) -> None:
    case_id = _case(site)
    client = site.signed_in("james@northwind.example")
    page = client.get(f"/cases/{case_id}")
    assert 'id="remedies"' in page.text and "No options offered yet" in page.text
    offered = client.form(
        f"/cases/{case_id}/remedies", {"action": "offer", "options": "keep_order"}
    )
    assert offered.status_code == 303
    client.post(
        f"/cases/{case_id}/remedies",
        data={"csrf_token": client.csrf, "action": "offer", "options": ["cancel_refund"]},
    )
    page = client.get(f"/cases/{case_id}")
    # The customer reads Spanish: the options are in the words they were offered in.
    assert "mantener el pedido" in page.text and "cancelar el pedido" in page.text

    wrong = client.form(f"/cases/{case_id}/remedies", {"action": "choose", "option": "x"})
    assert wrong.status_code == 422
    assert "was not offered" in wrong.text and 'role="alert"' in wrong.text
    assert _events(site.db, case_id, "option_chosen") == []

    chosen = client.form(
        f"/cases/{case_id}/remedies",
        {"action": "choose", "option": "cancel_refund", "note": "by phone"},
    )
    assert chosen.status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert 'class="remedy chosen" data-option="cancel_refund"' in page.text
    assert len(_events(site.db, case_id, "option_chosen")) == 1


def test_the_remedies_form_needs_the_csrf_token(site: Site) -> None:
    case_id = _case(site)
    client = site.signed_in()
    refused = client.post(f"/cases/{case_id}/remedies", data={"action": "offer"})
    assert refused.status_code == 403
    assert _events(site.db, case_id, "option_offered") == []


def test_the_api_offers_and_records_the_choice(api: Client, site: Site) -> None:
    case_id = _case(site)
    url = f"/api/v1/cases/{case_id}/remedies"
    offered = api.post(url, json={"action": "offer", "options": ["keep_order", "partial_now"]})
    assert offered.status_code == 200, offered.text
    assert [o["id"] for o in offered.json()["offered"]] == ["keep_order", "partial_now"]
    wrong = api.post(url, json={"action": "choose", "option": "cancel_refund"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "option"
    assert "was not offered" in wrong.json()["error"]["message"]
    unknown = api.post(url, json={"action": "offer", "options": ["free_pony"]})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "options"
    missing = api.post(url, json={"action": "choose"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "option"
    assert api.post("/api/v1/cases/999999/remedies", json={"action": "offer"}).status_code == 404
    chosen = api.post(url, json={"action": "choose", "option": "partial_now", "note": "call"})
    assert chosen.status_code == 200
    assert chosen.json()["chosen"]["id"] == "partial_now"
    assert api.get(url).json()["chosen"]["note"] == "call"


# --- approve and send: the override and the checker's figures -------------------------------


def _send(client: Client, case_id: int, body: str, **extra: str) -> Any:
    return client.form(
        f"/cases/{case_id}/send",
        {"body": body, "stage": "first_notice", "lang": "en", "subject": "Order 8812", **extra},
    )


def test_an_agent_cannot_override_the_checker(site: Site) -> None:
    case_id = _case(site)
    before = len(cases.show_case(site.db, case_id).messages)
    agent = site.signed_in("james@northwind.example")
    refused = _send(agent, case_id, BLAMING, override="yes", override_reason="hurry")
    assert refused.status_code == 403
    assert "only a manager may override" in refused.text
    assert _events(site.db, case_id, "check_overridden") == []
    # The agent's text is kept as a draft to fix; nothing is queued.
    out = [m for m in cases.show_case(site.db, case_id).messages if m.direction == "out"]
    assert len(cases.show_case(site.db, case_id).messages) == before + 1
    assert out[-1].status == "draft" and out[-1].body == BLAMING
    assert _events(site.db, case_id, "message_queued") == [
        e for e in _events(site.db, case_id, "message_queued") if e.at < out[-1].created_at
    ]


def test_a_managers_override_is_one_event_and_the_findings_are_kept(site: Site) -> None:
    case_id = _case(site)
    manager = site.signed_in("maria@northwind.example")
    sent = _send(manager, case_id, BLAMING, override="yes", override_reason="legal checked it")
    assert sent.status_code == 303, sent.text
    overrides = _events(site.db, case_id, "check_overridden")
    assert len(overrides) == 1
    message = [m for m in cases.show_case(site.db, case_id).messages if m.direction == "out"][-1]
    assert message.status == "queued"
    assert overrides[0].payload["message_id"] == message.id
    assert overrides[0].payload["findings"] == ["blame.customer"]
    assert overrides[0].payload["reason"] == "legal checked it"
    kept = cases.checked_figures(site.db, [message.id])[message.id]
    assert kept["severities"]["error"] >= 1 and kept["categories"]["blame"] >= 1
    # A first notice lists the options: sending it records them as offered.
    offers = _events(site.db, case_id, "option_offered")
    assert [e.payload["message_id"] for e in offers] == [message.id]
    page = manager.get(f"/cases/{case_id}")
    assert "check_overridden" not in page.text  # shown in words, not as a code
    assert "legal checked it" in page.text
    manager.form("/account/language", {"language": "es"})
    assert "corrector anulado por un responsable" in manager.get(f"/cases/{case_id}").text


# --- follow-up scheduled -------------------------------------------------------------------


def test_a_resolved_case_shows_its_follow_up_in_the_agents_language(site: Site) -> None:
    from frankly.cadence import run_due

    case_id = _case(site)
    now = utcnow()
    cases.change_state(site.db, case_id, "notified", author="t")
    cases.change_state(site.db, case_id, "resolved", author="t")
    run_due(site.db, now=now)
    steps = [s for s in cases.list_steps(site.db, case_id) if s.kind == "follow_up"]
    assert len(steps) == 1
    client = site.signed_in("lucia@northwind.example")  # her interface is in Spanish
    page = client.get(f"/cases/{case_id}").text
    assert 'id="scheduled"' in page and "seguimiento" in page
    lucia = cases.find_agent(site.db, "lucia@northwind.example")
    assert lucia is not None
    # The page writes the day in her time zone (late in the UTC evening it is tomorrow).
    day = steps[0].due_at.astimezone(ZoneInfo(lucia.timezone))
    months = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"]
    assert f"{day.day} {months[day.month - 1]} {day.year}" in page


# --- Insights from stored figures ----------------------------------------------------------


def test_insights_adds_up_the_stored_findings_without_checking_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = site.db
    now = utcnow()
    case_id = _case(site)
    stored = [
        [{"category": "blame", "rule": "blame.customer", "severity": "error"}] * 2,
        [{"category": "jargon", "rule": "jargon.x", "severity": "warning"}],
    ]
    calls: list[str] = []
    real = checker.check
    # Only Insights' own checks count (the gate checks each approved message too).
    insights = importlib.import_module("frankly.cases._insights")
    counted = SimpleNamespace(check=lambda text, **kw: calls.append(text) or real(text, **kw))
    monkeypatch.setattr(insights, "checker", counted)
    before = cases.insight_figures(db, now=now)  # checks what has no figures yet, once
    checked_first = len(calls)
    assert cases.insight_figures(db, now=now) == before
    assert len(calls) == checked_first  # the second load checks nothing
    for findings in stored:
        message = cases.add_message(
            db, case_id, direction="out", body="any words at all", author="james@northwind.example"
        )
        cases.approve_message(db, message.id)  # the gate stores its own figures ...
        cases.record_check(db, message.id, findings)  # ... and the latest ones count
        cases.mark_sent(db, message.id, at=now)
    after = cases.insight_figures(db, now=now)
    assert len(calls) == checked_first  # the new messages' figures were stored, not re-checked
    week = after["weeks"].index(cases.week_of(now))
    for category, added in (("blame", 2), ("jargon", 1)):
        was = before["findings"].get(category, [0] * len(before["weeks"]))[week]
        assert after["findings"][category][week] - was == added
    assert after["messages_checked"] == before["messages_checked"] + 2
    assert after["findings_per_message_by_agent"]["James Carter"] > 0


# --- Today and the status page in the reader's language and zone ----------------------------


def test_today_speaks_the_agents_language_for_cases_and_incidents(site: Site) -> None:
    now = utcnow()
    opened = incidents.open_incident(
        site.db,
        title={"en": "Orders cannot be placed", "es": "No se pueden hacer pedidos"},
        impact={"en": "The shop", "es": "La tienda"},
        update_every=dt.timedelta(minutes=10),
        started_at=now - dt.timedelta(hours=1),
    )
    number = opened.incident.id
    english = site.signed_in("james@northwind.example").get("/").text
    assert f"Incident {number}: Orders cannot be placed" in english
    assert "The next public update is due in" in english
    spanish = site.signed_in("lucia@northwind.example")
    page = spanish.get("/").text
    assert f"Incidencia {number}: No se pueden hacer pedidos" in page
    assert "La próxima actualización pública toca dentro de" in page
    assert "Publicar una actualización" in page
    assert "The next public update" not in page


def test_incident_rows_in_each_language(sqlite_db: Database) -> None:
    now = utcnow()
    opened = incidents.open_incident(
        sqlite_db,
        title={"en": "Checkout down"},
        impact={"en": "Checkout"},
        started_at=now - dt.timedelta(hours=1),
    )
    assert opened.incident.next_update_due_at is not None
    late = opened.incident.next_update_due_at + dt.timedelta(minutes=5)
    en = incidents.due_rows(sqlite_db, late)[0]
    es = incidents.due_rows(sqlite_db, late, lang="es")[0]
    assert en["why"].startswith("The public update was due 5 min ago")
    assert es["why"].startswith("La actualización pública tocaba hace 5 min")
    assert (en["customer"], es["customer"]) == ("0 affected customers", "0 clientes afectados")
    # A title only in English stays in English, inside the Spanish words.
    assert es["title"] == f"Incidencia {en['incident_id']}: Checkout down"
    with pytest.raises(Exception, match="No incident words"):
        incidents.due_rows(sqlite_db, late, lang="xx")


@pytest.mark.parametrize(
    ("setting", "asked", "zone", "clock"),
    [
        (None, None, "UTC", "09:00"),
        ("Europe/Madrid", None, "Europe/Madrid", "10:00"),
        ("Europe/Madrid", "America/Mexico_City", "America/Mexico_City", "03:00"),
        ("Not/AZone", "../etc/passwd", "UTC", "09:00"),
    ],
)
def test_the_status_page_shows_times_in_a_named_zone(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    asked: str | None,
    zone: str,
    clock: str,
) -> None:
    if setting:
        monkeypatch.setenv("FRANKLY_TIMEZONE", setting)
    started = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    opened = incidents.open_incident(
        site.db,
        title={"en": "Checkout down", "es": "Pago caído"},
        impact="Checkout",
        started_at=started,
        next_update_at=utcnow() + dt.timedelta(hours=1),
    )
    client = site.client()
    for lang, times_in in (("en", "Times are in"), ("es", "Las horas están en")):
        query = f"?lang={lang}" + (f"&tz={asked}" if asked else "")
        page = client.get(f"/status/incidents/{opened.incident.id}{query}").text
        assert f"{times_in} {zone}." in page
        assert f", {clock} " in page


def test_a_reviewed_case_page_shows_the_lessons_learned(site: Site) -> None:
    review = next(r for r, _ in cases.list_reviews(site.db, status="due"))
    cases.complete_review(
        site.db,
        review.id,
        missed="We told the customer a day late.",
        why="Nobody owned the carrier's alert.",
        changes="The alert now goes to the case owner.",
        author="maria@northwind.example",
    )
    page = site.signed_in("maria@northwind.example").get(f"/cases/{review.case_id}")
    assert page.status_code == 200
    assert "Nobody owned the carrier&#39;s alert." in page.text
    assert "The alert now goes to the case owner." in page.text


def test_insights_count_codes_redeemed_and_time_to_tell_by_week(site: Site) -> None:
    db = site.db
    now = utcnow()
    week = cases.week_of(now)
    before = cases.insight_figures(db, now=now)
    at = before["weeks"].index(week)
    first = cases.issue_code(db, _case(site), percent=10)
    cases.issue_code(db, _case(site), percent=10)
    cases.redeem_code(db, first.code, by="till 3")
    after = cases.insight_figures(db, now=now)
    assert after["codes"]["redeemed"][at] == before["codes"]["redeemed"][at] + 1
    assert after["codes"]["not_redeemed"][at] == before["codes"]["not_redeemed"][at] + 1
    assert after["codes_redeemed"] == before["codes_redeemed"] + 1
    # The demo's cases of the last weeks were each told within hours of knowing.
    told = [hours for hours in after["tell_hours_by_week"] if hours]
    assert told and all(0 < hours < 24 for hours in told)
    page = site.signed_in("maria@northwind.example").get("/insights")
    assert "Códigos de descuento canjeados, por semana" in page.text  # Maria reads Spanish
    label = week.split("-")[-1]
    count = after["codes"]["redeemed"][at]
    assert f"{label} · canjeado: {count}<" in page.text
