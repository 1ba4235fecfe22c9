"""Today, Cases and Customers: the pages an agent reads to know what to do next."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from frankly import cadence, cases
from frankly.store import CASE_STATES, SEVERITIES, Agent, Database, utcnow
from frankly.web._session import render, require_agent
from frankly.web.auth import has_role

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
TODAY_GROUPS = ("to_tell", "overdue", "unanswered", "follow_ups", "reviews")
TODAY_PAGE = 50  # rows per page of Today: a manager's team view runs to thousands


def _db(request: Request) -> Database:
    return request.app.state.db


@router.get("/")
def today(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    team: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    db = _db(request)
    team = team and has_role(me, "manager")
    listing = today_listing(db, None if team else me.id, lang=me.language, page=page)
    return render(
        request,
        "today.html",
        {**listing, "team": team, "groups": TODAY_GROUPS},
    )


def today_listing(
    db: Database, agent_id: int | None, lang: str = "en", page: int = 1
) -> dict[str, Any]:
    """One page of the day's list from cadence: ``rows`` (dicts with group, case_id, title,
    customer, why, written in ``lang``, the agent's interface language, also in the team
    view), ``counts`` per group over the whole list, ``total``, ``page`` and ``pages``."""
    found = cadence.today_page(db, agent_id=agent_id, lang=lang, page=page, per_page=TODAY_PAGE)
    return {
        "rows": [_row(row.to_dict()) for row in found.rows],
        "counts": {group: found.counts.get(group, 0) for group in TODAY_GROUPS},
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "group": str(item.get("group") or item.get("kind") or "to_tell"),
        "kind": item.get("kind"),
        "incident_id": item.get("incident_id"),
        "case_id": item.get("case_id"),
        "title": item.get("title") or "",
        "customer": item.get("customer") or "",
        "why": item.get("why") or "",
        "action": item.get("action") or "",
        "severity": item.get("severity") or "",
        "owner": item.get("owner"),
        "due_at": item.get("due_at"),
        "overdue": bool(item.get("overdue")),
    }


@router.get("/cases")
def cases_page(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    q: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[str | None, Query(max_length=20)] = None,
    owner: Annotated[str | None, Query(max_length=20)] = None,
    customer: Annotated[int | None, Query(ge=1)] = None,
    chased: Annotated[str | None, Query(max_length=5)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    db = _db(request)
    filters: dict[str, Any] = {
        "query": q or None,
        "state": state if state in CASE_STATES else None,
        "kind": kind or None,
        "severity": severity if severity in SEVERITIES else None,
        "customer_id": customer,
        "chased": {"yes": True, "no": False}.get(chased or ""),
    }
    if owner == "me":
        filters["owner_id"] = me.id
    elif owner and owner.isdigit():
        filters["owner_id"] = int(owner)
    total = cases.count_cases(db, **filters)
    found = cases.list_cases(db, **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    customers = cases.customers_by_id(db, [c.customer_id for c in found])
    kinds = cases.case_kinds(db)
    agents = {a.id: a for a in cases.list_agents(db)}
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "cases.html",
        {
            "cases": found,
            "customers": customers,
            "agents": agents,
            "total": total,
            "page": page,
            "pages": pages,
            "kinds": kinds,
            "states": CASE_STATES,
            "severities": SEVERITIES,
            "query_base": urlencode(
                {
                    k: v
                    for k, v in _params(q, state, kind, severity, owner, chased, customer).items()
                    if v
                }
            ),
            "params": {
                "q": q or "",
                "state": state or "",
                "kind": kind or "",
                "severity": severity or "",
                "owner": owner or "",
                "chased": chased or "",
                "customer": customer or "",
            },
        },
    )


def _params(*values: Any) -> dict[str, Any]:
    names = ("q", "state", "kind", "severity", "owner", "chased", "customer")
    return dict(zip(names, values, strict=True))


@router.get("/customers")
def customers_page(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    db = _db(request)
    found = cases.list_customers(db, query=q, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    stats = promise_stats(db, [c.id for c in found])
    return render(
        request,
        "customers.html",
        {"customers": found, "stats": stats, "q": q or "", "page": page, "more": more},
    )


def promise_stats(db: Database, customer_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per customer: open cases, all cases, promises kept and missed."""
    return cases.promise_stats(db, customer_ids)


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request, customer_id: int, me: Annotated[Agent, Depends(require_agent)]
) -> Response:
    db = _db(request)
    customer = cases.get_customer(db, customer_id)
    found = cases.list_cases(db, customer_id=customer_id, limit=500)
    history = cases.customer_history(db, customer_id)
    return render(
        request,
        "customer.html",
        {
            "customer": customer,
            "cases": found,
            "commitments": history.commitments,
            "stats": promise_stats(db, [customer_id])[customer_id],
            "last_in": history.last_inbound_at,
            "now": utcnow(),
            "week": dt.timedelta(days=7),
        },
    )
