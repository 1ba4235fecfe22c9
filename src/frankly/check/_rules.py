"""Rule files: loading, validating against the JSON Schema, and compiling them for one scan.

Every phrase of every rule of a language goes into one Aho-Corasick automaton; a match carries
its key's number, and ``Pack.entries`` gives the slots (rule and role) that key belongs to, so
the rule is identified after the match, not during it. A malformed file is rejected with its
path, the line of the offending entry and the reason.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from frankly import packs
from frankly.check import _accel, _cache
from frankly.errors import InvalidInput
from frankly.text import profile as text_profile

CATEGORIES: tuple[str, ...] = (
    "doublespeak",
    "evasive-passive",
    "blame",
    "hedging",
    "minimizing",
    "over-apology",
    "vague-promise",
    "shouting",
    "readability",
    "missing-admission",
    "missing-what",
    "missing-why",
    "missing-action",
    "missing-options",
    "missing-next-update",
    "missing-contact",
    "unanswered-question",
    "mirroring",
)
LEVELS: tuple[str, ...] = ("error", "warning", "suggestion")
RULE_KINDS: tuple[str, ...] = (
    "existence",
    "substitution",
    "occurrence",
    "requires",
    "sequence",
    "metric",
    "script",
)
STAGES: tuple[str, ...] = (
    "first_notice",
    "update",
    "options",
    "resolution",
    "follow_up",
    "payment_reminder",
    "public_statement",
)
FAULTS: tuple[str, ...] = ("ours", "partner", "customer", "outside")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SPECIAL_MASK, SPECIAL_MONTH = 2, 3

# What one key means for one rule: (rule index, role, payload).
Entry = tuple[int, str, str | None]
# The pseudo rule whose "date" slot the language's date words (weekdays, "tomorrow") fill.
DATE_RULE = -1

# Literal cues for the parts of frankly.text.mask.wording_spans a message needs.
MASK_CUES: dict[str, str] = {
    "@": "email",
    "://": "url",
    "www.": "url",
    '"': "dquote",
    "“": "dquote",
    "«": "dquote",
    "„": "dquote",
    " '": "squote",
    "\n'": "squote",
    "‘": "squote",
    ">": "qline",
    "wrote:": "header",
    "escribió:": "header",
    "original message": "header",
    "mensaje original": "header",
    "from:": "header",
    "de:": "header",
    "sent from": "header",
    "enviado desde": "header",
}
_MAX_EXPANSIONS = 4096
_ACCENTED = re.compile(r"[áéíóúü]")


class RuleError(InvalidInput):
    """A rule file that cannot be used: names the file, the line and the reason."""


@dataclass(frozen=True, slots=True)
class Example:
    """A text a rule must (``fire``) or must not (``quiet``) flag, with its context."""

    text: str
    stage: str | None = None
    fault: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule as written in its YAML file."""

    id: str
    language: str
    category: str
    level: str
    kind: str
    message: str
    why: str
    suggestion: str | None
    source: str
    fire: tuple[Example, ...]
    quiet: tuple[Example, ...]
    stages: frozenset[str] | None = None
    faults: frozenset[str] | None = None
    any_language: bool = False
    spec: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Slot:
    """What a phrase match means: which rule, which role (tokens, requires, ...), payload."""

    rule: int
    role: str
    payload: str | None = None


@dataclass(slots=True)
class Pack:
    """The compiled rules of one language."""

    language: str
    rules: tuple[Rule, ...]
    automaton: Any
    slots: tuple[Slot, ...]
    # Rules to evaluate even when none of their phrases matched (metrics, scripts, regexes).
    always: tuple[int, ...]
    regexes: dict[int, tuple[re.Pattern[str], ...]]
    # A quick pattern that must be found before a rule's regexes are run at all.
    triggers: dict[int, re.Pattern[str] | str]
    # Sequence rules: one anchored pattern per group after the first, and what may not follow.
    followers: dict[int, tuple[re.Pattern[str], ...]]
    unless: dict[int, re.Pattern[str]]
    scripts: dict[int, Callable[..., Any]]
    phrases: tuple[str, ...]
    # For each automaton key (by the number in its match): the (rule, role, payload) slots it
    # fills when it matches as a whole word, and when it matches as the start of a word.
    entries: tuple[tuple[tuple[Entry, ...], tuple[Entry, ...]], ...] = ()
    # Per (stage, fault, language support): which rules apply, filled by the engine.
    cache: dict[Any, Any] = field(default_factory=dict)
    # The same keys as a C automaton (frankly._speedups), or None: the Python scan runs.
    scanner: Any = None
    # Whether the language's date words are keys of the automaton (slot DATE_RULE, "date").
    date_words: bool = False

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@dataclass(slots=True)
class RuleSet:
    """All compiled packs, by language, and where they came from.

    ``packs`` is a read-only mapping; a language made of built-in rule files alone is
    compiled when first looked up, so checking English never compiles Spanish.
    """

    packs: Mapping[str, Pack]
    dirs: tuple[Path, ...]
    load_seconds: float

    def rules(self) -> list[Rule]:
        return [rule for pack in self.packs.values() for rule in pack.rules]

    def languages(self) -> list[str]:
        return sorted(self.packs)


def schema_dir() -> Path:
    """The folder of the rule files' JSON Schema (the rules live in the language packs)."""
    return Path(str(resources.files("frankly") / "data" / "rules"))


def builtin_dir() -> Path:
    """The folder of the built-in language packs, whose ``<lang>/rules/`` hold the rules."""
    return packs.builtin_dir()


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every rule file must follow."""
    return json.loads((schema_dir() / "schema.json").read_text(encoding="utf-8"))


@cache
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


# -- locating errors ---------------------------------------------------------------------


def _line_of(source: str, path: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``path`` (the nearest existing parent)."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = next(((k, v) for k, v in node.value if k.value == step), None)
            if pair is None:
                break
            # The key's line: "examples:" rather than the first line of its value.
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _fail(file: Path, source: str, path: Sequence[str | int], reason: str) -> RuleError:
    return RuleError(f"{file}:{_line_of(source, path)}: {reason}")


# -- phrases -----------------------------------------------------------------------------


class _Marks(dict[int, int | None]):
    """A str.translate table that deletes combining marks (category Mn), filled on first use."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = value
        return value


_MARKS = _Marks()


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFD", text).translate(_MARKS)


def _split_top(pattern: str) -> list[str]:
    """Split on ``|`` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(pattern):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _expand_seq(pattern: str, original: str) -> list[str]:
    results = [""]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "(":
            depth, j = 1, i + 1
            while j < len(pattern) and depth:
                if pattern[j] == "(":
                    depth += 1
                elif pattern[j] == ")":
                    depth -= 1
                j += 1
            if depth:
                raise ValueError(f"pattern {original!r} has unbalanced brackets")
            options = [
                x
                for part in _split_top(pattern[i + 1 : j - 1])
                for x in _expand_seq(part, original)
            ]
            results = [r + o for r in results for o in options]
            i = j
        elif c == ")":
            raise ValueError(f"pattern {original!r} has unbalanced brackets")
        else:
            j = i
            while j < len(pattern) and pattern[j] not in "()":
                j += 1
            results = [r + pattern[i:j] for r in results]
            i = j
        if len(results) > _MAX_EXPANSIONS:
            raise ValueError(f"pattern {original!r} stands for more than {_MAX_EXPANSIONS} phrases")
    return results


def expand(pattern: str) -> list[str]:
    """Every literal a phrase pattern stands for, lower-cased.

    ``(a|b)`` is a choice (groups may nest), ``(a |)`` an optional word; a trailing ``*``
    (kept in the result) lets the last word continue ("right-siz*" matches "right-sizing").
    Accented Spanish vowels also match without their accent. Raises ValueError for
    unbalanced brackets or too many combinations.
    """
    out: list[str] = []
    for part in _split_top(pattern):
        for combo in _expand_seq(part, pattern):
            literal = " ".join(combo.split()).lower().replace("’", "'")
            if not literal.strip("*"):
                continue
            out.append(literal)
            if _ACCENTED.search(literal):
                out.append(_strip_accents(literal))
    return list(dict.fromkeys(out))


# -- loading -----------------------------------------------------------------------------


def _examples(raw: Iterable[Any]) -> tuple[Example, ...]:
    out = []
    for item in raw:
        if isinstance(item, str):
            out.append(Example(item))
        else:
            out.append(
                Example(item["text"], item.get("stage"), item.get("fault"), item.get("reply_to"))
            )
    return tuple(out)


def _read(
    file: Path, language: str | None, *, validate: bool = True
) -> tuple[str, list[Rule], list[str]]:
    """Parse and validate one file; returns its language, its rules and ids it disables.

    ``validate=False`` skips the JSON Schema check, for the rule files shipped with Frankly:
    the test suite validates them (tests/test_check_rules.py), and skipping it saves a third of
    the start-up time of every process that checks a message.
    """
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{file}: cannot read the rule file: {exc}") from exc
    try:
        data = yaml.load(source, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"{file}:{line}: not valid YAML: {problem}") from exc
    if data is None:
        return (language or "", [], [])
    errors = list(_validator().iter_errors(data)) if validate else []
    if errors:
        # The deepest error is the most precise one to report.
        err = max(errors, key=lambda e: len(e.absolute_path))
        if err.validator in ("oneOf", "anyOf") and err.context:
            err = max(err.context, key=lambda e: len(e.absolute_path))
        raise _fail(file, source, list(err.absolute_path), err.message)
    lang = data.get("language") or language
    if not lang:
        raise _fail(file, source, [], "a rule file outside a language folder must set `language`")
    if language and data.get("language") and data["language"] != language:
        raise _fail(
            file, source, ["language"], f"language {data['language']!r} is in folder {language!r}"
        )
    rules = []
    for i, raw in enumerate(data.get("rules", [])):
        stages = raw.get("stages")
        for j, stage in enumerate(stages or []):
            if stage not in STAGES:
                raise _fail(
                    file,
                    source,
                    ["rules", i, "stages", j],
                    f"unknown stage {stage!r} (one of {', '.join(STAGES)})",
                )
        for role in ("fire", "quiet"):
            for j, ex in enumerate(raw["examples"][role]):
                if isinstance(ex, dict) and ex.get("stage") and ex["stage"] not in STAGES:
                    raise _fail(
                        file,
                        source,
                        ["rules", i, "examples", role, j],
                        f"unknown stage {ex['stage']!r}",
                    )
        faults = raw.get("faults")
        rules.append(
            Rule(
                id=raw["id"],
                language=lang,
                category=raw["category"],
                level=raw["level"],
                kind=raw["kind"],
                message=raw["message"].strip(),
                why=(raw.get("why") or "").strip(),
                suggestion=raw.get("suggestion"),
                source=f"{file}:{_line_hint(source, i)}",
                fire=_examples(raw["examples"]["fire"]),
                quiet=_examples(raw["examples"]["quiet"]),
                stages=frozenset(stages) if stages else None,
                faults=frozenset(faults) if faults else None,
                any_language=bool(raw.get("any_language", False)),
                spec=raw,
            )
        )
        if raw.get("enabled") is False:
            rules.pop()
    return (lang, rules, list(data.get("disable", [])))


def _line_hint(source: str, index: int) -> int:
    # Cheap line lookup for a rule's "source": the index-th "- id:" line.
    count = -1
    for lineno, line in enumerate(source.splitlines(), start=1):
        if line.lstrip().startswith("- id:"):
            count += 1
            if count == index:
                return lineno
    return 1


def _files(directory: Path) -> list[tuple[Path, str | None]]:
    if not directory.is_dir():
        raise RuleError(f"{directory}: no such rule folder")
    found: list[tuple[Path, str | None]] = []
    for path in sorted(directory.glob("*.y*ml")):
        found.append((path, None))
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        if re.fullmatch(r"[a-z]{2,3}", sub.name):
            found.extend((path, sub.name) for path in sorted(sub.glob("*.y*ml")))
    return found


# -- compiling ---------------------------------------------------------------------------


_BUILTIN_SCRIPTS: dict[str, str] = {
    "structure": "frankly.check._scripts:structure",
    "mirroring": "frankly.check._scripts:mirroring",
    "unanswered_questions": "frankly.check._scripts:unanswered_questions",
}


def _follower(patterns: list[str], within: int) -> re.Pattern[str]:
    """A pattern matching, right after a previous match, up to ``within`` words then a phrase."""
    literals: list[str] = []
    for pattern in patterns:
        literals.extend(expand(pattern))
    alternatives = []
    for literal in sorted(set(literals), key=len, reverse=True):
        body = re.escape(literal.rstrip("*"))
        tail = r"[\w-]*" if literal.endswith("*") else r"(?![\w])"
        alternatives.append(body + tail)
    gap = rf"(?:[^\W\d_][\w'-]*[ \t]+){{0,{within}}}" if within else ""
    return re.compile(rf"[ \t]+{gap}(?:{'|'.join(alternatives)})")


def _resolve_script(name: str) -> Callable[..., Any]:
    target = _BUILTIN_SCRIPTS.get(name, name)
    if ":" not in target:
        raise ValueError(
            f"unknown script {name!r}: use one of {', '.join(_BUILTIN_SCRIPTS)} or module:function"
        )
    module, _, func = target.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"script {name!r} cannot be imported: {exc}") from exc


# The C scanner's tables: the automaton's keys in key-number order, and their values.
Tables = tuple[list[str], list[tuple[int, bool, bool, int, int, str | None]]]


def _compile(
    language: str, rules: list[Rule], sources: dict[str, tuple[Path, int]]
) -> tuple[Pack, Tables]:
    """The pack of ``language`` (without its C scanner) and the tables to build that from."""
    slots: list[Slot] = []
    table: dict[str, tuple[list[int], list[int]]] = {}
    always: list[int] = []
    regexes: dict[int, tuple[re.Pattern[str], ...]] = {}
    triggers: dict[int, re.Pattern[str] | str] = {}
    followers: dict[int, tuple[re.Pattern[str], ...]] = {}
    unless: dict[int, re.Pattern[str]] = {}
    scripts: dict[int, Callable[..., Any]] = {}
    phrases: list[str] = []

    def add(
        rule_index: int, role: str, patterns: Iterable[str], payload: str | None = None
    ) -> None:
        slot = len(slots)
        slots.append(Slot(rule_index, role, payload))
        for pattern in patterns:
            try:
                literals = expand(pattern)
            except ValueError as exc:
                raise _located(rules[rule_index], sources, role, str(exc)) from exc
            for literal in literals:
                open_right = literal.endswith("*")
                key = literal.rstrip("*")
                closed, opened = table.setdefault(key, ([], []))
                (opened if open_right else closed).append(slot)
                if role in ("tokens", "swap"):
                    phrases.append(key)

    for index, rule in enumerate(rules):
        spec = rule.spec
        if rule.kind in ("existence", "occurrence", "requires") and spec.get("tokens"):
            add(index, "tokens", spec["tokens"])
        if rule.kind == "substitution":
            for phrase, replacement in spec["swap"].items():
                add(index, "swap", [phrase], replacement)
        if spec.get("exceptions"):
            add(index, "exceptions", spec["exceptions"])
        if spec.get("requires"):
            add(index, "requires", spec["requires"])
        if rule.kind == "sequence":
            # Only the first group is scanned; the others are checked right after each match
            # of the first with a small anchored pattern, so common words ("was", "por") do
            # not flood the scan.
            add(index, "seq0", spec["sequence"][0])
            try:
                followers[index] = tuple(
                    _follower(group, int(spec.get("within", 0))) for group in spec["sequence"][1:]
                )
                if spec.get("unless_followed_by"):
                    unless[index] = _follower(spec["unless_followed_by"], 2)
            except ValueError as exc:
                raise _located(rule, sources, "sequence", str(exc)) from exc
        for name, words in (spec.get("lexicons") or {}).items():
            add(index, f"lex:{name}", words)
        if spec.get("regex"):
            flags = re.IGNORECASE if spec.get("ignorecase") else 0
            try:
                regexes[index] = tuple(re.compile(p, flags) for p in spec["regex"])
                if spec.get("trigger") == "capitals":
                    triggers[index] = "capitals"  # a fast built-in gate
                elif spec.get("trigger"):
                    triggers[index] = re.compile(spec["trigger"], flags)
            except re.error as exc:
                raise _located(rule, sources, "regex", f"bad regular expression: {exc}") from exc
            always.append(index)
        if rule.kind == "metric":
            always.append(index)
        if rule.kind == "script":
            try:
                scripts[index] = _resolve_script(spec["script"])
            except ValueError as exc:
                raise _located(rule, sources, "script", str(exc)) from exc
            always.append(index)

    # Weekday names and words like "tomorrow" ride along in the same scan: they become date
    # spans for the structure checks and the requires rules (see frankly.text.mask). So do the
    # characters that announce a stretch to mask (a quote mark, an @, a quoted reply): the
    # masking patterns then run only on the messages that need them.
    prof = text_profile(language)
    special: dict[str, tuple[int, str | None]] = {}
    for key, cue in MASK_CUES.items():
        special[key] = (SPECIAL_MASK, cue)
    months = {m.lower() for m in (prof.months if prof is not None else ())}
    # A date word that is also a month would be skipped when capitalised ("May"), so such a
    # language keeps its own date-word pass (frankly.text.mask.date_word_spans).
    dates = prof.date_words if prof is not None else ()
    date_words = bool(dates) and not months.intersection(dates) and all(w.strip() for w in dates)
    if date_words:
        date_slot = len(slots)
        slots.append(Slot(DATE_RULE, "date", None))
        for word in dict.fromkeys(dates):
            table.setdefault(word, ([], []))[0].append(date_slot)

    automaton = ahocorasick.Automaton()
    entries: list[tuple[tuple[Entry, ...], tuple[Entry, ...]]] = []
    keys: list[str] = []
    values: list[tuple[int, bool, bool, int, int, str | None]] = []
    # Each slot's (rule, role, payload), built once and shared by every key that fills it.
    meaning = [(slot.rule, slot.role, slot.payload) for slot in slots].__getitem__
    for key in table.keys() | special.keys():
        closed, opened = table.get(key, ([], []))
        code, part = special.get(key, (0, None))
        if not code and key in months:
            code = SPECIAL_MONTH  # "May" with a capital is the month, not the hedge
        # The match carries the key's number; what the key means (rule, role, payload) is
        # looked up by number, so the engine can drop the rules of other stages per key.
        value = (len(key), key[0].isalnum(), key[-1].isalnum(), len(entries), code, part)
        automaton.add_word(key, value)
        keys.append(key)
        values.append(value)
        entries.append((tuple(map(meaning, closed)), tuple(map(meaning, opened))))
    if len(automaton):
        automaton.make_automaton()
    pack = Pack(
        language=language,
        rules=tuple(rules),
        automaton=automaton if len(automaton) else None,
        slots=tuple(slots),
        always=tuple(dict.fromkeys(always)),
        regexes=regexes,
        triggers=triggers,
        followers=followers,
        unless=unless,
        scripts=scripts,
        phrases=tuple(dict.fromkeys(phrases)),
        entries=tuple(entries),
        date_words=date_words,
    )
    return pack, (keys, values)


def _located(
    rule: Rule, sources: dict[str, tuple[Path, int]], field_name: str, reason: str
) -> RuleError:
    file, index = sources[rule.language + "\0" + rule.id]
    source = file.read_text(encoding="utf-8")
    return _fail(file, source, ["rules", index, field_name], f"rule {rule.id!r}: {reason}")


def _pack_rule_dirs() -> list[tuple[Path, str, bool]]:
    """The ``rules/`` folders of the installed language packs: (folder, language, built-in)."""
    builtin = packs.builtin_dir()
    found = []
    for lang in packs.languages():
        for folder in packs.pack_files(lang, "rules"):
            found.append((folder, lang, folder.parent.parent == builtin))
    return found


# One rule file of a language, in the order files override each other: (file, folder
# language, built-in, and what reading it gave when it was read up front, else None).
_Item = tuple[Path, str | None, bool, tuple[str, list[Rule], list[str]] | None]


def _merge(lang: str, items: list[_Item]) -> tuple[list[Rule], dict[str, tuple[Path, int]]]:
    """The rules of one language from its files, in order: a later rule replaces an earlier
    one with the same id, ``disable`` switches rules off."""
    current: dict[str, Rule] = {}
    sources: dict[str, tuple[Path, int]] = {}
    disabled: set[str] = set()
    for file, folder_lang, builtin, parsed in items:
        _, rules, disable = parsed or _read(file, folder_lang, validate=not builtin)
        seen: set[str] = set()
        source_text: str | None = None
        for i, rule in enumerate(rules):
            if rule.id in seen or (builtin and rule.id in current):
                source_text = source_text or file.read_text(encoding="utf-8")
                raise _fail(file, source_text, ["rules", i, "id"], f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            # A later pack replaces a rule with the same id: that is how a business
            # overrides a built-in rule.
            current[rule.id] = rule
            sources[lang + "\0" + rule.id] = (file, i)
        disabled.update(disable)
    return [r for rid, r in current.items() if rid not in disabled], sources


def _compile_language(lang: str, items: list[_Item]) -> Pack:
    """The compiled pack of ``lang``: from the on-disk cache when its files are unchanged."""
    text_profile_file = builtin_dir().parent / "text" / f"{lang}.yml"
    files = [item[0] for item in items] + [schema_dir() / "schema.json"]
    if text_profile_file.exists():
        files.append(text_profile_file)
    # The roles of the files matter too: the same file read as built-in or not, for a folder.
    roles = [f"{folder_lang}:{builtin}" for _, folder_lang, builtin, _ in items]
    key = _cache.key(lang, files, roles)
    cached = _cache.load(key) if key is not None else None
    if (
        isinstance(cached, tuple)
        and len(cached) == 2
        and isinstance(cached[0], Pack)
        and cached[0].language == lang
    ):
        pack, (keys, values) = cached
    else:
        rules, sources = _merge(lang, items)
        pack, (keys, values) = _compile(lang, rules, sources)
        if key is not None:
            _cache.store(key, (replace(pack, cache={}, scanner=None), (keys, values)))
    # The C scanner is rebuilt in each process (it cannot be pickled; building it is quick).
    pack.scanner = _accel.build_scan(keys, values, SPECIAL_MASK, SPECIAL_MONTH) if keys else None
    return pack


class _Packs(Mapping[str, Pack]):
    """The packs of a rule set by language (sorted), each compiled on first lookup."""

    def __init__(self, items: dict[str, list[_Item]]) -> None:
        self._items = dict(sorted(items.items()))
        self._done: dict[str, Pack] = {}
        self._lock = threading.Lock()

    def __getitem__(self, lang: str) -> Pack:
        pack = self._done.get(lang)
        if pack is None:
            items = self._items[lang]  # KeyError for a language without rules
            with self._lock:
                pack = self._done.get(lang)
                if pack is None:
                    pack = _compile_language(lang, items)
                    self._done[lang] = pack
        return pack

    def get(self, lang: str, default: Any = None) -> Any:
        # Called on every check: the compiled pack in one dict lookup.
        pack = self._done.get(lang)
        if pack is not None:
            return pack
        return self[lang] if lang in self._items else default

    def __contains__(self, lang: object) -> bool:
        return lang in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<packs {', '.join(self._items)} ({', '.join(self._done)} compiled)>"


def _load(dirs: tuple[Path, ...]) -> RuleSet:
    started = time.perf_counter()
    items: dict[str, list[_Item]] = {}
    # Languages with a business's rule files are compiled now, so a malformed file is
    # reported when the rules load; the built-in rules (validated by the test suite) wait
    # until a check needs their language.
    eager: set[str] = set()
    # The language packs' rules first (built-in, then a business's packs), then the rule
    # folders named for this load: a later file's rule replaces an earlier one's.
    for folder, lang, builtin in _pack_rule_dirs():
        files = sorted(folder.glob("*.y*ml"))
        if files:
            items.setdefault(lang, []).extend((file, lang, builtin, None) for file in files)
            if not builtin:
                eager.add(lang)
    for directory in dirs:
        for file, folder_lang in _files(directory):
            # Read now: a file outside a language folder names its language inside.
            parsed = _read(file, folder_lang)
            if parsed[0]:
                items.setdefault(parsed[0], []).append((file, folder_lang, False, parsed))
                eager.add(parsed[0])
    compiled = _Packs(items)
    for lang in sorted(eager):
        compiled[lang]
    return RuleSet(compiled, dirs, time.perf_counter() - started)


_CACHE: dict[tuple[tuple[Path, ...], tuple[str, ...]], RuleSet] = {}
_LOCK = threading.Lock()


def load_rules(extra_dirs: Iterable[str | Path] = ()) -> RuleSet:
    """The built-in rules plus the rule packs in ``extra_dirs``, compiled; cached per folder list.

    A pack folder holds ``<lang>/*.yml`` files, or ``*.yml`` files that set ``language``.
    A rule with the id of an earlier one replaces it; ``disable: [ids]`` switches rules off.
    Raises RuleError (an InvalidInput) naming the file, line and reason for a malformed
    file or a missing folder.
    """
    # () for the built-in rules alone: the common case, asked for on every check.
    dirs = tuple(Path(d).expanduser().resolve() for d in extra_dirs) if extra_dirs else ()
    # The installed language packs are part of the key: adding a pack adds its rules.
    key = (dirs, packs.stamp())
    ruleset = _CACHE.get(key)
    if ruleset is None:
        with _LOCK:
            ruleset = _CACHE.get(key)
            if ruleset is None:
                ruleset = _load(dirs)
                _CACHE[key] = ruleset
    return ruleset


def clear_cache() -> None:
    """Forget compiled rule sets (tests and long-running processes after editing packs)."""
    with _LOCK:
        _CACHE.clear()
