"""The public status page and feeds (both languages, never a customer's data) and the
managers' pages that run an incident."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from frankly import cases, incidents
from frankly.store import Case, Customer, Database
from frankly.web import create_app
from frankly.web.incidents import manager_router, router

from .test_web import Client


@pytest.fixture(autouse=True)
def _business_contacts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The business's own numbers, which its public texts give (see the public-text guard)."""
    monkeypatch.setenv(
        "FRANKLY_PUBLIC_CONTACTS", "@northwind.example, +44 20 7946 0100, +34 910 000 100"
    )


ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC = ["/status", "/status/incidents/{id}", "/status/feed.atom", "/status/feed.json"]


def _app(db: Database) -> Any:
    app = create_app(db)
    paths = {getattr(r, "path", None) for r in app.routes}
    # Until the lead mounts the routers in create_app.
    if "/status" not in paths:
        app.include_router(router)
    if "/incidents" not in paths:
        app.include_router(manager_router)
    return app


@pytest.fixture
def demo(demo_db: Database) -> Iterator[tuple[Database, Client, int]]:
    """The demo business with its running incident (a copy of the session's demo)."""
    incident_id = incidents.list_incidents(demo_db)[0].id
    client = Client(_app(demo_db))
    yield demo_db, client, incident_id
    client.close()


def _private_values(db: Database, incident_id: int) -> list[str]:
    """Every name, company, email, phone and order fact of the affected customers."""
    view = incidents.show_incident(db, incident_id)
    values: list[str] = []
    with db.reading() as session:
        for row in view.cases:
            customer = session.get(Customer, row["customer_id"])
            case = session.get(Case, row["case_id"])
            assert customer is not None and case is not None
            values += [customer.name, customer.email or "", customer.phone or ""]
            values += [customer.company or "", *customer.name.split()]
            values += [str(case.facts.get(k, "")) for k in ("order_number", "invoice_number")]
    return [v for v in values if len(v) >= 4]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_never_show_an_affected_customers_data(
    demo: tuple[Database, Client, int], path: str, lang: str
) -> None:
    db, client, incident_id = demo
    # An order number on one of the linked cases must not leak either.
    case_id = incidents.show_incident(db, incident_id).cases[0]["case_id"]
    cases.record_facts(db, case_id, {"order_number": "ORD-55821"})
    response = client.get(path.format(id=incident_id) + f"?lang={lang}")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    text = response.text
    for value in _private_values(db, incident_id):
        assert value not in text, f"{value!r} appears on {path}"
    # Nor does anything that only a signed-in agent sees.
    assert "csrf" not in text.lower()


def test_status_page_in_english_and_spanish(demo: tuple[Database, Client, int]) -> None:
    _, client, incident_id = demo
    en = client.get("/status", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert en.headers["content-language"] == "en"
    assert "Ordering portal down" in en.text and "Cause identified" in en.text
    assert "Next update by" in en.text and "We found the cause" in en.text
    es = client.get("/status", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert es.headers["content-language"] == "es"
    assert "Portal de pedidos caído" in es.text and "Causa identificada" in es.text
    assert "Próxima actualización antes del" in es.text and "Hemos encontrado la causa" in es.text
    # The switch beats the browser's preference.
    switched = client.get("/status?lang=en", headers={"Accept-Language": "es"})
    assert switched.headers["content-language"] == "en"
    assert 'href="?lang=es"' in switched.text
    page = client.get(f"/status/incidents/{incident_id}?lang=es")
    assert page.text.index("Hemos encontrado la causa") < page.text.index("Todavía no sabemos")
    assert "Investigando" in page.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr;q=1, es;q=0.8, en;q=0.7", "es"),
        ("en;q=0.2, es;q=0.9", "es"),
        ("es;q=0, en", "en"),
        ("es-MX", "es"),
        ("garbage;q=abc,,;", "en"),
    ],
)
def test_language_follows_accept_language(
    demo: tuple[Database, Client, int], header: str, expected: str
) -> None:
    _, client, _ = demo
    response = client.get("/status", headers={"Accept-Language": header})
    assert response.headers["content-language"] == expected


@pytest.mark.parametrize("lang", ["en", "es"])
def test_atom_feed_is_valid_atom_with_every_update(
    demo: tuple[Database, Client, int], lang: str
) -> None:
    _, client, incident_id = demo
    response = client.get(f"/status/feed.atom?lang={lang}")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    expected = {
        "en": ["Ordering portal down: Cause identified", "Ordering portal down: Investigating"],
        "es": [
            "Portal de pedidos caído: Causa identificada",
            "Portal de pedidos caído: Investigando",
        ],
    }
    assert titles == expected[lang]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link")
        assert link is not None and f"/status/incidents/{incident_id}" in link.attrib["href"]
    assert feed.findtext(f"{ATOM}updated")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_json_feed_follows_json_feed_1_1(demo: tuple[Database, Client, int], lang: str) -> None:
    _, client, _ = demo
    feed = client.get(f"/status/feed.json?lang={lang}").json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["language"] == lang and len(feed["items"]) == 2
    first = feed["items"][0]
    assert set(first) >= {"id", "url", "title", "content_text", "date_published"}
    marker = {"en": "We found the cause", "es": "Hemos encontrado la causa"}[lang]
    assert first["content_text"].startswith(marker)


def test_an_unknown_or_private_incident_is_not_found(demo: tuple[Database, Client, int]) -> None:
    _, client, _ = demo
    missing = client.get("/status/incidents/999?lang=es")
    assert missing.status_code == 404 and "No existe esa incidencia" in missing.text


def test_review_appears_on_the_public_page_once_published(
    demo: tuple[Database, Client, int],
) -> None:
    db, client, incident_id = demo
    texts = {
        "en": "Our ordering portal works again. We restored the database, and every order "
        "sent by email is entered. Questions: call +44 20 7946 0100.",
        "es": "Nuestro portal de pedidos vuelve a funcionar. Restauramos la base de datos y "
        "todos los pedidos enviados por correo están introducidos. Consultas: +34 910 000 100.",
    }
    incidents.resolve_incident(db, incident_id, texts=texts)
    review = {
        "en": {
            "what_happened": "The portal was down for five hours.",
            "why": "A database upgrade failed and we had no way back ready.",
            "what_we_change": "We now test every upgrade on a copy first.",
        },
        "es": {
            "what_happened": "El portal estuvo caído cinco horas.",
            "why": "Falló una actualización de la base de datos y no teníamos vuelta atrás.",
            "what_we_change": "Ahora probamos cada actualización en una copia antes.",
        },
    }
    incidents.write_review(db, incident_id, review, publish=False)
    assert "five hours" not in client.get(f"/status/incidents/{incident_id}").text
    incidents.write_review(db, incident_id, review, publish=True)
    page = client.get(f"/status/incidents/{incident_id}?lang=es")
    assert "Qué pasó, por qué y qué cambiamos" in page.text and "cinco horas" in page.text
    assert "No hay más actualizaciones previstas." in page.text
    status = client.get("/status?lang=en")
    assert "Everything is working" in status.text and "Resolved incidents" in status.text
    feed = client.get("/status/feed.json?lang=en").json()
    assert feed["items"][0]["id"].endswith("#review")


# -- managers ------------------------------------------------------------------------------


def test_manager_pages_need_sign_in(demo: tuple[Database, Client, int]) -> None:
    _, client, incident_id = demo
    for path in ("/incidents", "/incidents/new", f"/incidents/{incident_id}"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_agent_reads_but_only_a_manager_posts(demo: tuple[Database, Client, int]) -> None:
    _, client, incident_id = demo
    assert client.sign_in("james@northwind.example").status_code == 303
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200 and "Ordering portal down" in page.text
    assert "Post an update" not in page.text
    refused = client.form(f"/incidents/{incident_id}/updates", {"text_en": "x", "text_es": "y"})
    assert refused.status_code == 403


def test_a_manager_posts_an_update_from_the_page(demo: tuple[Database, Client, int]) -> None:
    db, client, incident_id = demo
    assert client.sign_in("maria@northwind.example").status_code == 303
    page = client.get(f"/incidents/{incident_id}")
    assert "Publicar una actualización" in page.text  # Maria reads Spanish
    key = re.search(r'name="request_key" value="([^"]+)"', page.text)
    assert key is not None
    form = {
        "request_key": key.group(1),
        "status": "monitoring",
        "text_en": "The portal is back and we are watching it closely. Orders sent by email "
        "are entered. Questions: call +44 20 7946 0100.",
        "text_es": "El portal vuelve a funcionar y lo vigilamos de cerca. Los pedidos enviados "
        "por correo están introducidos. Consultas: +34 910 000 100.",
        "next_in": "60",
    }
    done = client.form(f"/incidents/{incident_id}/updates", form)
    assert done.status_code == 200, done.text
    assert "Publicado." in done.text
    again = client.form(f"/incidents/{incident_id}/updates", form)
    assert again.status_code == 200
    view = incidents.show_incident(db, incident_id)
    assert [u.seq for u in view.updates] == [1, 2, 3]
    assert view.incident.status == "monitoring"
    public = client.get(f"/status/incidents/{incident_id}?lang=en")
    assert "Fixed, monitoring" in public.text


def test_the_form_keeps_the_text_and_explains_a_refusal(
    demo: tuple[Database, Client, int],
) -> None:
    _, client, incident_id = demo
    client.sign_in("maria@northwind.example")
    client.get(f"/incidents/{incident_id}")
    response = client.form(
        f"/incidents/{incident_id}/updates",
        {"text_en": "Only English this time, and it is down.", "text_es": ""},
    )
    assert response.status_code == 422
    assert "Español" in response.text and "Only English this time" in response.text


def test_a_manager_opens_an_incident_from_a_customer_list(
    demo: tuple[Database, Client, int],
) -> None:
    db, client, _ = demo
    client.sign_in("maria@northwind.example")
    client.get("/incidents/new")
    ids = [c.id for c in cases.list_customers(db) if c.language == "en"][:2]
    response = client.form(
        "/incidents/new",
        {
            "title_en": "Invoices sent twice",
            "impact_en": "Some invoices for November were emailed twice.",
            "kind": "billing_error",
            "customers": ",".join(str(i) for i in ids),
            "text_en": "We sent some November invoices twice because our billing run repeated "
            "a batch. You only owe each invoice once. We are checking every account now. "
            "Questions: call +44 20 7946 0100.",
        },
    )
    assert response.status_code == 303, response.text
    new_id = int(response.headers["location"].split("/")[2].split("?")[0])
    view = incidents.show_incident(db, new_id)
    assert view.affected == 2 and view.updates[0].notices_queued == 2
    listing = client.get("/incidents")
    assert "Invoices sent twice" in listing.text
    nobody = client.form(
        "/incidents/new",
        {
            "title_en": "x",
            "impact_en": "y",
            "case_kind": "wrong_item",
            "facts": "product=none",
            "text_en": "z",
        },
    )
    assert nobody.status_code == 422 and "nobody was selected" in nobody.text
