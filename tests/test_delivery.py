"""Delivery: approving queues, the worker sends real SMTP on loopback, replies come back."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from typer.testing import CliRunner

from frankly import Conflict, InvalidInput, NotFound, cases
from frankly.cli import app
from frankly.delivery import (
    RecordedSender,
    RetryPolicy,
    SmtpSender,
    SmtpSettings,
    Worker,
    claim,
    outbox_counts,
    parse_mail,
    start_background_worker,
)
from frankly.store import Commitment, Database, Message, utcnow
from frankly.store.cadence_models import OutboxJob

# ---------------------------------------------------------------------------- the sink


class Sink:
    """An SMTP handler that keeps what it receives, counted by Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.counts: Counter[str] = Counter()
        self.refuse: dict[str, str] = {}  # address -> SMTP reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
            self.counts[str(parsed["Message-ID"])] += 1
        return "250 Message accepted"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """A real SMTP server on loopback that can be stopped and started on the same port."""

    def __init__(self, sink: Sink, port: int | None = None, **options: Any) -> None:
        self.sink = sink
        self.port = port or free_port()
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.sink, hostname="127.0.0.1", port=self.port, ready_timeout=10, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def env(self) -> dict[str, str]:
        return {
            "FRANKLY_SMTP_HOST": "127.0.0.1",
            "FRANKLY_SMTP_PORT": str(self.port),
            "FRANKLY_SMTP_SECURITY": "none",
            "FRANKLY_MAIL_FROM": "Northwind Supplies <support@northwind.example>",
            "FRANKLY_SMTP_TIMEOUT": "5",
        }


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer(Sink())
    server.start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        server.stop()


FAST = RetryPolicy(max_attempts=3, backoff=0.05, backoff_max=0.2, lease=30, poll=0.01)


def worker(db: Database, **options: Any) -> Worker:
    options.setdefault("policy", FAST)
    return Worker(db, cadence_every=None, **options)


# ---------------------------------------------------------------------------- helpers


def make_case(
    db: Database,
    *,
    email_address: str | None = "sarah@acme.example",
    language: str = "en",
    name: str = "Sarah Mitchell",
    phone: str | None = "+44 20 7946 0811",
) -> int:
    owner = cases.find_agent(db, "james@northwind.example") or cases.add_agent(
        db, name="James Carter", email="james@northwind.example", phone="+44 20 7946 0102"
    )
    customer = (cases.find_customer(db, email_address) if email_address else None) or (
        cases.add_customer(db, name=name, email=email_address, language=language, phone=phone)
    )
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="Order 4471 held at customs",
        owner_id=owner.id,
        severity="high",
    )
    return case.id


def draft(
    db: Database,
    case_id: int,
    *,
    body: str = "Your order 4471 will not arrive on 20 November.\n\n- Option A\n- Option B",
    subject: str = "Order 4471 is late",
    next_update_at: dt.datetime | None = None,
    channel: str = "email",
) -> Message:
    return cases.add_message(
        db,
        case_id,
        direction="out",
        body=body,
        subject=subject,
        channel=channel,
        next_update_at=next_update_at,
        author="james@northwind.example",
    )


def queued(db: Database, n: int = 1, **options: Any) -> list[int]:
    case_id = make_case(db)
    ids = []
    for i in range(n):
        message = draft(db, case_id, subject=f"Message {i}")
        cases.approve_message(db, message.id, author="james")
        ids.append(message.id)
    return ids


def kinds(db: Database, case_id: int) -> list[str]:
    return [e.kind for e in cases.show_case(db, case_id).events]


# ---------------------------------------------------------------------------- approving


def test_approving_queues_the_message_with_its_events_in_one_go(db: Database) -> None:
    case_id = make_case(db)
    soon = utcnow() + dt.timedelta(days=1)
    message = draft(db, case_id, next_update_at=soon)
    approved = cases.approve_message(db, message.id, author="james")
    assert approved.status == "queued"
    assert approved.message_id == message.message_id  # fixed when the draft was made
    assert kinds(db, case_id)[-2:] == ["message_approved", "message_queued"]
    with db.reading() as session:
        job = session.scalar(select(OutboxJob).where(OutboxJob.message_id == message.id))
        assert job is not None and job.state == "queued"
        proposed = session.scalar(select(Commitment).where(Commitment.message_id == message.id))
        assert proposed is not None and proposed.status == "proposed"
    with pytest.raises(Conflict, match="queued already"):
        cases.approve_message(db, message.id)


def test_approving_refuses_what_cannot_be_sent_and_writes_nothing(db: Database) -> None:
    case_id = make_case(db, email_address=None)
    message = draft(db, case_id)
    before = kinds(db, case_id)
    with pytest.raises(InvalidInput, match="has no email address"):
        cases.approve_message(db, message.id)
    assert kinds(db, case_id) == before
    assert cases.get_message(db, message.id).status == "draft"
    inbound = cases.add_message(db, case_id, direction="in", body="Where is it?")
    with pytest.raises(Conflict, match="from the customer"):
        cases.approve_message(db, inbound.id)
    with pytest.raises(NotFound):
        cases.approve_message(db, 99999)
    with pytest.raises(InvalidInput, match="in the past"):
        cases.approve_message(db, message.id, next_update_at=utcnow() - dt.timedelta(hours=1))


# ---------------------------------------------------------------------------- sending


def test_worker_sends_multipart_mail_threaded_to_the_case(db: Database, smtp: SmtpServer) -> None:
    case_id = make_case(db)
    reply = cases.add_message(
        db,
        case_id,
        direction="in",
        body="Where is my order?",
        message_id="<question@acme.example>",
    )
    soon = utcnow() + dt.timedelta(days=1)
    message = draft(db, case_id, next_update_at=soon, body="See https://track.example/4471 now.")
    cases.approve_message(db, message.id, author="james")
    stats = worker(db).run(until_empty=True)
    assert stats.sent == 1
    [mail] = smtp.sink.messages
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == f"[Case #{case_id}] Order 4471 is late"
    assert mail["Reply-To"] == f"support+case-{case_id}@northwind.example"
    assert mail["In-Reply-To"] == reply.message_id
    assert reply.message_id in mail["References"]
    assert mail["From"].addresses[0].display_name == "James Carter (Northwind Supplies)"
    assert mail["From"].addresses[0].addr_spec == "support@northwind.example"
    assert mail["Content-Language"] == "en"
    assert smtp.sink.recipients == [["sarah@acme.example"]]
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None and "https://track.example/4471" in plain.get_content()
    assert html is not None
    assert '<a href="https://track.example/4471">' in html.get_content()
    sent = cases.get_message(db, message.id)
    assert (sent.status, sent.attempts) == ("sent", 1)
    view = cases.show_case(db, case_id)
    assert view.case.state == "notified" and view.case.notified_at is not None
    assert [c.status for c in view.commitments] == ["open"]
    assert view.commitments[0].due_at == soon.replace(microsecond=soon.microsecond)
    assert {"message_sent", "commitment_made", "state_changed"} <= set(kinds(db, case_id))


def test_spanish_customers_get_spanish_mail(db: Database, smtp: SmtpServer) -> None:
    case_id = make_case(db, email_address="ana@ruiz.example", language="es", name="Ana Ruiz")
    message = draft(
        db, case_id, subject="Su pedido 4471 llega tarde", body="Lo sentimos. ¿Qué prefiere?"
    )
    cases.approve_message(db, message.id)
    worker(db).run(until_empty=True)
    [mail] = smtp.sink.messages
    assert mail["Subject"] == f"[Caso #{case_id}] Su pedido 4471 llega tarde"
    assert mail["Content-Language"] == "es"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and 'lang="es"' in html.get_content()
    assert "¿Qué prefiere?" in mail.get_body(preferencelist=("plain",)).get_content()


def test_a_refused_address_fails_at_once_with_the_reason_on_the_case(
    db: Database, smtp: SmtpServer
) -> None:
    smtp.sink.refuse["sarah@acme.example"] = "550 5.1.1 No such user"
    [message_id] = queued(db)
    stats = worker(db).run(until_empty=True)
    assert (stats.sent, stats.failed) == (0, 1)
    failed = cases.get_message(db, message_id)
    assert failed.status == "failed"
    assert "550" in (failed.error or "") and "No such user" in (failed.error or "")
    view = cases.show_case(db, failed.case_id)
    [event] = [e for e in view.events if e.kind == "message_failed"]
    assert "No such user" in event.payload["error"]
    # A person fixes the cause and queues it again: same Message-ID, delivered once.
    smtp.sink.refuse.clear()
    cases.retry_message(db, message_id, author="james")
    worker(db).run(until_empty=True)
    assert smtp.sink.counts == Counter({failed.message_id: 1})


def test_a_busy_server_is_retried_with_back_off_then_given_up(
    db: Database, smtp: SmtpServer
) -> None:
    smtp.sink.refuse["sarah@acme.example"] = "451 4.3.0 Try again later"
    [message_id] = queued(db)
    stamps: list[dt.datetime] = []
    runner = worker(db)
    runner.run(until_empty=True, on_idle=lambda: stamps.append(_next_attempt(db, message_id)))
    message = cases.get_message(db, message_id)
    assert message.status == "failed" and message.attempts == FAST.max_attempts
    deferred = [
        e for e in cases.show_case(db, message.case_id).events if e.kind == "message_deferred"
    ]
    assert len(deferred) == FAST.max_attempts - 1
    gaps = [dt.datetime.fromisoformat(e.payload["retry_at"]) - e.at for e in deferred]
    assert gaps[1] > gaps[0]  # the wait doubles
    assert smtp.sink.total() == 0


def _next_attempt(db: Database, message_id: int) -> dt.datetime:
    with db.reading() as session:
        job = session.scalar(select(OutboxJob).where(OutboxJob.message_id == message_id))
        assert job is not None
        return job.next_attempt_at


def test_retry_policy_doubles_up_to_its_ceiling() -> None:
    policy = RetryPolicy(backoff=30, backoff_max=200)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_smtp_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRANKLY_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("FRANKLY_SMTP_HOST", "mail.example")
    monkeypatch.setenv("FRANKLY_MAIL_FROM", "Northwind <help@northwind.example>")
    settings = SmtpSettings.from_env()
    assert (settings.host, settings.port, settings.security) == ("mail.example", 587, "starttls")
    assert settings.reply_to(7) == "help+case-7@northwind.example"
    monkeypatch.setenv("FRANKLY_SMTP_SECURITY", "ssl3")
    with pytest.raises(InvalidInput, match="none, starttls or tls"):
        SmtpSettings.from_env()
    monkeypatch.setenv("FRANKLY_SMTP_SECURITY", "tls")
    monkeypatch.setenv("FRANKLY_SMTP_PORT", "many")
    with pytest.raises(InvalidInput, match="FRANKLY_SMTP_PORT must be a number"):
        SmtpSettings.from_env()


def test_a_login_without_tls_is_refused_unless_allowed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        seen.append(mechanism)
        return AuthResult(success=True, handled=False)

    server = SmtpServer(Sink(), authenticator=authenticator, auth_require_tls=False)
    server.start()
    try:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FRANKLY_SMTP_USER", "frankly")
        monkeypatch.setenv("FRANKLY_SMTP_PASSWORD", "s3cret")
        [message_id] = queued(sqlite_db)
        with pytest.raises(InvalidInput, match="FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH") as refused:
            Worker(sqlite_db, cadence_every=None)  # the worker does not start
        assert refused.value.field == "FRANKLY_SMTP_SECURITY"
        settings = SmtpSettings(host="127.0.0.1", port=server.port, user="frankly", password="x")
        job = claim(sqlite_db, "w", lease=dt.timedelta(0))  # free again at once
        assert job is not None
        with pytest.raises(InvalidInput, match="in the clear"):
            SmtpSender(settings).send(job)
        assert seen == [] and server.sink.total() == 0, "no password went out"
        monkeypatch.setenv("FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH", "1")
        Worker(sqlite_db, cadence_every=None, policy=FAST).run(until_empty=True)
    finally:
        server.stop()
    assert seen and cases.get_message(sqlite_db, message_id).status == "sent"


def test_login_with_user_and_password(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(data, LoginPassword)
        seen.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    server = SmtpServer(Sink(), authenticator=authenticator, auth_require_tls=False)
    server.start()
    try:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FRANKLY_SMTP_USER", "frankly")
        monkeypatch.setenv("FRANKLY_SMTP_PASSWORD", "wrong")
        monkeypatch.setenv("FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH", "1")  # a loopback relay
        [message_id] = queued(sqlite_db)
        worker(sqlite_db, policy=RetryPolicy(max_attempts=1)).run(until_empty=True)
        assert "refused the login for frankly" in (
            cases.get_message(sqlite_db, message_id).error or ""
        )
        monkeypatch.setenv("FRANKLY_SMTP_PASSWORD", "s3cret")
        cases.retry_message(sqlite_db, message_id)
        worker(sqlite_db).run(until_empty=True)
        assert cases.get_message(sqlite_db, message_id).status == "sent"
        assert seen[-1] == ("frankly", "s3cret") and server.sink.total() == 1
    finally:
        server.stop()


def test_sms_and_calls_are_recorded_without_a_provider(sqlite_db: Database, tmp_path: Path) -> None:
    case_id = make_case(sqlite_db)
    sms = draft(sqlite_db, case_id, body="Order 4471 is late; new date 27 Nov.", channel="sms")
    cases.approve_message(sqlite_db, sms.id)
    log = tmp_path / "sms.jsonl"
    senders = {"sms": RecordedSender("sms", log)}
    assert worker(sqlite_db, senders=senders).run(until_empty=True).sent == 1
    assert cases.get_message(sqlite_db, sms.id).status == "sent"
    assert "new date 27 Nov" in log.read_text()
    soon = utcnow() + dt.timedelta(hours=6)
    call = cases.log_call(
        sqlite_db,
        case_id,
        notes="Sarah chose the partial shipment.",
        script="Opening: I am calling about order 4471.",
        next_update_at=soon,
        author="james",
    )
    assert (call.channel, call.status) == ("phone", "sent")
    view = cases.show_case(sqlite_db, case_id)
    assert [c.status for c in view.commitments] == ["open"]
    assert view.commitments[0].message_id == call.id


def test_send_now_from_the_cli(use_db: Database, smtp: SmtpServer) -> None:
    case_id = make_case(use_db)
    message = draft(use_db, case_id)
    result = CliRunner().invoke(app, ["send", str(message.id)])
    assert result.exit_code == 0, result.output
    assert f"Message {message.id} sent to sarah@acme.example" in result.output
    assert smtp.sink.counts == Counter({message.message_id: 1})
    again = CliRunner().invoke(app, ["send", str(message.id)])
    assert again.exit_code == 1 and "is sent: there is nothing to send" in again.output
    assert smtp.sink.total() == 1


def test_approve_from_the_cli_asks_to_confirm_a_promise_found_in_the_text(
    use_db: Database,
) -> None:
    case_id = make_case(use_db)
    message = draft(use_db, case_id, body="Sorry. I will write again by Thursday 5 pm.")
    runner = CliRunner()
    refused = runner.invoke(app, ["approve", str(message.id)])
    assert refused.exit_code == 2 and "--confirm-promise" in refused.output
    assert cases.get_message(use_db, message.id).status == "draft"
    ok = runner.invoke(app, ["approve", str(message.id), "--confirm-promise"])
    assert ok.exit_code == 0, ok.output
    approved = cases.get_message(use_db, message.id)
    assert approved.status == "queued" and approved.next_update_at is not None
    assert approved.next_update_at.astimezone(dt.UTC).hour == 17  # the customer is in UTC
    assert approved.next_update_at.weekday() == 3


def test_background_worker_delivers_and_stops(sqlite_db: Database, smtp: SmtpServer) -> None:
    stop = start_background_worker(sqlite_db, policy=FAST, cadence_every=None)
    try:
        ids = queued(sqlite_db, 3)
        # Waits for the outcome (generously: a busy machine is slow, not wrong).
        deadline = time.monotonic() + 60
        while smtp.sink.total() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop()
    assert smtp.sink.total() == 3
    assert {cases.get_message(sqlite_db, i).status for i in ids} == {"sent"}
    assert outbox_counts(sqlite_db)["sent"] == 3


def test_two_reports_of_the_same_delivery_leave_one_event(sqlite_db: Database) -> None:
    [message_id] = queued(sqlite_db)
    assert cases.mark_sent(sqlite_db, message_id, worker="a") is True
    assert cases.mark_sent(sqlite_db, message_id, worker="b") is False
    case_id = cases.get_message(sqlite_db, message_id).case_id
    assert kinds(sqlite_db, case_id).count("message_sent") == 1


def test_a_kept_connection_closed_by_the_server_is_reopened(
    sqlite_db: Database, smtp: SmtpServer
) -> None:
    sender = SmtpSender()
    ids = queued(sqlite_db, 2)
    runner = worker(sqlite_db, senders={"email": sender})
    assert runner.run_once()
    assert sender._smtp is not None
    sender._smtp.sock.close()  # the server hung up while we were idle
    assert runner.run_once()
    assert [cases.get_message(sqlite_db, i).status for i in ids] == ["sent", "sent"]


def _count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------------------- inbound


def _reply(
    *,
    sender: str = "Sarah Mitchell <sarah@acme.example>",
    to: str = "support@northwind.example",
    subject: str = "Re: Order 4471 is late",
    body: str = "Thanks. When will it arrive?",
    message_id: str = "<r1@acme.example>",
    in_reply_to: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(body)
    return mail.as_bytes()


def test_a_reply_finds_its_case_by_thread_address_or_tag(db: Database) -> None:
    case_id = make_case(db)
    sent = draft(db, case_id)
    cases.approve_message(db, sent.id)
    cases.mark_sent(db, sent.id)
    by_thread = cases.receive_inbound(db, _reply(in_reply_to=sent.message_id))
    assert (by_thread.case_id, by_thread.matched_by) == (case_id, "thread")
    by_address = cases.receive_inbound(
        db, _reply(to=f"support+case-{case_id}@northwind.example", message_id="<r2@a.example>")
    )
    assert (by_address.case_id, by_address.matched_by) == (case_id, "address")
    by_tag = cases.receive_inbound(
        db, _reply(subject=f"RE: [Case #{case_id}] late", message_id="<r3@a.example>")
    )
    assert (by_tag.case_id, by_tag.matched_by) == (case_id, "tag")
    again = cases.receive_inbound(db, _reply(in_reply_to=sent.message_id))
    assert again.duplicate and again.message.id == by_thread.message.id
    received = [m for m in cases.show_case(db, case_id).messages if m.direction == "in"]
    assert len(received) == 3
    assert received[0].body == "Thanks. When will it arrive?"


def test_an_unknown_thread_opens_a_case_for_a_new_customer(db: Database) -> None:
    result = cases.receive_inbound(
        db,
        _reply(
            sender="Pablo Ortega <pablo@ortega.example>",
            subject="Pedido 7781 incompleto",
            body="Buenos días, nos faltan dos cajas del pedido 7781. ¿Pueden enviarlas hoy?",
            message_id="<new@ortega.example>",
        ),
    )
    assert result.new_case and not result.chased
    view = cases.show_case(db, result.case_id)
    assert view.case.title == "Pedido 7781 incompleto"
    assert view.customer.email == "pablo@ortega.example" and view.customer.name == "Pablo Ortega"
    assert [e.kind for e in view.events] == ["case_opened", "message_received"]
    # Triage read the mail: its report is kept, and it chose the language and the kind.
    report = view.messages[0].triage
    assert report is not None and report["language"]["code"] == "es"
    assert view.customer.language == "es" and view.messages[0].language == "es"
    suggested = report["issue_kind"]["kind"]
    assert view.case.kind == (suggested if suggested != "other" else "inbound")


def test_writing_before_our_first_notice_marks_the_case_chased(db: Database) -> None:
    case_id = make_case(db)
    result = cases.receive_inbound(db, _reply(subject=f"[Case #{case_id}] where is my order?"))
    assert result.chased
    view = cases.show_case(db, case_id)
    assert view.case.chased_at is not None
    [chased] = [e for e in view.events if e.kind == "chased"]
    assert chased.payload == {"reason": "before_first_notice"}
    assert cases.count_cases(db, chased=True) == 1


def test_commitments_are_kept_by_the_next_message_and_missed_when_late(db: Database) -> None:
    case_id = make_case(db)
    t0 = utcnow() - dt.timedelta(days=3)
    first = draft(db, case_id, next_update_at=t0 + dt.timedelta(days=1))
    cases.approve_message(db, first.id, at=t0)
    cases.mark_sent(db, first.id, at=t0)
    second = draft(db, case_id, next_update_at=t0 + dt.timedelta(days=2))
    cases.approve_message(db, second.id, at=t0 + dt.timedelta(hours=20))
    cases.mark_sent(db, second.id, at=t0 + dt.timedelta(hours=20))  # before the first was due
    statuses = [c.status for c in cases.show_case(db, case_id).commitments]
    assert statuses == ["kept", "open"]
    # Nobody writes; the second promise passes.
    [missed] = cases.settle_overdue(db)
    assert missed.status == "missed"
    assert cases.settle_overdue(db) == []
    view = cases.show_case(db, case_id)
    assert [c.status for c in view.commitments] == ["kept", "missed"]
    assert [e.kind for e in view.events].count("commitment_missed") == 1
    # The customer writes while we owe them the update: chased.
    result = cases.receive_inbound(db, _reply(subject=f"[Case #{case_id}] any news?"))
    assert result.chased
    assert cases.show_case(db, case_id).events[-1].payload == {"reason": "update_overdue"}


def test_inbox_import_reads_an_mbox_from_the_cli(use_db: Database, tmp_path: Path) -> None:
    case_id = make_case(use_db)
    box = tmp_path / "replies.mbox"
    import mailbox

    mbox = mailbox.mbox(str(box))
    mbox.add(_reply(subject=f"[Case #{case_id}] ok", message_id="<a@x.example>"))
    mbox.add(_reply(sender="new@person.example", subject="Hello", message_id="<b@x.example>"))
    mbox.close()
    runner = CliRunner()
    first = runner.invoke(app, ["inbox", "import", str(box)])
    assert first.exit_code == 0, first.output
    assert f"→ case {case_id} (matched by tag)" in first.output
    assert "opened a new case" in first.output and "2 new message(s)" in first.output
    second = runner.invoke(app, ["inbox", "import", str(box)])
    assert "0 new message(s), 2 already there" in second.output
    missing = runner.invoke(app, ["inbox", "import", str(tmp_path / "nope.eml")])
    assert missing.exit_code == 2 and "No such file" in missing.output


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", "empty"),
        (b"Subject: hi\n\nno sender", "no sender"),
        (b"From: a@b.example\n\n", "neither a subject nor any text"),
    ],
)
def test_malformed_mail_is_refused_plainly(raw: bytes, error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        parse_mail(raw)


def test_html_only_mail_is_read_as_text() -> None:
    raw = (
        b"From: a@b.example\nSubject: x\nContent-Type: text/html; charset=utf-8\n\n"
        b"<p>Hello&nbsp;there</p><p>Where is <b>order 12</b>?</p><script>x()</script>"
    )
    mail = parse_mail(raw)
    assert mail.body == "Hello\xa0there\nWhere is order 12?"
    assert mail.message_id.startswith("<inbound.")
    assert parse_mail(raw).message_id == mail.message_id  # stable: re-import finds it


def test_without_an_smtp_server_mail_goes_to_files(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FRANKLY_SMTP_HOST", raising=False)
    monkeypatch.setenv("FRANKLY_DATA_DIR", str(tmp_path))
    [message_id] = queued(sqlite_db)
    assert Worker(sqlite_db, policy=FAST, cadence_every=None).run(until_empty=True).sent == 1
    [eml] = list((tmp_path / "mail").glob("*.eml"))
    mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert mail["Message-ID"] == cases.get_message(sqlite_db, message_id).message_id
    assert mail.get_body(preferencelist=("html",)) is not None
