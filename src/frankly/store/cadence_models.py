"""The tables of cadence and delivery: the outbox, milestones, scheduled steps, codes, reviews.

The outbox is a table of its own rather than columns on ``messages``: a job's lease and
back-off are delivery mechanics, while a message's status is what a person reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frankly.store.models import Base, JSONType, UTCDateTime, utcnow

OUTBOX_STATES = ("queued", "sending", "committing", "sent", "failed")
STEP_KINDS = ("follow_up", "payment_reminder")
STEP_STATUSES = ("pending", "drafted", "skipped", "cancelled")
CODE_STATUSES = ("issued", "redeemed", "void")
REVIEW_STATUSES = ("due", "done")


class OutboxJob(Base):
    """One message waiting to be delivered, being delivered, or done.

    A worker claims a job by setting ``locked_by`` and ``locked_until``; a job whose lease
    ran out (its worker died) can be claimed again.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "locked_by": self.locked_by,
            "locked_until": _iso(self.locked_until),
            "last_error": self.last_error,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


class Milestone(Base):
    """A logistics milestone: "handed to the carrier", "at customs", "at our warehouse"."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("case_id", "code", "happened_at", name="uq_milestone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    happened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(320))
    # The update drafted (or sent) to tell the customer about it.
    update_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "code": self.code,
            "note": self.note,
            "happened_at": _iso(self.happened_at),
            "recorded_at": _iso(self.recorded_at),
            "source": self.source,
            "update_message_id": self.update_message_id,
        }


class ScheduledStep(Base):
    """A message Frankly will draft on a date: a follow-up, a rung of the payment ladder."""

    __tablename__ = "scheduled_steps"
    __table_args__ = (UniqueConstraint("case_id", "kind", "stage", name="uq_scheduled_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    auto_send: Mapped[bool] = mapped_column(default=False)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "kind": self.kind,
            "stage": self.stage,
            "due_at": _iso(self.due_at),
            "status": self.status,
            "auto_send": self.auto_send,
            "message_id": self.message_id,
            "created_at": _iso(self.created_at),
            "done_at": _iso(self.done_at),
        }


class DiscountCode(Base):
    """A single-use thank-you discount, issued with a follow-up."""

    __tablename__ = "discount_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="issued")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    redeemed_by: Mapped[str | None] = mapped_column(String(320))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "case_id": self.case_id,
            "customer_id": self.customer_id,
            "percent": self.percent,
            "status": self.status,
            "issued_at": _iso(self.issued_at),
            "expires_at": _iso(self.expires_at),
            "redeemed_at": _iso(self.redeemed_at),
            "redeemed_by": self.redeemed_by,
        }


class Review(Base):
    """A lessons-learned review of a resolved case: what was missed, why, what changes."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    playbook: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="due")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Figures captured when the review opens, so reviews compare across cases.
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    missed: Mapped[str | None] = mapped_column(Text)
    why: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(320))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "owner_id": self.owner_id,
            "reviewer_id": self.reviewer_id,
            "playbook": self.playbook,
            "status": self.status,
            "due_at": _iso(self.due_at),
            "figures": dict(self.figures or {}),
            "missed": self.missed,
            "why": self.why,
            "changes": self.changes,
            "created_at": _iso(self.created_at),
            "completed_at": _iso(self.completed_at),
            "completed_by": self.completed_by,
        }


Index("ix_outbox_state_next", OutboxJob.state, OutboxJob.next_attempt_at)
Index("ix_scheduled_steps_due", ScheduledStep.status, ScheduledStep.due_at)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
