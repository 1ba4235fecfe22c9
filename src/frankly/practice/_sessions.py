"""Practice sessions in the database: start, take turns, finish, and progress over time.

Sessions live in their own table (``store.practice_models``); nothing here reads or writes
cases, customers, messages or the outbox, so practice never reaches a real customer.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from frankly.errors import FranklyError, InvalidInput, NotFound
from frankly.practice._customer import CustomerState, Signal, begin, respond
from frankly.practice._rubric import POINTS, Score, score
from frankly.practice._scenarios import Scenario, fill, load_scenarios, session_seed
from frankly.store import Database
from frankly.store.models import Agent, utcnow
from frankly.store.practice_models import PracticeSession

PRACTICE_NAMES = {
    "P3": "say when they hear from you next",
    "P5": "do not play the problem down",
    "P6": "plain words",
    "P7": "the conversation in order",
    "P8": "own it, blame no one",
    "P10": "stay calm",
    "P11": "offer choices",
    "P13": "be easy to reach",
}
# The kinds that exercise each practice most, for the suggested next scenario.
EXERCISES = {
    "P3": ("late_delivery", "service_outage", "overdue_payment"),
    "P5": ("poor_results", "defective_product"),
    "P6": ("billing_error", "return_refused"),
    "P7": ("defective_product", "wrong_item"),
    "P8": ("late_delivery", "service_outage", "wrong_item"),
    "P10": ("overdue_payment", "return_refused", "billing_error"),
    "P11": ("overpromised", "wrong_item", "late_delivery"),
    "P13": ("return_refused", "poor_results"),
}


class NotYours(FranklyError):
    """A practice session of someone else's: only its trainee (or a manager) may see it."""

    http_status = 403
    code = "forbidden"


@dataclass(frozen=True, slots=True)
class PracticeView:
    """A session as the CLI, the page and the API show it."""

    id: int
    trainee: str
    scenario: str
    title: str
    brief: str
    language: str
    kind: str
    temperament: str
    customer: str
    turns: tuple[dict[str, Any], ...]
    anger: int
    trust: int
    patience: int
    outcome: str | None
    score: int | None
    ratings: dict[str, Any] | None
    started_at: dt.datetime
    ended_at: dt.datetime | None

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trainee": self.trainee,
            "scenario": self.scenario,
            "title": self.title,
            "brief": self.brief,
            "language": self.language,
            "kind": self.kind,
            "temperament": self.temperament,
            "customer": self.customer,
            "turns": list(self.turns),
            "anger": self.anger,
            "trust": self.trust,
            "patience": self.patience,
            "outcome": self.outcome,
            "score": self.score,
            "ratings": self.ratings,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }


def scenario(key: str) -> Scenario:
    """The scenario ``<lang>/<id>`` (or an ``id`` in English). Raises ``NotFound``."""
    found = load_scenarios()
    if "/" not in key:
        key = f"en/{key}"
    if key not in found:
        raise NotFound(f"No practice scenario {key!r}: `frankly practice list` shows them")
    return found[key]


def _view(row: PracticeSession) -> PracticeView:
    found = load_scenarios().get(row.scenario)
    state = CustomerState.from_dict(row.state)
    return PracticeView(
        id=row.id,
        trainee=row.trainee,
        scenario=row.scenario,
        title=found.title if found else row.scenario,
        brief=_brief(found, state) if found else "",
        language=row.language,
        kind=row.kind,
        temperament=row.temperament,
        customer=state.facts.get("name", ""),
        turns=tuple(row.turns),
        anger=state.anger,
        trust=state.trust,
        patience=state.patience,
        outcome=row.outcome,
        score=row.score,
        ratings=row.ratings,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def _brief(found: Scenario, state: CustomerState) -> str:
    return fill(found.brief, state.facts)


def start_session(
    db: Database,
    key: str,
    *,
    trainee: str,
    temperament: str | None = None,
    agent_id: int | None = None,
    seed: int | None = None,
) -> PracticeView:
    """Start a rehearsal of scenario ``key`` with a generated customer; returns the session
    with the customer's opening line as its first turn."""
    found = scenario(key)
    seed = seed if seed is not None else session_seed()
    temper = temperament or random.Random(seed).choice(sorted(found.temperaments))
    state = begin(found, temper, seed)
    with db.transaction() as session:
        row = PracticeSession(
            agent_id=agent_id,
            trainee=trainee,
            scenario=f"{found.language}/{found.id}",
            language=found.language,
            kind=found.kind,
            temperament=temper,
            state=state.to_dict(),
            turns=[{"n": 0, "customer": state.last_line, "anger": state.anger}],
            started_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return _view(row)


def _row(session: Any, session_id: int, trainee: str | None) -> PracticeSession:
    row = session.get(PracticeSession, session_id)
    if row is None:
        raise NotFound(f"No practice session {session_id}")
    if trainee is not None and row.trainee != trainee:
        raise NotYours(f"Practice session {session_id} is someone else's")
    return row


def take_turn(
    db: Database, session_id: int, text: str, *, trainee: str | None = None
) -> PracticeView:
    """The trainee's turn: the customer reads it and answers; the session ends (and is
    scored) when the customer accepts, walks away, or the turns run out."""
    with db.transaction() as session:
        row = _row(session, session_id, trainee)
        if row.outcome is not None:
            raise InvalidInput(f"Practice session {session_id} has ended; start a new one.")
        found = scenario(row.scenario)
        state = CustomerState.from_dict(row.state)
        reaction = respond(found, state, text)
        turns = list(row.turns)
        turns.append({"n": state.turn, "trainee": text.strip(), **reaction.to_dict()})
        turns.append({"n": state.turn, "customer": reaction.line, "anger": reaction.anger})
        row.turns = turns
        row.state = state.to_dict()
        if state.outcome is not None:
            _finish(row, found, state.outcome)
        session.flush()
        return _view(row)


def end_session(db: Database, session_id: int, *, trainee: str | None = None) -> PracticeView:
    """Stop a session before its end; it is scored on the turns taken."""
    with db.transaction() as session:
        row = _row(session, session_id, trainee)
        if row.outcome is None:
            state = CustomerState.from_dict(row.state)
            state.outcome = "stopped"
            row.state = state.to_dict()
            _finish(row, scenario(row.scenario), "stopped")
        return _view(row)


def _signals(turns: list[dict[str, Any]]) -> tuple[list[tuple[Signal, ...]], list[str]]:
    mine = [t for t in turns if "trainee" in t]
    signals = [tuple(Signal(**s) for s in t.get("signals", [])) for t in mine]
    return signals, [t["trainee"] for t in mine]


def rate(row_turns: list[dict[str, Any]], found: Scenario) -> Score:
    signals, texts = _signals(row_turns)
    return score(signals, texts, options_expected=found.options_expected)


def _finish(row: PracticeSession, found: Scenario, outcome: str) -> None:
    result = rate(list(row.turns), found)
    row.outcome = outcome
    row.score = result.overall
    row.ratings = result.to_dict()
    row.ended_at = utcnow()


def get_session(db: Database, session_id: int, *, trainee: str | None = None) -> PracticeView:
    with db.transaction() as session:
        return _view(_row(session, session_id, trainee))


def list_sessions(
    db: Database, *, trainee: str | None = None, limit: int = 50
) -> list[PracticeView]:
    """The newest sessions first (one trainee's, or everyone's)."""
    with db.transaction() as session:
        query = select(PracticeSession).order_by(PracticeSession.id.desc()).limit(limit)
        if trainee is not None:
            query = query.where(PracticeSession.trainee == trainee)
        return [_view(r) for r in session.scalars(query)]


@dataclass(frozen=True, slots=True)
class Progress:
    """One person's practice over time."""

    trainee: str
    sessions: int
    finished: int
    average: float | None
    by_practice: dict[str, float]  # 0-100 per practice, over finished sessions
    weakest: str | None
    suggestion: str | None  # <lang>/<id> of the scenario to try next

    def to_dict(self) -> dict[str, Any]:
        return {
            "trainee": self.trainee,
            "sessions": self.sessions,
            "finished": self.finished,
            "average": self.average,
            "by_practice": self.by_practice,
            "weakest": self.weakest,
            "weakest_name": PRACTICE_NAMES.get(self.weakest or ""),
            "suggestion": self.suggestion,
        }


def progress(db: Database, trainee: str, *, language: str | None = None) -> Progress:
    """Scores by practice, the weakest skill, and the scenario to try next."""
    with db.transaction() as session:
        rows = list(
            session.scalars(
                select(PracticeSession)
                .where(PracticeSession.trainee == trainee)
                .order_by(PracticeSession.id)
            )
        )
        return _progress(trainee, rows, language)


def _progress(trainee: str, rows: list[PracticeSession], language: str | None) -> Progress:
    finished = [r for r in rows if r.outcome is not None and r.ratings]
    points: dict[str, list[int]] = defaultdict(list)
    for r in finished:
        for item in (r.ratings or {}).get("items", []):
            points[item["practice"]].append(POINTS[item["rating"]])
    by_practice = {p: round(50 * sum(v) / len(v), 1) for p, v in sorted(points.items()) if v}
    weakest = min(by_practice, key=lambda p: (by_practice[p], p)) if by_practice else None
    lang = language or (rows[-1].language if rows else "en")
    done: dict[str, int] = defaultdict(int)
    for r in rows:
        done[r.scenario] += 1
    available = load_scenarios(lang)
    wanted = EXERCISES.get(weakest or "", ()) or tuple(s.kind for s in available.values())
    candidates = [k for k, s in available.items() if s.kind in wanted] or list(available)
    suggestion = min(candidates, key=lambda k: (done[k], k)) if candidates else None
    average = round(sum(r.score or 0 for r in finished) / len(finished), 1) if finished else None
    return Progress(trainee, len(rows), len(finished), average, by_practice, weakest, suggestion)


def team_progress(db: Database, manager: Agent | None = None) -> list[Progress]:
    """Every trainee's progress: a manager sees the agents who report to them and
    themselves (everyone when nobody reports to them); an admin, or no manager given,
    everyone who has practised."""
    with db.transaction() as session:
        rows = list(session.scalars(select(PracticeSession).order_by(PracticeSession.id)))
        team: set[str] | None = None
        if manager is not None and manager.role != "admin":
            reports = {
                a.email
                for a in session.scalars(select(Agent).where(Agent.manager_id == manager.id))
            }
            # A manager with no one recorded as reporting to them (a small business) sees
            # everyone, as they see every case.
            team = ({manager.email} | reports) if reports else None
        by_trainee: dict[str, list[PracticeSession]] = defaultdict(list)
        for r in rows:
            if team is None or r.trainee in team:
                by_trainee[r.trainee].append(r)
        return [_progress(t, rs, None) for t, rs in sorted(by_trainee.items())]


__all__ = [
    "EXERCISES",
    "PRACTICE_NAMES",
    "NotYours",
    "PracticeView",
    "Progress",
    "end_session",
    "get_session",
    "list_sessions",
    "progress",
    "rate",
    "scenario",
    "start_session",
    "take_turn",
    "team_progress",
]
