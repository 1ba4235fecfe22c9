"""The input boundary: every edge (service, API, web form, CLI) refuses the same bad values
with the same clear error (HTTP 422 / exit 2), and stores nothing of them.

Regression tests for the "Hardening" probe: NaN/Infinity facts, out-of-range quantities,
money and dates, control characters, CR/LF in names and subjects, NUL from web forms,
times whose offset overflows, and ``%``/``_`` in searches.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from frankly import cases
from frankly.cli import app as cli_app
from frankly.errors import InvalidInput
from frankly.store import Database, Event
from frankly.store.models import Case
from frankly.web import auth as web_auth
from frankly.web import create_app

from .test_web import PASSWORD, Client

runner = CliRunner()


def _events(db: Database, case_id: int) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Event.id)).where(Event.case_id == case_id)))


def _facts(db: Database, case_id: int) -> dict[str, object]:
    return dict(cases.get_case(db, case_id).facts or {})


@pytest.fixture
def late(db: Database) -> int:
    customer = cases.add_customer(db, name="Ana Ruiz", email="ana@example.com")
    case = cases.open_case(db, customer_id=customer.id, kind="late_delivery", title="Shelving late")
    return case.id


# -- the service -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, float("1e400")])
def test_a_fact_that_is_not_a_finite_number_is_refused(db: Database, late: int, bad: float) -> None:
    before = _events(db, late)
    with pytest.raises(InvalidInput, match="finite") as info:
        cases.record_facts(db, late, {"n": bad})
    assert info.value.field == "n"
    with pytest.raises(InvalidInput, match="finite"):
        cases.record_facts(db, late, {"nested": {"deep": [1, bad]}})
    assert _events(db, late) == before and "n" not in _facts(db, late)


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        ({"quantity": -5}, "between 1 and 10,000,000"),
        ({"quantity": 0}, "between 1 and 10,000,000"),
        ({"quantity": 1e20}, "below 2\\^53"),
        ({"quantity": 1e308}, "below 2\\^53"),
        ({"quantity": 1e12}, "between 1 and 10,000,000"),
        ({"quantity": "100000000000"}, "between 1 and 10,000,000"),
        ({"promised_date": "9999-12-30"}, "years 1900-2200"),
        ({"new_eta": "0001-01-01"}, "years 1900-2200"),
        ({"cause": "late\x0b"}, "control character"),
        ({"carrier": "x" * 10_001}, "limit is 10000"),
        ({"n": 2**60}, "below 2"),
    ],
)
def test_typed_facts_out_of_range_are_refused_naming_the_fact(
    db: Database, late: int, facts: dict[str, object], words: str
) -> None:
    before = _events(db, late)
    with pytest.raises(InvalidInput, match=words) as info:
        cases.record_facts(db, late, facts)
    assert info.value.field == next(iter(facts))
    assert _events(db, late) == before


def test_a_sane_quantity_is_kept(db: Database, late: int) -> None:
    assert cases.record_facts(db, late, {"quantity": 5}).facts["quantity"] == 5


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("-10.00 EUR", "between 0 and"),
        ("12.345 EUR", "more than 2 decimals"),
        ("NaN EUR", "amount of money"),
        ("1e400 EUR", "amount of money"),
        ("99999999999999 EUR", "between 0 and"),
    ],
)
def test_money_is_finite_not_negative_and_in_cents(db: Database, amount: str, words: str) -> None:
    customer = cases.add_customer(db, name="Bo", email="bo@example.com")
    with pytest.raises(InvalidInput, match=words):
        cases.open_case(
            db,
            customer_id=customer.id,
            kind="billing_error",
            title="Charged twice",
            facts={"refund_amount": amount},
        )
    assert cases.count_cases(db) == 0


@pytest.mark.parametrize("name", ["Liam\r\nBcc: x@evil.example", "Liam\nMurphy", "A\u2028B"])
def test_names_and_subjects_are_one_line(db: Database, late: int, name: str) -> None:
    with pytest.raises(InvalidInput, match="one line") as info:
        cases.add_customer(db, name=name, email="liam@example.com")
    assert info.value.field == "name"
    with pytest.raises(InvalidInput, match="one line"):
        cases.add_customer(db, name="Liam", company=name, email="liam@example.com")
    with pytest.raises(InvalidInput, match="one line") as info:
        cases.add_message(db, late, direction="out", body="Hello", subject=name)
    assert info.value.field == "subject"
    with pytest.raises(InvalidInput, match="one line"):
        cases.open_case(db, customer_id=1, kind="late_delivery", title=name)
    assert cases.list_customers(db, query="liam") == []


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\ufffe"])
def test_control_characters_are_refused_in_text(db: Database, late: int, char: str) -> None:
    before = _events(db, late)
    with pytest.raises(InvalidInput, match="control character") as info:
        cases.add_note(db, late, f"called the carrier{char} today")
    assert info.value.field == "note"
    with pytest.raises(InvalidInput, match="control character"):
        cases.add_message(db, late, direction="in", body=f"where is it{char}?")
    assert _events(db, late) == before


def test_tab_and_line_breaks_stay_allowed_in_long_text(db: Database, late: int) -> None:
    event = cases.add_note(db, late, "first line\r\nsecond\tline")
    assert event.payload["text"] == "first line\r\nsecond\tline"


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=12))),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        dt.datetime(2201, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1899, 12, 31, tzinfo=dt.UTC),
    ],
)
def test_times_outside_1900_2200_are_refused(db: Database, late: int, moment: dt.datetime) -> None:
    with pytest.raises(InvalidInput, match="1900-2200") as info:
        cases.record_milestone(db, late, "at_customs", happened_at=moment)
    assert info.value.field == "happened_at"
    assert cases.list_milestones(db, late) == []


def test_a_corrected_fact_passes_the_same_boundary(db: Database, late: int) -> None:
    event = cases.record_facts(db, late, {"quantity": 5})
    fact_event = [e for e in cases.show_case(db, event.id).events if e.kind == "fact_recorded"]
    with pytest.raises(InvalidInput, match="between 1"):
        cases.correct_event(db, late, fact_event[-1].id, {"value": -5}, reason="typo")
    with pytest.raises(InvalidInput, match="finite"):
        cases.correct_event(db, late, fact_event[-1].id, {"value": math.nan}, reason="typo")
    assert _facts(db, late)["quantity"] == 5


def test_searches_take_percent_and_underscore_as_letters(db: Database) -> None:
    sale = cases.add_customer(db, name="100% Linen", email="linen@example.com")
    plain = cases.add_customer(db, name="Plain Cotton", email="cotton@example.com")
    under = cases.add_customer(db, name="Snake_Case Ltd", email="snake@example.com")
    assert [c.id for c in cases.list_customers(db, query="%")] == [sale.id]
    assert [c.id for c in cases.list_customers(db, query="_")] == [under.id]
    assert [c.id for c in cases.list_customers(db, query="0% l")] == [sale.id]
    for customer in (sale, plain, under):
        cases.open_case(db, customer_id=customer.id, kind="late_delivery", title="Late")
    assert cases.count_cases(db, query="%") == 1
    assert cases.count_cases(db, query="_") == 1


# -- the API, the web forms and the CLI ------------------------------------------------------


@dataclass
class Edge:
    db: Database
    api: Client
    web: Client
    case_id: int


@pytest.fixture
def edge(db: Database, late: int) -> Iterator[Edge]:
    agent = cases.add_agent(db, name="Maria", email="maria@example.com", role="manager")
    web_auth.set_password(db, agent.id, PASSWORD)
    _, token = web_auth.issue_token(db, agent.id, "tests")
    app = create_app(db)
    api, web = Client(app), Client(app)
    api.client.headers["Authorization"] = f"Bearer {token}"
    assert web.sign_in("maria@example.com").status_code == 303
    web.get(f"/cases/{late}")
    yield Edge(db, api, web, late)
    api.close()
    web.close()


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_the_api_refuses_non_standard_json_numbers(edge: Edge, raw: str) -> None:
    before = _events(edge.db, edge.case_id)
    response = edge.api.post(
        f"/api/v1/cases/{edge.case_id}/facts",
        content=f'{{"facts": {{"n": {raw}}}}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert _events(edge.db, edge.case_id) == before
    with edge.db.reading() as session:
        stored = session.scalar(select(Case.facts).where(Case.id == edge.case_id))
    json.loads(json.dumps(stored), parse_constant=lambda c: pytest.fail(f"stored {c}"))


def test_the_api_refuses_a_negative_quantity_and_an_overflowing_time(edge: Edge) -> None:
    url = f"/api/v1/cases/{edge.case_id}"
    response = edge.api.post(f"{url}/facts", json={"facts": {"quantity": -5}})
    assert response.status_code == 422 and response.json()["error"]["field"] == "quantity"
    response = edge.api.post(
        f"{url}/milestones",
        json={"code": "at_customs", "happened_at": "9999-12-31T23:59:59-12:00"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "happened_at"
    response = edge.api.post(
        "/api/v1/customers", json={"name": "Liam\r\nBcc: x@evil.example", "email": "l@x.example"}
    )
    assert response.status_code == 422 and "one line" in response.json()["error"]["message"]


def test_the_case_page_still_opens_after_a_refused_huge_quantity(edge: Edge) -> None:
    response = edge.api.post(
        f"/api/v1/cases/{edge.case_id}/facts", json={"facts": {"quantity": 1e308}}
    )
    assert response.status_code == 422
    assert edge.web.get(f"/cases/{edge.case_id}").status_code == 200


def test_web_forms_refuse_nul_and_control_characters(edge: Edge) -> None:
    before = _events(edge.db, edge.case_id)
    response = edge.web.form(f"/cases/{edge.case_id}/notes", {"text": "called\x00 them"})
    assert response.status_code == 422
    response = edge.web.form(
        f"/cases/{edge.case_id}/facts", {"new_name": "cause", "new_value": "late\x1b[31m"}
    )
    assert response.status_code == 422 and "control character" in response.text
    assert _events(edge.db, edge.case_id) == before


def test_the_cli_exits_2_for_the_same_values(
    use_db: Database, late: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for pair in ("quantity=-5", "quantity=1e20", "promised_date=9999-12-30"):
        result = runner.invoke(cli_app, ["case", "facts", str(late), pair])
        assert result.exit_code == 2, result.output
        assert "quantity" in result.output or "promised_date" in result.output
    assert _facts(use_db, late) == {}
