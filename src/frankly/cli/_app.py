"""The Typer application and the helpers every command shares.

Commands are thin: parse options, call one library function, print the result, and turn
Frankly's exceptions into one line on stderr with the right exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from frankly.store import Database

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from frankly.errors import FranklyError

app = typer.Typer(
    name="frankly",
    help="Tell customers bad news early, plainly and honestly, and follow through.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def new_table(*columns: str, **options: Any) -> Table:
    """A rich Table; rich.table is imported here, on first use, so that commands without a
    table (``frankly check`` on every save) do not pay for importing it."""
    from rich.table import Table

    return Table(*columns, **options)


# The person named by --as / FRANKLY_AGENT for this invocation (set by the callback).
_acting_as: str | None = None


@app.callback()
def _main(
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="FRANKLY_AGENT",
            help="Act as this agent (email or id): case changes are checked against their role "
            "and ownership. Without it the CLI acts as Frankly itself.",
        ),
    ] = None,
) -> None:
    global _acting_as
    _acting_as = (acting_as or "").strip() or None


P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit with ``code`` (2 for usage, 1 for failure)."""
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn ``FranklyError`` into a one-line error and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FranklyError as exc:
            fail(exc.message, exc.exit_code)

    return wrapper


def open_db(*, upgrade: bool = True) -> Database:
    """The configured database, migrated to the current schema."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.store import Database

    db = Database()
    if upgrade:
        db.upgrade()
    return db


def author() -> str:
    """Who is acting: ``FRANKLY_AUTHOR``, the agent named by ``--as``, or the login name."""
    explicit = os.environ.get("FRANKLY_AUTHOR")
    if explicit:
        return explicit
    if _acting_as:
        return _acting_as
    try:
        return f"{getpass.getuser()} (cli)"
    except Exception:  # pragma: no cover - no login name in some containers
        return "cli"


def actor(db: Database) -> int | None:
    """The id of the agent named by ``--as`` / ``FRANKLY_AGENT``, or None (Frankly itself).

    A name that matches nobody is an error: a typo must not act with the system's rights.
    """
    if not _acting_as:
        return None
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    found = cases.find_agent(db, _acting_as)
    if found is None and _acting_as.isdigit():
        found = next((a for a in cases.list_agents(db) if a.id == int(_acting_as)), None)
    if found is None:
        fail(f"No agent {_acting_as!r} to act as (--as / FRANKLY_AGENT)", 2)
    return found.id


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
