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
