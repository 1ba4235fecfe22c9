"""``frankly practice …``: rehearse a hard conversation against a simulated customer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

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
    from frankly.practice import PracticeView

practice_app = typer.Typer(
    help="Rehearse bad news against a simulated customer, and see your progress.",
    no_args_is_help=True,
)
app.add_typer(practice_app, name="practice")

_RATING_STYLE = {"good": "green", "fair": "yellow", "poor": "bold red"}
_MOOD = ("calm", "annoyed", "angry", "furious")


@practice_app.command("list")
@friendly
def list_command(
    lang: Annotated[str | None, typer.Option(help="Only this language's scenarios.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The scenarios installed: one per kind of problem and language."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.practice import load_scenarios

    found = load_scenarios(lang)
    if as_json:
        print_json(
            [
                {"scenario": k, "kind": s.kind, "title": s.title, "temperaments": [*s.temperaments]}
                for k, s in found.items()
            ]
        )
        return
    table = new_table("scenario", "title", "temperaments")
    for key, s in found.items():
        table.add_row(key, s.title, ", ".join(t.label for t in s.temperaments.values()))
    console.print(table)


@practice_app.command("validate")
@friendly
def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files or folders; without them, every installed one."),
    ] = None,
    lang: Annotated[str, typer.Option(help="The language whose stock lines they use.")] = "en",
) -> None:
    """Validate scenarios like playbooks: the schema, the voices, every {fact} defined."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.practice import load_scenarios, validate_paths

    found = validate_paths(paths, lang) if paths else list(load_scenarios().values())
    for s in found:
        console.print(f"ok  {s.language}/{s.id}  ({s.source})", highlight=False, soft_wrap=True)
    console.print(f"{len(found)} scenario(s) valid.", highlight=False)


def _read_turn(interactive: bool) -> str | None:
    """One turn from standard input: lines up to an empty line (None at the end of input)."""
    if interactive:
        console.print("[dim]you (end with an empty line):[/]")
    lines: list[str] = []
    for raw in sys.stdin:
        line = raw.rstrip("\n")
        if not line.strip():
            if lines:
                break
            continue
        lines.append(line)
    return "\n".join(lines) if lines else None


def _customer(view: PracticeView, line: str, anger: int | None) -> None:
    mood = f" [{_MOOD[anger]}]" if anger is not None else ""
    console.print(Text(f"{view.customer}{mood}: ", style="bold").append(line, style=""))


def _print_score(view: PracticeView) -> None:
    ratings = view.ratings or {}
    outcome = {
        "accepted": "The customer accepted your next step.",
        "walked_away": "The customer walked away.",
        "out_of_turns": "The conversation ran out of turns.",
        "stopped": "You stopped the session.",
    }.get(view.outcome or "", view.outcome or "")
    console.print(f"\n{outcome}", highlight=False)
    # lazy: keeps frankly --help and frankly check fast
    from frankly.practice import PRACTICE_NAMES

    for item in ratings.get("items", []):
        line = Text(f"  {item['practice']:<4} {PRACTICE_NAMES.get(item['practice'], ''):<36} ")
        line.append(item["rating"].upper(), style=_RATING_STYLE[item["rating"]])
        if item["failed_critical"]:
            line.append("  (critical)", style="bold red")
        console.print(line, soft_wrap=True)
        for ev in item["evidence"][:3]:
            words = f"“{ev['words']}”" if ev["words"] else ""
            console.print(
                Text(f"         turn {ev['turn']}: {words} {ev['note']}", style="dim"),
                soft_wrap=True,
            )
    medal = f" · {ratings.get('medal')}" if ratings.get("medal") else ""
    console.print(f"Score: {view.score}/100{medal} · session {view.id}", highlight=False)


@practice_app.command("run")
@friendly
def run_command(
    scenario: Annotated[str, typer.Argument(help="A scenario such as es/late_delivery.")],
    temperament: Annotated[
        str | None, typer.Option(help="The customer's temperament (default: chosen by chance).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Fix the customer and their lines (for repeatable runs).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the finished session as JSON.")
    ] = False,
) -> None:
    """Practise one scenario: write each turn (end it with an empty line); the customer answers.

    The session ends when the customer accepts a clear next step, walks away, or the turns
    run out; end of input stops it early. Then each practice is rated Good, Fair or Poor with
    your own words as evidence. Nothing here reaches a real customer.
    """
    # lazy: keeps frankly --help and frankly check fast
    from frankly import practice

    db = open_db()
    view = practice.start_session(
        db,
        scenario,
        trainee=author(),
        temperament=temperament,
        agent_id=actor(db),
        seed=seed,
    )
    interactive = sys.stdin.isatty()
    if not as_json:
        console.print(Text(view.title, style="bold"))
        console.print(Text(view.brief, style="dim"), soft_wrap=True)
        console.print()
        _customer(view, view.turns[0]["customer"], view.anger)
    while not view.ended:
        text = _read_turn(interactive)
        if text is None:
            view = practice.end_session(db, view.id)
            break
        view = practice.take_turn(db, view.id, text)
        last = view.turns[-1]
        if not as_json:
            _customer(view, last["customer"], last["anger"])
    if as_json:
        print_json(view.to_dict())
        return
    _print_score(view)


@practice_app.command("show")
@friendly
def show_command(
    session_id: Annotated[int, typer.Argument(help="The session's number.", min=1)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A session's transcript, every turn annotated with what the customer heard."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import practice

    view = practice.get_session(open_db(), session_id)
    if as_json:
        print_json(view.to_dict())
        return
    console.print(Text(f"{view.title} · {view.scenario} · {view.temperament}", style="bold"))
    for turn in view.turns:
        if "customer" in turn:
            _customer(view, turn["customer"], turn.get("anger"))
            continue
        console.print(Text("you: ", style="bold").append(turn["trainee"]), soft_wrap=True)
        notes = [_note(s) for s in turn.get("signals", [])]
        arrow = {"calmer": "↓ calmer", "same": "→ the same", "angrier": "↑ angrier"}
        console.print(
            Text(
                f"     {arrow[turn['direction']]}: {'; '.join(notes) or 'nothing noticed'}",
                style="dim",
            ),
            soft_wrap=True,
        )
    if view.ended:
        _print_score(view)


def _note(signal: dict[str, Any]) -> str:
    # lazy: keeps frankly --help and frankly check fast
    from frankly.practice import SIGNAL_LABELS

    words = f" “{signal['words']}”" if signal.get("words") else ""
    return f"{SIGNAL_LABELS.get(signal['name'], signal['name'])}{words}"


@practice_app.command("progress")
@friendly
def progress_command(
    team: Annotated[bool, typer.Option("--team", help="Your team's progress (managers).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your scores by practice over time, your weakest skill and the scenario to try next."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly import cases, practice

    db = open_db()
    if team:
        me = actor(db)
        agent = cases.get_agent(db, me) if me is not None else None
        if agent is None or agent.role not in ("manager", "admin"):
            fail("--team shows a manager's team: name a manager with --as or FRANKLY_AGENT.", 2)
        found = practice.team_progress(db, agent)
    else:
        found = [practice.progress(db, author())]
    if as_json:
        print_json([p.to_dict() for p in found])
        return
    table = new_table("trainee", "sessions", "average", "weakest", "try next")
    for p in found:
        weakest = f"{p.weakest} {practice.PRACTICE_NAMES[p.weakest]}" if p.weakest else "—"
        average = f"{p.average:.0f}" if p.average is not None else "—"
        table.add_row(p.trainee, str(p.sessions), average, weakest, p.suggestion or "—")
    console.print(table)


__all__ = ["practice_app"]
