"""The web app in a real browser: Debian's chromium driven by Playwright against a real
uvicorn server on a loopback port, with a real SMTP server (aiosmtpd) catching the mail.

No browser is downloaded: the tests use the system's ``chromium`` and are skipped when it
is missing (``make test`` installs it). Set ``FRANKLY_SCREENSHOTS=DIR`` to keep the
screenshots (``docs/screenshots`` holds the ones in the README).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from frankly import cases
from frankly.store import Database
from frankly.web import create_app

from .helpers import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test adds it)"),
    pytest.mark.skipif(
        os.environ.get("FRANKLY_BROWSER_TESTS") == "0", reason="FRANKLY_BROWSER_TESTS=0"
    ),
]
PASSWORD = DEMO_PASSWORD
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """What the loopback SMTP server received."""

    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class Server:
    url: str
    db: Database
    mailbox: Mailbox
    shots: Path


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn
    from aiosmtpd.controller import Controller

    folder = tmp_path_factory.mktemp("browser")
    shutil.copyfile(demo_template, folder / "frankly.db")
    db = Database(f"sqlite:///{folder / 'frankly.db'}")
    mailbox = Mailbox()
    smtp_port = _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    saved = {k: os.environ.get(k) for k in ("FRANKLY_SMTP_HOST", "FRANKLY_SMTP_PORT")}
    os.environ["FRANKLY_SMTP_HOST"] = "127.0.0.1"
    os.environ["FRANKLY_SMTP_PORT"] = str(smtp_port)
    stop_worker = None
    try:
        from frankly.delivery import start_background_worker

        stop_worker = start_background_worker(db)
    except ImportError:  # delivery not installed: messages stay queued
        pass
    port = _free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert web.started, "uvicorn did not start"
    shots = Path(os.environ.get("FRANKLY_SCREENSHOTS") or folder / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Server(f"http://127.0.0.1:{port}", db, mailbox, shots)
    finally:
        web.should_exit = True
        thread.join(timeout=10)
        if stop_worker is not None:
            stop_worker()
        smtp.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(page: Any, server: Server, email: str) -> None:
    page.goto(server.url + "/")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(server.url + "/")


def shot(page: Any, server: Server, name: str) -> None:
    page.screenshot(path=str(server.shots / f"{name}.png"), full_page=True)


def test_sign_in_page_refuses_a_wrong_password(page: Any, server: Server) -> None:
    page.goto(server.url + "/cases")
    assert "/login" in page.url
    shot(page, server, "login")
    page.fill("input[name=email]", "james@northwind.example")
    page.fill("input[name=password]", "not it at all")
    page.click("button.primary")
    assert page.locator(".error").inner_text() == "The email or password is wrong."


def test_a_first_notice_in_spanish_from_today_to_the_customers_inbox(
    page: Any, server: Server
) -> None:
    db = server.db
    case = cases.find_case_by_ref(db, "demo:02")
    assert case is not None
    # We do not know the cause yet: the case page must ask for it.
    cases.record_facts(db, case.id, {"cause": None}, author="lucia@northwind.example")

    sign_in(page, server, "lucia@northwind.example")
    assert page.locator("h1").first.inner_text().startswith("Hoy")
    shot(page, server, "today")
    page.click(f"a[href='/cases/{case.id}']")
    page.wait_for_url(f"{server.url}/cases/{case.id}")

    # The missing fact is highlighted with the playbook's question; fill it in.
    missing = page.locator("#facts tr.missing")
    assert missing.count() >= 1
    assert "cause" in missing.first.inner_text()
    page.fill("#fact-cause", "la fábrica de nuestro proveedor paró dos días por una avería")
    page.click("#facts button.primary")
    page.wait_for_url(f"{server.url}/cases/{case.id}#facts")
    assert page.locator("#facts tr.missing").count() == 0

    # Draft a first notice in Spanish.
    page.select_option("select[name=stage]", "first_notice")
    page.select_option(".composer-pick select[name=lang]", "es")
    page.click(".composer-pick button.primary")
    body = page.locator("#draft-body")
    body.wait_for()
    assert "8812" in body.input_value()
    assert "llegará" in body.input_value()

    # Type corporate doublespeak and see it flagged as you type.
    body.press("Control+End")
    body.type(" Estamos trabajando para optimizar capacidades operativas.")
    flagged = page.locator("li.finding", has_text="doublespeak").first
    flagged.wait_for()
    shot(page, server, "composer")
    apply = flagged.locator("button.apply")
    words = apply.get_attribute("data-text") or ""
    assert words and words.lower() in body.input_value().lower()
    apply.click()
    page.wait_for_function(
        "(w) => !document.getElementById('draft-body').value.includes(w)", arg=words
    )

    # Approve and send: the message reaches the SMTP server.
    before = len(server.mailbox.messages)
    page.click("#approve-send")
    page.wait_for_url(f"{server.url}/cases/{case.id}?notice=queued#messages")
    deadline = time.monotonic() + 20
    while len(server.mailbox.messages) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(server.mailbox.messages) == before + 1
    mail = server.mailbox.messages[-1]
    assert "carmen@druiz.example" in mail["To"]
    assert "8812" in mail["Subject"]
    page.reload()
    assert page.locator("#messages .tag.sent").count() >= 1
    # The promise of the next update is a commitment on the case.
    assert page.locator("#commitments tr.commitment").count() >= 1

    # An angry reply arrives and is triaged on the page.
    sent = [m for m in cases.show_case(db, case.id).messages if m.direction == "out"][-1]
    raw = (
        "From: Carmen Ruiz <carmen@druiz.example>\r\n"
        "To: frankly@localhost\r\n"
        f"Subject: Re: {mail['Subject']}\r\n"
        f"In-Reply-To: {sent.message_id}\r\n"
        "Message-ID: <angry-1@druiz.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "¡Esto es una vergüenza! ¡Es la tercera vez que nos pasa! "
        "¿Cuándo van a llegar las cajas? Si no llegan el lunes, cancelamos el contrato "
        "y hablamos con nuestro abogado.\r\n"
    ).encode()
    received = cases.receive_inbound(db, raw)
    assert received.case_id == case.id
    page.reload()
    triage = page.locator("#inbound .triage").first
    assert triage.is_visible()
    text = triage.inner_text().lower()
    assert "riesgo de baja" in text or "riesgo legal" in text

    # The first notice listed the options: they are on the case, and the agent records
    # the one the customer chose.
    offered = page.locator("#remedies li.remedy")
    assert offered.count() >= 3
    assert "mantener el pedido" in offered.first.inner_text()
    page.select_option("#remedy-choice", "partial_now")
    page.click("#record-choice")
    page.wait_for_url(f"{server.url}/cases/{case.id}#remedies")
    assert page.locator("#remedies li.remedy.chosen").get_attribute("data-option") == (
        "partial_now"
    )
    shot(page, server, "case")

    # Resolve the case.
    page.click("button[value=resolved]")
    page.wait_for_url(f"{server.url}/cases/{case.id}")
    assert "resuelto" in page.locator(".meta .state").first.inner_text()

    # The cadence (the worker runs it every few minutes; here we run it now) schedules the
    # follow-up, shown on the case with its date in the agent's language.
    from babel.dates import format_datetime

    from frankly.cadence import run_due

    run_due(db)
    follow_up = next(s for s in cases.list_steps(db, case.id) if s.kind == "follow_up")
    page.reload()
    row = page.locator("#scheduled tr.follow_up")
    assert row.count() == 1
    lucia = cases.find_agent(db, "lucia@northwind.example")
    assert lucia is not None
    day = format_datetime(follow_up.due_at, "EEE d MMM y", tzinfo=lucia.timezone, locale="es")
    assert "seguimiento" in row.inner_text() and day in row.inner_text()
    shot(page, server, "case-resolved")

    # When the day comes, the cadence drafts the follow-up and Today asks for it to be read
    # and approved (the clock is moved by running the cadence at the due time).
    run_due(db, now=follow_up.due_at + dt.timedelta(minutes=1))
    page.goto(server.url + "/")
    today_row = page.locator(f"tr:has(a[href='/cases/{case.id}'])")
    assert today_row.count() == 1
    assert "(seguimiento)" in today_row.inner_text()


def test_a_double_click_on_approve_and_send_mails_the_customer_once(
    page: Any, server: Server
) -> None:
    db = server.db
    case = cases.find_case_by_ref(db, "demo:09")
    assert case is not None
    sign_in(page, server, "james@northwind.example")
    page.goto(f"{server.url}/cases/{case.id}")
    page.select_option("select[name=stage]", "first_notice")
    page.click(".composer-pick button.primary")
    body = page.locator("#draft-body")
    body.wait_for()
    before_out = [m for m in cases.show_case(db, case.id).messages if m.direction == "out"]
    before_mail = len(server.mailbox.messages)
    # A real double-click, then the same form posted twice more at once (a retried POST).
    page.dblclick("#approve-send")
    sent = re.compile(rf".*/cases/{case.id}\?notice=(queued|already).*")
    try:
        page.wait_for_url(sent)
    except PlaywrightError:
        # The second click's answer can abort the first one's navigation: wait again.
        page.wait_for_url(sent)
    after_out = [m for m in cases.show_case(db, case.id).messages if m.direction == "out"]
    assert len(after_out) == len(before_out) + 1
    deadline = time.monotonic() + 20
    while len(server.mailbox.messages) == before_mail and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # room for a second mail to arrive, if one were sent
    ids = {m["Message-ID"] for m in server.mailbox.messages[before_mail:]}
    assert len(server.mailbox.messages) - before_mail == 1 and len(ids) == 1

    # The same composer's form posted three times at once from the page (a retrying
    # client, two tabs): the server keeps one message.
    other = cases.find_case_by_ref(db, "demo:05")
    assert other is not None
    page.goto(f"{server.url}/cases/{other.id}")
    page.select_option("select[name=stage]", "first_notice")
    page.click(".composer-pick button.primary")
    page.locator("#draft-body").wait_for()
    statuses = page.evaluate(
        """async () => {
            const form = document.getElementById('composer-form');
            const post = () => fetch(form.action, {method: 'POST', body: new FormData(form),
                                                   redirect: 'manual'});
            const answers = await Promise.all([post(), post(), post()]);
            return answers.map(a => a.status);
        }"""
    )
    assert len(statuses) == 3
    out = [m for m in cases.show_case(db, other.id).messages if m.direction == "out"]
    queued = [m for m in out if m.status in ("queued", "sending", "sent")]
    assert len({m.client_key for m in queued if m.client_key}) == 1
    assert len([m for m in queued if m.client_key]) == 1


def test_script_in_an_inbound_message_never_runs(page: Any, server: Server) -> None:
    db = server.db
    customer = cases.add_customer(
        db, name='<img src=x onerror="window.pwned=1">Eve', email="eve@evil.example"
    )
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="<script>window.pwned=2</script>Order 1",
    )
    cases.add_message(
        db,
        case.id,
        direction="in",
        body=(
            '<script>window.pwned=3</script><b id="injected">bold</b>'
            '<img src=x onerror="window.pwned=4">'
        ),
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server, "james@northwind.example")
    for url in (f"/cases/{case.id}", "/cases", f"/customers/{customer.id}"):
        page.goto(server.url + url)
        assert page.evaluate("window.pwned") is None, url
        assert page.locator("#injected").count() == 0, url
    page.goto(server.url + f"/cases/{case.id}")
    assert "<script>window.pwned=3</script>" in page.locator("#inbound .body").inner_text()
    assert dialogs == []


def test_pages_for_the_readme(page: Any, server: Server) -> None:
    sign_in(page, server, "maria@northwind.example")
    page.goto(server.url + "/insights")
    assert page.locator("svg.chart").count() >= 4
    shot(page, server, "insights")
    page.goto(server.url + "/cases")
    shot(page, server, "cases")
    page.goto(server.url + "/customers")
    shot(page, server, "customers")
    page.goto(server.url + "/playbooks")
    shot(page, server, "playbooks")
    page.goto(server.url + "/playbooks/late_delivery?lang=es")
    assert page.locator("h1").inner_text()


PRACTICE_TURNS = {
    "en": [
        "I'm sorry, this is our mistake: our warehouse loaded your pallet on the wrong lorry. "
        "Your order arrives on Friday before noon. I'll call you on Thursday at 10:00 to "
        "confirm the slot; my direct line is 020 7946 0000.",
        "You can choose: we send 20 chairs by express tomorrow at our cost, or we take £250 "
        "off the invoice. Either way we pay for it.",
        "I'll call you on Thursday at 10:00 as promised, with the delivery slot.",
    ],
    "es": [
        "Lo siento, ha sido error nuestro: el almacén cargó su palé en el camión equivocado. "
        "El pedido le llega el viernes antes de las 12:00. Le llamo el jueves a las 10:00 "
        "para confirmarle la franja; mi teléfono directo es el 910 000 111.",
        "Puede elegir: le mandamos mañana 20 sillas por urgente a nuestra costa, o le "
        "descontamos 250 € de la factura. Lo pagamos nosotros en los dos casos.",
        "Le llamo el jueves a las 10:00, como le prometí, con la franja de entrega.",
    ],
}


@pytest.mark.parametrize(
    ("email", "lang"), [("james@northwind.example", "en"), ("lucia@northwind.example", "es")]
)
def test_a_trainee_practises_a_scenario_to_its_end(
    page: Any, server: Server, email: str, lang: str
) -> None:
    sign_in(page, server, email)
    page.click("a[href='/practice']")
    page.wait_for_url(server.url + "/practice")
    page.select_option("#scenario", f"{lang}/late_delivery")
    page.select_option("select[name=temperament]", "polite_fury")
    page.click("#practice-start button.primary")
    page.wait_for_url(re.compile(r".*/practice/\d+$"))
    assert page.locator(".turn.customer").count() == 1
    for text in PRACTICE_TURNS[lang]:
        if page.locator("#turn-form").count() == 0:
            break
        page.fill("#turn", text)
        page.click("#send-turn")
        page.wait_for_load_state()
    if page.locator("#rubric").count() == 0:  # the customer wants more: stop and score
        page.click("form[action$='/end'] button")
        page.wait_for_load_state()
    rubric = page.locator("#rubric")
    assert rubric.count() == 1
    assert re.search(r"\d+/100", rubric.inner_text())
    assert page.locator(".turn.trainee").count() >= 2
    assert page.locator(".signal.good").count() > 0  # what the customer noticed, annotated
    shot(page, server, f"practice-{lang}")
