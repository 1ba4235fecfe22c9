"""Loading triage knowledge (lexicons, risks, kinds, advice, settings) from YAML, validated.

Every file is checked against its JSON Schema in ``data/triage/schema``; a broken file raises
``TriageDataError`` naming the file, the line and the reason, so a business editing its own
lexicon sees exactly what to fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from frankly import packs
from frankly.errors import FranklyError

# The language-independent settings and the schemas; each language's files are in its pack
# (``data/lang/<code>/triage/``, see ``frankly.packs``).
DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "triage"
SCHEMA_DIR = DATA_DIR / "schema"
FILES = ("lexicon.yml", "kinds.yml", "risks.yml", "advice.yml")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ISSUE_KINDS = (
    "late_delivery",
    "wrong_item",
    "defective_product",
    "billing_error",
    "overdue_payment",
    "return_refused",
    "poor_results",
    "overpromised",
    "service_outage",
    "other",
)
CUE_CATEGORIES = (
    "anger",
    "insult",
    "profanity",
    "intensifier",
    "frustration",
    "worry",
    "sadness",
    "satisfaction",
    "problem",
    "negation",
    "politeness",
)
RISKS = ("churn", "legal", "public", "insult", "urgency", "repeat")
EMOTIONS = ("anger", "frustration", "worry", "sadness", "satisfaction")
LEVELS = ("calm", "annoyed", "angry", "furious")


class TriageDataError(FranklyError):
    """A triage data file (lexicon, advice, settings) is missing or does not match its schema."""

    code = "triage_data"


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """Everything triage knows about one language, as loaded from its pack's ``triage/``."""

    language: str
    cues: dict[str, tuple[str, ...]]
    kinds: dict[str, tuple[str, ...]]
    risks: dict[str, tuple[str, ...]]
    urgency_words: tuple[str, ...]
    urgency_patterns: tuple[re.Pattern[str], ...]
    advice: dict[str, str]
    # Phrases whose words are no cue ("sorry for the inconvenience", "alta demanda").
    neutral: tuple[str, ...] = ()
    # Risk phrasings a word list cannot hold ("if … not fixed … we cancel", "emailed 4 times").
    risk_patterns: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    """Language-independent settings from ``data/triage/triage.yml`` and ``advice.yml``."""

    anger_levels: dict[str, float]
    emotion_threshold: float
    complaint_threshold: float
    complaint_floors: tuple[tuple[tuple[str, ...], float], ...]
    anger_floors: tuple[tuple[tuple[str, ...], float], ...]
    max_input_chars: int
    max_analysed_chars: int
    min_letters: int
    mixed_language_confidence: float
    advice_rules: tuple[tuple[str, dict[str, Any]], ...]
    advice_max_items: int


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / schema_name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _line_of(node: yaml.Node | None, path: list[Any]) -> int:
    """The 1-based line of the YAML node at ``path``, or of its nearest parent that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in path:
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == key), None)
            if pair is not None:
                found, line = pair[1], pair[0].start_mark.line + 1  # the key's line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            found = node.value[key]
            line = found.start_mark.line + 1
        if found is None:
            break
        node = found
    return line


def load_yaml(path: Path, schema_name: str) -> Any:
    """Read ``path`` and validate it against ``schema/<schema_name>``.

    Raises ``TriageDataError`` ("file:line: reason") when the file is missing, is not YAML, or
    does not match the schema.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TriageDataError(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise TriageDataError(f"{path}:{line}: not valid YAML: {problem}") from exc
    errors = sorted(_validator(schema_name).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        node = yaml.compose(text, Loader=yaml.SafeLoader)  # only now: lines cost a second parse
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        line = _line_of(node, list(error.absolute_path))
        raise TriageDataError(f"{path}:{line}: {error.message} (at {where})")
    return data


def _check_language(path: Path, data: dict[str, Any], language: str) -> None:
    if data["language"] != language:
        raise TriageDataError(
            f"{path}:1: says language {data['language']!r} but lives in the {language!r} folder"
        )


def available_languages() -> tuple[str, ...]:
    """Languages whose pack has triage data (a new language is a new pack folder)."""
    return tuple(sorted(packs.languages_with("triage/lexicon.yml")))


def language_file(language: str, name: str) -> Path:
    """The pack file ``triage/<name>`` of ``language`` (a business pack's replaces the built-in
    one); raises ``TriageDataError`` when the language's pack has none."""
    path = packs.pack_file(language, f"triage/{name}")
    if path is None:
        raise TriageDataError(f"the {language!r} language pack has no triage/{name}")
    return path


@cache
def load_settings() -> Settings:
    """The shared settings and advice rules. Raises ``TriageDataError`` on a broken file."""
    raw = load_yaml(DATA_DIR / "triage.yml", "settings.schema.json")
    rules = load_yaml(DATA_DIR / "advice.yml", "advice_rules.schema.json")
    levels = raw["anger_levels"]
    bounds = [levels[name] for name in LEVELS]
    if bounds != sorted(bounds) or bounds[0] != 0.0:
        raise TriageDataError(
            f"{DATA_DIR / 'triage.yml'}:2: anger_levels must start at 0 and rise to furious"
        )
    return Settings(
        anger_levels={name: float(levels[name]) for name in LEVELS},
        emotion_threshold=float(raw["emotion_threshold"]),
        complaint_threshold=float(raw["complaint_threshold"]),
        complaint_floors=tuple(
            (tuple(f["when"]), float(f["floor"])) for f in raw["complaint_floors"]
        ),
        anger_floors=tuple((tuple(f["when"]), float(f["floor"])) for f in raw["anger_floors"]),
        max_input_chars=int(raw["max_input_chars"]),
        max_analysed_chars=int(raw["max_analysed_chars"]),
        min_letters=int(raw["min_letters"]),
        mixed_language_confidence=float(raw["mixed_language_confidence"]),
        advice_rules=tuple((r["id"], dict(r["when"])) for r in rules["rules"]),
        advice_max_items=int(rules["max_items"]),
    )


def load_language(language: str) -> LanguagePack:
    """The lexicons, risk cues, kind cues and advice texts of one language, from its pack.

    Raises ``TriageDataError`` when a file is missing or broken, when a regular expression does
    not compile, or when an advice rule has no text in this language.
    """
    return _load_language(language, tuple(language_file(language, name) for name in FILES))


@cache
def _load_language(language: str, files: tuple[Path, ...]) -> LanguagePack:
    lexicon_path, kinds_path, risks_path, advice_path = files
    lexicon = load_yaml(lexicon_path, "lexicon.schema.json")
    kinds = load_yaml(kinds_path, "kinds.schema.json")
    risks = load_yaml(risks_path, "risks.schema.json")
    advice = load_yaml(advice_path, "advice_texts.schema.json")
    for path, data in (
        (lexicon_path, lexicon),
        (kinds_path, kinds),
        (risks_path, risks),
        (advice_path, advice),
    ):
        _check_language(path, data, language)
    node = yaml.compose(risks_path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)

    def compile_all(sources: list[str], where: list[Any]) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for index, source in enumerate(sources):
            try:
                compiled.append(re.compile(source, re.IGNORECASE))
            except re.error as exc:
                line = _line_of(node, [*where, index])
                raise TriageDataError(
                    f"{risks_path}:{line}: pattern does not compile: {exc}"
                ) from exc
        return tuple(compiled)

    patterns = compile_all(risks["urgency"]["patterns"], ["urgency", "patterns"])
    risk_patterns = {
        name: compile_all(sources, ["patterns", name])
        for name, sources in risks.get("patterns", {}).items()
    }
    missing = [rule for rule, _ in load_settings().advice_rules if rule not in advice["advice"]]
    if missing:
        raise TriageDataError(f"{advice_path}:1: no text for advice {', '.join(missing)}")
    return LanguagePack(
        language=language,
        cues={name: tuple(words) for name, words in lexicon["cues"].items()},
        kinds={name: tuple(words) for name, words in kinds["kinds"].items()},
        risks={name: tuple(words) for name, words in risks["risks"].items()},
        urgency_words=tuple(risks["urgency"]["words"]),
        urgency_patterns=patterns,
        advice=dict(advice["advice"]),
        neutral=tuple(lexicon.get("neutral", ())),
        risk_patterns=risk_patterns,
    )


def load_seeds(language: str) -> list[dict[str, Any]]:
    """The hand-written training examples of one language (used by the training script)."""
    path = language_file(language, "seeds.yml")
    data = load_yaml(path, "seeds.schema.json")
    _check_language(path, data, language)
    return list(data["examples"])
