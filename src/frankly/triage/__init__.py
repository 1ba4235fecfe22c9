"""Triage: read a customer's message as a calm, experienced account manager would.

``triage(text, lang=None)`` returns a ``TriageReport``: language, complaint probability, anger
intensity and level, main emotions, the most likely playbook kind, risks (churn, legal, public,
insult, urgency, repeat) with the words that raised them, the questions asked, and advice for
the person answering. Pure and thread-safe; lexicons and models load once, on first use or on
``load()``.
"""

from frankly.triage._data import EMOTIONS, ISSUE_KINDS, LEVELS, RISKS, TriageDataError
from frankly.triage._report import (
    Advice,
    Anger,
    Complaint,
    Emotion,
    IssueKind,
    LanguageGuess,
    Notice,
    Risk,
    TriageReport,
    Trigger,
)
from frankly.triage._triage import load, supported_languages, triage

__all__ = [
    "EMOTIONS",
    "ISSUE_KINDS",
    "LEVELS",
    "RISKS",
    "Advice",
    "Anger",
    "Complaint",
    "Emotion",
    "IssueKind",
    "LanguageGuess",
    "Notice",
    "Risk",
    "TriageDataError",
    "TriageReport",
    "Trigger",
    "load",
    "supported_languages",
    "triage",
]
