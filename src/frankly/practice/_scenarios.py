"""Practice scenarios as data: one YAML file per kind of problem and language.

A scenario lives in a language pack (``data/lang/<lang>/practice/scenarios/<id>.yml``) beside
the customer's stock lines (``practice/lines.yml``); a business adds or replaces scenarios
with its own pack folder (``FRANKLY_LANGUAGE_DIRS``). Files are validated against
``data/practice/schema.json``; a bad file is an ``InvalidInput`` naming the file and the
place in it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from frankly import packs
from frankly.errors import InvalidInput

REACTIONS = ("angrier", "same", "calmer", "chase", "refuse", "manager", "walk_away", "accept")
FIELD = re.compile(r"\{(\w+)\}")


def _data_dir() -> Path:
    return Path(str(resources.files("frankly") / "data" / "practice"))


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((_data_dir() / name).read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True, slots=True)
class Temperament:
    """How one kind of customer starts and how fast they give up."""

    name: str
    label: str
    anger: int
    trust: int
    patience: int
    voice: str  # which stock lines they speak: sarcastic, polite_fury, terse, threatening
    openings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """A follow-up question the customer asks once the first reply is in."""

    id: str
    asks: tuple[str, ...]
    answered_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """One rehearsal: a playbook kind, a customer, the facts, and how they may react."""

    id: str
    kind: str
    language: str
    title: str
    brief: str
    names: tuple[str, ...]
    company: str | None
    tier: str
    facts: dict[str, tuple[str, ...]]
    temperaments: dict[str, Temperament]
    questions: tuple[Question, ...]
    weak_offers: tuple[str, ...]
    options_expected: bool
    max_turns: int
    lines: dict[str, dict[str, tuple[str, ...]]]  # voice -> reaction -> variants
    source: Path

    def pick_facts(self, rng: random.Random) -> dict[str, str]:
        """One value of each fact, and the customer's name and company."""
        chosen = {name: rng.choice(values) for name, values in sorted(self.facts.items())}
        chosen["name"] = rng.choice(self.names)
        chosen["first_name"] = chosen["name"].split()[0]
        chosen["company"] = self.company or ""
        return chosen

    def line(self, voice: str, reaction: str, rng: random.Random, facts: dict[str, str]) -> str:
        """A stock line of ``voice`` for ``reaction``, filled with the facts."""
        variants = self.lines.get(voice, {}).get(reaction) or self.lines["_any"][reaction]
        return fill(rng.choice(variants), facts)


def fill(template: str, facts: dict[str, str]) -> str:
    """``template`` with ``{fact}`` replaced; a fact it lacks stays visible as the name."""
    return FIELD.sub(lambda m: facts.get(m.group(1), m.group(1).replace("_", " ")), template)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML ({exc})") from exc


def _validate(data: Any, schema: dict[str, Any], path: Path) -> None:
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path)
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise InvalidInput(f"{path}: at {where}: {first.message}")


def load_lines(lang: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """The customer's stock lines in ``lang``, by voice and reaction (later packs win)."""
    merged: dict[str, dict[str, tuple[str, ...]]] = {}
    schema = _schema("lines.schema.json")
    for folder in packs.pack_files(lang, "practice"):
        path = folder / "lines.yml"
        if not path.is_file():
            continue
        data = _load_yaml(path)
        _validate(data, schema, path)
        for voice, reactions in data["voices"].items():
            merged.setdefault(voice, {}).update(
                {reaction: tuple(variants) for reaction, variants in reactions.items()}
            )
    if "_any" not in merged or set(REACTIONS) - set(merged["_any"]):
        missing = sorted(set(REACTIONS) - set(merged.get("_any", {})))
        raise InvalidInput(f"practice/lines.yml for {lang!r}: voice _any lacks {missing}")
    return merged


def read_scenario(path: Path, lang: str, lines: dict[str, dict[str, tuple[str, ...]]]) -> Scenario:
    """The scenario in ``path`` (validated: schema, voices known, every {fact} defined)."""
    data = _load_yaml(path)
    _validate(data, _schema("scenario.schema.json"), path)
    facts = {k: tuple(str(v) for v in values) for k, values in data.get("facts", {}).items()}
    known = {*facts, "name", "first_name", "company", "question"}
    temperaments: dict[str, Temperament] = {}
    for name, spec in data["temperaments"].items():
        if spec["voice"] not in lines:
            raise InvalidInput(
                f"{path}: at temperaments/{name}/voice: unknown voice {spec['voice']!r} "
                f"(practice/lines.yml has {', '.join(sorted(v for v in lines if v != '_any'))})"
            )
        temperaments[name] = Temperament(
            name=name,
            label=spec.get("label", name.replace("_", " ")),
            anger=spec["anger"],
            trust=spec["trust"],
            patience=spec["patience"],
            voice=spec["voice"],
            openings=tuple(spec["openings"]),
        )
    questions = tuple(
        Question(q["id"], tuple(q["asks"]), tuple(q.get("answered_by", [])))
        for q in data.get("questions", [])
    )
    texts: list[tuple[str, str]] = [("brief", data["brief"])]
    texts += [
        (f"temperaments/{t.name}/openings", o) for t in temperaments.values() for o in t.openings
    ]
    texts += [(f"questions/{q.id}/asks", a) for q in questions for a in q.asks]
    texts += [
        (f"lines.yml {voice}/{reaction}", variant)
        for voice, reactions in lines.items()
        for reaction, variants in reactions.items()
        for variant in variants
    ]
    for where, text in texts:
        unknown = [f for f in FIELD.findall(text) if f not in known]
        if unknown:
            raise InvalidInput(
                f"{path}: at {where}: {{{unknown[0]}}} is not a fact of {data['id']}"
            )
    return Scenario(
        id=data["id"],
        kind=data["kind"],
        language=lang,
        title=data["title"],
        brief=data["brief"].strip(),
        names=tuple(data["customer"]["names"]),
        company=data["customer"].get("company"),
        tier=data["customer"].get("tier", "standard"),
        facts=facts,
        temperaments=temperaments,
        questions=questions,
        weak_offers=tuple(w.lower() for w in data.get("weak_offers", [])),
        options_expected=bool(data.get("options_expected", True)),
        max_turns=int(data.get("max_turns", 6)),
        lines=lines,
        source=path,
    )


def load_scenarios(lang: str | None = None) -> dict[str, Scenario]:
    """Every installed scenario (of ``lang``, or all languages), keyed ``<lang>/<id>``."""
    found: dict[str, Scenario] = {}
    for code in [lang] if lang else list(packs.languages_with("practice")):
        folders = packs.pack_files(code, "practice")
        if not folders:
            continue
        lines = load_lines(code)
        by_id: dict[str, Path] = {}
        for folder in folders:  # built-in first: a business file replaces one of the same name
            for path in sorted((folder / "scenarios").glob("*.yml")):
                by_id[path.stem] = path
        for stem, path in sorted(by_id.items()):
            scenario = read_scenario(path, code, lines)
            if scenario.id != stem:
                raise InvalidInput(f"{path}: at id: {scenario.id!r} must match the file name")
            found[f"{code}/{scenario.id}"] = scenario
    return found


def validate_paths(paths: list[Path], lang: str) -> list[Scenario]:
    """Validate scenario files (or folders of them) against ``lang``'s stock lines."""
    lines = load_lines(lang)
    out: list[Scenario] = []
    for path in paths:
        files = sorted(path.glob("*.yml")) if path.is_dir() else [path]
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or folder")
        out += [read_scenario(f, lang, lines) for f in files]
    return out


def session_seed() -> int:
    """A seed for a new session (random, but stored, so a session can be replayed)."""
    return random.SystemRandom().randrange(1, 2**31)


__all__ = [
    "REACTIONS",
    "Question",
    "Scenario",
    "Temperament",
    "fill",
    "load_lines",
    "load_scenarios",
    "read_scenario",
    "session_seed",
    "validate_paths",
]
