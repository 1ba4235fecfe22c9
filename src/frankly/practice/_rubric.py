"""Scoring a practice conversation like a rubric: one item per practice, Good, Fair or Poor.

Each item cites its evidence: the trainee's own words and what was found in them. Blame,
mirroring an insult and moving a promised time are critical: any one of them caps the
overall score below a pass, however good the rest was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from frankly.practice._customer import Signal

RATINGS = ("good", "fair", "poor")
POINTS = {"good": 2, "fair": 1, "poor": 0}
PASS = 50  # a critical failure caps the overall score just below this
# Medals, as rehearsal products give them: bronze, silver, gold.
MEDALS = ((90, "gold"), (75, "silver"), (50, "bronze"))


@dataclass(frozen=True, slots=True)
class Evidence:
    turn: int
    words: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"turn": self.turn, "words": self.words, "note": self.note}


@dataclass(frozen=True, slots=True)
class Item:
    """One practice, rated."""

    practice: str
    rating: str
    critical: bool
    failed_critical: bool
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "practice": self.practice,
            "rating": self.rating,
            "critical": self.critical,
            "failed_critical": self.failed_critical,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Score:
    items: tuple[Item, ...]
    overall: int
    medal: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "medal": self.medal,
            "items": [i.to_dict() for i in self.items],
        }


def _clip(text: str, width: int = 90) -> str:
    """The start of a turn, as evidence for a part it contains (the checker reports only
    where parts are missing, not where they are)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _evidence(turns: Sequence[Sequence[Signal]], names: set[str]) -> list[Evidence]:
    return [
        Evidence(n, s.words, s.note)
        for n, signals in enumerate(turns, start=1)
        for s in signals
        if s.name in names
    ]


def score(
    turns: Sequence[Sequence[Signal]], turn_texts: Sequence[str], *, options_expected: bool
) -> Score:
    """Rate the conversation whose turns gave ``turns`` signals (one tuple per turn)."""
    seen = {s.name for signals in turns for s in signals}

    def quote(name: str) -> list[Evidence]:
        # A present part's evidence is the turn that first showed it.
        for n, signals in enumerate(turns, start=1):
            if any(s.name == name for s in signals):
                first = next(s for s in signals if s.name == name)
                words = first.words or _clip(turn_texts[n - 1])
                return [Evidence(n, words, first.note)]
        return []

    items: list[Item] = []

    def add(practice: str, rating: str, evidence: list[Evidence], critical: bool = False) -> None:
        items.append(
            Item(practice, rating, critical, critical and rating == "poor", tuple(evidence))
        )

    # P3: a dated next update, kept where it was given (a moved time is a broken promise).
    bad = _evidence(turns, {"moved-promise"})
    vague = _evidence(turns, {"vague-promise"})
    if bad:
        add("P3", "poor", bad, critical=True)
    elif "dated-update" in seen:
        add("P3", "fair" if vague else "good", quote("dated-update") + vague)
    else:
        add("P3", "poor", vague)
    # P5: do not play the problem down.
    shrink = _evidence(turns, {"minimizing", "hedging"})
    add("P5", "good" if not shrink else "fair" if len(shrink) == 1 else "poor", shrink)
    # P6: plain words.
    fog = _evidence(turns, {"doublespeak", "evasive-passive"})
    add("P6", "good" if not fog else "fair" if len(fog) == 1 else "poor", fog)
    # P7: what happened and why, questions answered, one apology.
    parts = [p for p in ("what", "cause", "action") if p in seen]
    misses = _evidence(turns, {"unanswered", "over-apology"})
    shown = [e for p in parts for e in quote(p)]
    if len(parts) == 3 and not misses:
        rating = "good"
    elif parts and len(misses) <= 1:
        rating = "fair"
    else:
        rating = "poor"
    add("P7", rating, shown + misses)
    # P8: own the mistake, blame no one.
    blame = _evidence(turns, {"blame"})
    if blame:
        add("P8", "poor", blame, critical=True)
    else:
        add("P8", "good" if "admission" in seen else "fair", quote("admission"), critical=True)
    # P10: stay calm: no mirrored insult, no shouting, no arguing back.
    heat = _evidence(turns, {"mirroring", "shouting", "defensive"})
    mirrored = bool(_evidence(turns, {"mirroring"}))
    rating = "poor" if mirrored or len(heat) > 1 else "fair" if heat else "good"
    add("P10", rating, heat, critical=mirrored)
    # P11: choices, when the case has them.
    if options_expected:
        weak = _evidence(turns, {"weak-offer"})
        if "options" in seen:
            add("P11", "fair" if weak else "good", quote("options") + weak)
        else:
            add("P11", "poor", weak)
    # P13: a way to reach us.
    add("P13", "good" if "contact" in seen else "poor", quote("contact"))
    total = sum(POINTS[i.rating] for i in items)
    overall = round(100 * total / (2 * len(items)))
    if any(i.failed_critical for i in items):
        overall = min(overall, PASS - 1)
    medal = next((name for floor, name in MEDALS if overall >= floor), None)
    return Score(tuple(items), overall, medal)


__all__ = ["MEDALS", "RATINGS", "Evidence", "Item", "Score", "score"]
