"""``draft``: a case's facts, customer and owner through its playbook's stage, as a message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankly.compose._schedule import WorkingHours, next_update_time
from frankly.errors import InvalidInput
from frankly.playbooks import (
    CHANNELS,
    SMS_LIMIT,
    Library,
    MissingFacts,
    NoText,
    Playbook,
    load_library,
    references,
)
from frankly.playbooks.formatting import Formatter, When
from frankly.playbooks.render import (
    CaseInfo,
    Party,
    Recorded,
    build_context,
    render,
    stage_text,
)
from frankly.store.models import utcnow
from frankly.text.language import detect


@dataclass
class Draft:
    """A message ready for a person to read, edit and send."""

    case_id: int | None
    kind: str
    stage: str
    stage_type: str
    channel: str
    language: str
    subject: str | None
    body: str
    next_update_at: dt.datetime
    next_update_text: str
    remedies: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    recipient: str | None = None

    @property
    def text(self) -> str:
        """Subject and body as one text (what the checker reads)."""
        return f"{self.subject}\n\n{self.body}" if self.subject else self.body

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "kind": self.kind,
            "stage": self.stage,
            "stage_type": self.stage_type,
            "channel": self.channel,
            "language": self.language,
            "subject": self.subject,
            "body": self.body,
            "next_update_at": self.next_update_at.isoformat(),
            "next_update_text": self.next_update_text,
            "remedies": list(self.remedies),
            "steps": list(self.steps),
            "sections": dict(self.sections),
            "warnings": list(self.warnings),
            "recipient": self.recipient,
        }


def draft(
    case_view_or_case: Any,
    stage: str,
    channel: str = "email",
    lang: str | None = None,
    now: dt.datetime | None = None,
    *,
    library: Library | None = None,
    playbooks_dirs: Sequence[str | Path] | None = None,
    hours: WorkingHours | None = None,
    recorded: Recorded | None = None,
) -> Draft:
    """Render ``stage`` of the case's playbook for ``channel`` in ``lang`` (default: customer's).

    Pure: reads the case (a ``CaseView``, or a ``Case`` with its customer and owner loaded),
    writes nothing. Raises ``UnknownPlaybook`` (no playbook for the kind), ``UnknownStage``,
    ``NoText`` (no text in that language), ``MissingFacts`` (naming each fact and its
    question), or ``InvalidInput`` (a fact of the wrong type, a case with no owner to name
    as the contact, an unknown channel).

    ``now`` (default: the clock) is the moment of writing: every date is compared with it
    in the customer's time zone. ``recorded`` (default: read from a ``CaseView``'s events)
    is what the case records beyond its facts: the option chosen, the review's changes.
    """
    case, customer, owner = _parts(case_view_or_case)
    if channel not in CHANNELS:
        raise InvalidInput(
            f"Unknown channel {channel!r}: use one of {', '.join(CHANNELS)}", field="channel"
        )
    library = library or load_library(playbooks_dirs)
    playbook = library.get(case.kind)
    stage_def = playbook.stage(stage)
    lang = lang or customer.language or "en"
    if lang not in playbook.languages:
        raise NoText(playbook.id, lang, playbook.languages)
    stage_text(playbook, stage, lang)
    facts = dict(case.facts or {})
    missing = playbook.missing_facts(facts)
    missing += [
        playbook.facts[name]
        for name in _stage_requires(playbook, stage)
        if playbook.facts[name] not in missing and _blank(facts.get(name))
    ]
    if missing:
        raise MissingFacts(missing, lang)
    if owner is None:
        raise InvalidInput(
            f"Case {case.id} has no owner: assign one, so the message names a person to reach",
            field="owner",
        )
    now = now or utcnow()
    if now.tzinfo is None:
        raise InvalidInput("now needs a time zone", field="now")
    interval = stage_def.next_update_after or playbook.cadence.update_every
    next_at = next_update_time(
        now,
        interval,
        owner.timezone or "UTC",
        working_hours_only=playbook.cadence.working_hours_only,
        hours=hours or WorkingHours.from_env(),
        customer_tz=customer.timezone,
    )
    fmt = Formatter.for_language(library, lang, customer.timezone or "UTC", now=now)
    if recorded is None:
        recorded = recorded_from(case, getattr(case_view_or_case, "events", None) or [])
    context, chosen = build_context(
        playbook,
        library,
        stage=stage,
        lang=lang,
        facts=facts,
        customer=Party(customer.name, customer.email, customer.phone, customer.company),
        owner=Party(owner.name, owner.email, owner.phone),
        case=CaseInfo(case.id, case.title, case.external_ref),
        tier=customer.tier,
        severity=case.severity,
        fault=case.fault,
        next_update_at=next_at,
        fmt=fmt,
        recorded=recorded,
    )
    rendered = render(playbook, library, stage, channel, lang, context)
    warnings = _date_warnings(playbook, stage, channel, lang, context)
    uses_changes = "changes" in _used_names(playbook, stage, channel, lang)
    if stage_def.type == "follow_up" and uses_changes and context["changes"] is None:
        warnings.append(
            "No lessons-learned review with changes in "
            f"{lang!r} yet: this follow-up says nothing about what changed"
            if not recorded.changes
            else f"The review's changes are written in {recorded.changes_language!r}, not "
            f"{lang!r}: this follow-up says nothing about what changed"
        )
    if channel == "sms" and len(rendered.body) > SMS_LIMIT:
        warnings.append(
            f"The SMS is {len(rendered.body)} characters; the limit is {SMS_LIMIT}: shorten it"
        )
    if channel == "sms" and not customer.phone:
        warnings.append("The customer has no phone number on file")
    texts = iter([*context["remedies"], *context["extras"]])
    remedies = [{"id": r.id, "text": next(texts), "extra": r.extra} for r in chosen]
    return Draft(
        case_id=case.id,
        kind=playbook.id,
        stage=stage,
        stage_type=stage_def.type,
        channel=channel,
        language=lang,
        subject=rendered.subject,
        body=rendered.body,
        next_update_at=next_at,
        next_update_text=context["next_update"],
        remedies=remedies,
        steps=[playbook.text(s.text, lang) for s in playbook.steps_for(stage)],
        sections=rendered.sections,
        warnings=warnings,
        recipient=customer.phone if channel in ("sms", "call") else customer.email,
    )


def recorded_from(case: Any, events: Sequence[Any]) -> Recorded:
    """What a case's timeline records for its drafts: the latest option chosen, the
    changes of its completed review, and when it was resolved."""
    chosen = chosen_text = changes = changes_language = None
    for event in events:
        payload = event.payload or {}
        if event.kind == "option_chosen":
            chosen, chosen_text = payload.get("option"), payload.get("text")
        elif event.kind == "review_completed" and payload.get("changes"):
            changes, changes_language = payload["changes"], payload.get("language")
    if changes and not changes_language:
        changes_language = _language_of(changes)
    return Recorded(
        chosen=chosen,
        chosen_text=chosen_text,
        changes=changes,
        changes_language=changes_language,
        resolved_at=getattr(case, "resolved_at", None),
    )


def _language_of(text: str) -> str | None:
    lang, confidence = detect(text)
    return lang if confidence >= 0.5 else None


def _date_warnings(
    playbook: Playbook, stage: str, channel: str, lang: str, context: dict[str, Any]
) -> list[str]:
    """A warning for each date the message relies on still to come that has passed."""
    used = _used_names(playbook, stage, channel, lang)
    out = []
    for name, spec in playbook.facts.items():
        value = context["facts"].get(name)
        if not spec.future or name not in used or not isinstance(value, When):
            continue
        if value.over:
            days = -value.days
            ago = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
            out.append(
                f"The fact {name} ({value.day.isoformat()}, {ago}) is already past and the "
                f"message relies on it: check it and record the new date "
                f"({spec.question_in('en')})"
            )
    return out


def _used_names(playbook: Playbook, stage: str, channel: str, lang: str) -> set[str]:
    text = playbook.stage(stage).texts[lang]
    if channel == "email":
        sources = [text.email_subject, text.email_body]
    elif channel == "sms":
        sources = [text.sms]
    else:
        call = text.call
        sources = [call.opening, call.facts, call.admission, call.closing, call.options or ""]
        sources += [part for qa in call.questions for part in qa] + list(call.calm)
    if "remedies" in " ".join(sources) or channel == "call":
        sources += [t for r in playbook.remedies for t in r.text.values()]
    used: set[str] = set()
    for source in sources:
        names, facts, _ = references(source)
        used |= names | facts
    return used


def _stage_requires(playbook: Playbook, stage: str) -> list[str]:
    return list(playbook.stage(stage).requires)


def _parts(value: Any) -> tuple[Any, Any, Any]:
    """(case, customer, owner) from a ``CaseView`` or a ``Case`` with relations loaded."""
    if hasattr(value, "case") and hasattr(value, "customer"):
        return value.case, value.customer, value.owner
    if hasattr(value, "kind") and hasattr(value, "facts"):
        return value, value.customer, value.owner
    raise InvalidInput("draft needs a case (a CaseView or a Case)")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
