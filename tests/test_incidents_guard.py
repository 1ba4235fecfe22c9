"""The public-text guard: no public text (title, impact, update, review) may show an
affected customer, however it is spelled; the feeds stay well-formed XML and take their
links from FRANKLY_BASE_URL, never from the Host header.

Regression tests for the "Hardening" probe, where "invoice INV-20931", "Harbour  Hotels",
a phone number and a first name reached the status page and its feeds.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from frankly import cases, incidents
from frankly.errors import InvalidInput
from frankly.incidents import _guard
from frankly.store import Database
from frankly.store.incident_models import IncidentUpdate

from .test_incidents_web import _app
from .test_web import Client

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CLEAN = (
    "Our online ordering portal is down: you cannot place orders online. We are restoring it now."
)
TITLE = "Ordering portal down"
IMPACT = "Orders cannot be placed online."


@pytest.fixture
def affected(db: Database) -> tuple[Database, int]:
    liam = cases.add_customer(
        db,
        name="Liam Murphy",
        company="Harbour Hotels Ltd",
        email="liam@harbourhotels.example",
        phone="+353 1 555 0177",
    )
    rosa = cases.add_customer(
        db, name="Rosa Robinson", company="Robinson Print Shop", email="rosa@print.example"
    )
    will = cases.add_customer(db, name="Will Byrne", email="will@byrne.example")
    selection = incidents.parse_csv(
        "customer_id,invoice_number\n"
        f"{liam.id},INV-20931\n{rosa.id},FAC-2026/0042\n{will.id},INV-20932\n"
    )
    opened = incidents.open_incident(
        db, title=TITLE, impact=IMPACT, selection=selection, texts=CLEAN, at=NOW
    )
    return db, opened.incident.id


def _post(db: Database, incident_id: int, text: str) -> incidents.UpdateResult:
    return incidents.post_update(db, incident_id, texts={"en": text}, at=NOW)


@pytest.mark.parametrize(
    "leak",
    [
        "invoice INV-20931",
        "invoice INV 20931",
        "inv.20931",
        "INV20931",
        "invoice 20931",
        "Harbour Hotels",
        "Harbour  Hotels",
        "Harbour\u00a0Hotels",
        "Har\u200bbour Hotels",
        "HARBOUR-HOTELS",
        "Robinson Print Shop",
        "Liam Murphy",
        "Liam",
        "liam@harbourhotels.example",
        "+353 1 555 0177",
        "01 555 0177",
        "FAC 2026 0042",
        "we told Rosa",
        "Mürphy Liam",
    ],
)
def test_an_update_showing_an_affected_customer_is_refused_naming_the_field(
    affected: tuple[Database, int], leak: str
) -> None:
    db, incident_id = affected
    before = len(incidents.show_incident(db, incident_id).updates)
    with pytest.raises(incidents.UpdateRefused) as info:
        _post(db, incident_id, f"{CLEAN} This affects {leak}.")
    assert info.value.field == "en update"
    assert "en update" in str(info.value)
    assert len(incidents.show_incident(db, incident_id).updates) == before


@pytest.mark.parametrize(
    "fine",
    [
        "Will the fix hold? We will know by noon.",
        "The rosa theme of the portal is back.",
        "Card payments between 10:30 and 11:45 on 2026-11-23 failed.",
        "Williams Street depot is open.",
    ],
)
def test_ordinary_words_that_are_also_first_names_pass(
    affected: tuple[Database, int], fine: str
) -> None:
    db, incident_id = affected
    assert _post(db, incident_id, f"{CLEAN} {fine}").update.texts["en"].endswith(fine)


def test_a_title_or_impact_showing_a_customer_is_refused_at_opening(db: Database) -> None:
    liam = cases.add_customer(
        db, name="Liam Murphy", company="Harbour Hotels", email="liam@harbourhotels.example"
    )
    selection = incidents.parse_csv(f"customer_id,invoice_number\n{liam.id},INV-20931\n")
    with pytest.raises(incidents.UpdateRefused) as info:
        incidents.open_incident(
            db,
            title="Harbour Hotels and Robinson Print Shop double charged",
            impact=IMPACT,
            selection=selection,
            at=NOW,
        )
    assert info.value.field == "en title"
    with pytest.raises(incidents.UpdateRefused) as info:
        incidents.open_incident(
            db,
            title="Card payments charged twice",
            impact="Liam Murphy (liam@harbourhotels.example, +353 1 555 0177): invoice "
            "INV-20931 charged twice",
            selection=selection,
            at=NOW,
        )
    assert info.value.field == "en impact"
    assert incidents.list_incidents(db) == []


def test_adding_the_customer_a_title_names_is_refused(db: Database) -> None:
    opened = incidents.open_incident(
        db, title="Harbour Hotels bookings lost", impact=IMPACT, at=NOW
    )
    liam = cases.add_customer(db, name="Liam Murphy", company="Harbour Hotels")
    with pytest.raises(incidents.UpdateRefused) as info:
        incidents.add_affected(db, opened.incident.id, incidents.Selection(customer_ids=[liam.id]))
    assert info.value.field == "en title"
    assert incidents.show_incident(db, opened.incident.id).affected == 0


def test_a_stranger_s_email_or_phone_is_refused_but_the_business_s_own_is_not(
    affected: tuple[Database, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, incident_id = affected
    with pytest.raises(incidents.UpdateRefused, match="email address"):
        _post(db, incident_id, f"{CLEAN} Write to someone@else.example.")
    with pytest.raises(incidents.UpdateRefused, match="phone number"):
        _post(db, incident_id, f"{CLEAN} Call +44 161 496 0000.")
    monkeypatch.setenv("FRANKLY_PUBLIC_CONTACTS", "@northwind.example, +44 161 496 0000")
    _post(db, incident_id, f"{CLEAN} Write to orders@northwind.example or call +44 161 496 0000.")


def test_a_published_review_is_guarded_too(affected: tuple[Database, int]) -> None:
    db, incident_id = affected
    incidents.resolve_incident(db, incident_id, texts="The portal works again.", at=NOW)
    review = {
        "en": {
            "what_happened": "Harbour Hotels could not order.",
            "why": "An upgrade failed.",
            "what_we_change": "We test upgrades first.",
        }
    }
    with pytest.raises(incidents.UpdateRefused) as info:
        incidents.write_review(db, incident_id, review, publish=True)
    assert info.value.field == "en review: what happened"


@pytest.mark.parametrize("char", ["\x0b", "\x1b", "\x01", "\x00"])
def test_control_characters_are_refused_in_public_texts(
    affected: tuple[Database, int], char: str
) -> None:
    db, incident_id = affected
    with pytest.raises(InvalidInput, match="control character"):
        _post(db, incident_id, f"{CLEAN} Back soon{char}.")
    with pytest.raises(InvalidInput, match="one line"):
        incidents.open_incident(db, title="Portal\r\ndown", impact=IMPACT, at=NOW)


def test_the_guard_normalises_before_comparing() -> None:
    assert _guard.normalise("  Müller–Lüdenscheidt\u00a0GmbH\u200b ") == "muller ludenscheidt gmbh"
    assert _guard.tokens("INV-20931") == _guard.tokens("inv.20931") == ["inv", "20931"]


# -- the feeds -------------------------------------------------------------------------------


@pytest.fixture
def public(affected: tuple[Database, int]) -> Iterator[tuple[Database, Client, int]]:
    db, incident_id = affected
    client = Client(_app(db))
    yield db, client, incident_id
    client.close()


def test_a_stored_control_character_does_not_break_the_atom_feed(
    public: tuple[Database, Client, int],
) -> None:
    db, client, incident_id = public
    # Written past the service, as an older version let it through.
    with db.transaction() as session:
        first = session.scalar(
            select(IncidentUpdate).where(IncidentUpdate.incident_id == incident_id)
        )
        assert first is not None
        session.execute(
            update(IncidentUpdate)
            .where(IncidentUpdate.id == first.id)
            .values(texts={"en": "Back\x0b soon \x1b[31m and \x01 more"})
        )
    response = client.get("/status/feed.atom?lang=en")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    contents = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}content")]
    assert any("Back soon" in c for c in contents)


def test_feed_links_come_from_the_base_url_not_the_host_header(
    public: tuple[Database, Client, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client, _ = public
    monkeypatch.setenv("FRANKLY_BASE_URL", "https://status.northwind.example/")
    headers = {"Host": "evil.example"}
    atom = client.get("/status/feed.atom?lang=en", headers=headers).text
    feed = json.loads(client.get("/status/feed.json?lang=en", headers=headers).text)
    assert "evil.example" not in atom and "evil.example" not in json.dumps(feed)
    assert feed["feed_url"] == "https://status.northwind.example/status/feed.json?lang=en"
    assert all(i["url"].startswith("https://status.northwind.example/") for i in feed["items"])
    monkeypatch.delenv("FRANKLY_BASE_URL")
    feed = json.loads(client.get("/status/feed.json?lang=en", headers=headers).text)
    assert feed["feed_url"].startswith("http://127.0.0.1:8000/")
