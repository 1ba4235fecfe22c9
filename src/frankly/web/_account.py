"""Signing in and out, the agent's own settings and tokens, and (for admins) the users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from frankly import cases
from frankly.errors import FranklyError, NotFound
from frankly.store import LANGUAGES, ROLES, Agent, Database, utcnow
from frankly.web import _i18n, auth
from frankly.web._session import (
    check_csrf,
    client_address,
    current_agent,
    render,
    require_admin,
    require_agent,
    sign_in,
    sign_out,
)

router = APIRouter(include_in_schema=False)


def _db(request: Request) -> Database:
    return request.app.state.db


def _safe_next(target: str | None) -> str:
    # Only local paths: a crafted link must not send a fresh session to another site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if current_agent(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        agent = auth.authenticate(_db(request), email, password, ip=client_address(request))
    except (auth.WrongCredentials, auth.TooManyAttempts) as exc:
        context = {"next": _safe_next(next), "error": exc.message, "email": email}
        page = render(request, "login.html", context, status=exc.http_status)
        if isinstance(exc, auth.TooManyAttempts):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    sign_in(request, agent, response)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    sign_out(request, response)
    return response


@router.get("/account")
def account(request: Request, me: Annotated[Agent, Depends(require_agent)]) -> Response:
    return _account_page(request, me)


def _account_page(request: Request, me: Agent, **extra: Any) -> Response:
    context = {
        "languages": _i18n.languages(),
        "tokens": auth.list_tokens(_db(request), me.id),
        "scopes": [s for s in auth.SCOPES if s != "admin" or auth.has_role(me, "admin")],
        "default_days": auth.DEFAULT_TOKEN_DAYS,
        "max_days": auth.MAX_TOKEN_DAYS,
        "now": utcnow(),
        "new_token": None,
        "error": None,
        "saved": False,
        **extra,
    }
    return render(request, "account.html", context)


@router.post("/account/language", dependencies=[Depends(check_csrf)])
def set_language(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    language: Annotated[str, Form(max_length=8)],
) -> Response:
    auth.set_language(_db(request), me.id, language, known=_i18n.languages())
    return RedirectResponse(request.headers.get("referer") or "/account", status_code=303)


@router.post("/account/password", dependencies=[Depends(check_csrf)])
def change_password(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
) -> Response:
    if not auth.verify_password(me.password_hash, current):
        return _account_page(request, me, error="The current password is wrong.")
    try:
        auth.set_password(_db(request), me.id, new)
    except FranklyError as exc:
        return _account_page(request, me, error=exc.message)
    # The new password ended every session, this one included: start a fresh one here.
    sign_in(request, cases.get_agent(_db(request), me.id))
    return _account_page(request, request.state.agent, saved=True)


@router.post("/account/tokens", dependencies=[Depends(check_csrf)])
def new_token(
    request: Request,
    me: Annotated[Agent, Depends(require_agent)],
    name: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=10)] = "read",
    expires_days: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    try:
        days = int(expires_days) if expires_days.strip() else auth.DEFAULT_TOKEN_DAYS
    except ValueError:
        return _account_page(request, me, error="Give the days the token lasts as a number.")
    try:
        _, raw = auth.issue_token(_db(request), me.id, name, scope=scope, days=days)
    except FranklyError as exc:
        return _account_page(request, me, error=exc.message)
    return _account_page(request, me, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(
    request: Request, token_id: int, me: Annotated[Agent, Depends(require_agent)]
) -> Response:
    auth.revoke_token(_db(request), token_id, agent_id=me.id)
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/users")
def users(request: Request, me: Annotated[Agent, Depends(require_admin)]) -> Response:
    return _users_page(request)


def _users_page(request: Request, **extra: Any) -> Response:
    context = {
        "agents": cases.list_agents(_db(request)),
        "roles": ROLES,
        "languages": LANGUAGES,
        "error": None,
        "form": {},
        **extra,
    }
    return render(request, "users.html", context)


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
def add_user(
    request: Request,
    me: Annotated[Agent, Depends(require_admin)],
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=20)] = "agent",
    language: Annotated[str, Form(max_length=8)] = "en",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"name": name, "email": email, "role": role, "language": language}
    try:
        auth.create_user(
            _db(request), name=name, email=email, password=password, role=role, language=language
        )
    except FranklyError as exc:
        return _users_page(request, error=exc.message, form=form)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{agent_id}/password", dependencies=[Depends(check_csrf)])
def reset_password(
    request: Request,
    agent_id: int,
    me: Annotated[Agent, Depends(require_admin)],
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        auth.set_password(_db(request), agent_id, password)
    except NotFound:
        raise
    except FranklyError as exc:
        return _users_page(request, error=exc.message)
    return RedirectResponse("/admin/users", status_code=303)
