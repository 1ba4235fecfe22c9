"""The cadence run reads only the cases that have something due, whatever the open count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from frankly import cases
from frankly.cadence import run_due
from frankly.store import Database

from .test_cadence import NOW, D, H, open_late, people, send


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def settled_cases(db: Database, customer: int, agent: int, n: int) -> None:
    """``n`` open cases whose every promise broke and was raised already: a late ETA, an
    unpaid invoice with its ladder scheduled, a stalled milestone. Nothing new is due."""
    for i in range(n):
        case_id = open_late(
            db,
            customer,
            agent,
            kind="overdue_payment",
            title=f"Settled {i}",
            known=NOW - 30 * D,
            facts={
                "invoice_number": f"INV-{i}",
                "amount": "10.00",
                "due_date": "2026-11-01",
                "promised_date": "2026-11-20",
                "new_eta": "2026-11-28",
            },
        )
        send(db, case_id, NOW - 20 * D, next_update_at=NOW + 30 * D)
        cases.record_milestone(
            db, case_id, "at_customs", happened_at=NOW - 9 * D, draft_update=False
        )
    first = run_due(db, NOW)
    assert first.triggers == 3 * n and first.scheduled == 4 * n


def test_a_run_costs_the_same_with_ten_or_forty_settled_open_cases(db: Database) -> None:
    _, agent, customer = people(db)
    settled_cases(db, customer, agent, 10)
    with counted(db) as few:
        report = run_due(db, NOW)
    settled_cases(db, customer, agent, 30)
    with counted(db) as many:
        again = run_due(db, NOW)
    assert report.to_dict() == again.to_dict()
    assert (again.triggers, again.scheduled, again.drafted, again.errors) == (0, 0, 0, [])
    assert len(many) == len(few), "no statement per open case"


def test_a_customer_a_day_ahead_of_utc_is_overdue_on_their_own_date(db: Database) -> None:
    _, agent, _ = people(db)
    kiribati = cases.add_customer(
        db, name="Line Islands Co", email="ops@line.example", timezone="Pacific/Kiritimati"
    )
    case_id = open_late(
        db,
        kiribati.id,
        agent,
        kind="overdue_payment",
        title="Invoice INV-7",
        facts={"invoice_number": "INV-7", "amount": "10.00", "due_date": "2026-11-23"},
        known=NOW - 3 * D,
    )
    # 10:00 UTC on the due date is already the next day (00:00 +14) in Kiritimati.
    assert run_due(db, NOW).triggers == 1
    fired = [e for e in cases.show_case(db, case_id).events if e.kind == "trigger_fired"]
    assert [e.payload["key"] for e in fired] == ["payment_overdue:2026-11-23"]


def test_a_new_milestone_that_stalls_fires_again_and_a_new_eta_too(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(
        db,
        customer,
        agent,
        known=NOW - 20 * D,
        facts={"promised_date": "2026-11-20", "new_eta": "2026-11-25"},
    )
    send(db, case_id, NOW - 19 * D)
    cases.record_milestone(db, case_id, "handed_to_carrier", happened_at=NOW - 10 * D)
    assert run_due(db, NOW - 5 * D).triggers == 2  # the late ETA and the stuck milestone
    cases.record_milestone(db, case_id, "at_customs", happened_at=NOW - 4 * D)
    cases.record_milestone(db, case_id, "delivered", happened_at=NOW - 4 * D - H)
    cases.record_facts(db, case_id, {"new_eta": "2026-11-27"}, at=NOW - 4 * D)
    # The latest milestone is at customs (a "delivered" before it does not count).
    assert run_due(db, NOW).triggers == 2
    events = cases.show_case(db, case_id).events
    keys = [e.payload["key"] for e in events if e.kind == "trigger_fired"]
    assert {k.split(":")[0] for k in keys} == {"new_eta", "milestone_stuck"}
    assert len(set(keys)) == 4
    assert run_due(db, NOW + dt.timedelta(minutes=1)).triggers == 0
