"""Cadence: the day's list, promises kept and missed, triggers, milestones, the payment
ladder, follow-ups with codes, lessons-learned reviews."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from frankly import Conflict, InvalidInput, NotFound, cases
from frankly.cadence import (
    CadenceTextInvalid,
    find_promise,
    headline,
    import_milestones,
    load_demo_cadence,
    parse_when,
    run_due,
    settings_for,
    texts,
    today,
)
from frankly.cli import app
from frankly.demo import load_demo
from frankly.packs import builtin_dir
from frankly.playbooks.cadence_texts import load_file
from frankly.store import Database, utcnow

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def people(db: Database, language: str = "en") -> tuple[int, int, int]:
    """(manager id, agent id, customer id)."""
    manager = cases.add_agent(db, name="Maria Lopez", email="maria@n.example", role="manager")
    agent = cases.add_agent(
        db,
        name="James Carter",
        email="james@n.example",
        phone="+44 20 7946 0102",
        manager_id=manager.id,
    )
    customer = cases.add_customer(
        db,
        name="Sarah Mitchell",
        company="Acme Retail",
        email="sarah@acme.example",
        language=language,
        timezone="Europe/London",
    )
    return manager.id, agent.id, customer.id


def open_late(
    db: Database,
    customer_id: int,
    owner_id: int | None,
    *,
    known: dt.datetime = NOW - 2 * H,
    severity: str = "high",
    facts: dict[str, object] | None = None,
    title: str = "Order 4471 held at customs",
    kind: str = "late_delivery",
) -> int:
    return cases.open_case(
        db,
        customer_id=customer_id,
        kind=kind,
        title=title,
        severity=severity,
        owner_id=owner_id,
        facts=facts or {},
        known_at=known,
        at=known,
    ).id


def send(
    db: Database, case_id: int, at: dt.datetime, next_update_at: dt.datetime | None = None
) -> int:
    message = cases.add_message(
        db,
        case_id,
        direction="out",
        body="News on your order.",
        subject="News",
        at=at,
        next_update_at=next_update_at,
    )
    cases.approve_message(db, message.id, at=at)
    cases.mark_sent(db, message.id, at=at)
    return message.id


def row_kinds(db: Database, now: dt.datetime = NOW, **options: object) -> list[tuple[int, str]]:
    return [(r.case_id, r.kind) for r in today(db, now=now, **options)]  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the day's list


def test_a_case_nobody_has_told_is_on_top_and_late_once_the_window_passes(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    [row] = today(db, now=NOW)
    assert (row.kind, row.alarm) == ("first_notice", False)
    assert row.text == (
        "Tell Acme Retail about Order 4471 held at customs — "
        "2 hr since we knew; the playbook says within 4 hr"
    )
    [late] = today(db, now=NOW + 3 * H)
    assert (late.kind, late.alarm) == ("late_to_tell", True)
    assert "5 hr since we knew" in late.why and late.why.endswith("Late")
    send(db, case_id, NOW + 3 * H)
    assert today(db, now=NOW + 4 * H) == []


def test_the_list_puts_broken_promises_first_then_the_most_severe(db: Database) -> None:
    _, agent, customer = people(db)
    quiet = open_late(db, customer, agent, severity="low", title="Low", known=NOW - H)
    severe = open_late(db, customer, agent, severity="critical", title="Critical", known=NOW - H)
    late = open_late(db, customer, agent, title="Late to tell", known=NOW - 9 * H)
    promised = open_late(db, customer, agent, title="Promised", known=NOW - 3 * D)
    send(db, promised, NOW - 2 * D, next_update_at=NOW - 2 * H)  # due two hours ago
    order = row_kinds(db)
    assert order == [
        (promised, "missed"),
        (late, "late_to_tell"),
        (severe, "first_notice"),
        (quiet, "first_notice"),
    ]
    missed = today(db, now=NOW)[0]
    assert missed.action == "Send Acme Retail the update we promised on Promised"
    assert "that was 2 hr ago" in missed.why


def test_the_list_speaks_the_agents_language_and_shows_their_cases(db: Database) -> None:
    _, agent, customer = people(db)
    other = cases.add_agent(db, name="Lucía", email="lucia@n.example", language="es")
    open_late(db, customer, agent, title="For James")
    theirs = open_late(db, customer, other.id, title="Pedido 8812 retrasado")
    unowned = open_late(db, customer, None, title="Nobody's yet")
    rows = today(db, other.id, now=NOW)
    assert {r.case_id for r in rows} == {theirs, unowned}
    spanish = next(r for r in rows if r.case_id == theirs)
    assert spanish.action == "Avise a Acme Retail sobre Pedido 8812 retrasado"
    assert spanish.why == "hace 2 h que lo sabemos; el manual dice en menos de 4 h"


def test_promises_due_soon_unanswered_mail_and_drafts_are_listed(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent, known=NOW - 2 * D)
    send(db, case_id, NOW - D, next_update_at=NOW + 2 * H)
    assert row_kinds(db) == [(case_id, "due")]
    cases.add_message(db, case_id, direction="in", body="Any news?", at=NOW - H)
    draft = cases.add_message(db, case_id, direction="out", body="Yes: it left customs.", at=NOW)
    [row] = today(db, now=NOW)
    assert row.kind == "due" and row.why.startswith("due Mon 23 Nov 12:00, in 2 hr")
    assert [r.kind for r in row.also] == ["unanswered", "draft"]
    assert row.message_id == draft.id  # the draft to approve, one click away
    cases.approve_message(db, draft.id, at=NOW)
    cases.mark_sent(db, draft.id, at=NOW)
    assert today(db, now=NOW) == []
    commitment = cases.show_case(db, case_id).commitments[0]
    assert commitment.status == "kept"


# ---------------------------------------------------------------------------- triggers


def test_a_new_eta_after_the_promised_date_raises_the_case_once(db: Database) -> None:
    _, agent, customer = people(db)
    facts = {"promised_date": "2026-11-20", "new_eta": "2026-11-19"}
    case_id = open_late(db, customer, agent, facts=facts, known=NOW - 3 * D)
    send(db, case_id, NOW - 2 * D)
    assert run_due(db, NOW).triggers == 0  # the new date keeps the promise
    cases.record_facts(db, case_id, {"new_eta": "2026-11-27"}, at=NOW - H)
    assert run_due(db, NOW).triggers == 1
    assert run_due(db, NOW).triggers == 0  # once per broken promise
    [row] = today(db, now=NOW)
    assert (row.kind, row.alarm) == ("tell_now", True)
    assert row.why.startswith(
        "the new delivery date 2026-11-27 is after the date we promised, 2026-11-20"
    )
    send(db, case_id, NOW + H)
    assert today(db, now=NOW + 2 * H) == []


def test_an_unpaid_invoice_past_its_due_date_fires(sqlite_db: Database) -> None:
    _, agent, customer = people(sqlite_db)
    case_id = open_late(
        sqlite_db,
        customer,
        agent,
        kind="overdue_payment",
        title="Invoice INV-1 unpaid",
        facts={"invoice_number": "INV-1", "amount": "100.00", "due_date": "2026-11-22"},
        known=NOW - 3 * D,
    )
    send(sqlite_db, case_id, NOW - 3 * D)
    run_due(sqlite_db, NOW)
    fired = [e for e in cases.show_case(sqlite_db, case_id).events if e.kind == "trigger_fired"]
    assert [e.payload["key"] for e in fired] == ["payment_overdue:2026-11-22"]
    assert fired[0].payload["reason"] == "invoice INV-1 was due on 2026-11-22 and is not paid"


def test_a_stuck_milestone_fires(sqlite_db: Database) -> None:
    _, agent, customer = people(sqlite_db)
    case_id = open_late(sqlite_db, customer, agent, known=NOW - 10 * D)
    send(sqlite_db, case_id, NOW - 9 * D)
    cases.record_milestone(
        sqlite_db,
        case_id,
        "at_customs",
        happened_at=NOW - 4 * D,
        draft_update=False,
        at=NOW - 4 * D,
    )
    run_due(sqlite_db, NOW)
    [row] = today(sqlite_db, now=NOW)
    assert row.kind == "tell_now"
    assert row.why.startswith("no movement since the goods are at customs 4 days ago")


# ---------------------------------------------------------------------------- milestones


def test_a_milestone_drafts_an_update_and_moves_the_fact(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    result = cases.record_milestone(
        db, case_id, "handed_to_carrier", happened_at=NOW - H, note="DHL 123", at=NOW
    )
    assert result.created and result.message is not None
    assert result.message.status == "draft" and result.message.stage == "update"
    assert result.message.next_update_at is not None
    again = cases.record_milestone(db, case_id, "handed_to_carrier", happened_at=NOW - H)
    assert not again.created
    view = cases.show_case(db, case_id)
    assert view.case.facts["milestone"] == "handed_to_carrier"
    kinds = [e.kind for e in view.events]
    assert kinds.count("milestone_recorded") == 1 and kinds.count("message_drafted") == 1
    assert [c.status for c in view.commitments] == ["proposed"]
    with pytest.raises(InvalidInput):
        cases.record_milestone(db, case_id, "At Customs!")
    with pytest.raises(NotFound):
        cases.record_milestone(db, 999, "at_customs")


def test_milestones_import_from_csv(use_db: Database, tmp_path: Path) -> None:
    _, agent, customer = people(use_db)
    first = open_late(use_db, customer, agent)
    second = cases.open_case(
        use_db,
        customer_id=customer,
        kind="late_delivery",
        title="B",
        owner_id=agent,
        external_ref="PO-77",
    ).id
    csv_file = tmp_path / "carrier.csv"
    csv_file.write_text(
        "case,ref,milestone,at,note\n"
        f"{first},,at_customs,2026-11-22T08:00:00+00:00,Held for papers\n"
        ",PO-77,handed_to_carrier,2026-11-22T09:00:00+00:00,\n"
        ",PO-404,at_customs,,\n"
        f"{first},,at_customs,2099-01-01T00:00:00+00:00,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["milestones", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert f"Case {first}: at_customs → update drafted" in result.output
    assert "carrier.csv:4: no case has the reference 'PO-404'" in result.output
    assert "carrier.csv:5:" in result.output and "in the future" in result.output
    assert "2 milestone(s) recorded, 2 update(s) drafted, 0 already known" in result.output
    again = import_milestones(use_db, csv_file)
    assert (len(again.recorded), again.duplicates) == (0, 2)
    assert [m.code for m in cases.list_milestones(use_db, second)] == ["handed_to_carrier"]
    bad = tmp_path / "bad.csv"
    bad.write_text("when,where\n1,2\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["milestones", "import", str(bad)])
    assert refused.exit_code == 2 and "needs a case (or ref) column" in refused.output


# ---------------------------------------------------------------------------- the ladder


def overdue(db: Database, due: str = "2026-11-30") -> int:
    _, agent, customer = people(db)
    return open_late(
        db,
        customer,
        agent,
        kind="overdue_payment",
        title="Invoice INV-9 for £1,875.50",
        facts={
            "invoice_number": "INV-9",
            "amount": "1875.50",
            "due_date": due,
            "pay_link": "https://pay.example/INV-9",
        },
        known=NOW - H,
    )


def test_the_payment_ladder_is_scheduled_from_the_due_date(db: Database) -> None:
    case_id = overdue(db)
    report = run_due(db, NOW)
    assert report.scheduled == len(settings_for("overdue_payment").payment_ladder)
    steps = cases.list_steps(db, case_id)
    # 9:00 in the customer's time zone (London: UTC in winter), offsets from the due date.
    assert [(s.due_at.date().isoformat(), s.due_at.hour) for s in steps] == [
        ("2026-11-27", 9),
        ("2026-11-30", 9),
        ("2026-12-07", 9),
        ("2026-12-14", 9),
    ]
    before = run_due(db, dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC))
    assert before.drafted == 1
    [draft] = [m for m in cases.show_case(db, case_id).messages if m.status == "draft"]
    assert draft.stage == steps[0].stage and "INV-9" in (draft.subject or "") + draft.body
    assert "https://pay.example/INV-9" in draft.body  # the playbook wrote it
    assert draft.next_update_at is None  # a reminder promises nothing
    assert run_due(db, dt.datetime(2026, 11, 27, 9, 31, tzinfo=dt.UTC)).drafted == 0


def test_reminders_due_together_draft_once_and_stop_when_paid(sqlite_db: Database) -> None:
    case_id = overdue(sqlite_db, due="2026-11-10")  # opened late: three rungs are past
    report = run_due(sqlite_db, NOW)
    assert (report.drafted, report.skipped) == (1, 2)
    drafts = [m for m in cases.show_case(sqlite_db, case_id).messages if m.status == "draft"]
    assert [m.stage for m in drafts] == [cases.list_steps(sqlite_db, case_id)[2].stage]
    cases.record_facts(sqlite_db, case_id, {"paid": True})
    later = run_due(sqlite_db, dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC))
    assert (later.drafted, later.skipped) == (0, 1)


def test_reminders_go_out_by_themselves_where_the_business_said_so(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRANKLY_AUTO_SEND_REMINDERS", "1")
    case_id = overdue(sqlite_db)
    run_due(sqlite_db, NOW)
    report = run_due(sqlite_db, dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC))
    assert report.sent == 1
    [queued] = [m for m in cases.show_case(sqlite_db, case_id).messages if m.status == "queued"]
    assert queued.author is not None
    events = cases.show_case(sqlite_db, case_id).events
    assert any(e.kind == "message_approved" and "automatic" in e.author for e in events)


# ---------------------------------------------------------------------------- after resolution


def resolved(db: Database, at: dt.datetime) -> tuple[int, int]:
    manager, agent, customer = people(db)
    case_id = open_late(db, customer, agent, known=at - 3 * D)
    send(db, case_id, at - 2 * D)
    cases.change_state(db, case_id, "resolved", at=at)
    return case_id, manager


def test_a_follow_up_with_a_single_use_code_comes_a_week_after_resolution(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRANKLY_FOLLOW_UP_DISCOUNT", "10")
    case_id, _ = resolved(db, NOW - 8 * D)
    assert run_due(db, NOW - 7 * D - H).drafted == 0
    [step] = [s for s in cases.list_steps(db, case_id) if s.kind == "follow_up"]
    assert step.due_at == NOW - 8 * D + 7 * D
    assert run_due(db, NOW).drafted == 1
    view = cases.show_case(db, case_id)
    [draft] = [m for m in view.messages if m.status == "draft"]
    [code] = cases.list_codes(db, case_id=case_id)
    assert code.percent == 10 and code.code in draft.body
    assert "10% off your next order" in draft.body
    assert draft.next_update_at is None
    cases.approve_message(db, draft.id, at=NOW)
    cases.mark_sent(db, draft.id, at=NOW)
    assert cases.get_case(db, case_id).state == "followed_up"
    used = cases.redeem_code(db, code.code.lower(), by="checkout")
    assert used.status == "redeemed"
    with pytest.raises(Conflict, match="already used"):
        cases.redeem_code(db, code.code, by="checkout")
    with pytest.raises(NotFound):
        cases.redeem_code(db, "THANKS-NOPE")
    kinds = [e.kind for e in cases.show_case(db, case_id).events]
    assert kinds.count("code_issued") == 1 and kinds.count("code_redeemed") == 1


def test_codes_from_the_cli_refuse_a_second_use(use_db: Database) -> None:
    case_id, _ = resolved(use_db, NOW - D)
    runner = CliRunner()
    issued = runner.invoke(app, ["codes", "issue", str(case_id), "--percent", "15"])
    assert issued.exit_code == 0, issued.output
    code = issued.output.split(":")[0].strip()
    assert runner.invoke(app, ["codes", "redeem", code]).exit_code == 0
    second = runner.invoke(app, ["codes", "redeem", code])
    assert second.exit_code == 1 and "already used" in second.output
    bad = runner.invoke(app, ["codes", "issue", str(case_id), "--percent", "0"])
    assert bad.exit_code == 2


def test_a_resolved_case_gets_a_review_due_to_the_owners_manager(db: Database) -> None:
    case_id, manager = resolved(db, NOW - D)
    assert run_due(db, NOW).reviews == 1
    [(review, case)] = cases.list_reviews(db)
    assert case.id == case_id and review.reviewer_id == manager and review.status == "due"
    assert review.figures["hours_to_tell"] == 24.0
    assert review.figures["playbook_link"] == "/playbooks/late_delivery"
    rows = today(db, manager, now=NOW)
    assert [(r.kind, r.review_id) for r in rows] == [("review", review.id)]
    done = cases.complete_review(
        db,
        review.id,
        missed="We told them a day late.",
        why="The supplier's warning sat in a shared inbox.",
        changes="Supplier delays open a case automatically.",
        author="maria",
    )
    assert done.status == "done"
    assert [r.id for r, _ in cases.list_reviews(db, query="shared inbox")] == [review.id]
    assert cases.list_reviews(db, query="nothing like this") == []
    with pytest.raises(Conflict):
        cases.complete_review(db, review.id, missed="x", why="y", changes="z")
    with pytest.raises(InvalidInput):
        cases.complete_review(db, 12345, missed=" ", why="y", changes="z")
    assert today(db, manager, now=NOW) == []


def test_reviews_from_the_cli(use_db: Database) -> None:
    resolved(use_db, NOW - D)
    run_due(use_db, NOW)
    [(review, _)] = cases.list_reviews(use_db)
    runner = CliRunner()
    listed = runner.invoke(app, ["reviews", "--status", "due"])
    assert listed.exit_code == 0 and "Order 4471 held at customs" in listed.output
    done = runner.invoke(
        app,
        [
            "reviews",
            "complete",
            str(review.id),
            "--missed",
            "late notice",
            "--why",
            "no alert",
            "--changes",
            "alert on supplier mail",
        ],
    )
    assert done.exit_code == 0, done.output
    found = runner.invoke(app, ["reviews", "--search", "supplier mail", "--json"])
    assert '"status": "done"' in found.output


# ---------------------------------------------------------------------------- figures, promises


def test_the_chased_share_is_a_headline_figure(sqlite_db: Database) -> None:
    _, agent, customer = people(sqlite_db)
    chased = open_late(sqlite_db, customer, agent)
    open_late(sqlite_db, customer, agent)
    cases.record_chase(sqlite_db, chased, reason="phoned before we wrote")
    figures = headline(sqlite_db)
    assert (figures["cases"], figures["chased"], figures["chased_share"]) == (2, 1, 0.5)


@pytest.mark.parametrize(
    ("text", "lang", "zone", "expected"),
    [
        ("Sorry. I will write again by Thursday 5 pm.", "en", "UTC", "2026-11-26T17:00"),
        ("Le volveré a escribir el jueves a las 17:00.", "es", "Europe/Madrid", "2026-11-26T16:00"),
        ("Your order arrives on Friday. Thanks for your patience.", "en", "UTC", None),
    ],
)
def test_a_hand_written_promise_is_found_in_its_language(
    text: str, lang: str, zone: str, expected: str | None
) -> None:
    found = find_promise(text, lang, zone, now=NOW)
    assert (found.at.strftime("%Y-%m-%dT%H:%M") if found else None) == expected


def test_parse_when_refuses_the_past_and_nonsense() -> None:
    assert parse_when("2026-11-27T17:00", "en", "Europe/Madrid", now=NOW).hour == 16
    with pytest.raises(InvalidInput, match="in the past"):
        parse_when("2020-01-01T00:00", now=NOW)
    with pytest.raises(InvalidInput, match="Not a time"):
        parse_when("whenever suits", now=NOW)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.sampled_from(["en", "es"]))
def test_any_text_never_crashes_promise_finding(text: str, lang: str) -> None:
    found = find_promise(text, lang, "UTC", now=NOW)
    assert found is None or found.at > NOW


# ---------------------------------------------------------------------------- words as data


def test_every_language_has_the_same_words() -> None:
    english = texts("en")
    for lang in ("es",):
        other = texts(lang)
        assert set(other["today"]) == set(english["today"])
        assert set(other["triggers"]) == set(english["triggers"])
        assert set(other["messages"]) == set(english["messages"])
        assert set(other["milestones"]) == set(english["milestones"])


def test_a_broken_words_file_names_its_file_line_and_reason(tmp_path: Path) -> None:
    data = yaml.safe_load((builtin_dir() / "en" / "cadence.yml").read_text(encoding="utf-8"))
    data["today"]["due"]["why"] = "due {whenever}"
    broken = tmp_path / "en.yml"
    broken.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(CadenceTextInvalid, match=r"en\.yml:\d+: unknown placeholder \{whenever\}"):
        load_file(broken)
    del data["case_tag"]
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CadenceTextInvalid, match=r"en\.yml:1: top level: 'case_tag' is a required"):
        load_file(broken)


# ---------------------------------------------------------------------------- run and demo


def test_running_the_cadence_twice_changes_nothing_the_second_time(db: Database) -> None:
    overdue(db, due="2026-11-01")
    first = run_due(db, NOW)
    assert first.scheduled and first.drafted and first.triggers
    second = run_due(db, NOW)
    assert second.to_dict() == {
        "missed": 0,
        "triggers": 0,
        "scheduled": 0,
        "reviews": 0,
        "drafted": 0,
        "sent": 0,
        "skipped": 0,
        "errors": [],
    }


def test_the_demo_shows_every_part_of_the_cadence(sqlite_db: Database) -> None:
    now = utcnow()
    load_demo(sqlite_db, now=now)
    # load_demo runs the cadence demo itself; a second run adds nothing.
    assert not load_demo_cadence(sqlite_db, now=now)
    rows = today(sqlite_db, now=now)
    kinds = {r.kind for r in rows} | {a.kind for r in rows for a in r.also}
    assert {"tell_now", "missed", "late_to_tell", "first_notice", "due", "unanswered"} <= kinds
    assert {"draft", "review"} <= kinds
    figures = headline(sqlite_db)
    assert 0 < figures["chased_share"] < 1
    assert figures["promises_kept"] > 0 and figures["promises_missed"] > 0
    assert any(c.status == "redeemed" for c in cases.list_codes(sqlite_db))
    assert any(r.status == "done" for r, _ in cases.list_reviews(sqlite_db))


def test_frankly_today_from_the_cli(use_db: Database) -> None:
    _, agent, customer = people(use_db)
    open_late(use_db, customer, agent, known=utcnow() - 5 * H)
    result = CliRunner().invoke(app, ["today"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Tell Acme Retail about" in result.output
    assert "1 case(s) need you, 1 of them alarms" in result.output
    as_json = CliRunner().invoke(app, ["today", "--json", "--agent", "james@n.example"])
    assert '"kind": "late_to_tell"' in as_json.output and '"chased_share"' in as_json.output
    assert "Tell Acme Retail about Order 4471 held at customs" in as_json.output
    unknown = CliRunner().invoke(app, ["today", "--agent", "who@n.example"])
    assert unknown.exit_code == 2


def test_an_overdue_public_update_tops_the_list(sqlite_db: Database) -> None:
    from frankly.incidents import open_incident

    _, agent, customer = people(sqlite_db)
    open_late(sqlite_db, customer, agent, title="Missed", known=NOW - 3 * D)
    incident = open_incident(
        sqlite_db,
        title="Ordering portal down",
        impact="you cannot place orders online",
        started_at=NOW - 2 * H,
        next_update_at=NOW - H,
        public=False,
        at=NOW - 2 * H,
    )
    rows = today(sqlite_db, now=NOW)
    assert rows[0].incident_id is not None and rows[0].case_id is None
    assert rows[0].alarm and rows[0].to_dict()["link"] == f"/incidents/{rows[0].incident_id}"
    assert rows[1].kind == "late_to_tell"
    assert incident is not None
