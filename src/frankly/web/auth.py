"""Who may use Frankly: passwords, sign-in with rate limiting, API tokens, the signing key.

Passwords are hashed with argon2; API tokens are random and only their SHA-256 is stored.
Sign-in attempts are rows in the database, so rate limiting holds across processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from frankly import cases
from frankly.errors import Conflict, FranklyError, InvalidInput, NotFound
from frankly.store import Agent, Database, utcnow
from frankly.store._web_models import ApiToken, LoginAttempt, WebSetting

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLE_RANK",
    "Forbidden",
    "NotSignedIn",
    "TooManyAttempts",
    "WrongCredentials",
    "agent_for_token",
    "authenticate",
    "create_user",
    "ensure_demo_admin",
    "has_role",
    "hash_password",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "secret_key",
    "set_language",
    "set_password",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
# Each role may do everything the roles below it may.
ROLE_RANK = {"agent": 1, "manager": 2, "admin": 3}
# Failed sign-ins allowed in the window, per email address and per client address.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 30
FAILURE_WINDOW = dt.timedelta(minutes=15)
DEMO_ADMIN_EMAIL = "admin@frankly.localhost"

_hasher = PasswordHasher()
# Verifying against this keeps an unknown email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


class NotSignedIn(FranklyError):
    """The request carries no valid session or token."""

    http_status = 401
    code = "not_signed_in"


class WrongCredentials(NotSignedIn):
    """The email or password is wrong (we never say which)."""

    code = "wrong_credentials"


class Forbidden(FranklyError):
    """Signed in, but the role does not allow this."""

    http_status = 403
    code = "forbidden"


class TooManyAttempts(FranklyError):
    """Too many failed sign-ins recently: wait before trying again."""

    http_status = 429
    code = "too_many_attempts"


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``; raises ``InvalidInput`` when it is too short."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash (False for no hash or a broken one)."""
    if not password_hash:
        _verify_quietly(_DUMMY_HASH, password)
        return False
    return _verify_quietly(password_hash, password)


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def has_role(agent: Agent, role: str) -> bool:
    """Whether ``agent`` holds ``role`` or a higher one."""
    return ROLE_RANK.get(agent.role, 0) >= ROLE_RANK[role]


def create_user(
    db: Database,
    *,
    name: str,
    email: str,
    password: str,
    role: str = "agent",
    language: str = "en",
    timezone: str = "UTC",
    phone: str | None = None,
) -> Agent:
    """Add a member of staff who can sign in. Raises ``InvalidInput`` or ``Conflict``."""
    return cases.add_agent(
        db,
        name=name,
        email=email,
        role=role,
        language=language,
        timezone=timezone,
        phone=phone,
        password_hash=hash_password(password),
    )


def set_password(db: Database, agent_id: int, password: str) -> None:
    """Give an agent a new password. Raises ``InvalidInput`` or ``NotFound``."""
    new_hash = hash_password(password)
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        agent.password_hash = new_hash


def set_language(db: Database, agent_id: int, language: str) -> None:
    """Set the language of an agent's interface. Raises ``InvalidInput`` or ``NotFound``."""
    from frankly.web._i18n import languages

    if language not in languages():
        raise InvalidInput(
            f"No interface language {language!r}: use one of {', '.join(languages())}",
            field="language",
        )
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        agent.language = language


def authenticate(
    db: Database, email: str, password: str, *, ip: str = "unknown", now: dt.datetime | None = None
) -> Agent:
    """The active agent with this email and password; every try is recorded.

    Raises ``TooManyAttempts`` when this email or address failed too often in the last
    15 minutes (checked before the password, so guessing stops), ``WrongCredentials``
    otherwise when the email or password is wrong or the account is inactive.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()[:320]
    ip = (ip or "unknown")[:64]
    since = now - FAILURE_WINDOW
    with db.reading() as session:
        failed = select(func.count(LoginAttempt.id)).where(
            LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
        )
        by_email = session.scalar(failed.where(LoginAttempt.email == email)) or 0
        by_ip = session.scalar(failed.where(LoginAttempt.ip == ip)) or 0
        agent = session.scalar(select(Agent).where(Agent.email == email)) if email else None
    if by_email >= MAX_FAILURES_PER_EMAIL or by_ip >= MAX_FAILURES_PER_IP:
        _record_attempt(db, email, ip, now, succeeded=False)
        raise TooManyAttempts("Too many failed sign-ins. Wait 15 minutes and try again.")
    ok = verify_password(agent.password_hash if agent else None, password or "")
    ok = ok and agent is not None and agent.active
    _record_attempt(db, email, ip, now, succeeded=ok)
    if not ok or agent is None:
        raise WrongCredentials("The email or password is wrong.")
    return agent


def _record_attempt(db: Database, email: str, ip: str, at: dt.datetime, *, succeeded: bool) -> None:
    with db.transaction() as session:
        session.add(LoginAttempt(email=email, ip=ip, at=at, succeeded=succeeded))


def issue_token(db: Database, agent_id: int, name: str) -> tuple[ApiToken, str]:
    """A new API token for an agent: (the stored row, the token itself, shown only once)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("Give the token a name of 1 to 200 characters", field="name")
    raw = "frk_" + secrets.token_urlsafe(32)
    with db.transaction() as session:
        if session.get(Agent, agent_id) is None:
            raise NotFound(f"No agent with id {agent_id}")
        token = ApiToken(
            agent_id=agent_id,
            name=name,
            prefix=raw[:10],
            token_hash=_token_hash(raw),
            created_at=utcnow(),
        )
        session.add(token)
        session.flush()
        return token, raw


def list_tokens(db: Database, agent_id: int | None = None) -> list[ApiToken]:
    """Tokens (of one agent, or everyone's), newest first, revoked ones included."""
    with db.reading() as session:
        stmt = select(ApiToken).order_by(ApiToken.id.desc())
        if agent_id is not None:
            stmt = stmt.where(ApiToken.agent_id == agent_id)
        return list(session.scalars(stmt))


def revoke_token(db: Database, token_id: int, *, agent_id: int | None = None) -> ApiToken:
    """Revoke a token (of ``agent_id`` when given). Raises ``NotFound``."""
    with db.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None or (agent_id is not None and token.agent_id != agent_id):
            raise NotFound(f"No token with id {token_id}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        return token


def agent_for_token(db: Database, raw: str) -> Agent | None:
    """The active agent a live token belongs to, or None."""
    if not raw or len(raw) > 200:
        return None
    with db.transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))
        if token is None or token.revoked_at is not None:
            return None
        agent = session.get(Agent, token.agent_id)
        if agent is None or not agent.active:
            return None
        now = utcnow()
        # Only touch the row now and then: a busy integration should not write on every call.
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
            token.last_used_at = now
        return agent


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def secret_key(db: Database) -> str:
    """The key that signs session cookies: ``FRANKLY_SECRET_KEY``, or one kept in the database.

    The stored key is made on first use, so every process sharing the database signs alike.
    """
    explicit = os.environ.get("FRANKLY_SECRET_KEY")
    if explicit:
        return explicit
    with db.reading() as session:
        row = session.get(WebSetting, "secret_key")
        if row is not None:
            return row.value
    try:
        with db.transaction() as session:
            row = WebSetting(name="secret_key", value=secrets.token_urlsafe(48))
            session.add(row)
            return row.value
    except IntegrityError:
        # Another process made it first: use theirs.
        with db.reading() as session:
            stored = session.get(WebSetting, "secret_key")
            assert stored is not None
            return stored.value


def ensure_demo_admin(db: Database) -> tuple[str, str] | None:
    """Make a demo admin with a fresh random password when no admin can sign in yet.

    Returns (email, password) when it made one, so the caller prints them once; None
    when an admin with a password exists already. Nothing ships with a fixed password.
    """
    with db.reading() as session:
        existing = session.scalar(
            select(Agent.id).where(
                Agent.role == "admin", Agent.active.is_(True), Agent.password_hash.is_not(None)
            )
        )
    if existing is not None:
        return None
    password = secrets.token_urlsafe(12)
    found = cases.find_agent(db, DEMO_ADMIN_EMAIL)
    if found is None:
        try:
            create_user(
                db, name="Demo Admin", email=DEMO_ADMIN_EMAIL, password=password, role="admin"
            )
        except Conflict:  # made by another process a moment ago
            return None
    else:
        set_password(db, found.id, password)
        with db.transaction() as session:
            agent = session.get(Agent, found.id)
            assert agent is not None
            agent.role, agent.active = "admin", True
    return DEMO_ADMIN_EMAIL, password


def describe(agent: Agent) -> dict[str, Any]:
    """What the web app shows about the signed-in person."""
    return {**agent.to_dict(), "is_manager": has_role(agent, "manager")}
