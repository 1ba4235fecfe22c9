"""``frankly case …``, ``frankly customer …`` and ``frankly agent …``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly.store import Database

from typing import Annotated

import typer

from frankly.cli._app import actor, app, author, console, friendly, new_table, open_db, print_json
from frankly.errors import NotFound

case_app = typer.Typer(help="Open, read and move cases.", no_args_is_help=True)
customer_app = typer.Typer(help="Add and list customers.", no_args_is_help=True)
agent_app = typer.Typer(help="Add and list staff.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(customer_app, name="customer")
app.add_typer(agent_app, name="agent")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _agent_id(db: Database, who: str | None) -> int | None:
    """An agent given by id or email."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    if who is None:
        return None
    if who.isdigit():
        return cases.get_agent(db, int(who)).id
    agent = cases.find_agent(db, who)
    if agent is None:
        raise NotFound(f"No agent with the email {who}")
    return agent.id


@case_app.command("open")
@friendly
def case_open(
    customer: Annotated[int, typer.Option(help="The customer's id.")],
    kind: Annotated[str, typer.Option(help="The playbook id, e.g. late_delivery.")],
    title: Annotated[str, typer.Option(help="One line saying what went wrong.")],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "medium",
    fault: Annotated[str, typer.Option(help="ours, partner, customer or outside.")] = "ours",
    owner: Annotated[str | None, typer.Option(help="The owning agent's id or email.")] = None,
    ref: Annotated[str | None, typer.Option(help="An outside reference (order number).")] = None,
    fact: Annotated[
        list[str] | None, typer.Option("--fact", help="A fact as name=value (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Open a case for a customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    facts = cases.parse_fact_pairs(fact or [])
    db = open_db()
    case = cases.open_case(
        db,
        customer_id=customer,
        kind=kind,
        title=title,
        severity=severity,
        fault=fault,
        owner_id=_agent_id(db, owner),
        external_ref=ref,
        facts=facts,
        author=author(),
        actor=actor(db),
    )
    if as_json:
        print_json(case.to_dict())
    else:
        console.print(f"Opened case {case.id}: {case.title}")


@case_app.command("list")
@friendly
def case_list(
    state: Annotated[str | None, typer.Option(help="Only cases in this state.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only cases of this kind.")] = None,
    customer: Annotated[int | None, typer.Option(help="Only this customer's cases.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Only this agent's cases (id or email).")
    ] = None,
    severity: Annotated[str | None, typer.Option(help="Only cases of this severity.")] = None,
    search: Annotated[str | None, typer.Option(help="Words in the title or customer.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List cases, most recently changed first."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    found = cases.list_cases(
        db,
        state=state,
        kind=kind,
        customer_id=customer,
        owner_id=_agent_id(db, owner),
        severity=severity,
        query=search,
        limit=limit,
    )
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    customers = {c.id: c for c in cases.list_customers(db, limit=100_000)}
    table = new_table("id", "state", "kind", "severity", "customer", "title", box=None)
    for case in found:
        who = customers.get(case.customer_id)
        label = (who.company or who.name) if who else str(case.customer_id)
        table.add_row(str(case.id), case.state, case.kind, case.severity, label, case.title)
    console.print(table)
    console.print(f"{len(found)} case(s)")


@case_app.command("show")
@friendly
def case_show(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    as_json: JsonOption = False,
) -> None:
    """Show a case with its facts and its whole timeline."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    view = cases.show_case(db, case_id)
    if as_json:
        print_json(view.to_dict())
        return
    case, customer = view.case, view.customer
    console.print(f"[bold]Case {case.id}: {case.title}[/]")
    console.print(
        f"{case.kind} · {case.severity} · fault: {case.fault} · state: [bold]{case.state}[/]"
    )
    who = f"{customer.name}" + (f" ({customer.company})" if customer.company else "")
    console.print(f"Customer: {who} · {customer.email or 'no email'} · {customer.language}")
    console.print(f"Owner: {view.owner.name if view.owner else 'nobody'}")
    if case.facts:
        facts = new_table("fact", "value", box=None, title="Facts", title_justify="left")
        for key, value in sorted(case.facts.items()):
            facts.add_row(key, str(value))
        console.print(facts)
    timeline = new_table(
        "when (UTC)", "who", "what", box=None, title="Timeline", title_justify="left"
    )
    for event in view.events:
        timeline.add_row(
            event.at.strftime("%Y-%m-%d %H:%M"), event.author, _describe(event.kind, event.payload)
        )
    console.print(timeline)


def _describe(kind: str, payload: dict[str, object]) -> str:
    if kind == "fact_recorded":
        if payload.get("removed"):
            return f"fact {payload['key']} removed"
        return f"fact {payload['key']} = {payload.get('value')}"
    if kind == "state_changed":
        return f"state {payload['from']} → {payload['to']}"
    if kind == "note_added":
        return f"note: {payload['text']}"
    if kind == "case_opened":
        return f"case opened: {payload.get('title')}"
    if kind in ("message_drafted", "message_received", "message_sent", "message_queued"):
        subject = payload.get("subject") or ""
        return f"{kind.replace('_', ' ')}: {subject}".rstrip(": ")
    if kind == "correction":
        return f"correction of event: {payload.get('reason')}"
    return kind.replace("_", " ")


@case_app.command("note")
@friendly
def case_note(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    text: Annotated[str, typer.Argument(help="The note.")],
) -> None:
    """Add a note to a case's timeline."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    event = cases.add_note(db, case_id, text, author=author(), actor=actor(db))
    console.print(f"Noted on case {case_id} (event {event.id}).")


@case_app.command("facts")
@friendly
def case_facts(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    pairs: Annotated[list[str], typer.Argument(help="Facts as name=value.")],
) -> None:
    """Record facts on a case (name=value; an empty value removes the fact)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    parsed = cases.parse_fact_pairs(pairs)
    facts = {key: (value if value != "" else None) for key, value in parsed.items()}
    db = open_db()
    case = cases.record_facts(db, case_id, facts, author=author(), actor=actor(db))
    console.print(f"Case {case.id} facts: " + ", ".join(f"{k}={v}" for k, v in case.facts.items()))


@case_app.command("state")
@friendly
def case_state(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    to: Annotated[str, typer.Argument(help="The new state.")],
    reason: Annotated[str | None, typer.Option(help="Why, for the timeline.")] = None,
) -> None:
    """Move a case to another state (open → notified → resolving → resolved → …)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    case = cases.change_state(db, case_id, to, author=author(), reason=reason, actor=actor(db))
    console.print(f"Case {case.id} is now {case.state}.")


@customer_app.command("add")
@friendly
def customer_add(
    name: Annotated[str, typer.Option(help="The contact's name.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    company: Annotated[str | None, typer.Option(help="Company name.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    language: Annotated[str, typer.Option(help="A language pack's code (en, es...).")] = "en",
    tier: Annotated[str, typer.Option(help="key or standard.")] = "standard",
    timezone: Annotated[str, typer.Option(help="e.g. Europe/Madrid.")] = "UTC",
    as_json: JsonOption = False,
) -> None:
    """Add a customer."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    customer = cases.add_customer(
        open_db(),
        name=name,
        email=email,
        company=company,
        phone=phone,
        language=language,
        tier=tier,
        timezone=timezone,
    )
    if as_json:
        print_json(customer.to_dict())
    else:
        console.print(f"Added customer {customer.id}: {customer.name}")


@customer_app.command("list")
@friendly
def customer_list(
    search: Annotated[str | None, typer.Option(help="Words in the name, company or email.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List customers."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    found = cases.list_customers(open_db(), query=search, limit=100_000)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    table = new_table("id", "name", "company", "email", "lang", "tier", box=None)
    for c in found:
        table.add_row(str(c.id), c.name, c.company or "", c.email or "", c.language, c.tier)
    console.print(table)


@customer_app.command("contacts")
@friendly
def customer_contacts(
    customer_id: Annotated[int, typer.Argument(help="The customer's id.")],
    add: Annotated[
        list[str] | None, typer.Option("--add", help="An address they also write from.")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="An address to drop.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change the other addresses a customer writes from (their mail then goes
    straight to their cases instead of the review queue)."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    db = open_db()
    if add or remove:
        customer = cases.set_contacts(db, customer_id, add=add, remove=remove)
    else:
        customer = cases.get_customer(db, customer_id)
    if as_json:
        print_json(
            {"id": customer.id, "email": customer.email, "contacts": customer.contacts or []}
        )
        return
    console.print(f"{customer.name}: {customer.email or '(no email)'}")
    for address in customer.contacts or []:
        console.print(f"  also {address}")


@agent_app.command("add")
@friendly
def agent_add(
    name: Annotated[str, typer.Option(help="The agent's name.")],
    email: Annotated[str, typer.Option(help="Email address (also the sign-in name).")],
    role: Annotated[str, typer.Option(help="agent, manager or admin.")] = "agent",
    language: Annotated[str, typer.Option(help="Interface language (en, es, any pack).")] = "en",
    timezone: Annotated[str, typer.Option(help="e.g. Europe/Madrid.")] = "UTC",
    phone: Annotated[str | None, typer.Option(help="Direct phone for customers.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a member of staff."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    agent = cases.add_agent(
        open_db(),
        name=name,
        email=email,
        role=role,
        language=language,
        timezone=timezone,
        phone=phone,
    )
    if as_json:
        print_json(agent.to_dict())
    else:
        console.print(f"Added {agent.role} {agent.id}: {agent.name}")


@agent_app.command("list")
@friendly
def agent_list(as_json: JsonOption = False) -> None:
    """List staff."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases

    found = cases.list_agents(open_db())
    if as_json:
        print_json([a.to_dict() for a in found])
        return
    table = new_table("id", "name", "email", "role", box=None)
    for a in found:
        table.add_row(str(a.id), a.name, a.email, a.role)
    console.print(table)
