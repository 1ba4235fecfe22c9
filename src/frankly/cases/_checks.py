"""The checker's verdict on an outbound message, kept on the timeline, and a manager's
override of it.

``record_check`` stores what the checker found when a message was approved
(``message_checked``: findings by category and severity), so Insights adds up stored
figures instead of checking every message again. ``override_check`` is the event a
manager leaves when sending despite error-level findings (``check_overridden``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from frankly.cases import validate as v
from frankly.cases._access import NotAllowed
from frankly.cases._cases import _case
from frankly.cases._timeline import record
from frankly.errors import InvalidInput, NotFound
from frankly.store import Database
from frankly.store.models import Agent, Event, Message, utcnow

CHECKED = "message_checked"
OVERRIDDEN = "check_overridden"
# Who may send a message the checker refused.
OVERRIDE_ROLES = ("manager", "admin")
CHUNK = 500


def check_figures(findings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A checker report's findings as the figures kept: counts by category and severity,
    and the rules that fired (each once)."""
    found = list(findings)
    categories = Counter(str(f.get("category") or "other") for f in found)
    severities = Counter(str(f.get("severity") or "warning") for f in found)
    rules = sorted({str(f.get("rule") or f.get("category") or "other") for f in found})
    return {
        "categories": dict(sorted(categories.items())),
        "severities": dict(sorted(severities.items())),
        "rules": rules,
        "total": len(found),
    }


def record_check(
    db: Database,
    message_id: int,
    findings: Iterable[Mapping[str, Any]],
    *,
    score: int | float | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
) -> Event:
    """Keep the checker's findings on ``message_id`` as a ``message_checked`` event.

    Raises ``NotFound`` (no such message) and ``InvalidInput`` (a message from the
    customer: only our own words are checked).
    """
    v.aware(at, "at")
    figures = check_figures(findings)
    with db.transaction() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"No message with id {message_id}")
        if message.direction != "out":
            raise InvalidInput(f"Message {message_id} is from the customer", field="message_id")
        case = _case(session, message.case_id, for_update=True)
        payload: dict[str, Any] = {"message_id": message_id, **figures}
        if score is not None:
            payload["score"] = score
        return record(session, case, CHECKED, author, payload, at=at or utcnow())


def checked_figures(db: Database, message_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored checker figures of each message that has them (the latest if several)."""
    wanted = sorted(set(message_ids))
    out: dict[int, dict[str, Any]] = {}
    with db.reading() as session:
        for start in range(0, len(wanted), CHUNK):
            chunk = set(wanted[start : start + CHUNK])
            case_ids = set(session.scalars(select(Message.case_id).where(Message.id.in_(chunk))))
            # The case's index narrows the search; the payload says which message.
            for payload in session.scalars(
                select(Event.payload)
                .where(Event.case_id.in_(case_ids), Event.kind == CHECKED)
                .order_by(Event.id)
            ):
                message_id = (payload or {}).get("message_id")
                if message_id in chunk:
                    out[int(message_id)] = dict(payload)
    return out


def override_check(
    db: Database,
    message_id: int,
    findings: Iterable[Mapping[str, Any]],
    *,
    agent_id: int,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Record that the agent ``agent_id`` sends ``message_id`` despite error-level findings
    (``check_overridden``, payload ``message_id``, ``findings`` as rule ids, ``reason``).

    Raises ``NotAllowed`` unless the agent is a manager or an admin, ``NotFound``, and
    ``InvalidInput`` when there is nothing to override.
    """
    v.aware(at, "at")
    rules = sorted({str(f.get("rule") or f.get("category") or "other") for f in findings})
    if not rules:
        raise InvalidInput("There is no finding to override", field="override")
    with db.transaction() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"No agent with id {agent_id}")
        if agent.role not in OVERRIDE_ROLES:
            raise NotAllowed(
                f"{agent.name} is {agent.role}: only a manager may override the checker",
                field="override",
            )
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"No message with id {message_id}")
        case = _case(session, message.case_id, for_update=True)
        payload = {
            "message_id": message_id,
            "findings": rules,
            "reason": (reason or "").strip() or None,
            "role": agent.role,
        }
        return record(session, case, OVERRIDDEN, agent.email, payload, at=at or utcnow())
