"""The built-in playbooks hold structure only; their texts live in the language packs.

The proof that nothing changed: a built-in playbook as it was written before, texts inline
(tests/data/inline_playbooks/), loads to the same playbook as its structure plus the packs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from frankly import packs
from frankly.playbooks import Playbook, PlaybookInvalid, builtin_dir, load_library, validate_dir

INLINE = Path(__file__).parent / "data" / "inline_playbooks"
PACKS = packs.builtin_dir()


def _located_nowhere(playbook: Playbook) -> Playbook:
    # Where a playbook was read from (its file, the lines of its templates) differs by
    # construction; everything a case, a draft or a page reads must not.
    return dataclasses.replace(playbook, source=None, builtin=True, lines={})


@pytest.mark.parametrize("kind", ["late_delivery", "wrong_item"])
def test_a_built_in_loads_as_it_did_with_its_texts_inline(kind: str) -> None:
    split = load_library().get(kind)
    inline = load_library([INLINE]).get(kind)
    assert not inline.builtin and split.builtin
    assert _located_nowhere(split) == _located_nowhere(inline)
    # Languages keep their order (English first): it is the fallback order everywhere.
    assert split.languages == inline.languages == ("en", "es")
    for stage in split.stages.values():
        assert tuple(stage.texts) == ("en", "es")


def test_the_built_in_playbook_files_hold_no_language_text() -> None:
    for path in sorted(builtin_dir().glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not {"title", "description", "problem"} & set(data), path.name
        for fact in data["facts"].values():
            assert "question" not in fact and not isinstance(fact.get("choices"), dict)
        assert all("text" not in item for item in data["steps"] + data["remedies"])
        for stage in data["stages"].values():
            assert not set(stage) & {"en", "es"}, path.name
        for lang in ("en", "es"):
            assert (PACKS / lang / "playbooks" / path.name).is_file()


def test_the_schema_accepts_structure_inline_texts_and_pack_texts() -> None:
    schema = json.loads((builtin_dir() / "schema.json").read_text(encoding="utf-8"))
    playbook = jsonschema.Draft202012Validator(schema)
    texts = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/playbookTexts"})
    for path in [*builtin_dir().glob("*.yml"), *INLINE.glob("*.yml")]:
        playbook.validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for path in PACKS.glob("*/playbooks/*.yml"):
        texts.validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    # A text file is not a playbook, nor the other way round.
    pack_file = yaml.safe_load((PACKS / "en" / "playbooks" / "wrong_item.yml").read_text())
    assert not playbook.is_valid(pack_file)
    assert not texts.is_valid(yaml.safe_load((INLINE / "wrong_item.yml").read_text()))


def test_the_built_ins_validate_with_no_problem() -> None:
    valid, problems = validate_dir(builtin_dir())
    assert problems == []
    assert len(valid) == 9


@pytest.fixture
def spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A business's own Spanish pack that replaces the texts of wrong_item."""
    pack = tmp_path / "packs" / "es"
    (pack / "playbooks").mkdir(parents=True)
    (pack / "pack.yml").write_text("code: es\nname: Spanish\nlocale: es\n", encoding="utf-8")
    shutil.copy(PACKS / "es" / "playbooks" / "wrong_item.yml", pack / "playbooks")
    monkeypatch.setenv(packs.ENV_DIRS, str(tmp_path / "packs"))
    return pack / "playbooks" / "wrong_item.yml"


def _problems() -> list[str]:
    with pytest.raises(PlaybookInvalid) as raised:
        load_library()
    return [str(p) for p in raised.value.problems]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_business_pack_replaces_a_built_in_playbooks_words(spanish: Path) -> None:
    text = spanish.read_text(encoding="utf-8")
    spanish.write_text(text.replace("title: Artículo equivocado", "title: Pedido cambiado"))
    assert load_library().get("wrong_item").title == {
        "en": "Wrong item sent",
        "es": "Pedido cambiado",
    }


def test_a_broken_template_in_a_pack_names_the_pack_file_and_line(spanish: Path) -> None:
    text = spanish.read_text(encoding="utf-8")
    spanish.write_text(text.replace("en el pedido {{ order_number }}", "{{ pedido }}", 1))
    line = _line_of(spanish, "{{ pedido }}")
    found = _problems()
    assert any(p.startswith(f"{spanish}:{line}: ") and "'pedido'" in p for p in found), found


def test_a_text_missing_from_a_pack_is_named_in_the_pack(spanish: Path) -> None:
    data = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    del data["remedies"]["refund"]
    data["steps"]["no_such_step"] = "Un paso que el playbook no tiene."
    spanish.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    found = _problems()
    assert any(
        p.startswith(f"{spanish}:{_line_of(spanish, 'remedies:')}: remedies.refund has no text")
        for p in found
    ), found
    assert any(
        p.startswith(f"{spanish}:{_line_of(spanish, 'no_such_step')}: ")
        and "has no step 'no_such_step'" in p
        for p in found
    ), found


def test_a_pack_file_of_the_wrong_shape_is_named(spanish: Path) -> None:
    spanish.write_text("id: wrong_item\nstages:\n  first_notice:\n    sms: Hola\n")
    found = _problems()
    assert any(p.startswith(f"{spanish}:3: ") and "'email' is a required" in p for p in found), (
        found
    )
