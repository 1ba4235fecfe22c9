"""The ``frankly`` command. Each module below adds its commands to the one Typer app.

``frankly check`` is the command people run in editors and hooks, so ``main`` gives it a
fast path: only its own module is imported and registered (the others would cost their
imports and Typer's per-option set-up), with the same options, help and errors.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# The command modules, in the order ``frankly --help`` lists them (not sorted).
COMMAND_MODULES = (
    "_cases",
    "_db",
    "worker",
    "sending",
    "inbox",
    "cadence",
    "check",
    "draft",
    "incidents",
    "playbooks",
    "trail",
    "triage",
    "users",
)


def _register(names: tuple[str, ...] = COMMAND_MODULES) -> Any:
    """Import the command modules ``names`` (importing one registers its commands)."""
    for name in names:
        importlib.import_module(f"frankly.cli.{name}")
    return importlib.import_module("frankly.cli._app").app


def __getattr__(name: str) -> Any:
    # ``from frankly.cli import app``: the whole command, every module registered.
    if name == "app":
        return _register()
    raise AttributeError(name)


def main() -> None:
    if sys.argv[1:2] == ["check"]:
        _register(("check",))(prog_name="frankly")
        return
    _register()(prog_name="frankly")


__all__ = ["app", "main"]
