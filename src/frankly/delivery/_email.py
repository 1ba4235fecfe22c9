"""Turning a claimed job into an RFC 5322 email: plain text and HTML, threaded to its case."""

from __future__ import annotations

import email.utils
import html
import re
from email.message import EmailMessage

from frankly.delivery._claim import Job
from frankly.delivery._config import SmtpSettings

_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")
_BULLET = re.compile(r"^\s*[-*•]\s+")


def build_email(job: Job, settings: SmtpSettings) -> EmailMessage:
    """The email for ``job``: multipart plain + HTML in the message's language.

    It carries the message's fixed Message-ID (a retry is the same mail), the case tag in
    the subject, a Reply-To that leads back to the case, and In-Reply-To/References so
    the customer's mail program threads it with what came before.
    """
    mail = EmailMessage()
    mail["Message-ID"] = job.rfc_message_id
    mail["Date"] = email.utils.format_datetime(job.created_at)
    mail["From"] = _from(job, settings)
    mail["To"] = (
        email.utils.formataddr((job.customer_name, job.recipient or ""))
        if job.customer_name
        else job.recipient
    )
    mail["Reply-To"] = settings.reply_to(job.case_id)
    mail["Subject"] = tagged_subject(job.subject or job.fallback_subject, job.case_id, job.tag)
    if job.in_reply_to:
        mail["In-Reply-To"] = job.in_reply_to
    if job.references:
        mail["References"] = " ".join(job.references)
    mail["X-Frankly-Case"] = str(job.case_id)
    mail.set_content(job.body)
    mail.add_alternative(to_html(job.body, job.language), subtype="html")
    # After the content: setting content clears every Content-* header.
    mail["Content-Language"] = job.language
    return mail


def tagged_subject(subject: str, case_id: int, tag: str) -> str:
    """``subject`` with the ``[Case #N]`` tag at the front (once, however often re-sent)."""
    mark = f"[{tag} #{case_id}]"
    return subject if mark in subject else f"{mark} {subject}".strip()


def to_html(text: str, language: str) -> str:
    """A plain-text message as simple HTML: paragraphs, bullet lists, links."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append("<p>" + "<br>\n".join(_inline(line) for line in lines) + "</p>")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">'
        '<head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'
    )


def _inline(line: str) -> str:
    out: list[str] = []
    last = 0
    for match in _URL.finditer(line):
        out.append(html.escape(line[last : match.start()]))
        url = html.escape(match[0])
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(line[last:]))
    return "".join(out)


def _from(job: Job, settings: SmtpSettings) -> str:
    name, address = email.utils.parseaddr(settings.mail_from)
    if job.owner_name:
        # The person who wrote is who the customer hears from; the address stays the
        # business's, so replies and bounces come back to Frankly.
        name = f"{job.owner_name} ({name})" if name else job.owner_name
    return email.utils.formataddr((name, address)) if name else address
