"""SMTP in detail: the two-phase end of DATA, resending after a crash, TLS and login.

Every test talks to a real aiosmtpd server on loopback; the TLS ones use a self-signed
certificate made for the test with the ``openssl`` command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from frankly import cases
from frankly.delivery import (
    Abandoned,
    ClaimLost,
    Job,
    RetryPolicy,
    SmtpSender,
    SmtpSettings,
    Worker,
    claim,
    outbox_counts,
)
from frankly.store import Database, Event, utcnow
from frankly.store.cadence_models import OutboxJob

from .test_delivery import FAST, Sink, SmtpServer, draft, make_case, queued, worker

LEASE = dt.timedelta(seconds=30)


class TlsSink(Sink):
    """Also notes, for each message, the TLS version it came over (None: in the clear)."""

    def __init__(self) -> None:
        super().__init__()
        self.tls: list[str | None] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        secure = server.transport.get_extra_info("ssl_object")
        self.tls.append(secure.version() if secure is not None else None)
        return await super().handle_DATA(server, session, envelope)


class SlowSink(Sink):
    """Keeps the message, then answers the end of DATA after ``delay`` seconds, as a server
    that queued it and is slow to say so (or answers ``reply`` instead, keeping nothing)."""

    def __init__(self, delay: float = 0.0, reply: str | None = None) -> None:
        super().__init__()
        self.delay, self.reply = delay, reply
        # Set by the test: answer now. Lets a test hold the reply until the client has
        # given up, however slow the machine, instead of racing a sleep against a timeout.
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            return self.reply
        accepted = await super().handle_DATA(server, session, envelope)
        waited = 0.0
        while waited < self.delay and not self.release.is_set():
            await asyncio.sleep(0.05)
            waited += 0.05
        return accepted


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer(Sink())
    server.start()
    smtp_env(monkeypatch, server)
    yield server
    server.stop()


def smtp_env(monkeypatch: pytest.MonkeyPatch, server: SmtpServer, **extra: str) -> None:
    for name, value in {**server.env(), **extra}.items():
        monkeypatch.setenv(name, value)


def one_job(db: Database, name: str = "worker-a", **options: Any) -> Job:
    queued(db)
    job = claim(db, name, lease=LEASE, **options)
    assert job is not None
    return job


def job_state(db: Database, message_pk: int) -> OutboxJob:
    with db.reading() as session:
        job = session.scalar(select(OutboxJob).where(OutboxJob.message_id == message_pk))
        assert job is not None
        return job


def sent_payloads(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [
            dict(e.payload)
            for e in session.scalars(select(Event).where(Event.kind == "message_sent"))
        ]


# ---------------------------------------------------------------------------- two phases


def test_the_database_commit_comes_before_the_final_dot(
    db: Database, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    [message_id] = queued(db)
    seen: list[tuple[str, int]] = []
    import frankly.delivery._worker as worker_module

    real = worker_module.begin_commit

    def watched(db_: Database, job: Job, **options: Any) -> None:
        real(db_, job, **options)
        # Recorded as committing while the server still waits for the end of the data.
        seen.append((job_state(db, job.message_pk).state, smtp.sink.total()))

    monkeypatch.setattr(worker_module, "begin_commit", watched)
    assert worker(db).run(until_empty=True).sent == 1
    assert seen == [("committing", 0)]
    assert smtp.sink.total() == 1
    assert cases.get_message(db, message_id).status == "sent"
    assert job_state(db, message_id).state == "sent"
    [payload] = sent_payloads(db)
    assert "confirmed_by" not in payload  # the server's 250 confirmed it


def test_a_commit_that_fails_hangs_up_and_the_server_keeps_nothing(
    sqlite_db: Database, smtp: SmtpServer
) -> None:
    job = one_job(sqlite_db)

    def refuse() -> None:
        raise ClaimLost("taken over")

    job.on_commit = refuse
    sender = SmtpSender()
    with pytest.raises(Abandoned, match="taken over"):
        sender.send(job)
    assert smtp.sink.total() == 0, "the unfinished message was discarded"
    # The sender reconnects for the next message.
    job.on_commit = None
    sender.send(job)
    sender.close()
    assert smtp.sink.total() == 1


def test_a_worker_whose_claim_was_taken_over_cannot_finish_the_message(
    db: Database, smtp: SmtpServer
) -> None:
    stale = one_job(db, "worker-a")
    # Worker A stalls past its lease; worker B claims the job again.
    fresh = claim(db, "worker-b", lease=LEASE, now=utcnow() + 2 * LEASE)
    assert fresh is not None and fresh.attempts == stale.attempts + 1
    a = worker(db, name="worker-a")
    a.deliver(stale)
    assert a.stats.abandoned == 1 and smtp.sink.total() == 0
    assert job_state(db, stale.message_pk).locked_by == "worker-b"
    b = worker(db, name="worker-b")
    b.deliver(fresh)
    assert smtp.sink.counts[fresh.rfc_message_id] == 1
    assert cases.get_message(db, fresh.message_pk).status == "sent"


def test_a_stale_workers_failure_does_not_undo_the_newer_claim(sqlite_db: Database) -> None:
    stale = one_job(sqlite_db, "worker-a")
    fresh = claim(sqlite_db, "worker-b", lease=LEASE, now=utcnow() + 2 * LEASE)
    assert fresh is not None
    status = cases.mark_attempt_failed(
        sqlite_db,
        stale.message_pk,
        error="timed out",
        retry_at=utcnow(),
        worker="worker-a",
        attempts=stale.attempts,
        claimed_by="worker-a",
    )
    assert status == "queued"
    job = job_state(sqlite_db, stale.message_pk)
    assert (job.state, job.locked_by, job.last_error) == ("sending", "worker-b", None)


def test_a_job_left_committing_by_a_dead_worker_is_sent_again_never_assumed_sent(
    db: Database, smtp: SmtpServer
) -> None:
    from frankly.delivery._claim import begin_commit

    job = one_job(db)
    # The worker recorded the commit and died before the server's reply: the server may
    # have dropped the message with the connection, so it is not assumed sent.
    begin_commit(db, job, lease=dt.timedelta(seconds=1), now=utcnow() - dt.timedelta(minutes=5))
    runner = worker(db, name="worker-b")
    stats = runner.run(until_empty=True)
    assert (stats.sent, stats.interrupted) == (1, 1)
    assert smtp.sink.counts == {job.rfc_message_id: 1}, "sent again, same Message-ID"
    assert cases.get_message(db, job.message_pk).status == "sent"
    [payload] = sent_payloads(db)
    assert "confirmed_by" not in payload, "recorded on the server's own reply"
    assert outbox_counts(db)["committing"] == 0


def test_a_committing_job_whose_lease_still_runs_is_left_alone(sqlite_db: Database) -> None:
    from frankly.delivery._claim import begin_commit

    job = one_job(sqlite_db)
    begin_commit(sqlite_db, job, lease=LEASE)
    assert claim(sqlite_db, "worker-b", lease=LEASE) is None, "its worker may still be at it"
    assert job_state(sqlite_db, job.message_pk).state == "committing"
    assert cases.get_message(sqlite_db, job.message_pk).status == "queued"


def test_no_reply_after_the_dot_is_retried_with_the_same_message_id(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = SlowSink(delay=120)  # no reply until the worker has given up (release below)
    server = SmtpServer(sink)
    server.start()
    try:
        smtp_env(monkeypatch, server, FRANKLY_SMTP_TIMEOUT="2")
        [message_id] = queued(sqlite_db)
        assert worker(sqlite_db).run_once()
        message = cases.get_message(sqlite_db, message_id)
    finally:
        sink.release.set()
        server.stop()
    assert message.status == "queued", "not recorded sent without the server's reply"
    assert "No reply after the end of the message" in (message.error or "")
    assert not sent_payloads(sqlite_db)


@pytest.mark.parametrize(
    ("reply", "status", "event"),
    [
        ("451 4.3.0 Queue full, try later", "queued", "message_deferred"),
        ("554 5.6.0 Content rejected", "failed", "message_failed"),
    ],
)
def test_a_refusal_after_the_dot_is_retried_or_failed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, reply: str, status: str, event: str
) -> None:
    server = SmtpServer(SlowSink(reply=reply))
    server.start()
    try:
        smtp_env(monkeypatch, server)
        [message_id] = queued(sqlite_db)
        job = claim(sqlite_db, "worker-a", lease=LEASE)
        assert job is not None
        worker(sqlite_db, name="worker-a").deliver(job)
    finally:
        server.stop()
    message = cases.get_message(sqlite_db, message_id)
    assert message.status == status and reply.split()[0] in (message.error or "")
    assert job_state(sqlite_db, message_id).state == status
    kinds = [e.kind for e in cases.show_case(sqlite_db, message.case_id).events]
    assert kinds[-1] == event


def test_lines_starting_with_a_dot_arrive_whole(sqlite_db: Database, smtp: SmtpServer) -> None:
    case_id = make_case(sqlite_db)
    body = "Totals:\n.5 kg short\n..and one more line\n.\nEnd."
    message = draft(sqlite_db, case_id, body=body)
    cases.approve_message(sqlite_db, message.id)
    worker(sqlite_db).run(until_empty=True)
    [mail] = smtp.sink.messages
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert ".5 kg short\n..and one more line\n.\nEnd." in text


# ---------------------------------------------------------------------------- TLS and login


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def logins() -> list[tuple[str, str]]:
    return []


def authenticator(seen: list[tuple[str, str]]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(data, LoginPassword)
        seen.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    return check


@pytest.fixture
def starttls_server(
    certificate: tuple[Path, Path], logins: list[tuple[str, str]]
) -> Iterator[SmtpServer]:
    server = SmtpServer(
        TlsSink(),
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator(logins),
        auth_require_tls=True,
        auth_required=True,
    )
    server.start()
    yield server
    server.stop()


def test_starttls_is_required_used_and_carries_the_login(
    sqlite_db: Database,
    starttls_server: SmtpServer,
    certificate: tuple[Path, Path],
    logins: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp_env(
        monkeypatch,
        starttls_server,
        FRANKLY_SMTP_SECURITY="starttls",
        FRANKLY_SMTP_CA_FILE=str(certificate[0]),
        FRANKLY_SMTP_USER="frankly",
        FRANKLY_SMTP_PASSWORD="s3cret",
    )
    ids = queued(sqlite_db, 2)
    assert worker(sqlite_db).run(until_empty=True).sent == 2
    sink = starttls_server.sink
    assert isinstance(sink, TlsSink)
    assert sink.total() == 2 and all(v and v.startswith("TLS") for v in sink.tls)
    assert logins == [("frankly", "s3cret")], "one login, on the kept connection"
    assert {cases.get_message(sqlite_db, i).status for i in ids} == {"sent"}


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"FRANKLY_SMTP_SECURITY": "none", "FRANKLY_SMTP_USER": ""}, "STARTTLS"),
        ({"FRANKLY_SMTP_PASSWORD": "wrong"}, "refused the login for frankly"),
        ({"FRANKLY_SMTP_CA_FILE": ""}, "CERTIFICATE_VERIFY_FAILED"),
    ],
    ids=["in-the-clear", "bad-password", "untrusted-certificate"],
)
def test_starttls_refusals_are_reported_on_the_message(
    sqlite_db: Database,
    starttls_server: SmtpServer,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    error: str,
) -> None:
    settings = {
        "FRANKLY_SMTP_SECURITY": "starttls",
        "FRANKLY_SMTP_CA_FILE": str(certificate[0]),
        "FRANKLY_SMTP_USER": "frankly",
        "FRANKLY_SMTP_PASSWORD": "s3cret",
        **env,
    }
    smtp_env(monkeypatch, starttls_server, **settings)
    [message_id] = queued(sqlite_db)
    worker(sqlite_db, policy=RetryPolicy(max_attempts=1)).run(until_empty=True)
    message = cases.get_message(sqlite_db, message_id)
    assert message.status == "failed" and error in (message.error or "")
    assert starttls_server.sink.total() == 0


def test_implicit_tls_port(
    sqlite_db: Database,
    certificate: tuple[Path, Path],
    logins: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = SmtpServer(
        TlsSink(),
        ssl_context=server_context(certificate),
        authenticator=authenticator(logins),
        auth_require_tls=False,  # the whole connection is TLS; aiosmtpd cannot tell
    )
    server.start()
    try:
        smtp_env(
            monkeypatch,
            server,
            FRANKLY_SMTP_SECURITY="tls",
            FRANKLY_SMTP_CA_FILE=str(certificate[0]),
            FRANKLY_SMTP_USER="frankly",
            FRANKLY_SMTP_PASSWORD="s3cret",
        )
        assert SmtpSettings.from_env().ca_file == str(certificate[0])
        [message_id] = queued(sqlite_db)
        stats = Worker(sqlite_db, policy=FAST, cadence_every=None).run(until_empty=True)
    finally:
        server.stop()
    assert stats.sent == 1
    sink = server.sink
    assert isinstance(sink, TlsSink)
    assert sink.total() == 1 and sink.tls[0] is not None and sink.tls[0].startswith("TLS")
    assert logins == [("frankly", "s3cret")]
    assert cases.get_message(sqlite_db, message_id).status == "sent"
