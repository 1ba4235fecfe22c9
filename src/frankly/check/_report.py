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
    # [text, pack, language, case context, fixes once built]: the fixes are built on first
    # use only (most checks never need them), so a check pays one list for them.
    source: list[Any] | None = field(default=None, compare=False, repr=False)

    @property
    def fixes(self) -> tuple[Any, ...]:
        """A ``frankly.check.Fix`` per finding, in order: what a one-click button may insert
        (``replacement``, at ``insert_at`` for a missing part) and ``advice`` for the writer.
        """
        # lazy: most checks never build their fixes
        from frankly.check._fixes import Fix, fixes

        source = self.source
        if source is None:
            return tuple(Fix(None, f.suggestion or None) for f in self.findings)
        if len(source) == 4:
            text, pack, lang, context = source
            source.append(fixes(self.findings, text, pack, lang, context))
        return source[4]

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
            "findings": [
                {**f.to_dict(), **fix.to_dict()}
                for f, fix in zip(self.findings, self.fixes, strict=True)
            ],
        }


# The checker builds a Finding or two per message: filling the slots through their descriptors
# gives the same object as the constructor without a frozen dataclass's object.__setattr__ per
# field (about 0.6 µs a finding).
_new = object.__new__
(_category, _rule, _severity, _message, _start, _end, _text, _suggestion, _line, _column) = (
    Finding.__dict__[name].__set__
    for name in (
        "category",
        "rule",
        "severity",
        "message",
        "start",
        "end",
        "text",
        "suggestion",
        "line",
        "column",
    )
)
(_language, _confidence, _score, _findings, _stage, _fault, _notes, _source) = (
    Report.__dict__[name].__set__
    for name in (
        "language", "language_confidence", "score", "findings", "stage", "fault", "notes", "source",
    )
)  # fmt: skip


def make_finding(
    category: str,
    rule: str,
    severity: str,
    message: str,
    start: int,
    end: int,
    text: str,
    suggestion: str | None,
    line: int,
    column: int,
) -> Finding:
    """``Finding(...)`` with every field given, built faster (for the checker's inner loop)."""
    found = _new(Finding)
    _category(found, category)
    _rule(found, rule)
    _severity(found, severity)
    _message(found, message)
    _start(found, start)
    _end(found, end)
    _text(found, text)
    _suggestion(found, suggestion)
    _line(found, line)
    _column(found, column)
    return found


def make_report(
    language: str,
    confidence: float,
    findings: tuple[Finding, ...],
    stage: str | None,
    fault: str | None,
    notes: tuple[str, ...],
    source: list[Any] | None = None,
) -> Report:
    """``Report(...)`` with its score, built faster (once per check)."""
    report = _new(Report)
    _language(report, language)
    _confidence(report, confidence)
    _score(report, score(findings))
    _findings(report, findings)
    _stage(report, stage)
    _fault(report, fault)
    _notes(report, notes)
    _source(report, source)
    return report


def score(findings: tuple[Finding, ...] | list[Finding]) -> int:
    """100 minus each finding's penalty, never below 0."""
    return max(0, 100 - sum(PENALTY[f.severity] for f in findings))
