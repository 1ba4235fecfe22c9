"""The ``frankly`` command. Each module below adds its commands to the one Typer app.

``frankly check`` is the command people run in editors and hooks, so ``main`` gives it a
fast path: its options are read with argparse and the check runs without importing Typer,
pydantic or rich (together ~130 ms of a ~300 ms start). Anything the fast path does not
read exactly as Typer would (``--help``, a misspelt option, ``--``) goes to the Typer
command, so help and usage errors are Typer's own.
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
    "practice",
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


class _NotFast(Exception):
    """The fast path cannot read these arguments exactly as Typer would."""


def _fast_check(args: list[str]) -> int | None:
    """Run ``frankly check ARGS`` without Typer; None when Typer must read the arguments."""
    if any(a in ("-h", "--help", "--") for a in args):
        return None
    import argparse
    from pathlib import Path

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> Any:  # argparse would print its own usage and exit
            raise _NotFast(message)

    parser = Parser(prog="frankly check", add_help=False, allow_abbrev=False)
    parser.add_argument("files", nargs="*")
    for option in ("--lang", "--stage", "--reply-to", "--fault", "--format"):
        parser.add_argument(option)
    parser.add_argument("--min-severity", default="suggestion")
    parser.add_argument("--fail-on", default="error")
    parser.add_argument("--rules", action="append", type=Path)
    try:
        opts = parser.parse_intermixed_args(args)
    except _NotFast:
        return None
    # lazy: only the checker's own modules, never the other commands'
    from frankly.cli._check_run import CheckFailed, error_line, run_check

    try:
        return run_check(
            opts.files,
            lang=opts.lang or "auto",
            stage=opts.stage,
            reply_to=opts.reply_to,
            fault=opts.fault,
            output=opts.format or "text",
            min_severity=opts.min_severity,
            fail_on=opts.fail_on,
            rules=opts.rules,
        )
    except CheckFailed as exc:
        error_line(exc.message)
        return exc.code


def main() -> None:
    if sys.argv[1:2] == ["check"]:
        code = _fast_check(sys.argv[2:])
        if code is not None:
            sys.exit(code)
        _register(("check",))(prog_name="frankly")
        return
    _register()(prog_name="frankly")


__all__ = ["app", "main"]
