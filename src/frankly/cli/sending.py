"""Sending commands: ``frankly approve``, ``send``, ``retry``, ``outbox`` and ``call``.

Each passes the sending gate (``frankly.cases.approve``) and holds us to the promise the
message makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly import cases
    from frankly.store import Database

import datetime as dt
from typing import Annotated

import typer

from frankly.cli._app import actor, app, author, console, fail, friendly, open_db, print_json
from frankly.cli._options import JsonOption
from frankly.cli._options import when as _when

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
