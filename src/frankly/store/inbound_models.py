"""The review queue of inbound mail: mail that names a case but not from its customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frankly.store.models import Base, JSONType, UTCDateTime, utcnow

REVIEW_STATES = ("pending", "accepted", "rejected")


class InboundReview(Base):
    """One held mail, waiting for a person to put it on a case or turn it away.

    It is kept apart from ``messages`` so a stranger's mail never reaches a case's
    timeline, its triage or its "chased" mark until someone accepts it.
    """

    __tablename__ = "inbound_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # the case it names
    matched_by: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(200))
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    # The message made when it was accepted.
    accepted_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))

    __table_args__ = (Index("ix_inbound_reviews_status", "status", "id"),)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "case_id": self.case_id,
            "matched_by": self.matched_by,
            "reason": self.reason,
            "rfc_message_id": self.message_id,
            "sender": self.sender,
            "sender_name": self.sender_name,
            "recipient": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "language": self.language,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by,
            "accepted_message_id": self.accepted_message_id,
        }
