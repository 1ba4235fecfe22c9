"""The ``frankly`` command. Each module below adds its commands to the one Typer app."""

from __future__ import annotations

# Importing a command module registers its commands on ``app``.
from frankly.cli import (  # noqa: F401
    _cases,
    _db,
    cadence,
    check,
    draft,
    incidents,
    playbooks,
    trail,
    triage,
    users,
)
from frankly.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
