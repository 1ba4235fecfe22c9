"""The ``frankly`` command. Each module below adds its commands to the one Typer app."""

from __future__ import annotations

# Importing a command module registers its commands on ``app``.
from frankly.cli import _cases, _db, cadence, check, draft, incidents, playbooks, triage, users  # noqa: F401
from frankly.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
