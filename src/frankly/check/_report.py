"""What a check returns: findings and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How much each finding costs the 0-100 score.
PENALTY = {"error": 15, "warning": 7, "suggestion": 2}
RANK = {"suggestion": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a draft.

    ``start``/``end`` are character offsets into the checked text (``end == start`` for a
    finding about the whole message, such as a missing next-update time); ``line`` and
    ``column`` are 1-based.
    """

    category: str
    rule: str
    severity: str
    message: str
    start: int
    end: int
    text: str
    suggestion: str | None = None
    line: int = 1
    column: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "text": self.text,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The result of checking one draft.

    ``language`` is the language the rules were chosen for (or the detected unsupported one);
    ``score`` starts at 100 and falls with each finding by its severity.
    """

    language: str
    language_confidence: float
    score: int
    findings: tuple[Finding, ...]
    stage: str | None = None
    fault: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def suggestions(self) -> int:
        return sum(1 for f in self.findings if f.severity == "suggestion")

    def at_least(self, severity: str) -> list[Finding]:
        """The findings at or above ``severity``."""
        floor = RANK[severity]
        return [f for f in self.findings if RANK[f.severity] >= floor]

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "language_confidence": self.language_confidence,
            "score": self.score,
            "stage": self.stage,
            "fault": self.fault,
            "counts": {
                "error": self.errors,
                "warning": self.warnings,
                "suggestion": self.suggestions,
            },
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }


def score(findings: tuple[Finding, ...] | list[Finding]) -> int:
    """100 minus each finding's penalty, never below 0."""
    return max(0, 100 - sum(PENALTY[f.severity] for f in findings))
