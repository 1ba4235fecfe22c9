"""Delivery under stress, with real worker processes and a real SMTP server on loopback.

- workers killed with SIGKILL in the middle of a batch, against a server that processes
  each message before answering, then restarted: none lost, each recorded sent once;
- two workers sharing one PostgreSQL outbox;
- the SMTP server down for a while.

Each counts what the server received by Message-ID. Timings are shortened through the
worker's environment (lease, back-off, poll), not by changing the code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from frankly import cases
from frankly.delivery import outbox_counts
from frankly.store import Database, Event, Message

from .test_delivery import Sink, SmtpServer, free_port, make_case

pytestmark = pytest.mark.slow


class ProcessingSink(Sink):
    """A server that processes each message after the end of DATA (a filter, a queue write)
    before it answers 250, and keeps it only if the client is still there to hear the 250:
    aiosmtpd cancels the handler when the connection drops."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


WORKER = [sys.executable, "-c", "from frankly.cli import main; main()", "worker"]


def queue_messages(db: Database, n: int, cases_count: int = 10) -> dict[int, str]:
    """``n`` approved messages spread over several cases: {message pk: Message-ID}."""
    case_ids = []
    for i in range(cases_count):
        case_ids.append(make_case(db, email_address=f"customer{i}@example.com", name=f"C {i}"))
    out: dict[int, str] = {}
    for i in range(n):
        message = cases.add_message(
            db,
            case_ids[i % cases_count],
            direction="out",
            subject=f"Update {i}",
            body=f"Update number {i} on your order.",
            author="james",
        )
        cases.approve_message(db, message.id, author="james")
        assert message.message_id is not None
        out[message.id] = message.message_id
    return out


def start_worker(db: Database, server: SmtpServer, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        **server.env(),
        "FRANKLY_DATABASE_URL": db.url,
        "FRANKLY_WORKER_POLL": "0.05",
        "FRANKLY_OUTBOX_LEASE": "1",
        **env,
    }
    return subprocess.Popen(
        [*WORKER, "--until-empty", "--no-cadence"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the worker did not finish:\n{output.decode()[-3000:]}") from None
    text = output.decode()
    assert process.returncode == 0, text[-3000:]
    return text


def sent_events(db: Database) -> dict[int, int]:
    """How many ``message_sent`` events each message has."""
    with db.reading() as session:
        events = session.scalars(select(Event).where(Event.kind == "message_sent"))
        counts: dict[int, int] = {}
        for event in events:
            key = int(event.payload["message_id"])
            counts[key] = counts.get(key, 0) + 1
        return counts


def statuses(db: Database) -> dict[str, int]:
    with db.reading() as session:
        rows = session.execute(
            select(Message.status, func.count())
            .where(Message.direction == "out")
            .group_by(Message.status)
        )
        return {status: int(n) for status, n in rows}


def kill_after(db: Database, server: SmtpServer, deliveries: int, pause: float) -> int:
    """Start a worker, SIGKILL it ``pause`` seconds after the server has ``deliveries``
    messages (while it processes the next one, or the worker records this one); returns how
    many the server had at the kill."""
    process = start_worker(db, server)
    try:
        wait_for(lambda: server.sink.total() >= deliveries, 60, f"{deliveries} deliveries")
        time.sleep(pause)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    return server.sink.total()


@pytest.mark.parametrize("seed", [7, 1234])
def test_workers_killed_mid_batch_lose_no_message_on_a_slow_server(db: Database, seed: int) -> None:
    # Kills at seeded points of the batch: each lands in a claim, the SMTP dialogue, the
    # server's processing after the end of DATA, or the report of some message. A message
    # may arrive twice (same Message-ID); none may be recorded sent and never arrive.
    rng = random.Random(seed)
    total = 40
    server = SmtpServer(ProcessingSink(delay=0.25))
    server.start()
    try:
        expected = queue_messages(db, total, cases_count=5)
        kills = []
        for low, high in ((2, 10), (14, 22), (26, 34)):
            at = rng.randrange(low, high)
            if server.sink.total() >= at:
                continue
            kills.append(kill_after(db, server, at, pause=rng.uniform(0.0, 0.3)))
        output = finish(start_worker(db, server))
        assert "Worker stopped: sent" in output
    finally:
        server.stop()
    counts = server.sink.counts
    print(f"seed {seed}: killed at {kills} deliveries; restart: {output.strip()[-80:]}")
    assert set(counts) == set(expected.values()), "every message arrives"
    assert statuses(db) == {"sent": total}
    events = sent_events(db)
    assert len(events) == total and set(events.values()) == {1}, "one message_sent each"
    assert outbox_counts(db) == {
        "queued": 0,
        "sending": 0,
        "committing": 0,
        "sent": total,
        "failed": 0,
    }


def test_two_workers_share_a_postgresql_outbox_without_doubles(pg_db: Database) -> None:
    db = pg_db
    server = SmtpServer(Sink())
    server.start()
    try:
        expected = queue_messages(db, 1000, cases_count=20)
        workers = [start_worker(db, server), start_worker(db, server)]
        outputs = [finish(w) for w in workers]
    finally:
        server.stop()
    counts = server.sink.counts
    assert set(counts) == set(expected.values()), "none lost"
    assert max(counts.values()) == 1, "none twice"
    assert sum(counts.values()) == 1000
    assert statuses(db) == {"sent": 1000}
    assert set(sent_events(db).values()) == {1}
    # Both workers took part: SKIP LOCKED lets them work side by side.
    sent_by = [int(out.split("sent ")[1].split(",")[0]) for out in outputs]
    assert sum(sent_by) == 1000 and min(sent_by) > 0, outputs
    print(f"worker split {sent_by}")


def test_messages_wait_and_back_off_while_the_server_is_down(sqlite_db: Database) -> None:
    db = sqlite_db
    port = free_port()
    server = SmtpServer(Sink(), port=port)  # not started: the server is down
    expected = queue_messages(db, 20, cases_count=4)
    process = start_worker(
        db,
        server,
        FRANKLY_OUTBOX_BACKOFF="0.2",
        FRANKLY_OUTBOX_BACKOFF_MAX="1.6",
        FRANKLY_OUTBOX_MAX_ATTEMPTS="50",
        FRANKLY_SMTP_TIMEOUT="2",
    )
    try:

        def tried_three_times() -> bool:
            with db.reading() as session:
                fewest = session.scalar(select(func.min(Message.attempts)))
                return bool(fewest and fewest >= 3)

        wait_for(tried_three_times, 60, "three failed attempts on every message")
        assert server.sink.total() == 0
        assert statuses(db) == {"queued": 20}, "nothing is dropped while the server is down"
        sample = cases.get_message(db, next(iter(expected)))
        assert "Cannot reach the mail server" in (sample.error or "")
        with db.reading() as session:
            deferred = list(
                session.scalars(
                    select(Event)
                    .where(Event.kind == "message_deferred")
                    .where(Event.payload["message_id"].as_integer() == sample.id)
                    .order_by(Event.id)
                )
            )
        retry_at = [dt.datetime.fromisoformat(e.payload["retry_at"]) for e in deferred]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(retry_at[:3])]
        # Each try starts no sooner than the previous retry_at, and sets the next one a
        # back-off later (0.2 s, doubling): so the gaps between retry_at are at least 0.4 s,
        # then 0.8 s. A slow machine only widens them; nothing here is read from a clock.
        assert gaps[0] >= 0.4 and gaps[1] >= 0.8, ("the wait grows", gaps)
        server.start()  # the server is back
        finish(process, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        server.stop()
    counts = server.sink.counts
    assert set(counts) == set(expected.values())
    assert max(counts.values()) == 1
    assert statuses(db) == {"sent": 20}
