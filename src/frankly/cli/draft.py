"""``frankly draft CASE_ID --stage …``: compose a message from the case's playbook."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly.compose import Draft

from pathlib import Path
from typing import Annotated

import typer

from frankly.cli._app import actor, app, author, console, fail, friendly, open_db, print_json


@app.command("draft")
@friendly
def draft_command(
    case_id: Annotated[int, typer.Argument(metavar="CASE_ID", help="The case to write about.")],
    stage: Annotated[
        str, typer.Option(help="The playbook stage: first_notice, update, options, ...")
    ],
    channel: Annotated[str, typer.Option(help="email, sms or call (a call script).")] = "email",
    lang: Annotated[
        str | None, typer.Option(help="A language pack's code (default: the customer's language).")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Save as a draft message on the case.")
    ] = True,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    playbooks: Annotated[
        list[Path] | None,
        typer.Option("--playbooks", help="A folder of your own playbooks (repeatable)."),
    ] = None,
) -> None:
    """Draft a message for a case: facts, customer and owner through its playbook's stage.

    The draft names the next update time; saved, it is a draft message with a proposed
    commitment on the case's timeline. A missing required fact is an error naming it.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.compose import draft
    from frankly.store import utcnow

    if output not in ("text", "json"):
        fail(f"Unknown format {output!r}: use text or json", 2)
    db = open_db()
    dirs = [str(p) for p in playbooks or []]
    now = utcnow()  # one moment for both, so the printed and saved times agree
    view = cases.show_case(db, case_id)
    # The business's library (uploads too): what ``frankly case open`` accepted drafts here.
    library = cases.playbook_library(db, dirs)
    composed = draft(view, stage, channel, lang, now=now, library=library)
    message_id: int | None = None
    if save:
        message = cases.save_draft(
            db,
            case_id,
            stage,
            channel,
            lang,
            author=author(),
            now=now,
            library=library,
            actor=actor(db),
        )
        message_id = message.id
    if output == "json":
        print_json({**composed.to_dict(), "saved_message_id": message_id})
        return
    _print(composed, message_id)


def _print(d: Draft, message_id: int | None) -> None:
    console.print(
        f"[dim]Case {d.case_id} · {d.kind} · {d.stage} · {d.channel} · {d.language}"
        f"{f' · to {d.recipient}' if d.recipient else ''}[/]",
        highlight=False,
        soft_wrap=True,
    )
    if d.subject:
        console.print(d.subject, style="bold", highlight=False, markup=False)
    console.print()
    console.print(d.body, highlight=False, markup=False, soft_wrap=True)
    console.print()
    for warning in d.warnings:
        console.print(f"[yellow]Warning:[/] {warning}", highlight=False)
    console.print(
        f"[dim]Next update promised: {d.next_update_text} "
        f"({d.next_update_at.isoformat()}); proposed as a commitment when saved.[/]",
        highlight=False,
        soft_wrap=True,
    )
    if message_id is not None:
        console.print(f"[dim]Saved as draft message {message_id}.[/]", highlight=False)
    else:
        console.print("[dim]Not saved (--no-save).[/]", highlight=False)
