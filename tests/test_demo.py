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


def test_demo_covers_every_kind_language_and_many_states(demo_db: Database) -> None:
    all_cases = cases.list_cases(demo_db, limit=500)
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
    languages = Counter(c.language for c in cases.list_customers(demo_db))
    assert languages["en"] >= 10 and languages["es"] >= 10
    for case in all_cases:
        assert cases.rebuild_case(demo_db, case.id)["state"] == case.state


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 12, 8, 0, 0, 15, tzinfo=dt.UTC),  # just after midnight in London
        dt.datetime(2026, 12, 8, 1, 45, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 7, 23, 30, tzinfo=dt.UTC),  # 00:30 in London in summer time
    ],
    ids=["00:00", "01:45", "summer-00:30"],
)
def test_the_demo_loads_at_any_hour(sqlite_db: Database, now: dt.datetime) -> None:
    # The demo is dated from the moment it loads; an hour after midnight once made one of
    # its updates promise two different days, and `make run` (and the tests) failed.
    loaded = load_demo(sqlite_db, now=now)
    assert 35 <= loaded.cases <= 45


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
