"""The day's list: what each agent owes customers now, most urgent first, and why."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from babel.dates import format_datetime, format_timedelta, get_timezone
from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from frankly.cadence._run import trigger_text
from frankly.playbooks.cadence_settings import DUE_SOON, CadenceSettings, settings_for
from frankly.playbooks.cadence_texts import fill, texts
from frankly.store import Database, utcnow
from frankly.store.cadence_models import Review, ScheduledStep
from frankly.store.models import (
    LIVE_CASE_STATES,
    OPEN_CASE_STATES,
    OWED_COMMITMENT_STATUSES,
    Agent,
    Case,
    Commitment,
    Customer,
    Event,
    Message,
    UTCDateTime,
    update_sent_since,
)

# The reasons a case is on the list, most urgent first.
ROW_KINDS = (
    "tell_now",  # a fact broke a promise since we last wrote
    "missed",  # a promised update is overdue
    "late_to_tell",  # no first notice and the playbook's window has passed
    "failed",  # a message could not be delivered
    "cadence_failed",  # the cadence could not handle the case (managers' team view)
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
    "cadence_failed": "overdue",
    "due": "overdue",
    "unanswered": "unanswered",
    "follow_up": "follow_ups",
    "review": "reviews",
    "incident_update": "overdue",
    "incident_follow_up": "follow_ups",
    "incident_review": "reviews",
}
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
        return ROW_KINDS.index(INCIDENT_KINDS.get(self.kind, self.kind))

    @property
    def alarm(self) -> bool:
        """Rows that mean a promise is broken or about to be."""
        return self.overdue or self.kind in (
            "tell_now",
            "missed",
            "late_to_tell",
            "failed",
            "cadence_failed",
        )

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


# Rows per page of the web list: the team view of a large business runs to thousands.
PER_PAGE = 50


@dataclass
class TodayPage:
    """One page of the day's list, with the whole list's counts per group."""

    rows: list[Row]
    counts: dict[str, int]
    total: int
    page: int
    pages: int
    per_page: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [row.to_dict() for row in self.rows],
            "counts": dict(self.counts),
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
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
    Reads only. Follow-ups are the pending steps the cadence worker scheduled (``run_due``);
    everything else is read from the cases' messages, commitments and events as they are.
    """
    now = now or utcnow()
    incidents = _incident_rows(db, now, lang or "en")
    with db.reading() as session:
        listing = _Listing.collect(session, agent_id, now, lang, incidents)
        return listing.word(session, listing.reasons)


def today_page(
    db: Database,
    agent_id: int | None = None,
    now: dt.datetime | None = None,
    *,
    lang: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> TodayPage:
    """Page ``page`` (from 1) of ``today(db, agent_id, now, lang=lang)``, ``per_page`` rows
    long, with the number of rows in each group (to tell, overdue, ...) of the whole list.

    Only the page's rows are worded. A page past the end gives the last page. Raises
    ``ValueError`` when ``per_page`` is not positive.
    """
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    now = now or utcnow()
    incidents = _incident_rows(db, now, lang or "en")
    with db.reading() as session:
        listing = _Listing.collect(session, agent_id, now, lang, incidents)
        reasons = listing.reasons
        counts = dict.fromkeys(GROUPS.values(), 0)
        for reason in reasons:
            group = GROUPS.get(reason.kind, "to_tell")
            counts[group] = counts.get(group, 0) + 1
        pages = max(1, -(-len(reasons) // per_page))
        page = min(max(1, page), pages)
        shown = reasons[(page - 1) * per_page : page * per_page]
        return TodayPage(
            rows=listing.word(session, shown),
            counts=counts,
            total=len(reasons),
            page=page,
            pages=pages,
            per_page=per_page,
        )


def _incident_rows(db: Database, now: dt.datetime, lang: str) -> list[Row]:
    """Incidents' rows (an overdue public update, a review, a follow-up), in ``lang``."""
    # Imported here: frankly.incidents imports the cadence for its own commitments.
    from frankly.incidents import due_rows

    rows = []
    for item in due_rows(db, now, lang=lang):
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


@dataclass(slots=True)
class _Reason:
    """Why a case is on the list, before it is put into words (only shown rows are)."""

    kind: str
    case_id: int | None
    severity: str
    owner_id: int | None
    since: dt.datetime | None = None
    due_at: dt.datetime | None = None
    message_id: int | None = None
    commitment_id: int | None = None
    review_id: int | None = None
    # The values the row's words need, raw: spans are timedeltas, a trigger its payload.
    values: dict[str, Any] = field(default_factory=dict)
    also: list[_Reason] = field(default_factory=list)
    incident_id: int | None = None
    overdue: bool = False
    row: Row | None = None  # an incident's row comes worded


class _Case(NamedTuple):
    id: int
    kind: str
    severity: str
    owner_id: int | None


class _Open(NamedTuple):
    """An open case and what its messages say: when we last wrote, whether a message waits
    to go, and the customer's first message with no reply since (id, when it came)."""

    case: _Case
    known_at: dt.datetime
    notified_at: dt.datetime | None
    last_sent: dt.datetime | None
    pending: bool
    unanswered: tuple[int, dt.datetime] | None


class _Queries(NamedTuple):
    open_cases: Any
    came: Any
    triggers: Any
    commitments: Any
    waiting: Any
    follow_ups: Any
    reviews: Any
    names: Any


@functools.cache
def _queries(everyone: bool) -> _Queries:
    """The list's statements, built once (for one agent's list or for everyone's): each
    call binds ``agent``, ``now`` and, where used, ``horizon`` or ``ids``."""
    mine = [] if everyone else [or_(Case.owner_id == bindparam("agent"), Case.owner_id.is_(None))]
    now = bindparam("now", type_=UTCDateTime)
    out, reply = aliased(Message), aliased(Message)
    # Per open case: when we last sent, whether a message waits to go, and the customer's
    # first message with nothing sent since (index probes on messages by case).
    last_sent = (
        select(func.max(out.sent_at))
        .where(out.case_id == Case.id, out.direction == "out", out.status == "sent")
        .scalar_subquery()
    )
    pending = exists().where(
        out.case_id == Case.id,
        out.direction == "out",
        out.status.in_(("queued", "approved")),
    )
    answered = (
        select(out.id)
        .where(
            out.case_id == reply.case_id,
            out.direction == "out",
            out.status == "sent",
            out.sent_at >= func.coalesce(reply.received_at, reply.created_at),
        )
        .correlate_except(out)
        .exists()
    )
    unanswered = (
        select(func.min(reply.id))
        .where(
            reply.case_id == Case.id,
            reply.direction == "in",
            reply.status == "received",
            ~answered,
        )
        .scalar_subquery()
    )
    open_cases = (
        select(
            Case.id,
            Case.kind,
            Case.severity,
            Case.owner_id,
            Case.known_at,
            Case.notified_at,
            last_sent.label("last_sent"),
            pending.label("pending"),
            unanswered.label("unanswered"),
        )
        .where(Case.state.in_(OPEN_CASE_STATES), *mine)
        .order_by(Case.id)
    )
    came = select(reply.id, func.coalesce(reply.received_at, reply.created_at)).where(
        reply.id.in_(bindparam("ids", expanding=True))
    )
    triggers = (
        select(Event.case_id, Event.at, Event.payload)
        .join(Case, Case.id == Event.case_id)
        .where(Event.kind == "trigger_fired", Case.state.in_(OPEN_CASE_STATES), *mine)
        .order_by(Event.id)
    )
    # A promise that fell due is still owed only if nothing went out since: asked here (an
    # index probe each) so the promises a later message settled are not read at all.
    sent_since = update_sent_since(Commitment.case_id, Commitment.due_at)
    # Open cases' promises, and the still-open promises of resolved and followed-up cases
    # (made in a resolution or follow-up message): those are few, found by the
    # (status, due_at) index, so the closed cases of the register are not read.
    commitments = (
        select(
            Commitment.id,
            Commitment.case_id,
            Commitment.due_at,
            Commitment.status,
            Case.kind,
            Case.severity,
            Case.owner_id,
        )
        .join(Case, Case.id == Commitment.case_id)
        .where(
            or_(Case.state.in_(OPEN_CASE_STATES), Commitment.status == "open"),
            *mine,
            Commitment.status.in_(OWED_COMMITMENT_STATUSES),
            Commitment.due_at <= bindparam("horizon", type_=UTCDateTime),
            or_(Commitment.due_at >= now, ~sent_since),
        )
        .order_by(Commitment.due_at, Commitment.id)
    )
    waiting = (
        select(
            Message.id,
            Message.case_id,
            Message.status,
            Message.created_at,
            Message.stage,
            Message.attempts,
            Message.error,
            Case.kind,
            Case.severity,
            Case.owner_id,
        )
        .join(Case, Case.id == Message.case_id)
        .where(
            Message.status.in_(WAITING),
            Message.direction == "out",
            Case.state.in_(LIVE_CASE_STATES),
            *mine,
        )
        .order_by(Message.id)
    )
    # Follow-ups: the pending steps the worker scheduled (a few days' resolutions), never
    # the resolved cases, most of the register; nothing sent since resolving.
    later = aliased(Message)
    follow_ups = (
        select(Case.id, Case.kind, Case.severity, Case.owner_id, Case.resolved_at)
        .join(ScheduledStep, ScheduledStep.case_id == Case.id)
        .where(
            ScheduledStep.status == "pending",
            ScheduledStep.kind == "follow_up",
            Case.state == "resolved",
            Case.resolved_at.is_not(None),
            *mine,
            ~exists().where(
                later.case_id == Case.id,
                later.direction == "out",
                later.created_at >= Case.resolved_at,
            ),
        )
        .distinct()
        .order_by(Case.id)
    )
    reviews = (
        select(
            Review.id,
            Review.due_at,
            Review.created_at,
            Case.id,
            Case.kind,
            Case.severity,
            Case.owner_id,
            Case.resolved_at,
        )
        .join(Case, Case.id == Review.case_id)
        .where(
            Review.status == "due",
            *([] if everyone else [Review.reviewer_id == bindparam("agent")]),
        )
        .order_by(Review.id)
    )
    names = (
        select(Case.id, Case.title, Customer.company, Customer.name, Agent.name)
        .join(Customer, Customer.id == Case.customer_id)
        .outerjoin(Agent, Agent.id == Case.owner_id)
        .where(Case.id.in_(bindparam("ids", expanding=True)))
    )
    return _Queries(open_cases, came, triggers, commitments, waiting, follow_ups, reviews, names)


class _Listing:
    """The day's list as reasons, most urgent first, one per case; words on demand.

    Every reason comes from one query per kind of reason, each on indexed columns (the
    agent's cases by state, messages by case and status, the pending steps, ...),
    so the number of statements does not grow with the number of cases.
    """

    def __init__(self, now: dt.datetime, lang: str, zone: str, agent_id: int | None) -> None:
        self.now = now
        self.lang = lang
        self.zone = zone
        self.agent_id = agent_id
        self.q = _queries(agent_id is None)
        self.words = texts(lang)
        self.reasons: list[_Reason] = []
        self._settings: dict[str, CadenceSettings] = {}

    @classmethod
    def collect(
        cls,
        session: Session,
        agent_id: int | None,
        now: dt.datetime,
        lang: str | None,
        incidents: list[Row],
    ) -> _Listing:
        """Every reason on the list, folded and in order, with ``incidents``' rows."""
        agent = session.get(Agent, agent_id) if agent_id is not None else None
        language = lang or (agent.language if agent else "en")
        listing = cls(now, language, agent.timezone if agent else "UTC", agent_id)
        found = listing._gather(session)
        found += [
            _Reason(
                kind=row.kind,
                case_id=None,
                severity=row.severity,
                owner_id=None,
                due_at=row.due_at,
                incident_id=row.incident_id,
                overdue=row.overdue,
                row=row,
            )
            for row in incidents
        ]
        listing.reasons = _fold(found)
        return listing

    # ------------------------------------------------------------------ gathering

    def _run(self, s: Session, stmt: Any, **extra: Any) -> Any:
        """``stmt`` (built once, see ``_queries``) with this list's agent and time."""
        return s.execute(stmt, {"agent": self.agent_id, "now": self.now, **extra})

    def _gather(self, s: Session) -> list[_Reason]:
        found: list[_Reason] = []
        open_cases = self._open_cases(s)
        must_tell = self._triggers(s, open_cases, found)
        for case_id, item in open_cases.items():
            if case_id not in must_tell and item.notified_at is None and not item.pending:
                self._first_notice(item.case, item.known_at, found)
        self._commitments(s, open_cases, found)
        self._messages(s, open_cases, found)
        for item in open_cases.values():
            if item.unanswered is not None and not item.pending:
                message_id, moment = item.unanswered
                found.append(
                    _reason(
                        "unanswered",
                        item.case,
                        since=moment,
                        message_id=message_id,
                        ago=self.now - moment,
                    )
                )
        self._follow_ups(s, found)
        self._reviews(s, found)
        if self.agent_id is None:  # the team view: cases the cadence failed on
            # here, not at the top: cadence._failures imports this module
            from frankly.cadence._failures import failure_reasons

            found += failure_reasons(s, self.now)
        return found

    def _open_cases(self, s: Session) -> dict[int, _Open]:
        """The open cases, each with when we last sent a message, whether one waits to go,
        and the customer's first message with no reply sent since.

        One statement: per open case, index probes on messages by case (no list of ids).
        """
        rows = self._run(s, self.q.open_cases).all()
        # When each unanswered message came: by primary key, for the few found.
        ids = [row[8] for row in rows if row[8] is not None]
        came = {
            message_id: moment
            for chunk in _chunks(ids)
            for message_id, moment in self._run(s, self.q.came, ids=chunk)
        }
        cases: dict[int, _Open] = {}
        for case_id, kind, severity, owner_id, known, notified, last, queued, reply in rows:
            cases[case_id] = _Open(
                _Case(case_id, kind, severity, owner_id),
                known,
                notified,
                last,
                bool(queued),
                (reply, came[reply]) if reply in came else None,
            )
        return cases

    def _triggers(self, s: Session, open_cases: dict[int, _Open], found: list[_Reason]) -> set[int]:
        """Open cases where a fact broke a promise after we last wrote (the latest trigger)."""
        latest: dict[int, tuple[dt.datetime, dict[str, Any]]] = {}
        for case_id, at, payload in self._run(s, self.q.triggers):
            item = open_cases.get(case_id)
            if item is None:  # the case changed state between the reads
                continue
            moment = _moment(payload.get("since")) or at
            if item.last_sent is None or item.last_sent < moment:
                latest[case_id] = (moment, payload)
        for case_id, (moment, payload) in latest.items():
            found.append(
                _reason("tell_now", open_cases[case_id].case, since=moment, trigger=payload)
            )
        return set(latest)

    def _first_notice(self, case: _Case, known_at: dt.datetime, found: list[_Reason]) -> None:
        window = self._settings_for(case.kind).first_notice_within
        kind = "late_to_tell" if self.now - known_at > window else "first_notice"
        found.append(_reason(kind, case, since=known_at, due_at=known_at + window, window=window))

    def _commitments(self, s: Session, open_cases: dict[int, _Open], found: list[_Reason]) -> None:
        """Per case, the earliest promised update that is overdue or due soon: on open
        cases, and on resolved ones while a promise made there is open."""
        kinds = {item.case.kind for item in open_cases.values()}
        horizon = self.now + max(
            (self._settings_for(kind).due_soon for kind in kinds), default=DUE_SOON
        )
        seen: set[int] = set()
        for commitment_id, case_id, due_at, status, *about in self._run(
            s, self.q.commitments, horizon=horizon
        ):
            if case_id in seen:
                continue
            item = open_cases.get(case_id)
            case = item.case if item is not None else _Case(case_id, *about)
            if due_at < self.now:
                # Still owed only if nothing went out since it fell due.
                if item is not None and item.last_sent is not None and item.last_sent >= due_at:
                    continue
                seen.add(case_id)
                found.append(
                    _reason(
                        "missed",
                        case,
                        due_at=due_at,
                        commitment_id=commitment_id,
                        ago=self.now - due_at,
                    )
                )
            elif status == "open":
                if due_at - self.now > self._settings_for(case.kind).due_soon:
                    continue
                seen.add(case_id)
                found.append(
                    _reason(
                        "due",
                        case,
                        due_at=due_at,
                        commitment_id=commitment_id,
                        left=due_at - self.now,
                    )
                )

    def _messages(self, s: Session, open_cases: dict[int, _Open], found: list[_Reason]) -> None:
        """Failed messages and drafts waiting on open, resolved and followed-up cases."""
        for row in self._run(s, self.q.waiting):
            message_id, case_id, status, created, stage, attempts, error, *case = row
            reason = _Case(case_id, *case)
            if status == "failed":
                found.append(
                    _reason(
                        "failed",
                        reason,
                        since=created,
                        message_id=message_id,
                        attempts=attempts,
                        error=error.splitlines()[0][:200] if error else "",
                    )
                )
            else:
                found.append(
                    _reason(
                        "draft",
                        reason,
                        since=created,
                        message_id=message_id,
                        stage=stage,
                        ago=self.now - created,
                    )
                )

    def _follow_ups(self, s: Session, found: list[_Reason]) -> None:
        """Resolved cases whose follow-up is due, with the step the cadence worker scheduled
        still pending and nothing sent since resolving.

        Read from the pending steps (a few days' resolutions), never from the resolved
        cases: those are most of the register.
        """
        for case_id, kind, severity, owner_id, resolved_at in self._run(s, self.q.follow_ups):
            days = self._settings_for(kind).follow_up_after_days
            due = resolved_at + dt.timedelta(days=days)
            if due > self.now:
                continue
            found.append(
                _reason(
                    "follow_up",
                    _Case(case_id, kind, severity, owner_id),
                    since=resolved_at,
                    due_at=due,
                    days=days,
                    ago=self.now - resolved_at,
                )
            )

    def _reviews(self, s: Session, found: list[_Reason]) -> None:
        """Lessons-learned reviews due (to this agent, when it is one agent's list)."""
        for review_id, due_at, created, case_id, kind, severity, owner_id, resolved in self._run(
            s, self.q.reviews
        ):
            since = resolved or created
            found.append(
                _reason(
                    "review",
                    _Case(case_id, kind, severity, owner_id),
                    since=since,
                    due_at=due_at,
                    review_id=review_id,
                    ago=self.now - since,
                )
            )

    # ------------------------------------------------------------------ words

    def word(self, s: Session, reasons: list[_Reason]) -> list[Row]:
        """``reasons`` as rows in this list's language, with one query for their names."""
        ids = sorted({r.case_id for r in reasons if r.case_id is not None})
        names: dict[int, tuple[str, str, str | None]] = {}
        if ids:
            for chunk in _chunks(ids):
                for case_id, title, company, name, owner in self._run(s, self.q.names, ids=chunk):
                    names[case_id] = (title, company or name, owner)
        return [self._row(reason, names) for reason in reasons]

    def _row(self, reason: _Reason, names: dict[int, tuple[str, str, str | None]]) -> Row:
        if reason.row is not None:
            return reason.row
        assert reason.case_id is not None
        title, who, owner = names.get(reason.case_id, ("", "", None))
        filled = {
            "customer": who,
            "title": title,
            "since": self._span(self.now - reason.since) if reason.since else "",
            "due": self._when(reason.due_at) if reason.due_at else "",
        }
        for key, value in reason.values.items():
            if isinstance(value, dt.timedelta):
                value = self._span(value)
            elif key == "trigger":
                value = self._trigger(value)
            elif key == "stage":
                value = self._stage(value)
            filled[key] = value
        words = self.words["today"][reason.kind]
        return Row(
            kind=reason.kind,
            case_id=reason.case_id,
            title=title,
            customer=who,
            severity=reason.severity,
            owner_id=reason.owner_id,
            owner=owner if reason.owner_id else None,
            action=fill(words["action"], **filled),
            why=fill(words["why"], **filled),
            due_at=reason.due_at,
            since=reason.since,
            message_id=reason.message_id,
            commitment_id=reason.commitment_id,
            review_id=reason.review_id,
            also=[self._row(other, names) for other in reason.also],
        )

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
        zone = get_timezone(self.zone)
        return str(format_datetime(moment, "EEE d MMM HH:mm", tzinfo=zone, locale=self.lang))

    def _trigger(self, payload: dict[str, Any]) -> str:
        trigger, values = payload.get("trigger"), payload.get("values")
        if (
            isinstance(trigger, str)
            and trigger in self.words["triggers"]
            and isinstance(values, dict)
        ):
            return trigger_text(trigger, values, self.lang, self.now)
        return str(payload.get("reason") or payload.get("key"))

    def _stage(self, stage: str | None) -> str:
        names = self.words.get("stages", {})
        return str(names.get(stage or "", (stage or "message").replace("_", " ")))


def _reason(
    kind: str,
    case: _Case,
    *,
    since: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    message_id: int | None = None,
    commitment_id: int | None = None,
    review_id: int | None = None,
    **values: Any,
) -> _Reason:
    """A reason about ``case``; the other keyword arguments are values for its words."""
    return _Reason(
        kind,
        case.id,
        case.severity,
        case.owner_id,
        since,
        due_at,
        message_id,
        commitment_id,
        review_id,
        values,
    )


def _fold(found: list[_Reason]) -> list[_Reason]:
    """Most urgent first, one per case: its most urgent reason with the others folded in,
    so the list reads as the cases to act on."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(reason: _Reason) -> tuple[int, int, int, dt.datetime, int]:
        moment = reason.since if reason.kind in ("first_notice", "late_to_tell") else reason.due_at
        # Within a kind, an overdue public update comes before any one case.
        return (
            _URGENCY[INCIDENT_KINDS.get(reason.kind, reason.kind)],
            0 if reason.incident_id and reason.overdue else 1,
            _SEVERITY.get(reason.severity, 9),
            moment or reason.since or far,
            reason.case_id or 0,
        )

    listed: list[_Reason] = []
    by_case: dict[int, _Reason] = {}
    for reason in sorted(found, key=key):
        if reason.case_id is None:  # an incident's row stands alone
            listed.append(reason)
            continue
        first = by_case.get(reason.case_id)
        if first is None:
            by_case[reason.case_id] = reason
            listed.append(reason)
            continue
        first.also.append(reason)
        if first.message_id is None and reason.kind == "draft":
            first.message_id = reason.message_id
    return listed


_URGENCY = {kind: i for i, kind in enumerate(ROW_KINDS)}


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
