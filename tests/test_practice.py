"""Practice: a trainee rehearses a scenario against the simulated customer, in the CLI and
the browser, in English and Spanish; the session is scored like a rubric and kept; nothing
reaches the case register."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from frankly import practice
from frankly.cli import app
from frankly.errors import InvalidInput, NotFound
from frankly.store import Database
from frankly.store.cadence_models import OutboxJob
from frankly.store.models import Case, Event, Message

from .test_web import Site, site  # noqa: F401  (the fixture)

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
KINDS = {
    "billing_error",
    "defective_product",
    "late_delivery",
    "overdue_payment",
    "overpromised",
    "poor_results",
    "return_refused",
    "service_outage",
    "wrong_item",
}
GOOD_EN = [
    "I'm sorry, this is our mistake: our warehouse loaded your pallet on the wrong lorry. "
    "Your order arrives on Friday before noon. I'll call you on Thursday at 10:00 to confirm "
    "the slot; my direct line is 020 7946 0000.",
    "You can choose: we send 20 chairs by express tomorrow at our cost, or we take £250 off "
    "the invoice. Either way we pay for it.",
    "I'll call you on Thursday at 10:00 as promised, with the delivery slot.",
]
BAD_EN = [
    "Unfortunately the courier has let us down and there is nothing we can do. "
    "These things happen.",
    "As a goodwill gesture we can offer a voucher.",
    "Please calm down. We will update you soon.",
    "It's not our fault, it's the courier's.",
]
GOOD_ES = [
    "Lo siento, ha sido error nuestro: el almacén cargó su palé en el camión equivocado. El "
    "pedido le llega el viernes antes de las 12:00. Le llamo el jueves a las 10:00 para "
    "confirmarle la franja; mi teléfono directo es el 910 000 111.",
    "Puede elegir: le mandamos mañana 20 sillas por urgente a nuestra costa, o le descontamos "
    "250 € de la factura. Lo pagamos nosotros en los dos casos.",
    "Le llamo el jueves a las 10:00, como le prometí, con la franja de entrega.",
]


def _run(key: str, temperament: str, turns: list[str], seed: int = 5) -> tuple[object, object]:
    scenario = practice.load_scenarios()[key]
    state = practice.begin(scenario, temperament, seed)
    signals = []
    for text in turns:
        reaction = practice.respond(scenario, state, text, now=NOW)
        signals.append(reaction.signals)
        if reaction.ended:
            break
    result = practice.score(
        signals, turns[: len(signals)], options_expected=scenario.options_expected
    )
    return state, result


# --- scenarios as data ---------------------------------------------------------------------


def test_every_kind_ships_in_both_languages_with_two_temperaments() -> None:
    found = practice.load_scenarios()
    assert len(found) >= 18
    for lang in ("en", "es"):
        kinds = {s.kind for k, s in found.items() if k.startswith(f"{lang}/")}
        assert kinds >= KINDS, f"{lang} lacks {sorted(KINDS - kinds)}"
    assert all(len(s.temperaments) >= 2 for s in found.values())


def test_practice_validate_accepts_the_shipped_scenarios_and_names_a_bad_one(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["practice", "validate"])
    assert ok.exit_code == 0, ok.output
    assert "18 scenario(s) valid" in ok.output or "scenario(s) valid" in ok.output
    shipped = practice.load_scenarios()["en/wrong_item"].source
    bad = tmp_path / "wrong_item.yml"
    text = shipped.read_text(encoding="utf-8").replace("anger: 1", "anger: 7", 1)
    bad.write_text(text, encoding="utf-8")
    refused = runner.invoke(app, ["practice", "validate", str(bad)])
    assert refused.exit_code == 2
    assert "wrong_item.yml" in refused.output and "anger" in refused.output
    unknown = tmp_path / "unknown_fact.yml"
    unknown.write_text(
        shipped.read_text(encoding="utf-8").replace("Order {order}", "Order {ticket}"), "utf-8"
    )
    refused = runner.invoke(app, ["practice", "validate", str(unknown)])
    assert refused.exit_code == 2 and "{ticket} is not a fact" in refused.output


def test_a_business_pack_adds_its_own_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = practice.load_scenarios()["en/wrong_item"].source
    folder = tmp_path / "packs" / "en" / "practice" / "scenarios"
    folder.mkdir(parents=True)
    (tmp_path / "packs" / "en" / "pack.yml").write_text("code: en\n", encoding="utf-8")
    text = shipped.read_text(encoding="utf-8").replace("id: wrong_item", "id: missing_part")
    (folder / "missing_part.yml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("FRANKLY_LANGUAGE_DIRS", str(tmp_path / "packs"))
    assert "en/missing_part" in practice.load_scenarios("en")


# --- the customer reacts like a real one ---------------------------------------------------


def test_a_candid_trainee_calms_the_customer_until_they_accept() -> None:
    state, result = _run("en/late_delivery", "polite_fury", GOOD_EN)
    assert state.outcome == "accepted"
    assert result.overall >= 75 and result.medal in ("silver", "gold")
    rated = {i.practice: i.rating for i in result.items}
    assert rated["P8"] == rated["P3"] == rated["P11"] == "good"


def test_blame_spin_and_weak_offers_drive_the_customer_away() -> None:
    state, result = _run("en/late_delivery", "sarcastic", BAD_EN)
    assert state.outcome == "walked_away" or state.anger == 3
    assert state.manager_asked  # "I want your manager" before leaving
    assert result.overall < 50
    rated = {i.practice: i for i in result.items}
    assert rated["P11"].rating == "poor"
    assert any("voucher" in e.words for e in rated["P11"].evidence)
    assert rated["P10"].rating in ("fair", "poor")  # "calm down", "these things happen"


def test_a_spanish_conversation_runs_to_its_end() -> None:
    state, result = _run("es/late_delivery", "polite_fury", GOOD_ES)
    assert state.outcome == "accepted"
    assert result.overall >= 75
    scenario = practice.load_scenarios()["es/late_delivery"]
    fresh = practice.begin(scenario, "sarcastic", 3)
    reaction = practice.respond(scenario, fresh, "Tranquilícese. Estas cosas pasan.", now=NOW)
    assert reaction.direction == "angrier"
    spanish = [t for lines in scenario.lines["sarcastic"].values() for t in lines]
    assert any(reaction.line.startswith(t.split("{")[0]) for t in spanish)


def test_an_unanswered_question_is_chased_and_costs_patience() -> None:
    scenario = practice.load_scenarios()["en/billing_error"]
    state = practice.begin(scenario, "polite_fury", 1)
    before = state.patience
    reaction = practice.respond(scenario, state, "Thank you for your message.", now=NOW)
    assert "unanswered" in {s.name for s in reaction.signals}
    assert reaction.reaction == "chase"
    assert state.patience < before


def test_moving_a_promised_time_later_is_a_critical_failure() -> None:
    turns = [
        "I'm sorry, our warehouse put your pallet on the wrong lorry: our mistake. I'll call "
        "you tomorrow at 10:00 with the new delivery date. My line is 020 7946 0022.",
        "I'll call you on Friday at 16:00 instead.",
    ]
    _, result = _run("en/late_delivery", "sarcastic", turns)
    p3 = next(i for i in result.items if i.practice == "P3")
    assert p3.rating == "poor" and p3.failed_critical
    assert result.overall < 50


def test_the_same_seed_gives_the_same_conversation() -> None:
    one, _ = _run("en/overpromised", "threatening", BAD_EN, seed=11)
    two, _ = _run("en/overpromised", "threatening", BAD_EN, seed=11)
    assert one.to_dict() == two.to_dict()


def test_bad_turns_are_refused_clearly() -> None:
    scenario = practice.load_scenarios()["en/wrong_item"]
    state = practice.begin(scenario, "terse", 1)
    with pytest.raises(InvalidInput, match="empty"):
        practice.respond(scenario, state, "   ")
    with pytest.raises(InvalidInput, match="at most"):
        practice.respond(scenario, state, "x" * 6000)
    with pytest.raises(InvalidInput, match="no temperament"):
        practice.begin(scenario, "jolly", 1)
    assert state.turn == 0  # nothing moved


# --- realism and spread, on frozen sets -----------------------------------------------------

FROZEN = {
    "practice_realism_en.yml": "9956457c51cc67c6701d1b8aacc46e4e0480672b7810ac0edd635941ba28327b",
    "practice_realism_es.yml": "aa053f2afb0d0108a6bbec3fbf9215fc5cd8f4c7307f68a5f645121dcdf30193",
}


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_the_realism_sets_are_frozen_and_large_enough(name: str) -> None:
    path = DATA / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FROZEN[name]
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    assert len(items) >= 100
    assert {i["expect"] for i in items} == {"calmer", "same", "angrier"}


def test_scores_spread_good_above_average_above_poor() -> None:
    data = yaml.safe_load((DATA / "practice_transcripts.yml").read_text(encoding="utf-8"))
    by_level: dict[str, list[int]] = {"good": [], "average": [], "poor": []}
    for t in data["transcripts"]:
        _, result = _run(t["s"], t["t"], t["turns"])
        by_level[t["level"]].append(result.overall)
    good, average, poor = (sum(v) / len(v) for v in by_level.values())
    assert good > average > poor
    assert min(by_level["good"]) > max(by_level["poor"])


# --- sessions in the database, apart from the register -------------------------------------


def _register_counts(db: Database) -> tuple[int, ...]:
    with db.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Case, Message, Event, OutboxJob)
        )


def test_sessions_are_kept_scored_and_never_touch_the_register(db: Database) -> None:
    before = _register_counts(db)
    view = practice.start_session(
        db, "en/late_delivery", trainee="ana@example.com", temperament="polite_fury", seed=5
    )
    assert view.turns[0]["customer"] and not view.ended
    for text in GOOD_EN:
        view = practice.take_turn(db, view.id, text, trainee="ana@example.com")
        if view.ended:
            break
    assert view.outcome == "accepted" and view.score is not None and view.score >= 75
    assert next(t for t in view.turns if "trainee" in t)["signals"]
    with pytest.raises(InvalidInput, match="has ended"):
        practice.take_turn(db, view.id, "more", trainee="ana@example.com")
    other = practice.start_session(db, "es/wrong_item", trainee="bo@example.com", seed=1)
    with pytest.raises(practice.NotYours):
        practice.take_turn(db, other.id, "hola", trainee="ana@example.com")
    stopped = practice.end_session(db, other.id, trainee="bo@example.com")
    assert stopped.outcome == "stopped" and stopped.score is not None
    assert _register_counts(db) == before
    mine = practice.progress(db, "ana@example.com")
    assert mine.sessions == 1 and mine.finished == 1 and mine.weakest in mine.by_practice
    assert mine.suggestion is not None and mine.suggestion.startswith("en/")
    assert {p.trainee for p in practice.team_progress(db)} == {
        "ana@example.com",
        "bo@example.com",
    }
    with pytest.raises(NotFound):
        practice.get_session(db, 9999)


# --- the CLI ---------------------------------------------------------------------------------


def test_a_trainee_runs_a_scenario_to_its_end_in_the_cli(use_sqlite_db: Database) -> None:
    runner = CliRunner()
    turns = "\n\n".join(GOOD_ES) + "\n"
    done = runner.invoke(
        app,
        ["practice", "run", "es/late_delivery", "--seed", "5", "--temperament", "polite_fury"],
        input=turns,
        env={"FRANKLY_AUTHOR": "lucia@example.com"},
    )
    assert done.exit_code == 0, done.output
    assert "Un pedido mayorista" in done.output  # the Spanish scenario's title
    assert "The customer accepted your next step." in done.output
    assert "P8" in done.output and "Score:" in done.output
    number = done.output.rsplit("session ", 1)[1].split()[0]
    shown = runner.invoke(app, ["practice", "show", number])
    assert shown.exit_code == 0 and "named the next update" in shown.output
    progress = runner.invoke(
        app, ["practice", "progress", "--json"], env={"FRANKLY_AUTHOR": "lucia@example.com"}
    )
    assert progress.exit_code == 0 and '"finished": 1' in progress.output
    missing = runner.invoke(app, ["practice", "run", "fr/late_delivery"], input="")
    assert missing.exit_code == 1 and "No practice scenario" in missing.output


# --- the Practice page -------------------------------------------------------------------


def test_the_practice_page_runs_a_session_for_its_trainee_only(site: Site) -> None:  # noqa: F811
    lucia = site.signed_in("lucia@northwind.example")
    home = lucia.get("/practice")
    assert home.status_code == 200 and "Práctica" in home.text  # her interface is Spanish
    started = lucia.form(
        "/practice/start", {"scenario": "es/late_delivery", "temperament": "polite_fury"}
    )
    assert started.status_code == 303
    url = started.headers["location"]
    page = lucia.get(url)
    assert "Lo que usted sabe" in page.text and "turn-form" in page.text
    empty = lucia.form(f"{url}/turn", {"text": " "})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    for text in GOOD_ES:
        answered = lucia.form(f"{url}/turn", {"text": text})
        assert answered.status_code == 303
        page = lucia.get(url)
        if 'id="rubric"' in page.text:
            break
    if 'id="rubric"' not in page.text:  # the customer (chosen by chance) wants more: stop
        assert lucia.form(f"{url}/end", {}).status_code == 303
        page = lucia.get(url)
    assert 'id="rubric"' in page.text and "Puntuación" in page.text
    assert "fijó la próxima noticia" in page.text  # the signals, in her language
    james = site.signed_in("james@northwind.example")
    assert james.get(url).status_code == 403  # an agent cannot read a colleague's session
    maria = site.signed_in("maria@northwind.example")  # a manager sees her team's
    assert maria.get(url).status_code == 200
    assert "lucia@northwind.example" in maria.get("/practice").text
