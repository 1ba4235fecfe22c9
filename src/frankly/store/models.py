"""The tables of the case register.

Times are stored in UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
Events are the paper trail: the database itself refuses to update or delete them
(see the triggers in the first migration), each event carries the hash of the one before it
on its case, and a message's text is sealed once approved (migration 0009; docs/trail.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column, relationship

from frankly import packs as _packs

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime stored as naive UTC and returned aware, so both engines agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Frankly stores aware times only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


# The closed vocabularies of the register. Kept here so the service layer, the CLI and
# the web forms all offer the same words.
# The languages are those of the installed language packs (a live view, see frankly.packs).
LANGUAGES = _packs.LANGUAGES
TIERS = ("key", "standard")
SEVERITIES = ("low", "medium", "high", "critical")
FAULTS = ("ours", "partner", "customer", "outside")
CASE_STATES = (
    "open",
    "notified",
    "resolving",
    "resolved",
    "followed_up",
    "reviewed",
    "cancelled",
)
# The one definition of "open" (still being worked: told or about to be) and "live" (may
# still owe the customer a message: a follow-up, a review) among the case states.
# Incidents have their own statuses (frankly.incidents.OPEN_STATUSES), another vocabulary.
OPEN_CASE_STATES = ("open", "notified", "resolving")
LIVE_CASE_STATES = (*OPEN_CASE_STATES, "resolved", "followed_up")
ROLES = ("agent", "manager", "admin")
DIRECTIONS = ("out", "in")
CHANNELS = ("email", "sms", "phone", "chat")
MESSAGE_STATUSES = ("draft", "approved", "queued", "sent", "failed", "received")
COMMITMENT_STATUSES = ("proposed", "open", "kept", "missed", "cancelled")
# A promised update that may still be owed: open, or missed and not yet made up for (see
# ``update_sent_since``); and the settled ones, which count in the kept-promise figures.
OWED_COMMITMENT_STATUSES = ("open", "missed")
SETTLED_COMMITMENT_STATUSES = ("kept", "missed")


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="agent")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    phone: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "language": self.language,
            "timezone": self.timezone,
            "phone": self.phone,
            "manager_id": self.manager_id,
            "active": self.active,
        }


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Other addresses the customer writes from (a colleague, a personal mailbox): mail from
    # them lands on the customer's cases instead of the review queue.
    contacts: Mapped[list[str] | None] = mapped_column(JSONType)

    cases: Mapped[list[Case]] = relationship(back_populates="customer")

    def known_addresses(self) -> set[str]:
        """The addresses mail from this customer may come from (lower case)."""
        known = {a.lower() for a in self.contacts or []}
        if self.email:
            known.add(self.email.lower())
        return known

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "email": self.email,
            "phone": self.phone,
            "language": self.language,
            "tier": self.tier,
            "timezone": self.timezone,
            "contacts": list(self.contacts or []),
            "created_at": _iso(self.created_at),
        }


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(20), default="medium")
    fault: Mapped[str] = mapped_column(String(20), default="ours")
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    # An outside reference (an order number, a ticket id, "demo:12") that makes imports
    # idempotent: the same reference never opens a second case.
    external_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    # When the business learned of the problem: "time from knowing to telling" starts here.
    known_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    chased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="cases")
    owner: Mapped[Agent | None] = relationship()
    events: Mapped[list[Event]] = relationship(
        back_populates="case", order_by="Event.id", passive_deletes="all"
    )
    messages: Mapped[list[Message]] = relationship(back_populates="case", order_by="Message.id")
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="case", order_by="Commitment.id"
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "severity": self.severity,
            "fault": self.fault,
            "state": self.state,
            "facts": dict(self.facts or {}),
            "customer_id": self.customer_id,
            "owner_id": self.owner_id,
            "external_ref": self.external_ref,
            "known_at": _iso(self.known_at),
            "notified_at": _iso(self.notified_at),
            "resolved_at": _iso(self.resolved_at),
            "chased_at": _iso(self.chased_at),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


class Event(Base):
    """One line of a case's paper trail. Never updated, never deleted."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed with ``id`` (ix_events_case_id_id): "the case's last event" is one index probe.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # A correction is a new event pointing at the one it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    # The hash chain (frankly.cases._timeline.event_hash): the previous event's hash on this
    # case and this event's own. NULL on events written before the chain started.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="events")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "kind": self.kind,
            "author": self.author,
            "at": _iso(self.at),
            "payload": dict(self.payload or {}),
            "corrects_id": self.corrects_id,
        }


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(10), default="email")
    language: Mapped[str] = mapped_column(String(8), default="en")
    stage: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    author: Mapped[str | None] = mapped_column(String(320))
    # RFC 5322 Message-ID: fixed when the message is created, so a retry is the same mail.
    message_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    sender: Mapped[str | None] = mapped_column(String(320))
    recipient: Mapped[str | None] = mapped_column(String(320))
    # The next-update time the message names; it becomes a commitment when sent.
    next_update_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The composer's key for one draft (unique per case): a repeated send finds this row.
    client_key: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the subject and body the sending gate passed; the worker checks it.
    checked_sha256: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="messages")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "direction": self.direction,
            "channel": self.channel,
            "language": self.language,
            "stage": self.stage,
            "subject": self.subject,
            "body": self.body,
            "status": self.status,
            "author": self.author,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "sender": self.sender,
            "recipient": self.recipient,
            "next_update_at": _iso(self.next_update_at),
            "triage": self.triage,
            "attempts": self.attempts,
            "error": self.error,
            "created_at": _iso(self.created_at),
            "sent_at": _iso(self.sent_at),
            "received_at": _iso(self.received_at),
        }


class Commitment(Base):
    """A promise to the customer: "the next update by Thursday 17:00"."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="commitments")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "message_id": self.message_id,
            "due_at": _iso(self.due_at),
            "description": self.description,
            "status": self.status,
            "created_at": _iso(self.created_at),
            "settled_at": _iso(self.settled_at),
        }


Index("ix_commitments_open_due", Commitment.status, Commitment.due_at)
Index("ix_events_case_at", Event.case_id, Event.at)
Index("ix_cases_owner_state", Case.owner_id, Case.state)
Index(
    "ix_messages_case_status", Message.case_id, Message.direction, Message.status, Message.sent_at
)
Index("ix_events_kind_case", Event.kind, Event.case_id)
Index("ux_messages_case_client_key", Message.case_id, Message.client_key, unique=True)
Index("ix_events_case_id_id", Event.case_id, Event.id)


class TrailStart(Base):
    """Where the hash chain starts: one row, written by migration 0009.

    Events and messages with ids up to these were written before the chain existed and
    carry no hash; ``frankly trail verify`` reports them as "before the chain".
    """

    __tablename__ = "trail_start"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_event_before: Mapped[int] = mapped_column(Integer, default=0)
    last_message_before: Mapped[int] = mapped_column(Integer, default=0)


def update_sent_since(
    case_id: Any, since: Any, *, until: dt.datetime | None = None
) -> ColumnElement[bool]:
    """Whether a message went out on the case at or after ``since`` (up to ``until``).

    The one rule for "a promised update that fell due is still owed": only while nothing
    went out since its due time. ``case_id`` and ``since`` are values or columns of the
    enclosing query (``Commitment.case_id``, ``Commitment.due_at``).
    """
    out = aliased(Message)
    conditions = [
        out.case_id == case_id,
        out.direction == "out",
        out.status == "sent",
        out.sent_at >= since,
    ]
    if until is not None:
        conditions.append(out.sent_at <= until)
    return select(out.id).where(*conditions).correlate_except(out).exists()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
