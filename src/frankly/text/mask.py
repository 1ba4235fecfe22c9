"""Mask dates, times, amounts, order numbers, emails, phones, URLs and quoted words.

Wording rules must not read "May" the month as a hedge, "12 May" as anything, or words the
customer wrote and the reply quotes as the writer's own. ``mask`` keeps the text's length, so
every offset found in the masked text is valid in the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import ahocorasick

from frankly.text._profiles import Profile, profile, profiles

PLACEHOLDER = "_"

SPAN_KINDS = ("date", "time", "amount", "number", "phone", "email", "url", "quote")

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
# Every pattern below starts with a literal or a character class, so the regex engine can
# skip quickly to where a match may start: masking runs on every message checked.
_DOUBLE_QUOTE = re.compile(r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”|«[^»\n]{1,200}»|„[^“\n]{1,200}“")
_SINGLE_QUOTE = re.compile(r"['‘](?<![\w'’]['‘])[^'’‘\n]{1,120}['’](?![\w])")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_CODE = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z]{0,3}-?\d[\w\-/]*")
_CURRENCY = "$€£¥"
_AMOUNT_WORDS = ("eur", "euro", "euros", "usd", "dollar", "dollars", "dólares")
_TIME_ENDINGS = ("am", "pm", "a.m.", "p.m.", "h", "hrs", "horas", "mañana", "tarde", "noche")


@dataclass(frozen=True, slots=True)
class Span:
    """A masked stretch of text and what it is (one of ``SPAN_KINDS``)."""

    start: int
    end: int
    kind: str


@cache
def _numeric(lang: str) -> re.Pattern[str]:
    """Numbers with separators, currency, units and adjacent month names."""
    prof = profile(lang)
    months = sorted(prof.months if prof else (), key=len, reverse=True)
    suffixes = sorted(prof.time_suffixes if prof else (), key=len, reverse=True)
    times = "|".join(re.escape(s) for s in dict.fromkeys([*suffixes, "am", "pm", "AM", "PM"]))
    month_alt = "|".join(re.escape(m) for m in months)
    after: list[str] = [
        r"[ \u00a0]?(?:[$€£¥%º°ª]|(?:eur|euros?|EUR|usd|USD|dollars?|dólares)\b)",
        rf"[ \u00a0]?(?:{times})(?![\w])",
        r"(?:st|nd|rd|th)\b",
    ]
    if months and prof is not None and all(m.islower() for m in prof.months):
        # "12 de mayo de 2025": lower-case month names only count next to a number.
        after.append(rf"\s+de\s+(?i:{month_alt})\b(?:\s+(?:de|del)\s+\d{{4}})?")
    elif months:
        after.insert(0, rf"(?:st|nd|rd|th)?\s(?:of\s)?(?:{month_alt})\b(?:,?\s\d{{4}})?")
    return re.compile(
        r"[$€£¥#+(\d](?:(?<=\d)|[ \u00a0]?\d)"
        r"(?:\d|[.,:/\-](?=\d)|\)(?=[ \d])|[ \u00a0](?=\d\d))*"
        rf"(?:{'|'.join(after)})?"
    )


@cache
def _month_first(lang: str) -> re.Pattern[str] | None:
    """Capitalised month names ("May", "May 12, 2025"), for languages that capitalise them."""
    prof = profile(lang)
    if prof is None or not prof.months or all(m.islower() for m in prof.months):
        return None
    alternatives = "|".join(re.escape(m) for m in sorted(prof.months, key=len, reverse=True))
    return re.compile(
        rf"(?:{alternatives})\b(?:[ \u00a0]\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?[ \u00a0]\d{{4}})?"
    )


@cache
def _date_words(lang: str) -> ahocorasick.Automaton | None:
    prof = profile(lang)
    if prof is None or not prof.date_words:
        return None
    automaton = ahocorasick.Automaton()
    for word in prof.date_words:
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


@cache
def _quote_header(lang: str) -> re.Pattern[str] | None:
    headers: list[str] = []
    for prof in _header_profiles(lang):
        headers.extend(prof.quote_headers)
    if not headers:
        return None
    return re.compile("|".join(f"(?:^[ \t]*{h})" for h in headers), re.IGNORECASE | re.MULTILINE)


def _header_profiles(lang: str) -> list[Profile]:
    # Replies often quote in the mail client's language, not the message's: try all we know.
    first = profile(lang)
    rest = [p for code, p in sorted(profiles().items()) if code != lang and p.quote_headers]
    return [first, *rest] if first else rest


_HEADER_CUES = (
    "wrote:",
    "escribió:",
    "original message",
    "mensaje original",
    "from:",
    "de:",
    "sent from",
    "enviado desde",
)


def quoted_start(text: str, lang: str, *, lower: str | None = None) -> int:
    """Offset where a quoted previous message starts ("On … wrote:"), or ``len(text)``."""
    low = lower if lower is not None else text.lower()
    if not any(cue in low for cue in _HEADER_CUES):
        return len(text)
    pattern = _quote_header(lang)
    if pattern is None:
        return len(text)
    m = pattern.search(text)
    return m.start() if m else len(text)


def _classify(piece: str) -> str:
    first, last = piece[0], piece[-1]
    if first in _CURRENCY or last in _CURRENCY:
        return "amount"
    low = piece.lower()
    if low.endswith(_AMOUNT_WORDS):
        return "amount"
    if first == "+":
        return "phone"
    if last == "%":
        return "number"
    if ":" in piece or low.endswith(_TIME_ENDINGS):
        return "time"
    if low != low.upper():
        return "date"  # letters left after the checks above: a month name or "3rd"
    digits = len(piece) - len(piece.translate(_NOT_DIGITS))
    if digits >= 9 and not any(c in piece for c in "/.,"):
        return "phone"
    if "/" in piece or (piece.count("-") == 2 and digits in (6, 8)):
        return "date"
    if piece.count(".") == 2 and digits in (6, 8) and "," not in piece:
        return "date"
    return "number"


_NOT_DIGITS = str.maketrans("", "", "0123456789")


def wording_spans(
    text: str, lang: str, *, lower: str | None = None, only: frozenset[str] | None = None
) -> list[Span]:
    """The stretches wording rules must skip: quotes, quoted lines, emails, URLs, months.

    Cheap on purpose (each pattern runs only when a character it needs is present): the
    checker leaves numbers to ``number_spans``, which it only needs when a rule asks for a
    date, time, amount or phone number. ``only`` names the parts to run ("email", "url",
    "dquote", "squote", "qline", "header", "months") when the caller already knows.
    """
    found: list[Span] = []
    if only is None:
        parts = set()
        if "@" in text:
            parts.add("email")
        if "://" in text or "www." in text:
            parts.add("url")
        if '"' in text or "“" in text or "«" in text or "„" in text:
            parts.add("dquote")
        if "‘" in text or " '" in text or "\n'" in text or text.startswith("'"):
            parts.add("squote")
        if ">" in text:
            parts.add("qline")
        parts.add("header")
        parts.add("months")
    else:
        parts = set(only)
        if text.startswith("'"):
            parts.add("squote")
    if "email" in parts:
        found.extend(_emails(text))
    if "url" in parts:
        found.extend(Span(m.start(), m.end(), "url") for m in _URL.finditer(text))
    if "dquote" in parts:
        found.extend(Span(m.start(), m.end(), "quote") for m in _DOUBLE_QUOTE.finditer(text))
    if "squote" in parts:
        found.extend(Span(m.start(), m.end(), "quote") for m in _SINGLE_QUOTE.finditer(text))
    if "qline" in parts:
        found.extend(Span(m.start(), m.end(), "quote") for m in _QUOTED_LINE.finditer(text))
    if "header" in parts:
        low = lower if lower is not None and len(lower) == len(text) else text.lower()
        cut = quoted_start(text, lang, lower=low)
        if cut < len(text):
            found.append(Span(cut, len(text), "quote"))
    if "months" not in parts:
        return found
    month_first = _month_first(lang)
    if month_first is not None:
        found.extend(Span(m.start(), m.end(), "date") for m in month_first.finditer(text))
    return found


_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def _emails(text: str) -> list[Span]:
    # Found from each "@" outwards: a pattern starting with the local part would be tried
    # at every word character of the message.
    out = []
    at = text.find("@")
    while at != -1:
        start = at
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._+-"):
            start -= 1
        m = _DOMAIN.match(text, at + 1)
        if start < at and m is not None:
            out.append(Span(start, m.end(), "email"))
        at = text.find("@", at + 1)
    return out


def number_spans(text: str, lang: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Dates, times, amounts, phone and order numbers written with digits, classified."""
    stop = len(text) if end is None else end
    found = [
        Span(m.start(), m.end(), _classify(m.group()))
        for m in _numeric(lang).finditer(text, start, stop)
    ]
    found.extend(Span(m.start(), m.end(), "number") for m in _CODE.finditer(text, start, stop))
    return found


def spans(text: str, lang: str, *, date_words: bool = True, lower: str | None = None) -> list[Span]:
    """Stretches of ``text`` to mask, sorted and not overlapping.

    ``lang`` selects month names and time words; unknown languages get the language-free
    patterns (digits, emails, URLs, quotes). With ``date_words`` (the default) weekday names
    and words like "tomorrow" are included as dates. ``lower`` may pass ``text.lower()`` when
    the caller has it already. Never raises.
    """
    low = lower if lower is not None and len(lower) == len(text) else text.lower()
    found = wording_spans(text, lang, lower=low)
    found.extend(number_spans(text, lang))
    if date_words:
        found.extend(date_word_spans(low, lang))
    return merge(found)


def date_word_spans(lower: str, lang: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Weekday names and words like "tomorrow" in lower-cased text, as date spans.

    ``start``/``end`` limit the search to a stretch of the text.
    """
    automaton = _date_words(lang)
    if automaton is None:
        return []
    out = []
    n = len(lower) if end is None else end
    for last, size in automaton.iter(lower, start, n):
        first = last - size + 1
        if (first == 0 or not lower[first - 1].isalnum()) and (
            last + 1 >= len(lower) or not lower[last + 1].isalnum()
        ):
            out.append(Span(first, last + 1, "date"))
    return out


def merge(found: list[Span]) -> list[Span]:
    """Sort spans and fold overlapping ones into the first."""
    if len(found) < 2:
        return found
    found.sort(key=lambda s: (s.start, -s.end))
    merged: list[Span] = [found[0]]
    for span in found[1:]:
        last = merged[-1]
        if span.start < last.end:
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.kind)
            continue
        merged.append(span)
    return merged


def mask(text: str, lang: str) -> str:
    """``text`` with every masked stretch replaced by placeholder characters.

    The result has the same length as ``text``; white space (line breaks included) is kept so
    that lines and sentences stay where they were. Never raises.
    """
    found = spans(text, lang)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for span in found:
        parts.append(text[pos : span.start])
        parts.append(
            "".join(c if c.isspace() else PLACEHOLDER for c in text[span.start : span.end])
        )
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


__all__ = [
    "PLACEHOLDER",
    "SPAN_KINDS",
    "Span",
    "date_word_spans",
    "mask",
    "merge",
    "number_spans",
    "quoted_start",
    "spans",
    "wording_spans",
]
