"""The checker's rules as data: every rule's own examples, the schema, and business packs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from frankly.check import CATEGORIES, Rule, RuleError, check, load_rules
from frankly.check._rules import _validator, builtin_dir

# Every test here runs twice: with the C accelerator (when built) and in pure Python.
pytestmark = pytest.mark.usefixtures("checker_path")


RULES = load_rules()
ALL_RULES = RULES.rules()


def _example_cases() -> list[tuple[str, str, int, str]]:
    return [
        (f"{rule.language}:{rule.id}", role, i, role)
        for rule in ALL_RULES
        for role, examples in (("fire", rule.fire), ("quiet", rule.quiet))
        for i in range(len(examples))
    ]


def _rule(key: str) -> Rule:
    lang, rule_id = key.split(":", 1)
    found = RULES.packs[lang].rule(rule_id)
    assert found is not None
    return found


@pytest.mark.parametrize(("key", "role", "index", "_"), _example_cases())
def test_every_rule_example_fires_or_stays_quiet(key: str, role: str, index: int, _: str) -> None:
    rule = _rule(key)
    example = (rule.fire if role == "fire" else rule.quiet)[index]
    report = check(
        example.text,
        lang=rule.language,
        stage=example.stage,
        fault=example.fault,
        reply_to=example.reply_to,
    )
    fired = [f for f in report.findings if f.rule == rule.id]
    if role == "fire":
        assert fired, f"{key} did not fire on {example.text!r}"
        for f in fired:
            assert f.category == rule.category and f.severity == rule.level
            assert 0 <= f.start <= f.end <= len(example.text)
            assert f.text == example.text[f.start : f.end]
    else:
        assert not fired, f"{key} fired on {example.text!r}: {[f.text for f in fired]}"


def test_every_rule_has_examples_both_ways() -> None:
    # The loader requires them; this guards against a rule slipping in another way.
    lacking = [r.id for r in ALL_RULES if not r.fire or not r.quiet]
    assert not lacking


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_category_has_rules_in_each_language(lang: str) -> None:
    covered = {rule.category for rule in RULES.packs[lang].rules}
    assert covered == set(CATEGORIES)


@pytest.mark.parametrize(
    "path",
    sorted(builtin_dir().glob("*/rules/*.yml")),
    ids=lambda p: f"{p.parent.parent.name}/{p.name}",
)
def test_every_built_in_rule_file_follows_the_schema(path: Path) -> None:
    # Loading skips the schema check for the files shipped with Frankly (it is a third of the
    # start-up time); this is where they are held to it, exactly as a business pack is.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in _validator().iter_errors(data)]
    assert errors == []


def test_rule_ids_are_unique_per_language() -> None:
    for pack in RULES.packs.values():
        ids = [rule.id for rule in pack.rules]
        assert len(ids) == len(set(ids))


# -- malformed files ------------------------------------------------------------------------

_GOOD_RULE = """\
rules:
  - id: acme.synergy
    category: doublespeak
    level: warning
    kind: existence
    message: Say what you mean.
    tokens: [synergy]
    examples:
      fire: [Our synergy is great.]
      quiet: [We work well together.]
"""


def _pack(tmp_path: Path, body: str, name: str = "acme.yml") -> Path:
    folder = tmp_path / "pack"
    (folder / "en").mkdir(parents=True)
    (folder / "en" / name).write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        (_GOOD_RULE.replace("level: warning", "level: loud"), 4, "'loud' is not one of"),
        (_GOOD_RULE.replace("    tokens: [synergy]\n", ""), 2, "tokens"),
        (_GOOD_RULE.replace("      quiet: [We work well together.]\n", ""), 8, "quiet"),
        (_GOOD_RULE.replace("category: doublespeak", "category: rudeness"), 3, "rudeness"),
        (_GOOD_RULE + "  - id: x\n    nonsense: [\n", 13, "not valid YAML"),
        (_GOOD_RULE.replace("tokens: [synergy]", "tokens: ['(synergy']"), 7, "unbalanced"),
        (
            _GOOD_RULE.replace("kind: existence", "kind: existence\n    stages: [someday]"),
            6,
            "unknown stage",
        ),
        (
            _GOOD_RULE.replace("    tokens: [synergy]\n", "    regex: ['(']\n"),
            7,
            "bad regular expression",
        ),
    ],
)
def test_a_malformed_rule_file_is_rejected_with_file_line_and_reason(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    folder = _pack(tmp_path, body)
    with pytest.raises(RuleError) as info:
        load_rules([folder])
    message = str(info.value)
    assert message.startswith(f"{folder / 'en' / 'acme.yml'}:{line}:"), message
    assert reason in message


def test_a_missing_pack_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rule folder"):
        load_rules([tmp_path / "nowhere"])


def test_a_business_pack_adds_overrides_and_disables_rules(tmp_path: Path) -> None:
    override = """\
disable: [hedging.softeners]
rules:
  - id: vague-promise.no-date
    category: vague-promise
    level: error
    kind: existence
    message: "“{text}”: our house style needs a date."
    tokens: [soon]
    examples:
      fire: [It ships soon.]
      quiet: [It ships on Friday.]
"""
    folder = _pack(tmp_path, _GOOD_RULE)
    (folder / "en" / "house.yml").write_text(override, encoding="utf-8")
    rules = load_rules([folder])
    report = check(
        "Our synergy will help, hopefully. It ships soon, on Friday.", lang="en", rules=rules
    )
    by_rule = {f.rule: f for f in report.findings}
    assert "acme.synergy" in by_rule
    assert by_rule["vague-promise.no-date"].severity == "error"  # replaced, now no date needed
    assert "hedging.softeners" not in by_rule
    # The built-in set is untouched.
    assert "acme.synergy" not in {f.rule for f in check("Our synergy.", lang="en").findings}


def test_a_pack_file_outside_a_language_folder_names_its_language(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    (folder / "acme.yml").write_text("language: es\n" + _GOOD_RULE, encoding="utf-8")
    rules = load_rules([folder])
    assert rules.packs["es"].rule("acme.synergy") is not None
    (folder / "acme.yml").write_text(_GOOD_RULE, encoding="utf-8")
    with pytest.raises(RuleError, match="must set `language`"):
        load_rules([tmp_path / "flat", tmp_path])


def test_rules_from_the_environment_are_used_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _pack(tmp_path, _GOOD_RULE)
    monkeypatch.setenv("FRANKLY_RULES_DIRS", str(folder))
    assert "acme.synergy" in {f.rule for f in check("Our synergy.", lang="en").findings}
