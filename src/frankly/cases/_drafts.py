"""Saving a composed draft: the message, its proposed next-update commitment, and the event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import CaseView, _case, make_message_id
from frankly.cases._commitments import propose
from frankly.cases._playbooks import playbook_library
from frankly.cases._timeline import record
from frankly.compose import draft
from frankly.errors import InvalidInput
from frankly.playbooks import Library
from frankly.store import Database
from frankly.store.models import Agent, Customer, Event, Message, utcnow

# The composer's channels and the register's: a call script is kept as a phone message.
_MESSAGE_CHANNEL = {"email": "email", "sms": "sms", "call": "phone"}


def save_draft(
    db: Database,
    case_id: int,
    stage: str,
    channel: str = "email",
    lang: str | None = None,
    author: str = "system",
    now: dt.datetime | None = None,
    *,
    playbooks_dirs: Sequence[str | Path] | None = None,
    actor: Actor = None,
    library: Library | None = None,
) -> Message:
    """Compose ``stage`` for the case and save it as a draft ``Message``, in one transaction.

    Alongside the message it saves a ``Commitment`` with status ``proposed``, due at the
    draft's next-update time (it becomes ``open`` when the message is sent), and records a
    ``message_drafted`` event. Raises what ``frankly.compose.draft`` raises (``UnknownPlaybook``,
    ``UnknownStage``, ``NoText``, ``MissingFacts``, ``InvalidInput``) and ``NotFound``;
    on any error nothing is saved.
    """
    if channel not in _MESSAGE_CHANNEL:
        raise InvalidInput(
            f"Unknown channel {channel!r}: use one of {', '.join(_MESSAGE_CHANNEL)}",
            field="channel",
        )
    v.aware(now, "now")
    now = now or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        customer = session.get(Customer, case.customer_id)
        assert customer is not None
        owner = session.get(Agent, case.owner_id) if case.owner_id else None
        # The timeline tells the draft what the customer chose and what the review changed.
        events = list(
            session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))
        )
        composed = draft(
            CaseView(case, customer, owner, events),
            stage,
            channel,
            lang,
            now=now,
            # The business's library, uploads too: a kind that opened must draft.
            library=library or playbook_library(db, playbooks_dirs, session=session),
        )
        message = Message(
            case_id=case.id,
            direction="out",
            channel=_MESSAGE_CHANNEL[channel],
            language=composed.language,
            stage=stage,
            subject=composed.subject,
            body=composed.body,
            status="draft",
            author=author,
            sender=owner.email if owner else None,
            recipient=composed.recipient,
            next_update_at=composed.next_update_at,
            attempts=0,
            created_at=now,
        )
        session.add(message)
        session.flush()
        message.message_id = make_message_id(message.id, case.id)
        commitment = propose(
            session,
            case.id,
            message,
            composed.next_update_at,
            now,
            f"Next update by {composed.next_update_text}",
        )
        record(
            session,
            case,
            "message_drafted",
            author,
            {
                "message_id": message.id,
                "channel": message.channel,
                "language": composed.language,
                "subject": composed.subject,
                "stage": stage,
                "next_update_at": composed.next_update_at.isoformat(),
                "commitment_id": commitment.id,
                "remedies": [r["id"] for r in composed.remedies],
            },
            at=now,
        )
        return message
