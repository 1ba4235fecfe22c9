"""The sending gate: one check for every way a message leaves, failing closed, sent once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from frankly import cases
from frankly.cases import _gate
from frankly.cli import app as cli_app
from frankly.compose.promises import PromiseConflict
from frankly.store import Database, utcnow

from .helpers import facts_for

BLAMING = "You failed to order early enough."
BLAMING_ES = "Usted debería haber revisado la dirección antes de hacer el pedido."
GOOD = (
    "Dear Ana,\n\nYour order 4471 will arrive late. We sold stock already promised to you, "
    "and that was our mistake. We are sending it from our other warehouse today.\n\n"
    "Ana Ruiz"
)


def _setup(db: Database, *, language: str = "en") -> dict[str, Any]:
    owner = cases.add_agent(db, name="Ana Ruiz", email="ana@shop.example")
    boss = cases.add_agent(db, name="Mara Boss", email="mara@shop.example", role="manager")
    customer = cases.add_customer(
        db,
        name="Marta Gil",
        email="marta@client.example",
        phone="+34 600 111 222",
        language=language,
        timezone="Europe/Madrid",
    )
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="Order 4471 late",
        facts=facts_for("late_delivery"),
        owner_id=owner.id,
    )
    return {"owner": owner, "boss": boss, "customer": customer, "case": case}


def _draft(db: Database, case_id: int, body: str, **extra: Any) -> int:
    message = cases.add_message(
        db, case_id, direction="out", body=body, subject="Your order", **extra
    )
    return message.id


def _events(db: Database, case_id: int, kind: str) -> list[Any]:
    return [e for e in cases.show_case(db, case_id).events if e.kind == kind]


def test_a_blocking_finding_stops_the_message_and_nothing_is_queued(db: Database) -> None:
    made = _setup(db)
    message_id = _draft(db, made["case"].id, BLAMING)
    with pytest.raises(cases.Blocked) as refused:
        cases.approve(db, message_id, author="ana@shop.example", actor=made["owner"].id)
    assert any(f["category"] == "blame" for f in refused.value.findings)
    assert cases.get_message(db, message_id).status == "draft"
    assert _events(db, made["case"].id, "message_queued") == []


# Each spelling trick once: the sentence must be refused whatever it looks like.
TRICKS: list[Callable[[str], str]] = [
    lambda s: s,
    lambda s: s.replace(" ", "  "),
    lambda s: s.replace(" ", "\u00a0"),
    lambda s: s.replace("failed to", "failed\nto"),
]


@pytest.mark.parametrize("trick", range(len(TRICKS)))
def test_the_request_cannot_choose_the_language_or_spelling(db: Database, trick: int) -> None:
    made = _setup(db)
    # The request labels the text Spanish; the customer reads English: English rules apply.
    message_id = _draft(db, made["case"].id, TRICKS[trick](BLAMING), language="es")
    with pytest.raises(cases.Blocked):
        cases.approve(db, message_id)


def test_the_customers_language_is_checked_when_the_message_says_another(db: Database) -> None:
    made = _setup(db, language="es")
    message_id = _draft(db, made["case"].id, BLAMING_ES, language="en")
    with pytest.raises(cases.Blocked):
        cases.approve(db, message_id)


def test_a_checker_that_cannot_run_sends_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _setup(db)
    message_id = _draft(db, made["case"].id, GOOD)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rule pack unreadable")

    monkeypatch.setattr("frankly.check.check", broken)
    with pytest.raises(cases.CheckerUnavailable, match="rule pack unreadable"):
        cases.approve(db, message_id)
    assert cases.get_message(db, message_id).status == "draft"


def test_only_a_manager_overrides_and_the_override_is_its_own_event(db: Database) -> None:
    made = _setup(db)
    case_id = made["case"].id
    message_id = _draft(db, case_id, BLAMING)
    with pytest.raises(cases.NotAllowed):
        cases.approve(db, message_id, actor=made["owner"].id, override=True)
    with pytest.raises(cases.NotAllowed):
        cases.approve(db, message_id, override=True)  # Frankly itself never overrides
    assert _events(db, case_id, "check_overridden") == []
    approval = cases.approve(
        db,
        message_id,
        author="mara@shop.example",
        actor=made["boss"].id,
        override=True,
        override_reason="the customer asked for it in these words",
    )
    assert approval.message.status == "queued"
    (event,) = _events(db, case_id, "check_overridden")
    assert event.payload["findings"] == approval.overridden and approval.overridden
    assert event.payload["reason"] == "the customer asked for it in these words"
    assert event.author == "mara@shop.example"


def test_a_message_is_approved_once(db: Database) -> None:
    made = _setup(db)
    message_id = _draft(db, made["case"].id, GOOD)
    cases.approve(db, message_id)
    with pytest.raises(cases.AlreadySent) as again:
        cases.approve(db, message_id)
    assert again.value.http_status == 409
    assert len(_events(db, made["case"].id, "message_queued")) == 1


def test_concurrent_posts_of_one_composer_key_make_one_message(db: Database) -> None:
    made = _setup(db)
    case_id = made["case"].id
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def post() -> None:
        start.wait()
        try:
            results.append(
                cases.compose_and_approve(
                    db, case_id, client_key="k-123456789", body=GOOD, subject="Order 4471"
                )
            )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    out = [m for m in cases.show_case(db, case_id).messages if m.direction == "out"]
    assert len(out) == 1 and out[0].status == "queued"
    assert sum(1 for r in results if not r.repeated) == 1
    assert {r.message.id for r in results} == {out[0].id}
    assert len(_events(db, case_id, "message_queued")) == 1


def test_a_refused_keyed_draft_is_corrected_not_duplicated(db: Database) -> None:
    made = _setup(db)
    case_id = made["case"].id
    with pytest.raises(cases.Blocked):
        cases.compose_and_approve(db, case_id, client_key="k-abcdefgh", body=BLAMING)
    approval = cases.compose_and_approve(db, case_id, client_key="k-abcdefgh", body=GOOD)
    out = [m for m in cases.show_case(db, case_id).messages if m.direction == "out"]
    assert [m.id for m in out] == [approval.message.id]
    assert out[0].body == GOOD and out[0].status == "queued"


def test_the_worker_sends_nothing_the_gate_did_not_pass(db: Database) -> None:
    from frankly.delivery import send_now

    made = _setup(db)
    message_id = _draft(db, made["case"].id, GOOD)
    cases.approve(db, message_id)
    # Text changed behind the gate's back (a direct write to the database).
    with db.transaction() as session:
        from frankly.store.models import Message

        row = session.get(Message, message_id)
        assert row is not None
        row.checked_sha256 = "0" * 64
    assert send_now(db, message_id, senders={}) == "failed"
    assert "did not pass the sending gate" in (cases.get_message(db, message_id).error or "")


def test_a_promise_in_the_text_that_disagrees_with_the_field_is_asked(db: Database) -> None:
    made = _setup(db)
    now = utcnow()
    day = (now + dt.timedelta(days=9)).strftime("%A %d %B")
    body = f"{GOOD}\n\nI will write to you again on {day} at 12:00."
    message_id = _draft(db, made["case"].id, body)
    field = now + dt.timedelta(days=3)
    with pytest.raises(PromiseConflict):
        cases.approve(db, message_id, next_update_at=field)
    assert cases.get_message(db, message_id).status == "draft"
    approval = cases.approve(db, message_id, next_update_at=field, promise_from="text")
    assert approval.message.next_update_at is not None
    assert approval.message.next_update_at.date() == (now + dt.timedelta(days=9)).date()


def test_a_call_passes_the_gate(db: Database) -> None:
    made = _setup(db)
    with pytest.raises(cases.Blocked):
        cases.log_call(db, made["case"].id, notes="Told her: " + BLAMING)
    assert [m for m in cases.show_case(db, made["case"].id).messages if m.channel == "phone"] == []
    logged = cases.log_call(db, made["case"].id, notes="Explained the delay and apologised.")
    assert logged.status == "sent"


def test_bulk_texts_are_checked_once_each_and_block(db: Database) -> None:
    passed = cases.check_bulk([("en", "News", GOOD), ("en", "News", GOOD)])
    assert passed[GOOD] == cases.text_sha256("News", GOOD)
    with pytest.raises(cases.Blocked):
        cases.check_bulk([("en", "News", GOOD), ("en", "News", BLAMING)])


# --- the CLI -----------------------------------------------------------------------------


def test_cli_approve_and_send_refuse_a_blocked_draft(
    use_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _setup(use_db)
    message_id = _draft(use_db, made["case"].id, BLAMING)
    runner = CliRunner()
    for command in ("approve", "send"):
        result = runner.invoke(cli_app, [command, str(message_id)])
        assert result.exit_code == 1, result.output
        assert "Not sent" in result.output and "blame" in result.output
    assert cases.get_message(use_db, message_id).status == "draft"
    # An agent cannot override from the CLI either; the manager can, with a reason.
    monkeypatch.setenv("FRANKLY_AGENT", "ana@shop.example")
    result = runner.invoke(cli_app, ["approve", str(message_id), "--override"])
    assert result.exit_code == 1 and "only a manager" in result.output
    monkeypatch.setenv("FRANKLY_AGENT", "mara@shop.example")
    result = runner.invoke(
        cli_app, ["approve", str(message_id), "--override", "--reason", "agreed wording"]
    )
    assert result.exit_code == 0, result.output
    assert "Checker overridden" in result.output
    (event,) = _events(use_db, made["case"].id, "check_overridden")
    assert event.payload["reason"] == "agreed wording"
    result = runner.invoke(cli_app, ["approve", str(message_id)])
    assert result.exit_code == 1 and "sent once" in result.output


def test_cli_call_is_checked(use_db: Database) -> None:
    made = _setup(use_db)
    result = CliRunner().invoke(
        cli_app, ["call", str(made["case"].id), "--notes", "Said: " + BLAMING]
    )
    assert result.exit_code == 1 and "Not sent" in result.output


def test_the_checked_text_hash_is_what_the_gate_saw() -> None:
    assert _gate.text_sha256("a", "b") != _gate.text_sha256("ab", "")
