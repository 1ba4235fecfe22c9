"""Sessions, CSRF tokens, the signed-in agent, the client's address, and page rendering.

A signed-in browser's cookie holds only a random session id (signed with itsdangerous;
HttpOnly, SameSite=Lax, Secure over HTTPS); the session itself is a row in the database
(``frankly.accounts``), so signing out or changing the password ends it at once, in every
process. A visitor who is not signed in carries only a CSRF token in the cookie.
"""

from __future__ import annotations

import functools
import ipaddress
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

from frankly import accounts
from frankly.store import Agent, Database
from frankly.web import _i18n
from frankly.web.auth import Forbidden, has_role

COOKIE = "frankly_session"
MAX_AGE = int(accounts.SESSION_LIFETIME.total_seconds())
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TRUSTED_PROXIES_VARIABLE = "FRANKLY_TRUSTED_PROXIES"


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to /login."""


class CsrfFailed(Exception):
    """A form came without the CSRF token of this session."""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    app_state = request.app.state
    if getattr(app_state, "signer", None) is None:
        db: Database = app_state.db
        app_state.signer = URLSafeTimedSerializer(accounts.secret_key(db), salt="frankly.session")
    return app_state.signer


def read_session(request: Request) -> dict[str, Any]:
    """The cookie's contents, or {} when there is no valid cookie."""
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


def sign_in(request: Request, agent: Agent, response: Response | None = None) -> None:
    """Start a server-side session for ``agent``: its id goes in the cookie of ``response``,
    or of the page ``render`` makes next for this request."""
    db: Database = request.app.state.db
    session_id = accounts.start_session(db, agent.id, ip=client_address(request))
    signed = accounts.session_agent(db, session_id)
    request.state.signed_in = signed
    request.state.agent = signed.agent if signed is not None else None
    request.state.session = {"s": session_id}
    request.state.session_dirty = True
    if response is not None:
        write_session(request, response, {"s": session_id})


def sign_out(request: Request, response: Response) -> None:
    """End this browser's session in the database and drop the cookie."""
    session_id = read_session(request).get("s")
    if isinstance(session_id, str):
        accounts.end_session(request.app.state.db, session_id)
    clear_session(response)


def _secure(request: Request) -> bool:
    forced = os.environ.get("FRANKLY_SECURE_COOKIES")
    if forced is not None:
        return forced.strip().lower() not in ("0", "false", "no", "")
    return request.url.scheme == "https"


def _signed_in(request: Request) -> accounts.SignedIn | None:
    if hasattr(request.state, "signed_in"):
        return request.state.signed_in
    session_id = read_session(request).get("s")
    found = None
    if isinstance(session_id, str):
        found = accounts.session_agent(request.app.state.db, session_id)
    request.state.signed_in = found
    return found


def csrf_token(request: Request) -> str:
    """This session's CSRF token (a fresh one is made for a visitor without a session)."""
    signed = _signed_in(request)
    if signed is not None:
        return signed.csrf
    data = read_session(request)
    token = data.get("c")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        # A visitor's cookie holds the token alone (never a stale session id).
        request.state.session = {"c": token}
        request.state.session_dirty = True
    return token


def current_agent(request: Request) -> Agent | None:
    """The signed-in agent, or None. Sign-out, a new password or an inactive account end
    the session; the database says, not the cookie."""
    if hasattr(request.state, "agent"):
        return request.state.agent
    signed = _signed_in(request)
    agent = signed.agent if signed is not None else None
    request.state.agent = agent
    return agent


@functools.cache
def _parse_proxies(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"{TRUSTED_PROXIES_VARIABLE}: {part!r} is not an address or a network"
                ) from exc
    return tuple(networks)


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The proxies named in ``FRANKLY_TRUSTED_PROXIES`` (addresses or networks, by commas)."""
    return _parse_proxies(os.environ.get(TRUSTED_PROXIES_VARIABLE, ""))


def _is_trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request) -> str:
    """The address of the person at the other end, for rate limiting and the record.

    ``X-Forwarded-For`` is read only when the connection comes from a trusted proxy
    (``FRANKLY_TRUSTED_PROXIES``), walking it from the right past trusted hops: anyone
    else could write any address there.
    """
    peer = request.client.host if request.client else "unknown"
    networks = trusted_proxies()
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: trust nothing further left of it
    return hops[0] if hops else peer


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
    signed = _signed_in(request)
    expected = signed.csrf if signed is not None else read_session(request).get("c")
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
