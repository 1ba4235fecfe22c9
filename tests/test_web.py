"""The web app, driven in-process through httpx's ASGI transport: sign-in, roles, CSRF,
escaping, pages and the JSON API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from markupsafe import escape

from frankly import cases
from frankly.store import Database
from frankly.web import auth as web_auth
from frankly.web import create_app, ensure_demo_admin

from .helpers import DEMO_PASSWORD

PASSWORD = DEMO_PASSWORD
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    """A synchronous face on an in-process httpx client (one event loop per test)."""

    def __init__(self, app: object) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        self.csrf = ""

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        response = self.request("GET", url, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def form(self, url: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
        """Post a form the way the browser does: with this session's CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf, **data}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        return self.form("/login", {"email": email, "password": password, "next": "/"})

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@dataclass
class Site:
    db: Database
    app: object

    def client(self) -> Client:
        return Client(self.app)

    def signed_in(self, email: str = "james@northwind.example") -> Client:
        client = self.client()
        response = client.sign_in(email)
        assert response.status_code == 303, response.text
        client.get("/")
        return client


@pytest.fixture
def site(demo_db: Database) -> Iterator[Site]:
    """The demo business with passwords for its staff, and the app over it."""
    yield Site(demo_db, create_app(demo_db))


PAGES = [
    "/",
    "/cases",
    "/cases/1",
    "/customers",
    "/customers/1",
    "/playbooks",
    "/insights",
    "/account",
    "/admin/users",
    "/docs",
    "/openapi.json",
    "/playbook-upload",
]
API = ["/api/v1/cases", "/api/v1/cases/1", "/api/v1/customers", "/api/v1/cases/1/events"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_a_stranger_to_sign_in(site: Site, url: str) -> None:
    client = site.client()
    response = client.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("url", API)
def test_every_api_endpoint_needs_a_token(site: Site, url: str) -> None:
    response = site.client().get(url)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"
    bad = site.client().get(url, headers={"Authorization": "Bearer frk_wrong"})
    assert bad.status_code == 401


def test_sign_in_then_out(site: Site) -> None:
    client = site.client()
    assert client.sign_in("james@northwind.example").headers["location"] == "/"
    today = client.get("/")
    assert today.status_code == 200
    assert "James Carter" in today.text
    cookie = client.client.cookies.get("frankly_session")
    assert cookie and "james" not in cookie  # signed, and it holds no email
    assert client.form("/logout", {}).status_code == 303
    assert client.get("/").status_code == 303


def test_wrong_password_is_refused_without_saying_which(site: Site) -> None:
    client = site.client()
    wrong = client.sign_in("james@northwind.example", "not the password")
    nobody = client.sign_in("nobody@northwind.example", "not the password")
    assert wrong.status_code == nobody.status_code == 401
    assert "The email or password is wrong." in wrong.text
    assert "The email or password is wrong." in nobody.text


def test_sign_in_is_rate_limited_across_app_instances(site: Site) -> None:
    client = site.client()
    for _ in range(web_auth.MAX_FAILURES_PER_EMAIL):
        assert client.sign_in("lucia@northwind.example", "guess guess").status_code == 401
    # A second web process on the same database sees the same failures.
    other = Client(create_app(site.db))
    blocked = other.sign_in("lucia@northwind.example", PASSWORD)
    assert blocked.status_code == 429
    # The wait grows with each further failure (1 minute first), never a lock for good.
    assert "Wait 1 minute" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 60
    # Someone else is not blocked by it.
    assert other.sign_in("james@northwind.example").status_code == 303


def test_changing_the_password_ends_other_sessions(site: Site) -> None:
    first = site.signed_in("priya@northwind.example")
    second = site.signed_in("priya@northwind.example")
    changed = second.form("/account/password", {"current": PASSWORD, "new": "a brand new password"})
    assert "Password changed." in changed.text
    assert first.get("/").status_code == 303
    assert second.get("/").status_code == 200


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/cases/1/notes", {"text": "forged"}),
        ("/cases/1/state", {"to": "cancelled"}),
        ("/account/language", {"language": "es"}),
        ("/logout", {}),
    ],
)
def test_forms_without_the_sessions_csrf_token_are_refused(
    site: Site, url: str, data: dict[str, str]
) -> None:
    client = site.signed_in("james@northwind.example")
    before = len(cases.show_case(site.db, 1).events)
    missing = client.post(url, data=data)
    other = site.signed_in("priya@northwind.example")
    foreign = client.post(url, data={**data, "csrf_token": other.csrf})
    assert missing.status_code == foreign.status_code == 403
    assert "expired" in missing.text
    assert len(cases.show_case(site.db, 1).events) == before
    assert client.get("/").status_code == 200  # still signed in: logout did not happen


def test_login_form_needs_its_csrf_token_too(site: Site) -> None:
    client = site.client()
    response = client.post(
        "/login", data={"email": "maria@northwind.example", "password": PASSWORD}
    )
    assert response.status_code == 403


def test_a_form_with_the_token_works(site: Site) -> None:
    client = site.signed_in()
    response = client.form("/cases/1/notes", {"text": "Called the customs broker"})
    assert response.status_code == 303
    page = client.get("/cases/1")
    assert "Called the customs broker" in page.text


XSS_BODY = (
    '<script>alert("x")</script><img src=x onerror=alert(1)>'
    '<a href="javascript:alert(2)">click</a></textarea><b>bold</b>'
)
XSS_NAME = '<script>alert("name")</script><i>Evil</i> "Corp"'


def test_customer_text_is_escaped_everywhere(site: Site) -> None:
    customer = cases.add_customer(site.db, name=XSS_NAME, company=XSS_NAME, email="x@evil.example")
    case = cases.open_case(site.db, customer_id=customer.id, kind="late_delivery", title=XSS_NAME)
    cases.add_message(site.db, case.id, direction="in", body=XSS_BODY, subject=XSS_NAME)
    client = site.signed_in()
    for url in (f"/cases/{case.id}", "/cases", f"/customers/{customer.id}", "/customers?q=evil"):
        page = client.get(url).text
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "<i>Evil</i>" not in page, url
        assert "&lt;script&gt;alert(" in page, url
    case_page = client.get(f"/cases/{case.id}").text
    assert "&lt;/textarea&gt;&lt;b&gt;bold&lt;/b&gt;" in case_page
    assert "Content-Security-Policy" in client.get("/").headers


def test_roles_decide_what_a_person_may_do(site: Site) -> None:
    agent = site.signed_in("james@northwind.example")
    manager = site.signed_in("maria@northwind.example")
    assert agent.get("/insights").status_code == 403
    assert agent.get("/admin/users").status_code == 403
    assert agent.get("/playbook-upload").status_code == 403
    assert "Insights" not in agent.get("/").text
    assert manager.get("/insights").status_code == 200
    assert manager.get("/admin/users").status_code == 403
    cases.add_agent(site.db, name="Root", email="root@northwind.example", role="admin")
    root = cases.find_agent(site.db, "root@northwind.example")
    assert root is not None
    web_auth.set_password(site.db, root.id, PASSWORD)
    admin = site.signed_in("root@northwind.example")
    assert admin.get("/admin/users").status_code == 200
    added = admin.form(
        "/admin/users",
        {
            "name": "New Agent",
            "email": "new@northwind.example",
            "role": "agent",
            "language": "es",
            "password": "short",
        },
    )
    assert "at least 12 characters" in added.text
    assert cases.find_agent(site.db, "new@northwind.example") is None


def test_the_interface_speaks_the_agents_language(site: Site) -> None:
    client = site.signed_in("james@northwind.example")
    assert ">Today<" in client.get("/").text
    client.form("/account/language", {"language": "es"})
    page = client.get("/")
    assert ">Hoy<" in page.text
    assert '<html lang="es">' in page.text
    assert ">Casos<" in client.get("/cases").text


def test_the_spanish_interface_has_every_word_of_the_templates() -> None:
    from pathlib import Path

    from frankly.web import _i18n

    folder = Path(_i18n.FOLDER)
    used: set[str] = set()
    for template in folder.glob("*.html"):
        used |= set(re.findall(r"""\bt\("([^"]+)"[,)]""", template.read_text()))
        used |= set(re.findall(r"""\bt\('([^']+)'[,)]""", template.read_text()))
    spanish = _i18n.catalogue("es")
    assert used, "no words found: the pattern is wrong"
    assert sorted(used - set(spanish)) == []


def test_cases_page_filters_and_paginates(site: Site) -> None:
    client = site.signed_in()
    all_cases = client.get("/cases")
    total = cases.count_cases(site.db)
    assert f"({total})" in all_cases.text
    assert "Page 1 of" in all_cases.text or total <= 25
    billing = client.get("/cases?kind=billing_error")
    titles = [c.title for c in cases.list_cases(site.db, kind="billing_error")]
    assert titles and all(str(escape(t)) in billing.text for t in titles)
    late = cases.list_cases(site.db, kind="late_delivery")
    assert late[0].title not in billing.text
    search = client.get("/cases?q=4471")
    assert "Order 4471 held at customs" in search.text
    assert "Pedido 8812" not in search.text
    page2 = client.get("/cases?page=2")
    assert page2.status_code == 200


def test_today_lists_what_is_owed(site: Site) -> None:
    client = site.signed_in("lucia@northwind.example")
    page = client.get("/")
    assert "Pedido 8812 retrasado" in page.text  # hers, no first notice yet
    assert "Coffee machines for order 5120" not in page.text  # Priya's
    team = site.signed_in("maria@northwind.example").get("/?team=1")
    assert "Coffee machines for order 5120" in team.text


def test_customers_show_their_cases(site: Site) -> None:
    client = site.signed_in()
    customer = cases.find_customer(site.db, "sarah@acme-retail.example")
    assert customer is not None
    page = client.get(f"/customers/{customer.id}")
    assert "Order 4471 held at customs" in page.text
    assert "Acme Retail Ltd" in client.get("/customers?q=acme").text


def test_insights_draws_svg_charts(site: Site) -> None:
    page = site.signed_in("maria@northwind.example").get("/insights")
    assert page.text.count("<svg") >= 4
    assert "late delivery" in page.text or "late_delivery" in page.text


def test_demo_admin_is_made_once_with_a_random_password(sqlite_db: Database) -> None:
    made = ensure_demo_admin(sqlite_db)
    assert made is not None
    email, password = made
    assert len(password) >= 12
    assert ensure_demo_admin(sqlite_db) is None
    again = Database(sqlite_db.url)
    other = ensure_demo_admin(again)
    assert other is None
    client = Client(create_app(sqlite_db))
    assert client.sign_in(email, password).status_code == 303
    assert client.get("/admin/users").status_code == 200


def test_two_demo_databases_get_different_passwords(sqlite_db: Database, tmp_path: object) -> None:
    first = ensure_demo_admin(sqlite_db)
    other = Database(f"sqlite:///{tmp_path}/other.db")
    other.upgrade()
    second = ensure_demo_admin(other)
    assert first and second and first[1] != second[1]


# --- the API ---------------------------------------------------------------------------


@pytest.fixture
def api(site: Site) -> Client:
    maria = cases.find_agent(site.db, "maria@northwind.example")
    assert maria is not None
    _, token = web_auth.issue_token(site.db, maria.id, "tests")
    client = site.client()
    client.client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_api_lists_and_shows_cases(api: Client) -> None:
    listed = api.get("/api/v1/cases?kind=billing_error")
    assert listed.status_code == 200
    assert {c["kind"] for c in listed.json()} == {"billing_error"}
    assert int(listed.headers["x-total-count"]) == len(listed.json())
    one = api.get(f"/api/v1/cases/{listed.json()[0]['id']}")
    assert one.json()["customer"]["name"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code", "field"),
    [
        ("GET", "/api/v1/cases/9999", None, 404, "not_found", None),
        ("GET", "/api/v1/cases/abc", None, 422, "invalid_input", "case_id"),
        ("GET", "/api/v1/cases/99999999999999999999", None, 422, "invalid_input", "case_id"),
        ("GET", "/api/v1/cases?limit=0", None, 422, "invalid_input", "limit"),
        ("GET", "/api/v1/cases?state=lost", None, 422, "invalid_input", "state"),
        ("POST", "/api/v1/cases/1/state", {"to": "reviewed"}, 409, "illegal_transition", None),
        ("POST", "/api/v1/cases/1/state", {"to": 5}, 422, "invalid_input", "to"),
        ("POST", "/api/v1/cases/1/facts", {"facts": {"Bad Key": 1}}, 422, "invalid_input", None),
        ("POST", "/api/v1/cases/1/facts", {"facts": {"a": "\x00"}}, 422, "invalid_input", None),
        ("POST", "/api/v1/customers", {"name": "X", "email": "no"}, 422, "invalid_input", "email"),
        (
            "POST",
            "/api/v1/customers",
            {"name": "X", "timezone": "Mars/Base"},
            422,
            "invalid_input",
            "timezone",
        ),
        (
            "POST",
            "/api/v1/customers",
            {"name": "Dup", "email": "sarah@acme-retail.example"},
            409,
            "conflict",
            None,
        ),
        ("POST", "/api/v1/cases", {"customer_id": 1}, 422, "invalid_input", "kind"),
        ("POST", "/api/v1/cases", "not json", 422, "invalid_input", None),
        ("DELETE", "/api/v1/cases/1", None, 405, "method_not_allowed", None),
        ("GET", "/api/v1/nothing", None, 404, "not_found", None),
    ],
)
def test_api_errors_have_one_shape(
    api: Client,
    method: str,
    url: str,
    body: object,
    status: int,
    code: str,
    field: str | None,
) -> None:
    if isinstance(body, str):
        response = api.request(method, url, content=body)
    else:
        response = api.request(method, url, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert error["field"] == field


def test_api_writes_go_through_the_service_layer(api: Client, site: Site) -> None:
    customer = api.post(
        "/api/v1/customers", json={"name": "Ana Ruiz", "email": "ana@x.example", "language": "es"}
    )
    assert customer.status_code == 201
    case = api.post(
        "/api/v1/cases",
        json={
            "customer_id": customer.json()["id"],
            "kind": "late_delivery",
            "title": "Pedido 1 retrasado",
            "facts": {"order_number": "1"},
        },
    )
    assert case.status_code == 201
    case_id = case.json()["id"]
    api.post(f"/api/v1/cases/{case_id}/facts", json={"facts": {"carrier": "DHL"}})
    api.post(f"/api/v1/cases/{case_id}/notes", json={"text": "Llamé al transportista"})
    inbound = api.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"direction": "in", "body": "¿Cuándo llega mi pedido?"},
    )
    assert inbound.status_code == 201
    events = api.get(f"/api/v1/cases/{case_id}/events").json()
    assert [e["kind"] for e in events] == [
        "case_opened",
        "fact_recorded",
        "note_added",
        "message_received",
    ]
    assert {e["author"] for e in events[:3]} == {"maria@northwind.example"}
    assert cases.rebuild_case(site.db, case_id)["facts"]["carrier"] == "DHL"


def test_revoked_tokens_stop_working(api: Client, site: Site) -> None:
    assert api.get("/api/v1/cases").status_code == 200
    for token in web_auth.list_tokens(site.db):
        web_auth.revoke_token(site.db, token.id)
    assert api.get("/api/v1/cases").status_code == 401


def test_tokens_are_made_on_the_account_page(site: Site) -> None:
    client = site.signed_in("james@northwind.example")
    page = client.form("/account/tokens", {"name": "my integration"})
    token = re.search(r'<code id="new-token">([^<]+)</code>', page.text)
    assert token
    api = site.client()
    listed = api.get("/api/v1/customers", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert listed.status_code == 200
    assert token.group(1) not in client.get("/account").text  # shown once


def test_users_are_added_and_given_tokens_from_the_cli(use_sqlite_db: Database) -> None:
    from typer.testing import CliRunner

    from frankly.cli import app as cli

    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["users", "add", "ana@example.com", "--name", "Ana", "--role", "manager"],
        input="a long password\na long password\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(
        cli, ["users", "add", "bo@example.com", "--name", "Bo"], input="short\nshort\n"
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output
    made = runner.invoke(cli, ["users", "token", "ana@example.com", "zapier"])
    assert made.exit_code == 0
    token = made.output.strip()
    assert web_auth.agent_for_token(use_sqlite_db, token).email == "ana@example.com"
    missing = runner.invoke(cli, ["users", "token", "nobody@example.com", "x"])
    assert missing.exit_code == 1


def test_sign_in_tokens_and_rate_limits_on_both_engines(db: Database) -> None:
    agent = web_auth.create_user(db, name="Ana", email="ana@example.com", password=PASSWORD)
    assert web_auth.authenticate(db, "ANA@example.com ", PASSWORD, ip="10.0.0.1").id == agent.id
    for _ in range(web_auth.MAX_FAILURES_PER_EMAIL):
        with pytest.raises(web_auth.WrongCredentials):
            web_auth.authenticate(db, "ana@example.com", "wrong password", ip="10.0.0.2")
    with pytest.raises(web_auth.TooManyAttempts):
        web_auth.authenticate(db, "ana@example.com", PASSWORD, ip="10.0.0.3")
    _, raw = web_auth.issue_token(db, agent.id, "ci")
    assert web_auth.agent_for_token(db, raw).id == agent.id
    assert web_auth.agent_for_token(db, raw + "x") is None
    assert web_auth.secret_key(db) == web_auth.secret_key(Database(db.url))


def test_api_records_milestones_and_drafts_the_update(api: Client, site: Site) -> None:
    case = cases.find_case_by_ref(site.db, "demo:01")
    assert case is not None
    url = f"/api/v1/cases/{case.id}/milestones"
    body = {"code": "at_our_warehouse", "happened_at": "2026-11-23T08:00:00+00:00"}
    first = api.post(url, json=body)
    assert first.status_code == 201, first.text
    assert first.json()["code"] == "at_our_warehouse"
    update = first.json()["update_message"]
    assert update["status"] == "draft" and update["stage"] == "update"
    again = api.post(url, json=body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert api.post(url, json={"code": ""}).status_code == 422
    assert api.post("/api/v1/cases/99999/milestones", json=body).status_code == 404


def test_api_redeems_a_code_once(api: Client, site: Site) -> None:
    case = cases.find_case_by_ref(site.db, "demo:05")
    assert case is not None
    code = cases.issue_code(site.db, case.id).code
    first = api.post(f"/api/v1/codes/{code}/redeem")
    assert first.status_code == 200, first.text
    second = api.post(f"/api/v1/codes/{code}/redeem")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert api.post("/api/v1/codes/NOSUCHCODE/redeem").status_code == 404
