"""The other packages the web app calls, wrapped for pages and the API.

The web layer adds no business logic: these wrappers only call the service function and
turn its result into plain dicts for templates and JSON.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from frankly import cases, config
from frankly.check import check
from frankly.errors import FranklyError
from frankly.triage import triage

log = logging.getLogger("frankly.web")


def as_dict(value: Any) -> Any:
    """A service result as plain data (``to_dict()`` when it has one)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: as_dict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_dict(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return {k: as_dict(v) for k, v in dataclasses.asdict(value).items()}
    return value


def check_text(
    text: str,
    *,
    lang: str | None = None,
    stage: str | None = None,
    reply_to: str | None = None,
    fault: str | None = None,
    strict: bool = False,
    context: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The checker's report as a dict, or None when the checker failed and ``strict`` is off.

    Pages pass ``strict=False`` so that a fault inside the checker is logged and the page
    still works; the API passes ``strict=True``. ``context`` (the case's facts, kind, customer
    and agent) lets the one-click fixes use the case's real values.
    """
    try:
        report = check(
            text, lang=lang, stage=stage, reply_to=reply_to, fault=fault, context=context
        )
    except Exception:
        # A fault in the checker must not stop an agent from working; it is logged.
        if strict:
            raise
        log.exception("the checker failed")
        return None
    return as_dict(report)


def errors_in(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The error-level findings of a report (those that block sending)."""
    if not report:
        return []
    return [f for f in report.get("findings", []) if f.get("severity") == "error"]


def triage_text(
    text: str, lang: str | None = None, *, strict: bool = False
) -> dict[str, Any] | None:
    """The triage report as a dict, or None when triage failed and ``strict`` is off."""
    try:
        return as_dict(triage(text, lang))
    except Exception:
        if strict:
            raise
        log.exception("triage failed")
        return None


def playbooks_dirs() -> list[Path]:
    """The business's own playbook folders (``FRANKLY_PLAYBOOKS_DIRS``), read by every edge.

    Uploads are not written to a folder: they go into the database
    (``frankly.cases.save_playbook``).
    """
    return config.extra_dirs("FRANKLY_PLAYBOOKS_DIRS")


def library(db: Any) -> Any:
    """The business's playbook library: built-ins, folders and uploads (one resolver)."""
    return cases.playbook_library(db)


def playbook_for(db: Any, kind: str) -> Any:
    """The playbook for ``kind``, or None when there is none or the library is broken.

    A broken playbook file must not take the case pages down with it: the Playbooks page
    shows its problems.
    """
    try:
        lib = library(db)
    except FranklyError:
        log.warning("playbooks could not be loaded", exc_info=True)
        return None
    if lib is None or kind not in lib:
        return None
    return lib.get(kind)
