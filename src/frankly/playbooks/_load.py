"""Loading playbooks from YAML: schema, references, languages and templates, with line numbers.

Every check collects problems instead of stopping at the first, so ``frankly playbooks
validate`` can list everything wrong in a directory in one run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jinja2 import TemplateSyntaxError, nodes

from frankly import config, packs
from frankly.playbooks._model import (
    CHANNELS,
    SMS_LIMIT,
    STAGE_TYPES,
    Cadence,
    CallScript,
    FactSpec,
    FollowUpDiscount,
    LadderStep,
    Library,
    Playbook,
    PlaybookInvalid,
    Problem,
    Remedy,
    Stage,
    StageText,
    Step,
)
from frankly.playbooks._templates import (
    CONTEXT_NAMES,
    RECORDED_NAMES,
    environment,
    prepare,
    references,
)
from frankly.playbooks.render import render_sample

ENV_DIRS = "FRANKLY_PLAYBOOKS_DIRS"
# libyaml's loader when it is there: parsing is most of the time a load takes.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DURATION = re.compile(r"^(\d+)(m|h|d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def builtin_dir() -> Path:
    return Path(str(resources.files("frankly") / "data" / "playbooks"))


def _pack_folders() -> list[Path]:
    """The installed language packs' folders (their files feed the built-in library)."""
    return [folder for entry in packs.packs().values() for folder in entry.folders]


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads((builtin_dir() / "schema.json").read_text(encoding="utf-8"))


@functools.cache
def _validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    full = schema()
    if definition is None:
        return jsonschema.Draft202012Validator(full)
    return jsonschema.Draft202012Validator(
        {"$defs": full["$defs"], "$ref": f"#/$defs/{definition}"}
    )


def parse_duration(text: str) -> dt.timedelta:
    """``30m`` / ``4h`` / ``2d`` as a timedelta; raises ``ValueError`` otherwise."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (write 30m, 4h or 2d)")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


# ---------------------------------------------------------------------------- YAML


class _Doc:
    """A parsed YAML file and its node tree, so any path in it has a line number."""

    def __init__(self, path: Path | None, display: str, text: str | None = None) -> None:
        self.path = path
        self.display = display
        if text is None:
            assert path is not None
            text = path.read_text(encoding="utf-8")
        # Kept only for a text that has no file (an upload), so it can be shown and edited.
        self.text = text if path is None else None
        loader = _Loader(text)
        try:
            self.node = loader.get_single_node()
            # Any: checked against the JSON schema before it is read.
            self.data: Any = loader.construct_document(self.node) if self.node is not None else None
        finally:
            loader.dispose()
        # Texts merged in from language packs: (path here, language) -> (pack file, path
        # there), and the pack file of each language merged, so problems name the pack.
        self.origins: dict[tuple[Any, ...], tuple[_Doc, list[Any]]] = {}
        self.packs: dict[str, _Doc] = {}

    def node_at(self, path: Sequence[Any]) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) at ``path``; the deepest reached when it goes missing."""
        node: yaml.Node | None = self.node
        key_node: yaml.Node | None = None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(part) or k.value == part:
                        key_node, node = k, v
                        break
                else:
                    return key_node, node
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return key_node, node
                key_node, node = None, node.value[part]
            else:
                return key_node, node
        return key_node, node

    def line(self, path: Sequence[Any]) -> int | None:
        key, value = self.node_at(path)
        node = key or value
        return node.start_mark.line + 1 if node is not None else None

    def template_line(self, path: Sequence[Any], lineno: int | None) -> int | None:
        """The file line of line ``lineno`` inside the template string at ``path``."""
        _, node = self.node_at(path)
        if node is None:
            return None
        block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
        base = node.start_mark.line + (1 if block else 0)
        return base + (lineno or 1)

    def locate(self, path: Sequence[Any]) -> tuple[_Doc, list[Any]]:
        """The file that holds ``path`` and the path there: a text merged from a language
        pack is found in the pack's file, everything else in this one."""
        for end in range(len(path), 0, -1):
            hit = self.origins.get(tuple(path[:end]))
            if hit is not None:
                return hit[0], [*hit[1], *path[end:]]
        return self, list(path)

    def where(self, path: Sequence[Any]) -> tuple[str, int | None]:
        """(file, line) of ``path``, in the pack's file for a text a pack supplied."""
        doc, inner = self.locate(path)
        return doc.display, doc.line(inner)

    def template_where(self, path: Sequence[Any], lineno: int | None) -> tuple[str, int | None]:
        doc, inner = self.locate(path)
        return doc.display, doc.template_line(inner, lineno)

    def problem(self, path: Sequence[Any], reason: str) -> Problem:
        return Problem(*self.where(path), reason)


def _open(
    path: Path | None, display: str, problems: list[Problem], text: str | None = None
) -> _Doc | None:
    try:
        doc = _Doc(path, display, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        problems.append(Problem(display, line, f"YAML syntax error: {reason}"))
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(display, None, f"cannot read the file: {exc}"))
        return None
    if not isinstance(doc.data, dict):
        problems.append(Problem(display, 1, "the file must hold a mapping of fields"))
        return None
    return doc


def _schema_problems(doc: _Doc, definition: str | None = None) -> list[Problem]:
    out: list[Problem] = []
    errors = sorted(
        _validator(definition).iter_errors(doc.data), key=lambda e: list(map(str, e.path))
    )
    for error in errors:
        path = list(error.absolute_path)
        where = ".".join(str(p) for p in path) or "the top level"
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
            for key in error.instance:
                if key in allowed or any(p.search(str(key)) for p in patterns):
                    continue
                hint = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
                out.append(doc.problem([*path, key], f"unknown field {key!r} in {where}{hint}"))
            continue
        if error.validator == "type":
            reason = (
                f"wrong type for {where}: expected {error.validator_value}, "
                f"got {type(error.instance).__name__} {error.instance!r}"
            )
        elif error.validator == "required":
            reason = f"{where}: {error.message}"
        elif error.validator == "enum":
            reason = (
                f"{where}: {error.instance!r} is not one of "
                f"{', '.join(map(str, error.validator_value))}"
            )
        elif (
            error.validator == "pattern"
            and path
            and path[-1]
            in (
                "first_notice_within",
                "update_every",
                "next_update_after",
            )
        ):
            reason = f"{where}: {error.instance!r} is not a duration (write 30m, 4h or 2d)"
        else:
            reason = f"{where}: {error.message}"
        out.append(doc.problem(path, reason))
    return out


# ---------------------------------------------------------------------------- shared files


def _load_languages(dirs: Iterable[tuple[Path, str]], problems: list[Problem]) -> dict[str, Any]:
    languages: dict[str, Any] = {}
    for folder, label in dirs:
        for path in sorted((folder / "languages").glob("*.yml")):
            doc = _open(path, f"{label}/languages/{path.name}", problems)
            if doc is None:
                continue
            found = _schema_problems(doc, "languageFile")
            problems.extend(found)
            if not found:
                languages[doc.data["language"]] = doc.data
    return languages


def _pack_languages(problems: list[Problem]) -> dict[str, Any]:
    """The playbook words (``playbooks.yml``) of every installed language pack."""
    languages: dict[str, Any] = {}
    for lang in packs.languages():
        path = packs.pack_file(lang, "playbooks.yml")
        if path is None:
            continue
        doc = _open(path, str(path), problems)
        if doc is None:
            continue
        found = _schema_problems(doc, "languageFile")
        if not found and doc.data["language"] != lang:
            found = [doc.problem(["language"], f"the {lang!r} pack holds {doc.data['language']!r}")]
        problems.extend(found)
        if not found:
            languages[lang] = doc.data
    return languages


def _pack_policies(problems: list[Problem]) -> dict[str, dict[str, dict[str, str]]]:
    """The policy texts (``policies.yml``) of every installed language pack, built-in first."""
    return _load_policies(
        ((folder, str(folder)) for folder in _pack_folders()),
        problems,
        name="policies.yml",
    )


def _pack_translations(playbook_id: str, inline: bool) -> list[tuple[str, Path]]:
    """The packs' texts for one playbook: (language, ``<lang>/playbooks/<id>.yml``).

    A playbook that holds its texts inline takes texts only from the business's packs
    (``FRANKLY_LANGUAGE_DIRS``): the built-in packs' texts are written for the built-in
    playbooks, and a business's own playbook of the same kind keeps its own words.
    """
    shipped = packs.builtin_dir()
    found = []
    for lang in packs.languages():
        files = packs.pack_files(lang, f"playbooks/{playbook_id}.yml")
        if inline:
            files = [path for path in files if not path.is_relative_to(shipped)]
        if files:
            found.append((lang, files[-1]))
    return found


def _translate(doc: _Doc, problems: list[Problem]) -> None:
    """Merge the language packs' texts for this playbook into it, so that a new language
    needs no edit to the playbook. A pack's file mirrors the playbook with plain texts where
    the playbook has one text per language::

        id: late_delivery
        title: Livraison en retard
        description: ...
        problem: ...
        facts: {order_number: {question: ..., choices: {value: label}}}
        steps: {step_id: text}
        remedies: {remedy_id: text}
        stages: {first_notice: {email: {subject: ..., body: ...}, sms: ..., call: {...}}}

    A playbook may hold no texts at all (the built-ins do not): then every language comes
    from the packs, in the packs' order (English first). The merged playbook is checked like
    any other, and a problem in a text a pack supplied names the pack's file and line.
    """
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return
    _expand_choices(data)
    for lang, path in _pack_translations(data["id"], inline="title" in data):
        pack = _open(path, str(path), problems)
        if pack is None:
            continue
        found = _schema_problems(pack, "playbookTexts")
        if not found and pack.data["id"] != data["id"]:
            found = [
                pack.problem(
                    ["id"], f"the texts of {pack.data['id']!r} in a file for {data['id']!r}"
                )
            ]
        problems.extend(found)
        if not found:
            _merge_texts(doc, lang, pack, problems)


def _expand_choices(data: dict[str, Any]) -> None:
    """A choice fact may list its values alone (their words in the packs): make each a
    mapping of words per language, as if written inline."""
    facts = data.get("facts")
    if not isinstance(facts, dict):
        return
    for fact in facts.values():
        if isinstance(fact, dict) and isinstance(fact.get("choices"), list):
            fact["choices"] = {value: {} for value in fact["choices"] if isinstance(value, str)}


def _merge_texts(doc: _Doc, lang: str, pack: _Doc, problems: list[Problem]) -> None:
    """Put one pack file's texts (already checked against its schema) into the playbook."""
    data, texts = doc.data, pack.data
    doc.packs[lang] = pack

    def put(
        holder: dict[str, Any], key: str, path: list[Any], value: Any, there: list[Any]
    ) -> None:
        target = holder.setdefault(key, {})
        if isinstance(target, dict):
            target[lang] = value
            doc.origins[(*path, key, lang)] = (pack, there)

    def stray(there: list[Any], what: str) -> None:
        problems.append(pack.problem(there, f"the playbook {data['id']!r} has no {what}"))

    for name in ("title", "description", "problem"):
        if name in texts:
            put(data, name, [], texts[name], [name])
    facts = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    for name, fact in (texts.get("facts") or {}).items():
        target = facts.get(name)
        if not isinstance(target, dict):
            stray(["facts", name], f"fact {name!r}")
            continue
        if "question" in fact:
            put(target, "question", ["facts", name], fact["question"], ["facts", name, "question"])
        choices: dict[str, Any] = (
            target["choices"] if isinstance(target.get("choices"), dict) else {}
        )
        for value, label in (fact.get("choices") or {}).items():
            if value not in choices:
                stray(["facts", name, "choices", value], f"choice {value!r} for the fact {name!r}")
                continue
            put(
                choices, value, ["facts", name, "choices"], label, ["facts", name, "choices", value]
            )
    for name, what in (("steps", "step"), ("remedies", "remedy")):
        items = data.get(name) if isinstance(data.get(name), list) else []
        index = {item.get("id"): i for i, item in enumerate(items) if isinstance(item, dict)}
        for item_id, text in (texts.get(name) or {}).items():
            if item_id not in index:
                stray([name, item_id], f"{what} {item_id!r}")
                continue
            i = index[item_id]
            put(items[i], "text", [name, i], text, [name, item_id])
    stages = data.get("stages") if isinstance(data.get("stages"), dict) else {}
    for stage_id, stage_texts in (texts.get("stages") or {}).items():
        stage = stages.get(stage_id)
        if not isinstance(stage, dict):
            stray(["stages", stage_id], f"stage {stage_id!r}")
            continue
        body = dict(stage_texts)
        if "description" in body:
            there = ["stages", stage_id, "description"]
            put(stage, "description", ["stages", stage_id], body.pop("description"), there)
        stage[lang] = body
        doc.origins[("stages", stage_id, lang)] = (pack, ["stages", stage_id])


def _load_policies(
    dirs: Iterable[tuple[Path, str]], problems: list[Problem], name: str = "*.yml"
) -> dict[str, dict[str, dict[str, str]]]:
    policies: dict[str, dict[str, dict[str, str]]] = {}
    for folder, label in dirs:
        for path in sorted(folder.glob(name)):
            doc = _open(path, f"{label}/{path.name}", problems)
            if doc is None:
                continue
            found = _schema_problems(doc, "policyFile")
            problems.extend(found)
            if found:
                continue
            lang = doc.data["language"]
            for pid, policy in doc.data["policies"].items():
                policies.setdefault(pid, {})[lang] = dict(policy)
    return policies


# ---------------------------------------------------------------------------- one playbook


def _check_texts(
    doc: _Doc, path: list[Any], value: Any, languages: Sequence[str], out: list[Problem]
) -> None:
    if not isinstance(value, dict):
        return
    for lang in languages:
        if lang not in value:
            out.append(
                _missing(doc, path, lang, f"{'.'.join(map(str, path))} has no {lang!r} text")
            )
    for lang in value:
        if lang not in languages:
            out.append(
                doc.problem(
                    [*path, lang],
                    f"{'.'.join(map(str, path))} has {lang!r} text but the title has no {lang!r}",
                )
            )


def _missing(doc: _Doc, path: list[Any], lang: str, reason: str) -> Problem:
    """A text missing in ``lang``: named in that language's pack file when a pack gave the
    playbook its other texts in it (where the translator adds it), else in the playbook."""
    pack = doc.packs.get(lang)
    if pack is None:
        return doc.problem(path, reason)
    there = _pack_path(doc.data, path)
    return Problem(
        pack.display,
        pack.line(there),
        f"{'.'.join(map(str, there))} has no text for the playbook {doc.data['id']!r} "
        f"(needed in every language of its title)",
    )


def _pack_path(data: dict[str, Any], path: list[Any]) -> list[Any]:
    """Where a pack's file holds the text at ``path`` (a path in the playbook, no language)."""
    if path and path[0] in ("steps", "remedies") and len(path) > 1:
        item = data[path[0]][path[1]]
        return [path[0], item.get("id") if isinstance(item, dict) else path[1]]
    if path and path[0] == "stages":
        return path[:2]
    return path


def _check_template(
    doc: _Doc,
    path: list[Any],
    source: str,
    fact_names: set[str],
    policy_ids: set[str],
    out: list[Problem],
    asserts: Sequence[str] = (),
) -> None:
    where = ".".join(map(str, path))
    try:
        names, facts, policies = references(source)
        unguarded = unguarded_assertions(source, asserts, fact_names | RECORDED_NAMES)
    except TemplateSyntaxError as exc:
        out.append(
            Problem(
                *doc.template_where(path, exc.lineno),
                f"template syntax error in {where}: {exc.message}",
            )
        )
        return
    for lineno, sentence in unguarded:
        out.append(
            Problem(
                *doc.template_where(path, lineno),
                f"the template {where} states an action or a check ({sentence!r}) without a "
                "condition on what the case records: wrap it in {% if FACT %} (a fact that "
                "records it), {% if changes %} (the review's changes) or {% if chosen %}",
            )
        )
    for name in sorted(names - CONTEXT_NAMES - fact_names):
        out.append(
            Problem(
                *doc.template_where(path, _find_line(source, name)),
                f"the template {where} uses {name!r}, which is not a fact of this playbook "
                f"(facts: {', '.join(sorted(fact_names)) or 'none'})",
            )
        )
    for name in sorted(facts - fact_names):
        out.append(
            Problem(
                *doc.template_where(path, _find_line(source, name)),
                f"the template {where} uses facts.{name}, which is not a fact of this playbook",
            )
        )
    for name in sorted(policies - policy_ids):
        out.append(
            Problem(
                *doc.template_where(path, _find_line(source, name)),
                f"the template {where} quotes policy.{name}, which the playbook does not list "
                "under policies",
            )
        )


@functools.lru_cache(maxsize=64)
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def unguarded_assertions(
    source: str, patterns: Sequence[str], recorded: set[str]
) -> list[tuple[int, str]]:
    """Sentences of a template that state an action or a check (``patterns``, a language
    file's ``asserts``) with no condition on something the case records around them.

    A sentence counts as guarded inside ``{% if X %}`` (or ``{% elif X %}``) when ``X``
    names a fact, ``facts.X``, or another of ``recorded`` (``changes``, ``chosen``...).
    Returns (line in the template, the sentence's words) for each unguarded one.
    """
    compiled = _patterns(tuple(patterns))
    if not compiled:
        return []
    ast = environment().parse(prepare(source))
    found: list[tuple[int, str]] = []

    def names(node: nodes.Node) -> set[str]:
        out = {n.name for n in node.find_all(nodes.Name)}
        if isinstance(node, nodes.Name):
            out.add(node.name)
        return out

    def walk(body: Iterable[nodes.Node], guarded: bool) -> None:
        for node in body:
            if isinstance(node, nodes.If):
                walk(node.body, guarded or bool(names(node.test) & recorded))
                for branch in node.elif_:
                    walk([branch], guarded)
                # An else branch holds when the condition is false: it is guarded only by
                # a negated condition ("{% if not changes %}…{% else %}…").
                negated = isinstance(node.test, nodes.Not) and bool(names(node.test) & recorded)
                walk(node.else_, guarded or negated)
            elif isinstance(node, nodes.Output):
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData) and not guarded:
                        for pattern in compiled:
                            for match in pattern.finditer(child.data):
                                line = child.lineno + child.data.count("\n", 0, match.start())
                                found.append((line, _sentence_at(child.data, match)))
                    elif not guarded:
                        walk(list(child.iter_child_nodes()), guarded)
            else:
                walk(list(node.iter_child_nodes()), guarded)

    walk(ast.body, False)
    return list(dict.fromkeys(found))


def _sentence_at(text: str, match: re.Match[str]) -> str:
    start = max(text.rfind(". ", 0, match.start()) + 1, text.rfind("\n", 0, match.start()) + 1)
    ends = [i for i in (text.find(".", match.end()), text.find("\n", match.end())) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return " ".join(text[start:end].split())


def _find_line(source: str, name: str) -> int:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for number, line in enumerate(source.splitlines(), start=1):
        if pattern.search(line):
            return number
    return 1


def _templates_of_stage(stage: dict[str, Any], lang: str) -> list[tuple[list[Any], str]]:
    text = stage.get(lang) or {}
    found: list[tuple[list[Any], str]] = []
    email = text.get("email") or {}
    for part in ("subject", "body"):
        if isinstance(email.get(part), str):
            found.append(([lang, "email", part], email[part]))
    if isinstance(text.get("sms"), str):
        found.append(([lang, "sms"], text["sms"]))
    call = text.get("call") or {}
    for part in ("opening", "facts", "admission", "options", "closing"):
        if isinstance(call.get(part), str):
            found.append(([lang, "call", part], call[part]))
    for i, qa in enumerate(call.get("questions") or []):
        for part in ("q", "a"):
            if isinstance(qa, dict) and isinstance(qa.get(part), str):
                found.append(([lang, "call", "questions", i, part], qa[part]))
    for i, line in enumerate(call.get("calm") or []):
        if isinstance(line, str):
            found.append(([lang, "call", "calm", i], line))
    return found


def _semantic_problems(
    doc: _Doc,
    languages_known: dict[str, Any],
    policies: dict[str, dict[str, dict[str, str]]],
    thorough: bool = False,
) -> list[Problem]:
    """What is wrong beyond the schema. ``thorough`` (``frankly playbooks validate``) also
    flags sentences that state an action or a check no recorded condition guards: worth
    fixing, but not a reason to stop a business's playbook loading after an upgrade."""
    data = doc.data
    out: list[Problem] = []
    languages = list(data["title"])
    for lang in languages:
        if lang not in languages_known:
            out.append(
                doc.problem(
                    ["title", lang],
                    f"no language file for {lang!r} (add languages/{lang}.yml beside the playbook)",
                )
            )
    for name in ("description", "problem"):
        _check_texts(doc, [name], data[name], languages, out)
    facts: dict[str, Any] = data["facts"]
    fact_names = set(facts)
    for name, fact in facts.items():
        _check_texts(doc, ["facts", name, "question"], fact["question"], languages, out)
        if fact["type"] == "choice" and not fact.get("choices"):
            out.append(doc.problem(["facts", name], f"the choice fact {name!r} lists no choices"))
        if fact.get("future") and fact["type"] not in ("date", "datetime"):
            out.append(
                doc.problem(
                    ["facts", name, "future"], f"only a date or datetime fact is future ({name})"
                )
            )
        if fact["type"] != "choice" and fact.get("choices"):
            out.append(
                doc.problem(["facts", name, "choices"], f"only a choice fact has choices ({name})")
            )
        for value, labels in (fact.get("choices") or {}).items():
            _check_texts(doc, ["facts", name, "choices", value], labels, languages, out)
    stages: dict[str, Any] = data["stages"]
    policy_ids = set(data.get("policies") or [])
    for i, pid in enumerate(data.get("policies") or []):
        for lang in languages:
            if lang not in policies.get(pid, {}):
                out.append(
                    doc.problem(
                        ["policies", i],
                        f"unknown policy {pid!r} in {lang!r} (add it to policies/{lang}.yml)",
                    )
                )
    _unique(doc, data["steps"], "steps", out)
    _unique(doc, data["remedies"], "remedies", out)
    for i, step in enumerate(data["steps"]):
        _check_texts(doc, ["steps", i, "text"], step["text"], languages, out)
        for j, stage in enumerate(step.get("stages") or []):
            if stage not in stages:
                out.append(doc.problem(["steps", i, "stages", j], f"no stage {stage!r}"))
    for i, remedy in enumerate(data["remedies"]):
        _check_texts(doc, ["remedies", i, "text"], remedy["text"], languages, out)
        for lang, source in remedy["text"].items():
            _check_template(
                doc,
                ["remedies", i, "text", lang],
                source,
                fact_names,
                policy_ids,
                out,
                _asserts(languages_known, lang) if thorough else (),
            )
    cadence = data["cadence"]
    milestones = cadence.get("milestones") or []
    if milestones:
        choices = (facts.get("milestone") or {}).get("choices") or {}
        for i, value in enumerate(milestones):
            if value not in choices:
                out.append(
                    doc.problem(
                        ["cadence", "milestones", i],
                        f"milestone {value!r} is not a choice of the fact 'milestone'",
                    )
                )
    for i, rung in enumerate(cadence.get("payment_ladder") or []):
        if rung["stage"] not in stages:
            out.append(doc.problem(["cadence", "payment_ladder", i], f"no stage {rung['stage']!r}"))
    for stage_id, stage in stages.items():
        if "type" not in stage and stage_id not in STAGE_TYPES:
            out.append(
                doc.problem(
                    ["stages", stage_id],
                    f"stage {stage_id!r} needs a type (one of {', '.join(STAGE_TYPES)})",
                )
            )
        for lang in languages:
            if lang not in stage:
                out.append(
                    _missing(doc, ["stages", stage_id], lang, f"stage {stage_id!r} has no {lang!r}")
                )
        for key in stage:
            if key not in ("type", "next_update_after", "description", "requires") and (
                key not in languages
            ):
                out.append(
                    doc.problem(
                        ["stages", stage_id, key],
                        f"stage {stage_id!r} has {key!r} text but the title has no {key!r}",
                    )
                )
        for i, name in enumerate(stage.get("requires") or []):
            if name not in fact_names:
                out.append(doc.problem(["stages", stage_id, "requires", i], f"no fact {name!r}"))
        for lang in languages:
            for path, source in _templates_of_stage(stage, lang):
                _check_template(
                    doc,
                    ["stages", stage_id, *path],
                    source,
                    fact_names,
                    policy_ids,
                    out,
                    _asserts(languages_known, lang) if thorough else (),
                )
    return out


def _asserts(languages_known: dict[str, Any], lang: str) -> tuple[str, ...]:
    return tuple((languages_known.get(lang) or {}).get("asserts") or ())


def _unique(doc: _Doc, items: list[dict[str, Any]], name: str, out: list[Problem]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            out.append(doc.problem([name, i, "id"], f"the {name} id {item['id']!r} is used twice"))
        seen.add(item["id"])


def _build(doc: _Doc, builtin: bool) -> Playbook:
    data = doc.data
    facts = {
        name: FactSpec(
            name=name,
            type=spec["type"],
            required=spec.get("required", True),
            question=dict(spec["question"]),
            example=spec.get("example"),
            choices={k: dict(v) for k, v in (spec.get("choices") or {}).items()},
            currency=spec.get("currency"),
            future=bool(spec.get("future", False)),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        for name, spec in data["facts"].items()
    }
    steps = [
        Step(id=s["id"], text=dict(s["text"]), stages=tuple(s.get("stages") or ()))
        for s in data["steps"]
    ]
    remedies = [
        Remedy(
            id=r["id"],
            text=dict(r["text"]),
            tiers=tuple((r.get("when") or {}).get("tier") or ()),
            severities=tuple((r.get("when") or {}).get("severity") or ()),
            faults=tuple((r.get("when") or {}).get("fault") or ()),
            extra=bool(r.get("extra", False)),
        )
        for r in data["remedies"]
    ]
    c = data["cadence"]
    cadence = Cadence(
        first_notice_within=parse_duration(c["first_notice_within"]),
        update_every=parse_duration(c["update_every"]),
        follow_up_after_days=c.get("follow_up_after_days", 7),
        auto_send_updates=c.get("auto_send_updates", False),
        working_hours_only=c.get("working_hours_only", True),
        milestones=tuple(c.get("milestones") or ()),
        payment_ladder=tuple(
            LadderStep(r["stage"], r["offset_days"]) for r in c.get("payment_ladder") or ()
        ),
        auto_send_reminders=c.get("auto_send_reminders"),
        follow_up_discount=(
            FollowUpDiscount(
                enabled=c["follow_up_discount"].get("enabled"),
                percent=c["follow_up_discount"].get("percent"),
                valid_days=c["follow_up_discount"].get("valid_days"),
            )
            if "follow_up_discount" in c
            else None
        ),
        milestone_stuck_after=(
            parse_duration(c["milestone_stuck_after"]) if "milestone_stuck_after" in c else None
        ),
    )
    languages = list(data["title"])
    stages: dict[str, Stage] = {}
    for stage_id, s in data["stages"].items():
        texts = {}
        for lang in languages:
            t = s[lang]
            call = t["call"]
            texts[lang] = StageText(
                email_subject=t["email"]["subject"],
                email_body=t["email"]["body"],
                sms=t["sms"],
                call=CallScript(
                    opening=call["opening"],
                    facts=call["facts"],
                    admission=call["admission"],
                    closing=call["closing"],
                    options=call.get("options"),
                    questions=tuple((qa["q"], qa["a"]) for qa in call.get("questions") or ()),
                    calm=tuple(call.get("calm") or ()),
                ),
            )
        after = s.get("next_update_after")
        stages[stage_id] = Stage(
            id=stage_id,
            type=s.get("type", stage_id),
            texts=texts,
            next_update_after=parse_duration(after) if after else None,
            description=dict(s.get("description") or {}),
            requires=tuple(s.get("requires") or ()),
        )
    # The line in the file that holds each template: the playbook's, or a pack's.
    lines = {
        f"{stage_id}.{lang}.{channel}": doc.where(["stages", stage_id, lang, channel])[1] or 0
        for stage_id in stages
        for lang in languages
        for channel in CHANNELS
    }
    return Playbook(
        id=data["id"],
        title=dict(data["title"]),
        description=dict(data["description"]),
        problem=dict(data["problem"]),
        fault=data["fault"],
        facts=facts,
        steps=steps,
        remedies=remedies,
        policies=list(data.get("policies") or []),
        cadence=cadence,
        stages=stages,
        source=doc.path,
        builtin=builtin,
        uploaded_text=doc.text,
        lines=lines,
    )


def _sms_problems(
    playbook: Playbook, library: Library, doc: _Doc, channels: Sequence[str]
) -> list[Problem]:
    """Render stages with typical values: each must render, and an SMS fit 320 characters."""
    out: list[Problem] = []
    for stage in playbook.stages.values():
        for lang in playbook.languages:
            for channel in channels:
                display, line = doc.where(["stages", stage.id, lang, channel])
                try:
                    rendered = render_sample(playbook, library, stage.id, channel, lang)
                except Exception as exc:  # any template error becomes a problem, not a crash
                    out.append(
                        Problem(
                            display,
                            line,
                            f"stage {stage.id} ({lang}, {channel}) does not render with "
                            f"typical values: {exc}",
                        )
                    )
                    continue
                if channel == "sms" and len(rendered) > SMS_LIMIT:
                    out.append(
                        Problem(
                            display,
                            line,
                            f"the SMS of stage {stage.id} ({lang}) is {len(rendered)} characters "
                            f"with typical values; the limit is {SMS_LIMIT}",
                        )
                    )
    return out


def _playbook_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yml", ".yaml"))


def _load_dir(
    folder: Path,
    label: str,
    builtin: bool,
    shell: Library,
    problems: list[Problem],
    thorough: bool = False,
) -> dict[str, Playbook]:
    sources = [(path, f"{label}/{path.name}", None) for path in _playbook_files(folder)]
    return _load_sources(sources, builtin, shell, problems, thorough)


def _load_sources(
    sources: Iterable[tuple[Path | None, str, str | None]],
    builtin: bool,
    shell: Library,
    problems: list[Problem],
    thorough: bool = False,
) -> dict[str, Playbook]:
    """Playbooks from (file, display name, text) triples; a text stands for a file not on disk."""
    found: dict[str, Playbook] = {}
    for path, display, text in sources:
        doc = _open(path, display, problems, text)
        if doc is None:
            continue
        _translate(doc, problems)
        local = _schema_problems(doc, "completePlaybook")
        if not local:
            local = _semantic_problems(doc, shell.languages, shell.policies, thorough)
        if local:
            problems.extend(local)
            continue
        playbook = _build(doc, builtin)
        if playbook.id in found:
            problems.append(
                doc.problem(["id"], f"the id {playbook.id!r} is used by another file here too")
            )
            continue
        # Loading renders the SMS only (its length matters); validating renders every channel.
        channels = CHANNELS if thorough else ("sms",)
        rendered = _sms_problems(playbook, shell, doc, channels)
        if rendered:
            problems.extend(rendered)
            continue
        found[playbook.id] = playbook
    return found


@functools.lru_cache(maxsize=4)
def _builtin_library(stamp: tuple[float, ...]) -> tuple[Library, tuple[Problem, ...]]:
    # The built-ins are checked once per process (and again only if their files change):
    # rendering every stage with typical values is the slow part of loading.
    problems: list[Problem] = []
    folder = builtin_dir()
    # The languages' words and policies come from the installed language packs.
    languages = _pack_languages(problems)
    policies = _pack_policies(problems)
    shell = Library(playbooks={}, policies=policies, languages=languages)
    shell.playbooks.update(_load_dir(folder, "builtin", True, shell, problems))
    return shell, tuple(problems)


def _library(
    extra: Sequence[Path],
    thorough: bool = False,
    uploads: Sequence[tuple[str, str]] = (),
) -> tuple[Library, list[Problem]]:
    builtin, found = _builtin_library(_stamp([builtin_dir(), *_pack_folders()]))
    problems = list(found)
    folders = [(Path(d), str(d)) for d in extra]
    for folder, _ in folders:
        if not folder.is_dir():
            problems.append(Problem(str(folder), None, "no such directory"))
    folders = [(f, label) for f, label in folders if f.is_dir()]
    languages = {**builtin.languages, **_load_languages(folders, problems)}
    policies = {pid: dict(texts) for pid, texts in builtin.policies.items()}
    for pid, texts in _load_policies(
        [(f / "policies", f"{label}/policies") for f, label in folders], problems
    ).items():
        policies.setdefault(pid, {}).update(texts)
    shell = Library(playbooks=dict(builtin.playbooks), policies=policies, languages=languages)
    for folder, label in folders:
        shell.playbooks.update(_load_dir(folder, label, False, shell, problems, thorough))
    # Uploads come last: a manager's upload replaces a folder's or a built-in playbook.
    sources: list[tuple[Path | None, str, str | None]] = [
        (None, f"upload/{name}", text) for name, text in uploads
    ]
    shell.playbooks.update(_load_sources(sources, False, shell, problems, thorough))
    return shell, problems


def load_library(
    extra_dirs: Sequence[str | Path] | None = None,
    uploads: Sequence[tuple[str, str]] | None = None,
) -> Library:
    """Load the built-in playbooks, then users' (``extra_dirs`` and ``FRANKLY_PLAYBOOKS_DIRS``),
    then ``uploads``: (name, YAML text) pairs the caller read from wherever it keeps them
    (the service layer passes those stored in the database; this package reads no database).

    A later playbook with the same id replaces an earlier one. Raises ``PlaybookInvalid``
    listing every problem (file, line, reason) when any file is malformed.
    """
    dirs = [Path(d) for d in (extra_dirs or [])] + config.extra_dirs(ENV_DIRS)
    return _cached_library(
        tuple(str(d.resolve()) for d in dirs),
        _stamp(dirs),
        tuple(uploads or ()),
        # The installed packs: the built-ins' texts are theirs.
        packs.stamp(),
    )


def _stamp(dirs: Sequence[Path]) -> tuple[float, ...]:
    # Modification times, so an edited user playbook is picked up without a restart.
    stamps: list[float] = []
    for d in dirs:
        if d.is_dir():
            stamps.extend(p.stat().st_mtime for p in sorted(d.rglob("*.y*ml")))
            stamps.append(d.stat().st_mtime)
    return tuple(stamps)


@functools.lru_cache(maxsize=16)
def _cached_library(
    dirs: tuple[str, ...],
    stamp: tuple[float, ...],
    uploads: tuple[tuple[str, str], ...] = (),
    pack_dirs: tuple[str, ...] = (),
) -> Library:
    library, problems = _library([Path(d) for d in dirs], uploads=uploads)
    if problems:
        raise PlaybookInvalid(problems)
    return library


def validate_dir(folder: str | Path) -> tuple[list[Playbook], list[Problem]]:
    """Check a directory of playbooks against the built-ins: (valid playbooks, problems)."""
    folder = Path(folder)
    library, problems = _library([folder], thorough=True)
    resolved = folder.resolve()
    mine = [
        p for p in library.playbooks.values() if p.source and p.source.parent.resolve() == resolved
    ]
    return sorted(mine, key=lambda p: p.id), problems


def validate_text(
    text: str,
    extra_dirs: Sequence[str | Path] | None = None,
    uploads: Sequence[tuple[str, str]] | None = None,
    *,
    name: str = "upload",
) -> tuple[list[Playbook], list[Problem]]:
    """Check one playbook's YAML text as it would load next to the folders and ``uploads``.

    Returns (the playbook it holds, or none; the problems in that text). Problems are named
    ``upload/<name>`` with the line in the text, like a file's.
    """
    dirs = [Path(d) for d in (extra_dirs or [])] + config.extra_dirs(ENV_DIRS)
    others = [(n, t) for n, t in (uploads or ()) if n != name]
    library, problems = _library(dirs, thorough=True, uploads=[*others, (name, text)])
    display = f"upload/{name}"
    mine = [p for p in library.playbooks.values() if p.uploaded_text is text]
    return mine, [p for p in problems if p.file == display]


def get_playbook(kind: str, extra_dirs: Sequence[str | Path] | None = None) -> Playbook:
    """The playbook for a case kind; raises ``UnknownPlaybook`` naming the known ones."""
    return load_library(extra_dirs).get(kind)
