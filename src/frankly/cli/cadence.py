"""Cadence and delivery commands: ``frankly today``, ``worker``, ``approve``, ``send``, …"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from frankly import cases
from frankly.cli._app import actor, app, author, console, fail, friendly, open_db, print_json
from frankly.store import Database

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

inbox_app = typer.Typer(help="Customers' mail coming in.", no_args_is_help=True)
app.add_typer(inbox_app, name="inbox")
milestones_app = typer.Typer(help="Logistics milestones: show movement.", no_args_is_help=True)
app.add_typer(milestones_app, name="milestones")
reviews_app = typer.Typer(
    help="Lessons-learned reviews of resolved cases.", invoke_without_command=True
)
app.add_typer(reviews_app, name="reviews")
codes_app = typer.Typer(help="Single-use thank-you discount codes.", no_args_is_help=True)
app.add_typer(codes_app, name="codes")


# ------------------------------------------------------------------------------ delivery


@app.command("worker")
@friendly
def worker(
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Stop when nothing is left to send.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="This worker's name in the logs.")] = None,
    no_cadence: Annotated[
        bool,
        typer.Option("--no-cadence", help="Only deliver; leave triggers and reminders alone."),
    ] = False,
) -> None:
    """Deliver queued messages (SMTP settings from FRANKLY_SMTP_*); Ctrl+C stops it."""
    import logging
    import os

    from frankly.delivery import SmtpSettings, Worker, mail_folder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = SmtpSettings.from_env()
    db = open_db()
    options: dict[str, object] = {"name": name}
    if no_cadence:
        options["cadence_every"] = None
    runner = Worker(db, **options)  # type: ignore[arg-type]
    if os.environ.get("FRANKLY_SMTP_HOST"):
        where = f"through {settings.host}:{settings.port} ({settings.security})"
    else:
        where = f"to files in {mail_folder()} (set FRANKLY_SMTP_HOST to send by SMTP)"
    console.print(f"Worker {runner.name} delivering {where} as {settings.from_address}")
    try:
        stats = runner.run(until_empty=until_empty)
    except KeyboardInterrupt:
        stats = runner.stats
    console.print(f"Worker stopped: {stats.summary()}.")


@app.command("approve")
@friendly
def approve(
    message_id: Annotated[int, typer.Argument(help="The draft message's id.")],
    next_update: Annotated[
        str | None,
        typer.Option(
            "--next-update",
            help="The next-update time the message promises "
            "(ISO time, or words such as 'Thursday 5 pm').",
        ),
    ] = None,
    confirm_promise: Annotated[
        bool,
        typer.Option("--confirm-promise", help="Record the next-update time found in the text."),
    ] = False,
    no_promise: Annotated[
        bool, typer.Option("--no-promise", help="The message promises no next update.")
    ] = False,
) -> None:
    """Approve a draft: it is queued and the worker sends it.

    A message without a next-update time is read for one ("I will write again by
    Thursday 5 pm"); when one is found you confirm it (--confirm-promise) or say there is
    none (--no-promise).
    """
    from frankly.cadence import find_promise, parse_when

    db = open_db()
    message = cases.get_message(db, message_id)
    customer = cases.get_customer(db, cases.get_case(db, message.case_id).customer_id)
    when = None
    if next_update:
        when = parse_when(next_update, message.language, customer.timezone)
    elif message.next_update_at is None and not no_promise:
        found = find_promise(message.body, message.language, customer.timezone)
        if found is not None and not confirm_promise:
            fail(
                f"The message promises an update ({found.text!r} = {_when(found.at)}). "
                "Approve with --confirm-promise to hold us to it, --next-update WHEN to "
                "correct it, or --no-promise.",
                2,
            )
        when = found.at if found is not None else None
    message = cases.approve_message(
        db, message_id, author=author(), next_update_at=when, actor=actor(db)
    )
    console.print(f"Message {message.id} approved and queued ({message.message_id}).")
    if message.next_update_at is not None:
        console.print(f"It promises the next update by {_when(message.next_update_at)}.")


@app.command("send")
@friendly
def send(
    message_id: Annotated[int, typer.Argument(help="The message's id.")],
) -> None:
    """Approve a draft if needed and deliver it now, without waiting for the worker."""
    from frankly.delivery import send_now

    db = open_db()
    message = cases.get_message(db, message_id)
    if message.status in ("draft", "approved"):
        cases.approve_message(db, message_id, author=author(), actor=actor(db))
    elif message.status != "queued":
        what = "from the customer" if message.direction == "in" else message.status
        fail(f"Message {message_id} is {what}: there is nothing to send", 1)
    status = send_now(db, message_id)
    message = cases.get_message(db, message_id)
    if status == "sent":
        console.print(f"Message {message_id} sent to {message.recipient}.")
    elif status == "failed":
        fail(f"Message {message_id} failed: {message.error}", 1)
    else:
        fail(
            f"Message {message_id} not sent yet ({message.error}); the worker will retry it.",
            1,
        )


@app.command("retry")
@friendly
def retry(message_id: Annotated[int, typer.Argument(help="The failed message's id.")]) -> None:
    """Queue a failed message again (it keeps its Message-ID)."""
    db = open_db()
    message = cases.retry_message(db, message_id, author=author(), actor=actor(db))
    console.print(f"Message {message.id} is queued again.")


@app.command("outbox")
@friendly
def outbox(as_json: JsonOption = False) -> None:
    """Show how many messages wait, are being sent, were sent or failed."""
    from frankly.delivery import outbox_counts

    db = open_db()
    counts = outbox_counts(db)
    failed = cases.list_messages(db, status="failed")
    if as_json:
        print_json({"counts": counts, "failed": [m.to_dict() for m in failed]})
        return
    console.print(", ".join(f"{state}: {n}" for state, n in counts.items()))
    for message in failed:
        console.print(f"  failed: message {message.id} (case {message.case_id}): {message.error}")


@inbox_app.command("import")
@friendly
def inbox_import(
    file: Annotated[Path, typer.Argument(help="An .eml file or an mbox file.")],
    as_json: JsonOption = False,
) -> None:
    """Attach customers' replies to their cases (a new thread opens a new case)."""
    from frankly.delivery import read_mail_file

    db = open_db()
    results = [cases.receive_inbound(db, raw, author=author()) for raw in read_mail_file(file)]
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for r in results:
        what = {
            "duplicate": "already imported",
            "new_case": "opened a new case",
        }.get(r.matched_by, f"matched by {r.matched_by}")
        chased = " · the customer chased us" if r.chased else ""
        console.print(f"Message {r.message.id} → case {r.case_id} ({what}){chased}")
    new = sum(1 for r in results if not r.duplicate)
    console.print(f"{new} new message(s), {len(results) - new} already there.")


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


@app.command("call")
@friendly
def call(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    notes: Annotated[str, typer.Option(help="What was said and agreed.")],
    script: Annotated[str | None, typer.Option(help="The script used, if any.")] = None,
    next_update: Annotated[
        str | None, typer.Option("--next-update", help="When you promised to call or write again.")
    ] = None,
) -> None:
    """Log a phone call to the customer (it counts as a message sent)."""
    from frankly.cadence import parse_when

    db = open_db()
    customer = cases.get_customer(db, cases.get_case(db, case_id).customer_id)
    when = parse_when(next_update, customer.language, customer.timezone) if next_update else None
    message = cases.log_call(
        db,
        case_id,
        notes=notes,
        script=script,
        next_update_at=when,
        author=author(),
        actor=actor(db),
    )
    console.print(f"Call logged on case {case_id} (message {message.id}).")


# ------------------------------------------------------------------------------ cadence


@app.command("today")
@friendly
def today_command(
    agent: Annotated[str | None, typer.Option(help="Only this agent's list (id or email).")] = None,
    refresh: Annotated[
        bool,
        typer.Option(help="Bring the cadence up to date first (missed promises, reminders)."),
    ] = True,
    lang: Annotated[str | None, typer.Option(help="Language of the list: en or es.")] = None,
    as_json: JsonOption = False,
) -> None:
    """What each agent owes customers now, most urgent first, and why."""
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
    table = Table(box=None, show_lines=False, expand=True)
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
    if ctx.invoked_subcommand is not None:
        return
    db = open_db()
    found = cases.list_reviews(db, status=status, query=search, reviewer_id=_agent_id(db, reviewer))
    if as_json:
        print_json([{**r.to_dict(), "case_title": c.title} for r, c in found])
        return
    table = Table("id", "case", "status", "due", "title", "lessons", box=None)
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
    db = open_db()
    code = cases.issue_code(db, case_id, percent=percent, author=author(), actor=actor(db))
    console.print(f"{code.code}: {code.percent}% off, valid until {code.expires_at:%Y-%m-%d}.")


@codes_app.command("redeem")
@friendly
def codes_redeem(code: Annotated[str, typer.Argument(help="The code.")]) -> None:
    """Redeem a code (a second use is refused)."""
    found = cases.redeem_code(open_db(), code, by=author())
    console.print(f"{found.code} redeemed: {found.percent}% off.")


@codes_app.command("list")
@friendly
def codes_list(
    case_id: Annotated[int | None, typer.Option("--case", help="Only this case's codes.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List discount codes."""
    found = cases.list_codes(open_db(), case_id=case_id)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    for c in found:
        console.print(f"{c.code}  case {c.case_id}  {c.percent}%  {c.status}")


def _agent_id(db: Database, value: str | None) -> int | None:
    if value is None:
        return None
    if value.isdigit():
        return cases.get_agent(db, int(value)).id
    agent = cases.find_agent(db, value)
    if agent is None:
        fail(f"No agent {value!r}", 2)
    return agent.id
