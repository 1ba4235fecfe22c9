"""The worker: claim a job, send it, report back; now and then run the cadence.

Email is delivered at least once, and recorded sent only on the server's own reply. The
SMTP sender stops right before the dot that ends DATA while the worker records the job as
``committing`` (guarded by its claim), then writes the dot. A worker killed before that
record leaves the server an unfinished message it discards; the job's lease runs out and
it is sent again. A worker killed after it leaves a ``committing`` job: the server may be
processing the message, may have accepted it, or may drop it when the connection goes;
nobody can tell, so once the lease runs out the job is claimed and sent again. Every retry
keeps the same Message-ID, so a rare duplicate is recognisable as one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from frankly import cases, config
from frankly.cadence import run_due
from frankly.delivery._claim import Job, begin_commit, claim, outbox_counts
from frankly.delivery._config import RetryPolicy
from frankly.delivery._senders import (
    Abandoned,
    DeliveryFailure,
    MailFolderSender,
    PermanentFailure,
    RecordedSender,
    Sender,
    SmtpSender,
    TemporaryFailure,
)
from frankly.errors import Conflict, DatabaseUnavailable
from frankly.playbooks.cadence_texts import texts
from frankly.store import Database, utcnow

log = logging.getLogger(__name__)

CADENCE_EVERY = float(os.environ.get("FRANKLY_CADENCE_EVERY") or 60)


def mail_folder() -> Path:
    """Where email goes when no SMTP server is configured."""
    return config.data_dir() / "mail"


def default_senders() -> dict[str, Sender]:
    """SMTP for email when ``FRANKLY_SMTP_HOST`` is set, else .eml files in the data folder;
    SMS, phone and chat recorded."""
    record_to = os.environ.get("FRANKLY_SMS_LOG") or None
    email: Sender = (
        SmtpSender() if os.environ.get("FRANKLY_SMTP_HOST") else MailFolderSender(mail_folder())
    )
    return {
        "email": email,
        "sms": RecordedSender("sms", record_to),
        "phone": RecordedSender("phone", record_to),
        "chat": RecordedSender("chat", record_to),
    }


@dataclass
class WorkerStats:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    interrupted: int = 0
    abandoned: int = 0  # stopped before the commit point: the claim was lost
    cadence_runs: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        extra = [
            f"resumed {self.interrupted} interrupted" if self.interrupted else "",
            f"abandoned {self.abandoned}" if self.abandoned else "",
        ]
        return f"sent {self.sent}, deferred {self.deferred}, failed {self.failed}" + "".join(
            f", {e}" for e in extra if e
        )


class Worker:
    """Delivers the outbox of one database. Several may run at once, in any processes."""

    def __init__(
        self,
        db: Database,
        *,
        senders: Mapping[str, Sender] | None = None,
        policy: RetryPolicy | None = None,
        name: str | None = None,
        cadence_every: float | None = CADENCE_EVERY,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.senders = dict(senders) if senders is not None else default_senders()
        self.policy = policy or RetryPolicy.from_env()
        self.name = name or f"worker:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.cadence_every = cadence_every
        self.clock = clock
        self.stats = WorkerStats()
        self._last_cadence: float | None = None

    def run_once(self) -> bool:
        """Claim and deliver one job. Returns False when nothing was due."""
        job = claim(self.db, self.name, lease=dt.timedelta(seconds=self.policy.lease))
        if job is None:
            return False
        if job.interrupted:
            self.stats.interrupted += 1
            log.warning("resuming message %s after an interrupted attempt", job.message_pk)
        self.deliver(job)
        return True

    def deliver(self, job: Job) -> None:
        """Send one claimed job and record the outcome on its case."""
        _set_tag(job)
        sender = self.senders.get(job.channel)
        lease = dt.timedelta(seconds=self.policy.lease)
        job.on_commit = lambda: begin_commit(self.db, job, lease=lease, now=self.clock())
        try:
            if job.checked_sha256 != cases.text_sha256(job.subject, job.body):
                # Queued around the gate, or its text changed since: never sent unchecked.
                raise PermanentFailure(
                    "Not sent: this text did not pass the sending gate (approve it again)"
                )
            if sender is None:
                raise PermanentFailure(f"No sender for the {job.channel} channel")
            try:
                sender.send(job)
            except (DeliveryFailure, Abandoned):
                raise
            except Exception as exc:  # a sender's bug: retried, then failed with the reason
                log.exception("sender %s crashed on message %s", job.channel, job.message_pk)
                raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        except Abandoned as exc:
            # Nothing reached the customer; whoever holds the job now reports on it, or
            # the lease runs out and it is claimed again.
            self.stats.abandoned += 1
            log.warning("message %s abandoned: %s", job.message_pk, exc)
            return
        except DeliveryFailure as exc:
            final = isinstance(exc, PermanentFailure) or job.attempts >= self.policy.max_attempts
            retry_at = None if final else self.clock() + self.policy.delay(job.attempts)
            status = cases.mark_attempt_failed(
                self.db,
                job.message_pk,
                error=str(exc),
                retry_at=retry_at,
                worker=self.name,
                attempts=job.attempts,
                claimed_by=self.name,
            )
            if status == "failed":
                self.stats.failed += 1
            else:
                self.stats.deferred += 1
            log.warning("message %s not delivered (%s): %s", job.message_pk, status, exc)
            return
        if cases.mark_sent(self.db, job.message_pk, worker=self.name, attempts=job.attempts):
            self.stats.sent += 1

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        until_empty: bool = False,
        on_idle: Callable[[], None] | None = None,
    ) -> WorkerStats:
        """Deliver until ``stop`` is set (or, with ``until_empty``, until nothing is left).

        An unreachable database is waited out, not fatal: the worker tries again after
        its poll interval.
        """
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                try:
                    self._maybe_run_cadence()
                    if self.run_once():
                        continue
                    if until_empty and self._drained():
                        break
                except DatabaseUnavailable as exc:
                    log.warning("worker waiting for the database: %s", exc)
                except Exception as exc:  # keep delivering: one bad job must not stop all
                    log.exception("worker error")
                    self.stats.errors.append(f"{type(exc).__name__}: {exc}")
                if on_idle is not None:
                    on_idle()
                stop.wait(self.policy.poll)
        finally:
            for sender in self.senders.values():
                sender.close()
        return self.stats

    def _drained(self) -> bool:
        counts = outbox_counts(self.db)
        return counts["queued"] == counts["sending"] == counts["committing"] == 0

    def _maybe_run_cadence(self) -> None:
        if self.cadence_every is None:
            return
        import time

        now = time.monotonic()
        if self._last_cadence is not None and now - self._last_cadence < self.cadence_every:
            return
        self._last_cadence = now
        try:
            run_due(self.db)
            self.stats.cadence_runs += 1
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # one bad case must not stop the delivery of all others
            log.exception("the cadence run failed")
            self.stats.errors.append(str(exc))


def send_now(db: Database, message_pk: int, *, senders: Mapping[str, Sender] | None = None) -> str:
    """Deliver one queued message right away, in this process; returns its status after.

    Raises ``Conflict`` when the message is not queued or another worker holds it.
    """
    worker = Worker(db, senders=senders, cadence_every=None)
    try:
        job = claim(
            db,
            worker.name,
            lease=dt.timedelta(seconds=worker.policy.lease),
            message_pk=message_pk,
        )
        if job is None:
            raise Conflict(
                f"Message {message_pk} is not waiting in the outbox (or a worker is sending it)"
            )
        worker.deliver(job)
    finally:
        for sender in worker.senders.values():
            sender.close()
    return cases.get_message(db, message_pk).status


def start_background_worker(db: Database, **options: object) -> Callable[[], None]:
    """Run a worker in a daemon thread of this process; returns a function that stops it.

    Used by ``frankly serve`` on SQLite so a single machine needs nothing else running.
    Calling the returned function stops the worker and waits for it (up to 10 s).
    """
    worker = Worker(db, **options)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="frankly-worker", daemon=True)
    thread.start()

    def stop_worker() -> None:
        stop.set()
        thread.join(timeout=10)

    return stop_worker


def _set_tag(job: Job) -> None:
    try:
        job.tag = str(texts(job.language)["case_tag"])
    except Exception:  # the tag words are data; a broken file must not stop delivery
        job.tag = "Case"
