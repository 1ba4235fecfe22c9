"""The service layer's bulk writes, for callers that change thousands of cases in one
transaction (an incident's notices and links), where one ``record`` per event is too slow.

Bulk rows keep the rules of single writes: an event's kind is one of ``EVENT_KINDS``, a
message's event carries ``message_seal`` (what ``record`` adds), a new case's first event
carries its ``REBUILT_FIELDS``, and ``append_events`` chains the events (each one's hash
over the previous one's) just before inserting them, as ``record`` does one at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from frankly.cases._timeline import EVENT_KINDS, REBUILT_FIELDS, chain_rows, message_seal
from frankly.store.models import Event

__all__ = ["EVENT_KINDS", "REBUILT_FIELDS", "append_events", "event_row", "message_seal"]


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
