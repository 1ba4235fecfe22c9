"""Move a playbook's texts out of the playbook into the language packs.

    python scripts/split_playbook_texts.py                   # the built-in playbooks
    python scripts/split_playbook_texts.py PLAYBOOK.yml ... --packs DIR

Each playbook file keeps its structure (facts and their types, steps and remedies with their
conditions, cadence, stages), with its comments and layout; every text of one language goes
to ``<packs>/<lang>/playbooks/<id>.yml`` (the format of ``$defs/playbookTexts`` in
``data/playbooks/schema.json``). The texts are cut from the file as written, never retyped:
quoting, block scalars and anchors (``&questions`` ... ``*questions``) travel unchanged, only
re-indented. Before anything is written the script checks that the structure and the new
pack files read back to exactly the playbook it started from, and stops otherwise.

Useful again when a business turns its own playbooks (written with inline texts) into
structure plus language packs; ``--check`` only reports what would move.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "src" / "frankly" / "data" / "playbooks"
PACKS = ROOT / "src" / "frankly" / "data" / "lang"
Node = yaml.Node


class SplitError(Exception):
    """The file is laid out in a way this script does not cut safely."""


def _entries(node: Node) -> list[tuple[yaml.ScalarNode, Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _entry(node: Node, key: str) -> tuple[yaml.ScalarNode, Node] | None:
    for k, v in _entries(node):
        if k.value == key:
            return k, v
    return None


def _is_texts(node: Node, languages: set[str]) -> bool:
    """A mapping of language code -> text: what moves to the packs."""
    keys = [k.value for k, _ in _entries(node)]
    return bool(keys) and all(k in languages for k in keys)


class Splitter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.lines = self.text.splitlines(keepends=True)
        self.root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        self.data = yaml.safe_load(self.text)
        title = _entry(self.root, "title")
        if title is None:
            raise SplitError(f"{path}: no inline title, nothing to move")
        self.languages = [k.value for k, _ in _entries(title[1])]
        self.cut: list[tuple[int, int]] = []  # line ranges to drop
        self.replace: dict[int, str] = {}  # line -> new text
        # language -> list of (path in the pack file, source slice of the text)
        self.texts: dict[str, list[tuple[list[str], str]]] = {lang: [] for lang in self.languages}

    # ---------------------------------------------------------------- cutting

    def _range(self, key: Node, value: Node) -> tuple[int, int]:
        """The lines of one ``key: value`` entry of a block mapping."""
        start = key.start_mark.line
        before = self.lines[start][: key.start_mark.column]
        if before.strip():
            raise SplitError(
                f"{self.path}:{start + 1}: {key.value!r} shares its line with {before.strip()!r}"
            )
        end_mark = value.end_mark
        end = end_mark.line
        if self.lines[end][: end_mark.column].strip() if end < len(self.lines) else False:
            after = self.lines[end][end_mark.column :].strip()
            if after and not after.startswith("#"):
                raise SplitError(f"{self.path}:{end + 1}: text after {key.value!r} on its line")
            end += 1
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        return start, end

    def _slice(self, key: Node, value: Node, indent: int) -> str:
        """The value as written, re-indented for a key at column ``indent``."""
        raw = self.text[value.start_mark.index : value.end_mark.index].rstrip()
        lines = raw.split("\n")
        block_scalar = isinstance(value, yaml.ScalarNode) and value.style in ("|", ">")
        if isinstance(value, yaml.CollectionNode) and value.flow_style is False:
            shift = indent - key.start_mark.column
            column = value.start_mark.column + shift
            return "\n" + " " * column + _shifted(lines, shift, first=False)
        if block_scalar:
            return " " + _shifted(lines, indent - key.start_mark.column, first=False)
        # A quoted or plain scalar over several lines: its line breaks fold, so only the
        # continuation lines' indentation changes.
        pad = " " * (indent + 2)
        return " " + "\n".join([lines[0], *(pad + line.strip() for line in lines[1:])])

    def _move(self, key: Node, value: Node, pack_path: list[str]) -> None:
        """Cut a ``key: {lang: text}`` entry; each text goes to its language's pack file."""
        self.cut.append(self._range(key, value))
        for lang_key, text in _entries(value):
            self.texts[lang_key.value].append((pack_path, self._text(lang_key, text, pack_path)))

    def _text(self, key: Node, value: Node, pack_path: list[str]) -> str:
        indent = 2 * (len(pack_path) - 1)
        return f"{' ' * indent}{pack_path[-1]}:{self._slice(key, value, indent)}\n"

    def split(self) -> None:
        languages = set(self.languages)
        for name in ("title", "description", "problem"):
            found = _entry(self.root, name)
            if found:
                self._move(*found, [name])
        for fact_key, fact in _entries(_entry(self.root, "facts")[1]):
            name = fact_key.value
            found = _entry(fact, "question")
            if found:
                self._move(*found, ["facts", name, "question"])
            found = _entry(fact, "choices")
            if found and _entries(found[1]):
                key, choices = found
                start, end = self._range(key, choices)
                values = [k.value for k, _ in _entries(choices)]
                self.cut.append((start + 1, end))
                self.replace[start] = (
                    f"{' ' * key.start_mark.column}choices: [{', '.join(values)}]\n"
                )
                for value_key, labels in _entries(choices):
                    for lang_key, label in _entries(labels):
                        path = ["facts", name, "choices", value_key.value]
                        self.texts[lang_key.value].append((path, self._text(lang_key, label, path)))
        for name in ("steps", "remedies"):
            for item in _entry(self.root, name)[1].value:
                item_id = _entry(item, "id")[1].value
                key, texts = _entry(item, "text")
                if key.start_mark.line == item.start_mark.line:
                    raise SplitError(f"{self.path}:{key.start_mark.line + 1}: put id first")
                self.cut.append(self._range(key, texts))
                for lang_key, text in _entries(texts):
                    path = [name, item_id]
                    self.texts[lang_key.value].append((path, self._text(lang_key, text, path)))
        for stage_key, stage in _entries(_entry(self.root, "stages")[1]):
            kept = 0
            for key, value in _entries(stage):
                path = ["stages", stage_key.value]
                if key.value in languages:
                    self.cut.append(self._range(key, value))
                    body = self._slice(key, value, 2)
                    self.texts[key.value].append((path, f"  {stage_key.value}:{body}\n"))
                elif key.value == "description" and _is_texts(value, languages):
                    self._move(key, value, [*path, "description"])
                else:
                    kept += 1
            if not kept:
                line = stage_key.start_mark.line
                self.replace[line] = self.lines[line].rstrip("\n").rstrip() + " {}\n"

    # ---------------------------------------------------------------- output

    def structure(self) -> str:
        dropped: set[int] = set()
        for start, end in self.cut:
            dropped.update(range(start, end))
        out: list[str] = []
        for i, line in enumerate(self.lines):
            if i in self.replace:
                out.append(self.replace[i])
            elif i not in dropped:
                # Two blank lines where a cut left them: one is enough.
                if not line.strip() and out and not out[-1].strip():
                    continue
                out.append(line)
        return "".join(out)

    def pack_file(self, lang: str, language_name: str) -> str:
        playbook_id = self.data["id"]
        out = [
            f"# The {language_name} texts of the playbook {playbook_id}; its structure (facts,\n",
            f"# remedies' conditions, cadence, stages) is data/playbooks/{playbook_id}.yml.\n",
            f"id: {playbook_id}\n",
        ]
        opened: list[str] = []
        for path, text in self.texts[lang]:
            # Open the mappings this text sits in that the previous text did not.
            common = 0
            while common < min(len(opened), len(path) - 1) and opened[common] == path[common]:
                common += 1
            for depth in range(common, len(path) - 1):
                out.append(f"{'  ' * depth}{path[depth]}:\n")
            opened = path[:-1]
            out.append(text)
        return "".join(out)


def _shifted(lines: list[str], shift: int, *, first: bool) -> str:
    out = []
    for i, line in enumerate(lines):
        if i == 0 and not first:
            out.append(line)
        elif not line.strip():
            out.append("")
        elif shift >= 0:
            out.append(" " * shift + line)
        else:
            if line[:-shift].strip():
                raise SplitError(f"cannot re-indent {line!r}")
            out.append(line[-shift:])
    return "\n".join(out)


def merged(structure: dict[str, Any], packs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The playbook as the structure and the packs' texts read back (the loader's merge,
    written again here so the check does not trust the code it checks)."""
    data = copy.deepcopy(structure)
    for lang, texts in packs.items():
        for name in ("title", "description", "problem"):
            data.setdefault(name, {})[lang] = texts[name]
        for name, fact in texts["facts"].items():
            target = data["facts"][name]
            target.setdefault("question", {})[lang] = fact["question"]
            if isinstance(target.get("choices"), list):
                target["choices"] = {value: {} for value in target["choices"]}
            for value, label in (fact.get("choices") or {}).items():
                target["choices"][value][lang] = label
        for name in ("steps", "remedies"):
            for item in data[name]:
                item.setdefault("text", {})[lang] = texts[name][item["id"]]
        for stage_id, stage in data["stages"].items():
            body = dict(texts["stages"][stage_id])
            if "description" in body:
                stage.setdefault("description", {})[lang] = body.pop("description")
            stage[lang] = body
    return data


def split(path: Path, packs: Path, *, write: bool) -> list[Path]:
    splitter = Splitter(path)
    splitter.split()
    structure = splitter.structure()
    files = {}
    for lang in splitter.languages:
        meta = yaml.safe_load((packs / lang / "pack.yml").read_text(encoding="utf-8")) or {}
        files[lang] = splitter.pack_file(lang, meta.get("name", lang))
    back = merged(
        yaml.safe_load(structure), {lang: yaml.safe_load(text) for lang, text in files.items()}
    )
    if back != splitter.data or list(back["title"]) != splitter.languages:
        raise SplitError(f"{path}: the split does not read back to the same playbook")
    if not write:
        return []
    written = [path]
    path.write_text(structure, encoding="utf-8")
    playbook_id = splitter.data["id"]
    for lang, text in files.items():
        target = packs / lang / "playbooks" / f"{playbook_id}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("playbooks", nargs="*", type=Path, help="default: the built-ins")
    parser.add_argument("--packs", type=Path, default=PACKS, help="the folder of the packs")
    parser.add_argument("--check", action="store_true", help="check only, write nothing")
    args = parser.parse_args(argv)
    paths = args.playbooks or sorted(BUILTIN.glob("*.yml"))
    try:
        for path in paths:
            for written in split(path, args.packs, write=not args.check):
                print(written)
    except SplitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
