"""Customers and agents: who we tell, and who tells them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from frankly.cases import validate as v
from frankly.errors import Conflict, NotFound
from frankly.store import Database
from frankly.store.models import LANGUAGES, ROLES, TIERS, Agent, Customer


def add_customer(
    db: Database,
    *,
    name: str,
    email: str | None = None,
    company: str | None = None,
    phone: str | None = None,
    language: str = "en",
    tier: str = "standard",
    timezone: str = "UTC",
) -> Customer:
    """Add a customer. Raises ``InvalidInput`` for a bad field, ``Conflict`` for a taken email."""
    customer = Customer(
        name=v.text(name, "name", max_length=200, single_line=True),
        email=v.email(email),
        company=v.optional_text(company, "company", max_length=200, single_line=True),
        phone=v.optional_text(phone, "phone", max_length=64, single_line=True),
        language=v.choice(language, LANGUAGES, "language"),
        tier=v.choice(tier, TIERS, "tier"),
        timezone=v.timezone(timezone),
    )
    try:
        with db.transaction() as session:
            session.add(customer)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A customer with the email {customer.email} exists already") from exc
    return customer


def get_customer(db: Database, customer_id: int) -> Customer:
    with db.reading() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"No customer with id {customer_id}")
        return customer


def find_customer(db: Database, email: str) -> Customer | None:
    with db.reading() as session:
        return session.scalar(select(Customer).where(Customer.email == email.strip().lower()))


def list_customers(
    db: Database, *, query: str | None = None, limit: int = 200, offset: int = 0
) -> list[Customer]:
    with db.reading() as session:
        stmt = select(Customer).order_by(Customer.name, Customer.id)
        if query:
            like = v.like_pattern(query)
            stmt = stmt.where(
                func.lower(Customer.name).like(like, escape="\\")
                | func.lower(func.coalesce(Customer.company, "")).like(like, escape="\\")
                | func.lower(func.coalesce(Customer.email, "")).like(like, escape="\\")
            )
        return list(session.scalars(stmt.limit(limit).offset(offset)))


def add_agent(
    db: Database,
    *,
    name: str,
    email: str,
    role: str = "agent",
    language: str = "en",
    timezone: str = "UTC",
    phone: str | None = None,
    manager_id: int | None = None,
    password_hash: str | None = None,
) -> Agent:
    """Add a member of staff. Raises ``InvalidInput`` or ``Conflict`` (email taken)."""
    agent = Agent(
        name=v.text(name, "name", max_length=200, single_line=True),
        email=v.email(email, required=True),
        role=v.choice(role, ROLES, "role"),
        language=v.choice(language, LANGUAGES, "language"),
        timezone=v.timezone(timezone),
        phone=v.optional_text(phone, "phone", max_length=64, single_line=True),
        manager_id=manager_id,
        password_hash=password_hash,
        active=True,
    )
    try:
        with db.transaction() as session:
            if manager_id is not None and session.get(Agent, manager_id) is None:
                raise NotFound(f"No agent with id {manager_id}")
            session.add(agent)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An agent with the email {agent.email} exists already") from exc
    return agent


def get_agent(db: Database, agent_id: int) -> Agent:
    with db.reading() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        return agent


def find_agent(db: Database, email: str) -> Agent | None:
    with db.reading() as session:
        return session.scalar(select(Agent).where(Agent.email == email.strip().lower()))


def list_agents(db: Database) -> list[Agent]:
    with db.reading() as session:
        return list(session.scalars(select(Agent).order_by(Agent.name, Agent.id)))
