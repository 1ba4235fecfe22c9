"""Cadence isolation: a case the cadence cannot handle is recorded as failed, shown to
managers on Today, and every other case is still processed (regression: one NaN fact or
one due date of 9999-12-30 used to stop the run for everyone)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update

from frankly import cases
from frankly.cadence import run_due, today
from frankly.store import Database, Event
from frankly.store.models import Case

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
FACTS = {
    "invoice_number": "INV-1",
    "amount": "100.00 EUR",
    "pay_link": "https://pay.example.com/1",
    "due_date": "2026-11-20",
}


def _overdue(db: Database, name: str) -> int:
    customer = cases.add_customer(db, name=name, email=f"{name.lower()}@example.com")
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="overdue_payment",
        title=f"Invoice of {name}",
        facts=FACTS,
        at=NOW - dt.timedelta(days=20),
    )
    return case.id


def _events(db: Database, case_id: int, kind: str) -> list[Event]:
    with db.reading() as session:
        return list(
            session.scalars(select(Event).where(Event.case_id == case_id, Event.kind == kind))
        )


def _poison_due_date(db: Database, case_id: int) -> None:
    """A value stored before the input boundary refused it (written past the service)."""
    with db.transaction() as session:
        facts = dict(session.get(Case, case_id).facts)  # type: ignore[union-attr]
        facts["due_date"] = "9999-12-30"
        session.execute(update(Case).where(Case.id == case_id).values(facts=facts))


def test_a_date_that_overflows_fails_one_case_and_the_others_run(db: Database) -> None:
    healthy = _overdue(db, "Healthy")
    poisoned = _overdue(db, "Poisoned")
    _poison_due_date(db, poisoned)
    report = run_due(db, now=NOW)
    assert any(e.startswith(f"case {poisoned}:") for e in report.errors)
    assert _events(db, healthy, "trigger_fired")  # the healthy case was processed
    assert [s.stage for s in cases.list_steps(db, healthy) if s.kind == "payment_reminder"]
    failed = _events(db, poisoned, "cadence_failed")
    assert len(failed) == 1 and "1900-2200" in failed[0].payload["error"]
    # The next minute: the same failure is not written again.
    run_due(db, now=NOW + dt.timedelta(minutes=1))
    assert len(_events(db, poisoned, "cadence_failed")) == 1
    # Managers see it on Today (the team view); the row names the error.
    rows = {row.case_id: row for row in today(db, None, now=NOW + dt.timedelta(minutes=2))}
    row = rows[poisoned]
    assert row.kind == "cadence_failed" or "cadence_failed" in [r.kind for r in row.also]
    assert "1900-2200" in row.to_dict()["why"] + " ".join(r.why for r in row.also)


def test_a_nan_stored_by_an_older_version_does_not_stop_the_run(sqlite_db: Database) -> None:
    # Only SQLite can hold it (PostgreSQL's jsonb refuses NaN), and its JSON functions then
    # fail every query that reads facts with "malformed JSON".
    db = sqlite_db
    healthy = _overdue(db, "Healthy")
    poisoned = _overdue(db, "Poisoned")
    with db.transaction() as session:
        session.execute(
            text("UPDATE cases SET facts = :facts WHERE id = :id"),
            {"facts": '{"due_date": "2026-11-20", "n": NaN}', "id": poisoned},
        )
    report = run_due(db, now=NOW)
    assert any(e.startswith(f"case {poisoned}:") for e in report.errors)
    assert _events(db, healthy, "trigger_fired")
    failed = _events(db, poisoned, "cadence_failed")
    assert len(failed) == 1 and "malformed JSON" in failed[0].payload["error"]
    assert poisoned in {row.case_id for row in today(db, None, now=NOW)}


def test_an_agents_own_list_does_not_show_cadence_failures(db: Database) -> None:
    agent = cases.add_agent(db, name="Ann", email="ann@example.com")
    poisoned = _overdue(db, "Poisoned")
    _poison_due_date(db, poisoned)
    run_due(db, now=NOW)
    mine = today(db, agent.id, now=NOW)
    assert "cadence_failed" not in {r.kind for row in mine for r in (row, *row.also)}


def test_a_change_on_the_case_clears_the_row_until_the_cadence_fails_again(
    db: Database,
) -> None:
    poisoned = _overdue(db, "Poisoned")
    _poison_due_date(db, poisoned)
    run_due(db, now=NOW)
    cases.add_note(db, poisoned, "looking at it", at=NOW + dt.timedelta(minutes=1))
    listed = {row.case_id: row for row in today(db, None, now=NOW + dt.timedelta(minutes=2))}
    kinds = {r.kind for r in (listed[poisoned], *listed[poisoned].also)}
    assert "cadence_failed" not in kinds
    run_due(db, now=NOW + dt.timedelta(minutes=3))
    assert len(_events(db, poisoned, "cadence_failed")) == 2
