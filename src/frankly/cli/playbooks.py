"""``frankly playbooks list|show|validate``: read and check the operational maps."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly.playbooks import Cadence, Playbook

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from frankly.cli._app import app, console, fail, friendly, print_json

playbooks_app = typer.Typer(help="List, read and check playbooks.", no_args_is_help=True)
app.add_typer(playbooks_app, name="playbooks")

DirsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--playbooks",
        help="A folder of your own playbooks (repeatable); same id replaces the built-in.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@playbooks_app.command("list")
@friendly
def playbooks_list(
    lang: Annotated[str, typer.Option(help="The language of the titles: en or es.")] = "en",
    playbooks: DirsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every playbook: built-in ones and those in your folders."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.playbooks import load_library

    library = load_library(playbooks)
    library.language(lang)
    if as_json:
        print_json([p.to_dict() for p in library])
        return
    table = Table("id", "title", "fault", "facts", "stages", "from")
    for p in library:
        table.add_row(
            p.id,
            p.text(p.title, lang),
            p.fault,
            str(len(p.facts)),
            str(len(p.stages)),
            "built-in" if p.builtin else str(p.source),
        )
    console.print(table)


@playbooks_app.command("show")
@friendly
def playbooks_show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID", help="The playbook id.")],
    lang: Annotated[str, typer.Option(help="The language to show: en or es.")] = "en",
    playbooks: DirsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one playbook: facts to gather, checklist, remedies, cadence and stages."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.playbooks import load_library

    library = load_library(playbooks)
    playbook = library.get(playbook_id)
    library.language(lang)
    if lang not in playbook.languages:
        fail(f"The playbook {playbook_id!r} has no {lang!r} text", 2)
    if as_json:
        print_json(playbook.to_dict(lang))
        return
    _print_playbook(playbook, lang)


def _print_playbook(p: Playbook, lang: str) -> None:
    t = p.text
    console.print(f"[bold]{t(p.title, lang)}[/] ({p.id}, usual fault: {p.fault})")
    console.print(t(p.description, lang), highlight=False)
    console.print(f"Covers: {t(p.problem, lang)}", highlight=False)
    facts = Table("fact", "type", "required", "question", title="Facts to gather")
    for f in p.facts.values():
        kind = f"choice: {', '.join(f.choices)}" if f.choices else f.type
        facts.add_row(f.name, kind, "yes" if f.required else "no", f.question_in(lang))
    console.print(facts)
    steps = Table("step", "stages", "what to do", title="Checklist")
    for s in p.steps:
        steps.add_row(s.id, ", ".join(s.stages) or "all", t(s.text, lang))
    console.print(steps)
    remedies = Table("remedy", "offered when", "extra", "text", title="Remedies")
    for r in p.remedies:
        when = "; ".join(
            f"{name} {'/'.join(values)}"
            for name, values in (("tier", r.tiers), ("severity", r.severities), ("fault", r.faults))
            if values
        )
        remedies.add_row(r.id, when or "always", "yes" if r.extra else "", t(r.text, lang))
    console.print(remedies)
    c = p.cadence
    console.print(
        f"Cadence: first notice within {_span(c.first_notice_within.total_seconds())}, "
        f"update every {_span(c.update_every.total_seconds())}, follow-up after "
        f"{c.follow_up_after_days} days, updates sent automatically: "
        f"{'yes' if c.auto_send_updates else 'no'}, working hours only: "
        f"{'yes' if c.working_hours_only else 'no'}",
        highlight=False,
    )
    console.print(_business_settings(c), highlight=False)
    if c.milestones:
        console.print(f"Milestones: {' → '.join(c.milestones)}", highlight=False)
    if c.payment_ladder:
        rungs = ", ".join(f"{s.stage} ({s.offset_days:+d} days)" for s in c.payment_ladder)
        console.print(f"Payment ladder: {rungs}", highlight=False)
    if p.policies:
        console.print(f"Policies quoted: {', '.join(p.policies)}", highlight=False)
    console.print(
        "Stages: " + ", ".join(f"{s.id} ({s.type})" for s in p.stages.values()), highlight=False
    )


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


@playbooks_app.command("validate")
@friendly
def playbooks_validate(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of playbooks.")],
    as_json: JsonOption = False,
) -> None:
    """Check a folder of playbooks; print each problem with file, line and reason.

    Exit code 0 when all are valid, 1 when any has a problem, 2 when DIR is not a folder.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly.playbooks import validate_dir

    if not folder.is_dir():
        fail(f"No such folder: {folder}", 2)
    valid, problems = validate_dir(folder)
    if as_json:
        print_json({"valid": [p.id for p in valid], "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            console.print(str(problem), highlight=False, soft_wrap=True)
        names = ", ".join(p.id for p in valid) or "none"
        console.print(
            f"{len(valid)} valid playbook(s) in {folder}: {names}; {len(problems)} problem(s)",
            highlight=False,
            soft_wrap=True,
        )
    if problems:
        raise typer.Exit(1)


def _business_settings(c: Cadence) -> str:
    """The settings a playbook may leave to the business-wide defaults, and what it chose."""
    default = "business default"
    reminders = default if c.auto_send_reminders is None else _yes(c.auto_send_reminders)
    stuck = (
        default
        if c.milestone_stuck_after is None
        else _span(c.milestone_stuck_after.total_seconds())
    )
    d = c.follow_up_discount
    if d is None:
        code = default
    elif d.enabled is False:
        code = "none"
    else:
        parts = [
            f"{d.percent}%" if d.percent is not None else "default percent",
            f"valid {d.valid_days} days" if d.valid_days is not None else "default validity",
        ]
        code = ", ".join(parts)
    return (
        f"Reminders sent automatically: {reminders}; follow-up discount code: {code}; "
        f"a milestone is stuck after: {stuck}"
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"
