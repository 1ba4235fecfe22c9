"""``frankly check``: the candour checker on files or standard input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from frankly.check import LEVELS, RULES_ENV, Report, check, load_rules
from frankly.cli._app import app, console, fail, friendly, print_json
from frankly.config import extra_dirs
from frankly.errors import InvalidInput
from frankly.packs import languages

_STYLE = {"error": "bold red", "warning": "yellow", "suggestion": "cyan"}
MAX_LISTED = 500
# LEVELS runs from the worst down: suggestion 0, warning 1, error 2.
RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}


def read_text(source: str) -> str:
    """The text of a file ("-" for standard input), decoded as UTF-8.

    Raises InvalidInput for a missing file, a binary file or text that is not UTF-8.
    """
    if source == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"{source}: no such file")
        data = path.read_bytes()
        name = source
    if b"\x00" in data[:8192]:
        raise InvalidInput(f"{name} looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and try again"
        ) from exc
    if not text.strip():
        raise InvalidInput(f"{name} is empty: there is nothing to check")
    return text


WINDOW = 80  # characters of the line shown around a finding
_FLAGGED_MAX = 48  # of which, at most, the flagged words (a long span is cut in the middle)


def window(line: str, start: int, end: int, width: int = WINDOW) -> tuple[str, int, int]:
    """About ``width`` characters of ``line`` around ``line[start:end]``: the snippet and the
    flagged words' bounds in it. Cuts are shown with "…", so a megabyte on one line prints
    one short line per finding, not the whole line each time.
    """
    end = max(start, min(end, len(line)))
    start = min(start, end)
    flagged = line[start:end]
    if len(flagged) > _FLAGGED_MAX:
        half = (_FLAGGED_MAX - 1) // 2
        flagged = flagged[:half] + "…" + flagged[-half:]
    room = max(width - len(flagged), 0)
    left = min(start, room // 2)
    right = min(len(line) - end, room - left)
    left = min(start, room - right)  # a short right side gives its room to the left
    before = line[start - left : start]
    after = line[end : end + right]
    if start - left > 0:
        before = "…" + before[1:] if before else "…"
    if end + right < len(line):
        after = after[:-1] + "…" if after else "…"
    snippet = before + flagged + after
    # Tabs and other control characters would move the caret: shown as spaces.
    snippet = "".join(" " if c < " " else c for c in snippet)
    return snippet, len(before), len(before) + len(flagged)


def _print_report(name: str, text: str, report: Report, min_severity: str) -> None:
    lines = text.split("\n")
    shown = report.at_least(min_severity)
    for note in report.notes:
        console.print(Text(f"{name}: note: {note}", style="dim"), soft_wrap=True)
    for f in shown[:MAX_LISTED]:
        whole = f.end <= f.start
        where = f"{name}:{f.line}:{f.column}"
        head = Text(f"{where}: ")
        head.append(f.severity, style=_STYLE[f.severity])
        head.append(f" [{f.category}] ", style="bold")
        # A message quotes the flagged words: a very long span must not print in full.
        head.append(f.message if len(f.message) <= 400 else f.message[:399] + "…")
        if whole:
            head.append(" (whole message)", style="dim")
        console.print(head, soft_wrap=True)
        if not whole:
            line = lines[f.line - 1] if f.line - 1 < len(lines) else ""
            snippet, start, end = window(line, f.column - 1, f.column - 1 + (f.end - f.start))
            shown_line = Text("    " + snippet)
            shown_line.stylize("bold red underline", 4 + start, 4 + end)
            console.print(shown_line, soft_wrap=True)
            console.print(" " * (4 + start) + "^" * max(1, end - start), soft_wrap=True)
        if f.suggestion:
            console.print(Text(f"    Suggestion: {f.suggestion}", style="green"), soft_wrap=True)
    if len(shown) > MAX_LISTED:
        # A huge input would take minutes to print in full; JSON has every finding.
        console.print(
            f"{name}: … and {len(shown) - MAX_LISTED} more findings (--format json lists all)",
            soft_wrap=True,
        )
    counts = ", ".join(
        f"{n} {level}{'s' if n != 1 else ''}"
        for level, n in (
            ("error", report.errors),
            ("warning", report.warnings),
            ("suggestion", report.suggestions),
        )
        if n
    )
    summary = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}"
    if counts:
        summary += f" ({counts})"
    console.print(
        Text(
            f"{name}: {summary} · score {report.score}/100 · language {report.language}",
            style="bold",
        ),
        soft_wrap=True,
    )


@app.command("check")
@friendly
def check_command(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files to check; - (or nothing) reads stdin.")
    ] = None,
    lang: Annotated[
        str, typer.Option(help="A language of an installed pack (en, es...) or auto (detect).")
    ] = "auto",
    stage: Annotated[
        str | None,
        typer.Option(
            help="Message stage for the structure checks: first_notice, update, options, "
            "resolution, follow_up, payment_reminder, public_statement."
        ),
    ] = None,
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="The customer's message this replies to.")
    ] = None,
    fault: Annotated[
        str | None, typer.Option(help="Whose fault: ours, partner, customer, outside.")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    min_severity: Annotated[
        str, typer.Option(help="Show findings at or above: suggestion, warning, error.")
    ] = "suggestion",
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 when a finding is at or above: error, warning, suggestion.")
    ] = "error",
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help=f"A rule pack folder (repeatable; also {RULES_ENV})."),
    ] = None,
) -> None:
    """Check a customer message for doublespeak, blame, evasion and missing facts.

    Exit code 0 when no finding is at or above --fail-on, 1 otherwise, 2 for bad input.
    """
    if output not in ("text", "json"):
        fail(f"Unknown format {output!r}: use text or json.", 2)
    for option, value in (("--min-severity", min_severity), ("--fail-on", fail_on)):
        if value not in LEVELS:
            fail(f"Unknown level {value!r} for {option}: use {', '.join(LEVELS)}.", 2)
    sources = list(files or [])
    if not sources:
        if sys.stdin.isatty():
            fail("Give a file to check, or - to read standard input.", 2)
        sources = ["-"]
    ruleset = load_rules([*extra_dirs(RULES_ENV), *(rules or [])])
    # The installed language packs, and any language a --rules folder brings its rules for.
    known = [*languages(), *(code for code in ruleset.languages() if code not in languages())]
    if lang != "auto" and lang not in known:
        fail(f"Unknown language {lang!r}: use {', '.join(known)} or auto.", 2)
    customer = read_text(reply_to) if reply_to else None
    results = []
    worst = -1
    for source in sources:
        text = read_text(source)
        report = check(
            text,
            lang=None if lang == "auto" else lang,
            stage=stage,
            reply_to=customer,
            fault=fault,
            rules=ruleset,
        )
        name = "<stdin>" if source == "-" else source
        results.append((name, text, report))
        for f in report.findings:
            worst = max(worst, RANK[f.severity])
    if output == "json":
        docs = [
            {
                "file": name,
                **report.to_dict(),
                "findings": [f.to_dict() for f in report.at_least(min_severity)],
            }
            for name, _, report in results
        ]
        print_json(docs[0] if len(docs) == 1 else docs)
    else:
        for name, text, report in results:
            _print_report(name, text, report, min_severity)
    if worst >= RANK[fail_on]:
        raise typer.Exit(1)


__all__ = ["check_command", "read_text", "window"]
