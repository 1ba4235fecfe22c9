"""The review queue of inbound mail: a page for staff and its API.

Mail that names a case (by tag, address or the customer's own thread) but comes from an
address the case's customer does not use waits here; an agent or a manager puts it on a
case or turns it away. The rules are in ``cases`` (``accept_inbound``, ``reject_inbound``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from frankly import cases
from frankly.errors import FranklyError
from frankly.store import Agent, Database
from frankly.web._api import ERRORS, api_agent
from frankly.web._session import check_csrf, render, require_agent

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(api_agent)])
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _db(request: Request) -> Database:
    return request.app.state.db


@router.get("/inbox/review", response_class=HTMLResponse)
def review_page(
    request: Request, agent: Annotated[Agent, Depends(require_agent)], error: str | None = None
) -> HTMLResponse:
    held = cases.list_inbound_reviews(_db(request))
    return render(request, "inbox_review.html", {"held": held, "error": error})


@router.post("/inbox/review/{review_id}/accept", dependencies=[Depends(check_csrf)])
def accept_page(
    request: Request,
    review_id: Id,
    agent: Annotated[Agent, Depends(require_agent)],
    case_id: Annotated[str, Form()] = "",
    add_contact: Annotated[str, Form()] = "",
) -> Any:
    target = int(case_id) if case_id.strip().isdigit() else None
    try:
        message = cases.accept_inbound(
            _db(request),
            review_id,
            case_id=target,
            add_contact=bool(add_contact),
            author=agent.email,
            actor=agent,
        )
    except FranklyError as exc:
        held = cases.list_inbound_reviews(_db(request))
        return render(
            request,
            "inbox_review.html",
            {"held": held, "error": exc.message},
            status=exc.http_status,
        )
    return RedirectResponse(f"/cases/{message.case_id}", status_code=303)


@router.post("/inbox/review/{review_id}/reject", dependencies=[Depends(check_csrf)])
def reject_page(
    request: Request, review_id: Id, agent: Annotated[Agent, Depends(require_agent)]
) -> RedirectResponse:
    cases.reject_inbound(_db(request), review_id, author=agent.email)
    return RedirectResponse("/inbox/review", status_code=303)


class AcceptBody(BaseModel):
    case_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    add_contact: bool = False


@api_router.get("/inbound/review", summary="Inbound mail held for review")
def api_list(request: Request) -> list[dict[str, Any]]:
    return [r.to_dict() for r in cases.list_inbound_reviews(_db(request))]


@api_router.post(
    "/inbound/review/{review_id}/accept",
    summary="Put a held mail on its case (or on case_id); returns the message",
)
async def api_accept(request: Request, review_id: Id, body: AcceptBody) -> dict[str, Any]:
    me: Agent = request.state.api_agent
    message = await run_in_threadpool(
        lambda: cases.accept_inbound(
            _db(request),
            review_id,
            case_id=body.case_id,
            add_contact=body.add_contact,
            author=f"api:{me.email}",
            actor=me,
        )
    )
    return message.to_dict()


@api_router.post("/inbound/review/{review_id}/reject", summary="Turn a held mail away")
def api_reject(request: Request, review_id: Id) -> dict[str, Any]:
    me: Agent = request.state.api_agent
    return cases.reject_inbound(_db(request), review_id, author=f"api:{me.email}").to_dict()
