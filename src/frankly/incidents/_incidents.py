"""Incidents: open one, choose who is affected, publish updates, resolve, review, follow up.

Every function that writes is one transaction: the incident, the cases it opens or links,
the update, every personal notice and every event are written together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frankly.cases import bulk
from frankly.cases import validate as v
from frankly.check import check
from frankly.compose.promises import resolve_promise
from frankly.errors import Conflict, InvalidInput, NotFound
from frankly.incidents import _guard, _notices
from frankly.incidents._public import display_zone
from frankly.incidents._select import Affected, Selection, resolve
from frankly.incidents._words import languages as word_languages
from frankly.incidents._words import words
from frankly.store import Database
from frankly.store.incident_models import (
    INCIDENT_STATUSES,
    Incident,
    IncidentCase,
    IncidentNotice,
    IncidentUpdate,
)
from frankly.store.models import (
    LANGUAGES,
    SEVERITIES,
    Agent,
    Case,
    Customer,
    Message,
    utcnow,
)

log = logging.getLogger(__name__)

DEFAULT_EVERY = dt.timedelta(minutes=30)
# While monitoring, the fix is in and customers need news less often.
STATUS_FACTOR = {"investigating": 1, "identified": 1, "monitoring": 2}
OPEN_STATUSES = ("investigating", "identified", "monitoring")
MAX_TEXT = 10_000


class IncidentClosed(Conflict):
    """The incident is resolved: it takes a review or a follow-up, not another update."""


class UpdateRefused(InvalidInput):
    """The checker found errors in a text (or it names a customer): nothing was published."""

    def __init__(
        self, message: str, findings: list[dict[str, Any]] | None = None, *, field: str = "text"
    ) -> None:
        super().__init__(message, field=field)
        self.findings = findings or []


@dataclass
class UpdateResult:
    """What publishing one update did."""

    incident: Incident
    update: IncidentUpdate
    queued: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    replay: bool = False

    @property
    def warning_lines(self) -> list[str]:
        """Plain sentences for the person who posted the update."""
        lines = []
        if self.skipped:
            lines.append(
                f"{len(self.skipped)} affected customer(s) have no email address and were not "
                "notified: call them (a note is on each case)."
            )
        seen: set[tuple[str, str]] = set()
        for finding in self.warnings:
            # The public text and the notices share most wording: say each point once.
            key = (finding["language"], finding["rule"])
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"Checker ({finding['language']}): {finding['message']}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident.to_dict(),
            "update": self.update.to_dict(),
            "queued": self.queued,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "replay": self.replay,
        }


@dataclass
class LinkResult:
    incident: Incident
    opened: int
    linked: int
    already: int
    update: UpdateResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident.to_dict(),
            "opened": self.opened,
            "linked": self.linked,
            "already": self.already,
            "update": self.update.to_dict() if self.update else None,
        }


@dataclass
class IncidentView:
    """An incident as its manager reads it."""

    incident: Incident
    updates: list[IncidentUpdate]
    affected: int
    languages: dict[str, int]
    delivery: dict[int, dict[str, int]]
    cases: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.incident.to_dict(),
            "updates": [
                {**u.to_dict(), "delivery": self.delivery.get(u.id, {})} for u in self.updates
            ],
            "affected": self.affected,
            "languages": self.languages,
            "cases": self.cases,
            "no_email": self.skipped,
        }


# -- writing -------------------------------------------------------------------------------


def open_incident(
    db: Database,
    *,
    title: dict[str, str] | str,
    impact: dict[str, str] | str,
    kind: str = "service_outage",
    status: str = "investigating",
    severity: str = "high",
    selection: Selection | None = None,
    texts: dict[str, str] | None = None,
    next_update_at: dt.datetime | None = None,
    started_at: dt.datetime | None = None,
    update_every: dt.timedelta | None = None,
    owner_id: int | None = None,
    public: bool = True,
    author: str = "system",
    at: dt.datetime | None = None,
) -> LinkResult:
    """Open an incident, link its affected customers and (with ``texts``) publish the first
    statement and notify them, all in one transaction.

    ``title``/``impact``/``texts`` map language to text (a plain string is English). Raises
    ``InvalidInput`` (empty or missing texts, a bad status), ``NobodySelected`` (the
    selection matched nobody), ``UpdateRefused`` (the checker found errors) or ``NotFound``.
    """
    v.identifier(kind, "kind")
    v.choice(status, OPEN_STATUSES, "status")
    v.choice(severity, SEVERITIES, "severity")
    titles = _texts(title, "title", max_length=300, single_line=True)
    impacts = _texts(impact, "impact", max_length=2000)
    v.aware(started_at, "started_at")
    now = at or utcnow()
    every = update_every or _cadence(db, kind)
    if every < dt.timedelta(minutes=1):
        raise InvalidInput("Updates cannot come more often than every minute", field="every")
    with db.transaction() as session:
        if owner_id is not None and session.get(Agent, owner_id) is None:
            raise NotFound(f"No agent with id {owner_id}")
        incident = Incident(
            kind=kind,
            status=status,
            severity=severity,
            title=titles,
            impact=impacts,
            owner_id=owner_id,
            update_every_minutes=max(1, int(every.total_seconds() // 60)),
            started_at=started_at or now,
            next_update_due_at=None,
            selection=[],
            public=public,
            created_by=author,
            created_at=now,
            updated_at=now,
        )
        session.add(incident)
        session.flush()
        opened = linked = already = 0
        if selection is not None:
            opened, linked, already = _link(session, incident, selection, author, now)
        _require_languages(session, incident, titles, "title")
        _require_languages(session, incident, impacts, "impact")
        _guard_texts(session, incident, {"title": titles, "impact": impacts}, author=author)
        result = LinkResult(incident, opened, linked, already)
        if texts is not None:
            result.update = _post(
                session,
                incident,
                texts=texts,
                status=status,
                next_update_at=next_update_at,
                author=author,
                now=now,
                kind="update",
            )
        else:
            # Even before the first statement, the clock runs: it is due within the cadence.
            incident.next_update_due_at = now + every
        return result


def add_affected(
    db: Database,
    incident_id: int,
    selection: Selection,
    *,
    author: str = "system",
    at: dt.datetime | None = None,
) -> LinkResult:
    """Add affected customers to an open incident, in one transaction.

    Customers already affected are skipped; the new ones get the latest update as a
    personal notice right away. Raises ``NotFound``, ``IncidentClosed``,
    ``NobodySelected`` or ``InvalidInput``.
    """
    now = at or utcnow()
    with db.transaction() as session:
        incident = _incident(session, incident_id, for_update=True)
        if incident.status == "resolved":
            raise IncidentClosed(f"Incident {incident_id} is resolved: nobody can be added now")
        before = {
            cid
            for cid in session.scalars(
                select(IncidentCase.customer_id).where(IncidentCase.incident_id == incident.id)
            )
        }
        opened, linked, already = _link(session, incident, selection, author, now)
        _require_languages(session, incident, incident.title, "title")
        # A customer added now must not be the one the public texts already name.
        _guard_texts(session, incident, _published(session, incident), contacts=False)
        result = LinkResult(incident, opened, linked, already)
        latest = session.scalar(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id, IncidentUpdate.kind == "update")
            .order_by(IncidentUpdate.seq.desc())
            .limit(1)
        )
        if latest is not None and (opened or linked):
            new_ids = [
                cid
                for cid in session.scalars(
                    select(IncidentCase.customer_id).where(IncidentCase.incident_id == incident.id)
                )
                if cid not in before
            ]
            missing = set(_customer_languages(session, incident.id, new_ids)) - set(latest.texts)
            if missing:
                raise InvalidInput(
                    f"The latest update has no {', '.join(sorted(missing))} text for the new "
                    "customers: post an update in their language",
                    field="text",
                )
            targets = _notices.recipients(session, incident.id, new_ids)
            queued = _notices.queue(session, incident, latest, targets, author=author, now=now)
            latest.notices_queued += queued.queued
            latest.notices_skipped += len(queued.skipped)
            result.update = UpdateResult(
                incident, latest, queued.queued, _skipped(session, queued.skipped)
            )
        incident.updated_at = now
        return result


def post_update(
    db: Database,
    incident_id: int,
    *,
    texts: dict[str, str] | str,
    status: str | None = None,
    next_update_at: dt.datetime | None = None,
    author: str = "system",
    request_key: str | None = None,
    at: dt.datetime | None = None,
) -> UpdateResult:
    """Publish an update and notify every affected customer personally, in one transaction.

    ``texts`` maps language to the public text (every language an affected customer reads
    is required). ``status`` moves the incident (``resolved`` makes this the resolution).
    ``next_update_at`` is the promised next update (default: now plus the cadence for the
    new status); it becomes each notice's commitment. The same ``request_key`` twice posts
    once. Raises ``InvalidInput`` (empty text, missing language, past next update),
    ``UpdateRefused`` (the checker found errors, or the text names an affected customer),
    ``IncidentClosed`` (already resolved) or ``NotFound``.
    """
    now = at or utcnow()
    if status is not None:
        v.choice(status, INCIDENT_STATUSES, "status")
    v.aware(next_update_at, "next_update_at")
    try:
        with db.transaction() as session:
            incident = _incident(session, incident_id, for_update=True)
            if request_key:
                earlier = _replayed(session, incident, request_key)
                if earlier is not None:
                    return earlier
            if incident.status == "resolved":
                raise IncidentClosed(
                    f"Incident {incident_id} is resolved: write its review or send the "
                    "follow-up instead of another update"
                )
            new_status = status or incident.status
            return _post(
                session,
                incident,
                texts=texts,
                status=new_status,
                next_update_at=next_update_at,
                author=author,
                now=now,
                kind="resolution" if new_status == "resolved" else "update",
                request_key=request_key,
            )
    except IntegrityError:
        # The same form posted twice at the same moment: the first one won.
        if request_key:
            with db.transaction() as session:
                incident = _incident(session, incident_id)
                earlier = _replayed(session, incident, request_key)
                if earlier is not None:
                    return earlier
        raise


def resolve_incident(
    db: Database,
    incident_id: int,
    *,
    texts: dict[str, str] | str,
    author: str = "system",
    request_key: str | None = None,
    at: dt.datetime | None = None,
) -> UpdateResult:
    """Publish the resolution and notify every affected customer (``post_update`` with
    status ``resolved``). Linked cases the incident opened and notified become resolved."""
    return post_update(
        db,
        incident_id,
        texts=texts,
        status="resolved",
        author=author,
        request_key=request_key,
        at=at,
    )


def write_review(
    db: Database,
    incident_id: int,
    review: dict[str, dict[str, str]],
    *,
    publish: bool = False,
    author: str = "system",
    at: dt.datetime | None = None,
) -> Incident:
    """Record the post-incident review: per language, what happened, why, and what we change.

    ``publish`` puts it on the public status page. Raises ``Conflict`` before the incident
    is resolved, ``InvalidInput`` for missing parts and ``UpdateRefused`` for errors.
    """
    now = at or utcnow()
    if not isinstance(review, dict) or not review:
        raise InvalidInput("The review is empty", field="review")
    clean: dict[str, dict[str, str]] = {}
    for lang, parts in review.items():
        v.choice(lang, _languages(), "language")
        if not isinstance(parts, dict):
            raise InvalidInput(f"The {lang} review must have its three parts", field="review")
        clean[lang] = {
            part: v.text(
                parts.get(part), f"{lang} review: {part.replace('_', ' ')}", max_length=MAX_TEXT
            )
            for part in ("what_happened", "why", "what_we_change")
        }
    with db.transaction() as session:
        incident = _incident(session, incident_id, for_update=True)
        if incident.status != "resolved":
            raise Conflict(
                f"Incident {incident_id} is {incident.status}: review it once it is resolved"
            )
        _require_languages(session, incident, clean, "review")
        warnings: list[dict[str, Any]] = []
        people, allowed = _identities(session, incident), _allowed(session, author)
        for lang, parts in clean.items():
            for part, text in parts.items():
                what = f"{lang} review: {part.replace('_', ' ')}"
                _guard_private(text, what, people, allowed=allowed)
            warnings += _check("\n\n".join(parts.values()), lang, None)
        incident.review = {**clean, "author": author, "written_at": now.isoformat()}
        if publish and incident.review_published_at is None:
            incident.review_published_at = now
        incident.updated_at = now
        return incident


def send_follow_up(
    db: Database,
    incident_id: int,
    *,
    texts: dict[str, str] | str,
    author: str = "system",
    at: dt.datetime | None = None,
) -> UpdateResult:
    """Send the follow-up to every affected customer after resolution (P15), once.

    The follow-up is personal (it is not shown on the status page). Raises ``Conflict``
    before resolution or when it was sent already, ``InvalidInput``/``UpdateRefused`` for
    the text.
    """
    now = at or utcnow()
    with db.transaction() as session:
        incident = _incident(session, incident_id, for_update=True)
        if incident.status != "resolved":
            raise Conflict(f"Incident {incident_id} is not resolved yet: follow up afterwards")
        if incident.followed_up_at is not None:
            raise Conflict(f"The follow-up of incident {incident_id} was sent already")
        result = _post(
            session,
            incident,
            texts=texts,
            status="resolved",
            next_update_at=None,
            author=author,
            now=now,
            kind="follow_up",
        )
        incident.followed_up_at = now
        _resolve_cases(session, incident, author, now)
        return result


# -- reading -------------------------------------------------------------------------------


def get_incident(db: Database, incident_id: int) -> Incident:
    with db.reading() as session:
        return _incident(session, incident_id)


def list_incidents(
    db: Database, *, status: str | None = None, open_only: bool = False, limit: int = 100
) -> list[Incident]:
    """Incidents, newest first; ``open_only`` leaves out resolved ones."""
    with db.reading() as session:
        stmt = select(Incident)
        if status is not None:
            stmt = stmt.where(Incident.status == v.choice(status, INCIDENT_STATUSES, "status"))
        if open_only:
            stmt = stmt.where(Incident.status != "resolved")
        return list(session.scalars(stmt.order_by(Incident.id.desc()).limit(limit)))


def show_incident(db: Database, incident_id: int, *, cases_limit: int = 200) -> IncidentView:
    """An incident with its updates, delivery counts per update, and its affected cases."""
    with db.reading() as session:
        incident = _incident(session, incident_id)
        updates = list(
            session.scalars(
                select(IncidentUpdate)
                .where(IncidentUpdate.incident_id == incident_id)
                .order_by(IncidentUpdate.seq)
            )
        )
        affected = int(
            session.scalar(
                select(func.count(IncidentCase.id)).where(IncidentCase.incident_id == incident_id)
            )
            or 0
        )
        langs = dict(
            session.execute(
                select(Customer.language, func.count(Customer.id))
                .join(IncidentCase, IncidentCase.customer_id == Customer.id)
                .where(IncidentCase.incident_id == incident_id)
                .group_by(Customer.language)
            ).all()
        )
        delivery: dict[int, dict[str, int]] = {}
        rows = session.execute(
            select(IncidentNotice.update_id, Message.status, func.count(IncidentNotice.id))
            .join(IncidentUpdate, IncidentUpdate.id == IncidentNotice.update_id)
            .outerjoin(Message, Message.id == IncidentNotice.message_id)
            .where(IncidentUpdate.incident_id == incident_id)
            .group_by(IncidentNotice.update_id, Message.status)
        ).all()
        for update_id, status, count in rows:
            delivery.setdefault(update_id, {})[status or "no_email"] = int(count)
        cases = [
            {
                "case_id": case_id,
                "customer_id": customer_id,
                "customer": name,
                "company": company,
                "language": lang,
                "email": email,
                "state": state,
                "opened_by_incident": opened,
            }
            for case_id, customer_id, name, company, lang, email, state, opened in session.execute(
                select(
                    Case.id,
                    Customer.id,
                    Customer.name,
                    Customer.company,
                    Customer.language,
                    Customer.email,
                    Case.state,
                    IncidentCase.opened_by_incident,
                )
                .join(IncidentCase, IncidentCase.case_id == Case.id)
                .join(Customer, Customer.id == IncidentCase.customer_id)
                .where(IncidentCase.incident_id == incident_id)
                .order_by(IncidentCase.id)
                .limit(cases_limit)
            ).all()
        ]
        no_email = [
            {"customer_id": cid, "customer": name, "phone": phone, "case_id": case_id}
            for cid, name, phone, case_id in session.execute(
                select(Customer.id, Customer.name, Customer.phone, IncidentCase.case_id)
                .join(IncidentCase, IncidentCase.customer_id == Customer.id)
                .where(IncidentCase.incident_id == incident_id, Customer.email.is_(None))
                .order_by(Customer.id)
                .limit(cases_limit)
            ).all()
        ]
        return IncidentView(incident, updates, affected, langs, delivery, cases, no_email)


def incident_for_case(db: Database, case_id: int) -> Incident | None:
    """The incident a case is linked to, if any (for the case page)."""
    with db.reading() as session:
        return session.scalar(
            select(Incident)
            .join(IncidentCase, IncidentCase.incident_id == Incident.id)
            .where(IncidentCase.case_id == case_id)
            .order_by(Incident.id.desc())
            .limit(1)
        )


# -- inside one transaction ----------------------------------------------------------------


def _post(
    session: Session,
    incident: Incident,
    *,
    texts: dict[str, str] | str,
    status: str,
    next_update_at: dt.datetime | None,
    author: str,
    now: dt.datetime,
    kind: str,
    request_key: str | None = None,
) -> UpdateResult:
    clean = _texts(texts, "update", max_length=MAX_TEXT)
    _require_languages(session, incident, clean, "update")
    if kind == "update":
        if next_update_at is None:
            factor = STATUS_FACTOR.get(status, 1)
            next_update_at = now + dt.timedelta(minutes=incident.update_every_minutes * factor)
        elif next_update_at <= now:
            raise InvalidInput("The next update must be in the future", field="next_update_at")
    else:
        next_update_at = None
    stage = "public_statement" if kind == "update" else _notices.STAGE[kind]
    warnings: list[dict[str, Any]] = []
    # The follow-up is personal (never on the status page): it may name the customer's
    # order the way the personal notice does.
    people = _identities(session, incident) if kind != "follow_up" else []
    allowed = _allowed(session, author) if kind != "follow_up" else None
    for lang, text in clean.items():
        if kind != "follow_up":
            _guard_private(text, f"{lang} update", people, allowed=allowed)
        if next_update_at is not None:
            # The words of the update may not promise another time than the one every
            # customer's notice names: PromiseConflict asks the manager to settle it.
            resolve_promise(text, lang, display_zone(), next_update_at, now=now)
        public_text = text
        if next_update_at is not None:
            when = words(lang).datetime(next_update_at)
            public_text += "\n\n" + words(lang).say("next_update", when=when) + "."
        warnings += _check(public_text, lang, stage if kind != "follow_up" else "follow_up")
    seq = (
        int(
            session.scalar(
                select(func.coalesce(func.max(IncidentUpdate.seq), 0)).where(
                    IncidentUpdate.incident_id == incident.id
                )
            )
            or 0
        )
        + 1
    )
    update = IncidentUpdate(
        incident_id=incident.id,
        seq=seq,
        kind=kind,
        status=status,
        texts=clean,
        public=kind != "follow_up" and incident.public,
        next_update_at=next_update_at,
        published_at=now,
        author=author,
        notices_queued=0,
        notices_skipped=0,
        request_key=request_key,
    )
    session.add(update)
    session.flush()
    targets = _notices.recipients(session, incident.id)
    # The personal notice is checked too, on one customer per language: what differs
    # between customers is their name, their order and their date.
    composer = _notices.Composer(
        incident, update, _notices.owners(session, _owner_ids(incident, targets))
    )
    seen: set[str] = set()
    for target in targets:
        lang, _subject, body = composer.compose(target)
        if lang in seen:
            continue
        seen.add(lang)
        warnings += _check(body, lang, _notices.STAGE[kind], notice=True)
    queued = _notices.queue(session, incident, update, targets, author=author, now=now)
    update.notices_queued = queued.queued
    update.notices_skipped = len(queued.skipped)
    if kind != "follow_up":
        incident.status = status
        incident.next_update_due_at = next_update_at
    if kind == "resolution":
        incident.resolved_at = now
        _resolve_cases(session, incident, author, now)
    incident.updated_at = now
    return UpdateResult(
        incident, update, queued.queued, _skipped(session, queued.skipped), warnings
    )


def _link(
    session: Session, incident: Incident, selection: Selection, author: str, now: dt.datetime
) -> tuple[int, int, int]:
    """Link one case per selected customer: their open case found by the query, or a new one."""
    chosen = resolve(session, selection)
    present = set(
        session.scalars(
            select(IncidentCase.customer_id).where(IncidentCase.incident_id == incident.id)
        )
    )
    fresh = [a for a in chosen if a.customer_id not in present]
    already = len(chosen) - len(fresh)
    to_link = [a for a in fresh if a.case_id is not None]
    to_open = [a for a in fresh if a.case_id is None]
    opened_ids = _open_cases(session, incident, to_open, author, now)
    rows = [
        {
            "incident_id": incident.id,
            "case_id": a.case_id,
            "customer_id": a.customer_id,
            "opened_by_incident": False,
            "linked_at": now,
        }
        for a in to_link
    ] + [
        {
            "incident_id": incident.id,
            "case_id": case_id,
            "customer_id": a.customer_id,
            "opened_by_incident": True,
            "linked_at": now,
        }
        for a, case_id in zip(to_open, opened_ids, strict=True)
    ]
    for start in range(0, len(rows), _notices.BATCH):
        session.execute(insert(IncidentCase), rows[start : start + _notices.BATCH])
    if to_link:
        title = _pick(incident.title, "en")
        note = {"text": f"Linked to incident {incident.id}: {title}", "incident_id": incident.id}
        bulk.add_notes(
            session,
            [(a.case_id, dict(note)) for a in to_link if a.case_id is not None],
            author=author,
            at=now,
        )
    incident.selection = [*(incident.selection or []), selection.describe()]
    return len(to_open), len(to_link), already


def _open_cases(
    session: Session, incident: Incident, affected: list[Affected], author: str, now: dt.datetime
) -> list[int]:
    if not affected:
        return []
    langs = _languages_chunked(session, affected)
    rows = []
    for a in affected:
        facts = v.facts({**a.facts, "incident_id": incident.id})
        rows.append(
            {
                "kind": incident.kind,
                "title": _pick(incident.title, langs.get(a.customer_id, "en"))[:300],
                "severity": incident.severity,
                "fault": "ours",
                "state": "open",
                "facts": facts,
                "customer_id": a.customer_id,
                "owner_id": incident.owner_id,
                "external_ref": f"incident:{incident.id}:customer:{a.customer_id}",
                "known_at": incident.started_at,
                "created_at": now,
                "updated_at": now,
            }
        )
    return bulk.insert_cases(
        session,
        rows,
        author=author,
        at=now,
        opened={"source": "incident", "incident_id": incident.id},
    )


def _languages_chunked(session: Session, affected: list[Affected]) -> dict[int, str]:
    out: dict[int, str] = {}
    ids = [a.customer_id for a in affected]
    for start in range(0, len(ids), 5000):
        out.update(
            session.execute(
                select(Customer.id, Customer.language).where(
                    Customer.id.in_(ids[start : start + 5000])
                )
            ).all()
        )
    return out


def _resolve_cases(session: Session, incident: Incident, author: str, now: dt.datetime) -> None:
    """Resolve the cases this incident opened once their customer has been told.

    A case still ``open`` (its notice is not out yet, or the customer has no email) stays
    open, so a person sees it; the follow-up resolves those told by then.
    """
    rows = list(
        session.execute(
            select(Case.id, Case.state)
            .join(IncidentCase, IncidentCase.case_id == Case.id)
            .where(
                IncidentCase.incident_id == incident.id,
                IncidentCase.opened_by_incident.is_(True),
                Case.state.in_(("notified", "resolving")),
            )
        ).all()
    )
    bulk.close_cases(
        session,
        [(case_id, state) for case_id, state in rows],
        author=author,
        at=now,
        reason=f"incident {incident.id} resolved",
        about={"incident_id": incident.id},
    )


def _check(
    text: str, lang: str, stage: str | None, *, notice: bool = False
) -> list[dict[str, Any]]:
    """Check one text; errors refuse it, warnings come back for the person to read."""
    report = check(text, lang=lang, stage=stage)
    what = "personal notice" if notice else "public text"
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        found = [{**f.to_dict(), "language": lang, "where": what} for f in errors]
        first = errors[0]
        raise UpdateRefused(
            f"The {lang} {what} cannot go out: {first.message}"
            + (f" (“{first.text}”)" if first.text else "")
            + (f" and {len(errors) - 1} more error(s)" if len(errors) > 1 else ""),
            found,
        )
    return [
        {**f.to_dict(), "language": lang, "where": what}
        for f in report.findings
        if f.severity == "warning"
    ]


def _identities(session: Session, incident: Incident) -> list[_guard.Identity]:
    """What identifies each affected customer (one entry per linked case)."""
    rows = session.execute(
        select(
            Customer.name,
            Customer.company,
            Customer.email,
            Customer.phone,
            Case.facts,
            Case.external_ref,
        )
        .join(IncidentCase, IncidentCase.customer_id == Customer.id)
        .join(Case, Case.id == IncidentCase.case_id)
        .where(IncidentCase.incident_id == incident.id)
    ).all()
    return [_guard.identity(*row) for row in rows]


def _allowed(session: Session, author: str) -> _guard.Allowed:
    """The business's own contact details: its staff's (and the author's) email domains,
    its staff's phone blocks, and ``FRANKLY_PUBLIC_CONTACTS``."""
    staff = list(session.execute(select(Agent.email, Agent.phone)).all())
    return _guard.Allowed.of([*staff, (author, None)])


def _guard_private(
    text: str,
    field: str,
    people: list[_guard.Identity],
    *,
    contacts: bool = True,
    allowed: _guard.Allowed | None = None,
) -> None:
    """Refuse a public text that names an affected customer or shows their data, or (with
    ``contacts``) any email address or phone number not the business's own (see
    ``frankly.incidents._guard``)."""
    try:
        _guard.check(text, field, people, contacts=contacts, allowed=allowed)
    except _guard.PublicTextRefused as exc:
        raise UpdateRefused(exc.message, field=exc.field or field) from None


def _guard_texts(
    session: Session,
    incident: Incident,
    texts: dict[str, dict[str, str]],
    *,
    author: str = "system",
    contacts: bool = True,
) -> None:
    """``_guard_private`` on each language of each named text (``{"title": {"en": ...}}``)."""
    people = _identities(session, incident)
    allowed = _allowed(session, author) if contacts else None
    for what, by_lang in texts.items():
        for lang, text in by_lang.items():
            if isinstance(text, str):
                _guard_private(text, f"{lang} {what}", people, contacts=contacts, allowed=allowed)


def _published(session: Session, incident: Incident) -> dict[str, dict[str, str]]:
    """The incident's public texts so far: title, impact, its public updates, its review."""
    texts: dict[str, dict[str, str]] = {
        "title": dict(incident.title or {}),
        "impact": dict(incident.impact or {}),
    }
    for update in session.scalars(
        select(IncidentUpdate).where(
            IncidentUpdate.incident_id == incident.id, IncidentUpdate.public.is_(True)
        )
    ):
        texts[f"update {update.seq}"] = dict(update.texts or {})
    return texts


def _require_languages(
    session: Session, incident: Incident, texts: dict[str, Any], what: str
) -> None:
    needed = set(_customer_languages(session, incident.id))
    missing = sorted(needed - set(texts))
    if missing:
        names = ", ".join(f"{words(m).name} ({m})" if m in word_languages() else m for m in missing)
        raise InvalidInput(
            f"Affected customers read {names}: write the {what} in {names} too "
            f"(given: {', '.join(sorted(texts))})",
            field=what,
        )


def _customer_languages(
    session: Session, incident_id: int, customer_ids: list[int] | None = None
) -> list[str]:
    """The languages the incident's affected customers read (or those of ``customer_ids``)."""
    rows = session.execute(
        select(Customer.id, Customer.language)
        .join(IncidentCase, IncidentCase.customer_id == Customer.id)
        .where(IncidentCase.incident_id == incident_id)
    ).all()
    wanted = set(customer_ids) if customer_ids is not None else None
    return sorted({lang for cid, lang in rows if wanted is None or cid in wanted})


def _texts(
    value: dict[str, str] | str | None, what: str, *, max_length: int, single_line: bool = False
) -> dict[str, str]:
    """A language → text map, each text stripped and non-empty; a string is English."""
    if value is None:
        raise InvalidInput(f"The {what} is empty: write what customers need to know", field=what)
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise InvalidInput(f"The {what} must map languages to texts", field=what)
    out: dict[str, str] = {}
    for lang, text in value.items():
        v.choice(lang, _languages(), "language")
        if text is None or not str(text).strip():
            continue
        if not isinstance(text, str):
            raise InvalidInput(f"The {lang} {what} must be text", field=what)
        out[lang] = v.text(text, f"{lang} {what}", max_length=max_length, single_line=single_line)
    if not out:
        raise InvalidInput(f"The {what} is empty: write what customers need to know", field=what)
    return out


def _languages() -> tuple[str, ...]:
    return tuple(lang for lang in LANGUAGES if lang in word_languages())


def _cadence(db: Database, kind: str) -> dt.timedelta:
    """The playbook's update interval for ``kind`` (uploads too); 30 minutes without one."""
    try:
        # inside the try: a playbook that fails to load means the default interval
        from frankly.cases import playbook_library

        return playbook_library(db).get(kind).cadence.update_every
    except Exception:  # no playbook for this kind, or a broken one: the default holds
        log.info("no playbook cadence for %s: updates every 30 minutes", kind)
        return DEFAULT_EVERY


def _replayed(session: Session, incident: Incident, key: str) -> UpdateResult | None:
    update = session.scalar(
        select(IncidentUpdate).where(
            IncidentUpdate.incident_id == incident.id, IncidentUpdate.request_key == key
        )
    )
    if update is None:
        return None
    return UpdateResult(incident, update, update.notices_queued, [], [], replay=True)


def _skipped(session: Session, skipped: list[_notices.Recipient]) -> list[dict[str, Any]]:
    return [
        {"customer_id": s.customer_id, "case_id": s.case_id, "customer": s.name} for s in skipped
    ]


def _owner_ids(incident: Incident, targets: list[_notices.Recipient]) -> set[int]:
    ids = {t.owner_id for t in targets if t.owner_id}
    if incident.owner_id:
        ids.add(incident.owner_id)
    return ids


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


def _incident(session: Session, incident_id: int, *, for_update: bool = False) -> Incident:
    stmt = select(Incident).where(Incident.id == incident_id)
    if for_update:
        stmt = stmt.with_for_update()
    incident = session.scalar(stmt)
    if incident is None:
        raise NotFound(f"No incident with id {incident_id}")
    return incident
