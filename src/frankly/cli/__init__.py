"""The ``frankly`` command. Each module below adds its commands to the one Typer app."""

from __future__ import annotations

# Importing a command module registers its commands on ``app``, and ``frankly --help``
# lists them in that order: keep this list in the order of the help, not sorted.
# isort: off
from frankly.cli import (  # noqa: F401
    _cases,
    _db,
    worker,
    sending,
    inbox,
    cadence,
    check,
    draft,
    incidents,
    playbooks,
    trail,
    triage,
    users,
)

# isort: on
from frankly.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
