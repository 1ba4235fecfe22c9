"""Importing logistics milestones from a CSV file (a carrier's export, a warehouse system)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankly import cases
from frankly.cadence._promises import parse_when
from frankly.errors import FranklyError, InvalidInput
from frankly.store import Database, utcnow

# Accepted column names (first match wins), so common exports load without editing.
CASE_COLUMNS = ("case", "case_id")
REF_COLUMNS = ("ref", "reference", "external_ref", "order")
CODE_COLUMNS = ("milestone", "code", "status")
TIME_COLUMNS = ("at", "time", "happened_at", "date")
NOTE_COLUMNS = ("note", "notes", "comment")


@dataclass
class ImportReport:
    """What a milestone import did, line by line."""

    recorded: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "problems": list(self.problems),
        }

    def summary(self) -> str:
        drafts = sum(1 for r in self.recorded if r.get("update_message_id"))
        return (
            f"{len(self.recorded)} milestone(s) recorded, {drafts} update(s) drafted, "
            f"{self.duplicates} already known, {len(self.problems)} problem(s)"
        )


def import_milestones(
    db: Database, path: str | Path, *, author: str = "import", now: dt.datetime | None = None
) -> ImportReport:
    """Record each line of a CSV file as a milestone on its case, drafting updates.

    Columns: ``case`` (id) or ``ref`` (the case's outside reference), ``milestone`` (a
    code such as ``at_customs``), optional ``at`` (ISO time; default now) and ``note``.
    A bad line is reported with its line number and skipped; the others are recorded.
    Importing the same file twice records nothing new. Raises ``InvalidInput`` when the
    file is missing or has no usable header.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"No such file: {path}", field="file")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    case_col = _pick(header, CASE_COLUMNS)
    ref_col = _pick(header, REF_COLUMNS)
    code_col = _pick(header, CODE_COLUMNS)
    if code_col is None or (case_col is None and ref_col is None):
        raise InvalidInput(
            f"{path.name}:1: the header needs a case (or ref) column and a milestone column; "
            f"it has {', '.join(header) or 'nothing'}",
            field="file",
        )
    time_col, note_col = _pick(header, TIME_COLUMNS), _pick(header, NOTE_COLUMNS)
    report = ImportReport()
    now = now or utcnow()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        try:
            case_id = _case_id(db, row, case_col, ref_col)
            happened = _time(row.get(time_col or "", ""), now)
            result = cases.record_milestone(
                db,
                case_id,
                row.get(code_col, ""),
                happened_at=happened,
                note=row.get(note_col or "") or None,
                author=author,
                at=now,
            )
        except FranklyError as exc:
            report.problems.append(f"{path.name}:{number}: {exc}")
            continue
        if result.created:
            report.recorded.append(result.to_dict() | {"line": number})
            report.recorded[-1]["update_message_id"] = result.message.id if result.message else None
        else:
            report.duplicates += 1
    return report


def _pick(header: list[str], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in header), None)


def _case_id(db: Database, row: dict[str, str], case_col: str | None, ref_col: str | None) -> int:
    if case_col and row.get(case_col):
        value = row[case_col].lstrip("#")
        if not value.isdigit():
            raise InvalidInput(f"the case {row[case_col]!r} is not a number", field="case")
        return int(value)
    ref = row.get(ref_col or "", "")
    if not ref:
        raise InvalidInput("the line names no case", field="case")
    found = cases.find_case_by_ref(db, ref)
    if found is None:
        raise InvalidInput(f"no case has the reference {ref!r}", field="ref")
    return found.id


def _time(value: str, now: dt.datetime) -> dt.datetime:
    if not value:
        return now
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            return parse_when(value, "en", "UTC", now=now - dt.timedelta(days=3650))
        except InvalidInput:
            raise InvalidInput(f"{value!r} is not a time (write 2026-11-23T14:30)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if parsed > now + dt.timedelta(minutes=5):
        raise InvalidInput(f"the milestone time {value} is in the future", field="at")
    return parsed
