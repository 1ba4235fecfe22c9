"""Running the cadence: what time alone changes. The worker calls ``run_due`` every minute.

- promised updates whose time passed become missed;
- facts that break a promise fire triggers (a new ETA after the promised date, a payment
  due date passed unpaid, a milestone stuck too long);
- overdue payments get their reminder ladder, resolved cases their follow-up and review;
- steps that are due are drafted, and sent where the business turned that on.

Every write goes through ``frankly.cases``; running it twice, or in two workers at once,
changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, not_, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from frankly import cases
from frankly.errors import FranklyError
from frankly.playbooks.cadence_settings import CadenceSettings, settings_for
from frankly.playbooks.cadence_texts import fill, texts
from frankly.store import Database, utcnow
from frankly.store.cadence_models import Milestone, Review, ScheduledStep
from frankly.store.models import (
    LIVE_CASE_STATES,
    OPEN_CASE_STATES,
    Case,
    Commitment,
    Customer,
    Event,
)

log = logging.getLogger(__name__)

REMIND_AT = dt.time(9, 0)  # reminders are dated at 9:00 in the customer's time zone


@dataclass
class RunReport:
    """What one cadence run did."""

    missed: int = 0
    triggers: int = 0
    scheduled: int = 0
    reviews: int = 0
    drafted: int = 0
    sent: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "missed": self.missed,
            "triggers": self.triggers,
            "scheduled": self.scheduled,
            "reviews": self.reviews,
            "drafted": self.drafted,
            "sent": self.sent,
            "skipped": self.skipped,
            "errors": list(self.errors),
        }

    def summary(self) -> str:
        return (
            f"{self.missed} promise(s) missed, {self.triggers} trigger(s), "
            f"{self.scheduled} step(s) scheduled, {self.reviews} review(s) opened, "
            f"{self.drafted} draft(s), {self.sent} queued to send, {self.skipped} skipped"
        )


def run_due(db: Database, now: dt.datetime | None = None) -> RunReport:
    """Bring every case's cadence up to ``now`` (see the module docstring).

    Only cases that can have something to do are read: each kind of work is one query
    on the indexed state, due times and the missing step, trigger or review, so a run
    costs what is due, not how many cases are open.

    A failure on one case (a fact the code cannot handle, a date that overflows, a stored
    value that is not valid JSON) is recorded on that case as a ``cadence_failed`` event,
    which managers see on Today, and reported in ``errors``; every other case still runs.
    """
    now = now or utcnow()
    report = RunReport()
    try:
        report.missed = len(cases.settle_overdue(db, now=now))
    except Exception as exc:  # one bad promise must not stop the rest of the run
        log.exception("the cadence could not settle overdue promises")
        report.errors.append(f"overdue promises: {_describe(exc)}")
    settings: dict[str, CadenceSettings] = {}
    with db.reading() as session:
        kinds = select(Case.kind).where(Case.state.in_(LIVE_CASE_STATES)).distinct()
        for kind in session.scalars(kinds):
            settings[kind] = settings_for(kind)
    try:
        with db.reading() as session:
            work = _Work.find(session, settings, now)
    except DBAPIError as exc:
        # A stored value the database's JSON functions cannot read (SQLite says
        # "malformed JSON" for the NaN an older version let through) fails every query
        # that reads facts: find those cases, set them aside, and run for the rest.
        with db.reading() as session:
            unreadable = _unreadable(session)
        if not unreadable:
            raise
        for case_id in sorted(unreadable):
            _failed(db, case_id, "facts", _describe(exc), now, report)
        with db.reading() as session:
            work = _Work.find(session, settings, now, skip=unreadable)

    def each(rows: list[Any], work_name: str, what: Callable[[Any], int]) -> int:
        done = 0
        for row in rows:
            try:
                done += what(row)
            except Exception as exc:  # recorded on the case; the other cases go on
                case_id = row[0].id if isinstance(row, tuple) else row.id
                _failed(db, case_id, work_name, _describe(exc), now, report)
        return done

    report.triggers += each(
        work.late_eta, "new_eta", lambda r: _eta_trigger(db, r[0], work.eta_at, now)
    )
    report.triggers += each(
        work.unpaid, "payment_overdue", lambda r: _payment_trigger(db, r[0], r[1], now)
    )
    report.triggers += each(
        work.stuck,
        "milestone_stuck",
        lambda r: _stuck_trigger(db, r[0], settings[r[0].kind], r[1:], now),
    )
    report.scheduled += each(
        work.ladders,
        "payment_ladder",
        lambda r: _ladder(db, r[0], r[1], settings[r[0].kind], work.steps, now),
    )
    report.scheduled += each(
        work.follow_ups, "follow_up", lambda c: _follow_up(db, c, settings[c.kind], now)
    )
    report.reviews += each(work.reviews, "review", lambda c: _review(db, c, settings[c.kind], now))
    _draft_due(db, now, settings, report)
    return report


def _describe(exc: BaseException) -> str:
    """An error in one line: its kind and the first line of its message."""
    if isinstance(exc, FranklyError):
        return str(exc)
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


def _failed(
    db: Database, case_id: int, work: str, error: str, now: dt.datetime, report: RunReport
) -> None:
    """Record that the cadence failed on a case (once while nothing changes on it)."""
    log.warning("the cadence failed on case %s (%s): %s", case_id, work, error)
    report.errors.append(f"case {case_id}: {error}")
    try:
        cases.record_cadence_failure(db, case_id, error, work=work, at=now)
    except Exception:  # the note itself failed: the error stays in the report and the log
        log.exception("could not record the cadence failure on case %s", case_id)


def _unreadable(session: Session) -> set[int]:
    """Cases whose stored facts, or whose events' payloads, the database cannot read as
    JSON (only SQLite can hold such values; PostgreSQL's jsonb refuses them)."""
    if session.get_bind().dialect.name != "sqlite":
        return set()
    ids = set(session.scalars(select(Case.id).where(not_(func.json_valid(Case.facts)))))
    ids.update(
        session.scalars(
            select(Event.case_id)
            .where(
                Event.kind.in_(("case_opened", "fact_recorded", "correction")),
                not_(func.json_valid(Event.payload)),
            )
            .distinct()
        )
    )
    return ids


@dataclass
class _Work:
    """The cases one run has something to do for, each list from one query."""

    late_eta: list[tuple[Case]]  # a new ETA after the promised date, not fired yet
    unpaid: list[tuple[Case, Customer]]  # due date past (or about to be), not fired yet
    stuck: list[tuple[Case, str, dt.datetime, int]]  # latest milestone old, not fired yet
    ladders: list[tuple[Case, Customer]]  # a due date and rungs not scheduled yet
    follow_ups: list[Case]  # resolved without a follow-up scheduled
    reviews: list[Case]  # resolved without a review
    eta_at: dict[int, dt.datetime]  # when each late_eta case's new ETA was recorded
    steps: set[tuple[int, str, str]]  # the ladder cases' scheduled steps

    @classmethod
    def find(
        cls,
        session: Session,
        settings: dict[str, CadenceSettings],
        now: dt.datetime,
        skip: set[int] | None = None,
    ) -> _Work:
        """The work due; the cases in ``skip`` (unreadable facts) are left out."""
        open_: ColumnElement[bool] = Case.state.in_(OPEN_CASE_STATES)
        if skip:
            open_ = and_(open_, Case.id.not_in(skip))

        def _fact(name: str) -> Any:
            # CASE guarantees the unreadable rows never reach the JSON function (a plain
            # AND does not: the database may evaluate its terms in any order).
            value = Case.facts[name].as_string()
            return sql_case((Case.id.in_(skip), None), else_=value) if skip else value

        with_customer = select(Case, Customer).join(Customer, Customer.id == Case.customer_id)
        new_eta, promised = _fact("new_eta"), _fact("promised_date")
        late_eta = session.execute(
            select(Case).where(
                open_,
                func.substr(new_eta, 1, 10) > func.substr(promised, 1, 10),
                ~_fired("new_eta:", func.substr(new_eta, 1, 10)),
            )
        ).all()
        due_date = _fact("due_date")
        # A customer's day can be a day ahead of UTC: the exact check is per time zone.
        tomorrow = (now.astimezone(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
        unpaid = session.execute(
            with_customer.where(
                open_,
                func.substr(due_date, 1, 10) < tomorrow,
                ~_fired("payment_overdue:", func.substr(due_date, 1, 10)),
            )
        ).all()
        stuck: Sequence[Any] = []
        limits = [rules.milestone_stuck_after for rules in settings.values()]
        if limits:
            later = aliased(Milestone)
            newer = (
                select(later.id)
                .where(
                    later.case_id == Milestone.case_id,
                    or_(
                        later.happened_at > Milestone.happened_at,
                        and_(later.happened_at == Milestone.happened_at, later.id > Milestone.id),
                    ),
                )
                .exists()
            )
            stuck = session.execute(
                select(Case, Milestone.code, Milestone.happened_at, Milestone.id)
                .join(Milestone, Milestone.case_id == Case.id)
                .where(
                    open_,
                    Milestone.code != "delivered",
                    Milestone.happened_at < now - min(limits),
                    ~newer,
                    ~_fired("milestone_stuck:", cast(Milestone.id, String)),
                )
            ).all()
        ladders: list[Any] = []
        for kind, rules in settings.items():
            if not rules.payment_ladder:
                continue
            stages = [stage for stage, _ in rules.payment_ladder]
            scheduled = (
                select(func.count(ScheduledStep.id))
                .where(
                    ScheduledStep.case_id == Case.id,
                    ScheduledStep.kind == "payment_reminder",
                    ScheduledStep.stage.in_(stages),
                )
                .scalar_subquery()
            )
            ladders += session.execute(
                with_customer.where(
                    open_, Case.kind == kind, due_date.is_not(None), scheduled < len(stages)
                )
            ).all()
        follow_ups = session.scalars(
            select(Case).where(
                Case.state == "resolved",
                Case.resolved_at.is_not(None),
                ~select(ScheduledStep.id)
                .where(
                    ScheduledStep.case_id == Case.id,
                    ScheduledStep.kind == "follow_up",
                    ScheduledStep.stage == "follow_up",
                )
                .exists(),
            )
        ).all()
        reviews = session.scalars(
            select(Case).where(
                Case.state.in_(("resolved", "followed_up")),
                Case.resolved_at.is_not(None),
                ~select(Review.id).where(Review.case_id == Case.id).exists(),
            )
        ).all()
        eta_ids = [row[0].id for row in late_eta]
        eta_at = dict(
            session.execute(
                select(Event.case_id, func.max(Event.at))
                .where(
                    Event.case_id.in_(eta_ids),
                    Event.kind == "fact_recorded",
                    Event.payload["key"].as_string() == "new_eta",
                )
                .group_by(Event.case_id)
            ).all()
        )
        ladder_ids = [row[0].id for row in ladders]
        steps = {
            (case_id, kind, stage)
            for case_id, kind, stage in session.execute(
                select(ScheduledStep.case_id, ScheduledStep.kind, ScheduledStep.stage).where(
                    ScheduledStep.case_id.in_(ladder_ids)
                )
            )
        }
        return cls(
            late_eta=[tuple(r) for r in late_eta],  # type: ignore[misc]
            unpaid=[tuple(r) for r in unpaid],  # type: ignore[misc]
            stuck=[tuple(r) for r in stuck],
            ladders=[tuple(r) for r in ladders],
            follow_ups=list(follow_ups),
            reviews=list(reviews),
            eta_at=eta_at,
            steps=steps,
        )


def _fired(prefix: str, value: Any) -> Any:
    """EXISTS a ``trigger_fired`` event on the case with the key ``prefix`` + ``value``."""
    return (
        select(Event.id)
        .where(
            Event.case_id == Case.id,
            Event.kind == "trigger_fired",
            Event.payload["key"].as_string() == literal(prefix) + value,
        )
        .exists()
    )


def _eta_trigger(db: Database, case: Case, eta_at: dict[int, dt.datetime], now: dt.datetime) -> int:
    facts = dict(case.facts or {})
    new_eta, promised = _date(facts.get("new_eta")), _date(facts.get("promised_date"))
    if not (new_eta and promised and new_eta > promised):
        return 0
    values = {"new_eta": new_eta.isoformat(), "promised_date": promised.isoformat()}
    since = eta_at.get(case.id) or case.created_at
    return int(_fire(db, case, f"new_eta:{new_eta.isoformat()}", "new_eta", values, since, now))


def _payment_trigger(db: Database, case: Case, customer: Customer, now: dt.datetime) -> int:
    facts = dict(case.facts or {})
    due = _date(facts.get("due_date"))
    if not due or _paid(facts) or due >= _local_date(now, customer.timezone):
        return 0
    values = {
        "invoice": str(facts.get("invoice_number") or facts.get("invoice") or ""),
        "due_date": due.isoformat(),
    }
    zone = _zone(customer.timezone)
    since = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    key = f"payment_overdue:{due.isoformat()}"
    return int(_fire(db, case, key, "payment_overdue", values, since, now))


def _stuck_trigger(
    db: Database,
    case: Case,
    rules: CadenceSettings,
    milestone: tuple[str, dt.datetime, int],
    now: dt.datetime,
) -> int:
    code, happened_at, milestone_id = milestone
    if code == "delivered" or now - happened_at <= rules.milestone_stuck_after:
        return 0
    values = {"milestone": code, "since": happened_at.isoformat()}
    since = happened_at + rules.milestone_stuck_after
    key = f"milestone_stuck:{milestone_id}"
    return int(_fire(db, case, key, "milestone_stuck", values, since, now))


def _follow_up(db: Database, case: Case, rules: CadenceSettings, now: dt.datetime) -> int:
    assert case.resolved_at is not None
    due = case.resolved_at + dt.timedelta(days=rules.follow_up_after_days)
    _, created = cases.schedule_step(db, case.id, "follow_up", "follow_up", due, at=now)
    return int(created)


def _review(db: Database, case: Case, rules: CadenceSettings, now: dt.datetime) -> int:
    assert case.resolved_at is not None
    _, created = cases.open_review(
        db, case.id, due_at=case.resolved_at + rules.review_within, at=now
    )
    return int(created)


def _fire(
    db: Database,
    case: Case,
    key: str,
    trigger: str,
    values: dict[str, str],
    since: dt.datetime,
    now: dt.datetime,
) -> bool:
    # The reason is kept in English on the timeline; lists re-word it in their language.
    # ``since`` is when the promise broke: a message sent after it has told the customer.
    reason = trigger_text(trigger, values, "en", now)
    details = {"trigger": trigger, "values": values, "since": since.isoformat()}
    return cases.fire_trigger(db, case.id, key, reason, details=details, at=now)


def trigger_text(trigger: str, values: dict[str, str], language: str, now: dt.datetime) -> str:
    """A fired trigger's reason in ``language``."""
    from babel.dates import format_timedelta

    words = texts(language)
    filled = dict(values)
    if trigger == "milestone_stuck":
        code = values.get("milestone", "")
        filled["milestone"] = words["milestones"].get(code, code.replace("_", " "))
        since = values.get("since")
        if since:
            delta = now - dt.datetime.fromisoformat(since)
            filled["ago"] = str(format_timedelta(delta, locale=language, format="short"))
    return fill(words["triggers"][trigger], **filled)


def _ladder(
    db: Database,
    case: Case,
    customer: Customer,
    rules: CadenceSettings,
    steps: set[tuple[int, str, str]],
    now: dt.datetime,
) -> int:
    due = _date((case.facts or {}).get("due_date"))
    if not rules.payment_ladder or due is None:
        return 0
    zone = _zone(customer.timezone)
    created = 0
    for stage, offset in rules.payment_ladder:
        if (case.id, "payment_reminder", stage) in steps:
            continue
        day = due + dt.timedelta(days=offset)
        when = dt.datetime.combine(day, REMIND_AT, tzinfo=zone).astimezone(dt.UTC)
        _, made = cases.schedule_step(
            db,
            case.id,
            "payment_reminder",
            stage,
            when,
            auto_send=rules.auto_send_reminders,
            at=now,
        )
        created += int(made)
    return created


def _draft_due(
    db: Database, now: dt.datetime, settings: dict[str, CadenceSettings], report: RunReport
) -> None:
    due = cases.due_steps(db, now)
    # Of several reminders due at once (a case opened late), only the latest is drafted:
    # the customer gets one reminder, not four.
    latest: dict[tuple[int, str], int] = {}
    for step in due:
        latest[(step.case_id, step.kind)] = step.id
    with db.reading() as session:
        states = dict(
            session.execute(
                select(Case.id, Case.state).where(Case.id.in_({s.case_id for s in due}))
            ).all()
        )
        facts: dict[int, Any] = dict(
            session.execute(
                select(Case.id, Case.facts).where(Case.id.in_({s.case_id for s in due}))
            ).all()
        )
        kinds = dict(
            session.execute(
                select(Case.id, Case.kind).where(Case.id.in_({s.case_id for s in due}))
            ).all()
        )
    for step in due:
        state = states.get(step.case_id)
        reason = None
        if latest[(step.case_id, step.kind)] != step.id:
            reason = "a later reminder is due at the same time"
        elif step.kind == "follow_up" and state != "resolved":
            reason = f"the case is {state}"
        elif step.kind == "payment_reminder" and (
            state not in OPEN_CASE_STATES or _paid(facts.get(step.case_id) or {})
        ):
            reason = "the invoice is paid or the case is closed"
        rules = settings.get(kinds.get(step.case_id, "")) or settings_for(
            kinds.get(step.case_id, "")
        )
        try:
            message = cases.draft_step(
                db,
                step.id,
                skip_reason=reason,
                discount_percent=rules.discount_percent if step.kind == "follow_up" else 0,
                discount_valid_days=rules.discount_valid_days,
                at=now,
            )
            if message is None:
                report.skipped += 1
                continue
            report.drafted += 1
            if step.auto_send:
                cases.approve_message(db, message.id, author="frankly (automatic)", at=now)
                report.sent += 1
        except Exception as exc:  # recorded on the case; the other steps go on
            log.warning("could not draft step %s: %s", step.id, exc)
            report.errors.append(f"step {step.id}: {_describe(exc)}")
            _failed(db, step.case_id, f"step {step.kind}", _describe(exc), now, report)


def headline(db: Database) -> dict[str, Any]:
    """The cadence's figures across cases: the share chased, promises kept, time to tell."""
    with db.reading() as session:
        total = session.scalar(select(func.count(Case.id)).where(Case.state != "cancelled")) or 0
        chased = (
            session.scalar(
                select(func.count(Case.id)).where(
                    Case.state != "cancelled", Case.chased_at.is_not(None)
                )
            )
            or 0
        )
        kept = (
            session.scalar(select(func.count(Commitment.id)).where(Commitment.status == "kept"))
            or 0
        )
        missed = (
            session.scalar(select(func.count(Commitment.id)).where(Commitment.status == "missed"))
            or 0
        )
        told = list(
            session.execute(
                select(Case.known_at, Case.notified_at).where(Case.notified_at.is_not(None))
            )
        )
    hours = sorted((n - k).total_seconds() / 3600 for k, n in told if n is not None)
    median = hours[len(hours) // 2] if hours else None
    return {
        "cases": int(total),
        "chased": int(chased),
        "chased_share": round(chased / total, 3) if total else 0.0,
        "promises_kept": int(kept),
        "promises_missed": int(missed),
        "promises_kept_share": round(kept / (kept + missed), 3) if kept + missed else None,
        "median_hours_to_tell": round(median, 1) if median is not None else None,
    }


def _paid(facts: dict[str, Any]) -> bool:
    for key in ("paid", "paid_at", "paid_on", "payment_received"):
        value = facts.get(key)
        if value not in (None, "", False, "no", "false", "0"):
            return True
    return False


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _local_date(now: dt.datetime, timezone: str) -> dt.date:
    return now.astimezone(_zone(timezone)).date()


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
