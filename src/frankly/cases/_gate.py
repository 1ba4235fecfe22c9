"""The sending gate: the one way a message to a customer is approved.

Every edge (the case page, the API, the CLI's ``approve``, ``send`` and ``call``, the
cadence's automatic messages, incident notices) approves through here, so the same rules
hold everywhere:

- the text is checked with the case's stage and the customer's language (and the
  message's own, when it differs), never with what a request says;
- if the checker cannot run, nothing is approved (it fails closed);
- an error-level finding blocks the message unless a manager overrides, and the override
  is its own event with the rule ids and the reason;
- the promise in the text and the next-update field must agree (``PromiseConflict``);
- a message is approved once: a second request finds it queued (``AlreadySent``), and a
  composer's repeated post finds the message its first post made (``client_key``);
- the hash of the checked text is kept on the message, and the worker sends nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check, resolve
from frankly.cases._cases import CHANNELS, _case, make_message_id
from frankly.cases._checks import CHECKED, OVERRIDDEN, OVERRIDE_ROLES, NotAllowed, check_figures
from frankly.cases._commitments import after_sent
from frankly.cases._outbox import _message, _payload, queue_in
from frankly.cases._playbooks import playbook_library
from frankly.cases._remedies import offer_for_message
from frankly.cases._timeline import record
from frankly.compose.promises import resolve_promise
from frankly.errors import Conflict, FranklyError, InvalidInput, NotFound
from frankly.playbooks import load_library
from frankly.store import Database
from frankly.store.models import LANGUAGES, Case, Customer, Message, utcnow

log = logging.getLogger(__name__)

APPROVABLE = ("draft", "approved")
# A message past these has been handed to the outbox: approving it again sends nothing.
ALREADY_GOING = ("queued", "sending", "sent", "failed")
PROMISE_CHOICES = ("text", "field")


class Blocked(Conflict):
    """Error-level findings remain and nobody with the right to override did (HTTP 409)."""

    code = "blocked"

    def __init__(self, message: str, findings: list[dict[str, Any]], report: dict[str, Any]):
        super().__init__(message, field="body")
        self.findings = findings
        self.report = report

    def details(self) -> dict[str, object]:
        return {"findings": self.findings, "score": self.report.get("score")}


class CheckerUnavailable(FranklyError):
    """The checker could not run, so nothing was approved (HTTP 503)."""

    http_status = 503
    code = "checker_unavailable"


class AlreadySent(Conflict):
    """The message was approved already (a double-click, a retried request): HTTP 409."""

    code = "already_sent"

    def __init__(self, message: Message) -> None:
        super().__init__(
            f"Message {message.id} is {message.status} already: it is sent once",
            field="message_id",
        )
        self.message_id = message.id
        self.status = message.status

    def details(self) -> dict[str, object]:
        return {"message_id": self.message_id, "status": self.status}


def text_sha256(subject: str | None, body: str | None) -> str:
    """The fingerprint of what the gate passed: the worker sends only text that matches."""
    return hashlib.sha256(f"{subject or ''}\x00{body or ''}".encode()).hexdigest()


@dataclass
class Verdict:
    """What the checker says about one outgoing text, over every language it was read in."""

    report: dict[str, Any]
    findings: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    languages: list[str]

    @property
    def rules(self) -> list[str]:
        return sorted({str(f.get("rule") or f.get("category") or "other") for f in self.errors})


@dataclass
class Approval:
    """The outcome of the gate for one message."""

    message: Message
    verdict: Verdict | None
    overridden: list[str] = field(default_factory=list)
    # True when an earlier request had already approved this message (a double-click):
    # nothing new was queued, and this is that request's result.
    repeated: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message": self.message.to_dict(),
            "repeated": self.repeated,
            "overridden": self.overridden,
            "warnings": self.warnings,
        }
        if self.verdict is not None:
            out["check"] = {
                "score": self.verdict.report.get("score"),
                "errors": len(self.verdict.errors),
                "findings": self.verdict.findings,
                "languages": self.verdict.languages,
            }
        return out


def check_outgoing(
    body: str,
    *,
    subject: str | None = None,
    languages: Sequence[str],
    stage: str | None = None,
    reply_to: str | None = None,
    fault: str | None = None,
) -> Verdict:
    """Check an outgoing text in each of ``languages`` (the customer's first).

    The subject is checked too, without structure rules (it is one line). Raises
    ``CheckerUnavailable`` when the checker fails, ``InvalidInput`` for an empty text.
    """
    try:
        # inside the try: a checker that cannot load refuses to send (CheckerUnavailable)
        from frankly.check import check
    except Exception as exc:  # an install without the checker must not send unchecked
        raise CheckerUnavailable(
            f"The checker could not be loaded ({type(exc).__name__}: {exc}); nothing was sent"
        ) from exc
    reports: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    langs = list(dict.fromkeys(languages))
    try:
        for lang in langs:
            parts = [check(body, lang=lang, stage=stage, reply_to=reply_to, fault=fault)]
            if subject and subject.strip():
                parts.append(check(subject, lang=lang))
            for where, report in zip(("body", "subject"), parts, strict=False):
                data = report.to_dict()
                if where == "body":
                    reports.append(data)
                for finding in data.get("findings", []):
                    key = (where, finding.get("rule"), finding.get("start"), finding.get("end"))
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append({**finding, "field": where} if where != "body" else finding)
    except InvalidInput:
        raise
    except Exception as exc:
        log.exception("the checker failed on an outgoing message")
        raise CheckerUnavailable(
            f"The checker failed ({type(exc).__name__}: {exc}); nothing was sent. "
            "Try again, or report the text that made it fail."
        ) from exc
    merged: dict[str, Any] = dict(reports[0]) if reports else {"findings": [], "score": 100}
    merged["findings"] = findings
    if len(reports) > 1:
        merged["score"] = min(int(r.get("score", 100)) for r in reports)
    errors = [f for f in findings if f.get("severity") == "error"]
    return Verdict(report=merged, findings=findings, errors=errors, languages=langs)


def stage_type(kind: str, stage: str | None, library: Any = None) -> str | None:
    """The checker's stage for a playbook stage (``first_notice``…), or None.

    ``library``: the business's (``frankly.cases.playbook_library``); without one, the
    built-ins and the folders only, which do not know uploaded playbooks.
    """
    if not stage:
        return None
    if library is None:
        try:
            library = load_library()
        except FranklyError:
            log.warning("playbooks could not be loaded", exc_info=True)
            return None
    if kind not in library:
        return None
    found = library.get(kind).stages.get(stage)
    return found.type if found is not None else None


def approve(
    db: Database,
    message_id: int,
    *,
    author: str = "system",
    actor: Actor = None,
    next_update_at: dt.datetime | None = None,
    promise_from: str | None = None,
    override: bool = False,
    override_reason: str | None = None,
    library: Any = None,
    at: dt.datetime | None = None,
) -> Approval:
    """Check a draft and, when it passes, approve it and queue it, in one transaction.

    ``actor`` is the person approving (an Agent or an id; None: Frankly itself, which
    never overrides); they must have the right to write to the case.
    ``next_update_at`` is the next-update field; when the text promises another time,
    ``PromiseConflict`` asks which, unless ``promise_from`` is ``"text"`` or ``"field"``.
    ``override`` sends despite error-level findings: only a manager or an admin may, and
    the override is recorded with the rule ids and ``override_reason``.

    Raises ``Blocked``, ``CheckerUnavailable``, ``AlreadySent``, ``PromiseConflict``,
    ``NotAllowed``, ``NotFound``, ``Conflict`` (a customer's message) and ``InvalidInput``.
    """
    v.aware(next_update_at, "next_update_at")
    v.aware(at, "at")
    if promise_from is not None and promise_from not in PROMISE_CHOICES:
        raise InvalidInput(
            f"promise_from is 'text' or 'field', not {promise_from!r}", field="promise_from"
        )
    now = at or utcnow()
    with db.reading() as session:
        found = session.get(Message, message_id)
        if found is None:
            raise NotFound(f"No message with id {message_id}")
        kind = session.get(Case, found.case_id).kind  # type: ignore[union-attr]
    if library is None:
        try:
            library = playbook_library(db)
        except FranklyError:
            log.warning("playbooks could not be loaded", exc_info=True)
    stage_kind = stage_type(kind, found.stage, library)
    with db.transaction() as session:
        message, case = _message(session, message_id)
        approval = approve_in(
            session,
            case,
            message,
            author=author,
            actor=actor,
            next_update_at=next_update_at,
            promise_from=promise_from,
            override=override,
            override_reason=override_reason,
            stage=stage_kind,
            now=now,
        )
    _offer(db, message_id, author, library)
    return approval


def approve_message(
    db: Database,
    message_id: int,
    *,
    author: str = "system",
    next_update_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
    **gate: Any,
) -> Message:
    """Approve an outbound draft through the gate and queue it; returns the message.

    The same as ``approve`` (which see, for ``gate`` and what it raises), for callers
    that need only the message.
    """
    return approve(
        db, message_id, author=author, next_update_at=next_update_at, at=at, **gate
    ).message


def approve_in(
    session: Session,
    case: Case,
    message: Message,
    *,
    author: str,
    actor: Actor = None,
    next_update_at: dt.datetime | None = None,
    promise_from: str | None = None,
    override: bool = False,
    override_reason: str | None = None,
    stage: str | None = None,
    now: dt.datetime,
) -> Approval:
    """The gate inside the caller's transaction (the case and message locked by it)."""
    check(session, actor, case)
    if message.direction != "out":
        raise Conflict(f"Message {message.id} is from the customer: it cannot be sent")
    if message.status in ALREADY_GOING:
        raise AlreadySent(message)
    if message.status not in APPROVABLE:
        raise Conflict(f"Message {message.id} is {message.status}: it cannot be sent")
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    verdict = check_outgoing(
        message.body,
        subject=message.subject if message.channel == "email" else None,
        languages=_languages(customer, message),
        stage=stage,
        reply_to=_last_inbound(session, case.id),
        fault=case.fault,
    )
    overridden = _gate(session, case, message, verdict, actor, override, override_reason, now)
    warnings = _promise(session, case, customer, message, next_update_at, promise_from, now)
    record(session, case, CHECKED, author, _figures(message, verdict), at=now)
    message.checked_sha256 = text_sha256(message.subject, message.body)
    queue_in(session, case, message, author, now)
    return Approval(message, verdict, overridden, warnings=warnings)


def compose_and_approve(
    db: Database,
    case_id: int,
    *,
    client_key: str,
    body: str,
    subject: str | None = None,
    channel: str = "email",
    stage: str | None = None,
    language: str | None = None,
    author: str = "system",
    actor: Actor = None,
    at: dt.datetime | None = None,
    **gate: Any,
) -> Approval:
    """Save the composer's text as the draft keyed ``client_key`` and approve it.

    The key is the composer's (one per draft shown): the same key posted twice (a
    double-click, a retried request, two tabs racing) yields one message; the later
    posts get the first one's result with ``repeated`` set. A draft the gate refused is
    updated with the new text when the agent posts again with the same key. ``gate``
    is what ``approve`` takes (``next_update_at``, ``promise_from``, ``override``,
    ``override_reason``, ``library``).
    """
    key = v.text(client_key, "client_key", max_length=64)
    v.choice(channel, CHANNELS, "channel")
    body = v.text(body, "body", max_length=100_000)
    subject = v.optional_text(subject, "subject", max_length=500)
    now = at or utcnow()
    message_id = _keyed_draft(
        db, case_id, key, body, subject, channel, stage, language, author, now, actor
    )
    try:
        return approve(db, message_id, author=author, actor=actor, at=now, **gate)
    except AlreadySent:
        with db.reading() as session:
            message = session.get(Message, message_id)
            assert message is not None
        return Approval(message, None, repeated=True)


def _keyed_draft(
    db: Database,
    case_id: int,
    key: str,
    body: str,
    subject: str | None,
    channel: str,
    stage: str | None,
    language: str | None,
    author: str,
    now: dt.datetime,
    actor: Actor,
) -> int:
    """The id of the draft with this key on the case: made, or brought up to date."""
    for _attempt in range(2):
        try:
            with db.transaction() as session:
                case = _case(session, case_id, for_update=True)
                check(session, actor, case)
                existing = session.scalar(
                    select(Message).where(Message.case_id == case.id, Message.client_key == key)
                )
                if existing is not None:
                    if existing.direction != "out":
                        raise Conflict("That key belongs to a customer's message", field="key")
                    if existing.status in APPROVABLE and (
                        existing.body != body
                        or existing.subject != subject
                        or existing.channel != channel
                    ):
                        existing.body, existing.subject, existing.channel = body, subject, channel
                    return existing.id
                customer = session.get(Customer, case.customer_id)
                assert customer is not None
                lang = language if language in LANGUAGES else customer.language
                message = Message(
                    case_id=case.id,
                    direction="out",
                    channel=channel,
                    language=lang,
                    stage=stage or None,
                    subject=subject,
                    body=body,
                    status="draft",
                    author=author,
                    recipient=customer.email if channel == "email" else None,
                    client_key=key,
                    attempts=0,
                    created_at=now,
                )
                session.add(message)
                session.flush()
                message.message_id = make_message_id(message.id, case.id)
                record(
                    session,
                    case,
                    "message_drafted",
                    author,
                    {
                        "message_id": message.id,
                        "direction": "out",
                        "channel": channel,
                        "language": lang,
                        "subject": subject,
                        "stage": stage or None,
                    },
                    at=now,
                )
                return message.id
        except IntegrityError:
            # Another request with the same key made the draft a moment ago: use it.
            continue
    raise Conflict("The draft could not be saved: try again", field="key")


def log_call(
    db: Database,
    case_id: int,
    *,
    notes: str,
    script: str | None = None,
    author: str = "system",
    actor: Actor = None,
    next_update_at: dt.datetime | None = None,
    promise_from: str | None = None,
    override: bool = False,
    override_reason: str | None = None,
    at: dt.datetime | None = None,
) -> Message:
    """Log a phone call made to the customer: its notes and the script used, as a sent message.

    What was said passes the gate like a written message (the script when there is one,
    else the notes): error-level findings refuse it unless a manager overrides, and a
    next-update time promised on the call becomes an open commitment. Raises what
    ``approve`` raises.
    """
    notes = v.text(notes, "notes", max_length=100_000)
    script = v.optional_text(script, "script", max_length=100_000)
    v.aware(next_update_at, "next_update_at")
    now = at or utcnow()
    body = notes if script is None else f"{notes}\n\n---\n{script}"
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        customer = session.get(Customer, case.customer_id)
        assert customer is not None
        message = Message(
            case_id=case.id,
            direction="out",
            channel="phone",
            language=customer.language,
            stage="call",
            subject=None,
            body=body,
            status="draft",
            author=author,
            recipient=customer.phone,
            attempts=1,
            created_at=now,
        )
        session.add(message)
        session.flush()
        message.message_id = make_message_id(message.id, case.id)
        verdict = check_outgoing(
            script or notes,
            languages=_languages(customer, message),
            reply_to=_last_inbound(session, case.id),
            fault=case.fault,
        )
        _gate(session, case, message, verdict, actor, override, override_reason, now)
        _promise(session, case, customer, message, next_update_at, promise_from, now)
        record(session, case, CHECKED, author, _figures(message, verdict), at=now)
        message.checked_sha256 = text_sha256(message.subject, message.body)
        message.status = "sent"
        message.sent_at = now
        record(session, case, "message_sent", author, _payload(message), at=now)
        after_sent(session, case, message, now, author)
        return message


def check_bulk(
    texts: Iterable[tuple[str, str | None, str]],
    *,
    stage: str | None = None,
    override: bool = False,
) -> dict[str, str]:
    """Check many outgoing texts (``(language, subject, body)``) for a bulk send.

    Identical texts are checked once. Returns each text's gate fingerprint by body; raises
    ``Blocked`` naming the first text with error-level findings unless ``override``.
    """
    done: dict[tuple[str, str | None, str], str] = {}
    out: dict[str, str] = {}
    for lang, subject, body in texts:
        key = (lang, subject, body)
        if key not in done:
            verdict = check_outgoing(body, subject=subject, languages=[lang], stage=stage)
            if verdict.errors and not override:
                raise Blocked(_blocked_message(verdict), verdict.errors, verdict.report)
            done[key] = text_sha256(subject, body)
        out[body] = done[key]
    return out


def _languages(customer: Customer, message: Message) -> list[str]:
    # The customer's language decides; the message's own is read too when it differs, so
    # a request that labels the text another language cannot slip past the rules.
    return list(dict.fromkeys([customer.language, message.language]))


def _last_inbound(session: Session, case_id: int) -> str | None:
    return session.scalar(
        select(Message.body)
        .where(Message.case_id == case_id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )


def _blocked_message(verdict: Verdict) -> str:
    shown = "; ".join(str(f.get("message")).rstrip(". ") for f in verdict.errors[:3])
    more = f" (and {len(verdict.errors) - 3} more)" if len(verdict.errors) > 3 else ""
    return (
        f"Not sent: {len(verdict.errors)} error-level finding(s) remain: {shown}{more}. "
        "Fix them, or ask a manager to override."
    )


def _gate(
    session: Session,
    case: Case,
    message: Message,
    verdict: Verdict,
    actor: Actor,
    override: bool,
    reason: str | None,
    now: dt.datetime,
) -> list[str]:
    """Block on error-level findings; record a manager's override. Returns the rules
    overridden."""
    if not verdict.errors:
        return []
    if not override:
        raise Blocked(_blocked_message(verdict), verdict.errors, verdict.report)
    agent = resolve(session, actor)
    if agent is None:
        raise NotAllowed("Only a signed-in manager may override the checker", field="override")
    if agent.role not in OVERRIDE_ROLES:
        raise NotAllowed(
            f"{agent.name} is {agent.role}: only a manager may override the checker",
            field="override",
        )
    reason = v.optional_text(reason, "override_reason", max_length=2000)
    payload = {
        "message_id": message.id,
        "findings": verdict.rules,
        "reason": reason,
        "role": agent.role,
    }
    record(session, case, OVERRIDDEN, agent.email, payload, at=now)
    return verdict.rules


def _promise(
    session: Session,
    case: Case,
    customer: Customer,
    message: Message,
    field_at: dt.datetime | None,
    choice: str | None,
    now: dt.datetime,
) -> list[str]:
    """Settle the next-update time from the text and the field; raises ``PromiseConflict``."""
    if field_at is None:
        field_at = message.next_update_at
    decision = resolve_promise(
        message.body,
        message.language or customer.language,
        customer.timezone or "UTC",
        field_at,
        now=now,
        choice=choice,
    )
    if decision.at is not None and decision.at <= now:
        raise InvalidInput("The next update must be in the future", field="next_update_at")
    message.next_update_at = decision.at
    return list(decision.warnings)


def _figures(message: Message, verdict: Verdict) -> dict[str, Any]:
    payload: dict[str, Any] = {"message_id": message.id, **check_figures(verdict.findings)}
    score = verdict.report.get("score")
    if score is not None:
        payload["score"] = score
    return payload


def _offer(db: Database, message_id: int, author: str, library: Any) -> None:
    """Record the options the message offers; a failure here must not undo the approval."""
    try:
        offer_for_message(db, message_id, author=author, library=library)
    except FranklyError:
        log.warning("recording the options of message %s", message_id, exc_info=True)
