"""A busy Frankly business for ``make bench-web``: 100,000 cases and 1,000,000 events.

Two years of a wholesaler's bad news: 40 agents in four teams, 10,000 customers (English and
Spanish), every playbook kind, most cases resolved, followed up or reviewed, about 2-3% still
open. Each case's paper trail matches its state: notices sent, promises made and kept or
missed, replies received (with their triage), triggers, milestones, follow-ups, codes,
reviews. Texts come from the demo business (``frankly.demo``); triage reports are the real
ones (``frankly.triage``), computed once per distinct reply.

Rows are written with PostgreSQL's COPY (psycopg), ids given explicitly, sequences set after.
Everything is seeded, so two loads with the same ``now`` are identical.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg

from frankly.cadence import settings_for
from frankly.demo import CASES as DEMO_CASES
from frankly.demo import CUSTOMERS as DEMO_CUSTOMERS
from frankly.playbooks import get_playbook
from frankly.web.auth import hash_password

# Bump when the generated data changes, so a cached database is rebuilt.
GENERATOR_VERSION = 4
PASSWORD = "bench-password-2026"
SEED = 20261123

KINDS = {  # kind: share of cases
    "late_delivery": 24,
    "billing_error": 15,
    "defective_product": 12,
    "wrong_item": 11,
    "overdue_payment": 10,
    "service_outage": 8,
    "return_refused": 7,
    "overpromised": 7,
    "poor_results": 6,
}
SEVERITY = {"low": 20, "medium": 45, "high": 28, "critical": 7}
FAULT = {"ours": 65, "partner": 17, "outside": 12, "customer": 6}

FIRST = {
    "en": [
        "James",
        "Priya",
        "Sarah",
        "Tom",
        "Olivia",
        "Daniel",
        "Emma",
        "Noah",
        "Grace",
        "Liam",
        "Chloe",
        "Henry",
        "Amelia",
        "Jack",
        "Sophie",
        "Oscar",
        "Ruby",
        "Leo",
        "Isla",
        "Ethan",
        "Mia",
        "Samuel",
        "Ava",
        "Harry",
        "Zoe",
    ],
    "es": [
        "Lucía",
        "Carmen",
        "Javier",
        "Marta",
        "Pablo",
        "Elena",
        "Diego",
        "Sofía",
        "Andrés",
        "Laura",
        "Miguel",
        "Isabel",
        "Álvaro",
        "Paula",
        "Sergio",
        "Nuria",
        "Raúl",
        "Teresa",
        "Jorge",
        "Alba",
        "Hugo",
        "Irene",
        "Mateo",
        "Clara",
        "Adrián",
    ],
}
LAST = {
    "en": [
        "Carter",
        "Shah",
        "Mitchell",
        "Becker",
        "Grant",
        "Hughes",
        "Walker",
        "Patel",
        "Turner",
        "Brooks",
        "Evans",
        "Clarke",
        "Wright",
        "Lewis",
        "Hall",
        "Young",
        "King",
        "Scott",
        "Green",
        "Baker",
        "Adams",
        "Hill",
        "Ward",
        "Cole",
        "Fox",
    ],
    "es": [
        "Fernández",
        "López",
        "Ruiz",
        "García",
        "Martínez",
        "Sánchez",
        "Romero",
        "Navarro",
        "Torres",
        "Domínguez",
        "Vázquez",
        "Ramos",
        "Gil",
        "Serrano",
        "Molina",
        "Blanco",
        "Morales",
        "Ortega",
        "Delgado",
        "Castro",
        "Rubio",
        "Marín",
        "Sanz",
        "Iglesias",
        "Núñez",
    ],
}
COMPANY = {
    "en": [
        "Retail",
        "Cafés",
        "Builders",
        "Foods",
        "Studio",
        "Interiors",
        "Logistics",
        "Pharmacy",
        "Garden",
        "Hotels",
        "Print",
        "Bakery",
        "Motors",
        "Outdoor",
        "Office",
        "Dental",
    ],
    "es": [
        "Distribuciones",
        "Ferretería",
        "Cafetería",
        "Construcciones",
        "Alimentación",
        "Estudio",
        "Farmacia",
        "Hoteles",
        "Imprenta",
        "Panadería",
        "Talleres",
        "Jardinería",
        "Clínica",
        "Muebles",
    ],
}
ZONES = {"en": ["Europe/London", "America/New_York", "Europe/Dublin"], "es": ["Europe/Madrid"]}


@dataclass
class Texts:
    """The demo business's words, by kind and language."""

    titles: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    out: dict[tuple[str, str], list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    inbound: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    triage: dict[str, str] = field(default_factory=dict)  # body -> triage report (JSON)
    stages: dict[str, list[str]] = field(default_factory=dict)
    follow_up_after: dict[str, dt.timedelta] = field(default_factory=dict)


def load_texts() -> Texts:
    from frankly.triage import triage

    texts = Texts()
    language = {c[2]: c[4] for c in DEMO_CUSTOMERS}
    for case in DEMO_CASES:
        lang = language[case.customer]
        texts.titles[case.kind, lang].append(case.title)
        texts.facts[case.kind, lang].append(case.facts)
        for step in case.steps:
            if step.kind == "out":
                texts.out[case.kind, lang].append((step.subject or case.title, step.value))
                texts.out["*", lang].append((step.subject or case.title, step.value))
            elif step.kind == "in":
                texts.inbound[lang].append((step.subject or f"Re: {case.title}", step.value))
    for pairs in texts.inbound.values():
        for _, body in pairs:
            texts.triage[body] = json.dumps(triage(body).to_dict())
    for kind in KINDS:
        texts.stages[kind] = list(get_playbook(kind).stages)
        texts.follow_up_after[kind] = dt.timedelta(days=settings_for(kind).follow_up_after_days)
    return texts


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


class Business:
    """All rows of the benchmark business, built in memory, then copied in."""

    def __init__(self, now: dt.datetime, n_cases: int, n_events: int) -> None:
        self.now = now
        self.n_cases = n_cases
        self.n_events = n_events
        self.rng = random.Random(SEED)
        self.texts = load_texts()
        self.agents: list[tuple[Any, ...]] = []
        self.customers: list[tuple[Any, ...]] = []
        self.cases: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.messages: list[tuple[Any, ...]] = []
        self.commitments: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []
        self.reviews: list[tuple[Any, ...]] = []
        self.steps: list[tuple[Any, ...]] = []
        self.codes: list[tuple[Any, ...]] = []
        self.milestones: list[tuple[Any, ...]] = []
        self.open_by_agent: dict[int, int] = defaultdict(int)

    # ------------------------------------------------------------------ people

    def people(self) -> None:
        rng = self.rng
        password_hash = hash_password(PASSWORD)
        created = _naive(self.now - dt.timedelta(days=800))
        self.agent_ids: dict[str, list[int]] = {"en": [], "es": []}
        self.manager_of: dict[int, int] = {}
        self.agent_email: dict[int, str] = {}
        aid = 0
        for team in range(4):
            lang = "en" if team < 2 else "es"
            manager = aid + 1
            for member in range(10):
                aid += 1
                name = f"{FIRST[lang][(aid * 7) % 25]} {LAST[lang][(aid * 11) % 25]}"
                email = f"agent{aid:02d}@bench.example"
                if member == 0:
                    email = f"manager{team + 1}@bench.example"
                role = "manager" if member == 0 else "agent"
                self.agents.append(
                    (
                        aid,
                        name,
                        email,
                        role,
                        lang,
                        ZONES[lang][0],
                        f"+44 20 7946 {aid:04d}",
                        password_hash,
                        None if member == 0 else manager,
                        True,
                        created,
                    )
                )
                self.agent_email[aid] = email
                self.manager_of[aid] = manager
                if role == "agent":
                    self.agent_ids[lang].append(aid)
        self.customer_lang: list[str] = []
        self.customer_email: list[str] = []
        for cid in range(1, 10_001):
            lang = "en" if rng.random() < 0.64 else "es"
            first, last = rng.choice(FIRST[lang]), rng.choice(LAST[lang])
            company = f"{last} {rng.choice(COMPANY[lang])}" if rng.random() < 0.8 else None
            email = f"{first.lower()}.{cid}@customer{cid % 97}.example"
            self.customers.append(
                (
                    cid,
                    f"{first} {last}",
                    company,
                    email,
                    f"+34 600 {cid:06d}",
                    lang,
                    "key" if rng.random() < 0.1 else "standard",
                    rng.choice(ZONES[lang]),
                    created,
                )
            )
            self.customer_lang.append(lang)
            self.customer_email.append(email)

    # ------------------------------------------------------------------ cases

    def build(self) -> None:
        self.people()
        rng = self.rng
        span = 730 * 86400
        ages = sorted((rng.random() * span for _ in range(self.n_cases)), reverse=True)
        self.event_id = 0
        self.message_id = 0
        self.commitment_id = 0
        self.step_id = 0
        for index, age in enumerate(ages):
            self.case(index + 1, dt.timedelta(seconds=age))
        self.top_up()

    def state_for(self, age_days: float) -> str:
        r = self.rng.random()
        if age_days < 2:
            open_share = 0.95
        elif age_days < 7:
            open_share = 0.75
        elif age_days < 21:
            open_share = 0.45
        else:
            open_share = 0.012
        if r < open_share:
            if age_days < 0.3:
                return self.rng.choices(["open", "notified"], [60, 40])[0]
            return self.rng.choices(["open", "notified", "resolving"], [8, 55, 37])[0]
        r = self.rng.random()
        if age_days < 10:
            return "resolved" if r < 0.85 else "cancelled"
        if age_days < 30:
            return self.rng.choices(
                ["resolved", "followed_up", "reviewed", "cancelled"], [45, 37, 6, 12]
            )[0]
        return self.rng.choices(
            ["resolved", "followed_up", "reviewed", "cancelled"], [48, 35, 5, 12]
        )[0]

    def case(self, case_id: int, age: dt.timedelta) -> None:
        rng = self.rng
        now = self.now
        known = now - age
        state = self.state_for(age.total_seconds() / 86400)
        if state == "notified" and age < dt.timedelta(hours=2):
            state = "open"
        kind = _pick(rng, KINDS)
        customer = (
            min(int(rng.paretovariate(1.2)) - 1, 9_999)
            if rng.random() < 0.3
            else rng.randrange(10_000)
        )
        lang = self.customer_lang[customer]
        customer_id = customer + 1
        owner: int | None = rng.choice(self.agent_ids[lang])
        if state == "open" and rng.random() < 0.03:
            owner = None  # arrived by mail, nobody has picked it up yet
        author = self.agent_email[owner] if owner else "inbound"
        severity = _pick(rng, SEVERITY)
        fault = _pick(rng, FAULT)
        order = str(rng.randrange(1000, 99999))
        title = re.sub(r"\d{3,}", order, rng.choice(self.texts.titles[kind, lang]))
        facts = {
            k: (re.sub(r"^\d{3,}$", order, v) if isinstance(v, str) else v)
            for k, v in rng.choice(self.texts.facts[kind, lang]).items()
        }
        opened = known + dt.timedelta(minutes=rng.randrange(1, 90))
        if opened > now:
            opened = now - dt.timedelta(minutes=1)
            known = min(known, opened)
        story = Story(self, case_id, kind, lang, customer_id, owner, author, opened)
        story.event(
            "case_opened",
            opened,
            {
                "kind": kind,
                "title": title,
                "severity": severity,
                "fault": fault,
                "state": "open",
                "facts": facts,
                "customer_id": customer_id,
                "owner_id": owner,
            },
        )
        notified_at = resolved_at = chased_at = None
        current = "open"
        end = now if state in ("open", "notified", "resolving") else None
        if rng.random() < 0.12:
            key = rng.choice(list(facts) or ["note"])
            at = story.later(opened, 0.2, 6)
            if at < now:
                story.event(
                    "fact_recorded", at, {"key": key, "value": facts.get(key), "previous": None}
                )
        if state == "open" or (state == "cancelled" and rng.random() < 0.4):
            # Nothing told yet: maybe a draft waits, maybe the customer chased.
            r = rng.random()
            if state == "open" and r < 0.3:
                story.outbound(
                    "first_notice", story.later(opened, 0.05, 2, cap=now), status="draft"
                )
            elif state == "open" and r < 0.38:
                story.outbound(
                    "first_notice", story.later(opened, 0.05, 2, cap=now), status="queued"
                )
            if rng.random() < 0.12:
                chased_at = story.later(opened, 0.5, 8, cap=now)
                story.event(
                    "chased",
                    chased_at,
                    {"reason": "before_first_notice"},
                    author=self.customer_email[customer],
                )
            if state == "cancelled":
                story.state(current, "cancelled", story.later(opened, 1, 48, cap=now))
            self.add_case(
                case_id,
                kind,
                title,
                severity,
                fault,
                state,
                facts,
                customer_id,
                owner,
                known,
                None,
                None,
                chased_at,
                opened,
                story.last,
            )
            return
        # The first notice: usually within the playbook's four hours, sometimes late.
        delay = rng.choice([0.3, 0.8, 1.5, 2.5, 3.5]) if rng.random() < 0.85 else rng.uniform(5, 30)
        first = min(opened + dt.timedelta(hours=delay), now - dt.timedelta(minutes=5))
        first = max(first, opened + dt.timedelta(minutes=1))
        if rng.random() < 0.08:
            chased_at = opened + (first - opened) / 2
            story.event(
                "chased",
                chased_at,
                {"reason": "before_first_notice"},
                author=self.customer_email[customer],
            )
        story.send("first_notice", first)
        notified_at = first
        # Many problems are put right within the day: the first notice says so, no promise.
        quick = state not in ("notified", "resolving") and rng.random() < 0.65
        if not quick:
            story.promise(first, hours=24)
        story.state("open", "notified", first + dt.timedelta(minutes=1))
        current = "notified"
        if kind == "late_delivery" and rng.random() < 0.3:
            story.milestone(first + dt.timedelta(hours=rng.uniform(2, 30)), end)
        # Updates until the case is resolved (closed cases) or until now (open ones).
        if end is None:
            hours = rng.uniform(1, 8) if quick else rng.choice([6, 12, 20, 30, 50, 80, 120])
            length = dt.timedelta(hours=hours)
            end = min(first + length, now - dt.timedelta(hours=1))
        moment = first
        updates = 0
        while updates < 3:
            step = dt.timedelta(hours=rng.uniform(10, 30))
            if moment + step >= end:
                break
            moment += step
            updates += 1
            if rng.random() < 0.25:
                story.inbound(moment - dt.timedelta(hours=rng.uniform(0.5, 6)), lang)
            story.send("update" if "update" in self.texts.stages[kind] else "options", moment)
            story.promise(moment, hours=24)
            if updates == 1 and state != "notified":
                story.state("notified", "resolving", moment + dt.timedelta(minutes=2))
                current = "resolving"
        if state in ("notified", "resolving"):
            self.open_by_agent[owner or 0] += 1
            if state == "resolving" and current == "notified":
                story.state("notified", "resolving", story.later(moment, 0.1, 2, cap=now))
            # Most open cases had an update within the last day or so; a promise runs.
            latest = now - dt.timedelta(hours=rng.uniform(0.5, 30))
            if latest > moment + dt.timedelta(hours=2) and rng.random() < 0.75:
                moment = latest
                story.send("update" if "update" in self.texts.stages[kind] else "options", moment)
                story.promise(moment, hours=24)
            story.open_tail(moment)
            self.add_case(
                case_id,
                kind,
                title,
                severity,
                fault,
                state,
                facts,
                customer_id,
                owner,
                known,
                notified_at,
                None,
                chased_at,
                opened,
                story.last,
            )
            return
        if state == "cancelled":
            story.settle(end, "commitment_cancelled", "cancelled")
            story.state(current, "cancelled", end)
            self.add_case(
                case_id,
                kind,
                title,
                severity,
                fault,
                state,
                facts,
                customer_id,
                owner,
                known,
                notified_at,
                None,
                chased_at,
                opened,
                story.last,
            )
            return
        # Resolved: the resolution notice, the last promise kept, the state. A follow-up
        # goes a week later, a review a day after that: only what has happened by now.
        follow_up_after = self.texts.follow_up_after[kind]
        if state == "reviewed" and end + follow_up_after + dt.timedelta(days=1.2) > now:
            state = "followed_up"
        if state == "followed_up" and end + follow_up_after + dt.timedelta(days=0.1) > now:
            state = "resolved"
        recent = now - end < dt.timedelta(days=21)
        if state == "resolved" and not recent:
            # Marked resolved, then the resolution notice: no follow-up is owed on it.
            story.state(current, "resolved", end)
            story.send("resolution", end + dt.timedelta(minutes=3), promise_settled=True)
            resolved_at = end
        else:
            story.send("resolution", end, promise_settled=True)
            story.state(current, "resolved", end + dt.timedelta(minutes=3))
            resolved_at = end + dt.timedelta(minutes=3)
        if state in ("followed_up", "reviewed"):
            due = resolved_at + follow_up_after
            story.follow_up(due, done=True)
            story.state("resolved", "followed_up", due + dt.timedelta(minutes=5))
        elif state == "resolved" and recent:
            # The worker schedules a follow-up for every resolved case (``run_due``) and
            # drafts it on its day; a drafted one waits here for an agent to approve it.
            due = resolved_at + follow_up_after
            story.follow_up(due, done=False, drafted=due <= now)
        if state == "reviewed" or (
            state == "resolved"
            and recent
            and severity in ("high", "critical")
            and rng.random() < 0.5
        ):
            story.review(resolved_at, done=state == "reviewed", was=state)
        self.add_case(
            case_id,
            kind,
            title,
            severity,
            fault,
            state,
            facts,
            customer_id,
            owner,
            known,
            notified_at,
            resolved_at,
            chased_at,
            opened,
            story.last,
        )

    def add_case(self, *values: Any) -> None:
        (
            case_id,
            kind,
            title,
            severity,
            fault,
            state,
            facts,
            customer_id,
            owner,
            known,
            notified,
            resolved,
            chased,
            created,
            updated,
        ) = values
        self.cases.append(
            (
                case_id,
                kind,
                title,
                severity,
                fault,
                state,
                json.dumps(facts),
                customer_id,
                owner,
                f"bench:{case_id}",
                _naive(known),
                _naive(notified) if notified else None,
                _naive(resolved) if resolved else None,
                _naive(chased) if chased else None,
                _naive(created),
                _naive(max(updated, created)),
            )
        )

    def top_up(self) -> None:
        """Notes on random cases until the timeline holds exactly ``n_events`` events."""
        missing = self.n_events - len(self.events)
        if missing < 0:
            raise RuntimeError(f"{len(self.events)} events generated, more than {self.n_events}")
        rng = self.rng
        notes = [
            "Called the customer; they prefer email.",
            "Carrier confirmed the new date by phone.",
            "Finance checked the invoice again.",
            "Llamé al cliente; prefiere que le escribamos.",
            "El almacén confirma la fecha nueva.",
        ]
        for _ in range(missing):
            row = self.cases[rng.randrange(len(self.cases))]
            created, updated = row[14], row[15]
            at = created + (updated - created) * rng.random()
            self.event_id += 1
            email = self.agent_email.get(row[8] or 0, "frankly")
            self.events.append(
                (
                    self.event_id,
                    row[0],
                    "note_added",
                    email,
                    at,
                    json.dumps({"text": rng.choice(notes)}),
                    None,
                )
            )
        # Ids in the order things happened, as a live system writes them.
        self.events.sort(key=lambda e: e[4])
        self.events = [(i + 1, *e[1:]) for i, e in enumerate(self.events)]
        self.messages.sort(key=lambda m: m[18])


class Story:
    """One case's paper trail as it is written."""

    def __init__(
        self,
        biz: Business,
        case_id: int,
        kind: str,
        lang: str,
        customer_id: int,
        owner: int | None,
        author: str,
        opened: dt.datetime,
    ) -> None:
        self.biz = biz
        self.rng = biz.rng
        self.case_id = case_id
        self.kind = kind
        self.lang = lang
        self.customer_email = biz.customer_email[customer_id - 1]
        self.owner = owner
        self.author = author
        self.last = opened
        self.last_sent: dt.datetime | None = None
        self.open_commitment: tuple[int, dt.datetime, int | None] | None = None

    def later(
        self, moment: dt.datetime, low: float, high: float, cap: dt.datetime | None = None
    ) -> dt.datetime:
        at = moment + dt.timedelta(hours=self.rng.uniform(low, high))
        if cap is not None and at > cap:
            at = max(moment, cap - dt.timedelta(minutes=1))
        return at

    def event(
        self, kind: str, at: dt.datetime, payload: dict[str, Any], author: str | None = None
    ) -> None:
        b = self.biz
        b.event_id += 1
        b.events.append(
            (
                b.event_id,
                self.case_id,
                kind,
                author or self.author,
                _naive(at),
                json.dumps(payload),
                None,
            )
        )
        self.last = max(self.last, at)

    def state(self, old: str, new: str, at: dt.datetime) -> None:
        self.event("state_changed", at, {"from": old, "to": new})

    def outbound(self, stage: str, at: dt.datetime, status: str) -> int:
        """An outbound message in ``status`` (draft, queued, sent, failed) with its events."""
        b = self.biz
        b.message_id += 1
        mid = b.message_id
        subject, body = self.rng.choice(
            b.texts.out.get((self.kind, self.lang)) or b.texts.out["*", self.lang]
        )
        rfc = f"<frankly.{self.case_id}.{mid}.bench@frankly.localhost>"
        base = {"message_id": mid, "channel": "email", "language": self.lang, "subject": subject}
        queued = status in ("queued", "failed") or (status == "sent" and self.rng.random() < 0.06)
        if status == "draft" or (queued and self.rng.random() < 0.5):
            self.event("message_drafted", at, base)
        if queued:
            full = {**base, "rfc_message_id": rfc, "stage": stage}
            self.event("message_approved", at + dt.timedelta(seconds=20), full)
            self.event("message_queued", at + dt.timedelta(seconds=20), full)
        sent_at = at + dt.timedelta(seconds=40) if status == "sent" else None
        if status == "sent":
            self.event("message_sent", sent_at, base)
            self.last_sent = sent_at
        if status == "failed":
            self.event(
                "message_failed",
                at + dt.timedelta(minutes=30),
                {**base, "error": "550 mailbox unavailable"},
            )
        b.messages.append(
            (
                mid,
                self.case_id,
                "out",
                "email",
                self.lang,
                stage,
                subject,
                body,
                status,
                self.author,
                rfc,
                None,
                self.author,
                self.customer_email,
                None,
                None,
                5 if status == "failed" else (1 if queued and status == "sent" else 0),
                "550 mailbox unavailable" if status == "failed" else None,
                _naive(at),
                _naive(sent_at) if sent_at else None,
                None,
            )
        )
        if queued or status in ("queued", "failed"):
            state = {"sent": "sent", "queued": "queued", "failed": "failed"}[status]
            b.outbox.append(
                (
                    len(b.outbox) + 1,
                    mid,
                    state,
                    1,
                    _naive(at),
                    None,
                    None,
                    None,
                    _naive(at),
                    _naive(sent_at or at),
                )
            )
        return mid

    def send(self, stage: str, at: dt.datetime, promise_settled: bool = True) -> int:
        if self.open_commitment is not None:
            _, due, _ = self.open_commitment
            self.settle(
                at,
                "commitment_kept" if at <= due else "commitment_missed",
                "kept" if at <= due else "missed",
            )
        return self.outbound(stage, at, "sent")

    def promise(self, at: dt.datetime, hours: float) -> None:
        b = self.biz
        b.commitment_id += 1
        due = at + dt.timedelta(hours=hours)
        mid = b.message_id
        payload = {
            "commitment_id": b.commitment_id,
            "due_at": _iso(due),
            "message_id": mid,
            "description": "Next update, as promised in our last message",
        }
        self.event("commitment_made", at + dt.timedelta(seconds=41), payload)
        b.commitments.append(
            [
                b.commitment_id,
                self.case_id,
                mid,
                _naive(due),
                payload["description"],
                "open",
                _naive(at),
                None,
            ]
        )
        self.open_commitment = (b.commitment_id, due, mid)

    def settle(self, at: dt.datetime, kind: str, status: str) -> None:
        if self.open_commitment is None:
            return
        cid, due, mid = self.open_commitment
        row = self.biz.commitments[cid - 1]
        if kind == "commitment_missed":
            # The cadence worker marks it missed when it falls due; the next message is late.
            self.event(
                kind,
                due + dt.timedelta(minutes=5),
                {
                    "commitment_id": cid,
                    "due_at": _iso(due),
                    "message_id": mid,
                    "description": row[4],
                },
                author="frankly",
            )
            row[7] = _naive(due + dt.timedelta(minutes=5))
        else:
            self.event(
                kind,
                at,
                {
                    "commitment_id": cid,
                    "due_at": _iso(due),
                    "message_id": mid,
                    "description": row[4],
                },
                author="frankly",
            )
            row[7] = _naive(at)
        row[5] = status
        self.open_commitment = None

    def inbound(self, at: dt.datetime, lang: str) -> None:
        b = self.biz
        b.message_id += 1
        subject, body = self.rng.choice(b.texts.inbound[lang])
        rfc = f"<reply.{self.case_id}.{b.message_id}@customer.example>"
        self.event(
            "message_received",
            at,
            {"message_id": b.message_id, "channel": "email", "language": lang, "subject": subject},
            author=self.customer_email,
        )
        b.messages.append(
            (
                b.message_id,
                self.case_id,
                "in",
                "email",
                lang,
                None,
                subject,
                body,
                "received",
                self.customer_email,
                rfc,
                None,
                self.customer_email,
                self.author,
                None,
                b.texts.triage[body],
                0,
                None,
                _naive(at),
                None,
                _naive(at),
            )
        )

    def milestone(self, at: dt.datetime, cap: dt.datetime | None) -> None:
        if cap is not None and at >= cap:
            return
        b = self.biz
        mid = len(b.milestones) + 1
        code = self.rng.choice(["handed_to_carrier", "at_customs", "at_our_warehouse"])
        happened = at.replace(microsecond=0)
        b.milestones.append(
            (mid, self.case_id, code, None, _naive(happened), _naive(at), "carrier feed", None)
        )
        self.event(
            "milestone_recorded",
            at,
            {"milestone_id": mid, "code": code, "happened_at": _iso(happened), "note": None},
            author="carrier feed",
        )

    def open_tail(self, moment: dt.datetime) -> None:
        """What an open case looks like now: a reply waiting, a trigger, a draft, a failure."""
        rng, now = self.rng, self.biz.now
        r = rng.random()
        if r < 0.22:
            self.inbound(self.later(moment, 0.5, 20, cap=now), self.lang)
        elif r < 0.28 and self.kind == "late_delivery":
            at = self.later(moment, 0.5, 20, cap=now)
            eta = (at + dt.timedelta(days=5)).date().isoformat()
            promised = (at + dt.timedelta(days=1)).date().isoformat()
            self.event(
                "trigger_fired",
                at,
                {
                    "key": f"new_eta:{eta}",
                    "reason": f"the new delivery date {eta} is after the date we promised, "
                    f"{promised}",
                    "trigger": "new_eta",
                    "values": {"new_eta": eta, "promised_date": promised},
                    "since": _iso(at),
                },
                author="frankly",
            )
        elif r < 0.36:
            self.outbound("update", self.later(moment, 0.5, 10, cap=now), status="draft")
        elif r < 0.37:
            self.outbound("update", self.later(moment, 0.5, 10, cap=now), status="failed")
        if self.open_commitment is not None:
            _, due, _ = self.open_commitment
            if due < now - dt.timedelta(minutes=5):
                self.settle(due, "commitment_missed", "missed")

    def follow_up(self, due: dt.datetime, done: bool, drafted: bool = False) -> None:
        """A follow-up step: sent (``done``), drafted and waiting, or still to come."""
        b = self.biz
        scheduled = due - b.texts.follow_up_after[self.kind]
        b.step_id += 1
        self.event(
            "follow_up_scheduled",
            scheduled,
            {"step_id": b.step_id, "kind": "follow_up", "stage": "follow_up", "due_at": _iso(due)},
            author="frankly",
        )
        mid = None
        if drafted and not done:
            mid = self.outbound("follow_up", min(due + dt.timedelta(minutes=1), b.now), "draft")
        if done:
            mid = self.send("follow_up", due + dt.timedelta(minutes=1))
            if self.rng.random() < 0.2:
                code = f"THANKS-{self.case_id:08X}"
                expires = due + dt.timedelta(days=90)
                redeemed = (
                    due + dt.timedelta(days=self.rng.uniform(3, 60))
                    if self.rng.random() < 0.35
                    else None
                )
                if redeemed and redeemed > b.now:
                    redeemed = None
                self.event(
                    "code_issued",
                    due + dt.timedelta(minutes=1),
                    {"code": code, "percent": 10, "expires_at": _iso(expires)},
                    author="frankly",
                )
                if redeemed:
                    self.event(
                        "code_redeemed",
                        redeemed,
                        {"code": code, "percent": 10},
                        author="shop checkout",
                    )
                b.codes.append(
                    (
                        len(b.codes) + 1,
                        code,
                        self.case_id,
                        int(self.customer_email.split(".")[1].split("@")[0]),
                        10,
                        "redeemed" if redeemed else "issued",
                        _naive(due),
                        _naive(expires),
                        _naive(redeemed) if redeemed else None,
                        "shop checkout" if redeemed else None,
                    )
                )
        b.steps.append(
            (
                b.step_id,
                self.case_id,
                "follow_up",
                "follow_up",
                _naive(due),
                "drafted" if done or drafted else "pending",
                False,
                mid,
                _naive(scheduled),
                _naive(due) if done or drafted else None,
            )
        )

    def review(self, resolved: dt.datetime, done: bool, was: str) -> None:
        b = self.biz
        rid = len(b.reviews) + 1
        reviewer = b.manager_of.get(self.owner or 0, 1)
        due = resolved + dt.timedelta(days=7)
        self.event(
            "review_due",
            resolved + dt.timedelta(minutes=10),
            {"review_id": rid, "reviewer_id": reviewer, "due_at": _iso(due)},
            author="frankly",
        )
        figures = {
            "hours_to_tell": 3.0,
            "chased": False,
            "promises_kept": 1,
            "promises_missed": 0,
            "playbook_link": f"/playbooks/{self.kind}",
        }
        completed = None
        if done:
            completed = min(due + dt.timedelta(days=1), b.now - dt.timedelta(hours=1))
            text = {
                "missed": "We told the customer late.",
                "why": "Nobody owned the case over the weekend.",
                "changes": "A weekend rota for open cases.",
            }
            self.event(
                "review_completed",
                completed,
                {"review_id": rid, **text},
                author=b.agent_email[reviewer],
            )
            self.state("followed_up", "reviewed", completed + dt.timedelta(minutes=1))
        b.reviews.append(
            (
                rid,
                self.case_id,
                self.owner,
                reviewer,
                self.kind,
                "done" if done else "due",
                _naive(due),
                json.dumps(figures),
                "We told the customer late." if done else None,
                None,
                None,
                _naive(resolved),
                _naive(completed) if completed else None,
                b.agent_email[reviewer] if done else None,
            )
        )


COLUMNS = {
    "agents": (
        "id, name, email, role, language, timezone, phone, password_hash, manager_id, active, "
        "created_at"
    ),
    "customers": "id, name, company, email, phone, language, tier, timezone, created_at",
    "cases": (
        "id, kind, title, severity, fault, state, facts, customer_id, owner_id, external_ref, "
        "known_at, notified_at, resolved_at, chased_at, created_at, updated_at"
    ),
    "messages": (
        "id, case_id, direction, channel, language, stage, subject, body, status, author, "
        "message_id, in_reply_to, sender, recipient, next_update_at, triage, attempts, error, "
        "created_at, sent_at, received_at"
    ),
    "commitments": "id, case_id, message_id, due_at, description, status, created_at, settled_at",
    "events": "id, case_id, kind, author, at, payload, corrects_id",
    "outbox": (
        "id, message_id, state, attempts, next_attempt_at, locked_by, locked_until, last_error, "
        "created_at, updated_at"
    ),
    "reviews": (
        "id, case_id, owner_id, reviewer_id, playbook, status, due_at, figures, missed, why, "
        "changes, created_at, completed_at, completed_by"
    ),
    "scheduled_steps": (
        "id, case_id, kind, stage, due_at, status, auto_send, message_id, created_at, done_at"
    ),
    "discount_codes": (
        "id, code, case_id, customer_id, percent, status, issued_at, expires_at, redeemed_at, "
        "redeemed_by"
    ),
    "milestones": "id, case_id, code, note, happened_at, recorded_at, source, update_message_id",
}


def load(
    dsn: str, now: dt.datetime, n_cases: int = 100_000, n_events: int = 1_000_000, say: Any = print
) -> dict[str, Any]:
    """Generate the business and copy it into the (migrated, empty) database at ``dsn``."""
    started = time.perf_counter()
    biz = Business(now, n_cases, n_events)
    biz.build()
    generated = time.perf_counter() - started
    say(
        f"  generated {len(biz.cases):,} cases, {len(biz.events):,} events, "
        f"{len(biz.messages):,} messages, {len(biz.commitments):,} commitments "
        f"in {generated:.1f} s"
    )
    tables = {
        "agents": biz.agents,
        "customers": biz.customers,
        "cases": biz.cases,
        "messages": biz.messages,
        "commitments": biz.commitments,
        "events": biz.events,
        "outbox": biz.outbox,
        "reviews": biz.reviews,
        "scheduled_steps": biz.steps,
        "discount_codes": biz.codes,
        "milestones": biz.milestones,
    }
    with psycopg.connect(dsn, autocommit=False) as conn:
        with conn.cursor() as cur:
            for table, rows in tables.items():
                with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if rows:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {len(rows)})"
                    )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # A VACUUM that runs beside autovacuum's first ANALYZE of the new tables cannot mark
        # their pages all-visible (the ANALYZE holds a snapshot), and index-only scans then
        # read the heap anyway, as a live database would not. Vacuum those tables again.
        for _ in range(5):
            behind = [
                name
                for (name,) in conn.execute(
                    "SELECT relname FROM pg_class JOIN pg_stat_user_tables USING (relname) "
                    "WHERE relpages > 0 AND relallvisible < relpages"
                )
            ]
            if not behind:
                break
            time.sleep(1)
            for name in behind:
                conn.execute(f'VACUUM "{name}"')
    states: dict[str, int] = defaultdict(int)
    for row in biz.cases:
        states[row[5]] += 1
    return {
        "cases": len(biz.cases),
        "events": len(biz.events),
        "messages": len(biz.messages),
        "commitments": len(biz.commitments),
        "customers": len(biz.customers),
        "agents": len(biz.agents),
        "states": dict(states),
        "seconds": round(time.perf_counter() - started, 1),
    }
