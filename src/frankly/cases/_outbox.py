"""The outbox from the case's side: a message the gate passed is queued; delivery reports back.

Approving (``frankly.cases._gate``) writes the message's new status, its outbox job and its
events in one transaction, so a queued message always has a job and a job always has its
paper trail.
Customers' replies come in elsewhere: ``frankly.cases._receive``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frankly.cases._access import Actor, check
from frankly.cases._cases import _case, make_message_id
from frankly.cases._commitments import after_sent, propose
from frankly.cases._timeline import record
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.store import Database
from frankly.store.cadence_models import OutboxJob
from frankly.store.models import Case, Customer, Message, utcnow

log = logging.getLogger(__name__)


def queue_in(session: Session, case: Case, message: Message, author: str, now: dt.datetime) -> None:
    """Queue a draft the sending gate passed, inside the caller's transaction, with its events.

    Only ``frankly.cases._gate`` calls this: everything else approves through the gate.

    Raises ``InvalidInput`` when the customer has no address for the message's channel
    (before anything is changed).
    """
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    _address(message, customer)
    if message.next_update_at is not None:
        _propose(session, case, message, now)
    if message.message_id is None:
        message.message_id = make_message_id(message.id, case.id)
    message.status = "queued"
    _enqueue(session, message, now)
    payload = _payload(message)
    record(session, case, "message_approved", author, payload, at=now)
    record(session, case, "message_queued", author, payload, at=now)


def get_message(db: Database, message_id: int) -> Message:
    """One message by its id. Raises ``NotFound``."""
    with db.reading() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"No message with id {message_id}")
        return message


def list_messages(
    db: Database,
    *,
    status: str | None = None,
    case_id: int | None = None,
    direction: str | None = None,
    limit: int = 200,
) -> list[Message]:
    """Messages matching every filter given, newest first."""
    with db.reading() as session:
        stmt = select(Message).order_by(Message.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(Message.status == status)
        if case_id is not None:
            stmt = stmt.where(Message.case_id == case_id)
        if direction is not None:
            stmt = stmt.where(Message.direction == direction)
        return list(session.scalars(stmt))


def retry_message(
    db: Database,
    message_id: int,
    *,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Message:
    """Queue a failed message again (same Message-ID). Raises ``NotFound`` or ``Conflict``."""
    now = at or utcnow()
    with db.transaction() as session:
        message, case = _message(session, message_id)
        check(session, actor, case)
        if message.status != "failed":
            raise Conflict(
                f"Message {message_id} is {message.status}: only a failed one is retried"
            )
        message.status = "queued"
        message.error = None
        _enqueue(session, message, now)
        record(
            session, case, "message_queued", author, {**_payload(message), "retry": True}, at=now
        )
        return message


def mark_sent(
    db: Database,
    message_id: int,
    *,
    worker: str = "worker",
    attempts: int | None = None,
    at: dt.datetime | None = None,
    confirmed_by: str | None = None,
) -> bool:
    """Record that a queued message was delivered; settle and open commitments.

    Returns False (and writes nothing) when the message is already marked sent, so two
    workers reporting the same message leave one event. ``confirmed_by`` notes on the
    ``message_sent`` event how we know when it was not the server's reply. A job left
    ``committing`` by a dead worker is never recorded here: it is sent again (same
    Message-ID) rather than assumed sent. Raises ``NotFound``.
    """
    now = at or utcnow()
    with db.transaction() as session:
        message, case = _message(session, message_id)
        job = _job(session, message.id)
        if message.status == "sent" or (job is not None and job.state == "sent"):
            return False
        if job is not None:
            job.state = "sent"
            job.locked_by = None
            job.locked_until = None
            job.last_error = None
            job.updated_at = now
            attempts = attempts or job.attempts
        message.status = "sent"
        message.sent_at = now
        message.error = None
        message.attempts = attempts or max(message.attempts, 1)
        payload = {**_payload(message), "attempts": message.attempts}
        if confirmed_by:
            payload["confirmed_by"] = confirmed_by
        record(session, case, "message_sent", worker, payload, at=now)
        after_sent(session, case, message, now, worker)
        return True


def mark_attempt_failed(
    db: Database,
    message_id: int,
    *,
    error: str,
    retry_at: dt.datetime | None,
    worker: str = "worker",
    attempts: int | None = None,
    at: dt.datetime | None = None,
    claimed_by: str | None = None,
) -> str:
    """Record a failed delivery attempt: queued again for ``retry_at``, or failed for good.

    ``retry_at=None`` means no more tries: the message becomes ``failed`` with the reason,
    visible on the case. With ``claimed_by`` (and ``attempts``), nothing is written unless
    the job is still that worker's claim: a worker whose lease was taken over must not
    undo the newer attempt. Returns the message's status afterwards. Raises ``NotFound``.
    """
    now = at or utcnow()
    error = (error or "unknown error").strip()[:2000]
    with db.transaction() as session:
        message, case = _message(session, message_id)
        job = _job(session, message.id)
        if message.status in ("sent", "failed") or (job is not None and job.state == "sent"):
            return message.status
        if (
            claimed_by is not None
            and job is not None
            and (
                job.state not in ("sending", "committing")
                or job.locked_by != claimed_by
                or (attempts is not None and job.attempts != attempts)
            )
        ):
            return message.status
        tries = attempts or (job.attempts if job is not None else message.attempts + 1)
        message.attempts = tries
        message.error = error
        payload = {**_payload(message), "attempts": tries, "error": error}
        if job is not None:
            job.locked_by = None
            job.locked_until = None
            job.last_error = error
            job.updated_at = now
        if retry_at is None:
            message.status = "failed"
            if job is not None:
                job.state = "failed"
            record(session, case, "message_failed", worker, payload, at=now)
        else:
            if job is not None:
                job.state = "queued"
                job.next_attempt_at = retry_at
            payload["retry_at"] = retry_at.isoformat()
            record(session, case, "message_deferred", worker, payload, at=now)
        return message.status


def _message(session: Session, message_id: int) -> tuple[Message, Case]:
    found = session.get(Message, message_id)
    if found is None:
        raise NotFound(f"No message with id {message_id}")
    # Lock the case first, always in the same order (case, then message), so two writers
    # on one case wait for each other instead of deadlocking.
    case = _case(session, found.case_id, for_update=True)
    message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    assert message is not None
    session.refresh(message)
    return message, case


def _job(session: Session, message_pk: int) -> OutboxJob | None:
    return session.scalar(
        select(OutboxJob).where(OutboxJob.message_id == message_pk).with_for_update()
    )


def _enqueue(session: Session, message: Message, now: dt.datetime) -> OutboxJob:
    job = _job(session, message.id)
    if job is None:
        job = OutboxJob(message_id=message.id, created_at=now)
        session.add(job)
    job.state = "queued"
    job.attempts = 0
    job.next_attempt_at = now
    job.locked_by = None
    job.locked_until = None
    job.last_error = None
    job.updated_at = now
    session.flush()
    return job


def _propose(session: Session, case: Case, message: Message, now: dt.datetime) -> None:
    assert message.next_update_at is not None
    propose(session, case.id, message, message.next_update_at, now)


def _address(message: Message, customer: Customer) -> None:
    if message.channel == "email":
        message.recipient = message.recipient or customer.email
        if not message.recipient:
            raise InvalidInput(
                f"{customer.name} has no email address: add one or send by another channel",
                field="recipient",
            )
    elif message.channel == "sms":
        message.recipient = message.recipient or customer.phone
        if not message.recipient:
            raise InvalidInput(f"{customer.name} has no phone number", field="recipient")
    elif message.channel == "phone":
        message.recipient = message.recipient or customer.phone


def _payload(message: Message) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "message_id": message.id,
        "rfc_message_id": message.message_id,
        "channel": message.channel,
        "language": message.language,
        "subject": message.subject,
    }
    if message.stage:
        payload["stage"] = message.stage
    if message.next_update_at is not None:
        payload["next_update_at"] = message.next_update_at.isoformat()
    return payload
