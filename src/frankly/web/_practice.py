"""The Practice page: rehearse a hard conversation in the browser.

A thin layer over ``frankly.practice``: the page lists the scenarios in the agent's
language, starts a session, shows the conversation with the customer's mood, takes each
turn, and shows the rubric at the end. Only the trainee may take turns; a manager may read
their team's sessions. Nothing here reaches a case or a customer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frankly import practice
from frankly.accounts import has_role
from frankly.errors import FranklyError
from frankly.store import Agent, Database
from frankly.web._session import check_csrf, render, require_agent

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
MOODS = ("calm", "annoyed", "angry", "furious")


def _db(request: Request) -> Database:
    return request.app.state.db


def _home(request: Request, me: Agent, error: str | None = None, status: int = 200) -> Response:
    db = _db(request)
    scenarios = practice.load_scenarios(me.language) or practice.load_scenarios("en")
    context: dict[str, Any] = {
        "scenarios": scenarios,
        "mine": practice.list_sessions(db, trainee=me.email, limit=20),
        "progress": practice.progress(db, me.email, language=me.language),
        "team": practice.team_progress(db, me) if has_role(me, "manager") else [],
        "names": practice.PRACTICE_NAMES,
        "error": error,
    }
    return render(request, "practice.html", context, status=status)


@router.get("/practice", response_class=HTMLResponse)
def practice_home(request: Request, me: Annotated[Agent, Depends(require_agent)]) -> Response:
    return _home(request, me)


@router.post("/practice/start", dependencies=[Depends(check_csrf)])
async def practice_start(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    scenario: Annotated[str, Form(max_length=80)],
    temperament: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        view = await run_in_threadpool(
            lambda: practice.start_session(
                _db(request),
                scenario,
                trainee=me.email,
                temperament=temperament or None,
                agent_id=me.id,
            )
        )
    except FranklyError as exc:
        return _home(request, me, exc.message, exc.http_status)
    return RedirectResponse(f"/practice/{view.id}", status_code=303)


def _visible(request: Request, me: Agent, session_id: int) -> practice.PracticeView:
    view = practice.get_session(_db(request), session_id)
    if view.trainee != me.email and not (
        has_role(me, "manager")
        and view.trainee in {p.trainee for p in practice.team_progress(_db(request), me)}
    ):
        raise practice.NotYours(f"Practice session {session_id} is someone else's")
    return view


def _page(request: Request, me: Agent, view: practice.PracticeView, **extra: Any) -> Response:
    status = int(extra.pop("status", 200))
    context = {
        "s": view,
        "moods": MOODS,
        "names": practice.PRACTICE_NAMES,
        "labels": practice.SIGNAL_LABELS,
        "mine": view.trainee == me.email,
        **extra,
    }
    return render(request, "practice_session.html", context, status=status)


@router.get("/practice/{session_id}", response_class=HTMLResponse)
def practice_session(
    request: Request, session_id: Id, me: Annotated[Agent, Depends(require_agent)]
) -> Response:
    return _page(request, me, _visible(request, me, session_id))


@router.post("/practice/{session_id}/turn", dependencies=[Depends(check_csrf)])
async def practice_turn(
    request: Request,
    session_id: Id,
    me: Annotated[Agent, Depends(require_agent)],
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        await run_in_threadpool(
            lambda: practice.take_turn(_db(request), session_id, text, trainee=me.email)
        )
    except FranklyError as exc:
        view = _visible(request, me, session_id)
        return _page(request, me, view, error=exc.message, draft=text, status=exc.http_status)
    return RedirectResponse(f"/practice/{session_id}#latest", status_code=303)


@router.post("/practice/{session_id}/end", dependencies=[Depends(check_csrf)])
def practice_end(
    request: Request, session_id: Id, me: Annotated[Agent, Depends(require_agent)]
) -> RedirectResponse:
    practice.end_session(_db(request), session_id, trainee=me.email)
    return RedirectResponse(f"/practice/{session_id}", status_code=303)
