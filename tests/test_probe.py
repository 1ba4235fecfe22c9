"""The "Hardening" probe (issue #14) as a suite: the attacks of the probe, run against the
real app served by uvicorn on a loopback port, from an outside HTTP client (httpx).

Each test is one finding of the probe and names it. Nothing here asserts on time: the
parallel sign-in tries run on a fixed schedule with the accounts' clock held still, and
crafted mail is judged by its answer and by the server answering the next request.
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from frankly import accounts, cases, incidents
from frankly.accounts import _accounts
from frankly.demo import CUSTOMERS, load_demo
from frankly.store import Database

# One server for the module: keep every test of it in one xdist worker.
pytestmark = pytest.mark.xdist_group("probe")

PASSWORD = "correct horse battery"
MANAGER = "maria@northwind.example"
AGENT = "james@northwind.example"
OTHER_AGENT = "lucia@northwind.example"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ATOM = "{http://www.w3.org/2005/Atom}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db: Database
    database_url: str

    def client(self, address: str = "127.0.0.1") -> Browser:
        """A new visitor; ``address`` is the client's own loopback address (the sign-in
        throttle counts per address, so tests that trip it use their own)."""
        return Browser(self.url, address)

    def signed_in(self, email: str, address: str = "127.0.0.1") -> Browser:
        browser = self.client(address)
        response = browser.sign_in(email)
        assert response.status_code == 303, response.text
        browser.get("/account")  # the session's own CSRF token, for its forms
        return browser

    def api(self, email: str, scope: str = "write") -> httpx.Client:
        agent = cases.find_agent(self.db, email)
        assert agent is not None
        _, token = accounts.issue_token(self.db, agent.id, "probe", scope=scope)
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )


class Browser:
    """A visitor with cookies and the CSRF token of the last page, as a browser has."""

    def __init__(self, url: str, address: str) -> None:
        self.http = httpx.Client(
            base_url=url,
            transport=httpx.HTTPTransport(local_address=address),
            follow_redirects=False,
            timeout=120,
        )
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.get(path, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def form(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **data})

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.form("/login", {"email": email, "password": password, "next": "/"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from frankly.web import create_app

    folder = tmp_path_factory.mktemp("probe")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FRANKLY_DATA_DIR", str(folder / "data"))
        env.delenv("FRANKLY_BASE_URL", raising=False)
        env.delenv("FRANKLY_TRUSTED_PROXIES", raising=False)
        url = f"sqlite:///{folder / 'frankly.db'}"
        db = Database(url)
        db.upgrade()
        load_demo(db)
        for agent in cases.list_agents(db):
            accounts.set_password(db, agent.id, PASSWORD)
        port = _free_port()
        config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
        web = uvicorn.Server(config)
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        # Waiting for the server to listen is not an assertion on time: the limit only
        # stops a server that never starts from hanging the run.
        deadline = time.monotonic() + 120
        while not web.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert web.started, "uvicorn did not start"
        try:
            yield Server(f"http://127.0.0.1:{port}", db, url)
        finally:
            web.should_exit = True
            thread.join(timeout=30)
            db.dispose()


def _alive(server: Server) -> None:
    """The server still answers (after an attack that used to crash or stall it)."""
    assert httpx.get(f"{server.url}/healthz", timeout=120).json() == {"status": "ok"}


def _case_of(server: Server, title_part: str) -> Any:
    found = [c for c in cases.list_cases(server.db, limit=500) if title_part in c.title]
    assert found, title_part
    return found[0]


# -- HIGH: the public status page showed customer data -----------------------------------


def _norm(text: str) -> str:
    """Letters and digits only, lower case, accents and odd spaces gone: how a reader sees
    a name however it is spaced or hyphenated."""
    text = unicodedata.normalize("NFKD", html.unescape(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split()) + " "


def _public_texts(server: Server) -> dict[str, str]:
    """Every text the public can read: the status page, each incident's page, both feeds,
    in each language, without signing in."""
    visitor = httpx.Client(base_url=server.url, timeout=120)
    texts: dict[str, str] = {}
    ids: set[str] = set()
    for lang in ("en", "es"):
        page = visitor.get(f"/status?lang={lang}")
        assert page.status_code == 200
        texts[f"/status?lang={lang}"] = re.sub(r"<[^>]+>", " ", page.text)
        ids.update(re.findall(r"/status/incidents/(\d+)", page.text))
        atom = visitor.get(f"/status/feed.atom?lang={lang}")
        root = ET.fromstring(atom.content)
        texts[f"feed.atom {lang}"] = " ".join(e.text or "" for e in root.iter())
        feed = visitor.get(f"/status/feed.json?lang={lang}").json()
        texts[f"feed.json {lang}"] = json.dumps(feed, ensure_ascii=False)
    assert ids, "the demo's incident is on the status page"
    for incident_id in sorted(ids):
        for lang in ("en", "es"):
            page = visitor.get(f"/status/incidents/{incident_id}?lang={lang}")
            assert page.status_code == 200
            texts[f"incident {incident_id} {lang}"] = re.sub(r"<[^>]+>", " ", page.text)
    visitor.close()
    return texts


def _affected_customer(server: Server) -> tuple[int, dict[str, Any]]:
    listed = incidents.list_incidents(server.db)
    assert listed
    incident_id = listed[0].id
    first = incidents.show_incident(server.db, incident_id).cases[0]
    return incident_id, cases.get_customer(server.db, first["customer_id"]).to_dict()


# The demo incident's customers read English and Spanish: an update is in both.
CLEAN_EN = "The ordering portal is back for most customers; we are checking the rest now."
CLEAN_ES = "El portal de pedidos vuelve a funcionar para casi todos; revisamos el resto ahora."


def test_an_update_showing_an_affected_customer_is_refused_naming_the_field(
    server: Server,
) -> None:
    """HIGH, public status page showed customer data: a manager's update naming an affected
    customer (name, email, phone) is refused with 422 naming the field; nothing is posted."""
    incident_id, customer = _affected_customer(server)
    maria = server.signed_in(MANAGER)
    maria.get(f"/incidents/{incident_id}")
    before = len(incidents.show_incident(server.db, incident_id).updates)
    for leak in (customer["name"], customer["email"], customer["phone"]):
        refused = maria.form(
            f"/incidents/{incident_id}/updates",
            {"text_en": f"{CLEAN_EN} Thanks to {leak}.", "text_es": CLEAN_ES},
        )
        assert refused.status_code == 422, (leak, refused.status_code)
        assert "en update" in html.unescape(refused.text), leak
    assert len(incidents.show_incident(server.db, incident_id).updates) == before


def test_an_invoice_number_in_any_spelling_is_refused_at_opening(server: Server) -> None:
    """HIGH, public status page showed customer data: INV-20931 with spaces, a no-break
    space, a hyphen or an en dash is refused in a new incident's public text (422)."""
    billed = _case_of(server, "INV-20931")
    maria = server.signed_in(MANAGER)
    maria.get("/incidents/new")
    opened_before = len(incidents.list_incidents(server.db))
    for spelling in ("INV-20931", "INV 20931", "INV\u00a020931", "inv\u201320931", "INV  20931"):
        refused = maria.form(
            "/incidents/new",
            {
                "title_en": "Card payments failed",
                "impact_en": "Some card payments failed this morning.",
                "text_en": f"Card payments failed this morning, for example invoice {spelling}.",
                "customers": f"customer_id,invoice_number\n{billed.customer_id},INV-20931",
                "severity": "high",
            },
        )
        assert refused.status_code == 422, (spelling, refused.status_code)
        assert "en update" in html.unescape(refused.text), spelling
    assert len(incidents.list_incidents(server.db)) == opened_before


def test_no_public_page_or_feed_shows_any_demo_customer(server: Server) -> None:
    """HIGH, public status page showed customer data: with no sign-in, the status page,
    each incident page, feed.atom and feed.json show no demo customer's name, company,
    email, phone, order or invoice number."""
    texts = {where: _norm(text) for where, text in _public_texts(server).items()}
    digits = {where: re.sub(r"\D", "", text) for where, text in texts.items()}
    numbers = {
        str(value)
        for case in cases.list_cases(server.db, limit=500)
        for key, value in (case.facts or {}).items()
        if key.endswith("_number") and value
    }
    assert "INV-20931" in numbers and "4471" in numbers
    for name, company, email, phone, *_ in CUSTOMERS:
        for value in (name, company, email, *numbers):
            for where, text in texts.items():
                assert _norm(value) not in text, (value, where)
        tail = re.sub(r"\D", "", phone)[-9:]
        for where, text in digits.items():
            assert tail not in text, (phone, where)


# -- HIGH: one fact value stopped the cadence for every case -----------------------------


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_non_finite_fact_is_refused_and_the_cadence_still_runs(server: Server, raw: str) -> None:
    """HIGH, one fact value stopped the cadence: NaN, Infinity and 1e400 posted to
    /api/v1/cases/{id}/facts get 422; `frankly cadence` and `frankly today` still work."""
    from frankly.cli import app

    case = _case_of(server, "Invoice INV-20931")
    api = server.api(MANAGER)
    before = cases.show_case(server.db, case.id).case.facts
    refused = api.post(
        f"/api/v1/cases/{case.id}/facts",
        content=f'{{"facts": {{"amount_extra": {raw}}}}}',
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "facts"
    assert cases.show_case(server.db, case.id).case.facts == before
    runner = CliRunner()
    env = {"FRANKLY_DATABASE_URL": server.database_url}
    cadence = runner.invoke(app, ["cadence", "--json"], env=env)
    assert cadence.exit_code == 0, cadence.output
    assert json.loads(cadence.output).get("errors", []) == []
    today = runner.invoke(app, ["today", "--json", "--no-refresh"], env=env)
    assert today.exit_code == 0, today.output


@pytest.mark.parametrize(
    ("title", "facts", "field"),
    [
        ("overdue", {"due_date": "9999-12-30"}, "due_date"),
        ("late", {"quantity": 1e308}, "quantity"),
        ("late", {"quantity": -5}, "quantity"),
        ("late", {"quantity": 1e20}, "quantity"),
    ],
)
def test_out_of_range_typed_facts_are_refused_and_the_case_page_opens(
    server: Server, title: str, facts: dict[str, Any], field: str
) -> None:
    """HIGH, one fact value stopped the cadence: due_date 9999-12-30 on an overdue payment,
    quantity 1e308, -5 and 1e20 get 422 naming the fact; the case page and `frankly draft`
    still work."""
    from frankly.cli import app

    kind = "overdue_payment" if title == "overdue" else "late_delivery"
    case = next(c for c in cases.list_cases(server.db, limit=500) if c.kind == kind)
    api = server.api(MANAGER)
    refused = api.post(f"/api/v1/cases/{case.id}/facts", json={"facts": facts})
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["error"]["message"] + str(refused.json()["error"]["field"])
    assert server.signed_in(MANAGER).get(f"/cases/{case.id}").status_code == 200
    stage = "first_notice"
    drafted = CliRunner().invoke(
        app,
        ["draft", str(case.id), "--stage", stage, "--no-save"],
        env={"FRANKLY_DATABASE_URL": server.database_url},
    )
    assert drafted.exit_code in (0, 2), drafted.output  # 2: a fact the stage needs is missing
    assert "Traceback" not in drafted.output and "InvalidOperation" not in drafted.output


# -- MEDIUM: sign-in ------------------------------------------------------------------------


def test_parallel_wrong_passwords_do_not_let_the_right_one_in_beyond_the_allowance(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MEDIUM, sign-in race: 40 tries in parallel threads, the right password as the 30th;
    no more than the allowance of tries reach the password check, and the right one, sent
    after the allowance was used up, does not sign in."""
    accounts.create_user(
        server.db, name="Race Target", email="race@northwind.example", password=PASSWORD
    )
    # The clock stands still, so the back-off cannot run out however slow the machine is.
    frozen = _accounts._now()
    monkeypatch.setattr(_accounts, "_now", lambda: frozen)
    schedule = ["wrong password number"] * 40
    schedule[29] = PASSWORD
    browsers = [server.client("127.0.0.2") for _ in schedule]
    for browser in browsers:
        browser.get("/login")

    def attempt(i: int) -> int:
        form = {"email": "race@northwind.example", "password": schedule[i], "next": "/"}
        return browsers[i].form("/login", form).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        # The fixed schedule: the first 29 together, then the right one with the last ten.
        first = Counter(pool.map(attempt, range(29)))
        second = list(pool.map(attempt, range(29, 40)))
    assert first == {401: accounts.FREE_FAILURES_PER_ACCOUNT, 429: 29 - 5}
    assert second == [429] * 11
    assert browsers[29].get("/account").status_code == 303  # not signed in


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(server: Server) -> None:
    """MEDIUM, proxy address sharing: a client that varies X-Forwarded-For is still one
    address; past 30 failures it is slowed down, whatever the header says."""
    browser = server.client("127.0.0.3")
    browser.get("/login")
    codes = []
    for i in range(accounts.FREE_FAILURES_PER_ADDRESS + 1):
        response = browser.http.post(
            "/login",
            data={
                "csrf_token": browser.csrf,
                "email": f"nobody{i}@northwind.example",
                "password": "wrong password number",
                "next": "/",
            },
            headers={"X-Forwarded-For": f"127.9.{i}.1"},
        )
        codes.append(response.status_code)
    assert codes[:-1] == [401] * accounts.FREE_FAILURES_PER_ADDRESS
    assert codes[-1] == 429


def test_weak_passwords_are_refused_on_the_account_page(server: Server) -> None:
    """MEDIUM, weak passwords: ten spaces, "1234567890" and one's own email are refused."""
    lucia = server.signed_in(OTHER_AGENT, address="127.0.0.4")
    for weak in (" " * 10, "1234567890", OTHER_AGENT):
        lucia.get("/account")
        page = lucia.form("/account/password", {"current": PASSWORD, "new": weak})
        assert 'class="error"' in page.text and 'class="ok"' not in page.text, weak
        assert server.client("127.0.0.4").sign_in(OTHER_AGENT, weak).status_code == 401, weak
    assert server.client("127.0.0.4").sign_in(OTHER_AGENT).status_code == 303


def test_a_saved_cookie_stops_working_after_sign_out(server: Server) -> None:
    """MEDIUM, sign-out does not end the session: the cookie saved before signing out
    opens nothing afterwards (the sign-in page instead)."""
    james = server.signed_in(AGENT)
    saved = james.http.cookies.get("frankly_session")
    assert saved and james.get("/cases").status_code == 200
    assert james.form("/logout", {}).status_code == 303
    replay = server.client()
    replay.http.cookies.set("frankly_session", saved)
    response = replay.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_database_and_key_are_not_readable_by_others(server: Server) -> None:
    """MEDIUM, frankly.db 0644 with the cookie secret: the database, its key file and the
    data folder are private to Frankly's user."""
    path = server.database_url.removeprefix("sqlite:///")
    assert os.stat(path).st_mode & 0o077 == 0
    key = accounts.secret_path(server.db)
    assert key is not None and key.exists() and key.stat().st_mode & 0o077 == 0


# -- MEDIUM: crafted inbound mail -------------------------------------------------------------


def _mail(
    *,
    sender: str,
    subject: str,
    message_id: str,
    to: str = "support@northwind.example",
    body: str = "Where is my order?",
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    mail.set_content(body)
    return mail.as_bytes()


RFC822 = {"Content-Type": "message/rfc822"}


def test_a_crlf_in_an_encoded_from_name_is_no_crash(server: Server) -> None:
    """MEDIUM, crafted inbound mail: an RFC 2047 From name hiding CR/LF used to answer 500;
    now the line break is taken out, and no stored name holds one."""
    api = server.api(MANAGER)
    raw = (
        b"From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x=2Eexample?= <crlf@probe.example>\r\n"
        b"To: support@northwind.example\r\n"
        b"Subject: =?utf-8?q?Hi=0D=0AX-Injected=3A_yes?=\r\n"
        b"Message-ID: <crlf@probe.example>\r\n\r\nHello\r\n"
    )
    response = api.post("/api/v1/inbound", content=raw, headers=RFC822)
    assert response.status_code < 500, response.text
    for customer in cases.list_customers(server.db, limit=1000):
        assert "\r" not in customer.name and "\n" not in customer.name
    _alive(server)


def test_a_mime_tree_nested_3000_deep_is_refused(server: Server) -> None:
    """MEDIUM, crafted inbound mail: multipart nested 3,000 deep used to raise
    RecursionError (500); it is refused with 422 naming the header."""
    head = "From: deep@probe.example\r\nSubject: deep\r\nMessage-ID: <deep@probe.example>\r\n"
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(3000)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(3000)))
    raw = (head + opening + "Content-Type: text/plain\r\n\r\nhello\r\n" + closing).encode()
    response = server.api(MANAGER).post("/api/v1/inbound", content=raw, headers=RFC822)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "Content-Type"
    _alive(server)


def test_a_references_header_of_100000_ids_is_refused(server: Server) -> None:
    """MEDIUM, crafted inbound mail: References with 100,000 ids cost 25 s of CPU; it is
    refused with 422 naming the headers, and the server answers the next request."""
    many = " ".join(f"<ref{i}@probe.example>" for i in range(100_000))
    raw = _mail(
        sender="refs@probe.example", subject="refs", message_id="<refs@probe.example>"
    ).replace(b"Subject:", f"References: {many}\r\nSubject:".encode())
    response = server.api(MANAGER).post("/api/v1/inbound", content=raw, headers=RFC822)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "headers"
    _alive(server)


def test_a_huge_mail_is_not_stored_whole(server: Server) -> None:
    """MEDIUM, crafted inbound mail: a 5.4 MB mail was stored whole; its body is cut to the
    limit with a note."""
    case = _case_of(server, "INV-20931")
    customer = cases.get_customer(server.db, case.customer_id)
    raw = _mail(
        sender=f"{customer.name} <{customer.email}>",
        subject=f"[Case #{case.id}] the details",
        message_id="<huge@probe.example>",
        body="All the details of my invoice. " * 180_000,
    )
    assert len(raw) > 5_000_000
    response = server.api(MANAGER).post("/api/v1/inbound", content=raw, headers=RFC822)
    assert response.status_code == 201, response.text
    stored = cases.get_message(server.db, response.json()["message_id"]).body
    assert len(stored) < 1_000_000 and "Frankly kept the first part of this mail" in stored


@pytest.mark.parametrize("how", ["tag", "address"])
def test_mail_naming_another_customers_case_waits_for_review(server: Server, how: str) -> None:
    """MEDIUM, any sender could add mail to any case with "[Case #13]" or
    support+case-9@…: mail from another customer naming a case is held for review, not put
    on the case."""
    target = _case_of(server, "INV-20931")
    other = next(
        c
        for c in cases.list_customers(server.db, limit=1000)
        if c.id != target.customer_id and c.email
    )
    message_id = f"<naming-{how}@probe.example>"
    raw = _mail(
        sender=f"{other.name} <{other.email}>",
        subject=f"[Case #{target.id}] please cancel" if how == "tag" else "please cancel",
        to="support@northwind.example" if how == "tag" else f"support+case-{target.id}@x.example",
        message_id=message_id,
    )
    api = server.api(MANAGER)
    response = api.post("/api/v1/inbound", content=raw, headers=RFC822)
    assert response.status_code == 201, response.text
    assert response.json()["matched_by"] == "review"
    on_case = api.get(f"/api/v1/cases/{target.id}/messages").json()
    assert message_id not in {m.get("message_id") for m in on_case}
    held = api.get("/api/v1/inbound/review").json()
    assert message_id in {h["rfc_message_id"] for h in held}


# -- MEDIUM: ownership and token scopes -------------------------------------------------------


def test_an_agent_writing_to_another_agents_case_is_refused(server: Server) -> None:
    """MEDIUM, no ownership model: James (an agent) may not write to Lucía's case, by the
    API (403) or by the web form (403); nothing is written."""
    lucia = cases.find_agent(server.db, OTHER_AGENT)
    assert lucia is not None
    theirs = next(c for c in cases.list_cases(server.db, limit=500) if c.owner_id == lucia.id)
    events = len(cases.show_case(server.db, theirs.id).events)
    api = server.api(AGENT)
    assert api.post(f"/api/v1/cases/{theirs.id}/notes", json={"text": "x"}).status_code == 403
    assert api.get(f"/api/v1/cases/{theirs.id}").status_code == 200  # reading stays open
    james = server.signed_in(AGENT)
    james.get(f"/cases/{theirs.id}")
    assert james.form(f"/cases/{theirs.id}/notes", {"text": "x"}).status_code == 403
    assert len(cases.show_case(server.db, theirs.id).events) == events


def test_a_read_token_may_not_write(server: Server) -> None:
    """MEDIUM, API tokens without scope or expiry: a read-scoped token reads (200) and gets
    403 on a write."""
    case = _case_of(server, "INV-20931")
    reader = server.api(MANAGER, scope="read")
    assert reader.get(f"/api/v1/cases/{case.id}").status_code == 200
    refused = reader.post(f"/api/v1/cases/{case.id}/notes", json={"text": "x"})
    assert refused.status_code == 403 and "read" in refused.json()["error"]["message"]


# -- MEDIUM/LOW: the feeds --------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x1b", "\x01"])
def test_control_characters_never_break_the_atom_feed(server: Server, char: str) -> None:
    """MEDIUM, control characters broke the Atom feed: an update holding \\x0b, \\x1b or
    \\x01 is refused (422), and feed.atom stays well-formed XML."""
    incident_id, _ = _affected_customer(server)
    maria = server.signed_in(MANAGER)
    maria.get(f"/incidents/{incident_id}")
    refused = maria.form(
        f"/incidents/{incident_id}/updates",
        {"text_en": f"The portal is back{char} for most customers.", "text_es": CLEAN_ES},
    )
    assert refused.status_code == 422
    for lang in ("en", "es"):
        atom = httpx.get(f"{server.url}/status/feed.atom?lang={lang}", timeout=120)
        assert atom.status_code == 200
        root = ET.fromstring(atom.content)
        assert root.tag == f"{ATOM}feed" and list(root.iter(f"{ATOM}entry"))


def test_the_host_header_does_not_change_feed_links(server: Server) -> None:
    """LOW, Host header trusted in feed URLs: a forged Host appears in no feed link."""
    headers = {"Host": "evil.example"}
    atom = httpx.get(f"{server.url}/status/feed.atom?lang=en", headers=headers, timeout=120)
    feed = httpx.get(f"{server.url}/status/feed.json?lang=en", headers=headers, timeout=120)
    assert atom.status_code == feed.status_code == 200
    assert "evil.example" not in atom.text and "evil.example" not in feed.text
    links = [e.get("href", "") for e in ET.fromstring(atom.content).iter(f"{ATOM}link")]
    assert links and all(link.startswith("http://127.0.0.1:8000/") for link in links)


# -- LOW: searches ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["%", "_", "%%", "a_c"])
def test_percent_and_underscore_in_a_search_are_letters(server: Server, query: str) -> None:
    """LOW, % and _ not escaped in searches: they match themselves, not everything."""
    api = server.api(AGENT)
    everything = int(api.get("/api/v1/cases").headers["X-Total-Count"])
    found = api.get("/api/v1/cases", params={"q": query})
    assert found.status_code == 200
    assert int(found.headers["X-Total-Count"]) < everything
    assert all(query in json.dumps(c, ensure_ascii=False) for c in found.json())
    customers = api.get("/api/v1/customers", params={"q": query}).json()
    assert len(customers) < len(api.get("/api/v1/customers").json())
    page = server.signed_in(AGENT).get("/cases", params={"q": query})
    assert page.status_code == 200


# -- LOW: web forms and times ------------------------------------------------------------------


def test_a_milestone_time_that_overflows_is_refused(server: Server) -> None:
    """LOW, milestone time 9999-12-31T23:59:59-12:00 answered 500: it gets 422."""
    case = next(c for c in cases.list_cases(server.db, limit=500) if c.kind == "late_delivery")
    response = server.api(MANAGER).post(
        f"/api/v1/cases/{case.id}/milestones",
        json={"code": "shipped", "happened_at": "9999-12-31T23:59:59-12:00"},
    )
    assert response.status_code == 422, response.text


def test_a_nul_or_line_break_where_one_line_belongs_is_refused(server: Server) -> None:
    """LOW, CR/LF in customer names and NUL stored from web forms: refused with 422."""
    api = server.api(MANAGER)
    for name in ("Eve\r\nBcc: x@y.example", "Eve\x00"):
        response = api.post("/api/v1/customers", json={"name": name, "email": "eve@x.example"})
        assert response.status_code == 422, (name, response.text)
    case = _case_of(server, "INV-20931")
    maria = server.signed_in(MANAGER)
    maria.get(f"/cases/{case.id}")
    events = len(cases.show_case(server.db, case.id).events)
    assert maria.form(f"/cases/{case.id}/notes", {"text": "a\x00b"}).status_code == 422
    assert len(cases.show_case(server.db, case.id).events) == events
