"""Language packs: a business adds a language from its own folder, with no change to Frankly.

The toy pack is French, built in a temporary folder: a rule with examples, promise words,
cadence, incident, policy and playbook words, interface words and the texts of one playbook.
It must be accepted for customers (service layer and API), by the checker, by the composer
and in the interface.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from frankly import cases, packs
from frankly.cli import app as cli_app
from frankly.compose import draft
from frankly.errors import InvalidInput
from frankly.store import LANGUAGES, Database
from frankly.web import auth as web_auth
from frankly.web import create_app

from .helpers import facts_for

BUILTIN = packs.builtin_dir()
GOOD = Path(__file__).parent / "data" / "good_playbooks"
PASSWORD = "correct horse battery"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)

RULE = """\
rules:
  - id: blame.pas-notre-faute
    category: blame
    level: warning
    kind: existence
    message: "« {text} » rejette la faute. Dites ce que nous faisons."
    tokens:
      - "(ce n'est|c'est) pas (de |)notre faute"
    examples:
      fire:
        - Ce n'est pas notre faute si le colis est en retard.
      quiet:
        - Le transporteur livrera votre colis vendredi.
"""

# The French texts of the business's "missed visit" playbook: a pack supplies them, the
# playbook itself is not edited.
PLAYBOOK_TEXTS = {
    "id": "missed_visit",
    "title": "Visite manquée",
    "description": "Notre technicien n'est pas venu à une visite prévue.",
    "problem": "Un rendez-vous manqué chez le client.",
    "facts": {
        "visit_date": {"question": "Quand la visite était-elle prévue ?"},
        "cause": {"question": "Pourquoi l'avons-nous manquée ?"},
        "new_visit": {"question": "Quand pouvons-nous venir ?"},
    },
    "steps": {"call_first": "Appelez le client avant la fin de la journée."},
    "remedies": {
        "next_slot": "une nouvelle visite{% if new_visit %} le {{ new_visit }}{% endif %}",
        "priority_slot": "nous ne facturons pas le déplacement",
    },
    "stages": {
        "first_notice": {
            "email": {
                "subject": "Nous avons manqué votre visite du {{ visit_date }}",
                "body": (
                    "Bonjour {{ customer.first_name }},\n\n"
                    "Notre technicien n'est pas venu le {{ visit_date }}, parce que {{ cause }}. "
                    "C'est notre erreur.\n\nVous pouvez choisir :\n"
                    "{% for r in remedies %}\n- {{ r }}\n{% endfor %}\n"
                    "Je vous écris de nouveau avant le {{ next_update }}. "
                    "Mon numéro : {{ owner.phone }}.\n\n{{ owner.name }}\n"
                ),
            },
            "sms": (
                "{{ customer.first_name }}, visite du {{ visit_date }} manquée, notre erreur. "
                "Nouvelles avant le {{ next_update }}. {{ owner.phone }}"
            ),
            "call": {
                "opening": "Bonjour {{ customer.first_name }}, ici {{ owner.name }}.",
                "facts": "C'est arrivé parce que {{ cause }}.",
                "admission": "C'est notre erreur.",
                "closing": "Je vous écris avant le {{ next_update }}.",
            },
        }
    },
}


def _french(source: Path, target: Path, **changes: str) -> None:
    """A copy of an English data file with its language (and more) changed to French."""
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^language: en$", "language: fr", text)
    text = re.sub(r"(?m)^locale: en$", "locale: fr", text)
    for old, new in changes.items():
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")


@pytest.fixture
def french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "packs"
    pack = root / "fr"
    (pack / "rules").mkdir(parents=True)
    (pack / "playbooks").mkdir()
    (pack / "pack.yml").write_text(
        "code: fr\nname: French\nnative_name: Français\nlocale: fr\n", encoding="utf-8"
    )
    (pack / "rules" / "blame.yml").write_text(RULE, encoding="utf-8")
    en = BUILTIN / "en"
    for name in ("promises.yml", "cadence.yml", "incidents.yml", "policies.yml", "playbooks.yml"):
        _french(en / name, pack / name)
    (pack / "interface.yml").write_text("Today: Aujourd'hui\nCases: Dossiers\n", encoding="utf-8")
    (pack / "playbooks" / "missed_visit.yml").write_text(
        yaml.safe_dump(PLAYBOOK_TEXTS, allow_unicode=True), encoding="utf-8"
    )
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    shutil.copy(GOOD / "missed_visit.yml", playbooks)
    monkeypatch.setenv(packs.ENV_DIRS, str(root))
    monkeypatch.setenv("FRANKLY_PLAYBOOKS_DIRS", str(playbooks))
    yield pack


def test_the_languages_are_the_installed_packs(french: Path, monkeypatch) -> None:
    assert packs.languages() == ("en", "es", "fr")
    assert "fr" in LANGUAGES
    assert packs.describe("fr") == "Français"
    monkeypatch.delenv(packs.ENV_DIRS)
    assert packs.languages() == ("en", "es")
    assert "fr" not in LANGUAGES


def test_a_missing_pack_folder_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(packs.ENV_DIRS, str(tmp_path / "nowhere"))
    with pytest.raises(packs.PackError, match="nowhere: no such language pack folder"):
        packs.languages()


def test_a_customer_may_speak_the_new_language(french: Path, sqlite_db: Database) -> None:
    customer = cases.add_customer(sqlite_db, name="Claire Martin", language="fr")
    assert customer.language == "fr"
    with pytest.raises(InvalidInput, match="use one of en, es, fr"):
        cases.add_customer(sqlite_db, name="Hans Weber", language="de")


def test_the_checker_runs_the_packs_rules(french: Path) -> None:
    runner = CliRunner()
    draft_text = "Ce n'est pas notre faute si le colis est en retard."
    result = runner.invoke(
        cli_app, ["check", "--lang", "fr", "--format", "json", "-"], input=draft_text
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    docs = report if isinstance(report, list) else [report]
    rules = {f["rule"] for doc in docs for f in doc["findings"]}
    assert "blame.pas-notre-faute" in rules
    refused = runner.invoke(cli_app, ["check", "--lang", "de", "-"], input=draft_text)
    assert refused.exit_code == 2
    assert "use en, es, fr or auto" in refused.output


def test_the_composer_drafts_in_the_new_language(french: Path, sqlite_db: Database) -> None:
    customer = cases.add_customer(
        sqlite_db, name="Claire Martin", email="claire@example.fr", language="fr"
    )
    agent = cases.add_agent(
        sqlite_db, name="Paul Durand", email="paul@example.fr", phone="+33 1 23 45 67 89"
    )
    case = cases.open_case(
        sqlite_db,
        customer_id=customer.id,
        kind="missed_visit",
        title="Visite manquée",
        facts={"visit_date": "2026-11-20 10:00", "cause": "nous avions réservé deux visites"},
        owner_id=agent.id,
    )
    made = draft(cases.show_case(sqlite_db, case.id), "first_notice", now=NOW)
    assert made.subject.startswith("Nous avons manqué votre visite du ")
    # The date is written in French, with the pack's locale.
    assert "novembre" in made.subject
    assert "C'est notre erreur." in made.body


def _client(app: object) -> tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]:
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return loop, client


def test_the_interface_speaks_the_new_language(french: Path, sqlite_db: Database) -> None:
    agent = cases.add_agent(sqlite_db, name="Paul Durand", email="paul@example.fr", language="fr")
    web_auth.set_password(sqlite_db, agent.id, PASSWORD)
    loop, client = _client(create_app(sqlite_db))
    try:
        login = loop.run_until_complete(client.get("/login"))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf is not None
        form = {"csrf_token": csrf.group(1), "email": "paul@example.fr", "password": PASSWORD}
        signed = loop.run_until_complete(client.post("/login", data={**form, "next": "/"}))
        assert signed.status_code == 303, signed.text
        page = loop.run_until_complete(client.get("/"))
        assert ">Aujourd'hui<" in page.text or ">Aujourd&#39;hui<" in page.text
        assert '<html lang="fr">' in page.text
        # The API accepts the language for a customer, and refuses one without a pack.
        _, token = web_auth.issue_token(sqlite_db, agent.id, "tests")
        headers = {"Authorization": f"Bearer {token}"}
        made = loop.run_until_complete(
            client.post(
                "/api/v1/customers",
                json={"name": "Claire Martin", "language": "fr"},
                headers=headers,
            )
        )
        assert made.status_code == 201, made.text
        assert made.json()["language"] == "fr"
        refused = loop.run_until_complete(
            client.post(
                "/api/v1/customers",
                json={"name": "Hans Weber", "language": "de"},
                headers=headers,
            )
        )
        assert refused.status_code == 422
        assert "de" in refused.text
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()


def test_a_new_language_adds_a_built_in_playbooks_texts(french: Path, sqlite_db: Database) -> None:
    # The whole of wrong_item's texts in French, in the pack: no built-in file is edited.
    english = (BUILTIN / "en" / "playbooks" / "wrong_item.yml").read_text(encoding="utf-8")
    (french / "playbooks" / "wrong_item.yml").write_text(
        english.replace("Dear {{ customer.first_name }},", "Bonjour {{ customer.first_name }},"),
        encoding="utf-8",
    )
    from frankly.playbooks import get_playbook

    assert get_playbook("wrong_item").languages == ("en", "es", "fr")
    assert get_playbook("late_delivery").languages == ("en", "es")
    customer = cases.add_customer(
        sqlite_db, name="Claire Martin", email="claire@example.fr", language="fr"
    )
    case = cases.open_case(
        sqlite_db,
        customer_id=customer.id,
        kind="wrong_item",
        title="Mauvais article",
        facts=facts_for("wrong_item"),
        owner_id=cases.add_agent(sqlite_db, name="Paul Durand", email="paul@example.fr").id,
    )
    made = draft(cases.show_case(sqlite_db, case.id), "first_notice", now=NOW)
    assert made.body.startswith("Bonjour Claire,")
