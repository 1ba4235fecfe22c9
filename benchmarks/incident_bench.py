"""Benchmark incidents: queue 10,000 personal notices in one transaction, then deliver them
with the outbox worker to a loopback SMTP server (aiosmtpd).

Targets: opening the incident (10,000 new cases) and queueing one update's 10,000 notices
each in under 10 s on SQLite. Delivery throughput is measured, not targeted (it is the
worker's and the SMTP server's number).

Run: ``make bench-incident`` (``.venv/bin/python benchmarks/incident_bench.py``); options:
``--customers N``, ``--deliver N`` (how many notices the worker sends; 0 skips delivery),
``--url URL`` (a PostgreSQL database to use instead of a temporary SQLite file; it must be
empty). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import func, insert, select  # noqa: E402

from frankly import incidents  # noqa: E402
from frankly.store import Agent, Customer, Database, Message  # noqa: E402
from frankly.store.cadence_models import OutboxJob  # noqa: E402

TARGET_QUEUE_S = 10.0
TARGET_OPEN_S = 10.0
TEXTS = {
    "en": (
        "Our supplier's factory stopped for two days, so orders placed since Monday will ship "
        "later than we promised. We are moving production to our second plant now. Questions: "
        "call +44 20 7946 0100."
    ),
    "es": (
        "La fábrica de nuestro proveedor paró dos días, así que los pedidos hechos desde el "
        "lunes saldrán más tarde de lo prometido. Estamos pasando la producción a nuestra "
        "segunda planta. Consultas: +34 910 000 100."
    ),
}


# The update text gives the business's own phone number: the public-text guard allows only
# the numbers and domains the business names as its own.
os.environ.setdefault("FRANKLY_PUBLIC_CONTACTS", "@northwind.example, +44 20 7946 0100")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=2_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="frankly-incident-bench-")
    db = Database(args.url or f"sqlite:///{folder}/bench.db")
    db.upgrade()
    print(f"database: {db.dialect}; customers: {args.customers:,}")

    ids, agent_id = _customers(db, args.customers)
    # Every customer has an order and a new date: the personal line is the expensive one.
    csv = "customer_id,order_number,new_eta\n" + "\n".join(
        f"{cid},{50000 + cid},2026-12-{1 + cid % 28:02d}" for cid in ids
    )
    selection = incidents.parse_csv(csv)

    t0 = time.perf_counter()
    opened = incidents.open_incident(
        db,
        title={"en": "Supplier factory stopped", "es": "Parada en la fábrica del proveedor"},
        impact={"en": "Orders ship later.", "es": "Los pedidos salen más tarde."},
        kind="late_delivery",
        selection=selection,
        owner_id=agent_id,
        author="bench",
    )
    open_s = time.perf_counter() - t0
    print(f"open incident, {opened.opened:,} new cases linked: {open_s:.2f} s")

    t0 = time.perf_counter()
    result = incidents.post_update(
        db, opened.incident.id, texts=TEXTS, status="identified", author="bench"
    )
    queue_s = time.perf_counter() - t0
    rate = result.queued / queue_s if queue_s else 0
    print(
        f"queue one update: {result.queued:,} notices (+ outbox jobs, commitments, events) "
        f"in {queue_s:.2f} s = {rate:,.0f} notices/s"
    )
    with db.reading() as session:
        jobs = session.scalar(select(func.count(OutboxJob.id)))
        messages = session.scalar(select(func.count(Message.id)))
    assert jobs == messages == args.customers, (jobs, messages)

    delivery: dict[str, Any] = {}
    if args.deliver:
        delivery = _deliver(db, min(args.deliver, args.customers))
    ok = queue_s < TARGET_QUEUE_S and open_s < TARGET_OPEN_S
    print(
        f"targets: open < {TARGET_OPEN_S:.0f} s, queue < {TARGET_QUEUE_S:.0f} s: "
        + ("met" if ok else "MISSED")
    )
    if delivery:
        print(
            f"delivery: {delivery['sent']:,} notices to the loopback SMTP server in "
            f"{delivery['seconds']:.1f} s = {delivery['rate']:.0f} messages/s "
            f"(1 worker; the server received {delivery['received']:,})"
        )
    db.dispose()
    return 0 if ok else 1


def _customers(db: Database, count: int) -> tuple[list[int], int]:
    """Bulk-insert the customers (set-up, not measured) and one owning agent."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "name": f"Customer{i} Bench",
            "company": f"Company {i}",
            "email": f"c{i}@bench.example",
            "language": "es" if i % 3 == 0 else "en",
            "tier": "standard",
            "timezone": "Europe/Madrid" if i % 3 == 0 else "Europe/London",
            "created_at": now,
        }
        for i in range(count)
    ]
    with db.transaction() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Customer), rows[start : start + 5000])
        agent = Agent(
            name="Maria Lopez",
            email="maria@bench.example",
            role="manager",
            language="es",
            timezone="Europe/Madrid",
            phone="+34 910 000 101",
            active=True,
            created_at=now,
        )
        session.add(agent)
        session.flush()
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
        return ids, agent.id


def _deliver(db: Database, limit: int) -> dict[str, Any]:
    """Deliver ``limit`` queued notices with the outbox worker to aiosmtpd on loopback."""
    try:
        from aiosmtpd.controller import Controller

        from frankly.delivery import SmtpSender, Worker
    except ImportError as exc:  # the worker or aiosmtpd is not installed
        print(f"delivery skipped: {exc}")
        return {}

    class Sink:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Sink.received += 1
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    os.environ.update(
        {
            "FRANKLY_SMTP_HOST": "127.0.0.1",
            "FRANKLY_SMTP_PORT": str(port),
            "FRANKLY_SMTP_SECURITY": "none",
            "FRANKLY_MAIL_FROM": "Northwind Supplies <support@northwind.example>",
        }
    )
    try:
        worker = Worker(db, senders={"email": SmtpSender()}, cadence_every=None)
        t0 = time.perf_counter()
        sent = 0
        for _ in range(limit):
            if not worker.run_once():
                break
        seconds = time.perf_counter() - t0
        sent = worker.stats.sent
        for sender in worker.senders.values():
            sender.close()
    finally:
        controller.stop()
    return {
        "sent": sent,
        "seconds": seconds,
        "rate": sent / seconds if seconds else 0.0,
        "received": Sink.received,
    }


if __name__ == "__main__":
    sys.exit(main())
