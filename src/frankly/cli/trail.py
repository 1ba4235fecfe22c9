"""``frankly trail …``: check that the paper trail is as it was written."""

from __future__ import annotations

from typing import Annotated

import typer

from frankly.cli._app import app, console, err_console, friendly, open_db, print_json

trail_app = typer.Typer(help="Check the tamper-evident paper trail.", no_args_is_help=True)
app.add_typer(trail_app, name="trail")

SHOWN = 20


@trail_app.command("verify")
@friendly
def verify(
    case: Annotated[
        int | None, typer.Argument(help="One case's id; without it, every case.", min=1)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute the hash chains and message seals; exit 1 naming what no longer matches."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.cases import verify_trail

    report = verify_trail(open_db(), case)
    if as_json:
        print_json(report.to_dict())
    elif report.intact:
        console.print(report.summary(), highlight=False)
    else:
        err_console.print(f"[bold red]{report.summary()}[/]", highlight=False, soft_wrap=True)
        for problem in report.problems[:SHOWN]:
            err_console.print(f"  {problem.describe()}", highlight=False, soft_wrap=True)
        if len(report.problems) > SHOWN:
            err_console.print(f"  … and {len(report.problems) - SHOWN} more (see --json)")
    if not report.intact:
        raise typer.Exit(1)
