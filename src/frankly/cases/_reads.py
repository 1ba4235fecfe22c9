"""Read-only views of the register for the web pages: what a list page shows beside its
cases, a customer's history, and the rows the Insights figures are computed from.

The web runs no SQL of its own; each page calls one of these (one short reading session,
a fixed number of statements whatever the number of rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from frankly.cases._cases import OPEN_STATES
from frankly.store import Database
from frankly.store.cadence_models import DiscountCode
from frankly.store.models import Agent, Case, Commitment, Customer, Message


def customers_by_id(db: Database, ids: Sequence[int]) -> dict[int, Customer]:
    """The customers with these ids (the missing ones left out), by id."""
    if not ids:
        return {}
    with db.reading() as session:
        found = session.scalars(select(Customer).where(Customer.id.in_(set(ids))))
        return {c.id: c for c in found}


def case_kinds(db: Database) -> list[str]:
    """Every kind a case in the register has, sorted (the Cases page's filter)."""
    with db.reading() as session:
        return sorted(session.scalars(select(Case.kind).distinct()))


def promise_stats(db: Database, customer_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per customer: open cases, all cases, promises kept and missed."""
    out: dict[int, dict[str, int]] = {
        i: {"cases": 0, "open": 0, "kept": 0, "missed": 0} for i in customer_ids
    }
    if not customer_ids:
        return out
    ids = list(customer_ids)
    with db.reading() as session:
        for customer_id, state, n in session.execute(
            select(Case.customer_id, Case.state, func.count(Case.id))
            .where(Case.customer_id.in_(ids))
            .group_by(Case.customer_id, Case.state)
        ):
            out[customer_id]["cases"] += n
            if state in OPEN_STATES:
                out[customer_id]["open"] += n
        for customer_id, status, n in session.execute(
            select(Case.customer_id, Commitment.status, func.count(Commitment.id))
            .join(Case, Case.id == Commitment.case_id)
            .where(Case.customer_id.in_(ids), Commitment.status.in_(("kept", "missed")))
            .group_by(Case.customer_id, Commitment.status)
        ):
            out[customer_id][status] += n
    return out


@dataclass(frozen=True)
class CustomerHistory:
    """What the customer page shows beside their cases."""

    commitments: list[Commitment]  # newest due first
    last_inbound_at: dt.datetime | None  # when they last wrote to us


def customer_history(db: Database, customer_id: int, *, limit: int = 200) -> CustomerHistory:
    """The customer's promises (up to ``limit``, latest due first) and their last message in."""
    with db.reading() as session:
        commitments = list(
            session.scalars(
                select(Commitment)
                .join(Case, Case.id == Commitment.case_id)
                .where(Case.customer_id == customer_id)
                .order_by(Commitment.due_at.desc())
                .limit(limit)
            )
        )
        last_in = session.scalar(
            select(func.max(Message.received_at))
            .join(Case, Case.id == Message.case_id)
            .where(Case.customer_id == customer_id, Message.direction == "in")
        )
    return CustomerHistory(commitments, last_in)


@dataclass(frozen=True)
class Activity:
    """The register since a moment, as the Insights figures read it."""

    cases: list[Case]  # opened since
    agent_names: dict[int, str]  # by id
    agent_names_by_email: dict[str, str]
    commitments: list[Commitment]  # kept or missed, due since
    # (message id, sent at, author, case kind, stage) of emails sent since, newest first
    sent: list[tuple[int, dt.datetime | None, str | None, str, str | None]]
    # (issued at, redeemed at) of discount codes issued or redeemed since
    codes: list[tuple[dt.datetime, dt.datetime | None]]


def activity_since(db: Database, since: dt.datetime) -> Activity:
    """Cases, kept and missed promises, sent messages and discount codes since ``since``."""
    with db.reading() as session:
        all_cases = list(session.scalars(select(Case).where(Case.created_at >= since)))
        agents = {a.id: a.name for a in session.scalars(select(Agent))}
        commitments = list(
            session.scalars(
                select(Commitment).where(
                    Commitment.due_at >= since, Commitment.status.in_(("kept", "missed"))
                )
            )
        )
        sent = [
            (mid, sent_at, author, kind, stage)
            for mid, sent_at, author, kind, stage in session.execute(
                select(Message.id, Message.sent_at, Message.author, Case.kind, Message.stage)
                .join(Case, Case.id == Message.case_id)
                .where(
                    Message.direction == "out",
                    Message.status == "sent",
                    Message.sent_at >= since,
                )
                .order_by(Message.id.desc())
            )
        ]
        emails = {a.email: a.name for a in session.scalars(select(Agent))}
        codes = [
            (issued, redeemed)
            for issued, redeemed in session.execute(
                select(DiscountCode.issued_at, DiscountCode.redeemed_at).where(
                    (DiscountCode.issued_at >= since) | (DiscountCode.redeemed_at >= since)
                )
            )
        ]
    return Activity(all_cases, agents, emails, commitments, sent, codes)
