"""Personal notices: one per affected customer per update, queued in bulk in one transaction.

For 10,000 customers, row-by-row ORM writes would take minutes; the service layer's bulk
writes (``frankly.cases.bulk``) give each table one multi-row INSERT per batch (messages
with RETURNING, then outbox jobs, commitments and events) and this module adds the
incident's notice rows, so queueing takes seconds and stays one transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from frankly import config
from frankly.cases import bulk
from frankly.incidents._words import Words, words
from frankly.store.incident_models import (
    Incident,
    IncidentCase,
    IncidentNotice,
    IncidentUpdate,
)
from frankly.store.models import Agent, Case, Customer

# The stage each kind of update is written in (the checker's and the message's stage).
STAGE = {"update": "update", "resolution": "resolution", "follow_up": "follow_up"}
BATCH = bulk.BATCH


@dataclass(frozen=True)
class Recipient:
    """What a notice needs about one affected customer (read once, in bulk)."""

    customer_id: int
    case_id: int
    name: str
    email: str | None
    language: str
    timezone: str
    facts: dict[str, Any]
    owner_id: int | None


@dataclass(frozen=True)
class Owner:
    name: str
    email: str
    phone: str | None


@dataclass
class Queued:
    """What one round of notices did."""

    queued: int
    skipped: list[Recipient]


def public_url(incident_id: int) -> str:
    """The public page of an incident, from ``FRANKLY_BASE_URL`` (as the feeds' links are).

    ``FRANKLY_PUBLIC_URL``, the older name, is still read when the new one is not set.
    """
    if not os.environ.get("FRANKLY_BASE_URL") and os.environ.get("FRANKLY_PUBLIC_URL"):
        return f"{os.environ['FRANKLY_PUBLIC_URL'].rstrip('/')}/status/incidents/{incident_id}"
    return f"{config.base_url()}/status/incidents/{incident_id}"


def recipients(
    session: Session, incident_id: int, customer_ids: Sequence[int] | None = None
) -> list[Recipient]:
    """The affected customers of an incident with their linked case (all, or those given)."""
    stmt = (
        select(
            IncidentCase.customer_id,
            IncidentCase.case_id,
            Customer.name,
            Customer.email,
            Customer.language,
            Customer.timezone,
            Case.facts,
            Case.owner_id,
        )
        .join(Customer, Customer.id == IncidentCase.customer_id)
        .join(Case, Case.id == IncidentCase.case_id)
        .where(IncidentCase.incident_id == incident_id)
        .order_by(IncidentCase.id)
    )
    rows = session.execute(stmt).all()
    wanted = set(customer_ids) if customer_ids is not None else None
    return [
        Recipient(cid, case_id, name, email, lang, tz, dict(facts or {}), owner)
        for cid, case_id, name, email, lang, tz, facts, owner in rows
        if wanted is None or cid in wanted
    ]


def owners(session: Session, ids: set[int]) -> dict[int, Owner]:
    if not ids:
        return {}
    rows = session.execute(
        select(Agent.id, Agent.name, Agent.email, Agent.phone).where(Agent.id.in_(ids))
    )
    return {i: Owner(n, e, p) for i, n, e, p in rows.all()}


class Composer:
    """Writes the personal notices of one update; caches what every customer shares."""

    def __init__(
        self, incident: Incident, update: IncidentUpdate, owner_map: dict[int, Owner]
    ) -> None:
        self.incident = incident
        self.update = update
        self.owners = owner_map
        self.url = public_url(incident.id)
        self._times: dict[tuple[str, str], str] = {}

    def compose(self, recipient: Recipient) -> tuple[str, str, str]:
        """(language, subject, body) of one customer's notice."""
        lang = (
            recipient.language
            if recipient.language in self.update.texts
            else _first(self.update.texts)
        )
        w = words(lang)
        title = _pick(self.incident.title, lang)
        subject = w.render(
            f"subject.{self.update.kind}", title=title, status=w.status(self.update.status)
        )
        owner_id = recipient.owner_id or self.incident.owner_id
        owner = self.owners.get(owner_id) if owner_id is not None else None
        first_name = (recipient.name or "").split()[0] if (recipient.name or "").split() else ""
        parts = [w.render("greeting", first_name=first_name), self.update.texts[lang].strip()]
        personal = w.personal_line(recipient.facts)
        if personal:
            parts.append(personal)
        closing = []
        if self.update.next_update_at is not None:
            when = self._time(w, self.update.next_update_at, recipient.timezone)
            closing.append(w.render("next_update", next_update=when))
        if self.incident.public and self.update.kind != "follow_up":
            closing.append(w.render("status_link", status_url=self.url))
        if closing:
            parts.append("\n".join(closing))
        parts.append(_contact(w, owner))
        if owner is not None:
            parts.append(w.render("signature", owner_name=owner.name))
        return lang, subject, "\n\n".join(p for p in parts if p)

    def _time(self, w: Words, value: dt.datetime, tz: str) -> str:
        key = (w.lang, tz)
        if key not in self._times:
            self._times[key] = w.datetime(value, tz)
        return self._times[key]


def queue(
    session: Session,
    incident: Incident,
    update: IncidentUpdate,
    targets: Sequence[Recipient],
    *,
    author: str,
    now: dt.datetime,
) -> Queued:
    """Queue one notice per customer in ``targets`` for ``update`` (inside the caller's
    transaction): the messages, their outbox jobs, commitments and events through the
    service layer's bulk writes, and this incident's notice rows.

    A customer without an email gets no message: a notice row says why and a note on
    their case asks a person to reach them another way.
    """
    owner_map = owners(session, {t.owner_id for t in targets if t.owner_id} | _ids(incident))
    composer = Composer(incident, update, owner_map)
    stage = STAGE[update.kind]
    sendable = [t for t in targets if t.email]
    skipped = [t for t in targets if not t.email]
    total = 0
    for start in range(0, len(sendable), BATCH):
        batch = sendable[start : start + BATCH]
        notices = []
        for t in batch:
            lang, subject, body = composer.compose(t)
            notices.append(bulk.Notice(t.case_id, t.email or "", lang, subject, body))
        # The gate, in bulk: every distinct text is checked once; an error-level finding
        # stops the whole update (nothing of it is queued) and names the finding.
        ids = bulk.queue_notices(
            session,
            notices,
            stage=stage,
            author=author,
            now=now,
            tag=f"i{incident.id}u{update.seq}",
            next_update_at=update.next_update_at,
            promise=f"Next update on incident {incident.id}",
            about={"incident_id": incident.id, "incident_update": update.seq},
        )
        session.execute(
            insert(IncidentNotice),
            [
                {
                    "update_id": update.id,
                    "customer_id": t.customer_id,
                    "case_id": t.case_id,
                    "message_id": mid,
                }
                for t, mid in zip(batch, ids, strict=True)
            ],
        )
        total += len(ids)
    if skipped:
        session.execute(
            insert(IncidentNotice),
            [
                {
                    "update_id": update.id,
                    "customer_id": t.customer_id,
                    "case_id": t.case_id,
                    "message_id": None,
                    "skipped": "no_email",
                }
                for t in skipped
            ],
        )
        bulk.add_notes(
            session,
            [
                (
                    t.case_id,
                    {
                        "text": (
                            f"Not emailed about update {update.seq} of incident {incident.id}: "
                            "this customer has no email address. Call them or add an address."
                        ),
                        "incident_id": incident.id,
                        "incident_update": update.seq,
                    },
                )
                for t in skipped
            ],
            author=author,
            at=now,
        )
    return Queued(total, skipped)


def _contact(w: Words, owner: Owner | None) -> str:
    if owner is None:
        return w.render("contact_fallback")
    if owner.phone:
        return w.render(
            "contact", owner_name=owner.name, owner_phone=owner.phone, owner_email=owner.email
        )
    return w.render("contact_no_phone", owner_name=owner.name, owner_email=owner.email)


def _ids(incident: Incident) -> set[int]:
    return {incident.owner_id} if incident.owner_id else set()


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts[_first(texts)]


def _first(texts: dict[str, str]) -> str:
    return "en" if "en" in texts else sorted(texts)[0]
