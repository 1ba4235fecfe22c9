"""Practice: rehearse a hard conversation against a simulated customer, offline.

A scenario (data: ``data/lang/<lang>/practice/scenarios/<id>.yml``) is one playbook kind with
a generated customer: a name, a tier, the facts and a temperament. The customer is a state
machine (anger, trust, patience, open questions) moved by what the checker and the promise
parser find in each of the trainee's turns (``data/practice/engine.yml``), and answers with
stock lines in the voice of real customers. A finished session is rated like a rubric: one
item per practice, Good, Fair or Poor, with the trainee's own words as evidence.

Sessions are stored in their own table; practice never touches the case register or the
outbox, so nothing from practice can reach a real customer.
"""

from __future__ import annotations

from frankly.practice._customer import (
    SIGNAL_LABELS,
    CustomerState,
    Reaction,
    Signal,
    begin,
    read_turn,
    respond,
)
from frankly.practice._rubric import MEDALS, RATINGS, Evidence, Item, Score, score
from frankly.practice._scenarios import (
    REACTIONS,
    Question,
    Scenario,
    Temperament,
    load_scenarios,
    validate_paths,
)
from frankly.practice._sessions import (
    PRACTICE_NAMES,
    NotYours,
    PracticeView,
    Progress,
    end_session,
    get_session,
    list_sessions,
    progress,
    rate,
    scenario,
    start_session,
    take_turn,
    team_progress,
)

__all__ = [
    "MEDALS",
    "PRACTICE_NAMES",
    "RATINGS",
    "REACTIONS",
    "SIGNAL_LABELS",
    "CustomerState",
    "Evidence",
    "Item",
    "NotYours",
    "PracticeView",
    "Progress",
    "Question",
    "Reaction",
    "Scenario",
    "Score",
    "Signal",
    "Temperament",
    "begin",
    "end_session",
    "get_session",
    "list_sessions",
    "load_scenarios",
    "progress",
    "rate",
    "read_turn",
    "respond",
    "scenario",
    "score",
    "start_session",
    "take_turn",
    "team_progress",
    "validate_paths",
]
