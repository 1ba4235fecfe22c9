"""The demo's cadence: promises kept, missed and due, chased cases, milestones, a code, a review.

``load_demo_cadence(db)`` runs after ``frankly.demo.load_demo`` and writes through the
service layer, so what a newcomer sees after ``make run`` is a real paper trail. Running
it twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from frankly import cases
from frankly.cadence._run import run_due
from frankly.store import Database, utcnow
from frankly.store.models import Case, Commitment, Message


def load_demo_cadence(db: Database, *, now: dt.datetime | None = None) -> bool:
    """Add the cadence to the demo cases. Returns False when it is there already."""
    now = now or utcnow()
    with db.reading() as session:
        demo = list(
            session.scalars(select(Case).where(Case.external_ref.like("demo:%")).order_by(Case.id))
        )
        if not demo:
            return False
        ids = [c.id for c in demo]
        # Our promises are the ones made without a message (promise_update); other parts
        # of the demo (incident notices) propose commitments with theirs.
        ours = select(Commitment.id).where(
            Commitment.case_id.in_(ids), Commitment.message_id.is_(None)
        )
        if session.scalar(ours.limit(1)):
            return False
        messages = list(
            session.scalars(select(Message).where(Message.case_id.in_(ids)).order_by(Message.id))
        )
    by_case: dict[int, list[Message]] = {}
    for message in messages:
        by_case.setdefault(message.case_id, []).append(message)
    _promises(db, demo, by_case, now)
    _chases(db, demo, by_case)
    _milestones(db, demo, now)
    cases.settle_overdue(db, now=now)
    run_due(db, now=now)
    _follow_up_and_review(db, demo, now)
    return True


def _promises(
    db: Database, demo: list[Case], by_case: dict[int, list[Message]], now: dt.datetime
) -> None:
    """Each told, open case promised its next update in its last message: some promises
    are missed (alarms), some due within hours, some due in days, and some kept by an
    update that went out in time."""
    told = [c for c in demo if c.state in ("notified", "resolving")]
    for n, case in enumerate(told):
        sent = [m for m in by_case.get(case.id, []) if m.direction == "out" and m.sent_at]
        if not sent or sent[-1].sent_at is None:
            continue
        last = sent[-1].sent_at
        owner = _owner_email(db, case)
        if n % 3 == 2 and last < now - dt.timedelta(hours=3):
            # Promised for within the hour; an update went out two hours ago: kept.
            cases.promise_update(db, case.id, now + dt.timedelta(hours=1), author=owner, at=last)
            language = cases.get_customer(db, case.customer_id).language
            # "Within two days" of the approval: a field set from ``now`` instead named the
            # next day whenever the demo loaded in the two hours after midnight, and the
            # gate refused the message as promising two different days.
            approved = now - dt.timedelta(hours=2)
            update = cases.add_message(
                db,
                case.id,
                direction="out",
                subject=case.title,
                body=UPDATE[language if language in UPDATE else "en"],
                # "Within two days" is read from the approval two hours ago: the field
                # says the same, or near midnight the two fall on different days and the
                # gate asks which one holds.
                next_update_at=now - dt.timedelta(hours=2) + dt.timedelta(days=2),
                author=owner,
                at=approved - dt.timedelta(minutes=5),
            )
            cases.approve_message(db, update.id, author=owner, at=approved)
            cases.mark_sent(db, update.id, worker="demo", at=approved)
            continue
        due = now - dt.timedelta(hours=3) if n % 3 == 0 else now + dt.timedelta(hours=2)
        if due <= last:
            due = last + dt.timedelta(hours=1)
        cases.promise_update(
            db,
            case.id,
            due,
            description="Next update, as promised in our last message",
            author=owner,
            at=last,
        )


UPDATE = {
    "en": "A short update: nothing has changed since my last message, and I am still on it. "
    "I will write again within two days, sooner if anything moves.",
    "es": "Una breve actualización: no hay cambios desde mi último mensaje y sigo con ello. "
    "Le volveré a escribir en dos días, antes si hay novedades.",
}


def _chases(db: Database, demo: list[Case], by_case: dict[int, list[Message]]) -> None:
    """Customers who wrote before we told them chased us."""
    for case in demo:
        first_in = next((m for m in by_case.get(case.id, []) if m.direction == "in"), None)
        if first_in is None:
            continue
        received = first_in.received_at or first_in.created_at
        if case.notified_at is None or received < case.notified_at:
            cases.record_chase(
                db,
                case.id,
                reason="before_first_notice",
                author=first_in.sender or "customer",
                at=received,
            )


def _milestones(db: Database, demo: list[Case], now: dt.datetime) -> None:
    """Late deliveries show their movement; one arrives now and drafts an update."""
    order = ("handed_to_carrier", "at_customs", "documents_checked", "at_our_warehouse")
    for case in demo:
        code = (case.facts or {}).get("milestone")
        if case.kind != "late_delivery" or code not in order:
            continue
        reached = order[: order.index(code) + 1]
        for step, milestone in enumerate(reached):
            when = case.known_at + dt.timedelta(hours=4 * step)
            cases.record_milestone(
                db,
                case.id,
                milestone,
                happened_at=min(when, now - dt.timedelta(hours=1)),
                author="carrier feed",
                draft_update=False,
                at=min(when, now),
            )
        if case.external_ref == "demo:01" and case.state in ("notified", "resolving"):
            cases.record_milestone(
                db,
                case.id,
                "documents_checked",
                happened_at=now - dt.timedelta(minutes=20),
                note="Customs accepted the corrected commodity code",
                author="carrier feed",
                at=now,
            )


def _follow_up_and_review(db: Database, demo: list[Case], now: dt.datetime) -> None:
    """A followed-up customer got a thank-you code and used it; one review is written."""
    followed = [c for c in demo if c.state == "followed_up"]
    if followed:
        code = cases.issue_code(db, followed[0].id, percent=10, author="demo", at=now)
        cases.redeem_code(db, code.code, by="shop checkout", at=now)
    done = next(
        (
            r
            for r, c in cases.list_reviews(db, status="due")
            if c.state == "followed_up" and c.kind == "wrong_item"
        ),
        None,
    )
    if done is not None:
        cases.complete_review(
            db,
            done.id,
            missed="We packed the wrong colour and only found out when the customer wrote.",
            why="Two products that differ only in colour share one shelf label, and nobody "
            "checks the colour before dispatch.",
            # Written for the customer: the follow-up quotes it to them.
            changes="Each colour now has its own bin and label, and we check a photo of "
            "every item against the order before it leaves our warehouse.",
            language="en",
            author="maria@northwind.example",
            at=now,
        )


def _owner_email(db: Database, case: Case) -> str:
    if case.owner_id is None:
        return "demo"
    return cases.get_agent(db, case.owner_id).email
