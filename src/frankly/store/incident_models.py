"""The tables of incidents: one cause, many customers, one public voice.

An incident links one case per affected customer (``incident_cases``), publishes numbered
updates (``incident_updates``) and sends one personal notice per affected customer per
update (``incident_notices``, unique on update and customer: a notice cannot be doubled).
Texts meant for the public are JSON maps of language to text, so a new language is data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frankly.store.models import Base, JSONType, UTCDateTime, utcnow

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
UPDATE_KINDS = ("update", "resolution", "follow_up")


class Incident(Base):
    """A cause that affects many customers: an outage, a factory stoppage, a bad billing run."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The playbook whose cadence and wording apply (and the kind of the cases it opens).
    kind: Mapped[str] = mapped_column(String(64), default="service_outage")
    status: Mapped[str] = mapped_column(String(20), default="investigating")
    severity: Mapped[str] = mapped_column(String(20), default="high")
    title: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    impact: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    update_every_minutes: Mapped[int] = mapped_column(Integer, default=30)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The promise on the status page: the next public update by this time.
    next_update_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # How the affected customers were chosen, kept for the record.
    selection: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    review: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    review_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "severity": self.severity,
            "title": dict(self.title or {}),
            "impact": dict(self.impact or {}),
            "owner_id": self.owner_id,
            "update_every_minutes": self.update_every_minutes,
            "started_at": _iso(self.started_at),
            "next_update_due_at": _iso(self.next_update_due_at),
            "resolved_at": _iso(self.resolved_at),
            "selection": list(self.selection or []),
            "review": dict(self.review) if self.review else None,
            "review_published_at": _iso(self.review_published_at),
            "followed_up_at": _iso(self.followed_up_at),
            "public": self.public,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


class IncidentCase(Base):
    """One affected customer of an incident, and the case that carries their paper trail."""

    __tablename__ = "incident_cases"
    __table_args__ = (
        UniqueConstraint("incident_id", "customer_id", name="uq_incident_customer"),
        UniqueConstraint("incident_id", "case_id", name="uq_incident_case"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    opened_by_incident: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentUpdate(Base):
    """One published update: the public text in each language and the notices it sent."""

    __tablename__ = "incident_updates"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq", name="uq_incident_update_seq"),
        # A form sent twice (a double click) carries the same key and posts once.
        UniqueConstraint("incident_id", "request_key", name="uq_incident_update_request"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="update")
    status: Mapped[str] = mapped_column(String(20))
    texts: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    next_update_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(320))
    notices_queued: Mapped[int] = mapped_column(Integer, default=0)
    notices_skipped: Mapped[int] = mapped_column(Integer, default=0)
    request_key: Mapped[str | None] = mapped_column(String(64))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "seq": self.seq,
            "kind": self.kind,
            "status": self.status,
            "texts": dict(self.texts or {}),
            "public": self.public,
            "next_update_at": _iso(self.next_update_at),
            "published_at": _iso(self.published_at),
            "author": self.author,
            "notices_queued": self.notices_queued,
            "notices_skipped": self.notices_skipped,
        }


class IncidentNotice(Base):
    """The personal notice one affected customer got for one update (or why they did not)."""

    __tablename__ = "incident_notices"
    __table_args__ = (UniqueConstraint("update_id", "customer_id", name="uq_incident_notice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("incident_updates.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), unique=True)
    # Why no message was queued ("no_email"); None when one was.
    skipped: Mapped[str | None] = mapped_column(String(40))


Index("ix_incidents_status_due", Incident.status, Incident.next_update_due_at)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
