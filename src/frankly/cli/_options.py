"""What several command modules share: the ``--json`` option, how a time is printed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def when(value: dt.datetime) -> str:
    """A stored (UTC) time as the commands print it."""
    return value.strftime("%Y-%m-%d %H:%M UTC")
