"""The demo business: what a newcomer sees after `make run`."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest

from frankly import cases
from frankly.demo import load_demo
from frankly.errors import InvalidInput
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


def test_demo_is_data_files_checked_against_their_schema(tmp_path: Path) -> None:
    from frankly import demo

    folder = tmp_path / "demo"
    shutil.copytree(demo.data_dir(), folder)
    agents, customers, specs = demo.read_demo(folder)
    assert customers[0][:2] == ("Sarah Mitchell", "Acme Retail Ltd")
    assert "james@northwind.example" in {a["email"] for a in agents}
    assert {s.ref for s in specs} >= {"demo:01", "demo:02"}
    # A relative date in the YAML is a relative date in the case's facts.
    first = next(s for s in specs if s.ref == "demo:01")
    now = dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)
    assert first.facts_at(now)["promised_date"] == "2026-03-02"
    cases_file = folder / "cases.yml"
    text = cases_file.read_text(encoding="utf-8")
    cases_file.write_text(text.replace("promised_date: {day: -3}", "promised_date: {days: -3}", 1))
    with pytest.raises(InvalidInput, match=r"cases\.yml: at 0/facts/promised_date"):
        demo.read_demo(folder)
    cases_file.write_text(
        text.replace("owner: james@northwind.example", "owner: nobody@northwind.example", 1)
    )
    with pytest.raises(InvalidInput, match=r"case 0 \(demo:01\): no agent or customer"):
        demo.read_demo(folder)
