"""``frankly users …``: people who sign in to the web app, their passwords and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from frankly import cases
from frankly.cli._app import app, console, fail, friendly, open_db

users_app = typer.Typer(help="Add users, set passwords, make API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
@friendly
def add(
    email: Annotated[str, typer.Argument(help="Their email: they sign in with it.")],
    name: Annotated[str, typer.Option(help="Their name, as customers see it.")],
    role: Annotated[str, typer.Option(help="agent, manager or admin.")] = "agent",
    language: Annotated[str, typer.Option(help="Interface language: en or es.")] = "en",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Add a member of staff who can sign in to the web app."""
    from frankly.web.auth import create_user

    agent = create_user(
        open_db(), name=name, email=email, password=password, role=role, language=language
    )
    console.print(f"Added {agent.name} <{agent.email}> as {agent.role} (id {agent.id}).")


@users_app.command("password")
@friendly
def password(
    email: Annotated[str, typer.Argument(help="Whose password to set.")],
    new: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set someone's password (their other sessions end)."""
    from frankly.web.auth import set_password

    db = open_db()
    agent = cases.find_agent(db, email)
    if agent is None:
        fail(f"No user with the email {email}", 1)
    set_password(db, agent.id, new)
    console.print(f"Password set for {agent.email}.")


@users_app.command("token")
@friendly
def token(
    email: Annotated[str, typer.Argument(help="Whose token (it acts as them).")],
    name: Annotated[str, typer.Argument(help="What the token is for.")],
) -> None:
    """Make an API token; it is printed once and cannot be shown again."""
    from frankly.web.auth import issue_token

    db = open_db()
    agent = cases.find_agent(db, email)
    if agent is None:
        fail(f"No user with the email {email}", 1)
    _, raw = issue_token(db, agent.id, name)
    typer.echo(raw)
