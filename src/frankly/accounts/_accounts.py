"""Accounts: people who sign in, their sessions, API tokens, the sign-in throttle and the
key that signs cookies. No HTTP here: the web app and the CLI call these functions.

Only hashes are stored (argon2 for passwords, SHA-256 for session ids and tokens), and the
signing key lives outside the database, so a copy of the database lets nobody sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from frankly import cases, config
from frankly.accounts._passwords import hash_password, verify_password
from frankly.errors import Conflict, FranklyError, InvalidInput, NotFound
from frankly.store import Agent, Database, utcnow
from frankly.store.web_models import ApiToken, LoginAttempt, LoginThrottle, WebSession

# Each role may do everything the roles below it may.
ROLE_RANK = {"agent": 1, "manager": 2, "admin": 3}
# What a token may do; each scope includes the ones before it.
SCOPES = ("read", "write", "admin")
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 730
SESSION_LIFETIME = dt.timedelta(hours=12)
# Failed sign-ins allowed before the back-off starts, per account and per client address.
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 30
# The wait after the allowance doubles with each further failure, up to the cap; tries
# made while waiting are refused without counting, so nobody can lock an account for good.
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(minutes=15)
# A counter with no failure for this long starts again from zero.
FORGET_AFTER = dt.timedelta(hours=24)
DEMO_ADMIN_EMAIL = "admin@frankly.localhost"
SECRET_FILE = "secret_key"


class NotSignedIn(FranklyError):
    """The request carries no valid session or token."""

    http_status = 401
    code = "not_signed_in"


class WrongCredentials(NotSignedIn):
    """The email or password is wrong (we never say which)."""

    code = "wrong_credentials"


class Forbidden(FranklyError):
    """Signed in, but the role (or the token's scope) does not allow this."""

    http_status = 403
    code = "forbidden"


class TooManyAttempts(FranklyError):
    """Too many failed sign-ins recently: wait before trying again."""

    http_status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _now() -> dt.datetime:
    # One place for the clock, so tests can hold it still.
    return utcnow()


def has_role(agent: Agent, role: str) -> bool:
    """Whether ``agent`` holds ``role`` or a higher one."""
    return ROLE_RANK.get(agent.role, 0) >= ROLE_RANK[role]


# ------------------------------------------------------------------------------ people


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
        password_hash=hash_password(password, email),
    )


def set_password(db: Database, agent_id: int, password: str) -> None:
    """Give an agent a new password and end all their sessions at once.

    Raises ``InvalidInput`` (the policy refuses it) or ``NotFound``.
    """
    with db.reading() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        email = agent.email
    new_hash = hash_password(password, email)
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        agent.password_hash = new_hash
        session.execute(delete(WebSession).where(WebSession.agent_id == agent_id))


def set_language(db: Database, agent_id: int, language: str, *, known: Sequence[str]) -> None:
    """Set the language of an agent's interface, one of ``known`` (the interface languages
    the caller has words for). Raises ``InvalidInput`` or ``NotFound``."""
    if language not in known:
        raise InvalidInput(
            f"No interface language {language!r}: use one of {', '.join(known)}",
            field="language",
        )
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        agent.language = language


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
    password = secrets.token_urlsafe(15)
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


# ------------------------------------------------------------------------------ sign-in


def authenticate(
    db: Database, email: str, password: str, *, ip: str = "unknown", now: dt.datetime | None = None
) -> Agent:
    """The active agent with this email and password; every try is recorded.

    Before the password is verified, one transaction locks the throttle rows of the
    account and of the client address, refuses the try when either is backing off
    (``TooManyAttempts``, not counted), and otherwise counts it as a failure. A right
    password then clears the account's count. So however many tries run in parallel,
    no more than the allowance are verified. Raises ``WrongCredentials`` when the email
    or password is wrong or the account is inactive.
    """
    now = now or _now()
    email = (email or "").strip().lower()[:320]
    ip = (ip or "unknown")[:64]
    keys = {
        f"account:{email}": FREE_FAILURES_PER_ACCOUNT,
        f"address:{ip}": FREE_FAILURES_PER_ADDRESS,
    }
    wait: dt.timedelta | None = None
    with db.transaction() as session:
        rows = _throttle_rows(session, sorted(keys))
        for row in rows:
            if row.last_failure_at is not None and now - row.last_failure_at > FORGET_AFTER:
                row.failures = 0
            until = _backing_off_until(row, keys[row.key])
            if until is not None and now < until:
                wait = max(wait or dt.timedelta(0), until - now)
        if wait is not None:
            session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=False))
        else:
            for row in rows:
                row.failures += 1
                row.last_failure_at = now
        agent = session.scalar(select(Agent).where(Agent.email == email)) if email else None
    if wait is not None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        minutes = math.ceil(seconds / 60)
        raise TooManyAttempts(
            f"Too many failed sign-ins. Wait {minutes} minute{'s' if minutes > 1 else ''} "
            "and try again.",
            retry_after=seconds,
        )
    ok = verify_password(agent.password_hash if agent else None, password or "")
    ok = ok and agent is not None and agent.active
    with db.transaction() as session:
        session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=ok))
        if ok:
            for row in _throttle_rows(session, sorted(keys)):
                # The account starts afresh; the address only gets this try back.
                row.failures = 0 if row.key.startswith("account:") else max(0, row.failures - 1)
    if not ok or agent is None:
        raise WrongCredentials("The email or password is wrong.")
    return agent


def _backing_off_until(row: LoginThrottle, free: int) -> dt.datetime | None:
    if row.failures < free or row.last_failure_at is None:
        return None
    doublings = min(row.failures - free, 16)
    return row.last_failure_at + min(MAX_BACKOFF, FIRST_BACKOFF * 2**doublings)


def _throttle_rows(session: Session, keys: list[str]) -> list[LoginThrottle]:
    """The throttle rows of ``keys``, made when missing and locked for this transaction
    (in key order, so two sign-ins never wait for each other's locks in a circle)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        session.execute(
            insert(LoginThrottle)
            .values(key=key, failures=0, last_failure_at=None)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    rows = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .order_by(LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


# ------------------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, and the CSRF token of their forms."""

    agent: Agent
    csrf: str
    expires_at: dt.datetime


def start_session(db: Database, agent_id: int, *, ip: str | None = None) -> str:
    """A new session for the agent: returns the random id the cookie carries."""
    raw = secrets.token_urlsafe(32)
    now = _now()
    with db.transaction() as session:
        session.add(
            WebSession(
                token_hash=_digest(raw),
                agent_id=agent_id,
                csrf=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                ip=(ip or None) and ip[:64],
            )
        )
        # Ended sessions are of no use to anyone: sweep the agent's expired ones.
        session.execute(
            delete(WebSession).where(WebSession.agent_id == agent_id, WebSession.expires_at < now)
        )
    return raw


def session_agent(db: Database, raw: str) -> SignedIn | None:
    """The live session with this id and its active agent, or None."""
    if not raw or len(raw) > 200:
        return None
    with db.reading() as session:
        found = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(raw)))
        if found is None or found.expires_at <= _now():
            return None
        agent = session.get(Agent, found.agent_id)
        if agent is None or not agent.active:
            return None
        return SignedIn(agent, found.csrf, found.expires_at)


def end_session(db: Database, raw: str) -> None:
    """Sign out: the session's cookie stops working at once."""
    if raw and len(raw) <= 200:
        with db.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == _digest(raw)))


def end_sessions(db: Database, agent_id: int) -> None:
    """End every session of the agent (used when an account is locked out or changed)."""
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.agent_id == agent_id))


# ------------------------------------------------------------------------------ tokens


def issue_token(
    db: Database,
    agent_id: int,
    name: str,
    *,
    scope: str = "write",
    days: int | None = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """A new API token: (the stored row, the token itself, shown only once).

    ``scope`` is read, write or admin (admin only for an admin); the token expires after
    ``days`` days (1 to 730, default 90). Raises ``InvalidInput``, ``Forbidden`` or
    ``NotFound``.
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("Give the token a name of 1 to 200 characters", field="name")
    if scope not in SCOPES:
        raise InvalidInput(f"No scope {scope!r}: use one of {', '.join(SCOPES)}", field="scope")
    if days is None or isinstance(days, bool) or not 1 <= int(days) <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"A token lasts 1 to {MAX_TOKEN_DAYS} days, not {days!r}", field="expires_days"
        )
    raw = "frk_" + secrets.token_urlsafe(32)
    now = _now()
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        if scope == "admin" and not has_role(agent, "admin"):
            raise Forbidden(f"{agent.email} is not an admin: an admin token needs one")
        token = ApiToken(
            agent_id=agent_id,
            name=name,
            prefix=raw[:10],
            token_hash=_digest(raw),
            created_at=now,
            scope=scope,
            expires_at=now + dt.timedelta(days=int(days)),
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
            token.revoked_at = _now()
        return token


def token_allows(scope: str, needed: str) -> bool:
    """Whether a token of ``scope`` may do what needs ``needed`` (read < write < admin)."""
    return scope in SCOPES and SCOPES.index(scope) >= SCOPES.index(needed)


def token_grant(db: Database, raw: str) -> tuple[Agent, str] | None:
    """(the active agent, the token's scope) for a live token; None when the token is
    unknown, revoked or expired, or its owner is inactive."""
    if not raw or len(raw) > 200:
        return None
    with db.transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
        if token is None or token.revoked_at is not None:
            return None
        now = _now()
        if token.expires_at is not None and token.expires_at <= now:
            return None
        agent = session.get(Agent, token.agent_id)
        if agent is None or not agent.active:
            return None
        # Only touch the row now and then: a busy integration should not write on every call.
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
            token.last_used_at = now
        return agent, token.scope


def agent_for_token(db: Database, raw: str) -> Agent | None:
    """The active agent a live token belongs to, or None."""
    grant = token_grant(db, raw)
    return grant[0] if grant else None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# ------------------------------------------------------------------------------ the key


def secret_path(db: Database) -> Path:
    """Where the signing key is kept when ``FRANKLY_SECRET_KEY`` is not set: a 0600 file
    beside the SQLite database (not inside it), or in the data folder for PostgreSQL."""
    if db.dialect == "sqlite":
        database = make_url(db.url).database
        if database and database != ":memory:":
            return Path(database).expanduser().resolve().parent / SECRET_FILE
    return config.data_dir() / SECRET_FILE


def secret_key(db: Database) -> str:
    """The key that signs cookies: ``FRANKLY_SECRET_KEY``, or a 0600 file made on first use.

    Several machines sharing one PostgreSQL must share the key: set ``FRANKLY_SECRET_KEY``
    on each. The key is never stored in the database.
    """
    explicit = os.environ.get("FRANKLY_SECRET_KEY")
    if explicit:
        return explicit
    path = secret_path(db)
    config.ensure_private_dir(path.parent)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: a process
        # starting at the same moment either sees no key or the whole key, never half.
        temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    config.make_private(path)
    key = path.read_text("utf-8").strip()
    if len(key) < 32:
        raise InvalidInput(
            f"The signing key in {path} is shorter than 32 characters: delete it and "
            "Frankly makes a new one (everyone signs in again)"
        )
    return key
