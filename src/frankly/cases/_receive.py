"""Customers' mail coming in: find its case (or open one), store it, note a chase.

The review queue for mail naming a case from an unknown address is
``frankly.cases._inbound``; the outbox (our mail going out) is ``frankly.cases._outbox``.
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
from frankly.cases._cases import _case
from frankly.cases._timeline import REBUILT_FIELDS, record
from frankly.errors import InvalidInput
from frankly.store import Database
from frankly.store.inbound_models import InboundReview
from frankly.store.models import (
    LANGUAGES,
    OPEN_CASE_STATES,
    OWED_COMMITMENT_STATUSES,
    Case,
    Commitment,
    Customer,
    Message,
    update_sent_since,
    utcnow,
)
from frankly.text.mail import parse_mail

log = logging.getLogger(__name__)


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
    if case.state not in OPEN_CASE_STATES:
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
                Commitment.status.in_(OWED_COMMITMENT_STATUSES),
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
    return not session.scalar(select(update_sent_since(case.id, commitment.due_at, until=now)))


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
