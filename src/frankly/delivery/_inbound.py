"""Reading customers' mail: one RFC 822 message, or a file of them (.eml or mbox)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import html
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from frankly.errors import InvalidInput

_MSGID = re.compile(r"<[^<>\s]+>")
# Where a reply names its case: the Reply-To address we sent (support+case-12@…) or the
# subject tag ([Case #12], [Caso #12]).
CASE_ADDRESS = re.compile(r"\+case-(\d{1,12})@", re.IGNORECASE)
CASE_TAG = re.compile(r"\[(?:case|caso)\s*#\s*(\d{1,12})\]", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]+")
_BLANKS = re.compile(r"\n{3,}")
_BLOCKS = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>")


@dataclass
class InboundMail:
    """The parts of a customer's mail Frankly uses."""

    message_id: str
    sender: str | None
    sender_name: str | None
    recipients: list[str]
    subject: str | None
    body: str
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    language: str | None = None

    @property
    def thread_ids(self) -> list[str]:
        """Every Message-ID this mail answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [r for r in reversed(self.references) if r not in ids]
        return ids

    def case_hint(self) -> int | None:
        """The case number named by a ``+case-N@`` recipient or a ``[Case #N]`` subject tag."""
        for address in self.recipients:
            match = CASE_ADDRESS.search(address)
            if match:
                return int(match[1])
        match = CASE_TAG.search(self.subject or "")
        return int(match[1]) if match else None


def parse_mail(raw: bytes | str) -> InboundMail:
    """Parse one RFC 822 message. Raises ``InvalidInput`` when it has no sender or no text.

    A message without a Message-ID gets one derived from its bytes, so importing the same
    file twice finds it the second time.
    """
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    if not data.strip():
        raise InvalidInput("The message is empty", field="message")
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    name, sender = email.utils.parseaddr(str(parsed.get("From", "")))
    if not sender or "@" not in sender:
        raise InvalidInput("The message has no sender address (From:)", field="from")
    message_id = _first_id(parsed.get("Message-ID"))
    if message_id is None:
        digest = hashlib.sha256(data).hexdigest()[:32]
        message_id = f"<inbound.{digest}@frankly.localhost>"
    recipients = [
        address.lower()
        for header in ("To", "Cc", "Delivered-To", "X-Original-To")
        for _, address in email.utils.getaddresses([str(v) for v in parsed.get_all(header, [])])
        if address
    ]
    body = _text(parsed)
    subject = str(parsed.get("Subject", "")).strip() or None
    if not body.strip() and not subject:
        raise InvalidInput("The message has neither a subject nor any text", field="body")
    language = str(parsed.get("Content-Language", "")).strip().split(",")[0][:2].lower() or None
    return InboundMail(
        message_id=message_id,
        sender=sender.strip().lower(),
        sender_name=name.strip() or None,
        recipients=recipients,
        subject=subject,
        body=body.strip() or (subject or ""),
        in_reply_to=_first_id(parsed.get("In-Reply-To")),
        references=_MSGID.findall(str(parsed.get("References", ""))),
        date=_date(parsed.get("Date")),
        language=language,
    )


def read_mail_file(path: str | Path) -> Iterator[bytes]:
    """The raw messages in ``path``: one for an .eml file, each of an mbox file.

    Raises ``InvalidInput`` when the file is missing or empty.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"No such file: {path}", field="file")
    with path.open("rb") as handle:
        head = handle.read(5)
    if not head:
        raise InvalidInput(f"The file {path} is empty", field="file")
    if head == b"From " or path.suffix.lower() == ".mbox":
        box = mailbox.mbox(str(path), create=False)
        try:
            for key in box.iterkeys():
                yield box.get_bytes(key)
        finally:
            box.close()
        return
    yield path.read_bytes()


def _first_id(value: object) -> str | None:
    if value is None:
        return None
    match = _MSGID.search(str(value))
    return match[0] if match else None


def _date(value: object) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _text(message: EmailMessage) -> str:
    """The plain text of a message: its text/plain part, else its HTML part made plain."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return _content(part)
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_content(part))
    return ""


def _content(part: EmailMessage) -> str:
    try:
        value = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        value = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return value if isinstance(value, str) else ""


def html_to_text(markup: str) -> str:
    """Visible text of an HTML mail, line breaks kept."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", markup)
    text = html.unescape(_TAGS.sub("", _BLOCKS.sub("\n", markup)))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", text).strip()
