"""The docs cannot drift from the code: generated parts are current, every package has its
section in the architecture, and every link in the docs leads to a file (and heading) that
exists inside the repository."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "frankly"
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
GENERATED = [ROOT / "docs" / "cli.md", ROOT / "README.md"]

_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_ARCH_SECTION = re.compile(r"^##\s+`?frankly\.([a-z_][a-z0-9_]*)`?\s*$", re.M)


def _prose(text: str) -> str:
    """The text without fenced blocks and code spans: a path in code is not a link."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _module_exists(name: str) -> bool:
    """A module beside the packages: Python source, or the C accelerator's source."""
    return (PACKAGE / f"{name}.py").is_file() or (PACKAGE / f"{name}.c").is_file()


def _packages() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


@pytest.mark.slow
def test_generated_docs_are_current() -> None:
    from cogapp import Cog
    from cogapp.cogapp import CogCheckFailed

    cog = Cog()
    out = io.StringIO()
    cog.set_output(stdout=out, stderr=out)
    argv = ["cog", "--check", "--diff", "-I", str(ROOT / "scripts")]
    stale = False
    try:
        cog.callable_main([*argv, *(str(path) for path in GENERATED)])
    except CogCheckFailed:
        stale = True
    finally:
        sys.path[:] = [p for p in sys.path if p != str(ROOT / "scripts")]
    if stale:
        pytest.fail(
            "docs/cli.md or the README's command list no longer matches the CLI's --help; "
            "run `make docs` to regenerate them and commit the result.\n" + out.getvalue()[-4000:],
            pytrace=False,
        )


def test_cli_reference_documents_every_command() -> None:
    """A command with no hand-written section still appears (`make docs` adds it at the end),
    but the README and docs/cli.md must at least name every command the app has."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import docs_cli
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path, _ in docs_cli.commands():
        if path:
            name = "frankly " + " ".join(path)
            assert f"`{name}" in readme, f"README.md does not list `{name}`: run `make docs`"
            assert f"Usage: {name} " in reference, f"docs/cli.md lacks `{name}`: run `make docs`"


def test_architecture_has_a_section_for_every_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    sections = _ARCH_SECTION.findall(text)
    missing = sorted(_packages() - set(sections))
    assert not missing, (
        f"docs/architecture.md has no `## frankly.NAME` section for {missing}: say what each "
        "owns and what it knows nothing of"
    )
    assert len(sections) == len(set(sections)), "a package has two sections"
    assert "## Layers" in text, "the Layers section (the import contract) is gone"


def test_architecture_names_only_packages_and_modules_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in _ARCH_SECTION.findall(text):
        assert name in _packages(), f"docs/architecture.md has a section for frankly.{name}"
    named = set(re.findall(r"\bfrankly\.([a-z_][a-z0-9_]*)", text))
    gone = sorted(n for n in named if n not in _packages() and not _module_exists(n))
    assert not gone, f"docs/architecture.md names frankly.{gone} which does not exist"


def test_architecture_knows_nothing_of_is_true() -> None:
    """Each section's "Knows nothing of" list is checked against the package's imports."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.split(r"^## ", text, flags=re.M)
    checked = 0
    for block in blocks:
        head = re.match(r"`?frankly\.([a-z_]+)`?\s*\n", block)
        if not head:
            continue
        claim = re.search(r"^\*\*Knows nothing of\*\*:(.*?)(?:\n\n|\Z)", block, re.M | re.S)
        assert claim, f"frankly.{head.group(1)}: no **Knows nothing of**: paragraph"
        package = head.group(1)
        # The list is the first sentence; the rest of the paragraph explains it.
        listed = re.split(r"\.\s", claim.group(1))[0]
        unknown = set(re.findall(r"`frankly\.([a-z_]+)`", listed))
        imports = _imports_of(PACKAGE / package)
        wrong = sorted(unknown & imports)
        assert not wrong, (
            f"docs/architecture.md says frankly.{package} knows nothing of {wrong}, "
            "but it imports them: fix the code or the doc"
        )
        checked += 1
    assert checked >= len(_packages())


def _imports_of(package: Path) -> set[str]:
    found: set[str] = set()
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        found.update(re.findall(r"^\s*(?:from|import)\s+frankly\.([a-z_]+)", text, re.M))
        for names in re.findall(r"^\s*from\s+frankly\s+import\s+\(?([^)\n]+)", text, re.M):
            found.update(n.strip().split(" ")[0] for n in names.split(",") if n.strip())
    found.discard(package.name)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_to_files_in_the_repo(doc: Path) -> None:
    problems: list[str] = []
    for target in _LINK.findall(_prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: — not ours to check
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (doc.parent / path_part).resolve() if path_part else doc
        if path_part.startswith("/") or not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: points outside the repository")
            continue
        if not resolved.exists():
            problems.append(f"{target}: no such file")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            problems.append(f"{target}: no heading with the anchor #{anchor}")
    assert not problems, f"{doc.relative_to(ROOT)}: " + "; ".join(problems)


def test_no_doc_refers_to_practices_outside_the_repo() -> None:
    for doc in [*DOCS, *PACKAGE.rglob("*.py")]:
        text = doc.read_text(encoding="utf-8")
        assert "PRACTICES.md" not in text, f"{doc.relative_to(ROOT)}: use docs/practices.md"
        assert "../shared/PRACTICES" not in text


# Runtime dependencies that no `import` names: loaded by another library, by name.
_LOADED_BY_OTHERS = {
    "python-multipart": "FastAPI parses form posts with it",
    "psycopg": "SQLAlchemy loads it for a postgresql+psycopg:// database URL",
}
_IMPORT_NAMES = {"pyyaml": "yaml", "argon2-cffi": "argon2", "pyahocorasick": "ahocorasick"}


def test_every_runtime_dependency_is_imported_by_the_product() -> None:
    """A runtime dependency nothing in src/ imports is dead weight for every install: move it
    to the extra that needs it (dev, train, eval), as architecture.md's table says."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    unused = []
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower()
        if name in _LOADED_BY_OTHERS:
            continue
        module = _IMPORT_NAMES.get(name, name.replace("-", "_"))
        if not re.search(rf"^\s*(?:import|from)\s+{re.escape(module)}\b", sources, re.M):
            unused.append(name)
    assert not unused, f"runtime dependencies never imported in src/frankly: {unused}"
