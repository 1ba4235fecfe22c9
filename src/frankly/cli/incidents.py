"""``frankly incident open|update|resolve|review|follow-up|list|show``.

Texts take a language prefix: ``--text "es:Nuestro portal…"``; without one a text is
English. Give one ``--text`` per language your affected customers read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly import incidents
    from frankly.store import Database

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from frankly.cli._app import (
    app,
    author,
    console,
    err_console,
    fail,
    friendly,
    new_table,
    open_db,
    print_json,
)
from frankly.errors import InvalidInput, NotFound

incident_app = typer.Typer(help="Run an incident: one cause, many customers.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")


def say(*values: object) -> None:
    """One line to stdout, never wrapped (scripts read these lines)."""
    console.print(*values, soft_wrap=True, highlight=False)


TextOption = Annotated[
    list[str] | None,
    typer.Option("--text", help='The public text; "es:…" for Spanish (repeatable).'),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def by_language(values: list[str] | None, what: str) -> dict[str, str]:
    """``["Our portal…", "es:Nuestro…"]`` → ``{"en": …, "es": …}``; a language twice is an error."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    out: dict[str, str] = {}
    for value in values or []:
        lang, sep, rest = value.partition(":")
        if sep and lang.strip().lower() in incidents.languages():
            lang, text = lang.strip().lower(), rest.strip()
        else:
            lang, text = "en", value.strip()
        if lang in out:
            raise InvalidInput(f"The {what} is given twice in {lang}", field=what)
        out[lang] = text
    return out


def _after(duration: str | None) -> dt.datetime | None:
    # lazy: keeps frankly --help and frankly check fast
    from frankly.playbooks import parse_duration
    from frankly.store import utcnow

    if duration is None:
        return None
    try:
        return utcnow() + parse_duration(duration)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="next_in") from exc


def _agent(db: Database, who: str | None) -> int | None:
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    if who is None:
        return None
    agent = cases.get_agent(db, int(who)) if who.isdigit() else cases.find_agent(db, who)
    if agent is None:
        raise NotFound(f"No agent with the email {who}")
    return agent.id


def _report(result: incidents.UpdateResult | None) -> None:
    if result is None:
        return
    update = result.update
    label = {"update": "Update", "resolution": "Resolution", "follow_up": "Follow-up"}
    say(
        f"{label[update.kind]} {update.seq} published: {result.queued} personal notice(s) queued"
        + (
            f"; next update by {update.next_update_at:%Y-%m-%d %H:%M} UTC"
            if update.next_update_at
            else ""
        )
        + "."
    )
    for line in result.warning_lines:
        err_console.print(f"[yellow]Warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


@incident_app.command("open")
@friendly
def incident_open(
    title: Annotated[list[str], typer.Option("--title", help='"es:…" for Spanish (repeatable).')],
    impact: Annotated[
        list[str], typer.Option("--impact", help="What customers cannot do (repeatable).")
    ],
    text: TextOption = None,
    kind: Annotated[
        str, typer.Option(help="The playbook, e.g. service_outage.")
    ] = "service_outage",
    status: Annotated[str, typer.Option(help="investigating, identified or monitoring.")] = (
        "investigating"
    ),
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "high",
    cases_of: Annotated[
        str | None, typer.Option("--cases-of", help="Customers with an open case of this kind.")
    ] = None,
    fact: Annotated[
        list[str] | None,
        typer.Option("--fact", help="…whose case has this fact, name=value (repeatable)."),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="A CSV with customer_id or email; other columns are facts."),
    ] = None,
    customer: Annotated[
        list[int] | None, typer.Option("--customer", help="A customer id (repeatable).")
    ] = None,
    next_in: Annotated[
        str | None, typer.Option("--next-in", help="Next update in 30m, 2h… (default: cadence).")
    ] = None,
    every: Annotated[
        str | None, typer.Option(help="Update cadence, e.g. 30m (default: the playbook's).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="The owning agent's id or email.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Open an incident, link a case per affected customer and publish the first statement.

    Without --text the incident opens quietly and its first update is due within the
    cadence. Writes nothing when the selection matches nobody or a text is refused.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases, incidents
    from frankly.playbooks import parse_duration

    selection = incidents.Selection(
        kind=cases_of, facts=cases.parse_fact_pairs(fact or []), customer_ids=list(customer or [])
    )
    if csv_file is not None:
        try:
            parsed = incidents.parse_csv(csv_file.read_text(encoding="utf-8"), source=csv_file.name)
        except OSError as exc:
            fail(f"Cannot read {csv_file}: {exc.strerror}", 2)
        selection.customer_ids += parsed.customer_ids
        selection.emails += parsed.emails
        selection.facts_by_customer.update(parsed.facts_by_customer)
        selection.source = csv_file.name
    db = open_db()
    result = incidents.open_incident(
        db,
        title=by_language(title, "title"),
        impact=by_language(impact, "impact"),
        kind=kind,
        status=status,
        severity=severity,
        selection=None if selection.empty else selection,
        texts=by_language(text, "text") if text else None,
        next_update_at=_after(next_in),
        update_every=parse_duration(every) if every else None,
        owner_id=_agent(db, owner),
        author=author(),
    )
    if as_json:
        print_json(result.to_dict())
        return
    incident = result.incident
    name = incident.title.get("en") or next(iter(incident.title.values()))
    say(
        f"Opened incident {incident.id}: {name}"
        f" ({incident.status}). Affected: {result.opened + result.linked} customer(s), "
        f"{result.opened} new case(s), {result.linked} linked."
    )
    _report(result.update)


@incident_app.command("update")
@friendly
def incident_update(
    incident_id: Annotated[int, typer.Argument(metavar="INCIDENT_ID")],
    text: TextOption = None,
    status: Annotated[
        str | None, typer.Option(help="investigating, identified, monitoring or resolved.")
    ] = None,
    next_in: Annotated[
        str | None, typer.Option("--next-in", help="Next update in 30m, 2h… (default: cadence).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish an update and queue a personal notice for every affected customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    result = incidents.post_update(
        open_db(),
        incident_id,
        texts=by_language(text, "text"),
        status=status,
        next_update_at=_after(next_in),
        author=author(),
    )
    print_json(result.to_dict()) if as_json else _report(result)


@incident_app.command("resolve")
@friendly
def incident_resolve(
    incident_id: Annotated[int, typer.Argument(metavar="INCIDENT_ID")],
    text: TextOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish the resolution and tell every affected customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    result = incidents.resolve_incident(
        open_db(), incident_id, texts=by_language(text, "text"), author=author()
    )
    print_json(result.to_dict()) if as_json else _report(result)


@incident_app.command("review")
@friendly
def incident_review(
    incident_id: Annotated[int, typer.Argument(metavar="INCIDENT_ID")],
    what_happened: Annotated[list[str], typer.Option("--what-happened", help='"es:…" too.')],
    why: Annotated[list[str], typer.Option("--why", help="Why it happened (repeatable).")],
    change: Annotated[list[str], typer.Option("--change", help="What we change (repeatable).")],
    publish: Annotated[bool, typer.Option(help="Show it on the status page.")] = False,
) -> None:
    """Record the post-incident review: what happened, why, what we change."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    parts = {
        "what_happened": by_language(what_happened, "what happened"),
        "why": by_language(why, "why"),
        "what_we_change": by_language(change, "what we change"),
    }
    langs = sorted({lang for texts in parts.values() for lang in texts})
    review = {lang: {part: texts.get(lang, "") for part, texts in parts.items()} for lang in langs}
    incident = incidents.write_review(
        open_db(), incident_id, review, publish=publish, author=author()
    )
    where = "published on the status page" if incident.review_published_at else "saved (not public)"
    say(f"Review of incident {incident.id} {where}.")


@incident_app.command("follow-up")
@friendly
def incident_follow_up(
    incident_id: Annotated[int, typer.Argument(metavar="INCIDENT_ID")],
    text: TextOption = None,
) -> None:
    """Thank the affected customers and say what changed (once, after resolution)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    _report(
        incidents.send_follow_up(
            open_db(), incident_id, texts=by_language(text, "text"), author=author()
        )
    )


@incident_app.command("list")
@friendly
def incident_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only incidents not resolved.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Incidents, newest first."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    found = incidents.list_incidents(open_db(), open_only=open_only)
    if as_json:
        print_json([i.to_dict() for i in found])
        return
    if not found:
        say("No incidents.")
        return
    table = new_table("id", "status", "title", "started", "next update due")
    for i in found:
        table.add_row(
            str(i.id),
            i.status,
            i.title.get("en") or next(iter(i.title.values())),
            f"{i.started_at:%Y-%m-%d %H:%M}",
            f"{i.next_update_due_at:%Y-%m-%d %H:%M}" if i.next_update_due_at else "",
        )
    say(table)


@incident_app.command("show")
@friendly
def incident_show(
    incident_id: Annotated[int, typer.Argument(metavar="INCIDENT_ID")],
    as_json: JsonOption = False,
) -> None:
    """An incident: status, affected customers, each update and how its notices fared."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import incidents

    view = incidents.show_incident(open_db(), incident_id)
    if as_json:
        print_json(view.to_dict())
        return
    i = view.incident
    langs = ", ".join(f"{k} {n}" for k, n in sorted(view.languages.items()))
    say(f"[bold]Incident {i.id}[/]: {i.title.get('en') or next(iter(i.title.values()))}")
    say(f"Status: {i.status}   Severity: {i.severity}   Kind: {i.kind}")
    say(f"Started: {i.started_at:%Y-%m-%d %H:%M} UTC   Affected: {view.affected} ({langs})")
    if i.next_update_due_at:
        say(f"Next update due: {i.next_update_due_at:%Y-%m-%d %H:%M} UTC")
    say(f"Public page: {incidents.public_url(i.id)}")
    table = new_table("#", "kind", "status", "published", "notices", "text (en)")
    for u in view.updates:
        delivery = ", ".join(f"{k} {n}" for k, n in sorted(view.delivery.get(u.id, {}).items()))
        text = u.texts.get("en") or next(iter(u.texts.values()))
        table.add_row(
            str(u.seq),
            u.kind,
            u.status,
            f"{u.published_at:%Y-%m-%d %H:%M}",
            delivery,
            text if len(text) <= 60 else text[:57] + "...",
        )
    say(table)
    if view.skipped:
        names = ", ".join(s["customer"] for s in view.skipped[:10])
        say(f"[yellow]No email (call them):[/] {escape(names)}")
