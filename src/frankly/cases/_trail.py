"""Verifying the paper trail: recompute every hash chain and every message seal.

The chain of a case is its events in id order from where the chain started
(``trail_start``). Each chained event must carry ``prev_hash`` equal to the stored hash
of the case's previous event (NULL for the first, or when that one is from before the
chain) and a ``hash`` equal to ``event_hash`` over its own fields. A message named by a
sealed event (one carrying ``body_sha256``) must still have that body, subject and
recipient, and every outbound or inbound message that left draft after the chain started
must be named by one. docs/trail.md says what this catches and what it cannot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from frankly.cases._timeline import body_sha256, event_hash
from frankly.errors import NotFound
from frankly.store import Database
from frankly.store.models import Case, Event, Message, TrailStart

_BATCH = 5000


@dataclass
class TrailProblem:
    """One thing that no longer matches the trail as it was written."""

    case_id: int
    event_id: int | None
    kind: str  # the event's kind, or "message"
    what: str
    message_id: int | None = None

    def describe(self) -> str:
        where = f"case {self.case_id}"
        if self.event_id is not None:
            where += f", event {self.event_id} ({self.kind})"
        if self.message_id is not None:
            where += f", message {self.message_id}"
        return f"{where}: {self.what}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "event_id": self.event_id,
            "kind": self.kind,
            "message_id": self.message_id,
            "what": self.what,
        }


@dataclass
class TrailReport:
    """What ``verify_trail`` found: counts, where the chain starts, and the problems."""

    case_id: int | None
    started_at: dt.datetime | None
    last_event_before: int
    last_message_before: int
    cases: int = 0
    events: int = 0
    chained: int = 0
    before_chain: int = 0
    messages: int = 0
    problems: list[TrailProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        scope = f"case {self.case_id}" if self.case_id is not None else f"{self.cases} cases"
        head = "intact" if self.intact else f"NOT intact: {len(self.problems)} problem(s)"
        line = (
            f"{head}: {scope}, {self.chained} chained events, "
            f"{self.messages} sealed messages checked"
        )
        if self.before_chain:
            line += f"; {self.before_chain} events before the chain"
            if self.started_at is not None:
                line += f" (it started {self.started_at:%Y-%m-%d %H:%M} UTC)"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "case_id": self.case_id,
            "cases": self.cases,
            "events": self.events,
            "chained": self.chained,
            "before_chain": self.before_chain,
            "messages": self.messages,
            "chain_started_at": self.started_at.isoformat() if self.started_at else None,
            "chain_starts_after_event": self.last_event_before,
            "chain_starts_after_message": self.last_message_before,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class _Seal:
    event_id: int
    case_id: int
    kind: str
    body_sha256: str
    subject: Any
    recipient: Any


def verify_trail(db: Database, case_id: int | None = None) -> TrailReport:
    """Recompute the hash chain of one case (``case_id``) or of all, and every message seal.

    Reads only; returns a ``TrailReport`` (``intact`` is True when nothing differs, else
    ``problems`` lists each event or message that no longer matches, in case and event
    order). Raises ``NotFound`` for an unknown ``case_id``.
    """
    with db.reading() as session:
        start = session.get(TrailStart, 1)
        report = TrailReport(
            case_id=case_id,
            started_at=start.started_at if start else None,
            last_event_before=start.last_event_before if start else 0,
            last_message_before=start.last_message_before if start else 0,
        )
        if case_id is not None and session.get(Case, case_id) is None:
            raise NotFound(f"No case with id {case_id}")
        seals = _check_events(session, report, case_id)
        _check_messages(session, report, case_id, seals)
    report.problems.sort(key=lambda p: (p.case_id, p.event_id or 0, p.message_id or 0))
    return report


def _check_events(
    session: Session, report: TrailReport, case_id: int | None
) -> dict[int, list[_Seal]]:
    stmt = select(
        Event.id,
        Event.case_id,
        Event.kind,
        Event.author,
        Event.at,
        Event.payload,
        Event.corrects_id,
        Event.prev_hash,
        Event.hash,
    ).order_by(Event.case_id, Event.id)
    if case_id is not None:
        stmt = stmt.where(Event.case_id == case_id)
    seals: dict[int, list[_Seal]] = {}
    current: int | None = None
    previous: tuple[int, str | None] | None = None  # the case's previous event: id, hash
    problems = report.problems
    before = report.last_event_before
    for row in session.execute(stmt.execution_options(yield_per=_BATCH)):
        eid, cid, kind, author, at, payload, corrects_id, prev_hash, stored = row
        if cid != current:
            current, previous = cid, None
            report.cases += 1
        report.events += 1
        expected_prev = previous[1] if previous else None
        if eid <= before:
            report.before_chain += 1
            previous = (eid, None)
            continue
        report.chained += 1
        payload = payload or {}
        if stored is None:
            problems.append(
                TrailProblem(cid, eid, kind, "has no hash although written after the chain began")
            )
        elif prev_hash != expected_prev:
            if previous is None:
                what = "is chained to an earlier event that is gone: an event before it was deleted"
            else:
                what = (
                    f"does not follow event {previous[0]}: an event between them was "
                    f"deleted, or event {previous[0]} was rewritten"
                )
            problems.append(TrailProblem(cid, eid, kind, what))
        elif event_hash(cid, kind, author, at, payload, corrects_id, prev_hash) != stored:
            problems.append(
                TrailProblem(
                    cid,
                    eid,
                    kind,
                    "its content (kind, author, time or payload) changed after it was written",
                )
            )
        previous = (eid, stored)
        sha = payload.get("body_sha256")
        mid = payload.get("message_id")
        if isinstance(sha, str) and isinstance(mid, int):
            seals.setdefault(mid, []).append(
                _Seal(eid, cid, kind, sha, payload.get("subject"), payload.get("recipient"))
            )
    return seals


def _check_messages(
    session: Session, report: TrailReport, case_id: int | None, seals: dict[int, list[_Seal]]
) -> None:
    stmt = select(
        Message.id,
        Message.case_id,
        Message.status,
        Message.subject,
        Message.body,
        Message.recipient,
    ).order_by(Message.id)
    if case_id is not None:
        # The case's messages, and those its events seal (one moved away is read too).
        stmt = stmt.where(or_(Message.case_id == case_id, Message.id.in_(list(seals))))
    seen: set[int] = set()
    for mid, cid, status, subject, body, recipient in session.execute(
        stmt.execution_options(yield_per=_BATCH)
    ):
        seen.add(mid)
        found = seals.get(mid)
        if not found:
            if status != "draft" and mid > report.last_message_before:
                report.problems.append(
                    TrailProblem(
                        cid,
                        None,
                        "message",
                        f"is {status} but no event seals its text "
                        "(written outside Frankly, or its events were removed)",
                        message_id=mid,
                    )
                )
            continue
        report.messages += 1
        digest = body_sha256(body)
        for seal in found:
            differs = []
            if seal.body_sha256 != digest:
                differs.append("body")
            if seal.subject != subject:
                differs.append("subject")
            if seal.recipient != recipient:
                differs.append("recipient")
            if seal.case_id != cid:
                differs.append(f"case (now case {cid})")
            if differs:
                report.problems.append(
                    TrailProblem(
                        seal.case_id,
                        seal.event_id,
                        seal.kind,
                        f"the message's {' and '.join(differs)} changed after it was sealed",
                        message_id=mid,
                    )
                )
                break  # one line per message: its first sealing event
    for mid, found in seals.items():
        if mid not in seen:
            seal = found[0]
            report.problems.append(
                TrailProblem(
                    seal.case_id,
                    seal.event_id,
                    seal.kind,
                    "the message it seals was deleted",
                    message_id=mid,
                )
            )
