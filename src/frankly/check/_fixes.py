"""One-click fixes that never invent: real wording, real values from the case, or advice.

Each finding gets a ``Fix``: ``replacement`` is text safe to put in the customer's message
(wording with no placeholder, or a sentence filled from the case's facts), ``insert_at`` is
where a missing part goes (after the greeting, after the first sentence, or at the end of the
last paragraph before the sign-off; None: the replacement replaces the flagged words), and
``advice`` is for the writer only and is never inserted. When a value the sentence needs is
not in the case, there is no replacement and the advice says what to add.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frankly.check._report import Finding
    from frankly.check._rules import Pack, Rule


@dataclass(frozen=True, slots=True)
class Fix:
    """What a one-click button may do for one finding (see the module's docstring)."""

    replacement: str | None
    advice: str | None
    insert_at: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"replacement": self.replacement, "advice": self.advice, "insert_at": self.insert_at}


# Never in a customer's text: fake numbers, template marks, ellipses, advice to the writer.
PLACEHOLDER = re.compile(
    r"\b0{3}[ .-]?0{3}\b|\b[Xx]{3,}\b|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|…|\.\.\.|\s/\s|"
    r"^(?:Explain|Say|State|Keep|Give|Add|Answer|Tell|Use|Explique|Explica|Diga|Dígalo|Deje|"
    r"Responda|Añada|Dé|Indique|Use)\b"
)
_FIELD = re.compile(r"\{([a-z_]+)\}")
_GREETING = re.compile(
    r"(?:dear|hi|hello|hey|good (?:morning|afternoon|evening)|estimad[oa]s?|hola|querid[oa]s?|"
    r"buen[oa]s (?:días|tardes|noches)|señor|señora|sr\.|sra\.)\b",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:kind regards|best regards|warm regards|regards|best wishes|best|thanks|thank you|"
    r"many thanks|cheers|sincerely|yours|un saludo|saludos|atentamente|un cordial saludo|"
    r"cordialmente|gracias|muchas gracias|un abrazo)\b[ ,.!]*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'»”’)]*(?=\s|$)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MONEY_FACTS = ("amount", "amount_charged", "amount_correct", "refund_amount")
_NEEDS = {
    "en": "Add it yourself; the case does not give: {names}.",
    "es": "Añádalo usted; el caso no indica: {names}.",
}
_EXAMPLE = {"en": "For example: “{text}”", "es": "Por ejemplo: «{text}»"}
_LOCALES = {"en": "en_GB", "es": "es_ES"}


def safe(text: str | None) -> bool:
    """Whether ``text`` may go into a customer's message (no placeholder, no advice)."""
    return text is not None and bool(text.strip()) and PLACEHOLDER.search(text) is None


def fixes(
    findings: tuple[Finding, ...], text: str, pack: Pack | None, lang: str, context: Any
) -> tuple[Fix, ...]:
    """A ``Fix`` for each finding of a report on ``text``, in the same order."""
    rules = {r.id: r for r in pack.rules} if pack is not None else {}
    ctx: dict[str, Any] = dict(context) if isinstance(context, dict) else {}
    layout: _Layout | None = None
    out = []
    for f in findings:
        rule = rules.get(f.rule)
        spec = (rule.spec.get("fix") or {}) if rule is not None else {}
        if f.end > f.start:
            out.append(_wording(f, rule, spec))
            continue
        if rule is None or "sentences" not in spec:
            out.append(Fix(None, _example(f.suggestion, lang)))
            continue
        if layout is None:
            layout = _Layout(text)
        out.append(_missing(rule, spec, lang, ctx, layout))
    return tuple(out)


def _wording(f: Finding, rule: Rule | None, spec: dict[str, Any]) -> Fix:
    suggestion = f.suggestion
    if rule is None or not suggestion:
        return Fix(None, suggestion or None)
    if (rule.kind == "substitution" or spec.get("replace")) and safe(suggestion):
        replacement = suggestion
        if f.text[:1].isupper() and replacement[:1].islower():
            replacement = replacement[0].upper() + replacement[1:]
        return Fix(replacement, None)
    return Fix(None, suggestion)


def _example(suggestion: str | None, lang: str) -> str | None:
    if not suggestion:
        return None
    return _EXAMPLE.get(lang, _EXAMPLE["en"]).format(text=suggestion)


def _missing(
    rule: Rule, spec: dict[str, Any], lang: str, ctx: dict[str, Any], layout: _Layout
) -> Fix:
    given = ctx.get("facts")
    facts: dict[str, Any] = given if isinstance(given, dict) else {}
    kind = ctx.get("kind")
    options = [*spec["sentences"].get(kind, ()), *spec["sentences"].get("any", ())]
    missing: list[str] = []
    for template in options:
        values: dict[str, str] = {}
        lacking = []
        for name in _FIELD.findall(template):
            value = _value(name, facts, ctx, lang)
            if value is None:
                lacking.append(name)
            else:
                values[name] = value
        if lacking:
            missing.extend(n for n in lacking if n not in missing)
            continue
        if not safe(_FIELD.sub("x", template)):
            continue  # the rule's own wording must be fit to send

        def fill(m: re.Match[str], known: dict[str, str] = values) -> str:
            return known[m.group(1)]

        sentence = _FIELD.sub(fill, template)
        sentence = sentence[0].upper() + sentence[1:]
        at, replacement = layout.insertion(spec.get("place", "opening"), sentence)
        return Fix(replacement, None, at)
    advice = _example(rule.suggestion, lang)
    if missing:
        names = ", ".join(n.replace("_", " ") for n in missing)
        needs = _NEEDS.get(lang, _NEEDS["en"]).format(names=names)
        advice = f"{advice} {needs}" if advice else needs
    return Fix(None, advice)


def _value(name: str, facts: dict[str, Any], ctx: dict[str, Any], lang: str) -> str | None:
    """A fact or context value as message text, or None when the case does not have it."""
    raw = facts.get(name, ctx.get(name))
    if raw is None or isinstance(raw, dict | list) or not str(raw).strip():
        return None
    value = str(raw).strip()
    if PLACEHOLDER.search(value):
        return None  # a placeholder stored as a fact ("[TBC]", "XXX") is still a placeholder
    locale = _LOCALES.get(lang, "en_GB")
    try:
        from babel.dates import format_date, format_datetime
        from babel.numbers import format_currency

        if _ISO_DATE.match(value):
            pattern = "d 'de' MMMM" if lang == "es" else "d MMMM"
            return format_date(dt.date.fromisoformat(value), pattern, locale=locale)
        if _ISO_DATETIME.match(value):
            when = dt.datetime.fromisoformat(value)
            pattern = "d 'de' MMMM, HH:mm" if lang == "es" else "d MMMM, HH:mm"
            return format_datetime(when, pattern, locale=locale)
        if name in _MONEY_FACTS and facts.get("currency"):
            return format_currency(Decimal(value), str(facts["currency"]), locale=locale)
    except (ValueError, InvalidOperation, ImportError):
        return value
    return value


class _Layout:
    """Where a missing part goes in a message: after the greeting, after the first sentence,
    or at the end of the last paragraph before the sign-off.
    """

    __slots__ = ("body_end", "body_start", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        lines = _lines(text)
        # The greeting: the first line, when it is short and greets or ends in "," or ":".
        body_start = 0
        content = [(s, e) for s, e in lines if text[s:e].strip()]
        if content:
            s, e = content[0]
            first = text[s:e].strip()
            if len(first) <= 80 and (_GREETING.match(first) or first.endswith((",", ":"))):
                rest = [c for c in content[1:]]
                body_start = rest[0][0] if rest else e
                content = rest
        # The sign-off: a closing line among the last few, else a short last line with no
        # sentence end (a name); the body ends at the last line before it.
        body_end = None
        for index in range(len(content) - 1, max(len(content) - 6, -1), -1):
            s, e = content[index]
            if _SIGN_OFF.match(text[s:e].strip()):
                body_end = content[index - 1][1] if index > 0 else None
                break
        if body_end is None and len(content) > 1:
            s, e = content[-1]
            last = text[s:e].strip()
            if len(last) <= 40 and not _SENTENCE_END.search(last):
                body_end = content[-2][1]
        if body_end is None:
            body_end = content[-1][1] if content else len(text)
        if body_end < body_start:
            body_end = body_start
        self.body_start = body_start
        self.body_end = body_end

    def insertion(self, place: str, sentence: str) -> tuple[int, str]:
        """``(offset, text to insert there)`` for a sentence going to ``place``."""
        text = self.text
        start = self.body_start
        if place == "closing" and self.body_end > start:
            end = self.body_end
            while end > start and text[end - 1].isspace():
                end -= 1
            return end, " " + sentence
        if place == "after-opening" and start < len(text):
            stop = text.find("\n\n", start)
            stop = len(text) if stop < 0 else stop
            m = _SENTENCE_END.search(text, start, stop)
            if m is not None:
                return m.end(), " " + sentence
            end = stop
            while end > start and text[end - 1].isspace():
                end -= 1
            return end, " " + sentence
        if start >= len(text) or not text[start:].strip():
            return len(text), ("\n\n" if text.strip() else "") + sentence
        return start, sentence + " "


def _lines(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out
