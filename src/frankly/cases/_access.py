"""Who may do what to a case: the ownership model every write checks.

The rules (docs/security.md says why):

* an **agent** reads every case, and writes to the cases they own and to unassigned ones
  (taking an unassigned case is a write to it);
* a **manager** reads and writes every case;
* an **admin** holds every manager right, and also manages accounts and settings;
* an inactive account may do nothing;
* ``None`` as the actor is Frankly itself (the worker, the cadence, an import): the
  system may do everything, so code paths without a person keep working.

Service functions take ``actor`` (an ``Agent``, an agent id or ``None``) and call
``check(session, actor, case)`` inside their own transaction, so the case they check
is the row they change (no check-then-act gap).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session

from frankly.errors import FranklyError, InvalidInput
from frankly.store.models import Agent, Case

Action = Literal["read", "write"]
ACTIONS: tuple[str, ...] = ("read", "write")
# Each role holds every right of the roles below it.
ROLE_RANK = {"agent": 1, "manager": 2, "admin": 3}

Actor = Agent | int | None


class NotAllowed(FranklyError):
    """The person's role does not allow this (HTTP 403)."""

    http_status = 403
    code = "forbidden"


def _owner_id(case: Case | Any) -> int | None:
    owner = getattr(case, "owner_id", None)
    return owner if isinstance(owner, int) else None


def can(agent: Agent | None, action: str, case: Case | Any) -> bool:
    """Whether ``agent`` (None = the system) may ``action`` ("read" or "write") the case.

    ``case`` is a ``Case`` or anything with an ``owner_id`` (a case about to be opened).
    """
    if action not in ACTIONS:
        raise InvalidInput(f"Unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    if agent is None:
        return True
    if not agent.active:
        return False
    if ROLE_RANK.get(agent.role, 0) >= ROLE_RANK["manager"]:
        return True
    if action == "read":
        return True
    owner = _owner_id(case)
    return owner is None or owner == agent.id


def require(agent: Agent | None, action: str, case: Case | Any) -> None:
    """Raise ``NotAllowed`` (HTTP 403, CLI exit 1) unless ``can(agent, action, case)``."""
    if can(agent, action, case):
        return
    if agent is not None and not agent.active:
        raise NotAllowed(f"{agent.email} is inactive and may not change cases")
    case_id = getattr(case, "id", None)
    which = f"case {case_id}" if case_id else "a case"
    raise NotAllowed(
        f"{agent.name if agent else 'Nobody'} is an agent: they may change their own and "
        f"unassigned cases, not {which} owned by someone else (ask a manager)"
    )


def resolve(session: Session, actor: Actor) -> Agent | None:
    """The ``Agent`` behind ``actor`` (None stays None: the system).

    An unknown agent id raises ``NotAllowed``: a caller that names a person who does not
    exist must not fall back to the system's rights.
    """
    if actor is None:
        return None
    agent_id = actor.id if isinstance(actor, Agent) else actor
    if isinstance(agent_id, bool) or not isinstance(agent_id, int):
        raise InvalidInput(f"actor must be an agent or an agent id, not {actor!r}")
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotAllowed(f"No agent with id {agent_id}: nobody to act as")
    return agent


def check(session: Session, actor: Actor, case: Case | Any, action: str = "write") -> None:
    """``require`` for ``actor`` inside the caller's transaction."""
    require(resolve(session, actor), action, case)
