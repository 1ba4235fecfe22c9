"""Choosing the affected customers: by a query over open cases, a CSV of ids, or by hand."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frankly.cases import validate as v
from frankly.errors import InvalidInput
from frankly.store.models import OPEN_CASE_STATES, Case, Customer

# Bound parameters per statement stay well under SQLite's limit (32,766).
CHUNK = 5000
_ID = re.compile(r"[0-9]{1,18}")
_ID_COLUMNS = ("customer_id", "id", "customer")
_EMAIL_COLUMNS = ("email", "customer_email")


class NobodySelected(InvalidInput):
    """The selection matched no customer: nothing was opened or linked."""


@dataclass
class Selection:
    """Which customers an incident affects. Every part given adds customers.

    ``kind`` and ``facts`` select customers with an open case of that kind whose facts
    match (that case is linked, not a new one opened); ``case_ids`` links those cases;
    ``customer_ids`` and ``emails``
    pick customers by hand or from a CSV (a case is opened for each, with the CSV's other
    columns as its facts, kept in ``facts_by_customer``).
    """

    kind: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    customer_ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    facts_by_customer: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.kind or self.facts or self.customer_ids or self.emails or self.case_ids)

    def describe(self) -> dict[str, Any]:
        """What was asked for, for the incident's record (no customer data beyond ids)."""
        out: dict[str, Any] = {}
        if self.kind or self.facts:
            out["open_cases"] = {"kind": self.kind, "facts": dict(self.facts)}
        if self.case_ids:
            out["cases"] = len(self.case_ids)
        if self.customer_ids or self.emails:
            out["customers"] = len(self.customer_ids) + len(self.emails)
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Affected:
    customer_id: int
    case_id: int | None
    facts: dict[str, Any]


def parse_csv(text: str, *, source: str = "CSV") -> Selection:
    """A CSV with a ``customer_id`` (or ``id``) or an ``email`` column; other columns are facts.

    A file of bare ids, one per line, works too. Raises ``InvalidInput`` naming the line.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput(f"The {source} is empty", field="csv")
    selection = Selection(source=source)
    first = [c.strip().lower() for c in next(csv.reader([lines[0]]))]
    if all(_is_id(cell) for cell in first):
        for number, line in enumerate(lines, start=1):
            cells = [c.strip() for c in next(csv.reader([line]))]
            if not cells or not _is_id(cells[0]):
                raise InvalidInput(f"{source} line {number}: {line!r} is not a customer id")
            selection.customer_ids.append(int(cells[0]))
        return selection
    id_col = next((c for c in _ID_COLUMNS if c in first), None)
    email_col = next((c for c in _EMAIL_COLUMNS if c in first), None)
    if id_col is None and email_col is None:
        raise InvalidInput(
            f"{source} line 1: no customer_id, id or email column (found {', '.join(first)})",
            field="csv",
        )
    fact_cols = [c for c in first if c not in (id_col, email_col) and c]
    for col in fact_cols:
        v.fact_key(col)
    reader = csv.DictReader(io.StringIO("\n".join(lines)), fieldnames=first)
    next(reader)
    for number, row in enumerate(reader, start=2):
        key: int | str
        raw_id = (row.get(id_col) or "").strip() if id_col else ""
        if raw_id:
            if not _is_id(raw_id):
                raise InvalidInput(f"{source} line {number}: {raw_id!r} is not a customer id")
            key = int(raw_id)
            selection.customer_ids.append(key)
        else:
            email = v.email((row.get(email_col) or "") if email_col else "", "email")
            if email is None:
                raise InvalidInput(f"{source} line {number}: no customer id or email")
            key = email
            selection.emails.append(email)
        facts = {c: (row.get(c) or "").strip() for c in fact_cols if (row.get(c) or "").strip()}
        if facts:
            selection.facts_by_customer[key] = facts
    return selection


def resolve(session: Session, selection: Selection) -> list[Affected]:
    """The customers a selection means, each once, in a stable order.

    Raises ``InvalidInput`` for unknown ids or emails, ``NobodySelected`` when nothing
    matches.
    """
    if selection.empty:
        raise NobodySelected(
            "Say who is affected: a kind of open case, a CSV of customers, or customer ids",
            field="selection",
        )
    chosen: dict[int, Affected] = {}
    if selection.kind or selection.facts:
        for customer_id, case_id, facts in _open_cases(session, selection):
            chosen.setdefault(customer_id, Affected(customer_id, case_id, dict(facts or {})))
    if selection.case_ids:
        rows = {
            case_id: (customer_id, facts)
            for case_id, customer_id, facts in session.execute(
                select(Case.id, Case.customer_id, Case.facts).where(
                    Case.id.in_(list(dict.fromkeys(selection.case_ids)))
                )
            ).all()
        }
        unknown = [i for i in dict.fromkeys(selection.case_ids) if i not in rows]
        if unknown:
            raise InvalidInput(f"No case with id {_few(unknown)}", field="cases")
        for case_id in selection.case_ids:
            customer_id, facts = rows[case_id]
            chosen.setdefault(customer_id, Affected(customer_id, case_id, dict(facts or {})))
    by_hand: list[tuple[int, dict[str, Any]]] = []
    if selection.customer_ids:
        found = set(_existing_ids(session, selection.customer_ids))
        missing = [i for i in dict.fromkeys(selection.customer_ids) if i not in found]
        if missing:
            raise InvalidInput(f"No customer with id {_few(missing)}", field="customers")
        by_hand += [(i, selection.facts_by_customer.get(i, {})) for i in selection.customer_ids]
    if selection.emails:
        ids = _ids_by_email(session, selection.emails)
        missing_emails = [e for e in dict.fromkeys(selection.emails) if e not in ids]
        if missing_emails:
            raise InvalidInput(f"No customer with email {_few(missing_emails)}", field="customers")
        by_hand += [(ids[e], selection.facts_by_customer.get(e, {})) for e in selection.emails]
    for customer_id, facts in by_hand:
        if customer_id not in chosen:
            chosen[customer_id] = Affected(customer_id, None, dict(facts))
    if not chosen:
        what = selection.kind or "any kind"
        facts_text = ", ".join(f"{k}={val}" for k, val in selection.facts.items())
        raise NobodySelected(
            f"No customer has an open case of {what}"
            + (f" with {facts_text}" if facts_text else "")
            + ": nobody was selected",
            field="selection",
        )
    return list(chosen.values())


def _open_cases(session: Session, selection: Selection) -> Iterable[tuple[int, int, Any]]:
    stmt = select(Case.customer_id, Case.id, Case.facts).where(Case.state.in_(OPEN_CASE_STATES))
    if selection.kind:
        stmt = stmt.where(Case.kind == selection.kind)
    for key, value in selection.facts.items():
        v.fact_key(key)
        stmt = stmt.where(func.lower(Case.facts[key].as_string()) == str(value).lower())
    return session.execute(stmt.order_by(Case.id)).all()


def _existing_ids(session: Session, ids: Sequence[int]) -> list[int]:
    found: list[int] = []
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        part = unique[start : start + CHUNK]
        found += session.scalars(select(Customer.id).where(Customer.id.in_(part)))
    return found


def _ids_by_email(session: Session, emails: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(e.lower() for e in emails))
    for start in range(0, len(unique), CHUNK):
        part = unique[start : start + CHUNK]
        rows = session.execute(
            select(Customer.email, Customer.id).where(func.lower(Customer.email).in_(part))
        ).all()
        found.update({str(email).lower(): cid for email, cid in rows})
    return found


def _is_id(text: str) -> bool:
    """Plain ASCII digits of a size the database holds ("²" is a digit to Python, not an id)."""
    return _ID.fullmatch(text) is not None


def _few(items: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")
