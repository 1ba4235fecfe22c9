"""The demo business: Northwind Supplies, a wholesaler with customers in English and Spanish.

The business is data (``frankly/data/demo``): ``agents.yml``, ``customers.csv`` and
``cases.yml``, checked against ``schema.json`` when first read. ``load_demo(db)`` writes it
through the service layer, so the demo's timelines are real paper trails. Loading twice adds
nothing: agents and customers are found by email, cases by their ``demo:`` reference.

The demo is dated relative to the day it is loaded, so it never drifts out of date: a
date fact is ``{day: n}`` in the YAML (``Day(n)`` here: n days from that day), a moment
``{ago: hours}`` (``Ago(hours)``), and texts say ``{day:n}`` (the date written out in the
customer's language) or ``{month:n}`` (the name of the month n months away).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import string
import zoneinfo
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from babel.dates import format_date

from frankly import cases
from frankly.errors import InvalidInput
from frankly.store import Database, utcnow


@dataclass(frozen=True)
class Day:
    """A date ``days`` after the day the demo is loaded (before it when negative)."""

    days: int


@dataclass(frozen=True)
class Ago:
    """A moment ``hours`` before the demo is loaded."""

    hours: float


@dataclass
class Step:
    """One thing that happened on a demo case, ``hours`` before the demo was loaded."""

    hours: float
    kind: str  # "state", "note", "in", "out", "fact"
    value: Any = None
    subject: str | None = None


@dataclass
class DemoCase:
    ref: str
    customer: str  # email
    owner: str  # email
    kind: str
    title: str
    severity: str
    fault: str
    known_hours: float
    facts: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    def facts_at(self, now: dt.datetime) -> dict[str, Any]:
        """The facts as the case records them when the demo is loaded at ``now``."""
        return {k: _resolve(v, now, self.language, self.timezone) for k, v in self.facts.items()}

    def title_at(self, now: dt.datetime) -> str:
        return _text(self.title, now, self.language, self.timezone)

    @property
    def language(self) -> str:
        return _customer(self.customer)[4]

    @property
    def timezone(self) -> str:
        return _customer(self.customer)[6]


def _local_day(now: dt.datetime, tz: str) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(tz)).date()


def _resolve(value: Any, now: dt.datetime, lang: str, tz: str) -> Any:
    if isinstance(value, Day):
        return (_local_day(now, tz) + dt.timedelta(days=value.days)).isoformat()
    if isinstance(value, Ago):
        return (now - dt.timedelta(hours=value.hours)).replace(microsecond=0).isoformat()
    if isinstance(value, str):
        return _text(value, now, lang, tz)
    return value


class _Dates(string.Formatter):
    """Fills ``{day:n}`` and ``{month:n}`` relative to the day the demo is loaded."""

    def __init__(self, today: dt.date, lang: str) -> None:
        self.today, self.lang = today, lang

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return key

    def format_field(self, value: Any, format_spec: str) -> str:
        offset = int(format_spec or 0)
        if value == "day":
            day = self.today + dt.timedelta(days=offset)
            pattern = "d MMMM" if self.lang == "en" else "d 'de' MMMM"
            if day.year != self.today.year:
                pattern += " y" if self.lang == "en" else " 'de' y"
            return format_date(day, pattern, locale=self.lang)
        if value == "month":
            index = self.today.year * 12 + self.today.month - 1 + offset
            first = dt.date(index // 12, index % 12 + 1, 1)
            return format_date(first, "LLLL", locale=self.lang)
        raise ValueError(f"unknown demo placeholder {value!r}")  # pragma: no cover


def _text(value: str, now: dt.datetime, lang: str, tz: str) -> str:
    if "{" not in value:
        return value
    return _Dates(_local_day(now, tz), lang).format(value)


def data_dir() -> Path:
    """The folder holding the demo business's data files."""
    return Path(str(resources.files("frankly") / "data" / "demo"))


def _when(value: Any) -> Any:
    """``{day: n}`` / ``{ago: h}`` from the YAML as ``Day`` / ``Ago``; other values as they are."""
    if isinstance(value, dict) and set(value) == {"day"}:
        return Day(int(value["day"]))
    if isinstance(value, dict) and set(value) == {"ago"}:
        return Ago(float(value["ago"]))
    if isinstance(value, dict):
        return {k: _when(v) for k, v in value.items()}
    return value


def read_demo(
    folder: str | Path | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, ...]], list[DemoCase]]:
    """(agents, customers, cases) from the demo's data files; ``InvalidInput`` names the
    file and the place when one does not fit the schema or names someone unknown."""
    root = Path(folder) if folder is not None else data_dir()
    schema = json.loads((root / "schema.json").read_text(encoding="utf-8"))
    agents = yaml.safe_load((root / "agents.yml").read_text(encoding="utf-8")) or []
    with io.StringIO((root / "customers.csv").read_text(encoding="utf-8")) as text:
        customers = [dict(row) for row in csv.DictReader(text)]
    raw_cases = yaml.safe_load((root / "cases.yml").read_text(encoding="utf-8")) or []
    data = {"agents": agents, "customers": customers, "cases": raw_cases}
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data)
    )
    if error is not None:
        where = list(error.absolute_path)
        files = {"agents": "agents.yml", "customers": "customers.csv", "cases": "cases.yml"}
        name = files.get(str(where[0]), "demo") if where else "demo"
        place = "/".join(str(p) for p in where[1:])
        raise InvalidInput(f"{root / name}: at {place or 'the top'}: {error.message}")
    people = {a["email"] for a in agents} | {c["email"] for c in customers}
    built: list[DemoCase] = []
    for i, spec in enumerate(raw_cases):
        for role in ("customer", "owner"):
            if spec[role] not in people:
                raise InvalidInput(
                    f"{root / 'cases.yml'}: case {i} ({spec['ref']}): no agent or customer "
                    f"{spec[role]!r}"
                )
        steps = [
            Step(s["hours"], s["kind"], _when(s["value"]), s.get("subject"))
            for s in spec.get("steps", [])
        ]
        built.append(
            DemoCase(
                spec["ref"],
                spec["customer"],
                spec["owner"],
                spec["kind"],
                spec["title"],
                spec["severity"],
                spec["fault"],
                spec["known_hours"],
                {k: _when(v) for k, v in spec["facts"].items()},
                steps,
            )
        )
    columns = ("name", "company", "email", "phone", "language", "tier", "timezone")
    rows = [tuple(c[k] for k in columns) for c in customers]
    return agents, rows, built


@functools.cache
def _demo() -> tuple[list[dict[str, Any]], list[tuple[str, ...]], list[DemoCase]]:
    return read_demo()


def __getattr__(name: str) -> Any:
    # AGENTS, CUSTOMERS and CASES are read from the data files on first use, not on import.
    index = {"AGENTS": 0, "CUSTOMERS": 1, "CASES": 2}.get(name)
    if index is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _demo()[index]


def _customer(email: str) -> tuple[str, ...]:
    return next(c for c in _demo()[1] if c[2] == email)


@dataclass
class DemoResult:
    agents: int = 0
    customers: int = 0
    cases: int = 0
    skipped: int = 0

    def summary(self) -> str:
        if not (self.agents or self.customers or self.cases):
            return f"The demo data is already loaded ({self.skipped} demo cases present)."
        return (
            f"Loaded the demo business: {self.agents} agents, {self.customers} customers, "
            f"{self.cases} cases."
        )


def load_demo(db: Database, *, now: dt.datetime | None = None) -> DemoResult:
    """Write the demo business through the service layer; skip what is there already."""
    now = now or utcnow()
    result = DemoResult()
    agent_ids: dict[str, int] = {}
    agents, customers, specs = _demo()
    for person in agents:
        agent = cases.find_agent(db, person["email"])
        if agent is None:
            agent = cases.add_agent(db, **person)
            result.agents += 1
        agent_ids[person["email"]] = agent.id
    customer_ids: dict[str, int] = {}
    for name, company, email, phone, language, tier, timezone in customers:
        customer = cases.find_customer(db, email)
        if customer is None:
            customer = cases.add_customer(
                db,
                name=name,
                company=company,
                email=email,
                phone=phone,
                language=language,
                tier=tier,
                timezone=timezone,
            )
            result.customers += 1
        customer_ids[email] = customer.id
    for spec in specs:
        if cases.find_case_by_ref(db, spec.ref) is not None:
            result.skipped += 1
            continue
        _load_case(db, spec, customer_ids, agent_ids, now)
        result.cases += 1
    # The portal outage above hit many customers at once: it runs as one incident.
    from frankly.incidents import load_demo_incident

    load_demo_incident(db, now=now)
    # Promises kept and missed, chased cases, milestones, a code, a review.
    from frankly.cadence import load_demo_cadence

    load_demo_cadence(db, now=now)
    return result


def _load_case(
    db: Database,
    spec: DemoCase,
    customer_ids: dict[str, int],
    agent_ids: dict[str, int],
    now: dt.datetime,
) -> None:
    def ago(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    owner_email = spec.owner
    case = cases.open_case(
        db,
        customer_id=customer_ids[spec.customer],
        kind=spec.kind,
        title=spec.title_at(now),
        severity=spec.severity,
        fault=spec.fault,
        facts=spec.facts_at(now),
        owner_id=agent_ids[owner_email],
        external_ref=spec.ref,
        known_at=ago(spec.known_hours),
        author=owner_email,
        at=ago(spec.known_hours),
    )
    for step in sorted(spec.steps, key=lambda s: -s.hours):
        at = ago(step.hours)
        # Texts that name dates name them relative to the day the demo is loaded.
        value = _resolve(step.value, now, spec.language, spec.timezone)
        subject = _resolve(step.subject, now, spec.language, spec.timezone)
        if step.kind == "state":
            cases.change_state(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "note":
            cases.add_note(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "fact":
            cases.record_facts(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "in":
            cases.add_message(
                db,
                case.id,
                direction="in",
                body=value,
                subject=subject,
                sender=spec.customer,
                author=spec.customer,
                at=at,
            )
        elif step.kind == "out":
            cases.add_message(
                db,
                case.id,
                direction="out",
                body=value,
                subject=subject,
                status="sent",
                sender=owner_email,
                author=owner_email,
                at=at,
            )
        else:  # pragma: no cover - a typo in the table above
            raise ValueError(f"unknown demo step {step.kind!r}")
