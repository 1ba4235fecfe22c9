"""Cadence and delivery commands: ``frankly today``, ``worker``, ``approve``, ``send``, …"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly import cases
    from frankly.store import Database

import datetime as dt
import os
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
from frankly.errors import InvalidInput

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

    # lazy: keeps frankly --help and frankly check fast
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


GateOptions = dict[str, object]
PromiseFrom = Annotated[
    str | None,
    typer.Option(
        "--promise-from",
        help="When the text and --next-update (or the draft's time) promise different "
        "times: 'text' or 'field' says which one holds.",
    ),
]
Override = Annotated[
    bool,
    typer.Option(
        "--override",
        help="Send despite error-level findings (managers only; --as or FRANKLY_AGENT names you).",
    ),
]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the override: kept on the timeline.")
]


def _through_gate(
    db: Database,
    message_id: int,
    *,
    when: dt.datetime | None,
    promise_from: str | None,
    override: bool,
    reason: str | None,
) -> cases.Approval:
    """Approve through the sending gate, printing the findings when it refuses."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    agent_id = actor(db)
    agent = cases.get_agent(db, agent_id) if agent_id is not None else None
    try:
        return cases.approve(
            db,
            message_id,
            author=agent.email if agent is not None else author(),
            actor=agent_id,
            next_update_at=when,
            promise_from=promise_from,
            override=override,
            override_reason=reason,
        )
    except cases.Blocked as exc:
        for finding in exc.findings:
            where = finding.get("field") or "body"
            console.print(
                f"  {where}:{finding.get('line', '?')}:{finding.get('column', '?')}: "
                f"error [{finding.get('rule')}] {finding.get('message')}",
                markup=False,
                highlight=False,
            )
        raise


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
    promise_from: PromiseFrom = None,
    confirm_promise: Annotated[
        bool,
        typer.Option("--confirm-promise", help="Record the next-update time found in the text."),
    ] = False,
    no_promise: Annotated[
        bool, typer.Option("--no-promise", help="The message promises no next update.")
    ] = False,
    override: Override = False,
    reason: Reason = None,
) -> None:
    """Approve a draft through the sending gate: it is checked, then queued for the worker.

    The text is checked with the case's stage and the customer's language; an
    error-level finding refuses it (exit 1) unless a manager overrides. The text is read
    for a promise ("I will write again by Thursday 5 pm"). With the next-update field
    empty, you confirm the time found (--confirm-promise) or say there is none
    (--no-promise); when the text and the field name different times, you choose
    (--promise-from text|field).
    """
    # lazy: keeps frankly --help and frankly check fast
    from rich.markup import escape

    # lazy: keeps frankly --help and frankly check fast
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.cadence import parse_when
    from frankly.compose.promises import PromiseConflict, resolve_promise
    from frankly.store import utcnow

    if promise_from not in (None, "text", "field"):
        fail(f"--promise-from {promise_from}: use text or field", 2)
    db = open_db()
    message = cases.get_message(db, message_id)
    customer = cases.get_customer(db, cases.get_case(db, message.case_id).customer_id)
    field = message.next_update_at
    if next_update:
        field = parse_when(next_update, message.language, customer.timezone)
    if no_promise:
        if field is not None:
            fail(
                f"Message {message_id} names a next update ({_when(field)}): --no-promise "
                "cannot clear it; approve with --next-update WHEN, or edit the draft.",
                2,
            )
        promise_from = "field"
    try:
        decision = resolve_promise(
            message.body,
            message.language,
            customer.timezone,
            field,
            now=utcnow(),
            choice=promise_from,
        )
    except PromiseConflict as conflict:
        fail(
            f"{escape(conflict.message)}. Approve with --promise-from text to hold us to "
            f"{_when(conflict.text_at)} (the text), or --promise-from field to keep "
            f"{_when(conflict.field_at)} (the field); or correct the draft.",
            2,
        )
    if decision.source == "text" and field is None and not (confirm_promise or promise_from):
        assert decision.at is not None
        fail(
            f"The message promises an update ({escape(repr(decision.words))} = "
            f"{_when(decision.at)}). "
            "Approve with --confirm-promise to hold us to it, --next-update WHEN to "
            "correct it, or --no-promise.",
            2,
        )
    if decision.at is None and field is not None:
        fail(
            f"The text names no next-update time but the field says {_when(field)}: "
            "approve with --promise-from field, or --next-update WHEN.",
            2,
        )
    approval = _through_gate(
        db,
        message_id,
        when=decision.at,
        promise_from=promise_from or ("text" if decision.source == "text" else "field"),
        override=override,
        reason=reason,
    )
    message = approval.message
    console.print(f"Message {message.id} approved and queued ({message.message_id}).")
    if approval.overridden:
        console.print(f"Checker overridden: {', '.join(approval.overridden)}.")
    if message.next_update_at is not None:
        console.print(f"It promises the next update by {_when(message.next_update_at)}.")
    for warning in approval.warnings:
        console.print(f"Note: {warning}", markup=False, highlight=False)


@app.command("send")
@friendly
def send(
    message_id: Annotated[int, typer.Argument(help="The message's id.")],
    next_update: Annotated[
        str | None,
        typer.Option("--next-update", help="The next-update time the message promises."),
    ] = None,
    promise_from: PromiseFrom = None,
    override: Override = False,
    reason: Reason = None,
) -> None:
    """Approve a draft through the sending gate if needed and deliver it now."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.delivery import send_now

    db = open_db()
    message = cases.get_message(db, message_id)
    if message.status in ("draft", "approved"):
        # lazy: keeps frankly --help and frankly check fast
        from frankly.cadence import parse_when

        customer = cases.get_customer(db, cases.get_case(db, message.case_id).customer_id)
        when = parse_when(next_update, message.language, customer.timezone) if next_update else None
        _through_gate(
            db,
            message_id,
            when=when,
            promise_from=promise_from,
            override=override,
            reason=reason,
        )
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
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    message = cases.retry_message(db, message_id, author=author(), actor=actor(db))
    console.print(f"Message {message.id} is queued again.")


@app.command("outbox")
@friendly
def outbox(as_json: JsonOption = False) -> None:
    """Show how many messages wait, are being sent, were sent or failed."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
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
    """Attach customers' replies to their cases (a new thread opens a new case).

    A mail that names a case but comes from an unknown address is held for review
    (``frankly inbox review``). A mail that cannot be read is skipped and reported at the
    end; the command then exits with status 1.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.delivery import read_mail_file

    db = open_db()
    results: list[cases.Received] = []
    failures: list[tuple[int, str]] = []
    for number, raw in enumerate(read_mail_file(file), start=1):
        try:
            results.append(cases.receive_inbound(db, raw, author=author()))
        except InvalidInput as exc:
            # One bad mail must not keep the ones after it out of their cases.
            failures.append((number, exc.message))
        except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
            failures.append((number, f"the mail could not be read ({type(exc).__name__}: {exc})"))
    if as_json:
        print_json(
            {
                "received": [r.to_dict() for r in results],
                "failed": [{"mail": n, "error": e} for n, e in failures],
            }
        )
    else:
        for r in results:
            if r.held:
                assert r.review is not None
                console.print(
                    f"Held for review as {r.review.id}: {r.review.sender} names case "
                    f"{r.case_id} but is not its customer (frankly inbox review)"
                )
                continue
            what = {
                "duplicate": "already imported",
                "new_case": "opened a new case",
            }.get(r.matched_by, f"matched by {r.matched_by}")
            chased = " · the customer chased us" if r.chased else ""
            if r.message is not None:
                where = f"Message {r.message.id}"
            else:
                where = f"Held mail {r.review.id if r.review else '?'}"
            console.print(f"{where} → case {r.case_id} ({what}){chased}")
        new = sum(1 for r in results if not r.duplicate and not r.held)
        held = sum(1 for r in results if r.held)
        summary = f"{new} new message(s), {len(results) - new - held} already there"
        if held:
            summary += f", {held} held for review"
        console.print(summary + ".")
        for number, error in failures:
            console.print(f"[red]Mail {number} of {file} not imported:[/red] {error}")
    if failures:
        raise typer.Exit(1)


@inbox_app.command("review")
@friendly
def inbox_review(
    action: Annotated[
        str, typer.Argument(help="list (the default), accept, reject or show.")
    ] = "list",
    review_id: Annotated[int | None, typer.Argument(help="The held mail's id.")] = None,
    case: Annotated[
        int | None, typer.Option("--case", help="accept: put it on this case instead.")
    ] = None,
    contact: Annotated[
        bool,
        typer.Option("--contact", help="accept: also record the sender as the customer's contact."),
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="list: decided ones too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Mail held because it names a case but does not come from the case's customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    if action == "list":
        found = cases.list_inbound_reviews(db, status=None if show_all else "pending")
        if as_json:
            print_json([r.to_dict() for r in found])
            return
        if not found:
            console.print("No mail waits for review.")
            return
        table = new_table("id", "status", "case", "from", "subject", "received", box=None)
        for r in found:
            table.add_row(
                str(r.id),
                r.status,
                str(r.case_id or ""),
                r.sender,
                (r.subject or "")[:60],
                _when(r.received_at),
            )
        console.print(table)
        return
    if action not in ("accept", "reject", "show"):
        fail(f"Unknown action {action!r}: use list, show, accept or reject", 2)
    if review_id is None:
        fail(f"Give the id of the held mail to {action}", 2)
    assert review_id is not None
    if action == "show":
        review = cases.get_inbound_review(db, review_id)
        if as_json:
            print_json(review.to_dict())
            return
        console.print(f"Held mail {review.id} ({review.status}), names case {review.case_id}")
        console.print(f"From: {review.sender_name or ''} <{review.sender}>")
        console.print(f"Subject: {review.subject or ''}")
        console.print(f"Why held: {review.reason}\n")
        console.print(review.body, markup=False, highlight=False)
    elif action == "accept":
        message = cases.accept_inbound(
            db, review_id, case_id=case, add_contact=contact, author=author(), actor=actor(db)
        )
        if as_json:
            print_json(message.to_dict())
            return
        console.print(
            f"Held mail {review_id} is now message {message.id} on case {message.case_id}."
        )
    else:
        review = cases.reject_inbound(db, review_id, author=author())
        if as_json:
            print_json(review.to_dict())
            return
        console.print(f"Held mail {review_id} rejected: it stays off every case.")


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
    promise_from: PromiseFrom = None,
    override: Override = False,
    reason: Reason = None,
) -> None:
    """Log a phone call to the customer (it counts as a message sent).

    What was said passes the sending gate like any message: the checker reads it, and a
    promise in the notes ("I'll call back on Friday at 10") is held to.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases
    from frankly.cadence import parse_when

    db = open_db()
    customer = cases.get_customer(db, cases.get_case(db, case_id).customer_id)
    when = parse_when(next_update, customer.language, customer.timezone) if next_update else None
    agent_id = actor(db)
    agent = cases.get_agent(db, agent_id) if agent_id is not None else None
    message = cases.log_call(
        db,
        case_id,
        notes=notes,
        script=script,
        next_update_at=when,
        author=agent.email if agent is not None else author(),
        actor=agent_id,
        promise_from=promise_from,
        override=override,
        override_reason=reason,
    )
    console.print(f"Call logged on case {case_id} (message {message.id}).")
    if message.next_update_at is not None:
        console.print(f"You promised the next update by {_when(message.next_update_at)}.")


# ------------------------------------------------------------------------------ cadence


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
