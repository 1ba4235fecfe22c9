"""``frankly inbox``: customers' mail coming in, and the mail held for review."""

from __future__ import annotations

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
from frankly.cli._options import when as _when
from frankly.errors import InvalidInput

inbox_app = typer.Typer(help="Customers' mail coming in.", no_args_is_help=True)
app.add_typer(inbox_app, name="inbox")


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
