"""Cases: open one, record what we learn, move it through its life, show its paper trail.

Every function here is one transaction: it either writes the change and its event, or,
on any error, nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._playbooks import get_playbook
from frankly.cases._timeline import REBUILT_FIELDS, rebuild, record
from frankly.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from frankly.playbooks import Playbook
from frankly.store import Database
from frankly.store.models import (
    CASE_STATES,
    CHANNELS,
    DIRECTIONS,
    FAULTS,
    LANGUAGES,
    MESSAGE_STATUSES,
    OPEN_CASE_STATES,
    SEVERITIES,
    Agent,
    Case,
    Commitment,
    Customer,
    Event,
    Message,
    utcnow,
)

# The life of a case. A case may be cancelled until it is resolved; a resolved case
# can be reopened (back to resolving) until it is followed up.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("notified", "cancelled"),
    "notified": ("resolving", "resolved", "cancelled"),
    "resolving": ("resolved", "cancelled"),
    "resolved": ("followed_up", "reviewed", "resolving"),
    "followed_up": ("reviewed",),
    "reviewed": (),
    "cancelled": (),
}
# public as frankly.cases.OPEN_STATES; defined once, beside CASE_STATES
OPEN_STATES = OPEN_CASE_STATES


@dataclass
class CaseView:
    """A case with everything a person needs to read it."""

    case: Case
    customer: Customer
    owner: Agent | None
    events: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.case.to_dict(),
            "customer": self.customer.to_dict(),
            "owner": self.owner.to_dict() if self.owner else None,
            "events": [e.to_dict() for e in self.events],
            "messages": [m.to_dict() for m in self.messages],
            "commitments": [c.to_dict() for c in self.commitments],
        }


def open_case(
    db: Database,
    *,
    customer_id: int,
    kind: str,
    title: str,
    severity: str = "medium",
    fault: str = "ours",
    facts: dict[str, Any] | None = None,
    owner_id: int | None = None,
    external_ref: str | None = None,
    known_at: dt.datetime | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Case:
    """Open a case for a customer. Raises ``InvalidInput``, ``NotFound`` or ``Conflict``,
    and ``NotAllowed`` when an agent ``actor`` opens it for someone else."""
    kind = v.identifier(kind, "kind")
    title = v.text(title, "title", single_line=True)
    external_ref = v.optional_text(external_ref, "external_ref", max_length=200, single_line=True)
    v.choice(severity, SEVERITIES, "severity")
    v.choice(fault, FAULTS, "fault")
    facts = v.facts(facts or {})
    _typed(db, kind, facts)
    v.aware(known_at, "known_at")
    v.aware(at, "at")
    now = at or utcnow()
    try:
        with db.transaction() as session:
            if session.get(Customer, customer_id) is None:
                raise NotFound(f"No customer with id {customer_id}")
            if owner_id is not None and session.get(Agent, owner_id) is None:
                raise NotFound(f"No agent with id {owner_id}")
            check(session, actor, SimpleNamespace(id=None, owner_id=owner_id))
            case = Case(
                kind=kind,
                title=title,
                severity=severity,
                fault=fault,
                state="open",
                facts=facts,
                customer_id=customer_id,
                owner_id=owner_id,
                external_ref=external_ref,
                known_at=known_at or now,
                created_at=now,
                updated_at=now,
            )
            session.add(case)
            session.flush()
            record(
                session,
                case,
                "case_opened",
                author,
                {f: getattr(case, f) for f in REBUILT_FIELDS},
                at=now,
            )
            return case
    except IntegrityError as exc:
        raise Conflict(f"A case with the reference {external_ref!r} exists already") from exc


def get_case(db: Database, case_id: int) -> Case:
    with db.reading() as session:
        return _case(session, case_id)


def find_case_by_ref(db: Database, external_ref: str) -> Case | None:
    with db.reading() as session:
        return session.scalar(select(Case).where(Case.external_ref == external_ref))


def record_facts(
    db: Database,
    case_id: int,
    facts: dict[str, Any],
    *,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Case:
    """Record facts on a case: one ``fact_recorded`` event for each fact that changed.

    A value of ``None`` removes the fact. Raises ``InvalidInput`` or ``NotFound``.
    """
    facts = v.facts(facts)
    if not facts:
        raise InvalidInput("No facts given: write name=value", field="facts")
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        _typed(
            db, case.kind, {k: value for k, value in facts.items() if value is not None}, session
        )
        current = dict(case.facts or {})
        for key, value in facts.items():
            previous = current.get(key)
            if key in current and previous == value:
                continue
            if value is None:
                if key not in current:
                    continue
                current.pop(key)
                payload = {"key": key, "previous": previous, "removed": True}
            else:
                current[key] = value
                payload = {"key": key, "value": value, "previous": previous}
            record(session, case, "fact_recorded", author, payload, at=at)
        case.facts = current
        return case


def change_state(
    db: Database,
    case_id: int,
    to: str,
    *,
    author: str = "system",
    reason: str | None = None,
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Case:
    """Move a case to state ``to``. Raises ``IllegalTransition`` when its life cycle forbids it."""
    v.choice(to, CASE_STATES, "state")
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        allowed = TRANSITIONS[case.state]
        if to not in allowed:
            options = ", ".join(allowed) if allowed else "nothing: it is closed"
            raise IllegalTransition(
                f"Case {case_id} is {case.state}; it cannot become {to} (it can become {options})"
            )
        if to == "notified":
            missing = _playbook(db, case.kind, session).missing_facts(case.facts or {})
            if missing:
                names = "; ".join(f"{f.name} ({f.question_in('en')})" for f in missing)
                raise IllegalTransition(
                    f"Case {case_id} cannot be notified yet: missing required facts: {names}"
                )
        payload: dict[str, Any] = {"from": case.state, "to": to}
        if reason:
            payload["reason"] = reason
        event = record(session, case, "state_changed", author, payload, at=at)
        case.state = to
        if to == "notified" and case.notified_at is None:
            case.notified_at = event.at
        if to == "resolved":
            case.resolved_at = event.at
        return case


def update_case(
    db: Database,
    case_id: int,
    *,
    author: str = "system",
    title: str | None = None,
    severity: str | None = None,
    fault: str | None = None,
    owner_id: int | None = None,
    actor: Actor = None,
) -> Case:
    """Change a case's title, severity, fault or owner, with one ``case_updated`` event."""
    if title is not None:
        title = v.text(title, "title", single_line=True)
    if severity is not None:
        v.choice(severity, SEVERITIES, "severity")
    if fault is not None:
        v.choice(fault, FAULTS, "fault")
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        if owner_id is not None and session.get(Agent, owner_id) is None:
            raise NotFound(f"No agent with id {owner_id}")
        wanted = {"title": title, "severity": severity, "fault": fault, "owner_id": owner_id}
        changes = {
            name: [getattr(case, name), value]
            for name, value in wanted.items()
            if value is not None and getattr(case, name) != value
        }
        if not changes:
            raise InvalidInput("Nothing to change: the case already says that")
        for name, (_, value) in changes.items():
            setattr(case, name, value)
        record(session, case, "case_updated", author, {"changes": changes})
        return case


def add_note(
    db: Database,
    case_id: int,
    text: str,
    *,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Event:
    """Add a note to the case's timeline."""
    text = v.text(text, "note", max_length=20_000)
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        return record(session, case, "note_added", author, {"text": text}, at=at)


def correct_event(
    db: Database,
    case_id: int,
    event_id: int,
    payload: dict[str, Any],
    *,
    reason: str,
    author: str = "system",
    actor: Actor = None,
) -> Event:
    """Correct an earlier event with a new one that points at it (the old one stays).

    Only facts and notes can be corrected; a corrected fact changes the case's facts.
    """
    reason = v.text(reason, "reason", max_length=2000)
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        original = session.get(Event, event_id)
        if original is None or original.case_id != case_id:
            raise NotFound(f"No event {event_id} on case {case_id}")
        if original.kind not in ("fact_recorded", "note_added"):
            raise InvalidInput(f"A {original.kind} event cannot be corrected; add a note instead")
        if original.kind == "fact_recorded":
            key = original.payload["key"]
            if set(payload) != {"value"}:
                raise InvalidInput("A fact correction gives the new value only", field="value")
            # The corrected value passes the same boundary as a recorded one.
            v.facts({key: payload["value"]})
            if payload["value"] is not None:
                _typed(db, case.kind, {key: payload["value"]}, session)
            new_payload = {"key": key, "value": payload["value"], "previous": None}
            facts = dict(case.facts or {})
            latest = session.scalar(
                select(func.max(Event.id)).where(
                    Event.case_id == case_id,
                    Event.kind == "fact_recorded",
                    Event.payload["key"].as_string() == key,
                )
            )
            if latest == event_id:
                facts[key] = payload["value"]
                case.facts = facts
        else:
            new_payload = {"text": v.text(payload.get("text"), "note", max_length=20_000)}
        return record(
            session,
            case,
            "correction",
            author,
            {"kind": original.kind, "payload": new_payload, "reason": reason},
            corrects_id=event_id,
        )


def add_message(
    db: Database,
    case_id: int,
    *,
    direction: str,
    body: str,
    channel: str = "email",
    subject: str | None = None,
    language: str | None = None,
    status: str | None = None,
    stage: str | None = None,
    author: str = "system",
    sender: str | None = None,
    recipient: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    next_update_at: dt.datetime | None = None,
    triage: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Message:
    """Add a message to a case: an outbound draft, or an inbound message received.

    Outbound messages start as drafts; inbound ones as received. Raises ``InvalidInput``.
    """
    v.choice(direction, DIRECTIONS, "direction")
    v.choice(channel, CHANNELS, "channel")
    body = v.text(body, "body", max_length=1_000_000)
    status = status or ("draft" if direction == "out" else "received")
    v.choice(status, MESSAGE_STATUSES, "status")
    if direction == "in" and status != "received":
        raise InvalidInput("An inbound message is always 'received'", field="status")
    if direction == "out" and status == "received":
        raise InvalidInput("An outbound message cannot be 'received'", field="status")
    v.aware(next_update_at, "next_update_at")
    subject = v.optional_text(subject, "subject", max_length=500, single_line=True)
    # Addresses and ids become mail headers: one line each, no control characters.
    sender, recipient, message_id, in_reply_to = (
        v.optional_text(value, name, max_length=998, single_line=True)
        for value, name in (
            (sender, "sender"),
            (recipient, "recipient"),
            (message_id, "message_id"),
            (in_reply_to, "in_reply_to"),
        )
    )
    if stage is not None:
        stage = v.text(stage, "stage", max_length=64, single_line=True)
    if triage is not None:
        v.json_value(triage, "triage")
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        customer = session.get(Customer, case.customer_id)
        assert customer is not None
        language = v.choice(language or customer.language, LANGUAGES, "language")
        message = Message(
            case_id=case.id,
            direction=direction,
            channel=channel,
            language=language,
            stage=stage,
            subject=subject,
            body=body,
            status=status,
            author=author,
            sender=sender,
            recipient=recipient or (customer.email if direction == "out" else None),
            message_id=message_id,
            in_reply_to=in_reply_to,
            next_update_at=next_update_at,
            triage=triage,
            attempts=0,
            created_at=now,
            received_at=now if direction == "in" else None,
            sent_at=now if status == "sent" else None,
        )
        session.add(message)
        session.flush()
        if message.message_id is None:
            message.message_id = make_message_id(message.id, case.id)
        # An outbound message logged as already sent (a phone call, a mail sent elsewhere)
        # enters the timeline as sent; everything else outbound starts as a draft.
        kind = {"in": "message_received", "out": "message_drafted"}[direction]
        if direction == "out" and status == "sent":
            kind = "message_sent"
        payload: dict[str, Any] = {
            "message_id": message.id,
            "channel": channel,
            "language": language,
            "subject": message.subject,
        }
        if stage:
            payload["stage"] = stage
        record(session, case, kind, author, payload, at=now)
        return message


def make_message_id(message_pk: int, case_id: int) -> str:
    """A stable RFC 5322 Message-ID: the same message always carries the same one."""
    import os

    domain = os.environ.get("FRANKLY_MAIL_DOMAIN", "frankly.localhost")
    return f"<frankly.{case_id}.{message_pk}.{os.urandom(6).hex()}@{domain}>"


def list_cases(
    db: Database,
    *,
    state: str | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    severity: str | None = None,
    chased: bool | None = None,
    query: str | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[Case]:
    """Cases matching every filter given, most recently changed first."""
    with db.reading() as session:
        return list(
            session.scalars(
                _filtered(
                    select(Case),
                    state=state,
                    kind=kind,
                    customer_id=customer_id,
                    owner_id=owner_id,
                    severity=severity,
                    chased=chased,
                    query=query,
                    open_only=open_only,
                )
                .order_by(Case.updated_at.desc(), Case.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )


def count_cases(db: Database, **filters: Any) -> int:
    with db.reading() as session:
        stmt = _filtered(select(func.count(Case.id)), **filters)
        return int(session.scalar(stmt) or 0)


def _filtered(
    stmt: Select[Any],
    *,
    state: str | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
    owner_id: int | None = None,
    severity: str | None = None,
    chased: bool | None = None,
    query: str | None = None,
    open_only: bool = False,
) -> Select[Any]:
    if state is not None:
        stmt = stmt.where(Case.state == v.choice(state, CASE_STATES, "state"))
    if open_only:
        stmt = stmt.where(Case.state.in_(OPEN_STATES))
    if kind is not None:
        stmt = stmt.where(Case.kind == kind)
    if customer_id is not None:
        stmt = stmt.where(Case.customer_id == customer_id)
    if owner_id is not None:
        stmt = stmt.where(Case.owner_id == owner_id)
    if severity is not None:
        stmt = stmt.where(Case.severity == v.choice(severity, SEVERITIES, "severity"))
    if chased is not None:
        stmt = stmt.where(Case.chased_at.is_not(None) if chased else Case.chased_at.is_(None))
    if query:
        like = v.like_pattern(query)
        stmt = stmt.join(Customer, Customer.id == Case.customer_id).where(
            or_(
                func.lower(Case.title).like(like, escape="\\"),
                func.lower(Customer.name).like(like, escape="\\"),
                func.lower(func.coalesce(Customer.company, "")).like(like, escape="\\"),
                func.lower(func.coalesce(Case.external_ref, "")).like(like, escape="\\"),
            )
        )
    return stmt


def show_case(db: Database, case_id: int) -> CaseView:
    """A case with its customer, owner, whole timeline, messages and commitments."""
    with db.reading() as session:
        case = _case(session, case_id)
        customer = session.get(Customer, case.customer_id)
        assert customer is not None
        owner = session.get(Agent, case.owner_id) if case.owner_id else None
        events = list(
            session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.id))
        )
        messages = list(
            session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.id))
        )
        commitments = list(
            session.scalars(
                select(Commitment).where(Commitment.case_id == case_id).order_by(Commitment.id)
            )
        )
        return CaseView(case, customer, owner, events, messages, commitments)


def rebuild_case(db: Database, case_id: int) -> dict[str, Any]:
    """The case's fields as its timeline tells them (they must equal the stored row)."""
    with db.reading() as session:
        _case(session, case_id)
        events = session.scalars(select(Event).where(Event.case_id == case_id))
        return rebuild(events)


def _playbook(db: Database, kind: str, session: Session | None = None) -> Playbook:
    """The playbook for a case kind (uploads too); ``UnknownPlaybook`` names the known ones."""
    return get_playbook(db, kind, session=session)


def _typed(db: Database, kind: str, facts: dict[str, Any], session: Session | None = None) -> None:
    """Refuse a fact whose value does not fit its type in the playbook (``amount=abc``).

    The values are stored as given; typing them here only checks them, so a draft
    never meets a fact it cannot read.
    """
    _playbook(db, kind, session).coerce_facts(facts)


def _case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    case = session.scalar(stmt)
    if case is None:
        raise NotFound(f"No case with id {case_id}")
    return case
