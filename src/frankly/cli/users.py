"""``frankly users …``: people who sign in to the web app, their passwords and API tokens.

Passwords are never taken from the command line (they would show in ``ps`` and in the
shell's history): they are asked for with a hidden prompt, or read from stdin with
``--password-stdin``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from frankly.cli._app import app, console, fail, friendly, open_db

users_app = typer.Typer(help="Add users, set passwords, make API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ARGV_PASSWORD = (
    "Passwords are not taken on the command line (they would show in ps and in the shell's "
    "history): leave out {option} and type it at the prompt, or pipe it in with --password-stdin"
)
StdinOption = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


def _refuse_argv(value: str | None, option: str) -> None:
    if value is not None:
        fail(ARGV_PASSWORD.format(option=option), 2)


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.accounts import password_problem

    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            fail("--password-stdin: stdin gave no password", 2)
        return password
    while True:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem is None or not sys.stdin.isatty():
            return password  # the service refuses it with the reason when not interactive
        typer.echo(f"{problem}. Try again.", err=True)


@users_app.command("add")
@friendly
def add(
    email: Annotated[str, typer.Argument(help="Their email: they sign in with it.")],
    name: Annotated[str, typer.Option(help="Their name, as customers see it.")],
    role: Annotated[str, typer.Option(help="agent, manager or admin.")] = "agent",
    language: Annotated[str, typer.Option(help="Interface language (en, es, any pack).")] = "en",
    password_stdin: StdinOption = False,
    password: Annotated[str | None, typer.Option("--password", hidden=True)] = None,
) -> None:
    """Add a member of staff who can sign in to the web app (asks for the password)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.accounts import create_user

    _refuse_argv(password, "--password")
    secret = read_password(password_stdin)
    agent = create_user(
        open_db(), name=name, email=email, password=secret, role=role, language=language
    )
    console.print(f"Added {agent.name} <{agent.email}> as {agent.role} (id {agent.id}).")


@users_app.command("password")
@friendly
def password(
    email: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: StdinOption = False,
    new: Annotated[str | None, typer.Option("--new", hidden=True)] = None,
    password: Annotated[str | None, typer.Option("--password", hidden=True)] = None,
) -> None:
    """Set someone's password (asks for it); all their sessions end."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.accounts import set_password

    _refuse_argv(new, "--new")
    _refuse_argv(password, "--password")
    db = open_db()
    agent = cases.find_agent(db, email)
    if agent is None:
        fail(f"No user with the email {email}", 1)
    set_password(db, agent.id, read_password(password_stdin))
    console.print(f"Password set for {agent.email}; their sessions have ended.")


@users_app.command("token")
@friendly
def token(
    email: Annotated[str, typer.Argument(help="Whose token (it acts as them).")],
    name: Annotated[str, typer.Argument(help="What the token is for.")],
    scope: Annotated[
        str, typer.Option(help="read, write or admin (admin only for an admin).")
    ] = "write",
    days: Annotated[int, typer.Option(help="Days until it expires (1 to 730).")] = 90,
) -> None:
    """Make an API token; it is printed once and cannot be shown again."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.accounts import issue_token

    db = open_db()
    agent = cases.find_agent(db, email)
    if agent is None:
        fail(f"No user with the email {email}", 1)
    _, raw = issue_token(db, agent.id, name, scope=scope, days=days)
    typer.echo(raw)
