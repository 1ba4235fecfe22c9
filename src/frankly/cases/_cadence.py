"""Cadence writes: milestones, triggers, scheduled steps, discount codes, reviews.

Each function is one transaction with an event for every change. Drafts written here
(a milestone's update, a ladder rung, a follow-up) are composed from the case's playbook
inside the same transaction, so a milestone never exists without its update draft.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import CaseView, _case, make_message_id
from frankly.cases._commitments import propose
from frankly.cases._gate import CheckerUnavailable, approve_in, stage_type
from frankly.cases._playbooks import session_library
from frankly.cases._timeline import record
from frankly.compose import Formatter, draft
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.playbooks import load_library
from frankly.playbooks.cadence_settings import settings_for
from frankly.playbooks.cadence_texts import fill, texts
from frankly.store import Database
from frankly.store.cadence_models import (
    STEP_KINDS,
    DiscountCode,
    Milestone,
    Review,
    ScheduledStep,
)
from frankly.store.models import (
    OPEN_CASE_STATES,
    Agent,
    Case,
    Commitment,
    Customer,
    Event,
    Message,
    utcnow,
)
from frankly.text.language import detect

# Stage types whose messages promise no next update: they close a conversation.
_NO_PROMISE = ("follow_up", "payment_reminder")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


# ---------------------------------------------------------------------------- milestones


@dataclass
class MilestoneResult:
    milestone: Milestone
    created: bool
    message: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.milestone.to_dict(),
            "created": self.created,
            "update_message": self.message.to_dict() if self.message else None,
        }


def record_milestone(
    db: Database,
    case_id: int,
    code: str,
    *,
    happened_at: dt.datetime | None = None,
    note: str | None = None,
    author: str = "system",
    draft_update: bool = True,
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> MilestoneResult:
    """Record a logistics milestone and draft the ``update`` message that shows the movement.

    Where the case's playbook sets ``auto_send_updates``, the update is approved and queued
    in the same transaction (when the customer has an address). The same milestone (case,
    code, time) recorded twice is stored once (``created`` is False the second time). The
    case's ``milestone`` fact follows the latest milestone. Raises ``InvalidInput`` or
    ``NotFound``.
    """
    code = v.identifier(code.strip().lower(), "milestone")
    note = v.optional_text(note, "note", max_length=500)
    v.aware(happened_at, "happened_at")
    now = at or utcnow()
    happened_at = (happened_at or now).replace(microsecond=0)
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        existing = session.scalar(
            select(Milestone).where(
                Milestone.case_id == case.id,
                Milestone.code == code,
                Milestone.happened_at == happened_at,
            )
        )
        if existing is not None:
            return MilestoneResult(existing, False)
        latest = session.scalar(
            select(func.max(Milestone.happened_at)).where(Milestone.case_id == case.id)
        )
        milestone = Milestone(
            case_id=case.id,
            code=code,
            note=note,
            happened_at=happened_at,
            recorded_at=now,
            source=author,
        )
        session.add(milestone)
        session.flush()
        record(
            session,
            case,
            "milestone_recorded",
            author,
            {
                "milestone_id": milestone.id,
                "code": code,
                "happened_at": happened_at.isoformat(),
                "note": note,
            },
            at=now,
        )
        facts = dict(case.facts or {})
        if (latest is None or happened_at >= latest) and facts.get("milestone") != code:
            record(
                session,
                case,
                "fact_recorded",
                author,
                {"key": "milestone", "value": code, "previous": facts.get("milestone")},
                at=now,
            )
            facts["milestone"] = code
            case.facts = facts
        message = None
        if draft_update and case.state in OPEN_CASE_STATES:
            message = compose_into(session, case, "update", author, now)
            milestone.update_message_id = message.id
            if _auto_send_updates(session, case.kind):
                # The gate refused it (a finding, no address, a promise to confirm): the
                # update waits as a draft for a person.
                with contextlib.suppress(InvalidInput, Conflict, CheckerUnavailable):
                    approve_in(
                        session,
                        case,
                        message,
                        author=AUTOMATIC,
                        stage=stage_type(case.kind, message.stage, session_library(session)),
                        now=now,
                    )
        return MilestoneResult(milestone, True, message)


AUTOMATIC = "frankly (automatic)"


def _auto_send_updates(session: Session, kind: str) -> bool:
    return settings_for(kind, session_library(session)).auto_send_updates


def list_milestones(db: Database, case_id: int) -> list[Milestone]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(Milestone)
                .where(Milestone.case_id == case_id)
                .order_by(Milestone.happened_at, Milestone.id)
            )
        )


# ---------------------------------------------------------------------------- triggers


def fire_trigger(
    db: Database,
    case_id: int,
    key: str,
    reason: str,
    *,
    details: dict[str, Any] | None = None,
    author: str = "frankly",
    at: dt.datetime | None = None,
) -> bool:
    """Raise a case to "must tell now" because a fact broke a promise.

    ``key`` names the broken promise ("new_eta:2026-11-27"); the same key fires once per
    case. Returns whether it fired now. Raises ``NotFound``.
    """
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        fired = session.scalars(
            select(Event.payload).where(Event.case_id == case.id, Event.kind == "trigger_fired")
        )
        if any(payload.get("key") == key for payload in fired):
            return False
        payload = {"key": key, "reason": reason, **(details or {})}
        record(session, case, "trigger_fired", author, payload, at=now)
        return True


def record_cadence_failure(
    db: Database,
    case_id: int,
    error: str,
    *,
    work: str,
    author: str = "frankly",
    at: dt.datetime | None = None,
) -> bool:
    """Note on the case that the cadence could not do ``work`` for it (``error`` says why),
    so a manager sees it on Today while the run goes on for every other case.

    Written once for as long as nothing else happens on the case: the same failure the
    next minute adds nothing. Returns whether an event was written. Raises ``NotFound``.
    """
    now = at or utcnow()
    error = " ".join(str(error).split())[:500] or "unknown error"
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        latest = session.scalar(
            select(Event).where(Event.case_id == case.id).order_by(Event.id.desc()).limit(1)
        )
        if (
            latest is not None
            and latest.kind == "cadence_failed"
            and latest.payload.get("error") == error
            and latest.payload.get("work") == work
        ):
            return False
        record(session, case, "cadence_failed", author, {"work": work, "error": error}, at=now)
        return True


# ---------------------------------------------------------------------------- steps


def schedule_step(
    db: Database,
    case_id: int,
    kind: str,
    stage: str,
    due_at: dt.datetime,
    *,
    auto_send: bool = False,
    author: str = "frankly",
    at: dt.datetime | None = None,
) -> tuple[ScheduledStep, bool]:
    """Schedule a message to draft on ``due_at`` (a follow-up, a payment reminder).

    One step per (case, kind, stage): scheduling it again returns the existing one and
    False. Raises ``InvalidInput`` or ``NotFound``.
    """
    v.choice(kind, STEP_KINDS, "kind")
    v.aware(due_at, "due_at")
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        existing = session.scalar(
            select(ScheduledStep).where(
                ScheduledStep.case_id == case.id,
                ScheduledStep.kind == kind,
                ScheduledStep.stage == stage,
            )
        )
        if existing is not None:
            return existing, False
        step = ScheduledStep(
            case_id=case.id,
            kind=kind,
            stage=stage,
            due_at=due_at,
            status="pending",
            auto_send=auto_send,
            created_at=now,
        )
        session.add(step)
        session.flush()
        event = "follow_up_scheduled" if kind == "follow_up" else "step_scheduled"
        record(
            session,
            case,
            event,
            author,
            {"step_id": step.id, "kind": kind, "stage": stage, "due_at": due_at.isoformat()},
            at=now,
        )
        return step, True


def draft_step(
    db: Database,
    step_id: int,
    *,
    skip_reason: str | None = None,
    discount_percent: int = 0,
    discount_valid_days: int = 90,
    author: str = "frankly",
    at: dt.datetime | None = None,
) -> Message | None:
    """Draft a due step's message (or skip the step, giving ``skip_reason``).

    A follow-up with ``discount_percent`` carries a new single-use code. Returns the draft,
    or None when the step was skipped or done already. Raises ``NotFound``.
    """
    now = at or utcnow()
    with db.transaction() as session:
        found = session.get(ScheduledStep, step_id)
        if found is None:
            raise NotFound(f"No scheduled step with id {step_id}")
        case = _case(session, found.case_id, for_update=True)
        step = session.get(ScheduledStep, step_id, with_for_update=True)
        assert step is not None
        session.refresh(step)
        if step.status != "pending":
            return None
        step.done_at = now
        if skip_reason:
            step.status = "skipped"
            record(
                session,
                case,
                "note_added",
                author,
                {"text": f"Skipped the {step.stage} ({step.kind}): {skip_reason}"},
                at=now,
            )
            return None
        extra = None
        if step.kind == "follow_up" and discount_percent > 0:
            code = _issue(session, case, discount_percent, discount_valid_days, author, now)
            extra = ("code_line", code)
        stage_type = "follow_up" if step.kind == "follow_up" else "payment_reminder"
        message = compose_into(session, case, step.stage, author, now, stage_type, extra)
        step.status = "drafted"
        step.message_id = message.id
        return message


def due_steps(db: Database, now: dt.datetime | None = None) -> list[ScheduledStep]:
    now = now or utcnow()
    with db.reading() as session:
        return list(
            session.scalars(
                select(ScheduledStep)
                .where(ScheduledStep.status == "pending", ScheduledStep.due_at <= now)
                .order_by(ScheduledStep.due_at, ScheduledStep.id)
            )
        )


def list_steps(db: Database, case_id: int | None = None) -> list[ScheduledStep]:
    with db.reading() as session:
        stmt = select(ScheduledStep).order_by(ScheduledStep.due_at, ScheduledStep.id)
        if case_id is not None:
            stmt = stmt.where(ScheduledStep.case_id == case_id)
        return list(session.scalars(stmt))


# ---------------------------------------------------------------------------- codes


def issue_code(
    db: Database,
    case_id: int,
    *,
    percent: int = 10,
    valid_days: int = 90,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> DiscountCode:
    """Issue a unique single-use discount code for the case's customer.

    Raises ``InvalidInput`` (percent outside 1–100) or ``NotFound``.
    """
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        return _issue(session, case, percent, valid_days, author, now)


def redeem_code(
    db: Database, code: str, *, by: str = "system", at: dt.datetime | None = None
) -> DiscountCode:
    """Redeem a code once. Raises ``NotFound`` (no such code) or ``Conflict`` (used,
    void or expired), naming when it was used."""
    now = at or utcnow()
    wanted = (code or "").strip().upper()
    with db.transaction() as session:
        found = session.scalar(select(DiscountCode).where(DiscountCode.code == wanted))
        if found is None:
            raise NotFound(f"No discount code {wanted!r}")
        case = _case(session, found.case_id, for_update=True)
        # Lock the code itself: two redemptions at the same moment, one wins.
        session.refresh(found, with_for_update=True)
        if found.status == "redeemed":
            when = found.redeemed_at.strftime("%Y-%m-%d %H:%M") if found.redeemed_at else "?"
            raise Conflict(f"The code {wanted} was already used on {when} UTC")
        if found.status != "issued":
            raise Conflict(f"The code {wanted} is {found.status}")
        if found.expires_at is not None and found.expires_at < now:
            raise Conflict(f"The code {wanted} expired on {found.expires_at:%Y-%m-%d}")
        found.status = "redeemed"
        found.redeemed_at = now
        found.redeemed_by = v.text(by, "by", max_length=320)
        record(
            session,
            case,
            "code_redeemed",
            found.redeemed_by,
            {"code": found.code, "percent": found.percent},
            at=now,
        )
        return found


def list_codes(db: Database, *, case_id: int | None = None) -> list[DiscountCode]:
    with db.reading() as session:
        stmt = select(DiscountCode).order_by(DiscountCode.id)
        if case_id is not None:
            stmt = stmt.where(DiscountCode.case_id == case_id)
        return list(session.scalars(stmt))


def _issue(
    session: Session, case: Case, percent: int, valid_days: int, author: str, now: dt.datetime
) -> DiscountCode:
    if not 1 <= int(percent) <= 100:
        raise InvalidInput(f"A discount is 1–100 percent, not {percent}", field="percent")
    for _ in range(10):
        text = "THANKS-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        if session.scalar(select(DiscountCode.id).where(DiscountCode.code == text)) is None:
            break
    else:  # pragma: no cover - 32^8 codes; ten collisions in a row do not happen
        raise Conflict("Could not find a free discount code; try again")
    code = DiscountCode(
        code=text,
        case_id=case.id,
        customer_id=case.customer_id,
        percent=int(percent),
        status="issued",
        issued_at=now,
        expires_at=now + dt.timedelta(days=valid_days) if valid_days else None,
    )
    session.add(code)
    session.flush()
    record(
        session,
        case,
        "code_issued",
        author,
        {"code": code.code, "percent": code.percent, "expires_at": _iso(code.expires_at)},
        at=now,
    )
    return code


# ---------------------------------------------------------------------------- reviews


def open_review(
    db: Database,
    case_id: int,
    *,
    due_at: dt.datetime,
    author: str = "frankly",
    at: dt.datetime | None = None,
) -> tuple[Review, bool]:
    """Open the lessons-learned review of a resolved case, due to its owner's manager.

    The review captures the case's figures (time to tell, chased, promises kept and
    missed). One review per case. Raises ``NotFound`` or ``InvalidInput`` (not resolved).
    """
    now = at or utcnow()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        existing = session.scalar(select(Review).where(Review.case_id == case.id))
        if existing is not None:
            return existing, False
        if case.resolved_at is None:
            raise InvalidInput(f"Case {case_id} is not resolved yet", field="case")
        owner = session.get(Agent, case.owner_id) if case.owner_id else None
        reviewer = _reviewer(session, owner)
        review = Review(
            case_id=case.id,
            owner_id=case.owner_id,
            reviewer_id=reviewer.id if reviewer else None,
            playbook=case.kind,
            status="due",
            due_at=due_at,
            figures=_figures(session, case),
            created_at=now,
        )
        session.add(review)
        session.flush()
        record(
            session,
            case,
            "review_due",
            author,
            {
                "review_id": review.id,
                "reviewer_id": review.reviewer_id,
                "due_at": due_at.isoformat(),
            },
            at=now,
        )
        return review, True


def complete_review(
    db: Database,
    review_id: int,
    *,
    missed: str,
    why: str,
    changes: str,
    language: str | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
) -> Review:
    """Write the lessons learned: what was missed, why, what changes so it does not repeat.

    ``changes`` is what the customer's follow-up tells them changed, quoted as written:
    write it for the customer. ``language`` is the language it is written in (default:
    detected); a follow-up in another language says nothing about changes rather than
    quote them in the wrong one. A case already followed up becomes ``reviewed``. Raises
    ``InvalidInput`` (an empty answer, an unknown language), ``NotFound`` or ``Conflict``
    (done already).
    """
    missed = v.text(missed, "missed", max_length=10_000)
    why = v.text(why, "why", max_length=10_000)
    changes = v.text(changes, "changes", max_length=10_000)
    language = _changes_language(changes, language)
    now = at or utcnow()
    with db.transaction() as session:
        found = session.get(Review, review_id)
        if found is None:
            raise NotFound(f"No review with id {review_id}")
        case = _case(session, found.case_id, for_update=True)
        review = session.get(Review, review_id, with_for_update=True)
        assert review is not None
        session.refresh(review)
        if review.status == "done":
            raise Conflict(f"Review {review_id} was completed already")
        review.status = "done"
        review.missed, review.why, review.changes = missed, why, changes
        review.completed_at = now
        review.completed_by = author
        record(
            session,
            case,
            "review_completed",
            author,
            {
                "review_id": review.id,
                "missed": missed,
                "why": why,
                "changes": changes,
                "language": language,
            },
            at=now,
        )
        if case.state == "followed_up":
            record(
                session,
                case,
                "state_changed",
                author,
                {"from": case.state, "to": "reviewed", "reason": "lessons learned written"},
                at=now,
            )
            case.state = "reviewed"
        return review


def _changes_language(changes: str, language: str | None) -> str | None:
    if language is not None:
        language = language.strip().lower()
        if not language.isalpha() or not 2 <= len(language) <= 3:
            raise InvalidInput(
                f"{language!r} is not a language code: write en, es, ...", field="language"
            )
        return language
    found, confidence = detect(changes)
    return found if confidence >= 0.5 else None


def list_reviews(
    db: Database,
    *,
    status: str | None = None,
    reviewer_id: int | None = None,
    query: str | None = None,
    limit: int = 200,
) -> list[tuple[Review, Case]]:
    """Reviews with their cases, due first; ``query`` searches the lessons and the title."""
    with db.reading() as session:
        stmt = (
            select(Review, Case)
            .join(Case, Case.id == Review.case_id)
            .order_by(sql_case((Review.status == "due", 0), else_=1), Review.due_at, Review.id)
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(Review.status == status)
        if reviewer_id is not None:
            stmt = stmt.where(Review.reviewer_id == reviewer_id)
        if query:
            like = v.like_pattern(query)
            stmt = stmt.where(
                or_(
                    *(
                        func.lower(func.coalesce(column, "")).like(like, escape="\\")
                        for column in (
                            Review.missed,
                            Review.why,
                            Review.changes,
                            Review.playbook,
                            Case.title,
                        )
                    )
                )
            )
        return [(review, case) for review, case in session.execute(stmt)]


def _reviewer(session: Session, owner: Agent | None) -> Agent | None:
    if owner is not None and owner.manager_id is not None:
        manager = session.get(Agent, owner.manager_id)
        if manager is not None:
            return manager
    # No manager named: the first active manager, else the owner reviews their own case.
    manager = session.scalar(
        select(Agent).where(Agent.role == "manager", Agent.active.is_(True)).order_by(Agent.id)
    )
    return manager or owner


def _figures(session: Session, case: Case) -> dict[str, Any]:
    commitments = list(session.scalars(select(Commitment).where(Commitment.case_id == case.id)))
    sent = session.scalar(
        select(func.count(Message.id)).where(
            Message.case_id == case.id, Message.direction == "out", Message.status == "sent"
        )
    )
    received = session.scalar(
        select(func.count(Message.id)).where(Message.case_id == case.id, Message.direction == "in")
    )
    to_tell = None
    if case.notified_at is not None:
        to_tell = round((case.notified_at - case.known_at).total_seconds() / 3600, 1)
    to_resolve = None
    if case.resolved_at is not None:
        to_resolve = round((case.resolved_at - case.known_at).total_seconds() / 3600, 1)
    return {
        "hours_to_tell": to_tell,
        "hours_to_resolve": to_resolve,
        "chased": case.chased_at is not None,
        "promises_kept": sum(1 for c in commitments if c.status == "kept"),
        "promises_missed": sum(1 for c in commitments if c.status == "missed"),
        "messages_sent": int(sent or 0),
        "messages_received": int(received or 0),
        "playbook_link": f"/playbooks/{case.kind}",
    }


# ---------------------------------------------------------------------------- drafting


def compose_into(
    session: Session,
    case: Case,
    stage: str,
    author: str,
    now: dt.datetime,
    stage_type: str | None = None,
    extra: tuple[str, DiscountCode] | None = None,
) -> Message:
    """Draft ``stage`` for the case inside the caller's transaction, with its event.

    The case's playbook writes it (``frankly.compose.draft``); where the playbook has no
    such stage or lacks facts for it, the cadence's own words for the stage type do.
    """
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    owner = session.get(Agent, case.owner_id) if case.owner_id else None
    stage_type = stage_type or stage
    composed = _compose(session, case, customer, owner, stage, stage_type, now)
    subject, body, next_at, used_stage = composed
    if extra is not None:
        code = extra[1]
        line = fill(
            str(texts(customer.language)[extra[0]]),
            percent=code.percent,
            code=code.code,
            expires=_written_date(customer, code.expires_at, now) if code.expires_at else "",
        )
        body = _before_signature(body, line)
    if stage_type in _NO_PROMISE:
        next_at = None
    message = Message(
        case_id=case.id,
        direction="out",
        channel="email",
        language=customer.language,
        stage=used_stage,
        subject=subject,
        body=body,
        status="draft",
        author=author,
        sender=owner.email if owner else None,
        recipient=customer.email,
        next_update_at=next_at,
        attempts=0,
        created_at=now,
    )
    session.add(message)
    session.flush()
    message.message_id = make_message_id(message.id, case.id)
    payload: dict[str, Any] = {
        "message_id": message.id,
        "channel": "email",
        "language": message.language,
        "subject": subject,
        "stage": used_stage,
    }
    if next_at is not None:
        commitment = propose(session, case.id, message, next_at, now)
        payload["next_update_at"] = next_at.isoformat()
        payload["commitment_id"] = commitment.id
    record(session, case, "message_drafted", author, payload, at=now)
    return message


def _compose(
    session: Session,
    case: Case,
    customer: Customer,
    owner: Agent | None,
    stage: str,
    stage_type: str,
    now: dt.datetime,
) -> tuple[str, str, dt.datetime | None, str]:
    try:
        playbook = session_library(session).get(case.kind)
        stage_id = stage if stage in playbook.stages else None
        if stage_id is None:
            stage_id = next((s.id for s in playbook.stages.values() if s.type == stage_type), None)
        if stage_id is not None:
            events = list(
                session.scalars(
                    select(Event)
                    .where(
                        Event.case_id == case.id,
                        Event.kind.in_(("option_chosen", "review_completed")),
                    )
                    .order_by(Event.id)
                )
            )
            view = CaseView(case, customer, owner, events)
            composed = draft(view, stage_id, "email", now=now)
            return composed.subject or case.title, composed.body, composed.next_update_at, stage_id
    except InvalidInput:  # no playbook, stage, text or facts for it: our own words below
        pass
    except NotFound:
        pass
    return _fallback(case, customer, owner, stage, stage_type, now, session)


def _fallback(
    case: Case,
    customer: Customer,
    owner: Agent | None,
    stage: str,
    stage_type: str,
    now: dt.datetime,
    session: Session | None = None,
) -> tuple[str, str, dt.datetime | None, str]:
    words = texts(customer.language)
    template = words["messages"].get(stage_type) or words["messages"]["update"]
    facts = dict(case.facts or {})
    milestone = facts.get("milestone")
    milestone_text = words["milestones"].get(str(milestone), str(milestone or "")).strip()
    library = session_library(session) if session is not None else None
    next_at = now + settings_for(case.kind, library).update_every
    values = {
        "first_name": customer.name.split()[0] if customer.name else "",
        "title": case.title,
        "milestone": milestone_text,
        "next_update": _written_moment(customer, next_at, now),
        "owner_name": owner.name if owner else "",
        "owner_phone": (owner.phone if owner else None) or "",
        "invoice": facts.get("invoice_number", ""),
        "amount": facts.get("amount", ""),
        "due_date": facts.get("due_date", ""),
        "pay_link": facts.get("pay_link") or facts.get("payment_link") or "",
    }
    subject = fill(template["subject"], **values)
    body = fill(template["body"], **values).strip()
    return subject, body, next_at, stage


def _formatter(customer: Customer, now: dt.datetime) -> Any:
    lang = customer.language or "en"
    library = load_library()
    if lang not in library.languages:
        lang = "en"
    return Formatter.for_language(library, lang, customer.timezone or "UTC", now=now)


def _written_date(customer: Customer, moment: dt.datetime, now: dt.datetime) -> str:
    """A date in a draft as the customer reads it (never ISO), compared with ``now``."""
    return str(_formatter(customer, now).date(moment))


def _written_moment(customer: Customer, moment: dt.datetime, now: dt.datetime) -> str:
    return str(_formatter(customer, now).datetime(moment))


def _before_signature(body: str, line: str) -> str:
    parts = body.rstrip().rsplit("\n\n", 1)
    if len(parts) == 2 and len(parts[1]) < 120:
        return f"{parts[0]}\n\n{line}\n\n{parts[1]}"
    return f"{body.rstrip()}\n\n{line}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
