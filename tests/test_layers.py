"""The packages' layers as a user notices them: `frankly check` starts without the database
or web stacks, and every import the code defers says why (the import-linter contract in
pyproject.toml, run by `make test`, checks the direction of every import)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _run(code: str, tmp_path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_checker_loads_neither_sqlalchemy_nor_fastapi(tmp_path: Path) -> None:
    code = "import frankly.check, sys; print('sqlalchemy' in sys.modules, 'fastapi' in sys.modules)"
    assert _run(code, tmp_path) == "False False"


def test_frankly_check_on_the_command_line_does_not_load_sqlalchemy(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("We are sorry: your order is late because we missed it.\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from frankly.cli import app\n"
        "try:\n"
        f"    app(['check', {str(draft)!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code in (0, 1), 'sqlalchemy' in sys.modules, 'fastapi' in sys.modules)\n"
    )
    # The check ran (exit 0, or 1 for findings) without the database or web stacks.
    assert _run(code, tmp_path) == "True False False"


def test_the_fast_path_of_frankly_check_answers_as_the_whole_command_does(
    tmp_path: Path,
) -> None:
    """``main`` registers only ``check`` for ``frankly check``: same output, same exit code,
    and the other commands' modules stay unloaded."""
    from typer.testing import CliRunner

    from frankly.cli import app

    draft = tmp_path / "draft.txt"
    draft.write_text("Mistakes were made. We will update you soon!!!\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100", "NO_COLOR": "1"}
    code = (
        "import sys\n"
        "sys.argv = ['frankly', 'check', sys.argv[1]]\n"
        "from frankly.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('LOADED', 'frankly.cli.cadence' in sys.modules, file=sys.stderr)\n"
    )
    fast = subprocess.run(
        [sys.executable, "-c", code, str(draft)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    whole = CliRunner().invoke(app, ["check", str(draft)], env={"COLUMNS": "100"})
    assert fast.returncode == whole.exit_code
    assert "[evasive-passive]" in fast.stdout and fast.stdout == whole.stdout
    assert "LOADED False" in fast.stderr


def _fast(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "sys.argv = ['frankly', 'check', *sys.argv[1:]]\n"
        "from frankly.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    loaded = [m for m in ('typer', 'click', 'pydantic', 'rich') if m in sys.modules]\n"
        "    print('LOADED', *loaded, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        input=stdin,
        timeout=120,
    )


def test_the_fast_path_loads_no_command_line_framework_and_keeps_every_option(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from frankly.cli import app

    draft = tmp_path / "draft.txt"
    draft.write_text("Mistakes were made. Unfortunately we will update you soon.\n", "utf-8")
    customer = tmp_path / "customer.txt"
    customer.write_text("Where is my order? When will it arrive?\n", encoding="utf-8")
    args = [
        str(draft),
        "--lang",
        "en",
        "--stage=first_notice",
        "--reply-to",
        str(customer),
        "--min-severity",
        "warning",
        "--fail-on",
        "warning",
        "--format",
        "json",
    ]
    fast = _fast(args, tmp_path)
    whole = CliRunner().invoke(app, ["check", *args], env={"COLUMNS": "100"})
    assert fast.returncode == whole.exit_code == 1
    assert fast.stdout == whole.stdout and '"vague-promise"' in fast.stdout
    assert fast.stderr.strip().endswith("LOADED")  # neither Typer, click, pydantic nor rich


def test_the_fast_path_gives_bad_options_to_typer_and_bad_values_the_same_error(
    tmp_path: Path,
) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("Your order is late.\n", encoding="utf-8")
    misspelt = _fast(["--langg", "en", str(draft)], tmp_path)
    assert misspelt.returncode == 2 and "No such option" in misspelt.stderr
    unknown = _fast(["--lang", "xx", str(draft)], tmp_path)
    assert unknown.returncode == 2
    assert "Error: Unknown language 'xx'" in unknown.stderr
    assert unknown.stderr.strip().endswith("LOADED")
    helped = _fast(["--help"], tmp_path)
    assert helped.returncode == 0 and "--fail-on" in helped.stdout
    piped = _fast(["-"], tmp_path, stdin="Mistakes were made.\n")
    assert piped.returncode == 0 and "<stdin>:1:1: warning [evasive-passive]" in piped.stdout


def test_plain_output_is_what_rich_prints_without_a_terminal() -> None:
    """Off a terminal the lines are written as they are; on one, rich colours the same
    lines. Its plain rendering must be the same text, or a pipe would see other output."""
    import io

    from rich.console import Console
    from rich.text import Text

    from frankly.check import check
    from frankly.cli._check_run import report_lines, write_lines

    text = "Mistakes were made.\tWe will update you soon!!!\n[bold]Sorry[/] for any inconvenience."
    lines = report_lines("draft [1].txt", text, check(text, lang="en"), "suggestion")
    assert len(lines) > 5
    plain = io.StringIO()
    write_lines(lines, plain)
    rendered = io.StringIO()
    console = Console(file=rendered, force_terminal=False, width=100)
    for line in lines:
        styled = Text(line.text)
        for start, end, style in line.spans:
            styled.stylize(style, start, end)
        console.print(styled, soft_wrap=True)
    assert plain.getvalue() == rendered.getvalue()


def _deferred_imports_without_a_reason() -> list[str]:
    found: list[str] = []
    for path in sorted((SRC / "frankly").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if not isinstance(inner, ast.Import | ast.ImportFrom):
                    continue
                names = [inner.module or ""] if isinstance(inner, ast.ImportFrom) else []
                names += [a.name for a in inner.names] if isinstance(inner, ast.Import) else []
                if not any(n == "frankly" or n.startswith("frankly.") for n in names):
                    continue
                # The reason is a comment just above the block of imports it belongs to.
                at = inner.lineno - 2
                while at >= 0 and lines[at].lstrip().startswith(("from ", "import ")):
                    at -= 1
                if at < 0 or not lines[at].lstrip().startswith("#"):
                    found.append(f"{path.relative_to(SRC)}:{inner.lineno}")
    return found


def test_every_import_of_our_own_packages_inside_a_function_says_why() -> None:
    assert _deferred_imports_without_a_reason() == []


# What the web may take from the database layer: the vocabularies its forms offer, the
# ``Database`` handle it passes to the service layer, ``utcnow``, and ``Agent``, the type of
# the signed-in person its routes receive (never queried in the web).
WEB_MAY_IMPORT_FROM_STORE = {"Agent", "Database", "utcnow"}
# The app's error handler turns ``sqlalchemy.exc.DataError`` (a value the database cannot
# hold) into a 422: that exception class is the one thing the web takes from SQLAlchemy.
WEB_MAY_IMPORT_FROM_SQLALCHEMY = {("frankly/web/app.py", "sqlalchemy.exc")}
QUERYING = {"reading", "transaction", "execute", "scalar", "scalars"}


def _web_sql() -> list[str]:
    found: list[str] = []
    for path in sorted((SRC / "frankly" / "web").rglob("*.py")):
        where = str(path.relative_to(SRC))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [(a.name, []) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [(node.module or "", [a.name for a in node.names])]
            elif isinstance(node, ast.Attribute) and node.attr in QUERYING:
                found.append(f"{where}:{node.lineno} calls .{node.attr}")
                continue
            else:
                continue
            for module, names in modules:
                if module.split(".")[0] == "sqlalchemy":
                    if (where, module) not in WEB_MAY_IMPORT_FROM_SQLALCHEMY:
                        found.append(f"{where}:{node.lineno} imports {module}")
                elif module == "frankly.store" or module.startswith("frankly.store."):
                    models = [
                        n for n in names if not n.isupper() and n not in WEB_MAY_IMPORT_FROM_STORE
                    ]
                    if models or not names:
                        found.append(f"{where}:{node.lineno} imports {module} {models}")
    return found


def test_the_web_runs_no_sql_of_its_own() -> None:
    # Every page reads and writes through the service layer (frankly.cases, cadence,
    # incidents): no query, session or model of the register in frankly.web.
    assert _web_sql() == []
