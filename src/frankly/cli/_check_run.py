"""What ``frankly check`` does, without the command-line framework.

Both ways in share it: the Typer command (``frankly --help``, the tests' runner) and the
fast path ``main`` takes for ``frankly check`` (argparse from the standard library, so a
check on every save pays for neither Typer nor pydantic). Output is plain text, and rich
colours it only when standard output is a terminal (rich's plain rendering of the same
lines is identical, which tests/test_layers.py checks).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from frankly.check import LEVELS, RULES_ENV, Report, check, load_rules
from frankly.config import extra_dirs
from frankly.errors import FranklyError, InvalidInput
from frankly.packs import languages

_STYLE = {"error": "bold red", "warning": "yellow", "suggestion": "cyan"}
MAX_LISTED = 500
# LEVELS runs from the worst down: suggestion 0, warning 1, error 2.
RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}
FORMATS = ("text", "json")


class CheckFailed(Exception):
    """Bad input or options: one line for stderr and the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Line:
    """One printed line: its text and the styled spans in it (start, end, style)."""

    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, text: str, style: str | None = None) -> Line:
        if style:
            self.spans.append((len(self.text), len(self.text) + len(text), style))
        self.text += text
        return self


def write_lines(lines: list[Line], stream: IO[str] | None = None) -> None:
    """Print ``lines``: coloured through rich on a terminal, plain text otherwise."""
    out = stream or sys.stdout
    if not _is_terminal(out):
        out.write("".join(line.text + "\n" for line in lines))
        return
    # lazy: rich costs ~30 ms to import, paid only when someone is looking at colours
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out)
    for line in lines:
        text = Text(line.text)
        for start, end, style in line.spans:
            text.stylize(style, start, end)
        console.print(text, soft_wrap=True)


def error_line(message: str, stream: IO[str] | None = None) -> None:
    """``Error: message`` on stderr, bold red on a terminal (as every other command)."""
    write_lines([Line("").add("Error:", "bold red").add(f" {message}")], stream or sys.stderr)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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


def report_lines(name: str, text: str, report: Report, min_severity: str) -> list[Line]:
    """The lines ``frankly check`` prints for one file's report."""
    lines = text.split("\n")
    shown = report.at_least(min_severity)
    out: list[Line] = []
    for note in report.notes:
        out.append(Line("").add(f"{name}: note: {note}", "dim"))
    for f in shown[:MAX_LISTED]:
        whole = f.end <= f.start
        head = Line(f"{name}:{f.line}:{f.column}: ")
        head.add(f.severity, _STYLE[f.severity])
        head.add(f" [{f.category}] ", "bold")
        # A message quotes the flagged words: a very long span must not print in full.
        head.add(f.message if len(f.message) <= 400 else f.message[:399] + "…")
        if whole:
            head.add(" (whole message)", "dim")
        out.append(head)
        if not whole:
            line = lines[f.line - 1] if f.line - 1 < len(lines) else ""
            snippet, start, end = window(line, f.column - 1, f.column - 1 + (f.end - f.start))
            out.append(Line("    " + snippet, [(4 + start, 4 + end, "bold red underline")]))
            out.append(Line(" " * (4 + start) + "^" * max(1, end - start)))
        if f.suggestion:
            out.append(Line("").add(f"    Suggestion: {f.suggestion}", "green"))
    if len(shown) > MAX_LISTED:
        # A huge input would take minutes to print in full; JSON has every finding.
        out.append(
            Line(f"{name}: … and {len(shown) - MAX_LISTED} more findings (--format json lists all)")
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
    out.append(
        Line("").add(
            f"{name}: {summary} · score {report.score}/100 · language {report.language}", "bold"
        )
    )
    return out


def run_check(
    files: list[str] | None,
    *,
    lang: str = "auto",
    stage: str | None = None,
    reply_to: str | None = None,
    fault: str | None = None,
    output: str = "text",
    min_severity: str = "suggestion",
    fail_on: str = "error",
    rules: list[Path] | None = None,
) -> int:
    """Check ``files`` ("-" or nothing: standard input), print the reports, and return the
    exit code: 0 when no finding is at or above ``fail_on``, 1 otherwise.

    Raises CheckFailed (exit 2) for bad options or input.
    """
    if output not in FORMATS:
        raise CheckFailed(f"Unknown format {output!r}: use text or json.")
    for option, value in (("--min-severity", min_severity), ("--fail-on", fail_on)):
        if value not in LEVELS:
            raise CheckFailed(f"Unknown level {value!r} for {option}: use {', '.join(LEVELS)}.")
    sources = list(files or [])
    if not sources:
        if sys.stdin.isatty():
            raise CheckFailed("Give a file to check, or - to read standard input.")
        sources = ["-"]
    try:
        ruleset = load_rules([*extra_dirs(RULES_ENV), *(rules or [])])
        # The installed language packs, and any language a --rules folder brings rules for.
        known = [*languages(), *(c for c in ruleset.languages() if c not in languages())]
        if lang != "auto" and lang not in known:
            raise CheckFailed(f"Unknown language {lang!r}: use {', '.join(known)} or auto.")
        customer = read_text(reply_to) if reply_to else None
        results: list[tuple[str, str, Report]] = []
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
            results.append(("<stdin>" if source == "-" else source, text, report))
            for f in report.findings:
                worst = max(worst, RANK[f.severity])
    except FranklyError as exc:
        raise CheckFailed(exc.message, exc.exit_code) from exc
    if output == "json":
        docs: list[dict[str, Any]] = [
            {
                "file": name,
                **report.to_dict(),
                "findings": [f.to_dict() for f in report.at_least(min_severity)],
            }
            for name, _, report in results
        ]
        shown: Any = docs[0] if len(docs) == 1 else docs
        sys.stdout.write(json.dumps(shown, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        for name, text, report in results:
            write_lines(report_lines(name, text, report, min_severity))
    return 1 if worst >= RANK[fail_on] else 0


__all__ = [
    "CheckFailed",
    "Line",
    "error_line",
    "read_text",
    "report_lines",
    "run_check",
    "window",
    "write_lines",
]
