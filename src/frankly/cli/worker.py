"""``frankly worker``: deliver queued messages and keep the cadence running."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from frankly.cli._app import app, console, friendly, open_db


@app.command("worker")
@friendly
def worker(
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop when nothing is left to send.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="This worker's name in the logs.")] = None,
    no_cadence: Annotated[
        bool,
        typer.Option("--no-cadence", help="Only deliver; leave triggers and reminders alone."),
    ] = False,
) -> None:
    """Deliver queued messages (SMTP settings from FRANKLY_SMTP_*); Ctrl+C stops it."""
    import logging

    # lazy: keeps frankly --help and frankly check fast
    from frankly.delivery import SmtpSettings, Worker, mail_folder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = SmtpSettings.from_env()
    db = open_db()
    options: dict[str, object] = {"name": name}
    if no_cadence:
        options["cadence_every"] = None
    runner = Worker(db, **options)  # type: ignore[arg-type]
    if os.environ.get("FRANKLY_SMTP_HOST"):
        where = f"through {settings.host}:{settings.port} ({settings.security})"
    else:
        where = f"to files in {mail_folder()} (set FRANKLY_SMTP_HOST to send by SMTP)"
    console.print(f"Worker {runner.name} delivering {where} as {settings.from_address}")
    try:
        stats = runner.run(until_empty=until_empty)
    except KeyboardInterrupt:
        stats = runner.stats
    console.print(f"Worker stopped: {stats.summary()}.")
