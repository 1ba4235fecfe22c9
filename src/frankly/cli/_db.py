"""``frankly db …``, ``frankly demo`` and ``frankly serve``."""

from __future__ import annotations

from typing import Annotated

import typer

from frankly.cli._app import app, console, friendly, open_db

db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Create the database or migrate it to the current schema."""
    db = open_db(upgrade=False)
    before = db.current_revision()
    db.upgrade()
    after = db.current_revision()
    if before == after:
        console.print(f"The database is up to date (revision {after}).")
    else:
        console.print(f"Migrated the database from {before or 'empty'} to {after}.")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Say which database is used and whether its schema is current."""
    db = open_db(upgrade=False)
    current, head = db.current_revision(), db.head_revision()
    console.print(f"Database: {db!r}")
    state = "up to date" if current == head else "needs `frankly db upgrade`"
    console.print(f"Schema revision: {current or 'none'} (latest {head}): {state}")


@app.command("demo")
@friendly
def demo() -> None:
    """Load the demo business (idempotent: running it twice adds nothing)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.demo import load_demo

    result = load_demo(open_db())
    console.print(result.summary())


@app.command("serve")
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data first.")] = False,
) -> None:
    """Migrate the database and serve the web app."""
    import uvicorn

    # lazy: keeps frankly --help and frankly check fast
    from frankly.web import create_app

    db = open_db()
    if demo:
        # lazy: keeps frankly --help and frankly check fast
        from frankly.demo import load_demo

        console.print(load_demo(db).summary())
        # lazy: keeps frankly --help and frankly check fast
        from frankly.web import ensure_demo_admin

        made = ensure_demo_admin(db)
        if made:
            email, password = made
            console.print(
                f"Sign in as [bold]{email}[/] with the password [bold]{password}[/] "
                "(shown this once; `frankly users password EMAIL` sets a new one)."
            )
        else:
            console.print(
                "Sign in with your admin account (`frankly users password EMAIL` resets it)."
            )
    web = create_app(db)
    stop_worker = None
    if db.dialect == "sqlite":
        # One machine, one process: deliver the outbox from here so nothing else is needed.
        from frankly.delivery import start_background_worker

        stop_worker = start_background_worker(db)
    console.print(f"Frankly is running on http://{host}:{port}  (Ctrl+C stops it)")
    try:
        # Client addresses come from FRANKLY_TRUSTED_PROXIES alone (see web/_session.py):
        # uvicorn must not rewrite them from X-Forwarded-For on its own.
        uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        if stop_worker is not None:
            stop_worker()
