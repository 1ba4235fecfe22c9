"""Commitments: the next-update times we promised, and whether we kept them.

A message names its next update; when the message goes out, that time becomes an open
commitment. A later message to the customer on the case that gives news keeps it (if it
leaves before the due time); the due time passing without one misses it.

Every later outbound message gives news except a copy of the promising message (``is_copy``):
the same text again, or the same step of the playbook on another channel written within
``COPY_WINDOW`` of the promise (the SMS version of the first notice sent right after the
email). A copy keeps nothing, and a copy repeating the same promise opens no second one.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import _case
from frankly.cases._timeline import record
from frankly.compose.promises import same_promise
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.store import Database
from frankly.store.cadence_models import Review
from frankly.store.models import Case, Commitment, Message, utcnow

# A message of the same stage on another channel written this soon after the promise went
# out is a copy of it (the SMS of the same notice), not news. Later, it is a new message.
COPY_WINDOW = dt.timedelta(hours=2)


def proposed_row(
    case_id: int, message_id: int, due_at: dt.datetime, at: dt.datetime, description: str | None
) -> dict[str, object]:
    """The row of a proposed commitment: the next update a message names, before it is sent.

    The one definition: ``propose`` adds it for one message, ``cases.bulk`` inserts many.
    """
    return {
        "case_id": case_id,
        "message_id": message_id,
        "due_at": due_at,
        "description": description,
        "status": "proposed",
        "created_at": at,
    }


def propose(
    session: Session,
    case_id: int,
    message: Message,
    due_at: dt.datetime,
    at: dt.datetime,
    description: str | None = None,
) -> Commitment:
    """The message's proposed commitment, due at ``due_at``: added, or moved if it exists."""
    proposed = session.scalar(
        select(Commitment).where(
            Commitment.message_id == message.id, Commitment.status == "proposed"
        )
    )
    if proposed is None:
        proposed = Commitment(**proposed_row(case_id, message.id, due_at, at, description))
        session.add(proposed)
    else:
        proposed.due_at = due_at
    session.flush()
    return proposed


def promise_update(
    db: Database,
    case_id: int,
    due_at: dt.datetime,
    *,
    description: str | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Commitment:
    """Record an open commitment on a case (a promise made on the phone, say).

    Raises ``InvalidInput`` for a naive or past time, ``NotFound`` for an unknown case.
    """
    v.aware(due_at, "due_at")
    now = at or utcnow()
    if due_at <= now:
        raise InvalidInput("A promised update must be in the future", field="due_at")
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        commitment = Commitment(
            case_id=case.id,
            due_at=due_at,
            description=v.optional_text(description, "description", max_length=500),
            status="open",
            created_at=now,
        )
        session.add(commitment)
        session.flush()
        record(session, case, "commitment_made", author, _payload(commitment), at=now)
        return commitment


def cancel_commitment(
    db: Database,
    commitment_id: int,
    *,
    reason: str,
    author: str = "system",
    actor: Actor = None,
) -> Commitment:
    """Cancel an open or proposed commitment, saying why. Raises ``NotFound`` or ``Conflict``."""
    reason = v.text(reason, "reason", max_length=2000)
    with db.transaction() as session:
        commitment = session.get(Commitment, commitment_id, with_for_update=True)
        if commitment is None:
            raise NotFound(f"No commitment with id {commitment_id}")
        if commitment.status not in ("open", "proposed"):
            raise Conflict(f"Commitment {commitment_id} is {commitment.status} already")
        case = _case(session, commitment.case_id, for_update=True)
        check(session, actor, case)
        commitment.status = "cancelled"
        commitment.settled_at = utcnow()
        record(
            session,
            case,
            "commitment_cancelled",
            author,
            {**_payload(commitment), "reason": reason},
        )
        return commitment


def settle_overdue(db: Database, *, now: dt.datetime | None = None) -> list[Commitment]:
    """Mark every open commitment whose due time has passed as missed (one event each).

    Safe to run from several workers at once: each commitment is settled once.
    """
    now = now or utcnow()
    with db.reading() as session:
        due = list(
            session.scalars(
                select(Commitment.id).where(Commitment.status == "open", Commitment.due_at < now)
            )
        )
    missed: list[Commitment] = []
    for commitment_id in due:
        with db.transaction() as session:
            commitment = session.get(Commitment, commitment_id)
            if commitment is None:
                continue
            case = _case(session, commitment.case_id, for_update=True)
            session.refresh(commitment)
            if commitment.status != "open" or commitment.due_at >= now:
                continue
            _settle(session, case, commitment, "missed", "frankly", now)
            missed.append(commitment)
    return missed


def after_sent(
    session: Session, case: Case, message: Message, at: dt.datetime, author: str
) -> None:
    """What an outbound message going out means for the case (inside the caller's transaction).

    Open commitments due after ``at`` are kept unless this message is a copy of the one
    that made them (``is_copy``), those already overdue are missed; the message's own
    next-update time becomes an open commitment (unless a copy repeats it); a case nobody
    had told yet is now notified.
    """
    open_ones = session.scalars(
        select(Commitment).where(Commitment.case_id == case.id, Commitment.status == "open")
    )
    repeated = False  # this message repeats an open promise it is a copy of
    for commitment in list(open_ones):
        if commitment.message_id == message.id:
            continue
        if commitment.due_at < at:
            _settle(session, case, commitment, "missed", "frankly", at)
            continue
        promising = session.get(Message, commitment.message_id) if commitment.message_id else None
        promised_at = (promising.sent_at if promising else None) or commitment.created_at
        if promising is not None and is_copy(message, promising, promised_at):
            if message.next_update_at is not None and same_promise(
                message.next_update_at, commitment.due_at
            ):
                repeated = True
            continue
        _settle(session, case, commitment, "kept", author, at, message.id)
    proposed = session.scalar(
        select(Commitment).where(
            Commitment.message_id == message.id, Commitment.status == "proposed"
        )
    )
    if not repeated and message.next_update_at is not None and message.next_update_at > at:
        if proposed is None:
            proposed = Commitment(
                case_id=case.id,
                message_id=message.id,
                due_at=message.next_update_at,
                description=None,
                status="open",
                created_at=at,
            )
            session.add(proposed)
        else:
            proposed.due_at = message.next_update_at
            proposed.status = "open"
        session.flush()
        record(session, case, "commitment_made", author, _payload(proposed), at=at)
    elif proposed is not None:
        # Without a next-update time, or repeating a promise already open (a copy),
        # the message promised nothing new.
        proposed.status = "cancelled"
        proposed.settled_at = at
    if case.state == "open":
        record(
            session,
            case,
            "state_changed",
            author,
            {"from": "open", "to": "notified", "reason": "first message sent"},
            at=at,
        )
        case.state = "notified"
    if case.notified_at is None:
        case.notified_at = at
    if case.state == "resolved" and _stage_type(session, case.kind, message.stage) == "follow_up":
        record(
            session,
            case,
            "state_changed",
            author,
            {"from": "resolved", "to": "followed_up", "reason": "follow-up sent"},
            at=at,
        )
        case.state = "followed_up"
        reviewed = session.scalar(
            select(Review.id).where(Review.case_id == case.id, Review.status == "done")
        )
        if reviewed is not None:
            record(
                session,
                case,
                "state_changed",
                author,
                {"from": "followed_up", "to": "reviewed", "reason": "review already written"},
                at=at,
            )
            case.state = "reviewed"


def is_copy(message: Message, promising: Message, promised_at: dt.datetime) -> bool:
    """Whether ``message`` is a copy of ``promising`` (which made a promise at
    ``promised_at``) rather than news: written within ``COPY_WINDOW`` of the promise going
    out, with the same text again or the same stage on another channel."""
    if message.created_at > promised_at + COPY_WINDOW:
        return False
    if _plain(message.body) == _plain(promising.body):
        return True
    return (message.stage or "") == (promising.stage or "") and message.channel != promising.channel


def _plain(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def _stage_type(session: Session, kind: str, stage: str | None) -> str | None:
    """The type of a message's stage (its playbook's word for it, else the stage id)."""
    if not stage:
        return None
    try:
        # inside the try: a playbook that fails to load means the stage id is its type
        from frankly.cases._playbooks import session_library

        return session_library(session).get(kind).stage(stage).type
    except Exception:  # no playbook or no such stage: the stage id is its own type
        return stage


def _settle(
    session: Session,
    case: Case,
    commitment: Commitment,
    status: str,
    author: str,
    at: dt.datetime,
    by_message: int | None = None,
) -> None:
    # A missed commitment was missed at its due time; Frankly notices (records it) later.
    commitment.status = status
    commitment.settled_at = commitment.due_at if status == "missed" else at
    payload = _payload(commitment)
    if by_message is not None:
        payload["kept_by_message_id"] = by_message
    record(session, case, f"commitment_{status}", author, payload, at=at)


def _payload(commitment: Commitment) -> dict[str, object]:
    return {
        "commitment_id": commitment.id,
        "due_at": commitment.due_at.isoformat(),
        "message_id": commitment.message_id,
        "description": commitment.description,
    }
