"""The case page: facts, checklist, timeline, inbound with triage, commitments, composer."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from frankly import cases
from frankly.compose import draft
from frankly.errors import FranklyError, InvalidInput
from frankly.store import CHANNELS, LANGUAGES, Agent, Database
from frankly.web import _services
from frankly.web._session import check_csrf, render, require_agent

router = APIRouter(include_in_schema=False)
FACT_PREFIX = "fact__"
MAX_BODY = 100_000


def _db(request: Request) -> Database:
    return request.app.state.db


def case_context(db: Database, case_id: int, me: Agent, **extra: Any) -> dict[str, Any]:
    """Everything the case page shows, read through the service layer."""
    view = cases.show_case(db, case_id)
    case = view.case
    playbook = _services.playbook_for(db, case.kind)
    lang = me.language
    facts = dict(case.facts or {})
    fact_rows: list[dict[str, Any]] = []
    if playbook is not None:
        missing = {f.name for f in playbook.missing_facts(facts)}
        for spec in playbook.facts.values():
            fact_rows.append(
                {
                    "name": spec.name,
                    "type": spec.type,
                    "required": spec.required,
                    "question": spec.question_in(lang),
                    "value": facts.get(spec.name),
                    "missing": spec.name in missing,
                    "choices": {k: spec.label(k, lang) for k in spec.choices},
                    "example": spec.example,
                }
            )
    known = {r["name"] for r in fact_rows}
    for name, value in sorted(facts.items()):
        if name not in known:
            fact_rows.append(
                {
                    "name": name,
                    "type": "text",
                    "required": False,
                    "question": "",
                    "value": value,
                    "missing": False,
                    "choices": {},
                    "example": None,
                }
            )
    sent_stages = {
        m.stage for m in view.messages if m.direction == "out" and m.status == "sent" and m.stage
    }
    checklist: list[dict[str, Any]] = []
    stages: list[dict[str, str]] = []
    if playbook is not None:
        for step in playbook.steps:
            checklist.append(
                {
                    "text": playbook.text(step.text, lang),
                    "stages": list(step.stages),
                    "done": bool(step.stages) and set(step.stages) <= sent_stages,
                }
            )
        stages = [{"id": s.id, "type": s.type} for s in playbook.stages.values()]
    inbound = [
        {"message": m, "triage": m.triage or _services.triage_text(m.body, m.language)}
        for m in reversed(view.messages)
        if m.direction == "in"
    ]
    outbound = [m for m in reversed(view.messages) if m.direction == "out"]
    remedies = _remedies(db, case_id, view.customer.language)
    steps = _steps(db, case_id)
    return {
        "view": view,
        "case": case,
        "playbook": playbook,
        "fact_rows": fact_rows,
        "missing_count": sum(1 for r in fact_rows if r["missing"]),
        "checklist": checklist,
        "stages": stages,
        "channels": [c for c in CHANNELS],
        "languages": LANGUAGES,
        "inbound": inbound,
        "outbound": outbound,
        "remedies": remedies,
        "steps": steps,
        "remedy_error": extra.pop("remedy_error", None),
        "events": list(reversed(view.events)),
        "transitions": cases.TRANSITIONS.get(case.state, ()),
        "checker_ready": True,
        "composer": extra.pop("composer", None),
        "fact_error": extra.pop("fact_error", None),
        "notice": extra.pop("notice", None),
        **extra,
    }


def _remedies(db: Database, case_id: int, lang: str) -> dict[str, Any] | None:
    """Options available, offered and chosen (None when the playbooks cannot be read)."""
    try:
        return cases.list_remedies(db, case_id, lang, library=_services.library(db)).to_dict()
    except FranklyError:
        # A broken playbook must not take the case page down; the Playbooks page says why.
        return None


def _steps(db: Database, case_id: int) -> list[Any]:
    """The follow-ups and reminders scheduled on the case, soonest first."""
    return sorted(cases.list_steps(db, case_id), key=lambda s: (s.due_at, s.id))


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, me: Annotated[Agent, Depends(require_agent)]) -> Any:
    notice = request.query_params.get("notice")
    return render(request, "case.html", case_context(_db(request), case_id, me, notice=notice))


@router.post("/cases/{case_id}/facts", dependencies=[Depends(check_csrf)])
async def save_facts(
    request: Request, case_id: int, me: Annotated[Agent, Depends(require_agent)]
) -> Response:
    db = _db(request)
    form = await request.form()
    case = cases.get_case(db, case_id)
    current = dict(case.facts or {})
    changed: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not key.startswith(FACT_PREFIX) or not isinstance(value, str):
            continue
        name = key[len(FACT_PREFIX) :]
        value = value.strip()
        if value == "" and name not in current:
            continue
        if str(current.get(name, "")) != value:
            changed[name] = value or None
    new_name = str(form.get("new_name") or "").strip()
    new_value = str(form.get("new_value") or "").strip()
    if new_name and new_value:
        changed[new_name] = new_value
    if not changed:
        return RedirectResponse(f"/cases/{case_id}#facts", status_code=303)
    try:
        playbook = _services.playbook_for(db, case.kind)
        if playbook is not None:
            # Coercing checks each value against its type and says what a good one looks like.
            playbook.coerce_facts({k: v for k, v in changed.items() if v is not None})
        cases.record_facts(db, case_id, changed, author=me.email, actor=me)
    except FranklyError as exc:
        context = case_context(db, case_id, me, fact_error=exc.message)
        return render(request, "case.html", context, status=exc.http_status)
    return RedirectResponse(f"/cases/{case_id}#facts", status_code=303)


@router.post("/cases/{case_id}/state", dependencies=[Depends(check_csrf)])
def change_state(
    request: Request,
    case_id: int,
    me: Annotated[Agent, Depends(require_agent)],
    to: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    cases.change_state(_db(request), case_id, to, author=me.email, reason=reason or None, actor=me)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/notes", dependencies=[Depends(check_csrf)])
def add_note(
    request: Request,
    case_id: int,
    me: Annotated[Agent, Depends(require_agent)],
    text: Annotated[str, Form(max_length=20_000)],
) -> Response:
    cases.add_note(_db(request), case_id, text, author=me.email, actor=me)
    return RedirectResponse(f"/cases/{case_id}#timeline", status_code=303)


@router.post("/cases/{case_id}/remedies", dependencies=[Depends(check_csrf)])
async def remedies(
    request: Request, case_id: int, me: Annotated[Agent, Depends(require_agent)]
) -> Response:
    """Record the options offered by hand (``action=offer``) or the customer's choice."""
    db = _db(request)
    form = await request.form()
    action = str(form.get("action") or "")
    try:
        if action == "offer":
            chosen = [str(v) for v in form.getlist("options")]
            if not chosen:
                raise InvalidInput("Tick the options you offered", field="options")
            cases.offer_options(
                db, case_id, chosen, author=me.email, library=_services.library(db), actor=me
            )
        elif action == "choose":
            cases.choose_option(
                db,
                case_id,
                str(form.get("option") or "")[:64],
                note=str(form.get("note") or "")[:2000] or None,
                author=me.email,
                actor=me,
            )
        else:
            raise InvalidInput("Say whether to offer or to choose", field="action")
    except FranklyError as exc:
        context = case_context(db, case_id, me, remedy_error=exc.message)
        return render(request, "case.html", context, status=exc.http_status)
    return RedirectResponse(f"/cases/{case_id}#remedies", status_code=303)


@router.post("/cases/{case_id}/compose", dependencies=[Depends(check_csrf)])
def compose(
    request: Request,
    case_id: int,
    me: Annotated[Agent, Depends(require_agent)],
    stage: Annotated[str, Form(max_length=64)],
    channel: Annotated[str, Form(max_length=10)] = "email",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The composer filled with a draft from the playbook (or the reason there is none)."""
    db = _db(request)
    view = cases.show_case(db, case_id)
    composer = _composer_state(view, stage, channel, lang or view.customer.language, me)
    try:
        made = draft(
            view,
            stage,
            channel,
            lang or None,
            library=_services.library(db),
        )
        composer.update(
            subject=made.subject or "",
            body=made.body,
            next_update_at=_local_input(made.next_update_at, me.timezone),
            next_update_text=made.next_update_text,
            warnings=list(made.warnings),
            remedies=list(made.remedies),
            language=made.language,
        )
    except FranklyError as exc:
        composer["error"] = exc.message
        missing = getattr(exc, "missing", None)
        if missing:
            composer["missing"] = [
                {"name": f.name, "question": f.question_in(me.language)} for f in missing
            ]
    composer["report"] = _report_for(_db(request), view, composer)
    return render(request, "_composer.html", {"case": view.case, "composer": composer})


def _composer_state(view: Any, stage: str, channel: str, lang: str, me: Agent) -> dict[str, Any]:
    return {
        "stage": stage,
        "channel": channel,
        "language": lang,
        "subject": "",
        "body": "",
        "next_update_at": "",
        "next_update_text": "",
        "warnings": [],
        "remedies": [],
        "error": None,
        "missing": [],
        "report": None,
        "questions": [],
        "blocked": False,
        # One key per draft shown: the gate sends a keyed draft once.
        "key": uuid.uuid4().hex,
        "promise_conflict": None,
    }


def _last_inbound(view: Any) -> Any:
    inbound = [m for m in view.messages if m.direction == "in"]
    return inbound[-1] if inbound else None


def _report_for(db: Database, view: Any, composer: dict[str, Any]) -> dict[str, Any] | None:
    body = composer.get("body") or ""
    if not body.strip():
        return None
    last_in = _last_inbound(view)
    report = _services.check_text(
        body,
        lang=composer.get("language") or None,
        stage=_stage_type(db, view, composer.get("stage")),
        reply_to=last_in.body if last_in is not None else None,
        fault=view.case.fault,
        context=_fix_context(view),
    )
    if report is not None:
        report["marked"] = mark(body, report.get("findings", []))
        report["errors"] = len(_services.errors_in(report))
    composer["questions"] = _questions(last_in, report)
    return report


def _fix_context(view: Any) -> dict[str, Any]:
    """The case's real values for the checker's one-click fixes (it never invents one)."""
    owner = view.owner
    return {
        "kind": view.case.kind,
        "facts": dict(view.case.facts or {}),
        "customer_name": view.customer.name,
        "agent_name": owner.name if owner is not None else None,
        "agent_phone": owner.phone if owner is not None else None,
        "agent_email": owner.email if owner is not None else None,
    }


def _stage_type(db: Database, view: Any, stage: str | None) -> str | None:
    playbook = _services.playbook_for(db, view.case.kind)
    if playbook is None or not stage or stage not in playbook.stages:
        return None
    return playbook.stages[stage].type


def _questions(last_in: Any, report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The customer's questions, each ticked unless the checker says it is unanswered."""
    if last_in is None:
        return []
    triage = last_in.triage or _services.triage_text(last_in.body, last_in.language) or {}
    found = triage.get("questions") or []
    unanswered = [
        (f.get("message") or "") + " " + (f.get("text") or "")
        for f in (report or {}).get("findings", [])
        if f.get("category") == "unanswered-question"
    ]
    out = []
    for q in found:
        text = q.get("text") if isinstance(q, dict) else str(q)
        if not text:
            continue
        open_ = any(text.strip()[:40] in u for u in unanswered)
        out.append({"text": text, "answered": report is not None and not open_})
    return out


def mark(text: str, findings: list[dict[str, Any]]) -> Markup:
    """The text, escaped, with each finding wrapped in a <mark> naming its severity."""
    spans = sorted(
        (
            (int(f.get("start", 0)), int(f.get("end", 0)), i, f)
            for i, f in enumerate(findings)
            if isinstance(f.get("start"), int) and isinstance(f.get("end"), int)
        ),
        key=lambda s: (s[0], -s[1]),
    )
    out: list[str] = []
    pos = 0
    for start, end, index, finding in spans:
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(str(escape(text[pos:start])))
        severity = escape(str(finding.get("severity", "warning")))
        title = escape(str(finding.get("message", "")))
        out.append(
            f'<mark class="finding {severity}" data-finding="{index}" title="{title}">'
            f"{escape(text[start:end])}</mark>"
        )
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


@router.post("/cases/{case_id}/check", dependencies=[Depends(check_csrf)])
def live_check(
    request: Request,
    case_id: int,
    me: Annotated[Agent, Depends(require_agent)],
    body: Annotated[str, Form(max_length=MAX_BODY)] = "",
    stage: Annotated[str, Form(max_length=64)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The findings for the composer's text (HTMX calls this as the agent types)."""
    view = cases.show_case(_db(request), case_id)
    composer = {"body": body, "stage": stage, "language": lang}
    report = _report_for(_db(request), view, composer)
    return render(
        request,
        "_findings.html",
        {"report": report, "questions": composer["questions"], "case": view.case},
    )


@router.post("/cases/{case_id}/send", dependencies=[Depends(check_csrf)])
def approve_and_send(
    request: Request,
    case_id: int,
    me: Annotated[Agent, Depends(require_agent)],
    body: Annotated[str, Form(max_length=MAX_BODY)],
    key: Annotated[str, Form(min_length=8, max_length=64)] = "",
    stage: Annotated[str, Form(max_length=64)] = "",
    channel: Annotated[str, Form(max_length=10)] = "email",
    lang: Annotated[str, Form(max_length=8)] = "",
    subject: Annotated[str, Form(max_length=500)] = "",
    next_update_at: Annotated[str, Form(max_length=40)] = "",
    promise_from: Annotated[str, Form(max_length=8)] = "",
    override: Annotated[str, Form(max_length=5)] = "",
    override_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Send the composer's text through the gate (``cases.compose_and_approve``).

    The form's ``key`` names this draft: a double-click or a resent form finds the
    message the first post made, so the customer gets it once. Error-level findings
    block it unless a manager overrides; the override is its own event.
    """
    db = _db(request)
    view = cases.show_case(db, case_id)
    composer = _composer_state(view, stage, channel, lang or view.customer.language, me)
    composer.update(body=body, subject=subject, next_update_at=next_update_at)
    # A form without a key (an old page) still sends once per identical text.
    composer["key"] = key or _content_key(case_id, channel, subject, body)
    try:
        when = _parse_local(next_update_at, me.timezone) if next_update_at else None
        approval = cases.compose_and_approve(
            db,
            case_id,
            client_key=composer["key"],
            body=body,
            subject=subject or None,
            channel=channel if channel in CHANNELS else "email",
            stage=stage or None,
            language=lang or None,
            author=me.email,
            actor=me,
            next_update_at=when,
            promise_from=promise_from or None,
            override=bool(override),
            override_reason=override_reason or None,
            library=_services.library(db),
        )
    except FranklyError as exc:
        composer["error"] = exc.message
        composer["blocked"] = isinstance(exc, cases.Blocked)
        conflict = getattr(exc, "text_at", None)
        if conflict is not None:
            composer["promise_conflict"] = {
                "words": getattr(exc, "words", ""),
                "text_at": _local_input(conflict, me.timezone).replace("T", " "),
                "field_at": _local_input(getattr(exc, "field_at", None), me.timezone).replace(
                    "T", " "
                ),
            }
        composer["report"] = _report_for(_db(request), view, composer)
        return render(
            request,
            "_composer.html",
            {"case": view.case, "composer": composer},
            status=exc.http_status,
        )
    notice = "queued"
    target = f"/cases/{case_id}?notice={notice}#messages"
    if approval.repeated:
        target = f"/cases/{case_id}?notice=already#messages"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _content_key(case_id: int, channel: str, subject: str, body: str) -> str:
    data = f"{case_id}\x00{channel}\x00{subject}\x00{body}".encode()
    return "c" + hashlib.sha256(data).hexdigest()[:40]


def _local_input(value: dt.datetime | None, tz: str) -> str:
    """A time as the value of an ``<input type=datetime-local>`` in the agent's zone."""
    if value is None:
        return ""
    return value.astimezone(_zone(tz)).strftime("%Y-%m-%dT%H:%M")


def _parse_local(value: str, tz: str) -> dt.datetime:
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"Not a date and time: {value!r}; write 2026-12-01T17:00", field="next_update_at"
        ) from exc
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=_zone(tz))


def _zone(tz: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
