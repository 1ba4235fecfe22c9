"""One playbook source: a playbook uploaded through the web is one every edge can use.

Uploads live in the database with a record of each change, so the API, the command line,
the service layer and a second process all see what a manager uploaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frankly import cases, config
from frankly.cli import app as cli_app
from frankly.errors import InvalidInput
from frankly.playbooks import UnknownPlaybook
from frankly.store import Database
from frankly.web import auth as web_auth
from frankly.web import create_app

from .helpers import facts_for
from .test_web import PASSWORD, Client

KIND = "broken_pallet"


# A business's own playbook, texts inline: the built-in wrong_item as it was written before
# its texts moved to the language packs.
INLINE = Path(__file__).parent / "data" / "inline_playbooks" / "wrong_item.yml"


def _source(title: str = "Broken pallet") -> str:
    text = INLINE.read_text(encoding="utf-8")
    text = text.replace("id: wrong_item", f"id: {KIND}", 1)
    return text.replace("  en: Wrong item sent", f"  en: {title}", 1)


@pytest.fixture
def people(use_db: Database) -> dict[str, int]:
    db = use_db
    maria = cases.add_agent(db, name="Maria Lopez", email="maria@x.example", role="manager")
    james = cases.add_agent(db, name="James Carter", email="james@x.example", role="agent")
    for agent in (maria, james):
        web_auth.set_password(db, agent.id, PASSWORD)
    customer = cases.add_customer(db, name="Sarah Mitchell", email="sarah@acme.example")
    return {"maria": maria.id, "james": james.id, "customer": customer.id}


@pytest.fixture
def manager(use_db: Database, people: dict[str, int]) -> Iterator[Client]:
    client = Client(create_app(use_db))
    assert client.sign_in("maria@x.example").status_code == 303
    client.get("/playbook-upload")
    yield client
    client.close()


def _open(db: Database, people: dict[str, int], **extra: object) -> int:
    case = cases.open_case(
        db,
        customer_id=people["customer"],
        owner_id=people["james"],
        kind=KIND,
        title="Pallet 12 arrived broken",
        facts=facts_for("wrong_item"),
        **extra,  # type: ignore[arg-type]
    )
    return case.id


def test_an_upload_opens_and_drafts_through_every_edge(
    use_db: Database, people: dict[str, int], manager: Client
) -> None:
    db = use_db
    with pytest.raises(UnknownPlaybook):
        _open(db, people)
    sent = manager.form("/playbook-upload", {"source": _source()})
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/playbooks/{KIND}"
    # The web lists it, and the editor shows the uploaded text.
    assert "Broken pallet" in manager.get("/playbooks").text
    assert f"id: {KIND}" in manager.get(f"/playbooks/{KIND}/edit").text

    # The service layer opens and drafts it.
    case_id = _open(db, people)
    message = cases.save_draft(db, case_id, "first_notice")
    assert message.stage == "first_notice" and message.body

    # The API opens and drafts it.
    _, token = web_auth.issue_token(db, people["maria"], "tests")
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "customer_id": people["customer"],
        "kind": KIND,
        "title": "Pallet 13 arrived broken",
        "facts": facts_for("wrong_item"),
        "owner_id": people["james"],
    }
    opened = manager.post("/api/v1/cases", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    drafted = manager.post(
        f"/api/v1/cases/{opened.json()['id']}/draft",
        json={"stage": "first_notice"},
        headers=headers,
    )
    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["body"]

    # The command line lists, shows, opens and drafts it.
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["playbooks", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    mine = next(p for p in json.loads(listed.stdout) if p["id"] == KIND)
    assert mine["uploaded"] is True and mine["builtin"] is False
    assert runner.invoke(cli_app, ["playbooks", "show", KIND]).exit_code == 0
    facts = [f"--fact={k}={v}" for k, v in facts_for("wrong_item").items()]
    args = ["case", "open", "--customer", str(people["customer"]), "--kind", KIND]
    args += ["--owner", "james@x.example"]
    made = runner.invoke(cli_app, [*args, "--title", "Pallet 14", *facts, "--json"])
    assert made.exit_code == 0, made.output
    new_id = json.loads(made.stdout)["id"]
    drafted_cli = runner.invoke(cli_app, ["draft", str(new_id), "--stage", "first_notice"])
    assert drafted_cli.exit_code == 0, drafted_cli.output

    # The upload left a record: who, which version, the text's hash.
    (change,) = cases.playbook_changes(db, KIND)
    assert (change["action"], change["version"], change["author"]) == (
        "upload",
        1,
        "maria@x.example",
    )


def test_a_second_process_sees_an_upload_and_an_edit(
    use_db: Database, people: dict[str, int]
) -> None:
    other = Database(use_db.url)  # another process's connection to the same database
    assert KIND not in cases.playbook_library(other)
    cases.save_playbook(use_db, _source(), author="maria@x.example", actor=people["maria"])
    assert KIND in cases.playbook_library(other)
    _open(other, people)
    cases.save_playbook(use_db, _source("Pallet damaged"), author="maria@x.example")
    assert cases.playbook_library(other).get(KIND).title["en"] == "Pallet damaged"
    assert [c["action"] for c in cases.playbook_changes(other, KIND)] == ["edit", "upload"]
    assert cases.uploads_version(other) == cases.uploads_version(use_db) > 0
    other.engine.dispose()


def test_a_bad_upload_is_refused_with_its_line_and_nothing_is_stored(
    use_db: Database, people: dict[str, int], manager: Client
) -> None:
    bad = _source().replace("fault: ours", "fault: nobody's", 1)
    refused = manager.form("/playbook-upload", {"source": bad})
    assert refused.status_code == 422
    assert "fault" in refused.text
    with pytest.raises(InvalidInput, match=r"upload/broken_pallet:\d+"):
        cases.save_playbook(use_db, bad, author="maria@x.example")
    assert cases.playbook_changes(use_db) == []
    assert KIND not in cases.playbook_library(use_db)


def test_only_a_manager_uploads(use_db: Database, people: dict[str, int]) -> None:
    with pytest.raises(cases.NotAllowed):
        cases.save_playbook(use_db, _source(), author="james@x.example", actor=people["james"])
    assert cases.playbook_changes(use_db) == []
    runner = CliRunner()
    result = runner.invoke(cli_app, ["--as", "james@x.example", "playbooks", "upload", "x.yml"])
    assert result.exit_code == 2  # no such file: nothing read, nothing stored


def test_the_cli_uploads_a_file(use_db: Database, people: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "pallet.yml"
    path.write_text(_source(), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli_app, ["playbooks", "upload", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "upload"
    history = runner.invoke(cli_app, ["playbooks", "history", KIND, "--json"])
    assert [c["version"] for c in json.loads(history.stdout)] == [1]
    _open(use_db, people)


def test_old_uploads_in_the_data_folder_are_imported_once(
    use_db: Database, people: dict[str, int]
) -> None:
    folder = config.data_dir() / "playbooks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{KIND}.yml").write_text(_source(), encoding="utf-8")
    (folder / "broken.yml").write_text("id: [unclosed", encoding="utf-8")
    assert KIND in cases.playbook_library(use_db)
    (change,) = cases.playbook_changes(use_db)
    assert change["action"] == "import" and change["kind"] == KIND
    _open(use_db, people)


def test_a_built_in_opens_in_the_editor_with_its_words_and_uploads_unchanged(
    sqlite_db: Database,
) -> None:
    """The built-ins keep their words in the language packs; the editor shows them inline,
    and that text, uploaded as it is, loads to the same playbook."""
    library = cases.playbook_library(sqlite_db)
    for built_in in library:
        source = cases.playbook_source(sqlite_db, built_in.id)
        assert "title:" in source and "\n  en:" in source, built_in.id
        valid, problems = cases.check_playbook(sqlite_db, source)
        assert problems == [] and [p.id for p in valid] == [built_in.id]
        again, before = valid[0].to_dict(), built_in.to_dict()
        for origin in ("builtin", "uploaded", "source"):
            again.pop(origin, None)
            before.pop(origin, None)
        assert again == before, built_in.id
