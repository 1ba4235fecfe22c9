"""``frankly playbooks list|show|validate|upload|history``: read, check and upload playbooks.

``list`` and ``show`` read the same library as the web app and the service layer
(``frankly.cases.playbook_library``): built-ins, the business's folders and the playbooks
uploaded into the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from frankly.cli._app import (
    actor,
    app,
    author,
    console,
    fail,
    friendly,
    new_table,
    open_db,
    print_json,
)

if TYPE_CHECKING:
    from frankly.playbooks import Cadence, Library, Playbook

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
    lang: Annotated[str, typer.Option(help="Title language (en, es, any pack).")] = "en",
    playbooks: DirsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every playbook: built-in ones, those in your folders and those uploaded."""
    library = _library(playbooks)
    library.language(lang)
    if as_json:
        print_json([p.to_dict() for p in library])
        return
    table = new_table("id", "title", "fault", "facts", "stages", "from")
    for p in library:
        table.add_row(
            p.id,
            p.text(p.title, lang),
            p.fault,
            str(len(p.facts)),
            str(len(p.stages)),
            _origin(p),
        )
    console.print(table)


@playbooks_app.command("show")
@friendly
def playbooks_show(
    playbook_id: Annotated[str, typer.Argument(metavar="ID", help="The playbook id.")],
    lang: Annotated[str, typer.Option(help="Language (en, es, any pack).")] = "en",
    playbooks: DirsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one playbook: facts to gather, checklist, remedies, cadence and stages."""
    library = _library(playbooks)
    playbook = library.get(playbook_id)
    library.language(lang)
    if lang not in playbook.languages:
        fail(f"The playbook {playbook_id!r} has no {lang!r} text", 2)
    if as_json:
        print_json(playbook.to_dict(lang))
        return
    _print_playbook(playbook, lang)


def _library(dirs: list[Path] | None) -> Library:
    # lazy: keeps frankly --help and frankly check fast (the service layer loads SQLAlchemy)
    from frankly import cases

    return cases.playbook_library(open_db(), [str(d) for d in dirs or []])


def _origin(p: Playbook) -> str:
    if p.builtin:
        return "built-in"
    return "uploaded" if p.uploaded_text is not None else str(p.source)


@playbooks_app.command("upload")
@friendly
def playbooks_upload(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A playbook YAML file.")],
    as_json: JsonOption = False,
) -> None:
    """Store a playbook in the database (new, or a new version of one); a manager's right.

    Every process (web, API, worker, CLI) sees it at once. Exit code 2 with each problem
    (line, reason) when the file is not a valid playbook; nothing is stored then.
    """
    if not file.is_file():
        fail(f"No such file: {file}", 2)
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text", 2)
    db = open_db()
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    playbook = cases.save_playbook(db, source, author=author(), actor=actor(db))
    change = cases.playbook_changes(db, playbook.id)[0]
    if as_json:
        print_json(change)
        return
    console.print(
        f"Stored playbook {playbook.id} (version {change['version']}, {change['action']})",
        highlight=False,
    )


@playbooks_app.command("history")
@friendly
def playbooks_history(
    kind: Annotated[str | None, typer.Argument(metavar="[ID]", help="One playbook id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The record of playbook uploads, edits and imports, newest first."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    changes = cases.playbook_changes(open_db(), kind)
    if as_json:
        print_json(changes)
        return
    table = new_table("when", "id", "version", "change", "by", "sha256")
    for c in changes:
        table.add_row(
            c["at"], c["kind"], str(c["version"]), c["action"], c["author"], c["sha256"][:12]
        )
    console.print(table)


def _print_playbook(p: Playbook, lang: str) -> None:
    t = p.text
    console.print(f"[bold]{t(p.title, lang)}[/] ({p.id}, usual fault: {p.fault})")
    console.print(t(p.description, lang), highlight=False)
    console.print(f"Covers: {t(p.problem, lang)}", highlight=False)
    facts = new_table("fact", "type", "required", "question", title="Facts to gather")
    for f in p.facts.values():
        kind = f"choice: {', '.join(f.choices)}" if f.choices else f.type
        facts.add_row(f.name, kind, "yes" if f.required else "no", f.question_in(lang))
    console.print(facts)
    steps = new_table("step", "stages", "what to do", title="Checklist")
    for s in p.steps:
        steps.add_row(s.id, ", ".join(s.stages) or "all", t(s.text, lang))
    console.print(steps)
    remedies = new_table("remedy", "offered when", "extra", "text", title="Remedies")
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

    if not folder.is_dir():
        fail(f"No such folder: {folder}", 2)
    # lazy: keeps frankly --help and frankly check fast
    from frankly.playbooks import validate_dir

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
