"""The review queue of inbound mail, and the addresses a customer writes from.

``receive_inbound`` holds a mail here when it names a case (by its ``[Case #N]`` tag or
``+case-N`` address, or by answering the customer's own mail) but comes from an address
that is neither the customer's nor one of their contacts. A person then accepts it onto
a case (optionally recording the sender as a contact) or rejects it.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import _case
from frankly.cases._receive import _chase, store_inbound
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.store import Database
from frankly.store.inbound_models import REVIEW_STATES, InboundReview
from frankly.store.models import Customer, Message, utcnow

MAX_CONTACTS = 50


def list_inbound_reviews(
    db: Database, *, status: str | None = "pending", limit: int = 200
) -> list[InboundReview]:
    """Held mail, oldest first (``status=None``: every state, newest first)."""
    if status is not None:
        v.choice(status, REVIEW_STATES, "status")
    with db.reading() as session:
        stmt = select(InboundReview)
        if status is not None:
            stmt = stmt.where(InboundReview.status == status).order_by(InboundReview.id)
        else:
            stmt = stmt.order_by(InboundReview.id.desc())
        return list(session.scalars(stmt.limit(limit)))


def get_inbound_review(db: Database, review_id: int) -> InboundReview:
    """One held mail. Raises ``NotFound``."""
    with db.reading() as session:
        review = session.get(InboundReview, review_id)
        if review is None:
            raise NotFound(f"No held mail with id {review_id}")
        return review


def accept_inbound(
    db: Database,
    review_id: int,
    *,
    case_id: int | None = None,
    add_contact: bool = False,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Message:
    """Put a held mail on a case (the one it named, or ``case_id``); returns the message.

    ``actor`` must have the right to write to that case (``NotAllowed`` otherwise).

    It is dated when it arrived, and marks the case chased as it would have then. With
    ``add_contact`` its sender becomes one of the customer's contacts, so their next mail
    goes straight to the case. Raises ``NotFound`` or ``Conflict`` (already decided) or
    ``InvalidInput`` (no case named and none given).
    """
    now = at or utcnow()
    with db.transaction() as session:
        review = session.scalar(
            select(InboundReview).where(InboundReview.id == review_id).with_for_update()
        )
        if review is None:
            raise NotFound(f"No held mail with id {review_id}")
        if review.status != "pending":
            raise Conflict(f"Held mail {review_id} was {review.status} already")
        target = case_id if case_id is not None else review.case_id
        if target is None:
            raise InvalidInput("Name the case to put this mail on", field="case_id")
        case = _case(session, target, for_update=True)
        check(session, actor, case)
        mail = SimpleNamespace(
            sender=review.sender,
            subject=review.subject,
            body=review.body,
            message_id=review.message_id,
            in_reply_to=review.in_reply_to,
            recipients=[review.recipient] if review.recipient else [],
            language=review.language,
        )
        received = review.received_at
        extra = {"review_id": review.id, "accepted_by": author}
        message = store_inbound(
            session, case, mail, review.triage, "review", author, received, extra=extra
        )
        _chase(session, case, received, author)
        if add_contact:
            customer = session.get(Customer, case.customer_id)
            assert customer is not None
            _add_contacts(customer, [review.sender])
        review.status = "accepted"
        review.decided_at = now
        review.decided_by = author
        review.accepted_message_id = message.id
        review.case_id = case.id
        return message


def reject_inbound(
    db: Database, review_id: int, *, author: str = "system", at: dt.datetime | None = None
) -> InboundReview:
    """Turn a held mail away: it stays in the queue's history and never reaches a case.

    Raises ``NotFound`` or ``Conflict`` (already decided).
    """
    now = at or utcnow()
    with db.transaction() as session:
        review = session.scalar(
            select(InboundReview).where(InboundReview.id == review_id).with_for_update()
        )
        if review is None:
            raise NotFound(f"No held mail with id {review_id}")
        if review.status != "pending":
            raise Conflict(f"Held mail {review_id} was {review.status} already")
        review.status = "rejected"
        review.decided_at = now
        review.decided_by = author
        return review


def set_contacts(
    db: Database,
    customer_id: int,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
) -> Customer:
    """Add or remove addresses the customer also writes from. Raises ``InvalidInput``
    (a bad address, too many) or ``NotFound``."""
    added = [v.email(a, "contacts", required=True) or "" for a in add or []]
    removed = {v.email(a, "contacts", required=True) for a in remove or []}
    with db.transaction() as session:
        customer = session.scalar(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        )
        if customer is None:
            raise NotFound(f"No customer with id {customer_id}")
        _add_contacts(customer, added)
        if removed:
            customer.contacts = [c for c in customer.contacts or [] if c not in removed]
        return customer


def _add_contacts(customer: Customer, addresses: list[str]) -> None:
    contacts = list(customer.contacts or [])
    for address in addresses:
        address = address.lower()
        if address not in contacts and address != (customer.email or "").lower():
            contacts.append(address)
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInput(
            f"A customer may have at most {MAX_CONTACTS} contact addresses", field="contacts"
        )
    customer.contacts = contacts  # a new list, so the JSON column is seen as changed
