"""The compiled-rules cache on disk: a hit checks exactly like a fresh compile, an edited rule
file or a damaged entry means a recompile, never an error, and FRANKLY_CACHE_DIR is honoured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from frankly.check import check, clear_cache, load_rules
from frankly.check._cache import CACHE_ENV, cache_dir

pytestmark = pytest.mark.usefixtures("checker_path")

TEXTS = [
    ("Due to unforeseen circumstances, your order may be slightly delayed. We apologize for "
     "any inconvenience this may have caused.", "en"),
    ("Lamentamos cualquier inconveniente: su pedido podría retrasarse ligeramente.", "es"),
    ("WE ARE SORRY!!! It was the courier's fault, not ours.", None),
]  # fmt: skip

PACK = """\
rules:
  - id: acme.synergy
    category: doublespeak
    level: warning
    kind: existence
    message: Say what you mean.
    tokens: [synergy]
    examples:
      fire: [Our synergy is great.]
      quiet: [Our team is great.]
"""


def _reports(dirs: list[Path] | None = None) -> list[tuple[object, ...]]:
    clear_cache()
    rules = load_rules(dirs or [])
    out = []
    for text, lang in TEXTS:
        report = check(text, lang, rules=rules)
        out.append((report.language, report.score, report.notes, report.findings))
    for pack in rules.packs.values():
        for rule in pack.rules:
            for example in rule.fire:
                report = check(example.text, rule.language, example.stage, example.reply_to,
                               example.fault, rules=rules)  # fmt: skip
                out.append((rule.id, report.findings))
    return out


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    yield folder
    clear_cache()


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.pickle"))


def test_a_cache_hit_gives_the_reports_of_a_fresh_compile(cache: Path) -> None:
    fresh = _reports()
    assert {p.name.split("-")[1] for p in _entries(cache)} == {"en", "es"}
    assert _reports() == fresh  # now read from the cache
    assert oct(_entries(cache)[0].stat().st_mode & 0o777) == "0o600"


def test_checking_english_compiles_only_english(cache: Path) -> None:
    clear_cache()
    check("Your order is late, sorry.", "en")
    assert [p.name.split("-")[1] for p in _entries(cache)] == ["en"]


def test_a_changed_rule_file_invalidates_the_cache(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack" / "en"
    pack.mkdir(parents=True)
    rule_file = pack / "acme.yml"
    rule_file.write_text(PACK, encoding="utf-8")
    clear_cache()
    rules = load_rules([tmp_path / "pack"])
    assert {f.rule for f in check("Our synergy is great.", "en", rules=rules).findings} >= {
        "acme.synergy"
    }
    assert any(p.name.startswith("rules-en-") for p in _entries(cache))
    rule_file.write_text(PACK.replace("[synergy]", "[synergies]"), encoding="utf-8")
    # A later modification time, whatever the file system's clock resolution.
    stamp = rule_file.stat().st_mtime_ns + 5_000_000_000
    os.utime(rule_file, ns=(stamp, stamp))
    clear_cache()
    rules = load_rules([tmp_path / "pack"])
    assert {f.rule for f in check("Our synergy is great.", "en", rules=rules).findings} == set()
    assert {f.rule for f in check("Our synergies are great.", "en", rules=rules).findings} >= {
        "acme.synergy"
    }


def test_a_corrupt_or_foreign_cache_entry_is_ignored(cache: Path) -> None:
    fresh = _reports()
    for entry in _entries(cache):
        entry.write_bytes(b"not a pickle at all")
    assert _reports() == fresh
    # And the entries were rewritten: the next process reads them again.
    assert all(e.read_bytes() != b"not a pickle at all" for e in _entries(cache))
    for entry in _entries(cache):
        entry.write_bytes(entry.read_bytes()[:100])  # cut short
    assert _reports() == fresh


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))  # a folder inside a file
    clear_cache()
    try:
        assert check("Your order is late, sorry.", "en").language == "en"
    finally:
        clear_cache()


def test_the_cache_folder_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "frankly"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "frankly"
