"""Playbooks: the nine built-ins load, are complete in both languages, and bad files are caught."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from frankly.cli import app
from frankly.errors import InvalidInput, NotFound
from frankly.playbooks import (
    CALL_PARTS,
    ENV_DIRS,
    Money,
    PlaybookInvalid,
    UnknownPlaybook,
    get_playbook,
    load_library,
    validate_dir,
)

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad_playbooks"
GOOD = DATA / "good_playbooks"
BUILTIN_IDS = {
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
runner = CliRunner()


def test_the_nine_builtin_playbooks_load_in_english_and_spanish() -> None:
    library = load_library()
    assert set(library.playbooks) == BUILTIN_IDS
    for playbook in library:
        assert playbook.languages == ("en", "es")
        assert playbook.builtin
        for stage in playbook.stages.values():
            assert set(stage.texts) == {"en", "es"}
            for text in stage.texts.values():
                assert text.email_subject and text.email_body and text.sms
                assert text.call.opening and text.call.facts and text.call.closing


def test_every_builtin_playbook_has_remedies_for_any_customer() -> None:
    # Whatever the case's conditions, the customer is offered at least one choice.
    for playbook in load_library():
        for tier in ("key", "standard"):
            for severity in ("low", "medium", "high", "critical"):
                for fault in ("ours", "partner", "customer", "outside"):
                    offered = playbook.remedies_for(tier, severity, fault)
                    assert [r for r in offered if not r.extra], (playbook.id, tier, severity)


def test_late_delivery_has_the_logistics_milestones_and_overdue_payment_the_ladder() -> None:
    late = get_playbook("late_delivery")
    assert late.cadence.milestones == (
        "handed_to_carrier",
        "at_customs",
        "documents_checked",
        "at_our_warehouse",
        "out_for_delivery",
    )
    assert late.cadence.update_every == dt.timedelta(hours=24)
    assert late.cadence.follow_up_after_days == 7
    ladder = get_playbook("overdue_payment").cadence.payment_ladder
    assert [rung.offset_days for rung in ladder] == [-3, 0, 7, 14]
    stages = get_playbook("overdue_payment").stages
    assert all(stages[rung.stage].type == "payment_reminder" for rung in ladder)
    outage = get_playbook("service_outage")
    assert outage.cadence.update_every == dt.timedelta(minutes=30)
    assert not outage.cadence.working_hours_only
    assert outage.stages["public_statement"].type == "public_statement"


def test_remedies_follow_tier_severity_and_fault() -> None:
    late = get_playbook("late_delivery")
    key = {r.id for r in late.remedies_for("key", "high", "ours")}
    standard = {r.id for r in late.remedies_for("standard", "high", "ours")}
    assert "extra_packaging" in key and "extra_packaging" not in standard
    assert "small_gift" in standard and "small_gift" not in key
    assert "express_at_our_cost" not in {r.id for r in late.remedies_for("key", "low", "customer")}
    plan = {
        r.id for r in get_playbook("overdue_payment").remedies_for("standard", "low", "customer")
    }
    assert "payment_plan" not in plan


def test_missing_facts_lists_required_facts_in_order_with_their_questions() -> None:
    late = get_playbook("late_delivery")
    missing = late.missing_facts({"order_number": "4471", "cause": "  "})
    assert [f.name for f in missing] == ["product", "promised_date", "cause"]
    assert missing[1].question_in("es") == "¿Qué fecha de entrega prometimos?"
    assert (
        late.missing_facts(
            {"order_number": "1", "product": "x", "promised_date": "2026-12-01", "cause": "y"}
        )
        == []
    )


@pytest.mark.parametrize(
    ("kind", "name", "value", "expected"),
    [
        ("late_delivery", "quantity", "100", 100),
        ("late_delivery", "promised_date", "2026-12-01", dt.date(2026, 12, 1)),
        ("late_delivery", "milestone", "at_customs", "at_customs"),
        ("billing_error", "amount_charged", "4860.00 EUR", Money(Decimal("4860.00"), "EUR")),
        ("billing_error", "amount_charged", "€1,250.50", Money(Decimal("1250.50"), "EUR")),
        ("billing_error", "amount_charged", "1.250,50 EUR", Money(Decimal("1250.50"), "EUR")),
        ("overdue_payment", "pay_link", "https://pay.example/1", "https://pay.example/1"),
        (
            "service_outage",
            "started_at",
            "2026-11-23T06:30:00+00:00",
            dt.datetime(2026, 11, 23, 6, 30, tzinfo=dt.UTC),
        ),
    ],
)
def test_coerce_facts_types_each_value(kind: str, name: str, value: str, expected: object) -> None:
    assert get_playbook(kind).coerce_facts({name: value})[name] == expected


def test_a_bare_amount_takes_the_case_currency() -> None:
    facts = get_playbook("overdue_payment").coerce_facts({"amount": "640", "currency": "GBP"})
    assert facts["amount"] == Money(Decimal("640"), "GBP")


@pytest.mark.parametrize(
    ("kind", "name", "value", "words"),
    [
        ("billing_error", "amount_charged", "abc", ["amount_charged", "money", "EUR"]),
        ("late_delivery", "quantity", "lots", ["quantity", "whole number", "quantity="]),
        ("late_delivery", "promised_date", "next week", ["promised_date", "YYYY-MM-DD"]),
        ("late_delivery", "milestone", "lost", ["milestone", "at_customs"]),
        ("overdue_payment", "pay_link", "pay.example", ["pay_link", "https://"]),
        ("service_outage", "started_at", "2026-11-23", ["started_at", "date and time"]),
    ],
)
def test_a_fact_of_the_wrong_type_is_refused_naming_fact_type_and_example(
    kind: str, name: str, value: str, words: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_playbook(kind).coerce_facts({name: value})
    assert caught.value.field == name
    for word in words:
        assert word in caught.value.message


def test_an_unknown_kind_names_the_kinds_there_are() -> None:
    with pytest.raises(UnknownPlaybook) as caught:
        get_playbook("lost_parcel")
    assert isinstance(caught.value, NotFound)
    assert "lost_parcel" in caught.value.message
    assert "late_delivery" in caught.value.message and "wrong_item" in caught.value.message


def test_a_users_folder_adds_playbooks_and_overrides_builtins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(GOOD / "missed_visit.yml", tmp_path)
    # A business's copy of a built-in, texts inline: it keeps its own words.
    source = (DATA / "inline_playbooks" / "late_delivery.yml").read_text(encoding="utf-8")
    (tmp_path / "late_delivery.yml").write_text(
        source.replace("en: Late delivery", "en: Late delivery (our way)"), encoding="utf-8"
    )
    library = load_library([tmp_path])
    assert "missed_visit" in library and not library.get("missed_visit").builtin
    assert library.get("late_delivery").title["en"] == "Late delivery (our way)"
    assert not library.get("late_delivery").builtin
    monkeypatch.setenv(ENV_DIRS, str(tmp_path))
    assert get_playbook("missed_visit").id == "missed_visit"
    monkeypatch.delenv(ENV_DIRS)
    assert "missed_visit" not in load_library()


def test_an_edited_user_playbook_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    target = tmp_path / "missed_visit.yml"
    shutil.copy(GOOD / "missed_visit.yml", target)
    assert load_library([tmp_path]).get("missed_visit").title["en"] == "Missed visit"
    text = target.read_text(encoding="utf-8").replace("en: Missed visit", "en: Missed call-out")
    target.write_text(text, encoding="utf-8")
    os.utime(target, (target.stat().st_atime, target.stat().st_mtime + 5))
    assert load_library([tmp_path]).get("missed_visit").title["en"] == "Missed call-out"


# Each bad file holds one mistake: the reason we expect and the line it is on.
BAD_CASES = {
    "yaml_syntax": ("YAML syntax error", 4),
    "unknown_field": ("unknown field 'colour'", 13),
    "wrong_type": ("wrong type for cadence.update_every", 45),
    "wrong_fact_type": ("'timestamp' is not one of", 16),
    "undefined_fact": ("uses 'tracking_number', which is not a fact", 55),
    "missing_language": ("stage 'first_notice' has no 'es'", 48),
    "long_sms": ("the SMS of stage first_notice (en) is", 69),
    "template_syntax": ("template syntax error in remedies.0.text.en", 34),
    "unknown_policy": ("unknown policy 'visit_terms'", 43),
    "unguarded_action": ("states an action or a check ('What we are doing: we have checked", 57),
}


def test_every_bad_file_has_a_case_here() -> None:
    assert {p.stem for p in BAD.glob("*.yml")} == set(BAD_CASES)


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_validate_reports_each_bad_input_with_file_line_and_reason(
    name: str, tmp_path: Path
) -> None:
    shutil.copy(BAD / f"{name}.yml", tmp_path)
    valid, problems = validate_dir(tmp_path)
    reason, line = BAD_CASES[name]
    assert valid == []
    assert problems, name
    first = problems[0]
    assert first.file.endswith(f"{name}.yml")
    assert reason in first.reason
    assert first.line == line


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_cli_validate_exits_1_and_prints_where(name: str, tmp_path: Path) -> None:
    shutil.copy(BAD / f"{name}.yml", tmp_path)
    result = runner.invoke(app, ["playbooks", "validate", str(tmp_path)])
    assert result.exit_code == 1
    reason, line = BAD_CASES[name]
    assert f"{name}.yml:{line}: " in result.output
    assert reason in " ".join(result.output.split())


def test_a_bad_user_playbook_stops_loading_with_every_problem(tmp_path: Path) -> None:
    for name in ("unknown_field", "undefined_fact"):
        shutil.copy(BAD / f"{name}.yml", tmp_path)
    with pytest.raises(PlaybookInvalid) as caught:
        load_library([tmp_path])
    assert len(caught.value.problems) == 2
    assert "unknown_field.yml:13" in caught.value.message


def test_validate_accepts_a_good_folder_and_checks_a_missing_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["playbooks", "validate", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "1 valid playbook(s)" in result.output and "missed_visit" in result.output
    result = runner.invoke(app, ["playbooks", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "No such folder" in result.output


def test_cli_list_and_show() -> None:
    result = runner.invoke(app, ["playbooks", "list", "--json"])
    assert result.exit_code == 0
    assert {p["id"] for p in json.loads(result.output)} == BUILTIN_IDS
    result = runner.invoke(app, ["playbooks", "show", "late_delivery", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "Entrega con retraso" in result.output
    assert "promised_date" in result.output and "handed_to_carrier" in result.output
    flat = " ".join(result.output.split())
    assert "follow-up discount code: 10%, valid 90 days" in flat
    assert "a milestone is stuck after: 3 d" in flat
    result = runner.invoke(app, ["playbooks", "show", "overdue_payment"])
    assert "follow-up discount code: none" in " ".join(result.output.split())
    result = runner.invoke(app, ["playbooks", "show", "late_delivery", "--lang", "es", "--json"])
    shown = json.loads(result.output)
    questions = {f["name"]: f["question"]["es"] for f in shown["facts"]}
    assert questions["promised_date"] == "¿Qué fecha de entrega prometimos?"
    assert shown["title"] == "Entrega con retraso"
    result = runner.invoke(app, ["playbooks", "show", "lost_parcel"])
    assert result.exit_code == 1
    assert "late_delivery" in result.output
    result = runner.invoke(app, ["playbooks", "show", "late_delivery", "--lang", "fr"])
    assert result.exit_code == 2


def test_cli_list_includes_a_folder_given_with_playbooks() -> None:
    result = runner.invoke(app, ["playbooks", "list", "--playbooks", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "missed_visit" in result.output


def test_call_parts_are_the_ones_the_issue_names() -> None:
    assert CALL_PARTS == (
        "opening",
        "facts",
        "admission",
        "options",
        "questions",
        "calm",
        "closing",
    )


def test_the_public_api_changes_only_on_purpose() -> None:
    import frankly.compose
    import frankly.playbooks

    assert {
        "load_library",
        "get_playbook",
        "validate_dir",
        "Playbook",
        "Library",
        "FactSpec",
        "Cadence",
        "UnknownPlaybook",
        "MissingFacts",
        "NoText",
        "PlaybookInvalid",
    } <= set(frankly.playbooks.__all__)
    assert set(frankly.compose.__all__) == {
        "CaseInfo",
        "Draft",
        "Formatter",
        "Party",
        "Recorded",
        "When",
        "WorkingHours",
        "draft",
        "next_update_time",
        "recorded_from",
        "render_sample",
    }


@settings(max_examples=200, deadline=None)
@given(
    kind_and_fact=st.sampled_from(
        [
            ("late_delivery", "quantity"),
            ("late_delivery", "promised_date"),
            ("late_delivery", "milestone"),
            ("billing_error", "amount_charged"),
            ("overdue_payment", "pay_link"),
            ("service_outage", "started_at"),
            ("late_delivery", "cause"),
        ]
    ),
    value=st.text(max_size=40),
)
def test_any_text_as_a_fact_is_typed_or_refused_never_a_crash(
    kind_and_fact: tuple[str, str], value: str
) -> None:
    kind, name = kind_and_fact
    try:
        get_playbook(kind).coerce_facts({name: value})
    except InvalidInput as exc:
        assert exc.field == name and name in exc.message
