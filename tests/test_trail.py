"""The tamper-evident paper trail: the hash chain of each case, sealed messages,
``frankly trail verify``, and the migration that starts the chain on an existing database."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from frankly import cases, incidents
from frankly.cli import app
from frankly.errors import NotFound
from frankly.store import Case, Customer, Database, Event, Message

from .pgserver import PostgresServer
from .test_outbox import mail

runner = CliRunner()
BODY = "Your order 4471 will not arrive on 20 November: it is held at customs.\n\n- Option A"


def _case(db: Database, email: str = "sarah@acme.example") -> int:
    owner = cases.find_agent(db, "james@northwind.example") or cases.add_agent(
        db, name="James Carter", email="james@northwind.example"
    )
    customer = cases.add_customer(db, name="Sarah Mitchell", email=email, language="en")
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="Order 4471 held at customs",
        owner_id=owner.id,
        severity="high",
    )
    return case.id


def _flow(db: Database) -> tuple[int, int]:
    """Open a case, record facts, draft, approve and send a message, get a reply."""
    case_id = _case(db)
    cases.record_facts(db, case_id, {"order_number": "4471", "new_eta": "2026-12-01"})
    cases.add_note(db, case_id, "Called the carrier")
    message = cases.add_message(
        db,
        case_id,
        direction="out",
        body=BODY,
        subject="Order 4471 is late",
        author="james@northwind.example",
    )
    cases.approve_message(db, message.id, author="james@northwind.example")
    assert cases.mark_sent(db, message.id, worker="worker-1")
    cases.receive_inbound(
        db, mail(f"Re: [Case #{case_id}] Order 4471", "Thanks for telling us early.")
    )
    return case_id, message.id


def _events(db: Database, case_id: int) -> list[Event]:
    return cases.show_case(db, case_id).events


def _sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _drop_event_triggers(db: Database) -> None:
    if db.dialect == "sqlite":
        _sql(db, "DROP TRIGGER events_no_update")
        _sql(db, "DROP TRIGGER events_no_delete")
    else:
        _sql(db, "DROP TRIGGER events_append_only ON events")


def _drop_message_triggers(db: Database) -> None:
    _sql(db, "DROP TRIGGER messages_sealed" + ("" if db.dialect == "sqlite" else " ON messages"))
    _sql(db, "DROP TRIGGER messages_no_delete" + ("" if db.dialect == "sqlite" else " ON messages"))


def _set_payload(db: Database, event_id: int, payload: dict[str, object]) -> None:
    cast = ":p" if db.dialect == "sqlite" else "CAST(:p AS jsonb)"
    _sql(
        db, f"UPDATE events SET payload = {cast} WHERE id = :id", p=json.dumps(payload), id=event_id
    )


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- an honest trail ---------------------------------------------------------------------


def test_a_realistic_flow_leaves_an_intact_chain(db: Database) -> None:
    case_id, _ = _flow(db)
    events = _events(db, case_id)
    kinds = [e.kind for e in events]
    flow = ["message_approved", "message_queued", "message_sent", "message_received"]
    assert [k for k in kinds if k in flow] == flow
    # Each event names the hash of the one before it; the first starts the chain.
    with db.reading() as session:
        rows = session.query(Event).filter(Event.case_id == case_id).order_by(Event.id).all()
        assert rows[0].prev_hash is None
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert len({r.hash for r in rows}) == len(rows)
    sent = next(e for e in events if e.kind == "message_sent")
    assert sent.payload["body_sha256"] == hashlib.sha256(BODY.encode()).hexdigest()
    assert sent.payload["recipient"] == "sarah@acme.example"
    assert sent.payload["subject"] == "Order 4471 is late"
    drafted = next(e for e in events if e.kind == "message_drafted")
    assert "body_sha256" not in drafted.payload  # a draft may still change

    report = cases.verify_trail(db)
    assert report.intact, [p.describe() for p in report.problems]
    assert report.chained == len(events) and report.before_chain == 0
    assert report.messages == 2  # ours, sent, and the customer's reply
    assert cases.verify_trail(db, case_id).intact


def test_writers_on_one_case_at_once_keep_one_chain(db: Database) -> None:
    case_id = _case(db)

    def write(who: str) -> None:
        for i in range(8):
            cases.add_note(db, case_id, f"{who} note {i}", author=who)

    threads = [threading.Thread(target=write, args=(f"agent{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = cases.verify_trail(db, case_id)
    assert report.intact, [p.describe() for p in report.problems]
    assert report.chained == 1 + 3 * 8


def test_incident_notices_written_in_bulk_are_chained_and_sealed(db: Database) -> None:
    linked = _case(db, "buyer0@shop.example")
    customers = [
        cases.add_customer(db, name=f"Buyer{i}", email=f"buyer{i}@shop.example").id
        for i in range(1, 4)
    ] + [cases.add_customer(db, name="No Mail", phone="+44 20 7946 0999").id]
    texts = {
        "en": "Our ordering portal is down: you cannot order online. We are restoring it now. "
        "Meanwhile, send orders to orders@northwind.example."
    }
    opened = incidents.open_incident(
        db,
        title={"en": "Ordering portal down"},
        impact={"en": "Orders cannot be placed online."},
        selection=incidents.Selection(customer_ids=customers, case_ids=[linked]),
        texts=texts,
        author="maria@northwind.example",
    )
    incident_id = opened.incident.id
    incidents.post_update(db, incident_id, texts=texts, author="maria@northwind.example")
    report = cases.verify_trail(db)
    assert report.intact, [p.describe() for p in report.problems]
    with db.reading() as session:
        notice = session.query(Message).filter(Message.stage.isnot(None)).first()
        assert notice is not None and notice.status == "queued"
        notice_id, notice_case = notice.id, notice.case_id
    assert report.messages >= 4
    # The linked case keeps one chain across its own events and the incident's.
    linked_kinds = [e.kind for e in _events(db, linked)]
    assert linked_kinds[:2] == ["case_opened", "note_added"]  # opened, then linked
    assert linked_kinds[-2:] == ["message_approved", "message_queued"]
    assert cases.verify_trail(db, linked).chained == len(linked_kinds)

    # Sent, then resolved: the incident's cases change state in bulk, still chained.
    for message in cases.list_messages(db, status="queued"):
        cases.mark_sent(db, message.id)
    incidents.resolve_incident(db, incident_id, texts=texts, author="maria@northwind.example")
    report = cases.verify_trail(db)
    assert report.intact, [p.describe() for p in report.problems]
    with db.reading() as session:
        changes = session.query(Event.payload).filter(Event.kind == "state_changed").all()
    assert sum(p["to"] == "resolved" for (p,) in changes) == 3  # the cases it opened

    _drop_message_triggers(db)
    _sql(db, "UPDATE messages SET body = 'Nothing happened.' WHERE id = :id", id=notice_id)
    report = cases.verify_trail(db)
    assert [(p.case_id, p.message_id, p.kind) for p in report.problems] == [
        (notice_case, notice_id, "message_approved")
    ]


# -- what the database refuses -----------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        "body = 'We never said that.'",
        "subject = 'All fine'",
        "recipient = 'someone@else.example'",
    ],
)
def test_a_sealed_message_cannot_be_changed(db: Database, change: str) -> None:
    case_id, message_id = _flow(db)
    with pytest.raises(DBAPIError, match="sealed once it is approved"):
        _sql(db, f"UPDATE messages SET {change} WHERE id = :id", id=message_id)
    assert cases.get_message(db, message_id).body == BODY
    assert cases.verify_trail(db, case_id).intact


def test_a_sealed_message_cannot_be_deleted_but_delivery_still_updates_it(db: Database) -> None:
    case_id, message_id = _flow(db)
    with pytest.raises(DBAPIError, match="cannot be deleted"):
        _sql(db, "DELETE FROM messages WHERE id = :id", id=message_id)
    # What delivery writes is not sealed.
    _sql(
        db,
        "UPDATE messages SET attempts = 3, error = 'retry', status = 'sent' WHERE id = :id",
        id=message_id,
    )
    # A draft is still being written: it can change and be thrown away.
    draft = cases.add_message(db, case_id, direction="out", body="first words", subject="S")
    _sql(db, "UPDATE messages SET body = 'better words', subject = 'T' WHERE id = :id", id=draft.id)
    _sql(db, "DELETE FROM commitments WHERE message_id = :id", id=draft.id)
    _sql(db, "DELETE FROM messages WHERE id = :id", id=draft.id)
    assert cases.verify_trail(db, case_id).intact


# -- what verify catches -----------------------------------------------------------------


def test_an_event_edited_after_dropping_the_trigger_is_named(db: Database) -> None:
    case_id, _ = _flow(db)
    note = next(e for e in _events(db, case_id) if e.kind == "note_added")
    _drop_event_triggers(db)
    _set_payload(db, note.id, {"text": "Did not call anyone"})
    report = cases.verify_trail(db)
    assert not report.intact
    assert [(p.case_id, p.event_id, p.kind) for p in report.problems] == [
        (case_id, note.id, "note_added")
    ]
    assert "changed after it was written" in report.problems[0].what


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_next_link(db: Database) -> None:
    case_id, _ = _flow(db)
    events = _events(db, case_id)
    index = next(i for i, e in enumerate(events) if e.kind == "note_added")
    note, after = events[index], events[index + 1]
    _drop_event_triggers(db)
    # A careful forger recomputes the edited event's own hash...
    from frankly.cases._timeline import event_hash

    with db.reading() as session:
        prev = session.get(Event, note.id).prev_hash
    forged = {"text": "Did not call anyone"}
    new_hash = event_hash(case_id, note.kind, note.author, note.at, forged, None, prev)
    _set_payload(db, note.id, forged)
    _sql(db, "UPDATE events SET hash = :h WHERE id = :id", h=new_hash, id=note.id)
    # ...and the next event no longer follows it.
    problems = cases.verify_trail(db, case_id).problems
    assert [(p.event_id, p.kind) for p in problems] == [(after.id, after.kind)]
    assert f"does not follow event {note.id}" in problems[0].what


def test_a_deleted_event_in_the_middle_is_named(db: Database) -> None:
    case_id, _ = _flow(db)
    events = _events(db, case_id)
    index = next(i for i, e in enumerate(events) if e.kind == "note_added")
    gone, before, after = events[index], events[index - 1], events[index + 1]
    _drop_event_triggers(db)
    _sql(db, "DELETE FROM events WHERE id = :id", id=gone.id)
    problems = cases.verify_trail(db).problems
    assert [(p.case_id, p.event_id, p.kind) for p in problems] == [(case_id, after.id, after.kind)]
    assert f"does not follow event {before.id}" in problems[0].what
    assert "deleted" in problems[0].what


@pytest.mark.parametrize(
    ("column", "value"),
    [("body", "We never said that."), ("subject", "All fine"), ("recipient", "x@else.example")],
)
def test_a_message_changed_after_dropping_its_trigger_is_named(
    db: Database, column: str, value: str
) -> None:
    case_id, message_id = _flow(db)
    approved = next(e for e in _events(db, case_id) if e.kind == "message_approved")
    _drop_message_triggers(db)
    _sql(db, f"UPDATE messages SET {column} = :v WHERE id = :id", v=value, id=message_id)
    problems = cases.verify_trail(db, case_id).problems
    assert [(p.case_id, p.event_id, p.kind, p.message_id) for p in problems] == [
        (case_id, approved.id, "message_approved", message_id)
    ]
    assert problems[0].what == f"the message's {column} changed after it was sealed"


def test_a_message_deleted_after_dropping_its_trigger_is_named(db: Database) -> None:
    _, message_id = _flow(db)
    _drop_message_triggers(db)
    _sql(db, "DELETE FROM commitments WHERE message_id = :id", id=message_id)
    _sql(db, "DELETE FROM outbox WHERE message_id = :id", id=message_id)
    _sql(db, "DELETE FROM messages WHERE id = :id", id=message_id)
    problems = cases.verify_trail(db).problems
    assert [(p.message_id, p.kind) for p in problems] == [(message_id, "message_approved")]
    assert "deleted" in problems[0].what


def test_a_sent_message_slipped_in_without_events_is_named(db: Database) -> None:
    case_id = _case(db)
    with db.transaction() as session:
        session.execute(
            insert(Message).values(
                case_id=case_id,
                direction="out",
                channel="email",
                language="en",
                body="We told you on Monday.",
                status="sent",
                attempts=1,
                created_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
            )
        )
    problems = cases.verify_trail(db).problems
    assert [(p.case_id, p.kind, p.event_id) for p in problems] == [(case_id, "message", None)]
    assert "no event seals its text" in problems[0].what


def test_verify_of_an_unknown_case_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="No case with id 999"):
        cases.verify_trail(db, 999)


# -- the command -------------------------------------------------------------------------


def test_trail_verify_exits_0_when_intact_and_1_naming_the_tampering(use_db: Database) -> None:
    case_id, _ = _flow(use_db)
    code, out, _ = run("trail", "verify")
    assert code == 0
    assert out.startswith("intact: 1 cases, ")
    code, out, _ = run("trail", "verify", str(case_id), "--json")
    assert code == 0 and json.loads(out)["intact"] is True

    note = next(e for e in _events(use_db, case_id) if e.kind == "note_added")
    _drop_event_triggers(use_db)
    _set_payload(use_db, note.id, {"text": "Did not call anyone"})
    code, out, err = run("trail", "verify")
    assert code == 1
    assert "NOT intact: 1 problem(s)" in err
    assert f"case {case_id}, event {note.id} (note_added): its content" in err
    code, out, _ = run("trail", "verify", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["intact"] is False
    assert report["problems"][0]["event_id"] == note.id
    assert report["problems"][0]["kind"] == "note_added"
    code, _, err = run("trail", "verify", "999")
    assert code == 1 and "No case with id 999" in err


# -- an existing database ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database with no schema (to migrate step by step)."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/old.db")
        yield database
        database.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"trail_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    database = Database(server.url_for(name))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_a_database_at_0006_starts_its_chain_at_the_migration(empty_db: Database) -> None:
    db = empty_db
    db.upgrade("0006")
    at = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    # Written by the old code: plain rows, no hashes.
    with db.engine.begin() as connection:
        customer_id = connection.execute(
            insert(Customer.__table__).values(
                name="Ana Ruiz",
                email="ana@example.com",
                language="es",
                tier="standard",
                timezone="UTC",
                created_at=at,
            )
        ).inserted_primary_key[0]
        case_id = connection.execute(
            insert(Case.__table__).values(
                kind="late_delivery",
                title="Late",
                severity="medium",
                fault="ours",
                state="open",
                facts={},
                customer_id=customer_id,
                known_at=at,
                created_at=at,
                updated_at=at,
            )
        ).inserted_primary_key[0]
        message_id = connection.execute(
            insert(Message.__table__).values(
                case_id=case_id,
                direction="out",
                channel="email",
                language="es",
                subject="Su pedido",
                body="Llega tarde.",
                status="sent",
                attempts=1,
                created_at=at,
                sent_at=at,
            )
        ).inserted_primary_key[0]
        for kind, payload in [
            ("case_opened", {"kind": "late_delivery", "title": "Late"}),
            ("message_sent", {"message_id": message_id, "subject": "Su pedido"}),
        ]:
            connection.execute(
                insert(Event.__table__).values(
                    case_id=case_id, kind=kind, author="old", at=at, payload=payload
                )
            )
    db.upgrade()

    report = cases.verify_trail(db)
    assert report.intact
    assert (report.before_chain, report.chained, report.last_event_before) == (2, 0, 2)
    assert report.last_message_before == message_id
    assert "2 events before the chain (it started " in report.summary()
    # The old events keep no hash; the chain of the case starts with its next event.
    cases.add_note(db, case_id, "Carrier says Thursday", author="maria")
    with db.reading() as session:
        rows = session.query(Event).filter(Event.case_id == case_id).order_by(Event.id).all()
    assert [r.hash is None for r in rows] == [True, True, False]
    assert rows[2].prev_hash is None
    report = cases.verify_trail(db, case_id)
    assert report.intact and (report.before_chain, report.chained) == (2, 1)
    # The migration sealed what it found: the old sent message cannot be edited now.
    with pytest.raises(DBAPIError, match="sealed"), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE messages SET body = 'x' WHERE id = :id"), {"id": message_id}
        )
    # Downgrading and upgrading again works: the chain restarts after the last event.
    with db.engine.begin() as connection:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    db.upgrade()
    report = cases.verify_trail(db)
    assert report.intact and (report.before_chain, report.chained) == (3, 0)
