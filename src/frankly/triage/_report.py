"""The triage report: plain frozen dataclasses with ``to_dict`` for JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The message's language, how sure we are, whether triage has data for it (a lexicon in
    its language pack), and whether a word model reads it too (else the cues alone do)."""

    code: str | None
    confidence: float
    supported: bool
    word_model: bool = False


@dataclass(frozen=True, slots=True)
class Complaint:
    is_complaint: bool
    probability: float


@dataclass(frozen=True, slots=True)
class Anger:
    """Intensity from 0 to 1 and its level: calm, annoyed, angry or furious."""

    intensity: float
    level: str


@dataclass(frozen=True, slots=True)
class Emotion:
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class IssueKind:
    """The most likely playbook id, and every kind's score (they add up to 1)."""

    kind: str
    score: float
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class Trigger:
    """Words in the analysed text that raised a risk, with their offsets."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk flag: ``churn``, ``legal``, ``public``, ``insult``, ``urgency`` or ``repeat``.

    For ``urgency``, ``deadline`` is the deadline as written and ``deadline_date`` its ISO date
    when it could be parsed.
    """

    kind: str
    triggers: tuple[Trigger, ...]
    deadline: str | None = None
    deadline_date: str | None = None


@dataclass(frozen=True, slots=True)
class Advice:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader of the report should know about the input (``code`` is stable)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class TriageReport:
    """What an experienced account manager would see at a glance in a customer's message.

    ``text`` is the text that was analysed (cleaned of markup and quoted replies, capped in
    length); every offset in the report (risk triggers, questions) points into it. When nothing
    can be said (empty text, only emoji, an unsupported language), the learned fields are
    ``None`` and ``notices`` says why.
    """

    language: LanguageGuess
    complaint: Complaint | None
    anger: Anger | None
    emotions: tuple[Emotion, ...]
    emotion_scores: dict[str, float]
    issue_kind: IssueKind | None
    risks: tuple[Risk, ...]
    questions: tuple[Any, ...]
    advice: tuple[Advice, ...]
    notices: tuple[Notice, ...] = ()
    text: str = ""
    truncated: bool = False
    model: str = field(default="triage-1")

    def risk(self, kind: str) -> Risk | None:
        """The risk flag of that kind, or ``None`` when it was not raised."""
        return next((r for r in self.risks if r.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        data = dataclasses.asdict(self)
        data["questions"] = [_plain(q) for q in self.questions]
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "_asdict"):
        return value._asdict()
    return value
