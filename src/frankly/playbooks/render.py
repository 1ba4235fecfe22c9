"""Rendering a stage's templates from a context: facts, customer, owner, remedies, next update."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, UndefinedError

from frankly.errors import InvalidInput
from frankly.playbooks._facts import coerce, example
from frankly.playbooks._model import Library, NoText, Playbook, Remedy, StageText
from frankly.playbooks._templates import TemplateLimit, compile_template, render_limited
from frankly.playbooks.formatting import Formatter


@dataclass(frozen=True)
class Party:
    """A person in a message: the customer, or the member of staff who owns the case."""

    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class CaseInfo:
    id: int | None
    title: str
    ref: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What the case records beyond its facts, for sentences that may only say what is so.

    ``chosen``: the id of the option the customer chose (and ``chosen_text``, its words);
    ``changes``: what the lessons-learned review says changes, when written in the
    message's language; ``resolved_at``: when the case was resolved.
    """

    chosen: str | None = None
    chosen_text: str | None = None
    changes: str | None = None
    changes_language: str | None = None
    resolved_at: dt.datetime | None = None


@dataclass
class Rendered:
    """What one channel of one stage rendered to."""

    subject: str | None
    body: str
    remedies: list[dict[str, Any]] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)


def stage_text(playbook: Playbook, stage_id: str, lang: str) -> StageText:
    stage = playbook.stage(stage_id)
    text = stage.texts.get(lang)
    if text is None:
        raise NoText(playbook.id, lang, stage.texts)
    return text


def fact_values(playbook: Playbook, facts: dict[str, Any], fmt: Formatter) -> dict[str, Any]:
    """Every fact of the playbook as message text (``None`` when not known)."""
    typed = playbook.coerce_facts(facts)
    values: dict[str, Any] = {}
    for name, spec in playbook.facts.items():
        value = typed.get(name)
        blank = value is None or (isinstance(value, str) and not value.strip())
        values[name] = None if blank else fmt.fact(spec, value)
    return values


def build_context(
    playbook: Playbook,
    library: Library,
    *,
    stage: str,
    lang: str,
    facts: dict[str, Any],
    customer: Party,
    owner: Party,
    case: CaseInfo,
    tier: str,
    severity: str,
    fault: str,
    next_update_at: dt.datetime,
    fmt: Formatter,
    today: dt.date | None = None,
    recorded: Recorded | None = None,
) -> tuple[dict[str, Any], list[Remedy]]:
    """The names a template can use (see docs/playbooks.md), and the remedies chosen.

    Dates are compared with ``fmt.now`` in the customer's zone (``today``, when given,
    is written as today's date).
    """
    recorded = recorded or Recorded()
    values = fact_values(playbook, facts, fmt)
    changes = recorded.changes if recorded.changes_language in (None, lang) else None
    policy = {
        pid: library.policies.get(pid, {}).get(lang, {}).get("text", "")
        for pid in playbook.policies
    }
    context: dict[str, Any] = {
        **values,
        "facts": values,
        "customer": customer,
        "owner": owner,
        "case": case,
        "tier": tier,
        "severity": severity,
        "fault": fault,
        "stage": stage,
        "lang": lang,
        "policy": policy,
        "today": fmt.when(today or fmt.today),
        "since": fmt.since,
        "chosen": recorded.chosen,
        "chosen_text": recorded.chosen_text,
        "changes": _sentence(changes) if changes else None,
        "resolved_at": fmt.when(recorded.resolved_at) if recorded.resolved_at else None,
        "next_update": fmt.datetime(next_update_at),
        "next_update_date": fmt.date(next_update_at),
        "next_update_time": fmt.time(next_update_at),
        "milestone_history": _milestones(playbook, facts, lang),
    }
    chosen = playbook.remedies_for(tier, severity, fault)
    texts = [(r, _render(r.text.get(lang, ""), context, f"remedy {r.id}")) for r in chosen]
    context["remedies"] = [t for r, t in texts if not r.extra]
    context["extras"] = [t for r, t in texts if r.extra]
    return context, chosen


def _sentence(text: str) -> str:
    """A note written by staff as a sentence for the customer: capital, full stop."""
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".!?" else f"{text}."


def _milestones(playbook: Playbook, facts: dict[str, Any], lang: str) -> list[str]:
    """The logistics milestones reached so far, in order, as words (for "show movement")."""
    spec = playbook.facts.get("milestone")
    current = facts.get("milestone")
    if spec is None or not playbook.cadence.milestones or current not in spec.choices:
        return []
    order = list(playbook.cadence.milestones)
    if current not in order:
        return [spec.label(current, lang)]
    return [spec.label(m, lang) for m in order[: order.index(current) + 1]]


def render(
    playbook: Playbook,
    library: Library,
    stage_id: str,
    channel: str,
    lang: str,
    context: dict[str, Any],
) -> Rendered:
    """Render ``stage_id`` for ``channel`` in ``lang``; ``InvalidInput`` for a bad template."""
    text = stage_text(playbook, stage_id, lang)
    where = f"{playbook.id}.{stage_id}.{lang}"
    if channel == "email":
        subject = _render(text.email_subject, context, f"{where}.email.subject")
        body = _render(text.email_body, context, f"{where}.email.body")
        return Rendered(" ".join(subject.split()), _tidy(body))
    if channel == "sms":
        return Rendered(None, " ".join(_render(text.sms, context, f"{where}.sms").split()))
    if channel == "call":
        return _render_call(playbook, library, text, lang, context, where)
    raise InvalidInput(f"Unknown channel {channel!r}: use email, sms or call", field="channel")


def _render_call(
    playbook: Playbook,
    library: Library,
    text: StageText,
    lang: str,
    context: dict[str, Any],
    where: str,
) -> Rendered:
    spec = library.language(lang)
    headings: dict[str, str] = spec["call_headings"]
    call = text.call

    def one(source: str, part: str) -> str:
        return " ".join(_render(source, context, f"{where}.call.{part}").split())

    sections: dict[str, Any] = {
        "opening": one(call.opening, "opening"),
        "facts": one(call.facts, "facts"),
        "admission": one(call.admission, "admission"),
    }
    if call.options:
        sections["options"] = [one(call.options, "options")]
    else:
        sections["options"] = list(context["remedies"])
        if context["extras"]:
            intro = spec.get("extras_intro", "+")
            sections["options"].append(f"{intro}: {'; '.join(context['extras'])}")
    if sections["options"] and spec.get("options_choose"):
        sections["options"].append(spec["options_choose"])
    sections["questions"] = [
        {"q": one(q, "question"), "a": one(a, "answer")} for q, a in call.questions
    ]
    sections["calm"] = [one(c, "calm") for c in call.calm] + list(spec["calm"])
    sections["closing"] = one(call.closing, "closing")
    lines: list[str] = []
    for part in ("opening", "facts", "admission", "options", "questions", "calm", "closing"):
        value = sections[part]
        if not value:
            continue
        lines.append(f"## {headings[part]}")
        if part == "questions":
            for qa in value:
                lines.append(f"- {headings.get('question', 'Q')}: {qa['q']}")
                lines.append(f"  {headings.get('answer', 'A')}: {qa['a']}")
        elif isinstance(value, list):
            lines.extend(f"- {item}" for item in value)
        else:
            lines.append(value)
        lines.append("")
    title = headings.get("title")
    subject = _render(title, context, f"{where}.call.title") if title else None
    return Rendered(subject, "\n".join(lines).strip(), sections=sections)


def _render(source: str, context: dict[str, Any], where: str) -> str:
    try:
        return render_limited(compile_template(source), context)
    except TemplateLimit as exc:
        raise InvalidInput(f"The template {where} was stopped: {exc}", field="template") from exc
    except UndefinedError as exc:
        raise InvalidInput(f"The template {where} uses something it cannot know: {exc}") from exc
    except TemplateError as exc:
        raise InvalidInput(f"The template {where} failed: {exc}") from exc


def _tidy(text: str) -> str:
    # Templates leave blank lines where optional parts were skipped: keep at most one.
    out: list[str] = []
    for line in text.strip().splitlines():
        line = line.rstrip()
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------- samples

SAMPLE_CUSTOMER = Party(
    "Alexandra Whitfield-Moreno",
    "alexandra.whitfield@northwind-trading.example",
    "+44 20 7946 0958",
    "Northwind Trading Ltd",
)
SAMPLE_OWNER = Party("Margarita Villanueva", "margarita.villanueva@example.com", "+34 600 123 456")


def sample_facts(playbook: Playbook) -> dict[str, Any]:
    """Typical values for every fact (optional ones too), typed as a case would hold them."""
    return {name: coerce(spec, example(spec)) for name, spec in playbook.facts.items()}


def render_sample(
    playbook: Playbook, library: Library, stage_id: str, channel: str, lang: str
) -> str:
    """Render a stage with typical values: used to check templates when loading."""
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    fmt = Formatter.for_language(library, lang, "Europe/Madrid", now=now)
    context, _ = build_context(
        playbook,
        library,
        stage=stage_id,
        lang=lang,
        facts=sample_facts(playbook),
        customer=SAMPLE_CUSTOMER,
        owner=SAMPLE_OWNER,
        case=CaseInfo(4471, "Order 4471 is late", "ORD-4471"),
        tier="key",
        severity="high",
        fault=playbook.fault,
        next_update_at=now + dt.timedelta(days=1, hours=7),
        fmt=fmt,
        recorded=SAMPLE_RECORDED.get(lang, Recorded()),
    )
    rendered = render(playbook, library, stage_id, channel, lang, context)
    return rendered.body


# A sample case whose review is written, so the sentences about changes render too.
SAMPLE_RECORDED = {
    "en": Recorded(
        changes="every order is now checked against its promised date two days before",
        changes_language="en",
        resolved_at=dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC),
    ),
    "es": Recorded(
        changes="cada pedido se revisa ahora frente a su fecha prometida dos días antes",
        changes_language="es",
        resolved_at=dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC),
    ),
}
