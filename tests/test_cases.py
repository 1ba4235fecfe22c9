"""The service layer: every change is one transaction with its event; bad input writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from frankly import Conflict, IllegalTransition, InvalidInput, NotFound, cases
from frankly.store import Case, Database, Event, Message

from .helpers import facts_for


def _count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def customer_id(db: Database) -> int:
    return cases.add_customer(
        db, name="Sarah Mitchell", company="Acme", email="Sarah@Acme.example", tier="key"
    ).id


def test_open_case_writes_the_case_and_its_first_event(db: Database, customer_id: int) -> None:
    case = cases.open_case(
        db,
        customer_id=customer_id,
        kind="late_delivery",
        title="Order 4471 late",
        severity="high",
        facts={"order_number": "4471"},
        author="james@example.com",
    )
    view = cases.show_case(db, case.id)
    assert view.case.state == "open"
    assert view.customer.email == "sarah@acme.example"
    assert [(e.kind, e.author) for e in view.events] == [("case_opened", "james@example.com")]
    assert view.events[0].payload["facts"] == {"order_number": "4471"}


def test_state_machine_allows_the_life_of_a_case(db: Database, customer_id: int) -> None:
    case = cases.open_case(
        db,
        customer_id=customer_id,
        kind="wrong_item",
        title="Wrong screws",
        facts=facts_for("wrong_item"),
    )
    for state in ("notified", "resolving", "resolved", "followed_up", "reviewed"):
        case = cases.change_state(db, case.id, state, author="maria")
    assert case.state == "reviewed"
    assert case.notified_at is not None and case.resolved_at is not None
    kinds = [e.kind for e in cases.show_case(db, case.id).events]
    assert kinds.count("state_changed") == 5


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), "resolved"),
        ((), "reviewed"),
        (("notified", "resolved", "followed_up", "reviewed"), "open"),
        (("cancelled",), "notified"),
    ],
)
def test_illegal_transitions_are_refused_and_write_nothing(
    db: Database, customer_id: int, path: tuple[str, ...], illegal: str
) -> None:
    case = cases.open_case(
        db, customer_id=customer_id, kind="wrong_item", title="Wrong", facts=facts_for("wrong_item")
    )
    for state in path:
        cases.change_state(db, case.id, state)
    events_before = _count(db, Event)
    with pytest.raises(IllegalTransition, match=f"cannot become {illegal}"):
        cases.change_state(db, case.id, illegal)
    assert _count(db, Event) == events_before
    assert cases.get_case(db, case.id).state == (path[-1] if path else "open")


def test_unknown_ids_are_not_found(db: Database, customer_id: int) -> None:
    with pytest.raises(NotFound, match="No case with id 999"):
        cases.show_case(db, 999)
    with pytest.raises(NotFound, match="No customer with id 999"):
        cases.open_case(db, customer_id=999, kind="late_delivery", title="x")
    with pytest.raises(NotFound, match="No agent with id 77"):
        cases.open_case(db, customer_id=customer_id, kind="late_delivery", title="x", owner_id=77)
    assert _count(db, Case) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email"}, "Not a valid email address"),
        ({"language": "fr"}, "Unknown language 'fr'"),
        ({"tier": "gold"}, "Unknown tier 'gold'"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"name": "  "}, "name must not be empty"),
    ],
)
def test_bad_customer_input_is_refused(db: Database, kwargs: dict, message: str) -> None:
    fields = {"name": "Ana", "email": "ana@example.com", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        cases.add_customer(db, **fields)
    assert cases.list_customers(db) == []


def test_duplicate_customer_email_is_a_conflict(db: Database, customer_id: int) -> None:
    with pytest.raises(Conflict, match="exists already"):
        cases.add_customer(db, name="Other", email="sarah@acme.example")


def test_record_facts_writes_one_event_per_changed_fact(db: Database, customer_id: int) -> None:
    case = cases.open_case(
        db, customer_id=customer_id, kind="late_delivery", title="Late", facts={"eta": "1 Dec"}
    )
    cases.record_facts(db, case.id, {"eta": "1 Dec", "carrier": "DHL"})
    cases.record_facts(db, case.id, {"eta": "3 Dec"})
    cases.record_facts(db, case.id, {"carrier": None})
    view = cases.show_case(db, case.id)
    recorded = [e.payload for e in view.events if e.kind == "fact_recorded"]
    assert recorded == [
        {"key": "carrier", "value": "DHL", "previous": None},
        {"key": "eta", "value": "3 Dec", "previous": "1 Dec"},
        {"key": "carrier", "previous": "DHL", "removed": True},
    ]
    assert view.case.facts == {"eta": "3 Dec"}


def test_bad_facts_write_nothing(db: Database, customer_id: int) -> None:
    case = cases.open_case(db, customer_id=customer_id, kind="late_delivery", title="Late")
    before = _count(db, Event)
    with pytest.raises(InvalidInput, match="fact name"):
        cases.record_facts(db, case.id, {"ok": "1", "Bad Key": "2"})
    with pytest.raises(InvalidInput, match="Malformed fact 'eta'"):
        cases.parse_fact_pairs(["eta"])
    assert _count(db, Event) == before
    assert cases.get_case(db, case.id).facts == {}


def test_a_correction_points_at_the_event_it_corrects(db: Database, customer_id: int) -> None:
    case = cases.open_case(db, customer_id=customer_id, kind="late_delivery", title="Late")
    cases.record_facts(db, case.id, {"eta": "2026-12-01"})
    wrong = cases.show_case(db, case.id).events[-1]
    fix = cases.correct_event(
        db, case.id, wrong.id, {"value": "2026-12-03"}, reason="Carrier gave the wrong date"
    )
    assert fix.corrects_id == wrong.id
    view = cases.show_case(db, case.id)
    assert view.case.facts["eta"] == "2026-12-03"
    assert view.events[-2].payload["value"] == "2026-12-01"  # the original stays as it was
    assert cases.rebuild_case(db, case.id)["facts"] == {"eta": "2026-12-03"}


def test_messages_get_a_stable_message_id_and_an_event(db: Database, customer_id: int) -> None:
    case = cases.open_case(db, customer_id=customer_id, kind="late_delivery", title="Late")
    draft = cases.add_message(db, case.id, direction="out", body="Your order is late.")
    inbound = cases.add_message(db, case.id, direction="in", body="Where is it?", channel="email")
    assert draft.status == "draft" and draft.recipient == "sarah@acme.example"
    assert inbound.status == "received" and inbound.received_at is not None
    assert draft.message_id.startswith("<frankly.") and draft.message_id != inbound.message_id
    kinds = [e.kind for e in cases.show_case(db, case.id).events]
    assert kinds[-2:] == ["message_drafted", "message_received"]
    with pytest.raises(InvalidInput, match="body must not be empty"):
        cases.add_message(db, case.id, direction="out", body="")
    assert _count(db, Message) == 2


def test_list_cases_filters(db: Database, customer_id: int) -> None:
    other = cases.add_customer(db, name="Carmen Ruiz", company="Distribuciones Ruiz")
    a = cases.open_case(db, customer_id=customer_id, kind="late_delivery", title="Order 1")
    b = cases.open_case(
        db,
        customer_id=other.id,
        kind="billing_error",
        title="Double charge",
        facts=facts_for("billing_error"),
    )
    cases.change_state(db, b.id, "notified")
    assert {c.id for c in cases.list_cases(db)} == {a.id, b.id}
    assert [c.id for c in cases.list_cases(db, state="notified")] == [b.id]
    assert [c.id for c in cases.list_cases(db, kind="late_delivery")] == [a.id]
    assert [c.id for c in cases.list_cases(db, query="ruiz")] == [b.id]
    assert cases.count_cases(db, customer_id=customer_id) == 1
    with pytest.raises(InvalidInput, match="Unknown state 'lost'"):
        cases.list_cases(db, state="lost")


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("fact"),
            st.sampled_from(["eta", "carrier", "amount"]),
            st.one_of(st.none(), st.text(max_size=5)),
        ),
        st.tuples(
            st.just("state"),
            st.sampled_from(
                ["notified", "resolving", "resolved", "followed_up", "reviewed", "cancelled"]
            ),
            st.none(),
        ),
        st.tuples(
            st.just("update"), st.sampled_from(["low", "medium", "high", "critical"]), st.none()
        ),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_the_timeline_rebuilds_the_case(sqlite_db: Database, operations: list) -> None:
    db = sqlite_db
    customer = cases.add_customer(db, name="Test")
    case = cases.open_case(db, customer_id=customer.id, kind="late_delivery", title="T")
    for op, a, b in operations:
        try:
            if op == "fact":
                cases.record_facts(db, case.id, {a: b})
            elif op == "state":
                cases.change_state(db, case.id, a)
            else:
                cases.update_case(db, case.id, severity=a)
        except (IllegalTransition, InvalidInput):
            pass
    stored = cases.get_case(db, case.id)
    rebuilt = cases.rebuild_case(db, case.id)
    for field, value in rebuilt.items():
        assert getattr(stored, field) == value, field


def test_the_timeline_rebuilds_the_case_on_both_engines(db: Database, customer_id: int) -> None:
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    facts = {**facts_for("late_delivery"), "a": 1}
    case = cases.open_case(
        db, customer_id=customer_id, kind="late_delivery", title="Late", facts=facts, at=at
    )
    cases.record_facts(db, case.id, {"b": "x", "a": 2})
    cases.change_state(db, case.id, "notified")
    cases.update_case(db, case.id, severity="critical", title="Very late")
    stored = cases.get_case(db, case.id)
    rebuilt = cases.rebuild_case(db, case.id)
    assert rebuilt == {f: getattr(stored, f) for f in rebuilt}
    assert rebuilt["facts"] == {**facts_for("late_delivery"), "a": 2, "b": "x"}
    assert rebuilt["title"] == "Very late"
    assert stored.created_at == at


def test_a_case_kind_needs_a_playbook(db: Database, customer_id: int) -> None:
    with pytest.raises(NotFound, match="No playbook for the kind 'lost_parrot'"):
        cases.open_case(db, customer_id=customer_id, kind="lost_parrot", title="x")
    assert _count(db, Case) == 0


def test_facts_must_fit_their_type(db: Database, customer_id: int) -> None:
    with pytest.raises(InvalidInput, match="quantity"):
        cases.open_case(
            db, customer_id=customer_id, kind="late_delivery", title="x", facts={"quantity": "lots"}
        )
    case = cases.open_case(db, customer_id=customer_id, kind="billing_error", title="Charged twice")
    with pytest.raises(InvalidInput, match="amount_charged"):
        cases.record_facts(db, case.id, {"amount_charged": "abc"})
    assert cases.get_case(db, case.id).facts == {}


def test_a_case_cannot_be_notified_until_its_required_facts_are_there(
    db: Database, customer_id: int
) -> None:
    case = cases.open_case(
        db, customer_id=customer_id, kind="late_delivery", title="Late", facts={"product": "x"}
    )
    with pytest.raises(IllegalTransition, match=r"missing required facts: order_number \(What"):
        cases.change_state(db, case.id, "notified")
    cases.record_facts(db, case.id, facts_for("late_delivery"))
    assert cases.change_state(db, case.id, "notified").state == "notified"
