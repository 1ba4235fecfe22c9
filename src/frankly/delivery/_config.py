"""Delivery settings: the SMTP server, the sender's address, and the retry timings.

Read from the environment when asked (not at import), so one process can be pointed at
another server by changing its environment.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
from dataclasses import dataclass
from typing import TypeVar

from frankly.errors import InvalidInput

SECURITIES = ("none", "starttls", "tls")
T = TypeVar("T", int, float)
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes out and as whom.

    ``FRANKLY_SMTP_HOST`` (default localhost), ``FRANKLY_SMTP_PORT`` (25, 587 or 465 by
    security), ``FRANKLY_SMTP_SECURITY`` (none, starttls or tls), ``FRANKLY_SMTP_USER``,
    ``FRANKLY_SMTP_PASSWORD``, ``FRANKLY_SMTP_TIMEOUT`` (seconds, default 30),
    ``FRANKLY_SMTP_CA_FILE`` (a PEM file of the certificate authorities to trust instead of
    the system's, for a relay with a private certificate) and ``FRANKLY_MAIL_FROM``
    (default ``Frankly <frankly@localhost>``).

    A login (``FRANKLY_SMTP_USER``) over ``FRANKLY_SMTP_SECURITY=none`` would send the
    password in the clear: it is refused unless ``FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH=1``
    says so (a relay on the same machine, say).
    """

    host: str = "localhost"
    port: int = 25
    security: str = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    mail_from: str = "Frankly <frankly@localhost>"
    allow_plaintext_auth: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """Settings from the environment; raises ``InvalidInput`` naming a bad variable."""
        security = (os.environ.get("FRANKLY_SMTP_SECURITY") or "none").strip().lower()
        if security not in SECURITIES:
            raise InvalidInput(
                f"FRANKLY_SMTP_SECURITY is {security!r}: use none, starttls or tls",
                field="FRANKLY_SMTP_SECURITY",
            )
        mail_from = os.environ.get("FRANKLY_MAIL_FROM") or cls.mail_from
        if "@" not in email.utils.parseaddr(mail_from)[1]:
            raise InvalidInput(
                f"FRANKLY_MAIL_FROM is {mail_from!r}: write an address such as "
                "'Northwind <support@northwind.example>'",
                field="FRANKLY_MAIL_FROM",
            )
        return cls(
            host=os.environ.get("FRANKLY_SMTP_HOST") or "localhost",
            port=_number("FRANKLY_SMTP_PORT", _DEFAULT_PORTS[security], int),
            security=security,
            user=os.environ.get("FRANKLY_SMTP_USER") or None,
            password=os.environ.get("FRANKLY_SMTP_PASSWORD") or None,
            timeout=_number("FRANKLY_SMTP_TIMEOUT", 30.0, float),
            ca_file=os.environ.get("FRANKLY_SMTP_CA_FILE") or None,
            mail_from=mail_from,
            allow_plaintext_auth=_flag("FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH"),
        )

    def check_login_security(self) -> None:
        """Raise ``InvalidInput`` when a login would cross the network in the clear."""
        if self.user and self.security == "none" and not self.allow_plaintext_auth:
            raise InvalidInput(
                f"FRANKLY_SMTP_USER is set but FRANKLY_SMTP_SECURITY is none: the password "
                f"would go to {self.host}:{self.port} in the clear. Set FRANKLY_SMTP_SECURITY "
                "to starttls or tls, or FRANKLY_SMTP_ALLOW_PLAINTEXT_AUTH=1 for a trusted "
                "local relay",
                field="FRANKLY_SMTP_SECURITY",
            )

    @property
    def from_address(self) -> str:
        return email.utils.parseaddr(self.mail_from)[1]

    def reply_to(self, case_id: int) -> str:
        """The address a customer's reply goes to: the sender's, tagged with the case."""
        local, _, domain = self.from_address.partition("@")
        return f"{local}+case-{case_id}@{domain}"


@dataclass(frozen=True)
class RetryPolicy:
    """How a worker retries: exponential back-off, a try limit, and a lease per claim.

    ``FRANKLY_OUTBOX_MAX_ATTEMPTS`` (default 8), ``FRANKLY_OUTBOX_BACKOFF`` (seconds before
    the first retry, default 60; it doubles each time), ``FRANKLY_OUTBOX_BACKOFF_MAX``
    (default 3600), ``FRANKLY_OUTBOX_LEASE`` (seconds a claim lasts before another worker
    may take the job over, default 300; keep it well above the SMTP timeout) and
    ``FRANKLY_WORKER_POLL`` (seconds between looks at an empty outbox, default 1).
    """

    max_attempts: int = 8
    backoff: float = 60.0
    backoff_max: float = 3600.0
    lease: float = 300.0
    poll: float = 1.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            max_attempts=max(1, _number("FRANKLY_OUTBOX_MAX_ATTEMPTS", cls.max_attempts, int)),
            backoff=_number("FRANKLY_OUTBOX_BACKOFF", cls.backoff, float),
            backoff_max=_number("FRANKLY_OUTBOX_BACKOFF_MAX", cls.backoff_max, float),
            lease=_number("FRANKLY_OUTBOX_LEASE", cls.lease, float),
            poll=_number("FRANKLY_WORKER_POLL", cls.poll, float),
        )

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait before the next try after ``attempts`` failed ones (1 → backoff, 2 → 2×…)."""
        seconds = self.backoff * (2 ** max(0, attempts - 1))
        return dt.timedelta(seconds=min(seconds, self.backoff_max))


def _flag(name: str) -> bool:
    value = (os.environ.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(f"{name} must be 1 or 0, not {value!r}", field=name)


def _number(name: str, default: T, kind: type[T]) -> T:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = kind(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {value!r}", field=name) from None
    if number < 0:
        raise InvalidInput(f"{name} must not be negative", field=name)
    return number
