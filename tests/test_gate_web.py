"""The sending gate through the case page and the API: the same rules as the library."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from frankly import cases
from frankly.store import Database, utcnow

from .test_web import Client, Site

BLAMING = "Unfortunately you failed to read the terms. It is your fault."


@pytest.fixture
def site(sqlite_db: Database) -> Site:
    from frankly.demo import load_demo
    from frankly.web import auth, create_app

    load_demo(sqlite_db)
    for agent in cases.list_agents(sqlite_db):
        auth.set_password(sqlite_db, agent.id, "correct horse battery")
    return Site(sqlite_db, create_app(sqlite_db))


def _token(site: Site, email: str) -> Client:
    from frankly.web import auth

    agent = cases.find_agent(site.db, email)
    assert agent is not None
    _, token = auth.issue_token(site.db, agent.id, "tests")
    client = site.client()
    client.client.headers["Authorization"] = f"Bearer {token}"
    return client


def _owned_case(site: Site, email: str) -> Any:
    agent = cases.find_agent(site.db, email)
    assert agent is not None
    return next(
        c
        for c in cases.list_cases(site.db, limit=500)
        if c.owner_id == agent.id and c.state in ("open", "notified") and c.kind == "late_delivery"
    )


def _draft(site: Site, case_id: int, body: str) -> int:
    return cases.add_message(site.db, case_id, direction="out", body=body, subject="Order").id


def _promising(name: str, day: str) -> str:
    """A good update whose last line promises the next one on ``day`` at noon."""
    return (
        f"Dear {name.split()[0]},\n\nYour order is late because we sold the stock "
        "promised to you; that was our mistake. We are sending it from our other warehouse.\n\n"
        f"I will write to you again on {day} at 12:00.\n\nJames"
    )


def _events(db: Database, case_id: int, kind: str) -> list[Any]:
    return [e for e in cases.show_case(db, case_id).events if e.kind == kind]


def test_the_api_blocks_names_the_findings_and_lets_only_a_manager_override(site: Site) -> None:
    case = _owned_case(site, "james@northwind.example")
    message_id = _draft(site, case.id, BLAMING)
    james = _token(site, "james@northwind.example")
    refused = james.post(f"/api/v1/messages/{message_id}/approve", json={})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "blocked"
    assert any(f["category"] == "blame" for f in error["findings"])
    agent_override = james.post(
        f"/api/v1/messages/{message_id}/approve", json={"override": True, "override_reason": "x"}
    )
    assert agent_override.status_code == 403
    assert _events(site.db, case.id, "check_overridden") == []
    maria = _token(site, "maria@northwind.example")
    sent = maria.post(
        f"/api/v1/messages/{message_id}/approve",
        json={"override": True, "override_reason": "the customer's own words"},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "queued"
    assert sent.json()["gate"]["overridden"]
    (event,) = _events(site.db, case.id, "check_overridden")
    assert event.payload["reason"] == "the customer's own words"
    again = maria.post(f"/api/v1/messages/{message_id}/approve", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_sent"


def test_the_api_asks_which_promise_holds(site: Site) -> None:
    case = _owned_case(site, "james@northwind.example")
    customer = cases.get_customer(site.db, case.customer_id)
    zone = ZoneInfo(customer.timezone)
    day = (utcnow() + dt.timedelta(days=9)).astimezone(zone)
    words = format_date(day, "EEEE d MMMM", locale="en")
    body = _promising(customer.name, words)
    message_id = _draft(site, case.id, body)
    james = _token(site, "james@northwind.example")
    field = (utcnow() + dt.timedelta(days=3)).isoformat()
    asked = james.post(f"/api/v1/messages/{message_id}/approve", json={"next_update_at": field})
    assert asked.status_code == 409, asked.text
    error = asked.json()["error"]
    assert error["code"] == "promise_conflict" and error["text_at"] and error["field_at"]
    chosen = james.post(
        f"/api/v1/messages/{message_id}/approve",
        json={"next_update_at": field, "promise_from": "text"},
    )
    assert chosen.status_code == 200, chosen.text
    held = dt.datetime.fromisoformat(chosen.json()["next_update_at"]).astimezone(zone)
    assert held.date() == day.date() and held.hour == 12


def test_the_case_page_holds_a_hand_written_promise_and_asks_on_a_conflict(site: Site) -> None:
    case = _owned_case(site, "james@northwind.example")
    customer = cases.get_customer(site.db, case.customer_id)
    zone = ZoneInfo(customer.timezone)
    day = (utcnow() + dt.timedelta(days=9)).astimezone(zone)
    words = format_date(day, "EEEE d MMMM", locale="en")
    body = _promising(customer.name, words)
    client = site.signed_in("james@northwind.example")
    client.get(f"/cases/{case.id}")
    field = (utcnow() + dt.timedelta(days=3)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    form = {
        "key": "k-hand-written-1",
        "body": body,
        "stage": "update",
        "lang": "en",
        "subject": "Your order",
        "next_update_at": field,
    }
    asked = client.form(f"/cases/{case.id}/send", form)
    assert asked.status_code == 409
    assert 'name="promise_from"' in asked.text
    sent = client.form(f"/cases/{case.id}/send", {**form, "promise_from": "text"})
    assert sent.status_code == 303, sent.text
    message = next(m for m in cases.show_case(site.db, case.id).messages if m.client_key)
    assert message.status == "queued"
    assert message.next_update_at is not None
    assert message.next_update_at.astimezone(zone).date() == day.date()
    # With the field left empty the text's promise is recorded, not dropped.
    other = cases.find_case_by_ref(site.db, "demo:05")
    assert other is not None
    client.get(f"/cases/{other.id}")
    sent = client.form(
        f"/cases/{other.id}/send",
        {**form, "key": "k-hand-written-2", "next_update_at": "", "promise_from": ""},
    )
    assert sent.status_code == 303, sent.text
    kept = next(m for m in cases.show_case(site.db, other.id).messages if m.client_key)
    assert kept.next_update_at is not None
    assert kept.next_update_at.astimezone(zone).date() == day.date()


def test_concurrent_posts_of_the_case_page_send_one_message(site: Site) -> None:
    case = cases.find_case_by_ref(site.db, "demo:09")
    assert case is not None
    client = site.signed_in("james@northwind.example")
    client.get(f"/cases/{case.id}")
    body = (
        "Dear Daniel,\n\nWe sent you the wrong item: that was our mistake. The right one "
        "leaves our warehouse today.\n\nJames"
    )
    form = {"csrf_token": client.csrf, "key": "k-double-click", "body": body, "lang": "en"}

    async def both() -> list[int]:
        answers = await asyncio.gather(
            *(client.client.post(f"/cases/{case.id}/send", data=form) for _ in range(3))
        )
        return [a.status_code for a in answers]

    statuses = client.loop.run_until_complete(both())
    assert all(s == 303 for s in statuses), statuses
    mine = [m for m in cases.show_case(site.db, case.id).messages if m.client_key]
    assert len(mine) == 1 and mine[0].status == "queued"
    assert (
        len(
            [
                e
                for e in _events(site.db, case.id, "message_queued")
                if e.payload["message_id"] == mine[0].id
            ]
        )
        == 1
    )
