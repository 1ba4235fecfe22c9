"""Cadence commands: ``frankly today``, ``cadence``, ``milestones``, ``reviews``, ``codes``.

Sending is ``frankly.cli.sending``, the worker ``frankly.cli.worker``, incoming mail
``frankly.cli.inbox``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly.store import Database

from pathlib import Path
from typing import Annotated

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
from frankly.cli._options import JsonOption

milestones_app = typer.Typer(help="Logistics milestones: show movement.", no_args_is_help=True)
app.add_typer(milestones_app, name="milestones")
reviews_app = typer.Typer(
    help="Lessons-learned reviews of resolved cases.", invoke_without_command=True
)
app.add_typer(reviews_app, name="reviews")
codes_app = typer.Typer(help="Single-use thank-you discount codes.", no_args_is_help=True)
app.add_typer(codes_app, name="codes")


@app.command("today")
@friendly
def today_command(
    agent: Annotated[str | None, typer.Option(help="Only this agent's list (id or email).")] = None,
    refresh: Annotated[
        bool,
        typer.Option(help="Bring the cadence up to date first (missed promises, reminders)."),
    ] = True,
    lang: Annotated[
        str | None, typer.Option(help="Language of the list (en, es, any pack).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What each agent owes customers now, most urgent first, and why."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.cadence import headline, run_due, today

    db = open_db()
    agent_id = _agent_id(db, agent)
    if refresh:
        run_due(db)
    rows = today(db, agent_id, lang=lang)
    if as_json:
        print_json({"rows": [r.to_dict() for r in rows], "figures": headline(db)})
        return
    if not rows:
        console.print("Nothing is owed right now.")
        return
    # The action and the reason are what the agent reads: wrap them, never cut them off.
    table = new_table(box=None, show_lines=False, expand=True)
    table.add_column("case", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("what to do", overflow="fold", ratio=1)
    table.add_column("why", overflow="fold", ratio=1)
    for row in rows:
        mark = "[bold red]![/]" if row.alarm else ""
        why = row.why + "".join(f"\n· {r.why}" for r in row.also)
        where = str(row.case_id) if row.case_id is not None else f"incident {row.incident_id}"
        table.add_row(where, mark, row.action, why)
    console.print(table)
    figures = headline(db)
    alarms = sum(1 for r in rows if r.alarm)
    console.print(
        f"{len(rows)} case(s) need you, {alarms} of them alarms. "
        f"Chased: {figures['chased']} of {figures['cases']} cases "
        f"({figures['chased_share']:.0%})."
    )


@app.command("cadence")
@friendly
def cadence_run(as_json: JsonOption = False) -> None:
    """Run the cadence once: missed promises, triggers, reminders, follow-ups, reviews."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.cadence import run_due

    report = run_due(open_db())
    if as_json:
        print_json(report.to_dict())
        return
    console.print(report.summary() + ".")
    for error in report.errors:
        console.print(f"  {error}")


@milestones_app.command("import")
@friendly
def milestones_import(
    file: Annotated[Path, typer.Argument(help="A CSV file: case (or ref), milestone, at, note.")],
    as_json: JsonOption = False,
) -> None:
    """Record milestones from a CSV file; each new one drafts an update for the customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.cadence import import_milestones

    report = import_milestones(open_db(), file, author=author())
    if as_json:
        print_json(report.to_dict())
        return
    for item in report.recorded:
        draft_note = (
            f" → update drafted (message {item['update_message_id']})"
            if item.get("update_message_id")
            else ""
        )
        console.print(f"Case {item['case_id']}: {item['code']}{draft_note}")
    for problem in report.problems:
        console.print(f"[yellow]Skipped[/] {problem}", soft_wrap=True)
    console.print(report.summary() + ".")


@milestones_app.command("add")
@friendly
def milestones_add(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    code: Annotated[str, typer.Argument(help="The milestone, e.g. at_customs.")],
    note: Annotated[str | None, typer.Option(help="A note for the timeline.")] = None,
) -> None:
    """Record one milestone now and draft the update that shows the movement."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    result = cases.record_milestone(db, case_id, code, note=note, author=author(), actor=actor(db))
    if not result.created:
        console.print("That milestone is recorded already.")
    elif result.message is not None:
        console.print(
            f"Recorded {code} on case {case_id}; update drafted as message {result.message.id}."
        )
    else:
        console.print(f"Recorded {code} on case {case_id}.")


@milestones_app.command("list")
@friendly
def milestones_list(case_id: Annotated[int, typer.Argument(help="The case's id.")]) -> None:
    """The milestones of a case, in order."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    for m in cases.list_milestones(open_db(), case_id):
        console.print(f"{m.happened_at:%Y-%m-%d %H:%M}  {m.code}  {m.note or ''}".rstrip())


@reviews_app.callback()
@friendly
def reviews(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="due or done.")] = None,
    search: Annotated[str | None, typer.Option(help="Words in the lessons or title.")] = None,
    reviewer: Annotated[str | None, typer.Option(help="The reviewer (id or email).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List lessons-learned reviews (due first); `frankly reviews complete ID` writes one."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    if ctx.invoked_subcommand is not None:
        return
    db = open_db()
    found = cases.list_reviews(db, status=status, query=search, reviewer_id=_agent_id(db, reviewer))
    if as_json:
        print_json([{**r.to_dict(), "case_title": c.title} for r, c in found])
        return
    table = new_table("id", "case", "status", "due", "title", "lessons", box=None)
    for review, case in found:
        lesson = review.changes or review.missed or ""
        table.add_row(
            str(review.id),
            str(case.id),
            review.status,
            f"{review.due_at:%Y-%m-%d}",
            case.title,
            lesson[:60],
        )
    console.print(table)
    console.print(f"{len(found)} review(s). Edit a playbook: frankly playbooks show KIND")


@reviews_app.command("complete")
@friendly
def reviews_complete(
    review_id: Annotated[int, typer.Argument(help="The review's id.")],
    missed: Annotated[str, typer.Option(help="What was missed.")],
    why: Annotated[str, typer.Option(help="Why it was missed.")],
    changes: Annotated[str, typer.Option(help="What changes so it does not happen again.")],
) -> None:
    """Write the lessons learned from a resolved case."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    review = cases.complete_review(
        open_db(), review_id, missed=missed, why=why, changes=changes, author=author()
    )
    console.print(f"Review {review.id} of case {review.case_id} is done.")


@codes_app.command("issue")
@friendly
def codes_issue(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    percent: Annotated[int, typer.Option(help="The discount, in percent.")] = 10,
) -> None:
    """Issue a single-use thank-you code for the case's customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    code = cases.issue_code(db, case_id, percent=percent, author=author(), actor=actor(db))
    console.print(f"{code.code}: {code.percent}% off, valid until {code.expires_at:%Y-%m-%d}.")


@codes_app.command("redeem")
@friendly
def codes_redeem(code: Annotated[str, typer.Argument(help="The code.")]) -> None:
    """Redeem a code (a second use is refused)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    found = cases.redeem_code(open_db(), code, by=author())
    console.print(f"{found.code} redeemed: {found.percent}% off.")


@codes_app.command("list")
@friendly
def codes_list(
    case_id: Annotated[int | None, typer.Option("--case", help="Only this case's codes.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List discount codes."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    found = cases.list_codes(open_db(), case_id=case_id)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    for c in found:
        console.print(f"{c.code}  case {c.case_id}  {c.percent}%  {c.status}")


def _agent_id(db: Database, value: str | None) -> int | None:
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    if value is None:
        return None
    if value.isdigit():
        return cases.get_agent(db, int(value)).id
    agent = cases.find_agent(db, value)
    if agent is None:
        fail(f"No agent {value!r}", 2)
    return agent.id
