"""Claiming outbox jobs: each job goes to exactly one worker at a time.

On PostgreSQL a claim locks the job's row with ``FOR UPDATE SKIP LOCKED``, so workers on
several machines take different jobs without waiting for each other. On SQLite the claim
runs in a ``BEGIN IMMEDIATE`` transaction, which serialises claims across processes.
A claim is a lease: if the worker dies, the job can be claimed again once the lease ends.

Sending is a two-phase commit (see ``SmtpSender``): just before the SMTP commit point (the
final dot of DATA) the job moves from ``sending`` to ``committing`` in its own short
transaction, guarded by the claim (worker name and attempt number), so a worker whose lease
was taken over can no longer finish the message. A ``committing`` job whose lease ran out
is claimed and sent again with the same Message-ID, never assumed sent: its worker died
somewhere between that commit and the server's reply, and a server that was still
processing the message when the connection dropped may have discarded it. A rare duplicate
(which mail systems deduplicate by Message-ID) is chosen over a possible loss.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update

from frankly.store import Database
from frankly.store.cadence_models import OutboxJob
from frankly.store.models import Agent, Case, Customer, Message, utcnow


@dataclass
class Job:
    """Everything a sender needs about one message, read when it was claimed."""

    outbox_id: int
    message_pk: int
    rfc_message_id: str
    attempts: int
    interrupted: bool  # an earlier claim ended without a result (its worker died)
    case_id: int
    channel: str
    language: str
    subject: str | None
    body: str
    recipient: str | None
    customer_name: str | None
    owner_name: str | None
    created_at: dt.datetime
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    tag: str = "Case"
    fallback_subject: str = ""
    worker: str = ""  # who holds the claim; with ``attempts`` it names this claim alone
    # The fingerprint of the text the sending gate passed (None: never passed).
    checked_sha256: str | None = None
    # Called by a two-phase sender right before its commit point; raises ``ClaimLost``
    # (or a database error) when the message must not be finished.
    on_commit: Callable[[], None] | None = None


class ClaimLost(Exception):
    """The job is no longer this worker's claim (its lease ran out and another took it)."""


def claim(
    db: Database,
    worker: str,
    *,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
    message_pk: int | None = None,
) -> Job | None:
    """Claim the next due job for ``worker`` (None when nothing is due).

    A job is due when it is queued and its next attempt time has come, or when it is
    being sent or committed by a worker whose lease has run out. With ``message_pk``, only that
    message's job is claimed, and a queued one is claimed even before its retry time.
    """
    now = now or utcnow()
    with db.transaction() as session:
        due = OutboxJob.next_attempt_at <= now
        if message_pk is not None:
            due = OutboxJob.message_id == message_pk
        stmt = (
            select(OutboxJob)
            .where(
                or_(
                    and_(OutboxJob.state == "queued", due),
                    and_(
                        OutboxJob.state.in_(("sending", "committing")),
                        OutboxJob.locked_until < now,
                    ),
                )
            )
            .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
            .limit(1)
        )
        if message_pk is not None:
            stmt = stmt.where(OutboxJob.message_id == message_pk)
        if db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        job = session.scalar(stmt)
        if job is None:
            return None
        interrupted = job.state in ("sending", "committing")
        job.state = "sending"
        job.attempts += 1
        job.locked_by = worker
        job.locked_until = now + lease
        job.updated_at = now
        message = session.get(Message, job.message_id)
        assert message is not None
        case = session.get(Case, message.case_id)
        assert case is not None
        customer = session.get(Customer, case.customer_id)
        owner = session.get(Agent, case.owner_id) if case.owner_id else None
        earlier = list(
            session.execute(
                select(Message.message_id, Message.direction)
                .where(
                    Message.case_id == case.id,
                    Message.id != message.id,
                    Message.message_id.is_not(None),
                    or_(Message.direction == "in", Message.status == "sent"),
                )
                .order_by(Message.id)
            )
        )
        references = [mid for mid, _ in earlier if mid is not None][-10:]
        replied_to = message.in_reply_to or next(
            (mid for mid, direction in reversed(earlier) if direction == "in"), None
        )
        return Job(
            outbox_id=job.id,
            message_pk=message.id,
            rfc_message_id=message.message_id or "",
            attempts=job.attempts,
            interrupted=interrupted,
            case_id=case.id,
            channel=message.channel,
            language=message.language,
            subject=message.subject,
            body=message.body,
            recipient=message.recipient,
            customer_name=customer.name if customer else None,
            owner_name=owner.name if owner else None,
            created_at=message.created_at,
            in_reply_to=replied_to,
            references=references,
            fallback_subject=case.title,
            worker=worker,
            checked_sha256=message.checked_sha256,
        )


def begin_commit(
    db: Database, job: Job, *, lease: dt.timedelta, now: dt.datetime | None = None
) -> None:
    """Move a claimed job to ``committing``, in its own transaction, if the claim is still ours.

    Called right before the SMTP commit point; the lease is renewed so the reply can be read.
    Raises ``ClaimLost`` when another worker took the job over (or it is no longer being
    sent), and ``DatabaseUnavailable`` when the database cannot be reached.
    """
    now = now or utcnow()
    with db.transaction() as session:
        # An UPDATE's result is a cursor result, which has the row count.
        result = session.execute(
            update(OutboxJob)
            .where(
                OutboxJob.id == job.outbox_id,
                OutboxJob.state == "sending",
                OutboxJob.locked_by == job.worker,
                OutboxJob.attempts == job.attempts,
            )
            .values(state="committing", locked_until=now + lease, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        changed = cast(CursorResult[Any], result).rowcount
    if changed != 1:
        raise ClaimLost(f"Message {job.message_pk} is no longer held by {job.worker}")


def outbox_counts(db: Database) -> dict[str, int]:
    """How many jobs are in each state (queued, sending, committing, sent, failed)."""
    from sqlalchemy import func

    with db.reading() as session:
        rows = session.execute(select(OutboxJob.state, func.count()).group_by(OutboxJob.state))
        counts = {state: 0 for state in ("queued", "sending", "committing", "sent", "failed")}
        counts.update({state: int(n) for state, n in rows})
        return counts
