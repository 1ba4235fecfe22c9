"""Language profiles: the word lists under ``data/text/<lang>.yml``, loaded once and validated.

A new language is a new file in that folder, not new code.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from frankly.errors import InvalidInput

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class QuestionLexicon:
    """What a language uses to ask: indirect openers, question words, topic helpers."""

    indirect: tuple[str, ...]
    wh: frozenset[str]
    asks: tuple[tuple[str, tuple[str, ...]], ...]
    topic_stopwords: frozenset[str]
    synonyms: dict[str, str]


@dataclass(frozen=True, slots=True)
class Profile:
    """One language's word lists."""

    language: str
    name: str
    stopwords: frozenset[str]
    chars: str
    abbreviations: frozenset[str] = frozenset()
    date_words: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    time_suffixes: tuple[str, ...] = ()
    quote_headers: tuple[str, ...] = ()
    questions: QuestionLexicon | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def data_dir() -> Path:
    """The folder holding the language profiles."""
    return Path(str(resources.files("frankly") / "data" / "text"))


@cache
def _schema() -> dict[str, Any]:
    return json.loads((data_dir() / "schema.json").read_text(encoding="utf-8"))


def _build(raw: dict[str, Any]) -> Profile:
    q = raw.get("questions")
    lexicon = None
    if q:
        synonyms: dict[str, str] = {}
        for group in q.get("synonyms", []):
            key = str(group[0]).lower()
            for word in group:
                synonyms[str(word).lower()] = key
        lexicon = QuestionLexicon(
            indirect=tuple(sorted({s.lower() for s in q.get("indirect", [])}, key=len)),
            wh=frozenset(s.lower() for s in q.get("wh", [])),
            asks=tuple((k, tuple(v)) for k, v in q.get("asks", {}).items()),
            topic_stopwords=frozenset(s.lower() for s in q.get("topic_stopwords", [])),
            synonyms=synonyms,
        )
    return Profile(
        language=raw["language"],
        name=raw.get("name", raw["language"]),
        stopwords=frozenset(str(s).lower() for s in raw.get("stopwords", [])),
        chars=raw.get("chars", "") or "",
        abbreviations=frozenset(str(s).lower() for s in raw.get("abbreviations", [])),
        date_words=tuple(str(s).lower() for s in raw.get("date_words", [])),
        months=tuple(str(s) for s in raw.get("months", [])),
        time_suffixes=tuple(str(s) for s in raw.get("time_suffixes", [])),
        quote_headers=tuple(raw.get("quote_headers", [])),
        questions=lexicon,
    )


def _load_file(path: Path, *, validate: bool = False) -> Profile:
    """One profile file. The shipped files are not checked against the schema on every start
    (importing jsonschema and validating is most of the checker's start-up); the test suite
    checks them with ``validate=True`` (tests/test_text.py).
    """
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    errors = []
    if validate:
        import jsonschema

        errors = sorted(
            jsonschema.Draft202012Validator(_schema()).iter_errors(raw),
            key=lambda e: list(e.path),
        )
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "top level"
        raise InvalidInput(f"{path}: {where}: {errors[0].message}")
    if raw["language"] != path.stem:
        raise InvalidInput(f"{path}: language {raw['language']!r} does not match the file name")
    return _build(raw)


_PROFILES: dict[str, Profile] | None = None


def profiles() -> dict[str, Profile]:
    """All language profiles, keyed by ISO code (loaded on first use, then cached)."""
    global _PROFILES
    if _PROFILES is None:
        with _LOCK:
            if _PROFILES is None:
                found = {}
                for path in sorted(data_dir().glob("*.yml")):
                    prof = _load_file(path)
                    found[prof.language] = prof
                _PROFILES = found
    return _PROFILES


def profile(lang: str) -> Profile | None:
    """The profile for ``lang``, or None when Frankly has no word lists for it."""
    return profiles().get(lang)
