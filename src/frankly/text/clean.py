"""Turn an email body into the words the sender wrote this time.

HTML is reduced to text (scripts, styles and quoted blocks dropped, breaks kept as line
breaks), and the quoted previous message is cut: everything from an "On … wrote:" or
"El … escribió:" header on, and every line starting with ">".
"""

from __future__ import annotations

import html
import re

from frankly.text.language import detect
from frankly.text.mask import quoted_start

_LOOKS_HTML = re.compile(r"<(?:html|body|div|p|br|span|table|blockquote|font)\b", re.IGNORECASE)
_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_QUOTE_BLOCK = re.compile(r"<blockquote\b.*?</blockquote\s*>", re.IGNORECASE | re.DOTALL)
_GMAIL_QUOTE = re.compile(r"<div[^>]*class=\"?[^\">]*gmail_quote.*", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|table)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.MULTILINE)


def html_to_text(body: str) -> str:
    """Plain text from an HTML body: tags removed, entities decoded, breaks kept."""
    body = _DROP.sub("", body)
    body = _QUOTE_BLOCK.sub("", body)
    body = _GMAIL_QUOTE.sub("", body)
    body = _BREAK.sub("\n", body)
    body = _TAG.sub("", body)
    return html.unescape(body)


def clean_email_body(text: str) -> str:
    """The new words of an email body, as plain text without the quoted previous message.

    Accepts plain text or HTML; line endings are normalised to ``\\n`` and runs of blank
    lines collapsed. Returns an empty string when nothing new is left. Never raises.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _LOOKS_HTML.search(text[:5000]):
        text = html_to_text(text)
    lang, _ = detect(text)
    text = text[: quoted_start(text, lang)]
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


__all__ = ["clean_email_body", "html_to_text"]
