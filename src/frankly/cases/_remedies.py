"""Remedies: the options we offered the customer (from the playbook) and the one they chose.

Both are events on the case's timeline: ``option_offered`` (the options, with the words the
customer read) and ``option_chosen`` (the customer's choice, which must be one of the
options offered). A customer may change their mind: the latest choice is the one that holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.cases._access import Actor, check
from frankly.cases._cases import _case
from frankly.cases._playbooks import playbook_library
from frankly.cases._timeline import record
from frankly.errors import InvalidInput, NotFound
from frankly.playbooks import Library, Playbook, compile_template
from frankly.playbooks.formatting import Formatter
from frankly.playbooks.render import Party, fact_values
from frankly.store import Database
from frankly.store.models import Agent, Case, Customer, Event, Message, utcnow

OFFERED = "option_offered"
CHOSEN = "option_chosen"
# The stage type whose whole point is to offer the options.
OPTIONS_STAGE = "options"


@dataclass
class Remedies:
    """What a case's customer was offered and what they chose (None until they choose)."""

    case_id: int
    available: list[dict[str, Any]] = field(default_factory=list)
    offered: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "available": list(self.available),
            "offered": list(self.offered),
            "chosen": self.chosen,
            "history": list(self.history),
        }


def available_remedies(
    db: Database,
    case_id: int,
    lang: str | None = None,
    *,
    library: Library | None = None,
    playbooks_dirs: Sequence[str | Path] | None = None,
) -> list[dict[str, Any]]:
    """The playbook's remedies that apply to this case (tier, severity, fault), each as
    ``{"id", "text", "extra"}`` in ``lang`` (default: the customer's language).

    Raises ``NotFound`` (no such case) and ``UnknownPlaybook`` (no playbook for its kind).
    """
    with db.reading() as session:
        case = _case(session, case_id)
        customer, owner = _people(session, case)
        return _available(
            case, customer, owner, lang, _library(db, library, playbooks_dirs, session)
        )


def offer_options(
    db: Database,
    case_id: int,
    options: Sequence[str] | None = None,
    *,
    lang: str | None = None,
    message_id: int | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
    library: Library | None = None,
    playbooks_dirs: Sequence[str | Path] | None = None,
    actor: Actor = None,
) -> Event:
    """Record that the options ``options`` (remedy ids; default: all that apply) were
    offered to the customer, as one ``option_offered`` event, in one transaction.

    Raises ``NotFound``, ``UnknownPlaybook``, or ``InvalidInput`` when an id is not one of
    the playbook's remedies for this case (the message names those there are) or the list
    is empty.
    """
    v.aware(at, "at")
    books = _library(db, library, playbooks_dirs)
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        customer, owner = _people(session, case)
        if message_id is not None:
            message = session.get(Message, message_id)
            if message is None or message.case_id != case.id:
                raise NotFound(f"No message {message_id} on case {case_id}")
            lang = lang or message.language
        lang = lang or customer.language or "en"
        available = _available(case, customer, owner, lang, books)
        chosen = _pick(available, options, case)
        return record(
            session,
            case,
            OFFERED,
            author,
            {
                "options": chosen,
                "language": lang,
                "message_id": message_id,
            },
            at=at or utcnow(),
        )


def offer_for_message(
    db: Database,
    message_id: int,
    *,
    author: str = "system",
    at: dt.datetime | None = None,
    library: Library | None = None,
    playbooks_dirs: Sequence[str | Path] | None = None,
    actor: Actor = None,
) -> Event | None:
    """Record the options an outbound message offers, when its stage offers any.

    A message offers the options when its stage is of type ``options`` or its template
    lists the remedies. Recorded once per message: calling it again returns None, as it
    does for a message that offers nothing or a case with no playbook. Raises ``NotFound``.
    """
    books = _library(db, library, playbooks_dirs)
    with db.reading() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"No message with id {message_id}")
        case = session.get(Case, message.case_id)
        assert case is not None
        if message.direction != "out" or not message.stage or case.kind not in books:
            return None
        if not _stage_offers(books.get(case.kind), message.stage, message.language, message):
            return None
        for payload in session.scalars(
            select(Event.payload).where(Event.case_id == case.id, Event.kind == OFFERED)
        ):
            if (payload or {}).get("message_id") == message_id:
                return None
    return offer_options(
        db,
        message.case_id,
        message_id=message_id,
        author=author,
        at=at,
        library=books,
        actor=actor,
    )


def choose_option(
    db: Database,
    case_id: int,
    option: str,
    *,
    note: str | None = None,
    author: str = "system",
    at: dt.datetime | None = None,
    actor: Actor = None,
) -> Event:
    """Record the customer's choice among the options offered (``option_chosen``).

    Raises ``NotFound`` and ``InvalidInput`` when nothing was offered yet or ``option``
    is not one of the options offered (the message names those that were).
    """
    v.aware(at, "at")
    option = (option or "").strip()
    with db.transaction() as session:
        case = _case(session, case_id, for_update=True)
        check(session, actor, case)
        offered = _offered(session, case.id)
        if not offered:
            raise InvalidInput(
                f"Nothing has been offered to the customer of case {case_id} yet: "
                "offer the options first",
                field="option",
            )
        if option not in offered:
            raise InvalidInput(
                f"{option!r} was not offered on case {case_id}: choose one of "
                + ", ".join(offered),
                field="option",
            )
        payload: dict[str, Any] = {
            "option": option,
            "text": offered[option]["text"],
            "offer_event_id": offered[option]["event_id"],
        }
        if note and note.strip():
            payload["note"] = note.strip()
        return record(session, case, CHOSEN, author, payload, at=at or utcnow())


def list_remedies(
    db: Database,
    case_id: int,
    lang: str | None = None,
    *,
    library: Library | None = None,
    playbooks_dirs: Sequence[str | Path] | None = None,
) -> Remedies:
    """The options available, offered and chosen on a case. Raises ``NotFound``.

    ``available`` is empty when the case's kind has no playbook.
    """
    books = _library(db, library, playbooks_dirs)
    with db.reading() as session:
        case = _case(session, case_id)
        customer, owner = _people(session, case)
        available = _available(case, customer, owner, lang, books) if case.kind in books else []
        events = list(
            session.scalars(
                select(Event)
                .where(Event.case_id == case.id, Event.kind.in_((OFFERED, CHOSEN)))
                .order_by(Event.id)
            )
        )
    result = Remedies(case_id=case_id, available=available)
    offered: dict[str, dict[str, Any]] = {}
    for event in events:
        payload = dict(event.payload or {})
        entry = {"id": event.id, "kind": event.kind, "at": event.at.isoformat(), **payload}
        entry["author"] = event.author
        result.history.append(entry)
        if event.kind == OFFERED:
            for item in payload.get("options") or []:
                offered[str(item.get("id"))] = {**item, "event_id": event.id}
        elif event.kind == CHOSEN:
            result.chosen = {
                "id": payload.get("option"),
                "text": payload.get("text"),
                "note": payload.get("note"),
                "at": event.at.isoformat(),
                "author": event.author,
            }
    result.offered = list(offered.values())
    return result


def _library(
    db: Database,
    library: Library | None,
    dirs: Sequence[str | Path] | None,
    session: Session | None = None,
) -> Library:
    # The business's library (uploads too) unless the caller already holds it.
    return library if library is not None else playbook_library(db, dirs, session=session)


def _people(session: Session, case: Case) -> tuple[Customer, Agent | None]:
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    owner = session.get(Agent, case.owner_id) if case.owner_id else None
    return customer, owner


def _available(
    case: Case, customer: Customer, owner: Agent | None, lang: str | None, books: Library
) -> list[dict[str, Any]]:
    playbook = books.get(case.kind)
    lang = lang or customer.language or "en"
    context = _context(playbook, books, case, customer, owner, lang)
    out = []
    for remedy in playbook.remedies_for(customer.tier, case.severity, case.fault):
        source = remedy.text.get(lang) or next(iter(remedy.text.values()), "")
        out.append(
            {"id": remedy.id, "text": _render(source, context, remedy.id), "extra": remedy.extra}
        )
    return out


def _context(
    playbook: Playbook,
    books: Library,
    case: Case,
    customer: Customer,
    owner: Agent | None,
    lang: str,
) -> dict[str, Any]:
    """What a remedy's words may name: the case's facts (as message text) and the people."""
    try:
        fmt = Formatter.for_language(books, lang, customer.timezone or "UTC")
        values = fact_values(playbook, dict(case.facts or {}), fmt)
    except InvalidInput:
        # A fact of the wrong type: show the raw values rather than refuse to list options.
        values = {k: v for k, v in (case.facts or {}).items() if v not in (None, "")}
    return {
        **values,
        "facts": values,
        "customer": Party(customer.name, customer.email, customer.phone, customer.company),
        "owner": Party(owner.name, owner.email, owner.phone) if owner else Party(""),
        "tier": customer.tier,
        "severity": case.severity,
        "fault": case.fault,
        "lang": lang,
    }


def _render(source: str, context: dict[str, Any], remedy_id: str) -> str:
    try:
        return " ".join(compile_template(source).render(context).split())
    except TemplateError:
        # A remedy whose words need a fact not known yet is still an option: name it.
        return remedy_id.replace("_", " ")


def _pick(
    available: list[dict[str, Any]], options: Sequence[str] | None, case: Case
) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in available}
    if options is None:
        picked = [r for r in available if not r["extra"]] + [r for r in available if r["extra"]]
    else:
        ids = list(dict.fromkeys(str(o).strip() for o in options if str(o).strip()))
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise InvalidInput(
                f"{', '.join(repr(u) for u in unknown)} is not a remedy for case {case.id}: "
                f"use {', '.join(by_id) or 'none (its playbook offers none)'}",
                field="options",
            )
        picked = [by_id[i] for i in ids]
    if not picked:
        raise InvalidInput(f"No options to offer on case {case.id}", field="options")
    return [{"id": r["id"], "text": r["text"], "extra": r["extra"]} for r in picked]


def _offered(session: Session, case_id: int) -> dict[str, dict[str, Any]]:
    offered: dict[str, dict[str, Any]] = {}
    for event in session.scalars(
        select(Event).where(Event.case_id == case_id, Event.kind == OFFERED).order_by(Event.id)
    ):
        for item in (event.payload or {}).get("options") or []:
            offered[str(item.get("id"))] = {"text": item.get("text"), "event_id": event.id}
    return offered


def _stage_offers(playbook: Playbook, stage_id: str, lang: str, message: Message) -> bool:
    stage = playbook.stages.get(stage_id)
    if stage is None:
        return False
    if stage.type == OPTIONS_STAGE:
        return True
    text = stage.texts.get(lang) or next(iter(stage.texts.values()), None)
    if text is None:
        return False
    if message.channel == "sms":
        source = text.sms
    elif message.channel == "phone":
        source = text.call.options or "remedies"  # a call script lists them unless it says else
    else:
        source = text.email_body
    return "remedies" in source
