"""The outbox from the case's side: a message the gate passed is queued; delivery reports back.

Approving (``frankly.cases._gate``) writes the message's new status, its outbox job and its
events in one transaction, so a queued message always has a job and a job always has its
paper trail.
Customers' replies come in through ``receive_inbound``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import _case, make_message_id
from frankly.cases._commitments import after_sent
from frankly.cases._timeline import REBUILT_FIELDS, record
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.store import Database
from frankly.store.cadence_models import OutboxJob
from frankly.store.inbound_models import InboundReview
from frankly.store.models import LANGUAGES, Case, Commitment, Customer, Message, utcnow
from frankly.text.mail import parse_mail

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


@dataclass
class Received:
    """What happened to one inbound mail."""

    message: Message | None  # None when it was held for review
    case_id: int | None  # the case it went to (or, held, the case it names)
    matched_by: str  # thread, address, tag, new_case, duplicate or review
    new_case: bool = False
    chased: bool = False
    review: InboundReview | None = None

    @property
    def duplicate(self) -> bool:
        return self.matched_by == "duplicate"

    @property
    def held(self) -> bool:
        """Held in the review queue just now: the case was not touched."""
        return self.matched_by == "review"

    def to_dict(self) -> dict[str, Any]:
        rfc_id = self.message.message_id if self.message else None
        if rfc_id is None and self.review is not None:
            rfc_id = self.review.message_id
        out: dict[str, Any] = {
            "message_id": self.message.id if self.message else None,
            "rfc_message_id": rfc_id,
            "case_id": self.case_id,
            "matched_by": self.matched_by,
            "new_case": self.new_case,
            "chased": self.chased,
        }
        if self.review is not None:
            out["review_id"] = self.review.id
            out["review_status"] = self.review.status
            out["review_reason"] = self.review.reason
        return out


def receive_inbound(
    db: Database,
    raw: bytes | str,
    *,
    author: str = "inbound",
    at: dt.datetime | None = None,
) -> Received:
    """Attach a customer's mail (raw RFC 822) to its case, or open a case for a new thread.

    The case is found by ``In-Reply-To``/``References``, then by the ``+case-N`` address
    or ``[Case #N]`` subject tag. A case-number tag or address can be typed by anyone, so
    the mail goes on that case only when it comes from the case's customer (their email
    or one of their ``contacts``) or answers a Message-ID that we sent on the case (which
    only someone who received our mail can know: the customer, or whoever they forwarded
    it to). Any other mail naming a case is held in the review queue (``Received.held``)
    and does not touch the case. A mail that arrives before our first notice, or while a
    promised update is overdue, marks the case as chased. The same mail imported twice is
    stored once. Raises ``InvalidInput`` for a mail without a sender or text, or beyond
    the limits of ``parse_mail``.
    """
    mail = parse_mail(raw)
    now = at or utcnow()
    triage = _triage(mail.body if not mail.subject else f"{mail.subject}\n\n{mail.body}")
    try:
        with db.transaction() as session:
            duplicate = _already_received(session, mail.message_id)
            if duplicate is not None:
                return duplicate
            case, matched_by, ours = _find_case(session, mail)
            new_case = case is None
            if case is None:
                case = _open_case_for(session, mail, triage, author, now)
                matched_by = "new_case"
            else:
                customer = session.get(Customer, case.customer_id)
                assert customer is not None
                if not ours and mail.sender not in customer.known_addresses():
                    review = _hold(session, mail, case, matched_by, triage, now)
                    return Received(None, case.id, "review", review=review)
                case = _case(session, case.id, for_update=True)
            message = store_inbound(session, case, mail, triage, matched_by, author, now)
            chased = False if new_case else _chase(session, case, now, author)
            return Received(message, case.id, matched_by, new_case=new_case, chased=chased)
    except IntegrityError:
        # Imported at the same moment by another process: it is there now.
        with db.reading() as session:
            found = _already_received(session, mail.message_id)
        if found is None:
            raise
        return found


def _already_received(session: Session, message_id: str) -> Received | None:
    existing = session.scalar(select(Message).where(Message.message_id == message_id))
    if existing is not None:
        return Received(existing, existing.case_id, "duplicate")
    held = session.scalar(select(InboundReview).where(InboundReview.message_id == message_id))
    if held is not None:
        return Received(None, held.case_id, "duplicate", review=held)
    return None


def store_inbound(
    session: Session,
    case: Case,
    mail: Any,
    triage: dict[str, Any] | None,
    matched_by: str,
    author: str,
    now: dt.datetime,
    extra: dict[str, Any] | None = None,
) -> Message:
    """Write an inbound mail on ``case`` (locked by the caller) with its event."""
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    language = _language(mail.language, triage, customer.language)
    message = Message(
        case_id=case.id,
        direction="in",
        channel="email",
        language=language,
        subject=mail.subject[:500] if mail.subject else None,
        body=mail.body,
        status="received",
        author=mail.sender,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        sender=mail.sender,
        recipient=mail.recipients[0] if mail.recipients else None,
        triage=triage,
        attempts=0,
        created_at=now,
        received_at=now,
    )
    session.add(message)
    session.flush()
    payload = {
        "message_id": message.id,
        "channel": "email",
        "language": language,
        "subject": message.subject,
        "matched_by": matched_by,
        **(extra or {}),
    }
    record(session, case, "message_received", mail.sender or author, payload, at=now)
    return message


def _hold(
    session: Session,
    mail: Any,
    case: Case,
    matched_by: str,
    triage: dict[str, Any] | None,
    now: dt.datetime,
) -> InboundReview:
    review = InboundReview(
        status="pending",
        case_id=case.id,
        matched_by=matched_by,
        reason=(
            f"{mail.sender} is not a known address of the customer of case {case.id} "
            f"(matched by {matched_by})"
        )[:300],
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        sender=mail.sender,
        sender_name=mail.sender_name,
        recipient=mail.recipients[0] if mail.recipients else None,
        subject=mail.subject,
        body=mail.body,
        language=mail.language,
        triage=triage,
        received_at=now,
    )
    session.add(review)
    session.flush()
    log.info("inbound mail from %s held for review (case %s)", mail.sender, case.id)
    return review


def _find_case(session: Session, mail: Any) -> tuple[Case | None, str, bool]:
    """The case a mail names, how, and whether it answers a Message-ID we sent on it.

    All thread ids are looked up in one query; the nearest one found wins.
    """
    ids = mail.thread_ids
    if ids:
        found = {
            mid: (case_id, direction)
            for mid, case_id, direction in session.execute(
                select(Message.message_id, Message.case_id, Message.direction).where(
                    Message.message_id.in_(ids)
                )
            )
        }
        for ref in ids:
            if ref in found:
                case_id, direction = found[ref]
                return session.get(Case, case_id), "thread", direction == "out"
    hint = mail.case_hint()
    if hint is not None:
        case = session.get(Case, hint)
        if case is not None:
            by_address = any(f"+case-{hint}@" in r for r in mail.recipients)
            return case, "address" if by_address else "tag", False
    return None, "new_case", False


def _open_case_for(
    session: Session, mail: Any, triage: dict[str, Any] | None, author: str, now: dt.datetime
) -> Case:
    customer = session.scalar(select(Customer).where(Customer.email == mail.sender))
    if customer is None:
        name = mail.sender_name or mail.sender.split("@")[0]
        customer = Customer(
            name=name[:200],
            email=mail.sender,
            language=_language(mail.language, triage, "en"),
            tier="standard",
            timezone="UTC",
            created_at=now,
        )
        session.add(customer)
        session.flush()
    kind = "inbound"
    candidate = _dig(triage, "issue_kind", "kind")
    if isinstance(candidate, str) and candidate != "other":
        try:
            kind = v.identifier(candidate, "kind")
        except InvalidInput:
            kind = "inbound"
    title = (mail.subject or mail.body.strip().splitlines()[0] if mail.body.strip() else "")[:300]
    case = Case(
        kind=kind,
        title=title or f"Mail from {mail.sender}",
        severity="medium",
        fault="ours",
        state="open",
        facts={},
        customer_id=customer.id,
        known_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    payload = {f: getattr(case, f) for f in REBUILT_FIELDS}
    record(session, case, "case_opened", author, {**payload, "source": "inbound"}, at=now)
    return case


def record_chase(
    db: Database,
    case_id: int,
    *,
    reason: str,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Case:
    """Record that the customer chased us by another way (a phone call, a chat).

    ``reason`` is ``before_first_notice``, ``update_overdue`` or a few words. Raises
    ``InvalidInput`` or ``NotFound``.
    """
    reason = v.text(reason, "reason", max_length=300)
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        if case.chased_at is None:
            case.chased_at = now
        record(session, case, "chased", author, {"reason": reason}, at=now)
        return case


def _chase(session: Session, case: Case, now: dt.datetime, author: str) -> bool:
    """Mark the case chased when the customer wrote before we did, or while we owed an update."""
    if case.state in ("resolved", "followed_up", "reviewed", "cancelled"):
        return False
    reason = None
    if case.notified_at is None:
        reason = "before_first_notice"
    else:
        overdue = session.scalar(
            select(Commitment)
            .where(
                Commitment.case_id == case.id,
                Commitment.due_at < now,
                Commitment.status.in_(("open", "missed")),
            )
            .order_by(Commitment.due_at.desc())
            .limit(1)
        )
        if overdue is not None and _owed(session, case, overdue, now):
            reason = "update_overdue"
    if reason is None:
        return False
    if case.chased_at is None:
        case.chased_at = now
    record(session, case, "chased", author, {"reason": reason}, at=now)
    return True


def _owed(session: Session, case: Case, commitment: Commitment, now: dt.datetime) -> bool:
    """True when no outbound message has gone out since the commitment fell due."""
    sent_since = session.scalar(
        select(Message.id).where(
            Message.case_id == case.id,
            Message.direction == "out",
            Message.status == "sent",
            Message.sent_at >= commitment.due_at,
            Message.sent_at <= now,
        )
    )
    return sent_since is None


def _triage(text: str) -> dict[str, Any] | None:
    # lazy: triage loads its lexicons and models, a cost only inbound mail should pay
    from frankly.triage import triage

    try:
        report = triage(text)
        return dict(report.to_dict())
    except Exception:  # a triage bug must not lose a customer's mail
        log.exception("triage failed on an inbound message")
        return None


def _dig(data: dict[str, Any] | None, *keys: str) -> Any:
    """``data[k1][k2]…`` or None: the triage report is read defensively."""
    value: Any = data
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _language(header: str | None, triage: dict[str, Any] | None, fallback: str) -> str:
    """The language of an inbound mail: triage's guess when it supports that language,
    then the mail's ``Content-Language``, then ``fallback`` (the customer's).

    Triage reports ``{"code": "es", "confidence": 0.9, "supported": true}``; an older
    report holding the bare code is read too.
    """
    guess = _dig(triage, "language")
    if isinstance(guess, dict):
        found = guess.get("code") if guess.get("supported") else None
    else:
        found = guess if isinstance(guess, str) else None
    for candidate in (found, header):
        if isinstance(candidate, str) and candidate[:2] in LANGUAGES:
            return candidate[:2]
    return fallback if fallback in LANGUAGES else "en"


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
    proposed = session.scalar(
        select(Commitment).where(
            Commitment.message_id == message.id, Commitment.status == "proposed"
        )
    )
    if proposed is None:
        session.add(
            Commitment(
                case_id=case.id,
                message_id=message.id,
                due_at=message.next_update_at,
                status="proposed",
                created_at=now,
            )
        )
    else:
        proposed.due_at = message.next_update_at


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
