"""The demo business: what a newcomer sees after `make run`."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from frankly import cases
from frankly.demo import load_demo
from frankly.store import Database


def test_demo_loads_once_and_only_once(db: Database) -> None:
    first = load_demo(db)
    assert (first.agents, first.customers) == (4, 24)
    assert 35 <= first.cases <= 45
    events = sum(len(cases.show_case(db, c.id).events) for c in cases.list_cases(db, limit=500))
    second = load_demo(db)
    assert (second.agents, second.customers, second.cases) == (0, 0, 0)
    assert "already loaded" in second.summary()
    again = sum(len(cases.show_case(db, c.id).events) for c in cases.list_cases(db, limit=500))
    assert again == events


def test_demo_covers_every_kind_language_and_many_states(sqlite_db: Database) -> None:
    load_demo(sqlite_db)
    all_cases = cases.list_cases(sqlite_db, limit=500)
    kinds = Counter(c.kind for c in all_cases)
    assert set(kinds) == {
        "late_delivery",
        "wrong_item",
        "defective_product",
        "billing_error",
        "overdue_payment",
        "return_refused",
        "poor_results",
        "overpromised",
        "service_outage",
    }
    assert kinds["service_outage"] >= 5  # one outage hits many customers
    states = {c.state for c in all_cases}
    assert {"open", "notified", "resolving", "resolved", "followed_up", "cancelled"} <= states
    languages = Counter(c.language for c in cases.list_customers(sqlite_db))
    assert languages["en"] >= 10 and languages["es"] >= 10
    for case in all_cases:
        assert cases.rebuild_case(sqlite_db, case.id)["state"] == case.state


@pytest.mark.parametrize("hour", [0, 1, 23])
def test_demo_loads_at_any_hour(sqlite_db: Database, hour: int) -> None:
    """Regression: loaded just after midnight, a demo update's "within two days" and its
    next-update field fell on different days and the sending gate refused it."""
    now = dt.datetime(2026, 12, 8, hour, 0, tzinfo=dt.UTC)
    assert load_demo(sqlite_db, now=now).cases >= 35
