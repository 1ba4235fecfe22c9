"""The words of incidents in each language, as data (``incidents.yml`` of each language pack).

Each file holds the status names, the personal notice's parts and the status page's
words; it is validated against ``data/incidents/schema.json`` when loaded, and an error
names the file, the line and the reason. A new language is a new pack (``frankly.packs``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from babel.dates import format_date, format_datetime
from jinja2 import Environment, StrictUndefined, Template

from frankly import packs
from frankly.errors import InvalidInput

PACK_FILE = "incidents.yml"
# The schema; the words are in the language packs.
FOLDER = Path(__file__).resolve().parent.parent / "data" / "incidents"
# Case facts that carry "your new date", in the order they are looked for.
NEW_DATE_FACTS = ("new_date", "new_eta", "replacement_date", "refund_date", "restored_at")

_ENV = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


class WordsInvalid(InvalidInput):
    """A words file that does not match its schema (the message names file and line)."""


@dataclass(frozen=True)
class PersonalLine:
    needs: tuple[str, ...]
    template: Template


@dataclass(frozen=True)
class Words:
    """Everything written about incidents in one language."""

    lang: str
    locale: str
    name: str
    date_pattern: str
    datetime_pattern: str
    statuses: dict[str, str]
    ui: dict[str, str]
    manager: dict[str, str]
    templates: dict[str, Template] = field(repr=False)
    personal: tuple[PersonalLine, ...] = field(repr=False)

    def status(self, status: str) -> str:
        return self.statuses.get(status, status)

    def say(self, key: str, **values: Any) -> str:
        """A word of the status page, with ``{{ value }}`` filled in."""
        text = self.ui[key]
        return _ENV.from_string(text).render(**values) if values else text

    def date(self, value: dt.date | str) -> str:
        """A date the way this language writes it; text that is not a date stays as it is."""
        parsed = _as_date(value)
        if parsed is None:
            return str(value)
        if isinstance(parsed, dt.datetime):
            parsed = parsed.date()
        return format_date(parsed, self.date_pattern, locale=self.locale)

    def datetime(self, value: dt.datetime, tz: str = "UTC") -> str:
        """A time in the zone ``tz`` (UTC when the zone is unknown), with the zone's name."""
        zone = _zone(tz)
        return format_datetime(value.astimezone(zone), self.datetime_pattern, locale=self.locale)

    def render(self, name: str, **values: Any) -> str:
        return self.templates[name].render(**values)

    def personal_line(self, facts: dict[str, Any]) -> str | None:
        """What the incident means for one customer, from their case's facts (or None)."""
        values = dict(facts)
        if "new_date" not in values:
            for name in NEW_DATE_FACTS:
                if values.get(name):
                    values["new_date"] = values[name]
                    break
        if values.get("new_date"):
            values["new_date"] = self.date(values["new_date"])
        for line in self.personal:
            if all(values.get(need) not in (None, "") for need in line.needs):
                return line.template.render(**{n: values[n] for n in line.needs}).strip()
        return None


def languages() -> list[str]:
    """The languages there are incident words for."""
    return sorted(load_all())


def load_all() -> dict[str, Words]:
    """Every installed language's words, validated (cached). Raises ``WordsInvalid``."""
    return _load_all(tuple((code, packs.pack_file(code, PACK_FILE)) for code in packs.languages()))


@functools.cache
def _load_all(files: tuple[tuple[str, Path | None], ...]) -> dict[str, Words]:
    schema = json.loads((FOLDER / "schema.json").read_text(encoding="utf-8"))
    found: dict[str, Words] = {}
    for code, path in files:
        if path is not None:
            found[code] = load_file(path, schema, code)
    return found


def words(lang: str) -> Words:
    """The words of ``lang``; raises ``InvalidInput`` for a language without a file."""
    found = load_all()
    if lang not in found:
        raise InvalidInput(
            f"No incident words for language {lang!r}: use one of {', '.join(sorted(found))}",
            field="language",
        )
    return found[lang]


def load_file(path: Path, schema: dict[str, Any], language: str | None = None) -> Words:
    """One words file of ``language`` (by default the file's name, as in ``fr.yml``),
    validated; errors name the file, the line and the reason."""
    expected = language or path.stem
    source = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise WordsInvalid(f"{path.name}{at}: not valid YAML ({exc})") from exc
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data)
    )
    if error is not None:
        line = _line_of(source, list(error.absolute_path))
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise WordsInvalid(f"{path.name}:{line}: {where}: {error.message}")
    if data["language"] != expected:
        raise WordsInvalid(f"{path}:1: language is {data['language']!r}, not {expected!r}")
    notice = data["notice"]
    templates: dict[str, Template] = {}
    try:
        for kind, text in notice["subject"].items():
            templates[f"subject.{kind}"] = _ENV.from_string(text)
        for key in (
            "greeting",
            "next_update",
            "status_link",
            "contact",
            "contact_no_phone",
            "contact_fallback",
            "signature",
        ):
            templates[key] = _ENV.from_string(notice[key])
        personal = tuple(
            PersonalLine(tuple(p["needs"]), _ENV.from_string(p["text"])) for p in notice["personal"]
        )
    except Exception as exc:  # a template syntax error, named with its file
        raise WordsInvalid(f"{path.name}: a notice template does not parse: {exc}") from exc
    return Words(
        lang=data["language"],
        locale=data["locale"],
        name=data["name"],
        date_pattern=data["date"],
        datetime_pattern=data["datetime"],
        statuses=dict(data["statuses"]),
        ui=dict(data["ui"]),
        manager=dict(data.get("manager") or {}),
        templates=templates,
        personal=personal,
    )


def _line_of(source: str, path: list[Any]) -> int:
    """The 1-based line of the node at ``path`` in the YAML source (1 when not found)."""
    try:
        node = yaml.compose(source)
    except yaml.YAMLError:
        return 1
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            match = node.value[part] if part < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def _as_date(value: dt.date | str) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
