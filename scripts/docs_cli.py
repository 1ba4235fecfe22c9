"""Generate the command-line reference from the app itself, for cog blocks in the docs.

`make docs` runs ``cog -r -I scripts docs/cli.md README.md``; each cog block there imports this
module. ``tests/test_docs.py`` runs ``cog --check`` on the same files, so a command whose help
changes, or a new command, fails the tests until the docs are regenerated.

The help is rendered in-process through Typer's test runner with a fixed width, no colour and
no ``FRANKLY_*`` variables, so the text is the same on every machine and terminal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner

from frankly.cli import app

WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env() -> dict[str, str | None]:
    # None removes a variable for the run: a FRANKLY_AGENT or FRANKLY_DATA_DIR in the
    # developer's shell must not leak into the reference.
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("FRANKLY_")}
    for key in ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "GITHUB_ACTIONS", "TERMINAL_WIDTH"):
        env[key] = None
    env.update({"COLUMNS": str(WIDTH), "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"})
    return env


def commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every visible command and subcommand as (path, click command), in the app's order."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, command
        # Typer vendors click, so test for a group by its shape rather than by its class.
        if hasattr(command, "commands"):
            for name in command.list_commands(None):
                child = command.commands[name]
                if not child.hidden:
                    yield from walk(child, (*path, name))

    yield from walk(typer.main.get_command(app), ())


def top_level() -> list[str]:
    """The names of the top-level commands, in the app's order."""
    return [path[0] for path, _ in commands() if len(path) == 1]


def help_text(path: tuple[str, ...]) -> str:
    """``frankly PATH --help`` as a user sees it, trailing spaces trimmed."""
    result = CliRunner().invoke(app, [*path, "--help"], env=_env(), prog_name="frankly")
    if result.exit_code != 0:
        raise RuntimeError(f"frankly {' '.join(path)} --help failed: {result.output}")
    lines = [_ANSI.sub("", line).rstrip() for line in result.output.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def section(name: str, *, heading: bool = False) -> str:
    """Markdown for one top-level command: its help, then each subcommand's, at any depth.

    The top-level heading is usually written by hand above the cog block (with a line of
    prose); ``heading=True`` adds it, for commands no hand-written section covers yet.
    """
    parts: list[str] = []
    for path, _ in commands():
        if path and path[0] == name:
            text = f"```text\n{help_text(path)}\n```\n"
            if len(path) > 1 or heading:
                title = "#" * min(2 + len(path), 6) + f" `frankly {' '.join(path)}`"
                text = f"{title}\n\n{text}"
            parts.append(text)
    if not parts:
        raise KeyError(f"no command named {name!r}; the commands are: {', '.join(top_level())}")
    return "\n".join(parts)


class Reference:
    """The sections of docs/cli.md: cog shares one globals dict between the blocks of a file,
    so the last block can add every command that no earlier block described."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def section(self, name: str) -> str:
        self.done.append(name)
        return section(name)

    def rest(self) -> str:
        missing = [name for name in top_level() if name not in self.done]
        if not missing:
            return ""
        body = "\n".join(section(name, heading=True) for name in missing)
        return f"## Other commands\n\n{body}"


def overview() -> str:
    """A Markdown table of every command and subcommand with its one-line help."""
    rows = ["| command | what it does |", "|---|---|"]
    for path, command in commands():
        if not path:
            continue
        short = command.get_short_help_str(limit=200).replace("|", "\\|")
        suffix = " …" if hasattr(command, "commands") else ""
        rows.append(f"| `frankly {' '.join(path)}{suffix}` | {short} |")
    return "\n".join(rows) + "\n"


def section_root() -> str:
    """``frankly --help``: the global options and the list of commands."""
    return f"```text\n{help_text(())}\n```\n"
