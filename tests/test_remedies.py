"""Remedies offered and chosen, the checker's verdict kept on a message, and a manager's
override: the service layer, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from frankly import cases
from frankly.errors import InvalidInput, NotFound
from frankly.store import Database

ERRORS = [
    {"category": "blame", "rule": "blame.customer", "severity": "error"},
    {"category": "blame", "rule": "blame.customer", "severity": "error"},
    {"category": "jargon", "rule": "jargon.doublespeak", "severity": "warning"},
]


def _case(db: Database, *, tier: str = "standard", lang: str = "en") -> int:
    owner = cases.add_agent(db, name="Ana Ruiz", email="ana@shop.example")
    customer = cases.add_customer(
        db, name="Carmen Ruiz", email="carmen@example.com", language=lang, tier=tier
    )
    case = cases.open_case(
        db,
        customer_id=customer.id,
        kind="late_delivery",
        title="Order 8812 is late",
        facts={
            "order_number": "8812",
            "product": "200 gift boxes",
            # Dated from today: an option never promises a delivery date gone by.
            "promised_date": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
            "new_eta": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
            "cause": "our supplier's factory stopped for two days",
        },
        owner_id=owner.id,
    )
    return case.id


def _kinds(db: Database, case_id: int, kind: str) -> list[object]:
    return [e for e in cases.show_case(db, case_id).events if e.kind == kind]


def test_the_options_offered_come_from_the_playbook_in_the_customers_language(
    db: Database,
) -> None:
    case_id = _case(db, lang="es")
    event = cases.offer_options(db, case_id, author="ana@shop.example")
    ids = [o["id"] for o in event.payload["options"]]
    # The main options first, the extras for a standard customer after them.
    assert ids[:3] == ["keep_order", "partial_now", "cancel_refund"]
    assert "small_gift" in ids and "extra_packaging" not in ids
    keep = event.payload["options"][0]["text"]
    eta = dt.date.today() + dt.timedelta(days=7)
    assert (
        keep.startswith("mantener el pedido tal como está, con entrega el ")
        and f" {eta.day} de " in keep
    )
    assert event.payload["language"] == "es"


def test_a_choice_must_be_one_of_the_options_offered(db: Database) -> None:
    case_id = _case(db)
    with pytest.raises(InvalidInput, match="offer the options first") as nothing_yet:
        cases.choose_option(db, case_id, "keep_order")
    assert nothing_yet.value.field == "option"
    cases.offer_options(db, case_id, ["keep_order", "cancel_refund"])
    with pytest.raises(InvalidInput, match="choose one of keep_order, cancel_refund") as other:
        cases.choose_option(db, case_id, "partial_now")
    assert other.value.field == "option"
    assert _kinds(db, case_id, "option_chosen") == []

    chosen = cases.choose_option(db, case_id, "cancel_refund", note="said so on the phone")
    assert chosen.payload["text"].startswith("cancel the order for a full refund")
    state = cases.list_remedies(db, case_id)
    assert [o["id"] for o in state.offered] == ["keep_order", "cancel_refund"]
    assert state.chosen is not None and state.chosen["id"] == "cancel_refund"
    assert state.chosen["note"] == "said so on the phone"
    # The customer changes their mind: the latest choice holds, the first stays on record.
    cases.choose_option(db, case_id, "keep_order")
    assert cases.list_remedies(db, case_id).chosen["id"] == "keep_order"  # type: ignore[index]
    assert len(_kinds(db, case_id, "option_chosen")) == 2


@pytest.mark.parametrize(
    ("options", "field"),
    [(["free_pony"], "options"), ([], "options"), (["extra_packaging"], "options")],
)
def test_only_the_playbooks_remedies_for_this_case_can_be_offered(
    db: Database, options: list[str], field: str
) -> None:
    # extra_packaging is for key customers only; this one is standard.
    case_id = _case(db)
    with pytest.raises(InvalidInput) as refused:
        cases.offer_options(db, case_id, options)
    assert refused.value.field == field
    assert _kinds(db, case_id, "option_offered") == []


def test_a_message_that_lists_the_options_records_them_once(db: Database) -> None:
    case_id = _case(db)
    first = cases.save_draft(db, case_id, "first_notice", "email", author="ana@shop.example")
    sms = cases.save_draft(db, case_id, "update", "sms", author="ana@shop.example")
    event = cases.offer_for_message(db, first.id, author="ana@shop.example")
    assert event is not None and event.payload["message_id"] == first.id
    assert cases.offer_for_message(db, first.id) is None  # once per message
    assert cases.offer_for_message(db, sms.id) is None  # an update by SMS lists none
    assert len(_kinds(db, case_id, "option_offered")) == 1
    with pytest.raises(NotFound):
        cases.offer_for_message(db, 999_999)


def test_the_checkers_findings_are_kept_per_message(db: Database) -> None:
    case_id = _case(db)
    message = cases.save_draft(db, case_id, "first_notice", "email")
    cases.record_check(db, message.id, ERRORS, score=41, author="ana@shop.example")
    kept = cases.checked_figures(db, [message.id, 424242])
    assert list(kept) == [message.id]
    assert kept[message.id]["categories"] == {"blame": 2, "jargon": 1}
    assert kept[message.id]["severities"] == {"error": 2, "warning": 1}
    assert kept[message.id]["score"] == 41
    inbound = cases.add_message(db, case_id, direction="in", body="Where is it?")
    with pytest.raises(InvalidInput):
        cases.record_check(db, inbound.id, ERRORS)


def test_only_a_manager_may_override_and_the_override_is_one_event(db: Database) -> None:
    case_id = _case(db)
    agent = cases.add_agent(db, name="Tom", email="tom@shop.example", role="agent")
    manager = cases.add_agent(db, name="Maria", email="maria@shop.example", role="manager")
    message = cases.save_draft(db, case_id, "first_notice", "email")
    with pytest.raises(cases.NotAllowed) as refused:
        cases.override_check(db, message.id, ERRORS, agent_id=agent.id, reason="in a hurry")
    assert refused.value.http_status == 403
    assert _kinds(db, case_id, "check_overridden") == []

    cases.override_check(db, message.id, ERRORS, agent_id=manager.id, reason="legal approved")
    events = _kinds(db, case_id, "check_overridden")
    assert len(events) == 1
    assert events[0].payload == {  # type: ignore[attr-defined]
        "message_id": message.id,
        "findings": ["blame.customer", "jargon.doublespeak"],
        "reason": "legal approved",
        "role": "manager",
    }
    assert events[0].author == "maria@shop.example"  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput):
        cases.override_check(db, message.id, [], agent_id=manager.id)
