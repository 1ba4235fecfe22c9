"""The CLI over the case register: readable output, --json, one-line errors and exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from frankly.cli import app
from frankly.store import Database

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_case_from_the_command_line(use_db: Database) -> None:
    code, out, _ = run(
        "customer",
        "add",
        "--name",
        "Carmen Ruiz",
        "--email",
        "carmen@ruiz.example",
        "--language",
        "es",
        "--tier",
        "key",
        "--json",
    )
    assert code == 0
    customer = json.loads(out)
    assert customer["language"] == "es" and customer["tier"] == "key"
    code, out, _ = run(
        "case",
        "open",
        "--customer",
        str(customer["id"]),
        "--kind",
        "late_delivery",
        "--title",
        "Pedido 8812 retrasado",
        "--fact",
        "order_number=8812",
        "--json",
    )
    assert code == 0
    case_id = json.loads(out)["id"]
    assert run("case", "facts", str(case_id), "new_eta=2026-12-02", "carrier=Ibéricos")[0] == 0
    assert run("case", "note", str(case_id), "Llamé al transportista")[0] == 0
    code, _, err = run("case", "state", str(case_id), "notified")
    assert code == 1 and "missing required facts: product" in err
    facts = ["product=cajas", "promised_date=2026-11-25", "cause=una avería en la fábrica"]
    assert run("case", "facts", str(case_id), *facts)[0] == 0
    assert run("case", "state", str(case_id), "notified")[0] == 0
    code, out, _ = run("case", "show", str(case_id))
    assert code == 0
    assert "Pedido 8812 retrasado" in out and "new_eta" in out and "open → notified" in out
    code, out, _ = run("case", "show", str(case_id), "--json")
    shown = json.loads(out)
    assert shown["facts"]["new_eta"] == "2026-12-02"
    assert shown["facts"]["carrier"] == "Ibéricos"
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds[:4] == ["case_opened", "fact_recorded", "fact_recorded", "note_added"]
    assert kinds[-1] == "state_changed" and kinds.count("fact_recorded") == 5
    code, out, _ = run("case", "list", "--state", "notified", "--json")
    assert [c["id"] for c in json.loads(out)] == [case_id]
    code, out, _ = run("case", "list", "--kind", "wrong_item", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("case", "show", "999"), 1, "No case with id 999"),
        (("case", "state", "1", "reviewed"), 1, "cannot become reviewed"),
        (("case", "state", "1", "flying"), 2, "Unknown state 'flying'"),
        (("case", "facts", "1", "eta"), 2, "Malformed fact 'eta'"),
        (("customer", "add", "--name", "X", "--email", "x@"), 2, "Not a valid email address"),
        (("customer", "add", "--name", "X", "--language", "fr"), 2, "Unknown language 'fr'"),
        (("case", "list", "--state", "lost"), 2, "Unknown state 'lost'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_code(
    use_sqlite_db: Database, args: tuple[str, ...], code: int, message: str
) -> None:
    run("customer", "add", "--name", "Ana", "--email", "ana@example.com")
    run("case", "open", "--customer", "1", "--kind", "late_delivery", "--title", "Late")
    before = run("case", "show", "1", "--json")[1]
    exit_code, _, err = run(*args)
    assert exit_code == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert run("case", "show", "1", "--json")[1] == before  # nothing written


def test_unreachable_database_fails_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRANKLY_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1:1/none")
    code, _, err = run("case", "list")
    assert code == 1
    assert "Cannot reach the database" in err


def test_db_upgrade_and_status(use_sqlite_db: Database) -> None:
    code, out, _ = run("db", "upgrade")
    assert code == 0 and "up to date" in out
    code, out, _ = run("db", "status")
    assert code == 0 and "up to date" in out
