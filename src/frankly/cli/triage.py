"""``frankly triage``: read customers' messages as a calm account manager would."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frankly.triage import TriageReport

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from frankly.cli._app import app, console, err_console, fail, friendly, print_json
from frankly.errors import InvalidInput


@app.command("triage")
@friendly
def triage_command(
    files: list[str] = typer.Argument(
        None,
        help=(
            "Files holding one message each (UTF-8 text), or .eml / .mbox mail files (each "
            "mail's own words: headers, quoted reply and signature off); '-' or none reads stdin."
        ),
    ),
    output_format: str = typer.Option("text", "--format", help="text or json"),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Each file is JSONL or CSV with a 'text' column: one report per line.",
    ),
    lang: str | None = typer.Option(None, "--lang", help="Skip language detection (en, es)."),
) -> None:
    """Triage customer messages: complaint, anger, emotions, kind, risks, questions, advice."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.triage import triage

    if output_format not in ("text", "json"):
        fail(f"Unknown format {output_format!r}: use text or json.", 2)
    sources = files or ["-"]
    if batch:
        _run_batch(sources, output_format, lang)
        return
    reports = [(name, triage(text, lang)) for source in sources for name, text in _texts(source)]
    if output_format == "json":
        dicts = [{"source": name, **report.to_dict()} for name, report in reports]
        print_json(dicts[0] if len(dicts) == 1 else dicts)
        return
    for name, report in reports:
        if len(reports) > 1:
            console.print(f"[bold]== {name}[/]", highlight=False)
        _print_report(report)


# The largest file read (a batch holds many messages), and the most of one message that
# is triaged: the same 100,000 characters the API allows a message.
MAX_FILE_BYTES = 50_000_000
MAX_MESSAGE_CHARS = 100_000
MAIL_SUFFIXES = (".eml", ".mbox")


def _read(name: str) -> str:
    """A UTF-8 text file, read by ``frankly check``'s rules: a binary file or one that is
    not UTF-8 is refused, not guessed at."""
    # lazy: keeps frankly --help and frankly check fast
    from frankly.cli.check import read_text

    if name != "-":
        try:
            size = Path(name).stat().st_size
        except OSError as exc:
            raise InvalidInput(f"Cannot read {name}: {exc.strerror or exc}.") from exc
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"{name} is {size:,} bytes: the limit is {MAX_FILE_BYTES:,}.")
    return read_text(name)


def _texts(source: str) -> Iterator[tuple[str, str]]:
    """The messages of one source: one for a text file, one per mail of an .eml/.mbox."""
    if source == "-" or Path(source).suffix.lower() not in MAIL_SUFFIXES:
        yield source, _read(source)[:MAX_MESSAGE_CHARS]
        return
    # lazy: keeps frankly --help and frankly check fast
    from frankly.delivery import parse_mail, read_mail_file, strip_reply

    if Path(source).is_file() and Path(source).stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{source} is larger than {MAX_FILE_BYTES:,} bytes.")
    mails = list(read_mail_file(source))
    for number, raw in enumerate(mails, 1):
        name = source if len(mails) == 1 else f"{source}#{number}"
        try:
            mail = parse_mail(raw)
        except InvalidInput as exc:
            raise InvalidInput(f"{name}: {exc.message}", field=exc.field) from exc
        yield name, strip_reply(mail.body)[:MAX_MESSAGE_CHARS]


def _batch_rows(name: str) -> Iterator[dict[str, Any]]:
    """Messages of a JSONL or CSV file (chosen by its first character), each with 'text'."""
    content = _read(name)
    stripped = content.lstrip()
    if stripped.startswith("{"):
        for number, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{name}:{number}: not a JSON object ({exc.msg}).") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InvalidInput(f"{name}:{number}: each line needs a 'text' string.")
            yield {"line": number, **row}
        return
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise InvalidInput(f"{name}: a CSV batch needs a 'text' column in its header.")
    for number, row in enumerate(reader, 2):
        yield {"line": number, **row}


def _run_batch(sources: list[str], output_format: str, lang: str | None) -> None:
    # lazy: keeps frankly --help and frankly check fast
    from frankly.triage import triage

    rows = [(name, row) for name in sources for row in _batch_rows(name)]
    # Imported here: only a batch shows a progress bar, and rich.progress is slow to import.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("triage"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
        transient=True,
    )
    out = sys.stdout
    with progress:
        task = progress.add_task("triage", total=len(rows))
        for name, row in rows:
            report = triage(row["text"], row.get("lang") or lang)
            ident = row.get("id", f"{name}:{row['line']}")
            if output_format == "json":
                data = {"id": ident, **report.to_dict()}
                data.pop("text", None)
                out.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
            else:
                out.write(f"{ident}\t{_summary(report)}\n")
            progress.advance(task)


def _summary(report: TriageReport) -> str:
    if report.complaint is None or report.anger is None or report.issue_kind is None:
        return "; ".join(n.message for n in report.notices)
    risks = ",".join(r.kind for r in report.risks) or "-"
    complaint = "complaint" if report.complaint.is_complaint else "no complaint"
    return (
        f"{report.language.code}\t{complaint}"
        f" {report.complaint.probability:.2f}\t{report.anger.level} {report.anger.intensity:.2f}"
        f"\t{report.issue_kind.kind}\trisks={risks}\tquestions={len(report.questions)}"
    )


def _print_report(report: TriageReport) -> None:
    lang = report.language
    if report.complaint is None or report.anger is None or report.issue_kind is None:
        for notice in report.notices:
            console.print(f"[yellow]{notice.message}[/]", highlight=False)
        return
    lines = [
        f"Language:   {lang.code} ({lang.confidence:.2f})",
        f"Complaint:  {'yes' if report.complaint.is_complaint else 'no'} "
        f"({report.complaint.probability:.2f})",
        f"Anger:      {report.anger.level} ({report.anger.intensity:.2f})",
        "Emotions:   "
        + (", ".join(f"{e.name} {e.score:.2f}" for e in report.emotions) or "none stands out"),
        f"Issue kind: {report.issue_kind.kind} ({report.issue_kind.score:.2f})",
    ]
    for line in lines:
        console.print(line, highlight=False)
    if report.risks:
        console.print("Risks:", highlight=False)
        for risk in report.risks:
            words = ", ".join(f'"{t.text}"' for t in risk.triggers)
            extra = ""
            if risk.deadline:
                extra = f" (deadline: {risk.deadline}" + (
                    f" = {risk.deadline_date})" if risk.deadline_date else ")"
                )
            console.print(f"  - {risk.kind}: {words}{extra}", highlight=False, markup=False)
    if report.questions:
        console.print("Questions:", highlight=False)
        for number, question in enumerate(report.questions, 1):
            console.print(f"  {number}. {question.text}", highlight=False, markup=False)
    if report.advice:
        console.print("Advice:", highlight=False)
        for advice in report.advice:
            console.print(f"  - {advice.text}", highlight=False, markup=False)
    for notice in report.notices:
        console.print(f"Note: {notice.message}", highlight=False, markup=False)
