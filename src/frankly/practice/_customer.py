"""The simulated customer: a state machine that reads each of the trainee's turns.

The customer's state is anger (0-3), trust (0-3), patience (turns left) and the questions
still open. Each turn is read by the checker (with the customer's last line as the message
replied to) and the promise parser; the signals found move the state by the effects in
``data/practice/engine.yml``; then the customer answers with a stock line of their voice:
angrier, the same, calmer, chasing an unanswered question, refusing a weak offer, asking
for a manager, walking away, or accepting a clear next step.

Everything here is pure and seeded: the same scenario, seed and turns give the same
conversation (tests and the realism figures depend on it).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from frankly import packs
from frankly.check import check
from frankly.compose.promises import read_promise
from frankly.errors import InvalidInput
from frankly.practice._scenarios import FIELD as FIELD_PATTERN
from frankly.practice._scenarios import Scenario, fill

MAX_TURN_CHARS = 5000
_QUOTED = re.compile(r"“(.+?)”|«(.+?)»|\"(.+?)\"")
# Structure parts the checker reports missing, and the positive signal each one's absence is.
_PARTS = {
    "missing-admission": "admission",
    "missing-what": "what",
    "missing-why": "cause",
    "missing-action": "action",
    "missing-contact": "contact",
}
# What each signal is called on screen (English; the interface pack translates them).
SIGNAL_LABELS = {
    "admission": "owned the mistake",
    "what": "said what happened",
    "cause": "gave the cause",
    "action": "said what we are doing",
    "options": "offered choices",
    "dated-update": "named the next update",
    "contact": "gave a direct contact",
    "blame": "blamed someone",
    "doublespeak": "corporate words",
    "evasive-passive": "hid who did it",
    "minimizing": "played it down",
    "hedging": "hedged",
    "vague-promise": "a promise with no date",
    "over-apology": "apologised too much",
    "shouting": "shouting",
    "mirroring": "repeated their insult",
    "unanswered": "left a question unanswered",
    "moved-promise": "moved a promised time",
    "weak-offer": "a weak offer",
    "defensive": "sounded defensive",
}
_NEGATIVE_CATEGORIES = {
    "blame",
    "doublespeak",
    "evasive-passive",
    "minimizing",
    "hedging",
    "vague-promise",
    "over-apology",
    "shouting",
    "mirroring",
}


@dataclass(frozen=True, slots=True)
class Effect:
    anger: int = 0
    trust: int = 0
    patience: int = 0
    critical: bool = False
    practice: str = ""


@dataclass(frozen=True, slots=True)
class Engine:
    calm_threshold: int
    max_rise: int
    signals: dict[str, Effect]


@lru_cache(maxsize=8)
def defensive_words(lang: str) -> re.Pattern[str] | None:
    """The language's defensive phrases (``practice/signals.yml``), as one pattern."""
    found: list[str] = []
    for folder in packs.pack_files(lang, "practice"):
        path = folder / "signals.yml"
        if path.is_file():
            found += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("defensive", [])
    if not found:
        return None
    try:
        return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in found) + r")\b", re.I)
    except re.error as exc:
        raise InvalidInput(f"practice/signals.yml for {lang!r}: a bad pattern ({exc})") from exc


@lru_cache(maxsize=1)
def engine() -> Engine:
    path = Path(str(resources.files("frankly") / "data" / "practice" / "engine.yml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Engine(
        calm_threshold=int(data["calm_threshold"]),
        max_rise=int(data["max_rise"]),
        signals={name: Effect(**spec) for name, spec in data["signals"].items()},
    )


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing the trainee did, good or bad, with the words that show it."""

    name: str
    words: str
    note: str

    @property
    def effect(self) -> Effect:
        return engine().signals[self.name]

    @property
    def negative(self) -> bool:
        e = self.effect
        return e.anger > 0 or e.trust < 0 or e.patience < 0


@dataclass(slots=True)
class CustomerState:
    """Where the customer stands; plain data, stored with the session."""

    anger: int
    trust: int
    patience: int
    voice: str
    temperament: str
    facts: dict[str, str]
    seed: int
    turn: int = 0
    last_line: str = ""
    open_questions: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    promises: list[str] = field(default_factory=list)
    manager_asked: bool = False
    outcome: str | None = None  # accepted, walked_away, out_of_turns

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerState:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Reaction:
    """The customer's answer to one turn, and how the turn moved them."""

    line: str
    reaction: str
    direction: str  # calmer, same, angrier
    signals: tuple[Signal, ...]
    anger: int
    trust: int
    patience: int
    ended: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "reaction": self.reaction,
            "direction": self.direction,
            "signals": [asdict(s) for s in self.signals],
            "anger": self.anger,
            "trust": self.trust,
            "patience": self.patience,
            "ended": self.ended,
        }


def begin(scenario: Scenario, temperament: str, seed: int) -> CustomerState:
    """A new customer for ``scenario``: their facts, their temper and their first line."""
    if temperament not in scenario.temperaments:
        known = ", ".join(scenario.temperaments)
        raise InvalidInput(f"{scenario.id} has no temperament {temperament!r}: use {known}")
    rng = random.Random(seed)
    temper = scenario.temperaments[temperament]
    facts = scenario.pick_facts(rng)
    opening = fill(rng.choice(temper.openings), facts)
    return CustomerState(
        anger=temper.anger,
        trust=temper.trust,
        patience=temper.patience,
        voice=temper.voice,
        temperament=temperament,
        facts=facts,
        seed=seed,
        last_line=opening,
    )


def read_turn(
    text: str, scenario: Scenario, state: CustomerState, *, now: dt.datetime
) -> tuple[Signal, ...]:
    """What the trainee's turn does, as signals (negative every time, positive once)."""
    lang = scenario.language
    report = check(text, lang=lang, stage="first_notice", fault="ours", reply_to=state.last_line)
    options = check(text, lang=lang, stage="options", fault="ours")
    found: list[Signal] = []
    missing = {f.category for f in report.findings}
    for f in report.findings:
        if f.category in _NEGATIVE_CATEGORIES:
            found.append(Signal(f.category, f.text, f.message))
        elif f.category == "unanswered-question":
            # The finding is about the whole reply; the question is quoted in its message.
            quoted = _QUOTED.search(f.message)
            asked = next((g for g in quoted.groups() if g), "") if quoted else f.text
            found.append(Signal("unanswered", asked, f.message))
    positives: list[Signal] = []
    for category, name in _PARTS.items():
        if category not in missing:
            positives.append(Signal(name, "", SIGNAL_LABELS[name]))
    if "missing-options" not in {f.category for f in options.findings}:
        positives.append(Signal("options", "", SIGNAL_LABELS["options"]))
    defensive = defensive_words(lang)
    hit = defensive.search(text) if defensive else None
    if hit:
        found.append(Signal("defensive", hit.group(0), SIGNAL_LABELS["defensive"]))
    lowered = text.lower()
    weak = [w for w in scenario.weak_offers if w in lowered]
    if weak and "options" not in {s.name for s in positives}:
        found.append(Signal("weak-offer", weak[0], SIGNAL_LABELS["weak-offer"]))
    promise = read_promise(text, lang, now=now)
    if promise is not None and promise.at is not None and not promise.past:
        earlier = [dt.datetime.fromisoformat(p) for p in state.promises]
        if earlier and promise.at > max(earlier) + dt.timedelta(minutes=1):
            found.append(Signal("moved-promise", promise.text, SIGNAL_LABELS["moved-promise"]))
        positives.append(Signal("dated-update", promise.text, SIGNAL_LABELS["dated-update"]))
    elif promise is not None and promise.vague and "vague-promise" not in missing:
        found.append(Signal("vague-promise", promise.text, SIGNAL_LABELS["vague-promise"]))
    # A follow-up question is answered by what its scenario says answers it (options answer
    # "what will you do about it?"), even when the reply shares none of its words.
    present = {p.name for p in positives}
    answered = {text for q in scenario.questions if present & set(q.answered_by) for text in q.asks}
    found = [
        s
        for s in found
        if not (s.name == "unanswered" and any(_same_question(s.words, a) for a in answered))
    ]
    # A part counts once in a conversation; a new dated update counts each time it is new.
    for signal in positives:
        if signal.name == "dated-update" or signal.name not in state.covered:
            found.append(signal)
    return tuple(found)


def _same_question(quoted: str, asked: str) -> bool:
    """Whether the question the checker quotes is ``asked`` (a template, facts filled)."""
    stem = FIELD_PATTERN.split(asked)[0].strip().lower()[:40]
    return bool(stem) and stem in quoted.lower()


def respond(
    scenario: Scenario,
    state: CustomerState,
    text: str,
    *,
    now: dt.datetime | None = None,
) -> Reaction:
    """Read the trainee's ``text``, move ``state`` (in place), and answer as the customer."""
    if state.outcome is not None:
        raise InvalidInput("This conversation has ended; start a new one.")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write something to the customer first: the turn is empty.")
    if len(text) > MAX_TURN_CHARS:
        raise InvalidInput(
            f"A turn is at most {MAX_TURN_CHARS} characters; this one has {len(text)}."
        )
    now = now or dt.datetime.now(dt.UTC)
    signals = read_turn(text, scenario, state, now=now)
    eng = engine()
    before = state.anger
    rise = sum(max(0, s.effect.anger) for s in signals)
    calm = sum(min(0, s.effect.anger) for s in signals)
    if rise > 0:
        state.anger = min(3, state.anger + min(rise, eng.max_rise))
    elif calm <= eng.calm_threshold:
        state.anger = max(0, state.anger - 1)
    state.trust = max(0, min(3, state.trust + sum(s.effect.trust for s in signals)))
    state.patience += sum(s.effect.patience for s in signals)
    state.turn += 1
    for s in signals:
        if not s.negative and s.name not in state.covered:
            state.covered.append(s.name)
        if s.name == "dated-update":
            at = read_promise(text, scenario.language, now=now)
            if at is not None and at.at is not None:
                state.promises.append(at.at.isoformat())
    names = {s.name for s in signals}
    direction = "angrier" if state.anger > before else "calmer" if state.anger < before else "same"
    if rise == 0 and before == 3 and calm <= eng.calm_threshold:
        direction = "calmer"
    rng = random.Random(f"{state.seed}:{state.turn}")
    unanswered = [_original(s.words, scenario, state) for s in signals if s.name == "unanswered"]
    state.open_questions = unanswered
    critical = any(s.effect.critical for s in signals)
    reaction, extra = _choose(scenario, state, names, critical, unanswered, direction)
    facts = {**state.facts, "question": unanswered[0] if unanswered else ""}
    line = scenario.line(state.voice, reaction, rng, facts)
    if extra:
        line = f"{line} {fill(extra, facts)}"
    state.last_line = line
    if reaction in ("accept", "walk_away"):
        state.outcome = "accepted" if reaction == "accept" else "walked_away"
    elif state.turn >= scenario.max_turns:
        state.outcome = "out_of_turns"
    return Reaction(
        line=line,
        reaction=reaction,
        direction=direction,
        signals=signals,
        anger=state.anger,
        trust=state.trust,
        patience=state.patience,
        ended=state.outcome is not None,
    )


def _original(quoted: str, scenario: Scenario, state: CustomerState) -> str:
    """The customer's own question, as they first asked it: a chase line quotes it again,
    not the chase ("Forgive me for repeating myself: …") around it."""
    for q in scenario.questions:
        for asked in q.asks:
            if _same_question(quoted, asked):
                return fill(asked, state.facts)
    return quoted.rsplit(": ", 1)[-1] if quoted else ""


def _choose(
    scenario: Scenario,
    state: CustomerState,
    names: set[str],
    critical: bool,
    unanswered: list[str],
    direction: str,
) -> tuple[str, str]:
    """The reaction's kind, and a follow-up question to add (or "")."""
    if state.anger >= 3 and (critical or state.patience <= 1):
        if not state.manager_asked:
            state.manager_asked = True
            return "manager", ""
        return "walk_away", ""
    if state.patience <= 0:
        return "walk_away", ""
    if "weak-offer" in names:
        return "refuse", ""
    settled = (
        state.anger <= 1
        and state.trust >= 2
        and "dated-update" in state.covered
        and not unanswered
        and (not scenario.options_expected or "options" in state.covered)
        and not critical
    )
    if settled:
        return "accept", ""
    if unanswered:
        return "chase", ""
    pending = [q for q in scenario.questions if q.id not in state.asked]
    if pending and direction != "angrier":
        question = pending[0]
        state.asked.append(question.id)
        rng = random.Random(f"{state.seed}:{state.turn}:q")
        return direction, rng.choice(question.asks)
    return direction, ""


__all__ = [
    "SIGNAL_LABELS",
    "CustomerState",
    "Reaction",
    "Signal",
    "begin",
    "engine",
    "read_turn",
    "respond",
]
