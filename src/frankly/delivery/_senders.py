"""Senders: how a claimed message leaves. SMTP for email; SMS and phone are recorded.

A sender is anything with ``send(job)`` and ``close()``. ``send`` returns on success and
raises ``TemporaryFailure`` (try again later: the server is down, busy, or said 4xx) or
``PermanentFailure`` (do not retry: the server refused the address with 5xx).
"""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import ssl
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from frankly.delivery._claim import Job
from frankly.delivery._config import SmtpSettings
from frankly.delivery._email import build_email
from frankly.store import utcnow

log = logging.getLogger(__name__)


class DeliveryFailure(Exception):
    """A message could not be delivered this time; ``str()`` is the reason for the case."""


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later."""


class PermanentFailure(DeliveryFailure):
    """Trying again would not help (a refused address, a message with nowhere to go)."""


@runtime_checkable
class Sender(Protocol):
    """The interface every sender implements."""

    def send(self, job: Job) -> None: ...

    def close(self) -> None: ...


class SmtpSender:
    """Sends email through one SMTP server, keeping the connection open between messages."""

    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self.settings = settings or SmtpSettings.from_env()
        self._smtp: smtplib.SMTP | None = None

    def send(self, job: Job) -> None:
        if not job.recipient:
            raise PermanentFailure("The message has no recipient address")
        mail = build_email(job, self.settings)
        for attempt in (1, 2):
            smtp = self._connection()
            try:
                refused = smtp.send_message(
                    mail, from_addr=self.settings.from_address, to_addrs=[job.recipient]
                )
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

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(
                f"The mail server {where} refused the login for {s.user}: {_text(exc.smtp_error)}"
            ) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"Cannot reach the mail server {where}: {exc}") from exc
        self._smtp = smtp
        return smtp

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
            self.folder.mkdir(parents=True, exist_ok=True)
            # The Message-ID names the file: a retry overwrites, it never doubles.
            (self.folder / f"{name.strip('_')}.eml").write_bytes(mail.as_bytes())
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


def _classify(code: int, reason: bytes | str, what: str) -> DeliveryFailure:
    text = f"The mail server {what}: {code} {_text(reason)}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
