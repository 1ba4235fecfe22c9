"""Signed session cookies, CSRF tokens, the signed-in agent, and page rendering.

The session is a cookie signed with itsdangerous (HttpOnly, SameSite=Lax, Secure over
HTTPS): it holds the agent's id, a CSRF token and a fingerprint of the password hash, so
changing a password ends every other session. Nothing is kept in process memory.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

from frankly.store import Agent, Database
from frankly.web import _i18n
from frankly.web.auth import Forbidden, has_role, secret_key

COOKIE = "frankly_session"
MAX_AGE = 12 * 3600
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to /login."""


class CsrfFailed(Exception):
    """A form came without the CSRF token of this session."""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    app_state = request.app.state
    if getattr(app_state, "signer", None) is None:
        db: Database = app_state.db
        app_state.signer = URLSafeTimedSerializer(secret_key(db), salt="frankly.session")
    return app_state.signer


def read_session(request: Request) -> dict[str, Any]:
    """The session's contents, or {} when there is no valid cookie."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    raw = request.cookies.get(COOKIE)
    data: dict[str, Any] = {}
    if raw and len(raw) < 4096:
        try:
            loaded = _serializer(request).loads(raw, max_age=MAX_AGE)
            if isinstance(loaded, dict):
                data = loaded
        except BadSignature:
            data = {}
    request.state.session = data
    return data


def write_session(request: Request, response: Response, data: dict[str, Any]) -> None:
    """Store ``data`` in the session cookie on ``response``."""
    request.state.session = data
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(data),
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def _secure(request: Request) -> bool:
    forced = os.environ.get("FRANKLY_SECURE_COOKIES")
    if forced is not None:
        return forced.strip().lower() not in ("0", "false", "no", "")
    return request.url.scheme == "https"


def password_fingerprint(agent: Agent) -> str:
    return hashlib.sha256((agent.password_hash or "").encode()).hexdigest()[:16]


def new_session(agent: Agent) -> dict[str, Any]:
    return {"a": agent.id, "c": secrets.token_urlsafe(24), "p": password_fingerprint(agent)}


def csrf_token(request: Request) -> str:
    """This session's CSRF token (a fresh one is made for a visitor without a session)."""
    data = read_session(request)
    token = data.get("c")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        data = {**data, "c": token}
        request.state.session = data
        request.state.session_dirty = True
    return token


def current_agent(request: Request) -> Agent | None:
    """The signed-in agent, or None. Inactive agents and changed passwords end the session."""
    if hasattr(request.state, "agent"):
        return request.state.agent
    data = read_session(request)
    agent = None
    agent_id = data.get("a")
    if isinstance(agent_id, int):
        db: Database = request.app.state.db
        with db.reading() as session:
            found = session.get(Agent, agent_id)
        if (
            found is not None
            and found.active
            and secrets.compare_digest(str(data.get("p", "")), password_fingerprint(found))
        ):
            agent = found
    request.state.agent = agent
    return agent


def require_agent(request: Request) -> Agent:
    """FastAPI dependency for pages: the signed-in agent, or a redirect to the sign-in page."""
    agent = current_agent(request)
    if agent is None:
        raise SignInRequired()
    return agent


def require_manager(request: Request) -> Agent:
    agent = require_agent(request)
    if not has_role(agent, "manager"):
        raise Forbidden("Only a manager can do this.")
    return agent


def require_admin(request: Request) -> Agent:
    agent = require_agent(request)
    if not has_role(agent, "admin"):
        raise Forbidden("Only an administrator can do this.")
    return agent


async def check_csrf(request: Request) -> None:
    """FastAPI dependency for every form post: the token must match the session's."""
    expected = read_session(request).get("c")
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not (
        isinstance(expected, str)
        and expected
        and isinstance(sent, str)
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfFailed()


def login_url(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return "/login?next=" + quote(target, safe="")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: the agent, their words and the CSRF token."""
    agent = current_agent(request)
    lang = agent.language if agent else _browser_language(request)
    t = _i18n.translator(lang)
    token = csrf_token(request)
    full = {
        "me": agent,
        "is_manager": bool(agent and has_role(agent, "manager")),
        "is_admin": bool(agent and has_role(agent, "admin")),
        "t": t,
        "ui_lang": lang,
        "when": functools.partial(
            _i18n.when, lang=lang, tz=(agent.timezone if agent else None) or "UTC"
        ),
        "csrf_token": token,
        "csrf_field": Markup('<input type="hidden" name="csrf_token" value="{}">').format(token),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, full, status_code=status)
    if getattr(request.state, "session_dirty", False):
        write_session(request, response, read_session(request))
    return response


def _browser_language(request: Request) -> str:
    header = request.headers.get("accept-language", "").lower()
    first = header.split(",")[0].strip()[:2]
    return first if first in _i18n.languages() else "en"
