"""``frankly incident …``: the same service calls as the web pages, with plain output and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frankly import cases, incidents
from frankly.cli import app
from frankly.cli.incidents import by_language
from frankly.errors import InvalidInput
from frankly.store import Database


@pytest.fixture(autouse=True)
def _business_contacts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The business's own numbers, which its public texts give (see the public-text guard)."""
    monkeypatch.setenv(
        "FRANKLY_PUBLIC_CONTACTS", "@northwind.example, +44 20 7946 0100, +34 910 000 100"
    )


runner = CliRunner()
EN = (
    "en:Our ordering portal is down: you cannot place orders online. We are restoring it now. "
    "Meanwhile, send your orders to orders@northwind.example or call +44 20 7946 0100."
)
ES = (
    "es:Nuestro portal de pedidos no funciona: no puede hacer pedidos en línea. Lo estamos "
    "restaurando ahora. Mientras tanto, envíe sus pedidos a orders@northwind.example."
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _customers(db: Database) -> list[int]:
    ids = []
    for i, lang in enumerate(("en", "es", "en")):
        email = None if i == 2 else f"c{i}@example.com"
        customer = cases.add_customer(db, name=f"Client{i} X", email=email, language=lang)
        ids.append(customer.id)
    return ids


def test_running_an_incident_from_the_command_line(use_sqlite_db: Database, tmp_path: Path) -> None:
    ids = _customers(use_sqlite_db)
    csv = tmp_path / "affected.csv"
    csv.write_text("customer_id,order_number\n" + "\n".join(f"{i},44{i}" for i in ids) + "\n")
    code, out, err = run(
        "incident", "open",
        "--title", "Ordering portal down", "--title", "es:Portal de pedidos caído",
        "--impact", "Orders cannot be placed online.",
        "--impact", "es:No se pueden hacer pedidos en línea.",
        "--csv", str(csv), "--text", EN, "--text", ES, "--next-in", "45m",
    )  # fmt: skip
    assert code == 0, err
    assert "Opened incident 1: Ordering portal down (investigating)" in out
    assert "3 customer(s), 3 new case(s)" in out
    assert "Update 1 published: 2 personal notice(s) queued; next update by" in out
    assert "1 affected customer(s) have no email address" in err
    code, out, err = run(
        "incident", "update", "1", "--status", "identified", "--text", EN, "--text", ES
    )
    assert code == 0, err
    assert "Update 2 published: 2 personal notice(s) queued" in out
    code, out, _ = run("incident", "show", "1")
    assert code == 0
    assert "Affected: 3 (en 2, es 1)" in out
    shown = json.loads(run("incident", "show", "1", "--json")[1])
    assert [u["delivery"] for u in shown["updates"]] == [{"queued": 2, "no_email": 1}] * 2
    assert "No email (call them): Client2 X" in out
    code, out, err = run("incident", "resolve", "1", "--text", EN, "--text", ES)
    assert code == 0 and "Resolution 3 published" in out
    code, out, err = run(
        "incident", "review", "1",
        "--what-happened", "The portal was down.", "--what-happened", "es:El portal cayó.",
        "--why", "An upgrade failed.", "--why", "es:Falló una actualización.",
        "--change", "We test upgrades first.", "--change", "es:Probamos antes.",
        "--publish",
    )  # fmt: skip
    assert code == 0, err
    assert "published on the status page" in out
    code, out, _ = run("incident", "list", "--json")
    listed = json.loads(out)
    assert [(i["id"], i["status"]) for i in listed] == [(1, "resolved")]
    assert listed[0]["review_published_at"] is not None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["incident", "update", "7", "--text", EN], 1, "No incident with id 7"),
        (
            ["incident", "open", "--title", "T", "--impact", "I", "--cases-of", "wrong_item"],
            2,
            "nobody was selected",
        ),
        (["incident", "open", "--title", "T", "--impact", "I", "--fact", "oops"], 2, "name=value"),
        (
            ["incident", "open", "--title", "T", "--impact", "I", "--csv", "/nope.csv"],
            2,
            "Cannot read /nope.csv",
        ),
    ],
)
def test_errors_are_one_line_with_the_right_exit_code(
    use_sqlite_db: Database, args: list[str], code: int, message: str
) -> None:
    exit_code, _, err = run(*args)
    assert exit_code == code
    assert message in err and err.count("\n") <= 2


def test_an_empty_update_and_a_resolved_incident_are_refused(use_sqlite_db: Database) -> None:
    ids = _customers(use_sqlite_db)
    incidents.open_incident(
        use_sqlite_db,
        title={"en": "Down", "es": "Caído"},
        impact={"en": "Down", "es": "Caído"},
        selection=incidents.Selection(customer_ids=ids),
    )
    code, _, err = run("incident", "update", "1", "--text", "  ")
    assert code == 2 and "is empty" in err
    assert run("incident", "resolve", "1", "--text", EN, "--text", ES)[0] == 0
    code, _, err = run("incident", "update", "1", "--text", EN, "--text", ES)
    assert code == 1 and "is resolved" in err


def test_texts_take_a_language_prefix() -> None:
    assert by_language(["Note: a colon is not a language"], "text") == {
        "en": "Note: a colon is not a language"
    }
    assert by_language(["Plain", "es:Hola"], "text") == {"en": "Plain", "es": "Hola"}
    with pytest.raises(InvalidInput, match="given twice in en"):
        by_language(["One", "en:Two"], "text")
