"""The findings of the hardening probe, each as a test that failed before the fix, and the
ownership model role by role: through the service layer, the API, the web and the CLI.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, text
from starlette.requests import Request
from typer.testing import CliRunner

from frankly import accounts, cases, config
from frankly.accounts import _accounts
from frankly.errors import FranklyError, InvalidInput
from frankly.store import Agent, Database
from frankly.store.web_models import WebSession, WebSetting
from frankly.web import create_app
from frankly.web._session import client_address

from .test_web import PASSWORD, Client, Site

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


# --- the people and cases of the ownership tests ---------------------------------------------


class Team:
    def __init__(self, db: Database) -> None:
        self.db = db
        make = accounts.create_user
        self.ana = make(db, name="Ana", email="ana@t.example", password=PASSWORD)
        self.ben = make(db, name="Ben", email="ben@t.example", password=PASSWORD)
        self.mia = make(db, name="Mia", email="mia@t.example", password=PASSWORD, role="manager")
        self.root = make(db, name="Root", email="root@t.example", password=PASSWORD, role="admin")
        customer = cases.add_customer(db, name="Sarah", email="sarah@acme.example")
        self.customer_id = customer.id

    def case(self, owner: Agent | None) -> int:
        case_id = cases.open_case(
            self.db,
            customer_id=self.customer_id,
            kind="late_delivery",
            title="Order 4471 late",
            facts={"order_number": "4471"},
            owner_id=owner.id if owner else None,
        ).id
        cases.add_message(self.db, case_id, direction="out", body="Your order is late.")
        return case_id

    def events(self, case_id: int) -> int:
        return len(cases.show_case(self.db, case_id).events)


def _draft(db: Database, case_id: int) -> int:
    return next(m.id for m in cases.show_case(db, case_id).messages if m.status == "draft")


# Every write a person makes to a case: (name, call(db, case_id, actor)).
WRITES: list[tuple[str, Callable[[Database, int, Any], Any]]] = [
    ("note", lambda db, c, a: cases.add_note(db, c, "called her", actor=a)),
    ("facts", lambda db, c, a: cases.record_facts(db, c, {"carrier": "DHL"}, actor=a)),
    ("cancel", lambda db, c, a: cases.change_state(db, c, "cancelled", actor=a)),
    ("title", lambda db, c, a: cases.update_case(db, c, title="Order 4471 very late", actor=a)),
    ("message", lambda db, c, a: cases.add_message(db, c, direction="out", body="x", actor=a)),
    ("approve", lambda db, c, a: cases.approve_message(db, _draft(db, c), actor=a)),
    ("chase", lambda db, c, a: cases.record_chase(db, c, reason="phoned", actor=a)),
    (
        "promise",
        lambda db, c, a: cases.promise_update(db, c, NOW + dt.timedelta(days=400), actor=a),
    ),
]


@pytest.fixture
def team(db: Database) -> Team:
    return Team(db)


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_an_agent_writes_only_their_own_and_unassigned_cases(
    team: Team, name: str, write: Callable[[Database, int, Any], Any]
) -> None:
    own, others, unassigned = team.case(team.ana), team.case(team.ben), team.case(None)
    write(team.db, own, team.ana)
    write(team.db, unassigned, team.ana.id)  # an id does as well as the Agent
    before = team.events(others)
    with pytest.raises(cases.NotAllowed) as refused:
        write(team.db, others, team.ana)
    assert refused.value.http_status == 403
    assert "their own and unassigned cases" in refused.value.message
    assert team.events(others) == before  # nothing half-written
    # Managers and admins write every case; no actor is Frankly itself (worker, imports).
    for actor in (team.mia, team.root, None):
        write(team.db, team.case(team.ben), actor)


def test_the_rules_of_the_ownership_model(team: Team) -> None:
    own = cases.get_case(team.db, team.case(team.ana))
    others = cases.get_case(team.db, team.case(team.ben))
    assert cases.can(team.ana, "read", others) and not cases.can(team.ana, "write", others)
    assert cases.can(team.ana, "write", own) and cases.can(team.mia, "write", others)
    assert cases.can(None, "write", others)
    team.ana.active = False
    assert not cases.can(team.ana, "read", own)
    with pytest.raises(cases.NotAllowed, match="inactive"):
        cases.require(team.ana, "write", own)
    with pytest.raises(InvalidInput):
        cases.can(team.mia, "delete", own)
    # An agent may not open a case for someone else, nor act as nobody that exists.
    with pytest.raises(cases.NotAllowed):
        cases.open_case(
            team.db,
            customer_id=team.customer_id,
            kind="late_delivery",
            title="x",
            owner_id=team.ben.id,
            actor=team.ana,
        )
    with pytest.raises(cases.NotAllowed, match="No agent with id 9999"):
        cases.add_note(team.db, own.id, "x", actor=9999)


# --- the web and the API, role by role ---------------------------------------------------------


@pytest.fixture
def site(sqlite_db: Database) -> Iterator[Site]:
    Team(sqlite_db)
    yield Site(sqlite_db, create_app(sqlite_db))


def _team_cases(site: Site) -> tuple[int, int, int]:
    agents = {a.email: a for a in cases.list_agents(site.db)}
    customer = cases.list_customers(site.db)[0]

    def case(owner: str | None) -> int:
        owner_id = agents[owner].id if owner else None
        return cases.open_case(
            site.db,
            customer_id=customer.id,
            kind="late_delivery",
            title="Order late",
            owner_id=owner_id,
        ).id

    return case("ana@t.example"), case("ben@t.example"), case(None)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ana@t.example", {"own": 303, "other": 403, "unassigned": 303}),
        ("mia@t.example", {"own": 303, "other": 303, "unassigned": 303}),
        ("root@t.example", {"own": 303, "other": 303, "unassigned": 303}),
    ],
)
def test_the_web_pages_enforce_ownership(site: Site, email: str, expected: dict[str, int]) -> None:
    own, other, unassigned = _team_cases(site)
    client = site.signed_in(email)
    got = {}
    for label, case_id in (("own", own), ("other", other), ("unassigned", unassigned)):
        note = client.form(f"/cases/{case_id}/notes", {"text": "seen"})
        state = client.form(f"/cases/{case_id}/state", {"to": "cancelled"})
        assert note.status_code == state.status_code, (label, note.text)
        got[label] = note.status_code
    assert got == expected
    # Reading is open to every agent.
    assert client.get(f"/cases/{other}").status_code == 200


def _api(site: Site, email: str, **token: Any) -> Client:
    agent = cases.find_agent(site.db, email)
    assert agent is not None
    _, raw = accounts.issue_token(site.db, agent.id, "tests", **token)
    client = site.client()
    client.client.headers["Authorization"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ana@t.example", {"own": 201, "other": 403, "unassigned": 201}),
        ("mia@t.example", {"own": 201, "other": 201, "unassigned": 201}),
        ("root@t.example", {"own": 201, "other": 201, "unassigned": 201}),
    ],
)
def test_the_api_enforces_ownership(site: Site, email: str, expected: dict[str, int]) -> None:
    own, other, unassigned = _team_cases(site)
    api = _api(site, email)
    got = {}
    for label, case_id in (("own", own), ("other", other), ("unassigned", unassigned)):
        got[label] = api.post(f"/api/v1/cases/{case_id}/notes", json={"text": "x"}).status_code
    assert got == expected
    refused = api.post(f"/api/v1/cases/{other}/state", json={"to": "cancelled"})
    assert refused.status_code == (403 if email.startswith("ana") else 200)
    assert api.get(f"/api/v1/cases/{other}").status_code == 200


def test_a_read_token_reads_but_may_not_write(site: Site) -> None:
    own, _, _ = _team_cases(site)
    api = _api(site, "mia@t.example", scope="read")
    assert api.get(f"/api/v1/cases/{own}").status_code == 200
    assert api.post("/api/v1/check", json={"text": "Your order is late."}).status_code in (200, 503)
    refused = api.post(f"/api/v1/cases/{own}/notes", json={"text": "x"})
    assert refused.status_code == 403
    assert "scope is read" in refused.json()["error"]["message"]
    assert len([e for e in cases.show_case(site.db, own).events if e.kind == "note_added"]) == 0


def test_an_expired_token_is_refused(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    api = _api(site, "mia@t.example", days=1)
    assert api.get("/api/v1/cases").status_code == 200
    monkeypatch.setattr(_accounts, "_now", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    expired = api.get("/api/v1/cases")
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_tokens_have_scopes_and_expiry_shown_on_the_account_page(site: Site) -> None:
    ana = cases.find_agent(site.db, "ana@t.example")
    assert ana is not None
    token, _ = accounts.issue_token(site.db, ana.id, "ci")
    assert token.scope == "write"
    assert token.expires_at is not None
    assert token.expires_at - token.created_at == dt.timedelta(days=90)
    with pytest.raises(accounts.Forbidden):
        accounts.issue_token(site.db, ana.id, "ci", scope="admin")
    for bad in ({"scope": "all"}, {"days": 0}, {"days": 731}):
        with pytest.raises(InvalidInput):
            accounts.issue_token(site.db, ana.id, "ci", **bad)
    client = site.signed_in("ana@t.example")
    made = client.form("/account/tokens", {"name": "zapier", "scope": "read", "expires_days": "7"})
    assert made.status_code == 200 and 'id="new-token"' in made.text
    row = accounts.list_tokens(site.db, ana.id)[0]
    assert (row.name, row.scope) == ("zapier", "read")
    assert row.expires_at is not None
    assert row.expires_at.strftime("%Y-%m-%d") in made.text
    assert '<td class="scope">read</td>' in made.text
    assert '<option value="admin">' not in made.text  # an agent cannot make an admin token


def test_the_cli_acts_as_the_agent_named(use_sqlite_db: Database) -> None:
    from frankly.cli import app as cli

    team = Team(use_sqlite_db)
    others = team.case(team.ben)
    runner = CliRunner()
    refused = runner.invoke(cli, ["--as", "ana@t.example", "case", "note", str(others), "hi"])
    assert refused.exit_code == 1
    assert "their own and unassigned cases" in refused.output
    as_env = runner.invoke(
        cli, ["case", "note", str(others), "hi"], env={"FRANKLY_AGENT": "mia@t.example"}
    )
    assert as_env.exit_code == 0, as_env.output
    nobody = runner.invoke(cli, ["--as", "nobody@t.example", "case", "note", str(others), "hi"])
    assert nobody.exit_code == 2 and "No agent 'nobody@t.example'" in nobody.output
    assert runner.invoke(cli, ["case", "note", str(others), "as frankly"]).exit_code == 0
    authors = [e.author for e in cases.show_case(use_sqlite_db, others).events]
    assert "mia@t.example" in authors


# --- sign-in -------------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.timedelta], None]:
    """Hold the accounts' clock still at NOW; call the result to move it on."""
    at = [NOW]
    monkeypatch.setattr(_accounts, "_now", lambda: at[0])

    def move(by: dt.timedelta) -> None:
        at[0] = at[0] + by

    return move


def _parallel_sign_ins(client: Client, passwords: list[str]) -> Counter[int]:
    client.get("/login")
    form = {"csrf_token": client.csrf, "email": "ana@t.example", "next": "/"}

    async def all_at_once() -> list[int]:
        responses = await asyncio.gather(
            *(client.client.post("/login", data={**form, "password": p}) for p in passwords)
        )
        return [r.status_code for r in responses]

    return Counter(client.loop.run_until_complete(all_at_once()))


def test_parallel_wrong_passwords_get_no_more_than_the_allowance(
    site: Site, frozen: Callable[[dt.timedelta], None]
) -> None:
    client = site.client()
    first = _parallel_sign_ins(client, ["wrong password"] * 40)
    assert first == {401: accounts.FREE_FAILURES_PER_ACCOUNT, 429: 40 - 5}
    # The right password as the 30th of forty, while the account backs off: not let in.
    passwords = ["wrong password"] * 40
    passwords[29] = PASSWORD
    second = _parallel_sign_ins(client, passwords)
    assert second == {429: 40}
    assert site.client().sign_in("ana@t.example").status_code == 429


def test_parallel_tries_in_threads_are_counted_atomically_on_both_engines(
    db: Database, frozen: Callable[[dt.timedelta], None]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    Team(db)

    def attempt(n: int) -> str:
        password = PASSWORD if n == 29 else "wrong password"
        try:
            accounts.authenticate(db, "ben@t.example", password, ip=f"10.9.0.{n}")
        except FranklyError as exc:
            return type(exc).__name__
        return "signed in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(attempt, range(40)))
    # However the threads interleave, at most the allowance reached the password check
    # before the account started backing off (plus the allowance again if the right
    # password was among them and cleared the count).
    checked = outcomes["WrongCredentials"] + outcomes["signed in"]
    assert outcomes["TooManyAttempts"] == 40 - checked
    limit = accounts.FREE_FAILURES_PER_ACCOUNT * (2 if outcomes["signed in"] else 1)
    assert accounts.FREE_FAILURES_PER_ACCOUNT <= checked <= limit


def test_the_lock_ends_and_tries_while_locked_do_not_extend_it(
    site: Site, frozen: Callable[[dt.timedelta], None]
) -> None:
    db = site.db
    for _ in range(5):
        with pytest.raises(accounts.WrongCredentials):
            accounts.authenticate(db, "root@t.example", "wrong password", ip="10.0.0.9")
    for _ in range(20):  # an attacker keeps trying during the wait: not counted
        frozen(dt.timedelta(seconds=2))
        with pytest.raises(accounts.TooManyAttempts):
            accounts.authenticate(db, "root@t.example", "wrong password", ip="10.0.0.9")
    frozen(dt.timedelta(seconds=21))  # one minute after the fifth failure
    assert accounts.authenticate(db, "root@t.example", PASSWORD, ip="10.0.0.1").email == (
        "root@t.example"
    )
    # Each failure past the allowance doubles the wait: 1, 2, 4 minutes ... up to 15.
    for _ in range(5):
        with pytest.raises(accounts.WrongCredentials):
            accounts.authenticate(db, "root@t.example", "wrong password", ip="10.0.0.9")
    frozen(dt.timedelta(minutes=1))
    with pytest.raises(accounts.WrongCredentials):
        accounts.authenticate(db, "root@t.example", "wrong password", ip="10.0.0.9")
    frozen(dt.timedelta(minutes=1, seconds=30))
    with pytest.raises(accounts.TooManyAttempts, match="Wait 1 minute"):
        accounts.authenticate(db, "root@t.example", PASSWORD, ip="10.0.0.9")
    frozen(dt.timedelta(seconds=31))
    assert accounts.authenticate(db, "root@t.example", PASSWORD, ip="10.0.0.9")


def test_one_address_trying_many_accounts_is_slowed_down(
    db: Database, frozen: Callable[[dt.timedelta], None]
) -> None:
    Team(db)
    for n in range(accounts.FREE_FAILURES_PER_ADDRESS):
        with pytest.raises(accounts.WrongCredentials):
            accounts.authenticate(db, f"user{n}@t.example", "wrong password", ip="198.51.100.7")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.authenticate(db, "ana@t.example", PASSWORD, ip="198.51.100.7")
    assert accounts.authenticate(db, "ana@t.example", PASSWORD, ip="198.51.100.8")


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_x_forwarded_for_is_read_only_from_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    spoofed = "203.0.113.66"
    monkeypatch.delenv("FRANKLY_TRUSTED_PROXIES", raising=False)
    assert client_address(_request("10.1.2.3", spoofed)) == "10.1.2.3"
    assert client_address(_request("127.0.0.1", spoofed)) == "127.0.0.1"
    monkeypatch.setenv("FRANKLY_TRUSTED_PROXIES", "10.1.0.0/16, 192.0.2.1")
    # Behind a proxy off loopback each client keeps its own address ...
    assert client_address(_request("10.1.2.3", "198.51.100.4")) == "198.51.100.4"
    assert client_address(_request("10.1.2.3", "198.51.100.5")) == "198.51.100.5"
    # ... what a client writes itself (leftmost) is not believed, trusted hops are skipped ...
    assert client_address(_request("10.1.2.3", f"{spoofed}, 198.51.100.4, 192.0.2.1")) == (
        "198.51.100.4"
    )
    # ... and someone who is not a proxy cannot choose their address.
    assert client_address(_request("198.51.100.9", spoofed)) == "198.51.100.9"


@pytest.mark.parametrize(
    "password",
    [
        " " * 10,
        " " * 14,
        "1234567890",
        "aaaaaaaaaaaaaaa",
        "ana@t.example",
        "ANA@t.example",
        "short",
    ],
)
def test_weak_passwords_are_refused(db: Database, password: str) -> None:
    ana = cases.add_agent(db, name="Ana", email="ana@t.example")
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(db, ana.id, password)
    assert refused.value.field == "password"


def test_the_common_passwords_list_and_the_local_part_are_refused(sqlite_db: Database) -> None:
    common = sorted(p for p in accounts.common_passwords() if len(p) >= 12)
    assert len(common) > 100
    assert accounts.password_problem("Password1234") is not None
    assert "common" in (accounts.password_problem(common[0]) or "")
    local = "anabelle.martinez"
    assert "email" in (accounts.password_problem(local, f"{local}@t.example") or "")
    assert accounts.password_problem("plum tiger harbour 7", "ana@t.example") is None


# --- sessions ------------------------------------------------------------------------------------


def test_a_saved_cookie_stops_working_after_sign_out(site: Site) -> None:
    client = site.signed_in("ana@t.example")
    saved = client.client.cookies.get("frankly_session")
    assert client.form("/logout", {}).status_code == 303
    replay = site.client()
    replay.client.cookies.set("frankly_session", saved)
    assert replay.get("/").status_code == 303
    assert replay.get("/account").headers["location"].startswith("/login")


def test_a_password_change_by_an_admin_ends_the_sessions_at_once(site: Site) -> None:
    client = site.signed_in("ana@t.example")
    ana = cases.find_agent(site.db, "ana@t.example")
    assert ana is not None
    admin = site.signed_in("root@t.example")
    reset = admin.form(f"/admin/users/{ana.id}/password", {"password": "plum tiger harbour 7"})
    assert reset.status_code == 303
    assert client.get("/").status_code == 303


def test_the_cookie_holds_only_a_random_id_and_the_database_only_its_hash(site: Site) -> None:
    site.signed_in("ana@t.example")
    with site.db.reading() as session:
        stored = session.scalars(select(WebSession)).all()
    assert len(stored) == 1 and len(stored[0].token_hash) == 64
    # Even with the signing key, a cookie naming the stored hash is no session.
    signer = URLSafeTimedSerializer(accounts.secret_key(site.db), salt="frankly.session")
    forged = site.client()
    forged.client.cookies.set("frankly_session", signer.dumps({"s": stored[0].token_hash}))
    assert forged.get("/").status_code == 303


def test_a_cookie_forged_from_the_database_does_not_open_admin_pages(site: Site) -> None:
    root = cases.find_agent(site.db, "root@t.example")
    assert root is not None
    site.signed_in("root@t.example")  # the app has made its key by now
    with site.db.reading() as session:
        values = [row.value for row in session.scalars(select(WebSetting))]
    fingerprint = hashlib.sha256((root.password_hash or "").encode()).hexdigest()[:16]
    key = accounts.secret_key(site.db)
    assert key not in values
    # Neither a key read from the database nor even the real one makes the old cookie work.
    for value in [*values, key]:
        signer = URLSafeTimedSerializer(value, salt="frankly.session")
        cookie = signer.dumps({"a": root.id, "c": "x", "p": fingerprint})
        forged = site.client()
        forged.client.cookies.set("frankly_session", cookie)
        assert forged.get("/admin/users").status_code == 303


# --- files ---------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_database_and_key_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRANKLY_SECRET_KEY", raising=False)
    old = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        monkeypatch.setenv("FRANKLY_DATA_DIR", str(folder))
        db = Database()
        db.upgrade()
        accounts.create_user(db, name="Ana", email="ana@t.example", password=PASSWORD)
        key = accounts.secret_key(db)
        assert _mode(folder) == 0o700
        database = folder / "frankly.db"
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            assert path.exists() and _mode(path) == 0o600, path
        assert _mode(folder / "secret_key") == 0o600
        assert key == (folder / "secret_key").read_text().strip()
        assert key.encode() not in database.read_bytes()
        db.dispose()
        # An older deployment's wide rights are tightened when Frankly opens it.
        os.chmod(folder, 0o755)
        os.chmod(database, 0o644)
        Database().ping()
        assert _mode(folder) == 0o700 and _mode(database) == 0o600
        assert accounts.secret_key(Database()) == key
    finally:
        os.umask(old)
    monkeypatch.setenv("FRANKLY_SECRET_KEY", "k" * 40)
    assert accounts.secret_key(Database()) == "k" * 40


def test_mail_files_are_private(tmp_path: Path) -> None:
    from frankly.delivery import MailFolderSender
    from frankly.delivery._claim import Job

    job = Job(
        outbox_id=1,
        message_pk=1,
        rfc_message_id="<frankly.1.1.ab@frankly.localhost>",
        attempts=0,
        interrupted=False,
        case_id=1,
        channel="email",
        language="en",
        subject="Your order",
        body="It is late.",
        recipient="sarah@acme.example",
        customer_name="Sarah",
        owner_name="Ana",
        created_at=NOW,
    )
    old = os.umask(0o022)
    try:
        MailFolderSender(tmp_path / "mail").send(job)
    finally:
        os.umask(old)
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1 and _mode(files[0]) == 0o600
    assert _mode(tmp_path / "mail") == 0o700


def test_the_migration_drops_the_stored_key_and_dates_old_tokens(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade("0006")
    ana = cases.add_agent(db, name="Ana", email="ana@t.example")
    with db.transaction() as session:
        session.execute(text("INSERT INTO web_settings (name, value) VALUES ('secret_key', 'k')"))
        session.execute(
            text(
                "INSERT INTO api_tokens (agent_id, name, prefix, token_hash, created_at) "
                "VALUES (:a, 'old', 'frk_x', :h, '2026-01-01')"
            ),
            {"a": ana.id, "h": "0" * 64},
        )
    db.upgrade()
    with db.reading() as session:
        assert session.get(WebSetting, "secret_key") is None
        scope, expires = session.execute(text("SELECT scope, expires_at FROM api_tokens")).one()
    assert scope == "write" and expires is not None


# --- the command line ----------------------------------------------------------------------------


def test_passwords_never_come_from_the_command_line(use_sqlite_db: Database) -> None:
    from frankly.cli import app as cli

    runner = CliRunner()
    argv = runner.invoke(
        cli, ["users", "add", "ana@t.example", "--name", "Ana", "--password", "plum tiger harbour"]
    )
    assert argv.exit_code == 2
    assert "not taken on the command line" in argv.output
    assert cases.find_agent(use_sqlite_db, "ana@t.example") is None
    piped = runner.invoke(
        cli,
        ["users", "add", "ana@t.example", "--name", "Ana", "--password-stdin"],
        input="plum tiger harbour\n",
    )
    assert piped.exit_code == 0, piped.output
    assert accounts.authenticate(use_sqlite_db, "ana@t.example", "plum tiger harbour")
    new = runner.invoke(cli, ["users", "password", "ana@t.example", "--new", "x" * 20])
    assert new.exit_code == 2 and "--password-stdin" in new.output
    prompted = runner.invoke(
        cli,
        ["users", "password", "ana@t.example"],
        input="green river stone 9\ngreen river stone 9\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "green river stone 9" not in prompted.output  # the prompt hides it
    weak = runner.invoke(
        cli, ["users", "password", "ana@t.example", "--password-stdin"], input=" " * 12 + "\n"
    )
    assert weak.exit_code == 2 and "only spaces" in weak.output


def test_config_helpers_leave_other_peoples_folders_alone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir(mode=0o755)
    os.chmod(elsewhere, 0o755)
    config.ensure_private_dir(elsewhere)  # not Frankly's data folder: left as it is
    assert _mode(elsewhere) == 0o755
    made = config.ensure_private_dir(tmp_path / "new" / "folder")
    assert _mode(made) == 0o700
