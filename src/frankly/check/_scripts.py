"""Built-in scripts: the checks a phrase list alone cannot express.

A script is called as ``script(ctx, rule, roles)`` and returns ``(start, end, extra)`` tuples;
``extra`` fills ``{placeholders}`` in the rule's message. Its word lists come from the rule's
``lexicons`` (scanned with everything else), so the knowledge stays in the YAML file.
A business can name its own script as ``module:function`` with the same signature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from frankly.text import mask as _mask
from frankly.text import profile
from frankly.text.language import detect
from frankly.text.questions import find_questions, topic_key, topic_keys

if TYPE_CHECKING:
    from frankly.check._engine import Context, Hit
    from frankly.check._rules import Rule

Result = Iterator[tuple[int, int, dict[str, Any]]]


def structure(ctx: Context, rule: Rule, roles: dict[str, list[Hit]]) -> Result:
    """Fire once for the whole message when it lacks a required part.

    The part is present when a ``cues`` phrase appears (in the same sentence as a masked
    stretch of one of ``with_kinds``, when given), or when the message holds any masked
    stretch of one of ``kinds`` (a phone number or email address for a contact).
    """
    with_kinds = ctx_rule_list(rule, "with_kinds")
    for start, _, _ in roles.get("lex:cues", ()):
        if not with_kinds or ctx.kinds_in(ctx.sentence_of(start), with_kinds):
            return
    kinds = ctx_rule_list(rule, "kinds")
    if kinds and ctx.has_kind(kinds):
        return
    yield (0, 0, {})


def ctx_rule_list(rule: Rule, key: str) -> tuple[str, ...]:
    value = rule.spec.get(key)
    return tuple(value) if value else ()


def mirroring(ctx: Context, rule: Rule, roles: dict[str, list[Hit]]) -> Result:
    """Flag insults and slang (lexicon ``terms``) that the customer used and the draft repeats."""
    if not ctx.reply_to:
        return
    theirs = ctx.reply_to.lower().replace("’", "'")
    seen: dict[str, bool] = {}
    for start, end, _ in roles.get("lex:terms", ()):
        word = ctx.low[start:end]
        if word not in seen:
            stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
            pattern = rf"(?<!\w){re.escape(stem)}(?:s|es)?(?!\w)"
            seen[word] = re.search(pattern, theirs) is not None
        if seen[word]:
            yield (start, end, {})


def _draft_body(ctx: Context) -> str:
    """The draft without any quoted previous message, so quoted questions do not answer."""
    body = ctx.text[: _mask.quoted_start(ctx.text, ctx.lang)]
    if ">" in body:
        body = "\n".join(line for line in body.split("\n") if not line.lstrip().startswith(">"))
    return body


def unanswered_questions(ctx: Context, rule: Rule, roles: dict[str, list[Hit]]) -> Result:
    """Fire once per question in the customer's message that the draft does not answer.

    A question counts as answered when the draft shares its topic (at least one topic word,
    two when the question has three or more) and, for "when" questions, names a date or
    time; for "how much", an amount; for "why", a cause (lexicon ``reason``).
    """
    if not ctx.reply_to or not ctx.reply_to.strip():
        return
    their_lang, _ = detect(ctx.reply_to)
    prof = profile(their_lang)
    if prof is None or prof.questions is None:
        # The customer's language has no question lexicon: read it as the draft's language.
        their_lang = ctx.lang
    questions = find_questions(ctx.reply_to, their_lang)
    if not questions:
        return
    body = _draft_body(ctx)
    keys = topic_keys(body, ctx.lang) | topic_keys(body, their_lang)
    kinds = {span.kind for span in ctx.kind_spans() if span.start < len(body)}
    has_reason = bool(roles.get("lex:reason"))
    for q in questions:
        if q.topic:
            wanted = {topic_key(w, their_lang) for w in q.topic}
            shared = sum(1 for k in wanted if k in keys)
            if shared < (2 if len(wanted) >= 3 else 1):
                yield (0, 0, {"question": q.text})
                continue
        if (
            (q.asks == "time" and not kinds & {"date", "time"})
            or (q.asks == "amount" and not kinds & {"amount", "number"})
            or (q.asks == "reason" and not has_reason)
        ):
            yield (0, 0, {"question": q.text})
