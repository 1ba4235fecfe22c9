"""The paper trail: writing events, chaining them by hash, and rebuilding a case from them.

Every event stores ``prev_hash`` (the hash of the case's previous event, NULL for the
first one after the chain started) and ``hash`` (``event_hash`` over its own fields and
``prev_hash``). An event about a message that left draft also carries the SHA-256 of the
message's body and its subject and recipient, so a message changed afterwards no longer
matches its trail. ``frankly.cases.verify_trail`` recomputes all of it (docs/trail.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frankly.store.models import Case, Event, Message, utcnow

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
    """Append one event to ``case``'s timeline (inside the caller's transaction).

    The event is chained to the case's previous one, read under the case's row lock (on
    PostgreSQL taken here if the caller has not; SQLite writers are serialised already).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    at = at or utcnow()
    payload = seal_message(session, payload or {})
    _lock_cases(session, [case.id])
    prev = last_hash(session, case.id)
    event = Event(
        case_id=case.id,
        kind=kind,
        author=author,
        at=at,
        payload=payload,
        corrects_id=corrects_id,
        prev_hash=prev,
        hash=event_hash(case.id, kind, author, at, payload, corrects_id, prev),
    )
    session.add(event)
    session.flush()
    case.updated_at = max(case.updated_at or event.at, event.at)
    return event


# --- the hash chain -------------------------------------------------------------------


def event_hash(
    case_id: int,
    kind: str,
    author: str,
    at: dt.datetime,
    payload: dict[str, Any],
    corrects_id: int | None,
    prev_hash: str | None,
) -> str:
    """SHA-256 (hex) of one event's canonical form, in UTF-8:

    ``["frankly-event-v1",case_id,kind,author,at,corrects_id,prev_hash]`` (compact JSON,
    ``at`` in UTC as ``2026-11-23T09:00:00.000000Z``), a newline, then the payload as
    canonical JSON (``canonical_json``). The form is fixed (docs/trail.md): changing it
    breaks every stored chain.
    """
    head = json.dumps(
        ["frankly-event-v1", case_id, kind, author, _stamp(at), corrects_id, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    text = f"{head}\n{canonical_json(payload)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=256)
def _stamp(at: dt.datetime) -> str:
    # Cached: a bulk insert stamps thousands of events with one time.
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and integral floats written as integers, so the
    same payload gives the same text after a trip through SQLite's JSON or PostgreSQL's
    JSONB (which keeps numbers as decimals and may turn ``1e300`` into an integer).
    """
    return json.dumps(
        _normal(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


_PLAIN = (str, int, bool, type(None))


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            (k if type(k) is str else _key(k)): (v if type(v) in _PLAIN else _normal(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else _normal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key(key: Any) -> str:
    # The key json.dumps would write, so a payload hashes the same before and after storing.
    return key if isinstance(key, str) else json.dumps(key)


def body_sha256(body: str | None) -> str:
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def seal_message(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with the body's SHA-256, the subject and the recipient of the message it
    names (``message_id``) once that message has left draft.

    A draft is still being written, so its events carry no seal. The message is usually
    in the session already (no query).
    """
    message_id = payload.get("message_id")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        return payload
    message = session.get(Message, message_id)
    if message is None or message.status == "draft":
        return payload
    return {**payload, **message_seal(message.body, message.subject, message.recipient)}


def message_seal(body: str | None, subject: str | None, recipient: str | None) -> dict[str, Any]:
    """The payload fields that pin a message's text: what ``verify_trail`` compares."""
    return {"body_sha256": body_sha256(body), "subject": subject, "recipient": recipient}


def last_hash(session: Session, case_id: int) -> str | None:
    """The hash of the case's last event (None before the chain or for a new case)."""
    return session.scalar(
        select(Event.hash).where(Event.case_id == case_id).order_by(Event.id.desc()).limit(1)
    )


def chain_rows(
    session: Session, rows: Sequence[dict[str, Any]], *, new_cases: Iterable[int] = ()
) -> None:
    """Fill in ``prev_hash`` and ``hash`` of event rows about to be bulk-inserted, in order.

    One query reads the last hash of every case in ``rows`` (after locking them on
    PostgreSQL); ``new_cases`` were created in this transaction and have no event yet.
    Rows need ``case_id``, ``kind``, ``author``, ``at`` and ``payload``.
    """
    fresh = set(new_cases)
    known = list(dict.fromkeys(r["case_id"] for r in rows if r["case_id"] not in fresh))
    heads: dict[int, str | None] = dict.fromkeys(fresh)
    if known:
        _lock_cases(session, known)
        heads.update(last_hashes(session, known))
    for row in rows:
        case_id = row["case_id"]
        prev = heads.get(case_id)
        row["prev_hash"] = prev
        row["hash"] = heads[case_id] = event_hash(
            case_id,
            row["kind"],
            row["author"],
            row["at"],
            row["payload"],
            row.get("corrects_id"),
            prev,
        )


def last_hashes(session: Session, case_ids: Sequence[int]) -> dict[int, str | None]:
    """The last event's hash of each case (cases without events are left out)."""
    out: dict[int, str | None] = {}
    ids = list(case_ids)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        last = (
            select(func.max(Event.id))
            .where(Event.case_id.in_(part))
            .group_by(Event.case_id)
            .scalar_subquery()
        )
        rows = session.execute(select(Event.case_id, Event.hash).where(Event.id.in_(last)))
        out.update((case_id, hash_) for case_id, hash_ in rows)
    return out


_CHUNK = 5000
_LOCKED = "frankly_trail_locked"


def _lock_cases(session: Session, case_ids: Sequence[int]) -> None:
    """Hold the row lock of each case for the rest of the transaction (PostgreSQL).

    The service layer locks a case before writing to it; this makes sure of it, once per
    case and transaction, so two writers never read the same "previous event". SQLite
    needs nothing: every Frankly transaction there begins IMMEDIATE (one writer at a time).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    held = session.info.get(_LOCKED)
    if held is None or held[0] is not transaction:
        held = session.info[_LOCKED] = (transaction, set[int]())
    todo = sorted(set(case_ids) - held[1])
    for start in range(0, len(todo), _CHUNK):
        part = todo[start : start + _CHUNK]
        # In id order, so two bulk writers lock overlapping cases without deadlocking.
        session.execute(
            select(Case.id).where(Case.id.in_(part)).order_by(Case.id).with_for_update()
        )
    held[1].update(todo)


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
