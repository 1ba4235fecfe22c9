"""The day's list: what each agent owes customers now, most urgent first, and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_datetime, format_timedelta
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from frankly.cadence._settings import CadenceSettings, settings_for
from frankly.cadence._texts import fill, texts
from frankly.store import Database, utcnow
from frankly.store._cadence_models import Review
from frankly.store.models import Agent, Case, Commitment, Customer, Event, Message

# The reasons a case is on the list, most urgent first.
KINDS = (
    "tell_now",  # a fact broke a promise since we last wrote
    "missed",  # a promised update is overdue
    "late_to_tell",  # no first notice and the playbook's window has passed
    "failed",  # a message could not be delivered
    "first_notice",  # no first notice yet, still within the window
    "due",  # a promised update falls due soon
    "unanswered",  # the customer wrote and has no reply
    "draft",  # a draft waits for approval
    "follow_up",  # resolved long enough ago to follow up
    "review",  # a lessons-learned review is due
)
# Incident rows (from ``frankly.incidents.due_rows``) take their place among these.
INCIDENT_KINDS = {
    "incident_update": "tell_now",
    "incident_follow_up": "follow_up",
    "incident_review": "review",
}
# The groups the web page shows.
GROUPS = {
    "tell_now": "to_tell",
    "late_to_tell": "to_tell",
    "first_notice": "to_tell",
    "draft": "to_tell",
    "missed": "overdue",
    "failed": "overdue",
    "due": "overdue",
    "unanswered": "unanswered",
    "follow_up": "follow_ups",
    "review": "reviews",
    "incident_update": "overdue",
    "incident_follow_up": "follow_ups",
    "incident_review": "reviews",
}
OPEN = ("open", "notified", "resolving")
# Message statuses that put a case on the list whatever its state (a failure, a draft).
WAITING = ("failed", "draft", "approved")
# Ids per IN (...) list: well under the 65,535 parameters PostgreSQL takes in one query.
CHUNK = 5_000
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass
class Row:
    """One line of the day's list: the case, why it is here, and what to do."""

    kind: str
    case_id: int | None
    title: str
    customer: str
    severity: str
    owner_id: int | None
    owner: str | None
    action: str
    why: str
    due_at: dt.datetime | None = None
    since: dt.datetime | None = None
    message_id: int | None = None
    commitment_id: int | None = None
    review_id: int | None = None
    # Less urgent reasons for the same case, folded into this row.
    also: list[Row] = field(default_factory=list)
    incident_id: int | None = None
    overdue: bool = False

    @property
    def urgency(self) -> int:
        return KINDS.index(INCIDENT_KINDS.get(self.kind, self.kind))

    @property
    def alarm(self) -> bool:
        """Rows that mean a promise is broken or about to be."""
        return self.overdue or self.kind in ("tell_now", "missed", "late_to_tell", "failed")

    @property
    def link(self) -> str:
        if self.incident_id is not None:
            return f"/incidents/{self.incident_id}"
        return f"/cases/{self.case_id}"

    @property
    def text(self) -> str:
        return f"{self.action} — {self.why}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "group": GROUPS.get(self.kind, "to_tell"),
            "case_id": self.case_id,
            "incident_id": self.incident_id,
            "title": self.title,
            "customer": self.customer,
            "severity": self.severity,
            "owner_id": self.owner_id,
            "owner": self.owner,
            "action": self.action,
            "why": self.why,
            "text": self.text,
            "alarm": self.alarm,
            "overdue": self.alarm,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "since": self.since.isoformat() if self.since else None,
            "message_id": self.message_id,
            "commitment_id": self.commitment_id,
            "review_id": self.review_id,
            "link": self.link,
            "also": [
                {"kind": r.kind, "action": r.action, "why": r.why, "message_id": r.message_id}
                for r in self.also
            ],
        }


def today(
    db: Database,
    agent_id: int | None = None,
    now: dt.datetime | None = None,
    *,
    lang: str | None = None,
) -> list[Row]:
    """The day's list, most urgent first: for one agent (their cases, unowned cases and
    the reviews due to them) or, without ``agent_id``, for everyone.

    Each row says what to do and why now, in ``lang`` (default: the agent's language).
    Reads only; works whether or not a worker has run the cadence recently.
    """
    now = now or utcnow()
    with db.reading() as session:
        agent = session.get(Agent, agent_id) if agent_id is not None else None
        language = lang or (agent.language if agent else "en")
        zone = agent.timezone if agent else "UTC"
        builder = _Builder(session, now, language, zone, agent_id)
        builder.collect()
    builder.rows.extend(_incident_rows(db, now))
    return builder.sorted()


def _incident_rows(db: Database, now: dt.datetime) -> list[Row]:
    """Incidents' rows (an overdue public update, a review, a follow-up), when installed."""
    try:
        from frankly.incidents import due_rows
    except ImportError:
        return []
    rows = []
    for item in due_rows(db, now):
        if item.get("kind") not in INCIDENT_KINDS:
            continue
        rows.append(
            Row(
                kind=str(item["kind"]),
                case_id=None,
                title=str(item.get("title", "")),
                customer=str(item.get("customer", "")),
                severity=str(item.get("severity", "high")),
                owner_id=None,
                owner=None,
                action=str(item.get("action", "")),
                why=str(item.get("why", "")),
                due_at=item.get("due_at"),
                incident_id=item.get("incident_id"),
                overdue=bool(item.get("overdue")),
            )
        )
    return rows


class _Builder:
    def __init__(
        self, session: Session, now: dt.datetime, lang: str, zone: str, agent_id: int | None
    ) -> None:
        self.session = session
        self.now = now
        self.lang = lang
        self.zone = zone
        self.agent_id = agent_id
        self.words = texts(lang)
        self.rows: list[Row] = []
        self._settings: dict[str, CadenceSettings] = {}
        self.agents = {a.id: a for a in session.scalars(select(Agent))}

    # ------------------------------------------------------------------ gathering

    def collect(self) -> None:
        s = self.session
        by_id = {case.id: (case, customer) for case, customer in self._candidates()}
        ids = list(by_id)
        last_sent: dict[int, dt.datetime | None] = {}
        pending: set[int] = set()
        for chunk in _chunks(ids):
            last_sent.update(
                s.execute(
                    select(Message.case_id, func.max(Message.sent_at))
                    .where(
                        Message.case_id.in_(chunk),
                        Message.direction == "out",
                        Message.status == "sent",
                    )
                    .group_by(Message.case_id)
                ).all()
            )
            pending.update(
                case_id
                for (case_id,) in s.execute(
                    select(Message.case_id).where(
                        Message.case_id.in_(chunk),
                        Message.direction == "out",
                        Message.status.in_(("queued", "approved")),
                    )
                )
            )
        must_tell = self._triggers(by_id, ids, last_sent)
        for case_id, (case, customer) in by_id.items():
            if case.state in OPEN and case_id not in must_tell:
                self._first_notice(case, customer, case_id in pending)
        self._commitments(by_id, ids, last_sent)
        self._messages(by_id, ids, last_sent, pending)
        self._follow_ups(by_id, ids)
        self._reviews()

    def _candidates(self) -> list[tuple[Case, Customer]]:
        """The cases that can put a row on the list, with their customers.

        Open cases; resolved cases with no message since they were resolved (a follow-up
        may be due); and resolved or followed-up cases with a failed message or a draft.
        The register's closed history (most of its cases) is never read. Three simple
        queries (each served by an index on owner and state) rather than one with ORs.
        """
        s = self.session
        later = aliased(Message)
        mine = (
            (Case.owner_id == self.agent_id) | Case.owner_id.is_(None)
            if self.agent_id is not None
            else None
        )

        def ids(*where: Any) -> set[int]:
            stmt = select(Case.id).where(*where)
            if mine is not None:
                stmt = stmt.where(mine)
            return set(s.scalars(stmt))

        found = ids(Case.state.in_(OPEN))
        found |= ids(
            Case.state == "resolved",
            ~exists().where(
                later.case_id == Case.id,
                later.direction == "out",
                later.created_at >= Case.resolved_at,
            ),
        )
        found |= ids(
            Case.state.in_(("resolved", "followed_up")),
            Case.id.in_(select(Message.case_id).where(Message.status.in_(WAITING))),
        )
        ordered = sorted(found)
        return [
            (case, customer)
            for chunk in _chunks(ordered)
            for case, customer in s.execute(
                select(Case, Customer)
                .join(Customer, Customer.id == Case.customer_id)
                .where(Case.id.in_(chunk))
                .order_by(Case.id)
            ).tuples()
        ]

    def _triggers(
        self,
        by_id: dict[int, tuple[Case, Customer]],
        ids: list[int],
        last_sent: dict[int, dt.datetime | None],
    ) -> set[int]:
        open_ids = [i for i in ids if by_id[i][0].state in OPEN]
        events = [
            event
            for chunk in _chunks(open_ids)
            for event in self.session.scalars(
                select(Event)
                .where(Event.case_id.in_(chunk), Event.kind == "trigger_fired")
                .order_by(Event.id)
            )
        ]
        events.sort(key=lambda e: e.id)
        latest: dict[int, Event] = {}
        broke: dict[int, dt.datetime] = {}
        for event in events:
            case, _ = by_id[event.case_id]
            sent = last_sent.get(event.case_id)
            moment = _moment(event.payload.get("since")) or event.at
            if case.state in OPEN and (sent is None or sent < moment):
                latest[event.case_id] = event
                broke[event.case_id] = moment
        for case_id, event in latest.items():
            case, customer = by_id[case_id]
            self._add(
                "tell_now",
                case,
                customer,
                since=broke[case_id],
                trigger=self._trigger(event),
            )
        return set(latest)

    def _first_notice(self, case: Case, customer: Customer, pending: bool) -> None:
        if case.notified_at is not None or pending:
            return
        window = self._settings_for(case.kind).first_notice_within
        since = self.now - case.known_at
        kind = "late_to_tell" if since > window else "first_notice"
        self._add(
            kind,
            case,
            customer,
            since=case.known_at,
            due_at=case.known_at + window,
            window=self._span(window),
        )

    def _commitments(
        self,
        by_id: dict[int, tuple[Case, Customer]],
        ids: list[int],
        last_sent: dict[int, dt.datetime | None],
    ) -> None:
        s = self.session
        open_ids = [i for i in ids if by_id[i][0].state in OPEN]
        horizon = self.now + max(
            (self._settings_for(c.kind).due_soon for c, _ in by_id.values()),
            default=dt.timedelta(hours=4),
        )
        found = sorted(
            (
                commitment
                for chunk in _chunks(open_ids)
                for commitment in s.scalars(
                    select(Commitment).where(
                        Commitment.case_id.in_(chunk),
                        Commitment.status.in_(("open", "missed")),
                        Commitment.due_at <= horizon,
                    )
                )
            ),
            key=lambda c: (c.due_at, c.id),
        )
        seen: set[int] = set()
        for commitment in found:
            case, customer = by_id[commitment.case_id]
            if case.state not in OPEN or case.id in seen:
                continue
            if commitment.due_at < self.now:
                # Still owed only if nothing went out since it fell due.
                sent = last_sent.get(case.id)
                if sent is not None and sent >= commitment.due_at:
                    continue
                seen.add(case.id)
                self._add(
                    "missed",
                    case,
                    customer,
                    due_at=commitment.due_at,
                    commitment_id=commitment.id,
                    ago=self._span(self.now - commitment.due_at),
                )
            elif commitment.status == "open":
                if commitment.due_at - self.now > self._settings_for(case.kind).due_soon:
                    continue
                seen.add(case.id)
                self._add(
                    "due",
                    case,
                    customer,
                    due_at=commitment.due_at,
                    commitment_id=commitment.id,
                    left=self._span(commitment.due_at - self.now),
                )

    def _messages(
        self,
        by_id: dict[int, tuple[Case, Customer]],
        ids: list[int],
        last_sent: dict[int, dt.datetime | None],
        pending: set[int],
    ) -> None:
        s = self.session
        # Replies matter on open cases only; failures and drafts on any case listed.
        open_ids = [i for i in ids if by_id[i][0].state in OPEN]
        found = sorted(
            (
                message
                for chunk in _chunks(ids)
                for message in s.scalars(
                    select(Message).where(
                        Message.case_id.in_(chunk),
                        Message.status.in_(WAITING),
                    )
                )
            ),
            key=lambda m: m.id,
        )
        found += [
            message
            for chunk in _chunks(open_ids)
            for message in s.scalars(
                select(Message).where(Message.case_id.in_(chunk), Message.status == "received")
            )
        ]
        found.sort(key=lambda m: m.id)
        unanswered: dict[int, Message] = {}
        for message in found:
            case, customer = by_id[message.case_id]
            if message.status == "failed":
                self._add(
                    "failed",
                    case,
                    customer,
                    since=message.created_at,
                    message_id=message.id,
                    attempts=message.attempts,
                    error=(message.error or "").splitlines()[0][:200] if message.error else "",
                )
            elif message.direction == "out":
                self._add(
                    "draft",
                    case,
                    customer,
                    since=message.created_at,
                    message_id=message.id,
                    stage=self._stage(message.stage),
                    ago=self._span(self.now - message.created_at),
                )
            else:
                sent = last_sent.get(message.case_id)
                received = message.received_at or message.created_at
                if case.state in OPEN and (sent is None or sent < received):
                    unanswered.setdefault(message.case_id, message)
        for case_id, message in unanswered.items():
            if case_id in pending:
                continue
            case, customer = by_id[case_id]
            received = message.received_at or message.created_at
            self._add(
                "unanswered",
                case,
                customer,
                since=received,
                message_id=message.id,
                ago=self._span(self.now - received),
            )

    def _follow_ups(self, by_id: dict[int, tuple[Case, Customer]], ids: list[int]) -> None:
        s = self.session
        resolved = [i for i in ids if by_id[i][0].state == "resolved"]
        followed = {
            case_id
            for chunk in _chunks(resolved)
            for (case_id,) in s.execute(
                select(Message.case_id).where(
                    Message.case_id.in_(chunk),
                    Message.direction == "out",
                    Message.created_at
                    >= select(Case.resolved_at).where(Case.id == Message.case_id).scalar_subquery(),
                )
            )
        }
        for case, customer in by_id.values():
            if case.state != "resolved" or case.resolved_at is None or case.id in followed:
                continue
            days = self._settings_for(case.kind).follow_up_after_days
            due = case.resolved_at + dt.timedelta(days=days)
            if due > self.now:
                continue
            self._add(
                "follow_up",
                case,
                customer,
                since=case.resolved_at,
                due_at=due,
                days=days,
                ago=self._span(self.now - case.resolved_at),
            )

    def _reviews(self) -> None:
        stmt = (
            select(Review, Case, Customer)
            .join(Case, Case.id == Review.case_id)
            .join(Customer, Customer.id == Case.customer_id)
            .where(Review.status == "due")
        )
        if self.agent_id is not None:
            stmt = stmt.where(Review.reviewer_id == self.agent_id)
        for review, case, customer in self.session.execute(stmt):
            resolved = case.resolved_at or review.created_at
            self._add(
                "review",
                case,
                customer,
                since=resolved,
                due_at=review.due_at,
                review_id=review.id,
                ago=self._span(self.now - resolved),
            )

    # ------------------------------------------------------------------ helpers

    def _add(
        self,
        kind: str,
        case: Case,
        customer: Customer,
        *,
        since: dt.datetime | None = None,
        due_at: dt.datetime | None = None,
        message_id: int | None = None,
        commitment_id: int | None = None,
        review_id: int | None = None,
        **values: Any,
    ) -> None:
        who = customer.company or customer.name
        title = case.title
        filled = {
            "customer": who,
            "title": title,
            "since": self._span(self.now - since) if since else "",
            "due": self._when(due_at) if due_at else "",
            **values,
        }
        words = self.words["today"][kind]
        owner = self.agents.get(case.owner_id) if case.owner_id else None
        self.rows.append(
            Row(
                kind=kind,
                case_id=case.id,
                title=case.title,
                customer=who,
                severity=case.severity,
                owner_id=case.owner_id,
                owner=owner.name if owner else None,
                action=fill(words["action"], **filled),
                why=fill(words["why"], **filled),
                due_at=due_at,
                since=since,
                message_id=message_id,
                commitment_id=commitment_id,
                review_id=review_id,
            )
        )

    def sorted(self) -> list[Row]:
        far = dt.datetime.max.replace(tzinfo=dt.UTC)

        def key(row: Row) -> tuple[int, int, int, dt.datetime, int]:
            moment = row.since if row.kind in ("first_notice", "late_to_tell") else row.due_at
            # Within a kind, an overdue public update comes before any one case.
            return (
                row.urgency,
                0 if row.incident_id and row.overdue else 1,
                _SEVERITY.get(row.severity, 9),
                moment or row.since or far,
                row.case_id or 0,
            )

        # One row per case: its most urgent reason, with the others folded in, so the list
        # reads as the cases to act on.
        listed: list[Row] = []
        by_case: dict[int, Row] = {}
        for row in sorted(self.rows, key=key):
            if row.case_id is None:  # an incident's row stands alone
                listed.append(row)
                continue
            first = by_case.get(row.case_id)
            if first is None:
                by_case[row.case_id] = row
                listed.append(row)
                continue
            first.also.append(row)
            if first.message_id is None and row.kind == "draft":
                first.message_id = row.message_id
        return listed

    def _settings_for(self, kind: str) -> CadenceSettings:
        if kind not in self._settings:
            self._settings[kind] = settings_for(kind)
        return self._settings[kind]

    def _span(self, delta: dt.timedelta) -> str:
        seconds = abs(delta.total_seconds())
        if seconds < 60:
            delta = dt.timedelta(minutes=1)
        delta = abs(delta)
        # Babel's words depend only on the unit it picks and the rounded count (the same
        # walk down the units as format_timedelta), so each is formatted once per language.
        whole = delta.days * 86400 + delta.seconds
        key: tuple[str, str, int] = (self.lang, "second", whole)
        for unit, size in _UNITS:
            value = whole / size
            if value >= 1.0:
                key = (self.lang, unit, round(value))
                break
        text = _SPANS.get(key)
        if text is None:
            text = str(format_timedelta(delta, locale=self.lang, format="short", threshold=1.0))
            _SPANS[key] = text
        return text

    def _when(self, moment: dt.datetime) -> str:
        return str(format_datetime(moment, "EEE d MMM HH:mm", tzinfo=self.zone, locale=self.lang))

    def _trigger(self, event: Event) -> str:
        from frankly.cadence._run import trigger_text

        trigger, values = event.payload.get("trigger"), event.payload.get("values")
        if trigger in self.words["triggers"] and isinstance(values, dict):
            return trigger_text(trigger, values, self.lang, self.now)
        return str(event.payload.get("reason") or event.payload.get("key"))

    def _stage(self, stage: str | None) -> str:
        names = self.words.get("stages", {})
        return str(names.get(stage or "", (stage or "message").replace("_", " ")))


# format_timedelta's units, largest first, and the words already made from them.
_UNITS = (
    ("year", 3600 * 24 * 365),
    ("month", 3600 * 24 * 30),
    ("week", 3600 * 24 * 7),
    ("day", 3600 * 24),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)
_SPANS: dict[tuple[str, str, int], str] = {}


def _chunks(ids: list[int]) -> list[list[int]]:
    """``ids`` in lists short enough for one IN (...) each (none for no ids)."""
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
