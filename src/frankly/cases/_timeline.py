"""The paper trail: writing events, and rebuilding a case from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from frankly.store.models import Case, Event, utcnow

# The closed list of event kinds: each change to a case is one of these.
EVENT_KINDS = (
    "case_opened",
    "case_updated",
    "fact_recorded",
    "state_changed",
    "note_added",
    "message_drafted",
    "message_approved",
    "message_queued",
    "message_sent",
    "message_failed",
    "message_received",
    "commitment_made",
    "commitment_kept",
    "commitment_missed",
    "option_offered",
    "option_chosen",
    "chased",
    "correction",
    # cadence and delivery
    "message_deferred",
    "commitment_cancelled",
    "trigger_fired",
    "cadence_failed",  # the cadence could not handle the case (the error is in the payload)
    "milestone_recorded",
    "step_scheduled",
    "follow_up_scheduled",
    "code_issued",
    "code_redeemed",
    "review_due",
    "review_completed",
    # the checker's verdict on a message approved, and a manager's override of it
    "message_checked",
    "check_overridden",
)

# The case fields that only events may change, and that ``rebuild`` recovers.
REBUILT_FIELDS = (
    "kind",
    "title",
    "severity",
    "fault",
    "state",
    "facts",
    "customer_id",
    "owner_id",
)


def record(
    session: Session,
    case: Case,
    kind: str,
    author: str,
    payload: dict[str, Any] | None = None,
    *,
    at: dt.datetime | None = None,
    corrects_id: int | None = None,
) -> Event:
    """Append one event to ``case``'s timeline (inside the caller's transaction)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = Event(
        case_id=case.id,
        kind=kind,
        author=author,
        at=at or utcnow(),
        payload=payload or {},
        corrects_id=corrects_id,
    )
    session.add(event)
    session.flush()
    case.updated_at = max(case.updated_at or event.at, event.at)
    return event


def rebuild(events: Iterable[Event]) -> dict[str, Any]:
    """Replay a timeline and return the case fields it implies.

    A correction replaces the effect of the event it points at, so corrected facts
    come back as corrected.
    """
    state: dict[str, Any] = {}
    ordered = sorted(events, key=lambda e: e.id)
    corrections = {e.corrects_id: e for e in ordered if e.kind == "correction" and e.corrects_id}
    for event in ordered:
        if event.kind == "correction":
            continue
        correction = corrections.get(event.id)
        payload = correction.payload.get("payload", event.payload) if correction else event.payload
        _apply(state, event.kind, payload)
    return state


def _apply(state: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
    if kind == "case_opened":
        for field in REBUILT_FIELDS:
            state[field] = payload.get(field)
        state["facts"] = dict(payload.get("facts") or {})
    elif kind == "fact_recorded":
        facts = state.setdefault("facts", {})
        if payload.get("removed"):
            facts.pop(payload["key"], None)
        else:
            facts[payload["key"]] = payload.get("value")
    elif kind == "state_changed":
        state["state"] = payload["to"]
    elif kind == "case_updated":
        for field, change in payload.get("changes", {}).items():
            state[field] = change[1]
