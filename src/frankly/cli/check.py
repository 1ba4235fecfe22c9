"""``frankly check``: the candour checker on files or standard input.

The work is in ``_check_run`` (shared with ``main``'s fast path); this module is the Typer
command: its options and help.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frankly.check import RULES_ENV
from frankly.cli._app import app
from frankly.cli._check_run import CheckFailed, error_line, read_text, run_check, window

STAGES = "first_notice, update, options, resolution, follow_up, payment_reminder, public_statement"


@app.command("check")
def check_command(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files to check; - (or nothing) reads stdin.")
    ] = None,
    lang: Annotated[
        str, typer.Option(help="A language of an installed pack (en, es...) or auto (detect).")
    ] = "auto",
    stage: Annotated[
        str | None,
        typer.Option(help=f"Message stage for the structure checks: {STAGES}."),
    ] = None,
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="The customer's message this replies to.")
    ] = None,
    fault: Annotated[
        str | None, typer.Option(help="Whose fault: ours, partner, customer, outside.")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    min_severity: Annotated[
        str, typer.Option(help="Show findings at or above: suggestion, warning, error.")
    ] = "suggestion",
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 when a finding is at or above: error, warning, suggestion.")
    ] = "error",
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help=f"A rule pack folder (repeatable; also {RULES_ENV})."),
    ] = None,
) -> None:
    """Check a customer message for doublespeak, blame, evasion and missing facts.

    Exit code 0 when no finding is at or above --fail-on, 1 otherwise, 2 for bad input.
    """
    try:
        code = run_check(
            files,
            lang=lang,
            stage=stage,
            reply_to=reply_to,
            fault=fault,
            output=output,
            min_severity=min_severity,
            fail_on=fail_on,
            rules=rules,
        )
    except CheckFailed as exc:
        error_line(exc.message)
        raise typer.Exit(exc.code) from None
    if code:
        raise typer.Exit(code)


__all__ = ["check_command", "read_text", "window"]
