"""Choosing advice for a message from the rules in ``data/triage/advice.yml``."""

from __future__ import annotations

from typing import Any

from frankly.triage._data import LEVELS, LanguagePack, Settings
from frankly.triage._report import Advice


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def choose_advice(
    settings: Settings,
    pack: LanguagePack,
    *,
    complaint: bool,
    level: str,
    risks: set[str],
    kind: str,
    emotions: set[str],
    questions: int,
    deadline: str | None,
) -> tuple[Advice, ...]:
    """The advice whose conditions all hold, in the rules' order, in ``pack``'s language."""
    rank = LEVELS.index(level)
    values = _Safe(questions=str(questions), deadline=deadline or "")
    chosen: list[Advice] = []
    for rule_id, when in settings.advice_rules:
        if not _holds(when, complaint, rank, risks, kind, emotions, questions):
            continue
        chosen.append(Advice(rule_id, pack.advice[rule_id].format_map(values)))
        if len(chosen) >= settings.advice_max_items:
            break
    return tuple(chosen)


def _holds(
    when: dict[str, Any],
    complaint: bool,
    rank: int,
    risks: set[str],
    kind: str,
    emotions: set[str],
    questions: int,
) -> bool:
    for key, value in when.items():
        if key == "complaint":
            ok = complaint is value
        elif key == "has_questions":
            ok = (questions > 0) is value
        elif key == "anger_at_least":
            ok = rank >= LEVELS.index(value)
        elif key == "anger_below":
            ok = rank < LEVELS.index(value)
        elif key == "risks_any":
            ok = not risks.isdisjoint(value)
        elif key == "kinds_any":
            ok = kind in value
        else:  # emotions_any (the schema allows no other key)
            ok = not emotions.isdisjoint(value)
        if not ok:
            return False
    return True
