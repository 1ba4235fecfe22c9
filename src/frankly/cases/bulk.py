"""The service layer's bulk writes, for callers that change thousands of cases in one
transaction (an incident's notices and links), where one ``record`` per event is too slow.

Bulk rows keep the rules of single writes: an event's kind is one of ``EVENT_KINDS``, a
message's event carries ``message_seal`` (what ``record`` adds), a new case's first event
carries its ``REBUILT_FIELDS``, and ``append_events`` chains the events (each one's hash
over the previous one's) just before inserting them, as ``record`` does one at a time.

Each function writes inside the caller's transaction (nothing commits here) with one
multi-row INSERT per table and batch (``BATCH`` rows), so 10,000 notices take seconds:

- ``insert_cases``: new cases and their ``case_opened`` events, ids in the rows' order;
- ``queue_notices``: outbound emails past the sending gate (``check_bulk``), each with its
  RFC Message-ID, outbox job, proposed commitment and ``message_approved``/``queued``
  events;
- ``add_notes``: one ``note_added`` event per case;
- ``close_cases``: cases moved to ``resolved``, each with its ``state_changed`` event;
- ``touch_cases``: ``updated_at`` moved forward (the three above do it for their cases).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from frankly.cases._commitments import proposed_row
from frankly.cases._gate import check_bulk
from frankly.cases._timeline import EVENT_KINDS, REBUILT_FIELDS, chain_rows, message_seal
from frankly.store.cadence_models import OutboxJob
from frankly.store.models import Case, Commitment, Event, Message

__all__ = [
    "BATCH",
    "EVENT_KINDS",
    "REBUILT_FIELDS",
    "Notice",
    "add_notes",
    "append_events",
    "close_cases",
    "event_row",
    "insert_cases",
    "message_seal",
    "queue_notices",
    "touch_cases",
]

# Rows per INSERT: large enough that 10,000 notices take a handful of statements, small
# enough to stay under every driver's limit on bound parameters.
BATCH = 2000


@dataclass(frozen=True)
class Notice:
    """One outbound email for ``queue_notices``: written already, to go to ``recipient``."""

    case_id: int
    recipient: str
    language: str
    subject: str
    body: str


def event_row(
    case_id: int, kind: str, author: str, at: dt.datetime, payload: dict[str, Any]
) -> dict[str, Any]:
    """One event as a row for ``append_events``; the closed list of kinds still holds."""
    assert kind in EVENT_KINDS, kind
    return {"case_id": case_id, "kind": kind, "author": author, "at": at, "payload": payload}


def append_events(
    session: Session, rows: Sequence[dict[str, Any]], *, new_cases: Iterable[int] = ()
) -> None:
    """Chain and insert event rows (inside the caller's transaction), in order.

    ``new_cases`` were created in this transaction and have no event yet, so their chains
    start here without a query for a previous hash.
    """
    chain_rows(session, rows, new_cases=new_cases)
    session.execute(insert(Event), rows)


def insert_cases(
    session: Session,
    rows: Sequence[dict[str, Any]],
    *,
    author: str,
    at: dt.datetime,
    opened: Mapping[str, Any] | None = None,
) -> list[int]:
    """Insert new cases (rows of ``cases`` columns) and one ``case_opened`` event each.

    Returns the new ids in the order of ``rows``. Each event carries the case's
    ``REBUILT_FIELDS`` (so ``rebuild`` recovers it) and ``opened`` (where it came from).
    """
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids += session.scalars(
            insert(Case).returning(Case.id, sort_by_parameter_order=True),
            rows[start : start + BATCH],
        )
    events = [
        event_row(
            case_id,
            "case_opened",
            author,
            at,
            {**{f: row[f] for f in REBUILT_FIELDS}, **(opened or {})},
        )
        for case_id, row in zip(ids, rows, strict=True)
    ]
    for start in range(0, len(events), BATCH):
        part = events[start : start + BATCH]
        # Cases opened just now: each chain starts here, no query for a previous hash.
        append_events(session, part, new_cases=[e["case_id"] for e in part])
    return ids


def queue_notices(
    session: Session,
    notices: Sequence[Notice],
    *,
    stage: str,
    author: str,
    now: dt.datetime,
    tag: str,
    next_update_at: dt.datetime | None = None,
    promise: str | None = None,
    about: Mapping[str, Any] | None = None,
) -> list[int]:
    """Queue approved outbound emails, one per notice; returns the message ids in order.

    Every distinct text passes the sending gate once (``check_bulk``): an error-level
    finding raises ``Blocked`` naming it, and the caller's transaction writes nothing.
    Each message gets its RFC Message-ID (``tag`` names the round, e.g. ``i3u2``), an
    outbox job due ``now``, its events (``about`` added to their payloads) and, with
    ``next_update_at``, a proposed commitment described by ``promise`` that opens when the
    message goes out (as ``approve_message`` does).
    """
    domain = os.environ.get("FRANKLY_MAIL_DOMAIN", "frankly.localhost")
    out: list[int] = []
    for start in range(0, len(notices), BATCH):
        batch = notices[start : start + BATCH]
        rows: list[dict[str, Any]] = [
            {
                "case_id": n.case_id,
                "direction": "out",
                "channel": "email",
                "language": n.language,
                "stage": stage,
                "subject": n.subject[:500],
                "body": n.body,
                "status": "queued",
                "author": author,
                "message_id": f"<frankly.{n.case_id}.{tag}.{os.urandom(6).hex()}@{domain}>",
                "recipient": n.recipient,
                "next_update_at": next_update_at,
                "attempts": 0,
                "created_at": now,
            }
            for n in batch
        ]
        passed = check_bulk((row["language"], row["subject"], row["body"]) for row in rows)
        for row in rows:
            row["checked_sha256"] = passed[row["body"]]
        ids = list(
            session.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
            )
        )
        session.execute(
            insert(OutboxJob),
            [
                {
                    "message_id": mid,
                    "state": "queued",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for mid in ids
            ],
        )
        if next_update_at is not None:
            session.execute(
                insert(Commitment),
                [
                    proposed_row(n.case_id, mid, next_update_at, now, promise or "Next update")
                    for n, mid in zip(batch, ids, strict=True)
                ],
            )
        events = []
        for mid, row in zip(ids, rows, strict=True):
            payload = {
                "message_id": mid,
                "rfc_message_id": row["message_id"],
                "channel": "email",
                "language": row["language"],
                "stage": stage,
                **(about or {}),
                # What record() adds for a message out of draft: the text, pinned.
                **message_seal(row["body"], row["subject"], row["recipient"]),
            }
            if next_update_at is not None:
                payload["next_update_at"] = next_update_at.isoformat()
            events.append(event_row(row["case_id"], "message_approved", author, now, payload))
            events.append(event_row(row["case_id"], "message_queued", author, now, payload))
        append_events(session, events)
        touch_cases(session, [n.case_id for n in batch], now)
        out += ids
    return out


def add_notes(
    session: Session,
    notes: Sequence[tuple[int, dict[str, Any]]],
    *,
    author: str,
    at: dt.datetime,
) -> None:
    """One ``note_added`` event per ``(case_id, payload)``; the payload holds its ``text``."""
    events = [event_row(case_id, "note_added", author, at, payload) for case_id, payload in notes]
    for start in range(0, len(events), BATCH):
        append_events(session, events[start : start + BATCH])
    touch_cases(session, [case_id for case_id, _ in notes], at)


def close_cases(
    session: Session,
    cases: Sequence[tuple[int, str]],
    *,
    author: str,
    at: dt.datetime,
    reason: str,
    about: Mapping[str, Any] | None = None,
) -> None:
    """Resolve cases given as ``(case_id, state now)``, each with a ``state_changed`` event
    saying ``reason`` (``about`` added to its payload). The caller chose them: the
    transitions are not checked here."""
    if not cases:
        return
    ids = [case_id for case_id, _ in cases]
    for start in range(0, len(ids), BATCH):
        session.execute(
            update(Case)
            .where(Case.id.in_(ids[start : start + BATCH]))
            .values(state="resolved", resolved_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )
    events = [
        event_row(
            case_id,
            "state_changed",
            author,
            at,
            {"from": state, "to": "resolved", "reason": reason, **(about or {})},
        )
        for case_id, state in cases
    ]
    for start in range(0, len(events), BATCH):
        append_events(session, events[start : start + BATCH])


def touch_cases(session: Session, case_ids: Sequence[int], now: dt.datetime) -> None:
    """Move the cases' ``updated_at`` to ``now`` (what ``record`` does for one event)."""
    unique = list(dict.fromkeys(case_ids))
    for start in range(0, len(unique), BATCH):
        session.execute(
            update(Case)
            .where(Case.id.in_(unique[start : start + BATCH]), Case.updated_at < now)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
