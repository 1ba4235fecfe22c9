"""Cadence settings a playbook sets for its kind, over the business-wide defaults.

The follow-up's thank-you code, reminders and milestone updates that go out by themselves,
and how long a milestone may stand still: each is optional in the playbook; what it leaves
out comes from the environment (or the built-in default).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from frankly import cases
from frankly.cadence import run_due, settings_for, today
from frankly.playbooks import builtin_dir, get_playbook, validate_dir
from frankly.store import Database

from .test_cadence import NOW, D, H, open_late, overdue, people, resolved, send


def own_playbook(folder: Path, monkeypatch: pytest.MonkeyPatch, kind: str, **cadence: Any) -> Path:
    """A copy of the built-in ``kind`` with ``cadence`` fields changed, made the business's own."""
    data = yaml.safe_load((builtin_dir() / f"{kind}.yml").read_text(encoding="utf-8"))
    data["cadence"].update(cadence)
    for key in [k for k, v in data["cadence"].items() if v is None]:
        del data["cadence"][key]
    folder.mkdir(exist_ok=True)
    path = folder / f"{kind}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("FRANKLY_PLAYBOOKS_DIRS", str(folder))
    return path


def test_the_built_in_playbooks_set_what_their_kind_needs() -> None:
    late = get_playbook("late_delivery").cadence
    assert late.milestone_stuck_after == dt.timedelta(days=3)
    assert late.follow_up_discount is not None and late.follow_up_discount.percent == 10
    assert late.follow_up_discount.enabled is None  # the business turns codes on
    payment = get_playbook("overdue_payment").cadence
    assert payment.follow_up_discount is not None and payment.follow_up_discount.enabled is False
    assert payment.auto_send_reminders is None  # the business decides
    assert get_playbook("wrong_item").cadence.follow_up_discount is None


@pytest.mark.parametrize(
    ("env", "playbook", "expected"),
    [
        ({}, {}, (0, False, dt.timedelta(days=3))),
        ({"FRANKLY_FOLLOW_UP_DISCOUNT": "20"}, {}, (20, False, dt.timedelta(days=3))),
        ({"FRANKLY_AUTO_SEND_REMINDERS": "1"}, {}, (0, True, dt.timedelta(days=3))),
        ({}, {"follow_up_discount": {"enabled": True}}, (10, False, dt.timedelta(days=3))),
        (
            {"FRANKLY_FOLLOW_UP_DISCOUNT": "20"},
            {"follow_up_discount": {"percent": 15}},
            (15, False, dt.timedelta(days=3)),
        ),
        (
            {"FRANKLY_FOLLOW_UP_DISCOUNT": "20"},
            {"follow_up_discount": {"enabled": False}},
            (0, False, dt.timedelta(days=3)),
        ),
        (
            {"FRANKLY_AUTO_SEND_REMINDERS": "1"},
            {"auto_send_reminders": False},
            (0, False, dt.timedelta(days=3)),
        ),
        (
            {},
            {"auto_send_reminders": True, "milestone_stuck_after": "36h"},
            (0, True, dt.timedelta(hours=36)),
        ),
    ],
    ids=[
        "defaults",
        "business-codes",
        "business-reminders",
        "playbook-turns-codes-on",
        "playbook-percent-wins",
        "playbook-turns-codes-off",
        "playbook-keeps-reminders-for-people",
        "playbook-sends-reminders-and-is-impatient",
    ],
)
def test_a_playbook_overrides_the_business_defaults(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    playbook: dict[str, Any],
    expected: tuple[int, bool, dt.timedelta],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # wrong_item sets none of these itself: what it says is only what this test adds.
    own_playbook(tmp_path / "mine", monkeypatch, "wrong_item", **playbook)
    rules = settings_for("wrong_item")
    got = (rules.discount_percent, rules.auto_send_reminders, rules.milestone_stuck_after)
    assert got == expected


@pytest.mark.parametrize(
    ("cadence", "error"),
    [
        ({"follow_up_discount": {"percent": 150}}, "follow_up_discount.percent"),
        ({"follow_up_discount": {"colour": "red"}}, "colour"),
        ({"milestone_stuck_after": "3 days"}, "milestone_stuck_after"),
        ({"auto_send_reminders": "sometimes"}, "auto_send_reminders"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cadence: dict[str, Any], error: str
) -> None:
    path = own_playbook(tmp_path / "mine", monkeypatch, "late_delivery", **cadence)
    valid, problems = validate_dir(path.parent)
    assert valid == []
    assert any(error in str(p) and "late_delivery.yml" in str(p) for p in problems), problems


def test_the_playbooks_discount_goes_with_the_follow_up(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRANKLY_FOLLOW_UP_DISCOUNT", raising=False)
    own_playbook(
        tmp_path / "mine",
        monkeypatch,
        "late_delivery",
        follow_up_discount={"enabled": True, "percent": 15, "valid_days": 30},
    )
    case_id, _ = resolved(db, NOW - 8 * D)
    run_due(db, NOW - 7 * D - H)
    assert run_due(db, NOW).drafted == 1
    [code] = cases.list_codes(db, case_id=case_id)
    assert code.percent == 15 and code.expires_at == NOW + dt.timedelta(days=30)
    [draft] = [m for m in cases.show_case(db, case_id).messages if m.status == "draft"]
    assert code.code in draft.body and "15%" in draft.body


def test_a_late_payer_gets_no_code_even_where_the_business_offers_them(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRANKLY_FOLLOW_UP_DISCOUNT", "10")
    case_id = overdue(sqlite_db, due="2026-11-10")
    cases.record_facts(sqlite_db, case_id, {"paid": True}, at=NOW - 9 * D)
    send(sqlite_db, case_id, NOW - 9 * D)
    cases.change_state(sqlite_db, case_id, "resolved", at=NOW - 8 * D)
    run_due(sqlite_db, NOW - 8 * D)
    assert run_due(sqlite_db, NOW).drafted == 1  # the follow-up, without a code
    assert cases.list_codes(sqlite_db, case_id=case_id) == []


def test_reminders_the_playbook_sends_by_themselves(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRANKLY_AUTO_SEND_REMINDERS", raising=False)
    own_playbook(tmp_path / "mine", monkeypatch, "overdue_payment", auto_send_reminders=True)
    case_id = overdue(sqlite_db)
    run_due(sqlite_db, NOW)
    report = run_due(sqlite_db, dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC))
    assert (report.drafted, report.sent) == (1, 1)
    statuses = [m.status for m in cases.show_case(sqlite_db, case_id).messages]
    assert statuses == ["queued"]


def test_reminders_the_playbook_keeps_for_a_person_despite_the_business_default(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRANKLY_AUTO_SEND_REMINDERS", "1")
    own_playbook(tmp_path / "mine", monkeypatch, "overdue_payment", auto_send_reminders=False)
    case_id = overdue(sqlite_db)
    run_due(sqlite_db, NOW)
    report = run_due(sqlite_db, dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC))
    assert (report.drafted, report.sent) == (1, 0)
    assert [m.status for m in cases.show_case(sqlite_db, case_id).messages] == ["draft"]


def test_milestone_updates_go_out_by_themselves_where_the_playbook_says(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    drafted = cases.record_milestone(db, case_id, "handed_to_carrier", happened_at=NOW - H, at=NOW)
    assert drafted.message is not None and drafted.message.status == "draft"
    own_playbook(tmp_path / "mine", monkeypatch, "late_delivery", auto_send_updates=True)
    sent = cases.record_milestone(db, case_id, "at_customs", happened_at=NOW, at=NOW)
    assert sent.message is not None and sent.message.status == "queued"
    view = cases.show_case(db, case_id)
    approved = [e for e in view.events if e.kind == "message_approved"]
    assert [e.payload["message_id"] for e in approved] == [sent.message.id]
    assert "automatic" in approved[0].author
    assert cases.get_message(db, drafted.message.id).status == "draft"


def test_the_playbook_says_how_long_a_milestone_may_stand_still(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, agent, customer = people(sqlite_db)
    case_id = open_late(sqlite_db, customer, agent, known=NOW - 10 * D)
    send(sqlite_db, case_id, NOW - 9 * D)
    cases.record_milestone(
        sqlite_db, case_id, "at_customs", happened_at=NOW - 2 * D, draft_update=False
    )
    assert run_due(sqlite_db, NOW).triggers == 0  # the built-in waits three days
    own_playbook(tmp_path / "mine", monkeypatch, "late_delivery", milestone_stuck_after="1d")
    assert run_due(sqlite_db, NOW).triggers == 1
    [row] = today(sqlite_db, now=NOW)
    assert row.kind == "tell_now" and "at customs" in row.why
