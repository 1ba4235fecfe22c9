"""Playbooks: read each one in each language; a manager uploads or edits one.

An upload is validated by the playbooks package in a scratch folder first; problems are
shown next to the lines they name, and nothing is written until the file is valid.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from frankly.errors import FranklyError, NotFound
from frankly.playbooks import validate_dir
from frankly.store import Agent
from frankly.web import _services
from frankly.web._session import check_csrf, render, require_agent, require_manager

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 512 * 1024
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _library_or_error() -> tuple[Any, str | None]:
    try:
        return _services.library(), None
    except FranklyError as exc:
        return None, exc.message


@router.get("/playbooks")
def playbooks(request: Request, me: Annotated[Agent, Depends(require_agent)]) -> Response:
    library, error = _library_or_error()
    found = list(library) if library is not None else []
    return render(request, "playbooks.html", {"playbooks": found, "error": error})


@router.get("/playbooks/{kind}")
def playbook_page(
    request: Request,
    kind: str,
    me: Annotated[Agent, Depends(require_agent)],
    lang: str | None = None,
) -> Response:
    library, error = _library_or_error()
    if library is None or kind not in library:
        raise NotFound(error or f"No playbook {kind!r}")
    playbook = library.get(kind)
    lang = (
        lang
        if lang in playbook.languages
        else (me.language if me.language in playbook.languages else playbook.languages[0])
    )
    return render(
        request,
        "playbook.html",
        {"playbook": playbook, "lang": lang, "data": playbook.to_dict(lang)},
    )


@router.get("/playbooks/{kind}/edit")
def edit_page(request: Request, kind: str, me: Annotated[Agent, Depends(require_manager)]) -> Any:
    library, error = _library_or_error()
    if library is None or kind not in library:
        raise NotFound(error or f"No playbook {kind!r}")
    playbook = library.get(kind)
    source = playbook.source.read_text(encoding="utf-8") if playbook.source else ""
    return render(request, "playbook_edit.html", _editor(source, [], kind=kind))


@router.get("/playbook-upload")
def upload_page(request: Request, me: Annotated[Agent, Depends(require_manager)]) -> Response:
    return render(request, "playbook_edit.html", _editor("", [], kind=None))


def _editor(source: str, problems: list[Any], *, kind: str | None) -> dict[str, Any]:
    by_line: dict[int, list[str]] = {}
    general: list[str] = []
    for p in problems:
        if p.line:
            by_line.setdefault(int(p.line), []).append(p.reason)
        else:
            general.append(p.reason)
    lines = [
        {"number": i, "text": text, "problems": by_line.get(i, [])}
        for i, text in enumerate(source.splitlines(), start=1)
    ]
    return {
        "source": source,
        "kind": kind,
        "lines": lines,
        "problems": problems,
        "general": general,
        "target": str(_services.upload_dir()),
    }


@router.post("/playbook-upload", dependencies=[Depends(check_csrf)])
async def upload(
    request: Request,
    me: Annotated[Agent, Depends(require_manager)],
    source: Annotated[str, Form(max_length=MAX_UPLOAD)] = "",
    file: UploadFile | None = None,
    kind: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if file is not None and file.filename:
        raw = await file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return _invalid(request, "", "The file is larger than 512 KB", kind)
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _invalid(request, "", "The file is not UTF-8 text", kind)
    if not source.strip():
        return _invalid(request, source, "The playbook is empty", kind)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "upload.yml"
        path.write_text(source, encoding="utf-8")
        valid, problems = validate_dir(scratch)
    if problems or not valid:
        context = _editor(source, problems, kind=kind or None)
        if not problems:
            context["general"] = ["The file holds no playbook"]
        return render(request, "playbook_edit.html", context, status=422)
    playbook_id = valid[0].id
    if not _ID.match(playbook_id):
        return _invalid(request, source, f"Bad playbook id {playbook_id!r}", kind)
    folder = _services.upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{playbook_id}.yml").write_text(source, encoding="utf-8")
    return RedirectResponse(f"/playbooks/{playbook_id}", status_code=303)


def _invalid(request: Request, source: str, reason: str, kind: str) -> Response:
    context = _editor(source, [], kind=kind or None)
    context["general"] = [reason]
    return render(request, "playbook_edit.html", context, status=422)
