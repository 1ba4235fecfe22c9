"""What a loaded playbook looks like: plain dataclasses built from validated YAML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankly.errors import InvalidInput, NotFound

# The stage types the checker knows; a playbook's stage ids may be anything, each
# declares one of these types (a stage called first_notice has type first_notice).
STAGE_TYPES = (
    "first_notice",
    "update",
    "options",
    "resolution",
    "follow_up",
    "payment_reminder",
    "public_statement",
)
CHANNELS = ("email", "sms", "call")
FACT_TYPES = ("text", "int", "money", "date", "datetime", "choice", "url", "phone")
SMS_LIMIT = 320
# The parts of a call script, in the order a person speaks them.
CALL_PARTS = ("opening", "facts", "admission", "options", "questions", "calm", "closing")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a playbook file: where, and why."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


class PlaybookInvalid(InvalidInput):
    """One or more playbook files are malformed; ``problems`` lists each with file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:5]]
        more = len(self.problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__("Invalid playbook: " + "; ".join(lines))


class UnknownPlaybook(NotFound):
    """No playbook for a case kind."""

    def __init__(self, kind: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.known = sorted(known)
        super().__init__(
            f"No playbook for the kind {kind!r}: the known ones are {', '.join(self.known)}",
            field="kind",
        )


class UnknownStage(InvalidInput):
    """A stage the playbook does not have."""

    def __init__(self, playbook: str, stage: str, known: Iterable[str]) -> None:
        self.stage = stage
        super().__init__(
            f"The playbook {playbook!r} has no stage {stage!r}: use one of {', '.join(known)}",
            field="stage",
        )


class NoText(InvalidInput):
    """The playbook has no text in the language asked for."""

    def __init__(self, playbook: str, lang: str, known: Iterable[str]) -> None:
        self.lang = lang
        super().__init__(
            f"The playbook {playbook!r} has no text in {lang!r}: it has {', '.join(known)}",
            field="lang",
        )


class MissingFacts(InvalidInput):
    """Required facts are missing; the message names each fact and its question."""

    def __init__(self, missing: list[FactSpec], lang: str = "en") -> None:
        self.missing = missing
        parts = [f"{f.name} ({f.question_in(lang)})" for f in missing]
        super().__init__(
            "Missing required facts: " + "; ".join(parts) + ". Record them with name=value",
            field=missing[0].name if missing else None,
        )


@dataclass(frozen=True)
class FactSpec:
    """A fact to gather for a case: its name, type, whether it is required, and the question."""

    name: str
    type: str
    required: bool
    question: dict[str, str]
    example: str | None = None
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    currency: str | None = None
    # A date we expect still to come (a new delivery date): drafting warns once it passes.
    future: bool = False
    # For int and money facts: the range accepted (None: the type's default range).
    minimum: float | None = None
    maximum: float | None = None

    def question_in(self, lang: str) -> str:
        return self.question.get(lang) or next(iter(self.question.values()), self.name)

    def label(self, value: str, lang: str) -> str:
        """The words for a choice value in ``lang`` (the value itself when there are none)."""
        labels = self.choices.get(value) or {}
        return labels.get(lang) or value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "question": dict(self.question),
        }
        if self.example is not None:
            out["example"] = self.example
        if self.choices:
            out["choices"] = {k: dict(v) for k, v in self.choices.items()}
        if self.currency:
            out["currency"] = self.currency
        if self.future:
            out["future"] = True
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Step:
    """One line of the checklist for the person handling the case."""

    id: str
    text: dict[str, str]
    stages: tuple[str, ...]

    def applies_to(self, stage: str) -> bool:
        return not self.stages or stage in self.stages


@dataclass(frozen=True)
class Remedy:
    """An option we can offer, and the conditions under which we offer it."""

    id: str
    text: dict[str, str]
    tiers: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    extra: bool = False

    def applies(self, tier: str, severity: str, fault: str) -> bool:
        return (
            (not self.tiers or tier in self.tiers)
            and (not self.severities or severity in self.severities)
            and (not self.faults or fault in self.faults)
        )


@dataclass(frozen=True)
class LadderStep:
    """One rung of a payment reminder ladder: a stage sent ``offset_days`` from the due date."""

    stage: str
    offset_days: int


@dataclass(frozen=True)
class FollowUpDiscount:
    """The thank-you code with a follow-up; ``None`` leaves a field to the business default."""

    enabled: bool | None = None
    percent: int | None = None
    valid_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "percent": self.percent, "valid_days": self.valid_days}


@dataclass(frozen=True)
class Cadence:
    """How soon we must tell, and how often we update while the case is open.

    ``auto_send_reminders``, ``follow_up_discount`` and ``milestone_stuck_after`` are
    ``None`` when the playbook leaves them to the business-wide defaults
    (``frankly.cadence.settings_for`` combines the two).
    """

    first_notice_within: dt.timedelta
    update_every: dt.timedelta
    follow_up_after_days: int = 7
    auto_send_updates: bool = False
    working_hours_only: bool = True
    milestones: tuple[str, ...] = ()
    payment_ladder: tuple[LadderStep, ...] = ()
    auto_send_reminders: bool | None = None
    follow_up_discount: FollowUpDiscount | None = None
    milestone_stuck_after: dt.timedelta | None = None

    def to_dict(self) -> dict[str, Any]:
        stuck = self.milestone_stuck_after
        return {
            "first_notice_within_minutes": int(self.first_notice_within.total_seconds() // 60),
            "update_every_minutes": int(self.update_every.total_seconds() // 60),
            "follow_up_after_days": self.follow_up_after_days,
            "auto_send_updates": self.auto_send_updates,
            "working_hours_only": self.working_hours_only,
            "milestones": list(self.milestones),
            "payment_ladder": [
                {"stage": s.stage, "offset_days": s.offset_days} for s in self.payment_ladder
            ],
            "auto_send_reminders": self.auto_send_reminders,
            "follow_up_discount": (
                self.follow_up_discount.to_dict() if self.follow_up_discount else None
            ),
            "milestone_stuck_after_minutes": (
                int(stuck.total_seconds() // 60) if stuck is not None else None
            ),
        }


@dataclass(frozen=True)
class CallScript:
    """The talking points of a phone call, as templates."""

    opening: str
    facts: str
    admission: str
    closing: str
    options: str | None = None
    questions: tuple[tuple[str, str], ...] = ()
    calm: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageText:
    """A stage's templates in one language."""

    email_subject: str
    email_body: str
    sms: str
    call: CallScript


@dataclass(frozen=True)
class Stage:
    id: str
    type: str
    texts: dict[str, StageText]
    next_update_after: dt.timedelta | None = None
    description: dict[str, str] = field(default_factory=dict)
    # Facts this stage cannot be written without, on top of the playbook's required ones.
    requires: tuple[str, ...] = ()


@dataclass
class Playbook:
    """One problem kind: facts to gather, steps, remedies, policies, cadence, message stages."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    problem: dict[str, str]
    fault: str
    facts: dict[str, FactSpec]
    steps: list[Step]
    remedies: list[Remedy]
    policies: list[str]
    cadence: Cadence
    stages: dict[str, Stage]
    source: Path | None = None
    builtin: bool = True
    # The YAML text of a playbook a manager uploaded (kept in the database, not in a file).
    uploaded_text: str | None = None
    # Per-file line numbers of templates, so render errors can say where.
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.title)

    def stage(self, stage_id: str) -> Stage:
        """The stage ``stage_id``; raises ``UnknownStage`` naming the stages there are."""
        try:
            return self.stages[stage_id]
        except KeyError:
            raise UnknownStage(self.id, stage_id, self.stages) from None

    def missing_facts(self, facts: dict[str, Any]) -> list[FactSpec]:
        """The required facts that ``facts`` lacks (absent, None or blank), in playbook order."""
        return [
            spec for spec in self.facts.values() if spec.required and _blank(facts.get(spec.name))
        ]

    def coerce_facts(self, facts: dict[str, Any]) -> dict[str, Any]:
        """Typed values for the facts this playbook knows (others are kept as given).

        Raises ``InvalidInput`` naming the fact, its type and an example of a good value.
        """
        from dataclasses import replace

        # here, not at the top: playbooks._facts imports this module
        from frankly.playbooks._facts import coerce

        # A case may keep its currency as a fact of its own ("currency=GBP"): amounts
        # typed without one are in that currency.
        currency = facts.get("currency")
        valid_currency = isinstance(currency, str) and len(currency.strip()) == 3
        out: dict[str, Any] = {}
        for name, value in facts.items():
            spec = self.facts.get(name)
            if spec is None or _blank(value):
                out[name] = value
                continue
            if spec.type == "money" and valid_currency:
                spec = replace(spec, currency=str(currency).strip().upper())
            out[name] = coerce(spec, value)
        return out

    def remedies_for(self, tier: str, severity: str, fault: str) -> list[Remedy]:
        """The remedies whose conditions match the case, in playbook order."""
        return [r for r in self.remedies if r.applies(tier, severity, fault)]

    def steps_for(self, stage: str) -> list[Step]:
        return [s for s in self.steps if s.applies_to(stage)]

    def text(self, values: dict[str, str], lang: str) -> str:
        return values.get(lang) or next(iter(values.values()), "")

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        def pick(values: dict[str, str]) -> Any:
            return values.get(lang, "") if lang else dict(values)

        return {
            "id": self.id,
            "title": pick(self.title),
            "description": pick(self.description),
            "problem": pick(self.problem),
            "fault": self.fault,
            "languages": list(self.languages),
            "source": str(self.source) if self.source else None,
            "builtin": self.builtin,
            "uploaded": self.uploaded_text is not None,
            "facts": [f.to_dict() for f in self.facts.values()],
            "steps": [
                {"id": s.id, "text": pick(s.text), "stages": list(s.stages)} for s in self.steps
            ],
            "remedies": [
                {
                    "id": r.id,
                    "text": pick(r.text),
                    "tier": list(r.tiers),
                    "severity": list(r.severities),
                    "fault": list(r.faults),
                    "extra": r.extra,
                }
                for r in self.remedies
            ],
            "policies": list(self.policies),
            "cadence": self.cadence.to_dict(),
            "stages": [{"id": s.id, "type": s.type} for s in self.stages.values()],
        }


@dataclass
class Library:
    """All playbooks known to this process: built-ins, overridden by users' directories."""

    playbooks: dict[str, Playbook]
    policies: dict[str, dict[str, dict[str, str]]]
    languages: dict[str, dict[str, Any]]

    def get(self, kind: str) -> Playbook:
        """The playbook for ``kind``; raises ``UnknownPlaybook`` naming the known ones."""
        try:
            return self.playbooks[kind]
        except KeyError:
            raise UnknownPlaybook(kind, self.playbooks) from None

    def __iter__(self) -> Iterator[Playbook]:
        """The playbooks in id order."""
        return iter(sorted(self.playbooks.values(), key=lambda p: p.id))

    def __len__(self) -> int:
        return len(self.playbooks)

    def __contains__(self, kind: object) -> bool:
        return kind in self.playbooks

    def language(self, lang: str) -> dict[str, Any]:
        """Formats and shared lines for ``lang``; raises ``InvalidInput`` for an unknown one."""
        try:
            return self.languages[lang]
        except KeyError:
            raise InvalidInput(
                f"No language {lang!r}: use one of {', '.join(sorted(self.languages))}",
                field="lang",
            ) from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
