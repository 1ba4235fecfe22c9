"""The Typer application and the helpers every command shares.

Commands are thin: parse options, call one library function, print the result, and turn
Frankly's exceptions into one line on stderr with the right exit code.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from frankly.errors import FranklyError
from frankly.store import Database

app = typer.Typer(
    name="frankly",
    help="Tell customers bad news early, plainly and honestly, and follow through.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

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
    db = Database()
    if upgrade:
        db.upgrade()
    return db


def author() -> str:
    """Who is acting: ``FRANKLY_AUTHOR``, or the login name on this machine."""
    explicit = os.environ.get("FRANKLY_AUTHOR")
    if explicit:
        return explicit
    try:
        return f"{getpass.getuser()} (cli)"
    except Exception:  # pragma: no cover - no login name in some containers
        return "cli"


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
