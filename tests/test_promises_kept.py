"""When a promise is kept (news, not a copy), and promises made after resolution on Today."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from typer.testing import CliRunner

from frankly import cases
from frankly.cadence import run_due, today
from frankly.cli import app
from frankly.store import Database, utcnow
from frankly.store.models import Commitment, Event

from .test_cadence import NOW, D, H, open_late, people

SECOND = dt.timedelta(seconds=1)
LONDON = zoneinfo.ZoneInfo("Europe/London")  # the customers' zone in ``people``
EMAIL = (
    "Dear Sarah,\n\nYour order 4471 is held at customs and will not arrive on Friday. "
    "I will write again on Wednesday 25 November at 12:00.\n\nJames"
)
SMS = "Order 4471 is held at customs, sorry. I will write again Wed 25 Nov 12:00. James"
PROMISED = NOW + 2 * D + 2 * H


def sent(
    db: Database,
    case_id: int,
    at: dt.datetime,
    *,
    body: str = "News on your order.",
    stage: str | None = None,
    channel: str = "email",
    next_update_at: dt.datetime | None = None,
    written: dt.datetime | None = None,
    promise_from: str | None = None,
) -> int:
    message = cases.add_message(
        db,
        case_id,
        direction="out",
        body=body,
        stage=stage,
        channel=channel,
        recipient="+44 7700 900123" if channel == "sms" else None,
        next_update_at=next_update_at,
        at=written or at,
    )
    cases.approve_message(db, message.id, at=at, promise_from=promise_from)
    cases.mark_sent(db, message.id, at=at)
    return message.id


def commitments(db: Database, case_id: int) -> list[tuple[int | None, str]]:
    """The case's promises (message, status), leaving out those never made (cancelled)."""
    with db.reading() as session:
        rows = session.execute(
            select(Commitment.message_id, Commitment.status)
            .where(Commitment.case_id == case_id, Commitment.status != "cancelled")
            .order_by(Commitment.id)
        )
        return [(message_id, status) for message_id, status in rows]


def kept_by(db: Database, case_id: int) -> list[int]:
    """The messages that kept a promise on the case, from its timeline."""
    with db.reading() as session:
        payloads = session.scalars(
            select(Event.payload)
            .where(Event.case_id == case_id, Event.kind == "commitment_kept")
            .order_by(Event.id)
        )
        return [payload["kept_by_message_id"] for payload in payloads]


def test_an_sms_copy_of_the_first_notice_does_not_keep_its_promise(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    email = sent(db, case_id, NOW, body=EMAIL, stage="first_notice", next_update_at=PROMISED)
    # The SMS version of the same notice, drafted with it and sent 44 seconds later.
    sent(
        db,
        case_id,
        NOW + 44 * SECOND,
        body=SMS,
        stage="first_notice",
        channel="sms",
        next_update_at=PROMISED,
        written=NOW - 5 * SECOND,
    )
    assert commitments(db, case_id) == [(email, "open")], "still open, and made once"
    update = sent(db, case_id, NOW + D, body="It cleared customs today.", stage="update")
    assert commitments(db, case_id) == [(email, "kept")]
    assert kept_by(db, case_id) == [update]


def test_the_same_text_again_is_no_news_but_a_later_message_on_another_channel_is(
    db: Database,
) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    email = sent(db, case_id, NOW, body=EMAIL, stage="first_notice", next_update_at=PROMISED)
    sent(db, case_id, NOW + H, body=EMAIL.replace("\n\n", "\n"), stage="first_notice")
    assert commitments(db, case_id) == [(email, "open")]
    # The same stage by SMS the next day, written then: news, not a copy.
    sms = sent(
        db,
        case_id,
        NOW + D,
        body="Order 4471 cleared customs.",
        stage="first_notice",
        channel="sms",
    )
    assert commitments(db, case_id) == [(email, "kept")]
    assert kept_by(db, case_id) == [sms]


def test_a_copy_with_another_time_is_a_second_promise(db: Database) -> None:
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent)
    email = sent(db, case_id, NOW, body=EMAIL, stage="first_notice", next_update_at=PROMISED)
    sms = sent(
        db,
        case_id,
        NOW + 44 * SECOND,
        body=SMS,
        stage="first_notice",
        channel="sms",
        next_update_at=PROMISED + D,
        promise_from="field",  # the agent chose the field's day over the text's
    )
    assert commitments(db, case_id) == [(email, "open"), (sms, "open")]


def resolved_with_a_promise(db: Database) -> tuple[int, int]:
    """A case resolved yesterday whose resolution message promises a call at ``PROMISED``."""
    _, agent, customer = people(db)
    case_id = open_late(db, customer, agent, known=NOW - 3 * D)
    sent(db, case_id, NOW - 2 * D, stage="first_notice")
    cases.change_state(db, case_id, "resolved", at=NOW - D)
    sent(
        db,
        case_id,
        NOW - D + H,
        body="The replacement is on its way. I will call you before Wednesday at 12:00.",
        stage="resolution",
        next_update_at=PROMISED,
    )
    return case_id, agent


def test_a_promise_made_after_resolution_is_on_today_before_it_falls_due(db: Database) -> None:
    case_id, agent = resolved_with_a_promise(db)
    assert cases.get_case(db, case_id).state == "resolved"
    assert [r.case_id for r in today(db, agent, now=NOW)] == []  # not due soon yet
    soon = PROMISED - 2 * H
    rows = [(r.case_id, r.kind, r.due_at) for r in today(db, agent, now=soon)]
    assert rows == [(case_id, "due", PROMISED)]
    assert [(r.case_id, r.kind) for r in today(db, None, now=soon)] == [(case_id, "due")]


def test_a_promise_after_resolution_leaves_today_once_kept(db: Database) -> None:
    case_id, agent = resolved_with_a_promise(db)
    sent(db, case_id, PROMISED - 3 * H, body="Did the replacement arrive?", stage="follow_up")
    assert [r.kind for r in today(db, agent, now=PROMISED - 2 * H)] == []
    assert [status for _, status in commitments(db, case_id)] == ["kept"]


def test_a_promise_after_resolution_is_on_today_missed_until_recorded_missed(
    db: Database,
) -> None:
    case_id, agent = resolved_with_a_promise(db)
    late = PROMISED + H
    assert [(r.case_id, r.kind) for r in today(db, agent, now=late)] == [(case_id, "missed")]
    run_due(db, late)
    assert [status for _, status in commitments(db, case_id)] == ["missed"]
    assert [r.kind for r in today(db, agent, now=late)] == []


def test_approve_from_the_cli_refuses_a_text_and_field_that_disagree(use_db: Database) -> None:
    _, agent, customer = people(use_db)
    case_id = open_late(use_db, customer, agent)
    day = (utcnow() + 10 * D).date()
    promised = dt.datetime.combine(day, dt.time(12, 0), tzinfo=LONDON)
    drafted = promised + D - 3 * H  # the drafted value, left in the field: another day
    body = f"Sorry. I will write again on {day:%A} {day.day} {day:%B} at 12:00."
    message = cases.add_message(use_db, case_id, direction="out", body=body, next_update_at=drafted)
    runner = CliRunner()
    refused = runner.invoke(app, ["approve", str(message.id)])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert f"{promised.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC (the text)" in said
    assert f"{drafted.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC (the field)" in said
    assert "--promise-from text" in said and "--promise-from field" in said
    assert cases.get_message(use_db, message.id).status == "draft"
    ok = runner.invoke(app, ["approve", str(message.id), "--promise-from", "text"])
    assert ok.exit_code == 0, ok.output
    approved = cases.get_message(use_db, message.id)
    assert (approved.status, approved.next_update_at) == ("queued", promised)
