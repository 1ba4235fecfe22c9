"""The cadence's words per language (``cadence.yml`` of each language pack), validated at load.

A new language is a new pack folder (see ``frankly.packs``). A file that breaks the schema raises
``CadenceTextInvalid`` naming the file, the line and the reason.
"""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from frankly import packs
from frankly.errors import InvalidInput

# The schema; the words are in the language packs.
DATA = Path(__file__).resolve().parent.parent / "data" / "cadence"
PACK_FILE = "cadence.yml"
DEFAULT_LANGUAGE = "en"


class CadenceTextInvalid(InvalidInput):
    """A cadence words file is malformed."""


def languages() -> list[str]:
    """The languages whose pack has cadence words."""
    return sorted(packs.languages_with(PACK_FILE))


def texts(language: str) -> dict[str, Any]:
    """The words for ``language`` (English when its pack has none)."""
    path = packs.pack_file(language, PACK_FILE)
    if path is None:
        language, path = DEFAULT_LANGUAGE, packs.pack_file(DEFAULT_LANGUAGE, PACK_FILE)
    if path is None:
        raise CadenceTextInvalid(f"the {language!r} language pack has no {PACK_FILE}")
    return _load(path, language)


@functools.cache
def _load(path: Path, language: str) -> dict[str, Any]:
    return load_file(path, language)


def load_file(path: Path, language: str | None = None) -> dict[str, Any]:
    """Load and validate one words file of ``language`` (by default the file's name, as in
    ``fr.yml``). Raises ``CadenceTextInvalid``."""
    expected = language or path.stem
    source = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise CadenceTextInvalid(f"{path.name}:{line}: not valid YAML ({exc})") from exc
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        line = _line(source, list(first.absolute_path))
        where = "/".join(str(p) for p in first.absolute_path) or "top level"
        raise CadenceTextInvalid(f"{path.name}:{line}: {where}: {first.message}")
    if data["language"] != expected:
        raise CadenceTextInvalid(
            f"{path}:1: language is {data['language']!r} but the file is for {expected!r}"
        )
    _check_placeholders(path, source, data)
    return data


def fill(template: str, **values: Any) -> str:
    """``template`` with its ``{placeholders}`` filled; a missing value is left blank."""
    return string.Formatter().vformat(template, (), _Blank(values))


# Placeholders each template may use: a typo in a data file fails at load, not at 3 am.
ALLOWED = {
    "today": {
        "customer",
        "title",
        "trigger",
        "due",
        "ago",
        "since",
        "window",
        "left",
        "attempts",
        "error",
        "stage",
        "days",
    },
    "triggers": {"new_eta", "promised_date", "invoice", "due_date", "milestone", "ago"},
    "messages": {
        "first_name",
        "title",
        "milestone",
        "next_update",
        "owner_phone",
        "owner_name",
        "invoice",
        "amount",
        "due_date",
        "pay_link",
    },
    "code_line": {"percent", "code", "expires"},
}


def _check_placeholders(path: Path, source: str, data: dict[str, Any]) -> None:
    def names(text: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field}

    def check(section: str, keys: list[str], text: str) -> None:
        unknown = names(text) - ALLOWED[section]
        if unknown:
            line = _line(source, keys)
            raise CadenceTextInvalid(
                f"{path.name}:{line}: unknown placeholder {{{sorted(unknown)[0]}}}; "
                f"use {', '.join(sorted(ALLOWED[section]))}"
            )

    for kind, entry in data["today"].items():
        for part, text in entry.items():
            check("today", ["today", kind, part], text)
    for kind, text in data["triggers"].items():
        check("triggers", ["triggers", kind], text)
    for kind, entry in data["messages"].items():
        for part, text in entry.items():
            check("messages", ["messages", kind, part], text)
    check("code_line", ["code_line"], data["code_line"])


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((DATA / "schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _line(source: str, path: list[Any]) -> int | str:
    """The line of ``path`` in the YAML ``source`` (1-based), or ``?``."""
    try:
        node = yaml.compose(source)
    except yaml.YAMLError:
        return "?"
    line = node.start_mark.line + 1 if node is not None else 1
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line
