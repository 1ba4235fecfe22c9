"""Triage knowledge files: every one loads, is complete, and a broken one is named precisely."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from frankly import packs
from frankly.triage import ISSUE_KINDS, TriageDataError
from frankly.triage._data import (
    available_languages,
    load_language,
    load_seeds,
    load_settings,
    load_yaml,
)
from frankly.triage._lexicon import Matcher, fold
from frankly.triage._model import HEADS, MODEL_DIR, Model

LANGS = available_languages()
PACKS = packs.builtin_dir()


def test_english_and_spanish_are_shipped() -> None:
    assert {"en", "es"} <= set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_advice_rule_has_text_in_every_language(lang: str) -> None:
    pack = load_language(lang)
    rules = [rule for rule, _ in load_settings().advice_rules]
    assert set(rules) == set(pack.advice)


@pytest.mark.parametrize("lang", LANGS)
def test_every_kind_has_cues_and_seed_examples(lang: str) -> None:
    pack = load_language(lang)
    assert set(pack.kinds) == set(ISSUE_KINDS)
    seeds = load_seeds(lang)
    assert {s["kind"] for s in seeds} == set(ISSUE_KINDS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_cue_matches_itself(lang: str) -> None:
    """A cue that cannot match its own words would silently never fire."""
    pack = load_language(lang)
    matcher = Matcher(pack)
    groups = {f"cue:{k}": v for k, v in pack.cues.items()}
    groups |= {f"kind:{k}": v for k, v in pack.kinds.items()}
    groups |= {f"risk:{k}": v for k, v in pack.risks.items()}
    for group, words in groups.items():
        for word in words:
            text = word.rstrip("*") + ("s" if word.endswith("*") else "")
            hits = matcher.scan(fold(f"and {text} then"))
            assert any(h.group == group for h in hits), (group, word)


def test_broken_lexicon_names_file_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.yml"
    source = (PACKS / "en" / "triage" / "lexicon.yml").read_text(encoding="utf-8")
    path.write_text(source.replace("    - furious\n", "    - 42\n", 1), encoding="utf-8")
    line = source[: source.index("    - furious\n")].count("\n") + 1
    with pytest.raises(TriageDataError) as error:
        load_yaml(path, "lexicon.schema.json")
    assert str(error.value).startswith(f"{path}:{line}:")
    assert "not of type 'string'" in str(error.value)


def test_missing_category_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "kinds.yml"
    path.write_text("language: en\nkinds:\n  late_delivery: [late]\n", encoding="utf-8")
    with pytest.raises(TriageDataError, match=r"kinds.yml:2: 'wrong_item' is a required"):
        load_yaml(path, "kinds.schema.json")
    path.write_text("language: en\nkinds: [unclosed\n", encoding="utf-8")
    with pytest.raises(TriageDataError, match=r"kinds.yml:\d+: not valid YAML"):
        load_yaml(path, "kinds.schema.json")


def test_a_new_language_is_a_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A business pack folder with only a triage lexicon: the language is read by triage.
    pack = tmp_path / "pt"
    shutil.copytree(PACKS / "es" / "triage", pack / "triage")
    (pack / "pack.yml").write_text("code: pt\nname: Portuguese\n", encoding="utf-8")
    for name in ("lexicon.yml", "kinds.yml", "risks.yml", "advice.yml", "seeds.yml"):
        file = pack / "triage" / name
        file.write_text(file.read_text(encoding="utf-8").replace("language: es", "language: pt"))
    monkeypatch.setenv(packs.ENV_DIRS, str(tmp_path))
    assert "pt" in available_languages()
    assert load_language("pt").language == "pt"
    # No word model in the pack: the cues alone read it, and the report says so.
    from frankly.triage import triage

    report = triage("Mi pedido no ha llegado y estoy muy enfadado.", lang="pt")
    assert report.language.supported and not report.language.word_model
    assert triage("My order never arrived.", lang="en").language.word_model
    # A second folder adding to the same pack: its advice file replaces the first one's.
    other = tmp_path / "other" / "pt"
    (other / "triage").mkdir(parents=True)
    (other / "pack.yml").write_text("code: pt\n", encoding="utf-8")
    (other / "triage" / "advice.yml").write_text("language: es\nadvice: {}\n", encoding="utf-8")
    monkeypatch.setenv(packs.ENV_DIRS, f"{tmp_path}:{tmp_path / 'other'}")
    with pytest.raises(TriageDataError, match=r"other/pt/triage/advice\.yml:1: says language 'es'"):
        load_language("pt")


def test_model_is_small_numpy_and_json() -> None:
    files = sorted(p.name for p in MODEL_DIR.iterdir())
    assert files == ["triage.npz", "triage_vocab.json"]
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) < 5 * 1024 * 1024
    meta = json.loads((MODEL_DIR / "triage_vocab.json").read_text(encoding="utf-8"))
    assert tuple(meta["heads"]) == HEADS
    Model()  # loads without pickles (np.load refuses object arrays by default)


def test_missing_model_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TriageDataError, match="make train-triage"):
        Model(tmp_path)


def test_broken_risk_pattern_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A business pack for English whose risks file replaces the built-in one.
    root = tmp_path / "en"
    (root / "triage").mkdir(parents=True)
    (root / "pack.yml").write_text("code: en\n", encoding="utf-8")
    risks = root / "triage" / "risks.yml"
    source = (PACKS / "en" / "triage" / "risks.yml").read_text(encoding="utf-8")
    marker = "patterns:\n  churn:\n"
    assert marker in source
    source = source.replace(marker, marker + "    - '(unclosed'\n", 1)
    risks.write_text(source, encoding="utf-8")
    line = source[: source.index("(unclosed")].count("\n") + 1
    monkeypatch.setenv(packs.ENV_DIRS, str(tmp_path))
    with pytest.raises(TriageDataError, match=rf"{risks}:{line}: pattern does not compile"):
        load_language("en")


@pytest.mark.parametrize("lang", LANGS)
def test_words_inside_a_neutral_phrase_count_for_nothing(lang: str) -> None:
    pack = load_language(lang)
    matcher = Matcher(pack)
    assert pack.neutral, "each language lists its neutral phrases"
    for phrase in pack.neutral:
        assert matcher.scan(fold(phrase)) == [], phrase
