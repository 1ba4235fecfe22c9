"""Reading customers' mail: one RFC 822 message, or a file of them (.eml or mbox).

Low level (standard library only), so the service layer (``frankly.cases.receive_inbound``)
and delivery's inbound import both parse mail the same way without depending on each other.
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.header
import email.policy
import email.utils
import hashlib
import html
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
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
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")
_MULTIPART = re.compile(rb"(?i)content-type:\s*multipart/")
_HEADER_END = re.compile(rb"\r?\n\r?\n")

# Limits on what one mail may cost. A real mail is far below each; a crafted one is
# refused (or cut) with a clear error instead of a crash or minutes of CPU.
MAX_MAIL_BYTES = 10_000_000  # the same as the API's request limit
MAX_HEADER_BYTES = 256_000  # the whole header section
MAX_MIME_DEPTH = 20  # multiparts inside multiparts
MAX_MULTIPARTS = 200  # multipart parts in all, checked before parsing
MAX_REFERENCES = 50  # the first and the last this many References ids are kept
MAX_BODY_CHARS = 100_000  # the same as the API's limit on a message body


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
    """Parse one RFC 822 message. Raises ``InvalidInput`` (naming the header or part) when it
    has no sender or no text, or is beyond the limits above.

    A message without a Message-ID gets one derived from its bytes, so importing the same
    file twice finds it the second time. Control characters (CR, LF…) in a decoded name or
    subject become spaces; a text longer than ``MAX_BODY_CHARS`` is cut, with a note saying
    so; only the first and last ``MAX_REFERENCES`` ids of ``References`` are kept.
    """
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    if not data.strip():
        raise InvalidInput("The message is empty", field="message")
    _check_size(data)
    try:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
    except RecursionError:
        raise _too_deep() from None
    assert isinstance(parsed, EmailMessage)
    _check_depth(parsed)
    name, sender = _from(parsed)
    message_id = _first_id(_header(parsed, "Message-ID"))
    if message_id is None:
        digest = hashlib.sha256(data).hexdigest()[:32]
        message_id = f"<inbound.{digest}@frankly.localhost>"
    recipients = [
        address.lower()
        for header in ("To", "Cc", "Delivered-To", "X-Original-To")
        for _, address in email.utils.getaddresses(_all_headers(parsed, header))
        if address and not _CONTROLS.search(address)
    ]
    try:
        body = _cut(_text(parsed))
    except RecursionError:
        raise _too_deep() from None
    subject = _clean(_header(parsed, "Subject"))[:500] or None
    if not body.strip() and not subject:
        raise InvalidInput("The message has neither a subject nor any text", field="body")
    language = _clean(_header(parsed, "Content-Language")).split(",")[0][:2].lower() or None
    return InboundMail(
        message_id=message_id,
        sender=sender,
        sender_name=name,
        recipients=recipients,
        subject=subject,
        body=body.strip() or (subject or ""),
        in_reply_to=_first_id(_header(parsed, "In-Reply-To")),
        references=_references(_header(parsed, "References")),
        date=_date(_header(parsed, "Date") or None),
        language=language,
    )


def _check_size(data: bytes) -> None:
    if len(data) > MAX_MAIL_BYTES:
        raise InvalidInput(
            f"The mail is {len(data):,} bytes: the limit is {MAX_MAIL_BYTES:,}", field="message"
        )
    end = _HEADER_END.search(data, 0, MAX_HEADER_BYTES + 4)
    header_size = end.start() if end else len(data)
    if header_size > MAX_HEADER_BYTES:
        raise InvalidInput(
            f"The mail's headers are larger than {MAX_HEADER_BYTES:,} bytes", field="headers"
        )
    # Counted before parsing: the standard parser recurses once per nested part.
    if len(_MULTIPART.findall(data)) > MAX_MULTIPARTS:
        raise _too_deep()


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"The mail has too many nested parts (at most {MAX_MIME_DEPTH} levels, "
        f"{MAX_MULTIPARTS} multiparts)",
        field="Content-Type",
    )


def _check_depth(message: EmailMessage) -> None:
    stack: list[tuple[EmailMessage, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_MIME_DEPTH:
            raise _too_deep()
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, EmailMessage))


def _raw_headers(message: EmailMessage, name: str) -> list[str]:
    """The header's values as they came, before the policy builds objects from them."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _decode(value: str) -> str:
    """RFC 2047 words decoded; a wrong charset is read as it comes."""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return value


def _clean(value: str) -> str:
    """One line of text: CR, LF and other control characters become a space."""
    return _SPACES.sub(" ", _CONTROLS.sub(" ", value)).strip()


def _header(message: EmailMessage, name: str) -> str:
    """The first value of a header, decoded, as one line ("" when absent)."""
    values = _raw_headers(message, name)
    return _clean(_decode(values[0])) if values else ""


def _all_headers(message: EmailMessage, name: str) -> list[str]:
    return [_clean(_decode(v)) for v in _raw_headers(message, name)]


def _from(message: EmailMessage) -> tuple[str | None, str]:
    """The sender's name and address. The name's encoded words are decoded after the
    address is taken apart, so a CR/LF hidden in them cannot reach the address."""
    values = _raw_headers(message, "From")
    name, address = email.utils.parseaddr(_CONTROLS.sub(" ", values[0])) if values else ("", "")
    address = address.strip().lower()
    if not address or "@" not in address:
        raise InvalidInput("The message has no sender address (From:)", field="from")
    if _CONTROLS.search(address) or " " in address or len(address) > 320:
        raise InvalidInput("The From: header's address is malformed", field="from")
    return _clean(_decode(name))[:200] or None, address


def _references(value: str) -> list[str]:
    ids = _MSGID.findall(value)
    if len(ids) > 2 * MAX_REFERENCES:
        # The thread's root and its latest messages are what matter for finding the case.
        ids = ids[:MAX_REFERENCES] + ids[-MAX_REFERENCES:]
    return [i[:300] for i in dict.fromkeys(ids)]


def _cut(body: str) -> str:
    if len(body) <= MAX_BODY_CHARS:
        return body
    note = (
        f"\n\n[Frankly kept the first part of this mail: it was {len(body):,} characters "
        f"long, the limit is {MAX_BODY_CHARS:,}.]"
    )
    return body[: MAX_BODY_CHARS - len(note)] + note


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
    return match[0][:300] if match else None


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


def _content(part: MIMEPart) -> str:
    try:
        value = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        value = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return value if isinstance(value, str) else ""


_ATTRIBUTION = re.compile(
    r"(?im)^[ \t]*(?:"
    r"on\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\bwrote:"  # On Mon, 1 Dec 2026, Ana <a@x> wrote:
    r"|el\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\bescribi[oó]:"  # El lun, 1 dic 2026, Ana escribió:
    r"|-{2,}\s*(?:original message|mensaje original|forwarded message|mensaje reenviado)\s*-{2,}"
    r")[ \t]*$"
)
# Outlook's quoted header block: "From: …" then "Sent: …" (or "De: …" then "Enviado: …").
_OUTLOOK = re.compile(
    r"(?im)^[ \t]*(?:from|de):[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*(?:sent|enviado|date|fecha):"
)
_SIGNATURE = re.compile(r"(?m)^-- ?$")


def strip_reply(text: str) -> str:
    """What the writer wrote themselves: the quoted mail they answer ("On … wrote:",
    «El … escribió:», Outlook's "From:/Sent:" block, "> " lines) and their signature
    (after a "-- " line) taken off. The whole text when nothing of their own would remain."""
    cut = len(text)
    for pattern in (_ATTRIBUTION, _OUTLOOK, _SIGNATURE):
        match = pattern.search(text)
        if match is not None:
            cut = min(cut, match.start())
    own = "\n".join(line for line in text[:cut].splitlines() if not line.lstrip().startswith(">"))
    own = _BLANKS.sub("\n\n", own).strip()
    return own or text.strip()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML mail, line breaks kept."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", markup)
    text = html.unescape(_TAGS.sub("", _BLOCKS.sub("\n", markup)))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", text).strip()
