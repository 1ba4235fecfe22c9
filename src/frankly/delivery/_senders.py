"""Senders: how a claimed message leaves. SMTP for email; SMS and phone are recorded.

A sender is anything with ``send(job)`` and ``close()``. ``send`` returns on success and
raises ``TemporaryFailure`` (try again later: the server is down, busy, or said 4xx) or
``PermanentFailure`` (do not retry: the server refused the address with 5xx).

The SMTP sender commits in two phases. SMTP has no idempotency: the server takes a message
when it reads the dot that ends DATA, and a client that dies before it records the reply
sends it again. So the sender writes the whole message except that dot, calls
``job.on_commit`` (the worker records the job as ``committing``), and only then writes the
dot. A crash before the commit leaves the server an unfinished message, which it drops when
the connection closes. After it, nothing is known until the server's reply: a server that
processes the message before answering (a filter, a queue write) may drop it if the client
vanishes meanwhile. So a job left ``committing`` is sent again (same Message-ID), and so is
a message whose reply never came: a rare duplicate rather than a possible loss.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from frankly import config
from frankly.delivery._claim import Job
from frankly.delivery._config import SmtpSettings
from frankly.delivery._email import build_email
from frankly.store import utcnow

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)


class DeliveryFailure(Exception):
    """A message could not be delivered this time; ``str()`` is the reason for the case."""


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later."""


class PermanentFailure(DeliveryFailure):
    """Trying again would not help (a refused address, a message with nowhere to go)."""


class Abandoned(Exception):
    """The send stopped before its commit point (the claim was lost, or the database could
    not record the commit): the server has nothing, and the job is not ours to report on."""


class Unconfirmed(TemporaryFailure):
    """The end of the message went out but no reply came back: the server may have it.

    Retried like any temporary failure, with the same Message-ID: a message is recorded
    sent only on the server's own "250", so a duplicate is possible, a loss is not.
    """


_EOLS = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuffed(message: bytes | str) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, ending in CRLF (RFC 5321 4.5.2)."""
    data = message.encode("ascii") if isinstance(message, str) else message
    data = _LEADING_DOT.sub(b"..", _EOLS.sub(b"\r\n", data))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class _TwoPhaseData:
    """``data()`` split at the commit point, for ``smtplib.SMTP`` and ``SMTP_SSL``.

    Everything else (EHLO, STARTTLS, AUTH, SIZE, SMTPUTF8, MAIL, RCPT) is smtplib's own.
    """

    commit_hook: Callable[[], None] | None = None

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        smtp: Any = self
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        # The whole message but its final dot (any bytes-like message, as smtplib takes).
        smtp.send(_dot_stuffed(msg if isinstance(msg, str) else bytes(msg)))
        hook = self.commit_hook
        if hook is not None:
            try:
                hook()
            except BaseException:
                # Hang up without the dot: the server discards the unfinished message.
                smtp.close()
                raise
        try:
            smtp.sock.sendall(b".\r\n")  # the commit point
        except OSError as exc:
            # The connection was already broken: the dot never reached the server.
            smtp.close()
            raise TemporaryFailure(
                f"The connection broke before the end of the message: {exc}"
            ) from exc
        try:
            return smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            smtp.close()
            raise Unconfirmed(f"No reply after the end of the message: {exc}") from exc


class TwoPhaseSMTP(_TwoPhaseData, smtplib.SMTP):
    """``smtplib.SMTP`` (plain or STARTTLS) with the two-phase end of DATA."""


class TwoPhaseSMTP_SSL(_TwoPhaseData, smtplib.SMTP_SSL):
    """``smtplib.SMTP_SSL`` (TLS from the first byte) with the two-phase end of DATA."""


@runtime_checkable
class Sender(Protocol):
    """The interface every sender implements."""

    def send(self, job: Job) -> None: ...

    def close(self) -> None: ...


class SmtpSender:
    """Sends email through one SMTP server, keeping the connection open between messages."""

    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self.settings = settings or SmtpSettings.from_env()
        # Refused when the worker starts, not at the first message: nothing is half-sent.
        self.settings.check_login_security()
        self._smtp: TwoPhaseSMTP | TwoPhaseSMTP_SSL | None = None

    def send(self, job: Job) -> None:
        if not job.recipient:
            raise PermanentFailure("The message has no recipient address")
        mail = build_email(job, self.settings)
        for attempt in (1, 2):
            smtp = self._connection()
            smtp.commit_hook = _abandon_on_error(job.on_commit)
            try:
                refused = smtp.send_message(
                    mail, from_addr=self.settings.from_address, to_addrs=[job.recipient]
                )
            except (Abandoned, Unconfirmed, TemporaryFailure):
                self._drop()  # the connection was closed mid-message; never send it again
                raise
            except smtplib.SMTPServerDisconnected as exc:
                # A kept-open connection the server has since closed: reconnect once.
                self._drop()
                if attempt == 2:
                    raise TemporaryFailure(f"The mail server closed the connection: {exc}") from exc
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                code, reason = next(iter(exc.recipients.values()))
                raise _classify(code, reason, f"refused {job.recipient}") from exc
            except smtplib.SMTPResponseException as exc:
                self._reset()
                raise _classify(exc.smtp_code, exc.smtp_error, "refused the message") from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TemporaryFailure(f"Sending failed: {exc}") from exc
            if refused:
                code, reason = next(iter(refused.values()))
                raise _classify(code, reason, f"refused {job.recipient}")
            return

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None

    def _connection(self) -> TwoPhaseSMTP | TwoPhaseSMTP_SSL:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            smtp: TwoPhaseSMTP | TwoPhaseSMTP_SSL
            if s.security == "tls":
                smtp = TwoPhaseSMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
            else:
                smtp = TwoPhaseSMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if s.user:
                s.check_login_security()
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(
                f"The mail server {where} refused the login for {s.user}: {_text(exc.smtp_error)}"
            ) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"Cannot reach the mail server {where}: {exc}") from exc
        self._smtp = smtp
        return smtp

    def _tls(self) -> ssl.SSLContext:
        # A private relay's own CA (FRANKLY_SMTP_CA_FILE) instead of the system's list.
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _reset(self) -> None:
        # After a refusal the session is still usable once reset.
        if self._smtp is not None:
            try:
                self._smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None


class MailFolderSender:
    """Writes each email as an .eml file in a folder instead of sending it.

    The default when no SMTP server is configured (``FRANKLY_SMTP_HOST`` unset), so the demo
    and a laptop need no mail server: open the files with any mail program.
    """

    def __init__(self, folder: str | Path, settings: SmtpSettings | None = None) -> None:
        self.folder = Path(folder)
        self.settings = settings or SmtpSettings.from_env()

    def send(self, job: Job) -> None:
        if not job.recipient:
            raise PermanentFailure("The message has no recipient address")
        mail = build_email(job, self.settings)
        name = "".join(c if c.isalnum() or c in ".-" else "_" for c in job.rfc_message_id)
        try:
            # Customers' mail: the folder 0700 and each file 0600, this user only.
            config.ensure_private_dir(self.folder)
            # The Message-ID names the file: a retry overwrites, it never doubles.
            path = self.folder / f"{name.strip('_')}.eml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(mail.as_bytes())
            config.make_private(path)  # a file left by an older version
        except OSError as exc:
            raise TemporaryFailure(f"Cannot write the mail to {self.folder}: {exc}") from exc

    def close(self) -> None:
        return None


class RecordedSender:
    """For SMS and phone: no provider needed. The message is logged as sent.

    With ``path`` (or ``FRANKLY_SMS_LOG``) each message is also appended to that file as
    one JSON line, for a person or another system to act on.
    """

    def __init__(self, channel: str, path: str | Path | None = None) -> None:
        self.channel = channel
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def send(self, job: Job) -> None:
        if self.channel == "sms" and not job.recipient:
            raise PermanentFailure("The customer has no phone number for the SMS")
        line = {
            "at": utcnow().isoformat(),
            "channel": self.channel,
            "case_id": job.case_id,
            "message_id": job.rfc_message_id,
            "to": job.recipient,
            "body": job.body,
        }
        log.info("recorded %s to %s for case %s", self.channel, job.recipient, job.case_id)
        if self.path is not None:
            with self._lock, self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        return None


def _abandon_on_error(on_commit: Callable[[], None] | None) -> Callable[[], None] | None:
    if on_commit is None:
        return None

    def commit() -> None:
        try:
            on_commit()
        except Exception as exc:
            raise Abandoned(f"Stopped before the end of the message: {exc}") from exc

    return commit


def _classify(code: int, reason: bytes | str, what: str) -> DeliveryFailure:
    text = f"The mail server {what}: {code} {_text(reason)}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
