"""Incident pages: the public status page and feeds (``router``, no sign-in) and the
managers' pages to run an incident (``manager_router``, signed in).

The public pages read only ``public_incidents``/``public_incident``, which carry the
incident's own public texts and never a customer's data. Their language comes from
``?lang=`` or, failing that, the browser's ``Accept-Language``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from frankly import config
from frankly import incidents as service
from frankly.errors import FranklyError, InvalidInput
from frankly.incidents import (
    INCIDENT_STATUSES,
    Selection,
    Words,
    display_zone,
    feed_updated,
    languages,
    parse_csv,
    public_incident,
    public_incidents,
    words,
)
from frankly.store import Agent, Database
from frankly.store.models import SEVERITIES
from frankly.web import _i18n
from frankly.web._session import (
    check_csrf,
    csrf_token,
    current_agent,
    read_session,
    require_agent,
    require_manager,
    write_session,
)
from frankly.web.auth import has_role

WEB_TEMPLATES = Path(__file__).parent / "templates"
# The incident pages' own templates first; the web app's (for base.html) after them.
TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(str(WEB_TEMPLATES / "incidents")),
                FileSystemLoader(str(WEB_TEMPLATES)),
            ]
        ),
        autoescape=True,
    )
)
FEED_SIZE = 50

router = APIRouter(include_in_schema=False)
manager_router = APIRouter(include_in_schema=False)


# -- public ----------------------------------------------------------------------------------


def choose_language(request: Request) -> str:
    """``?lang=`` when it is one we have, else the best of ``Accept-Language``, else English."""
    known = languages()
    asked = (request.query_params.get("lang") or "").strip().lower()
    if asked in known:
        return asked
    best, best_q = "en" if "en" in known else known[0], -1.0
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        code = pieces[0].lower().split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        # Earlier entries win ties, as browsers list them in order of preference.
        score = q - position * 1e-6
        if code in known and q > 0 and score > best_q:
            best, best_q = code, score
    return best


def _public(request: Request, template: str, context: dict[str, Any], lang: str) -> Response:
    w = words(lang)
    zone = display_zone(request.query_params.get("tz"))
    full = {
        "w": w,
        "lang": lang,
        "zone": zone,
        "languages": [(code, words(code).name) for code in languages()],
        "when": lambda value: w.datetime(value, zone) if value else "",
        "paragraphs": _paragraphs,
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, full)
    _language_headers(response, lang)
    return response


@router.get("/status")
def status_page(request: Request) -> Response:
    lang = choose_language(request)
    found = public_incidents(_db(request), lang)
    open_ones = [i for i in found if not i["resolved"]]
    resolved = [i for i in found if i["resolved"]][:10]
    return _public(
        request, "status.html", {"open_incidents": open_ones, "resolved": resolved}, lang
    )


@router.get("/status/incidents/{incident_id}")
def status_incident(request: Request, incident_id: int) -> Response:
    lang = choose_language(request)
    try:
        incident = public_incident(_db(request), incident_id, lang)
    except FranklyError:
        response = _public(request, "status_missing.html", {}, lang)
        response.status_code = 404
        return response
    return _public(request, "status_incident.html", {"incident": incident}, lang)


@router.get("/status/feed.atom")
def atom_feed(request: Request) -> Response:
    lang = choose_language(request)
    w = words(lang)
    found = public_incidents(_db(request), lang, limit=FEED_SIZE)
    base = config.base_url()
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _sub(feed, ns, "title", w.say("status_title"))
    _sub(feed, ns, "id", f"{base}/status?lang={lang}")
    _sub(feed, ns, "updated", feed_updated(found).isoformat())
    ET.SubElement(
        feed, f"{{{ns}}}link", {"rel": "self", "href": f"{base}/status/feed.atom?lang={lang}"}
    )
    ET.SubElement(feed, f"{{{ns}}}link", {"rel": "alternate", "href": f"{base}/status?lang={lang}"})
    for item in _feed_items(found, base, lang, w):
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        _sub(entry, ns, "id", item["id"])
        _sub(entry, ns, "title", item["title"])
        _sub(entry, ns, "updated", item["date"].isoformat())
        _sub(entry, ns, "published", item["date"].isoformat())
        ET.SubElement(entry, f"{{{ns}}}link", {"rel": "alternate", "href": item["url"]})
        author = ET.SubElement(entry, f"{{{ns}}}author")
        _sub(author, ns, "name", w.say("status_title"))
        _sub(entry, ns, "content", item["text"]).set("type", "text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    response = Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        media_type="application/atom+xml; charset=utf-8",
    )
    _language_headers(response, lang)
    return response


@router.get("/status/feed.json")
def json_feed(request: Request) -> Response:
    lang = choose_language(request)
    w = words(lang)
    found = public_incidents(_db(request), lang, limit=FEED_SIZE)
    base = config.base_url()
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": w.say("status_title"),
        "home_page_url": f"{base}/status?lang={lang}",
        "feed_url": f"{base}/status/feed.json?lang={lang}",
        "language": lang,
        "items": [
            {
                "id": item["id"],
                "url": item["url"],
                "title": item["title"],
                "content_text": item["text"],
                "date_published": item["date"].isoformat(),
                "tags": [item["status"]],
            }
            for item in _feed_items(found, base, lang, w)
        ],
    }
    response = JSONResponse(feed, media_type="application/feed+json")
    _language_headers(response, lang)
    return response


def _feed_items(
    found: list[dict[str, Any]], base: str, lang: str, w: Words
) -> list[dict[str, Any]]:
    items = []
    for incident in found:
        url = f"{base}/status/incidents/{incident['id']}?lang={lang}"
        for update in incident["updates"]:
            items.append(
                {
                    "id": f"{base}/status/incidents/{incident['id']}#update-{update['seq']}",
                    "url": f"{url}#update-{update['seq']}",
                    "title": f"{incident['title']}: {update['status_label']}",
                    "text": update["text"],
                    "date": update["published_at"],
                    "status": update["status"],
                }
            )
        review = incident.get("review")
        if review:
            text = "\n\n".join(
                f"{w.say(key)}: {review[key]}" for key in ("what_happened", "why", "what_we_change")
            )
            items.append(
                {
                    "id": f"{base}/status/incidents/{incident['id']}#review",
                    "url": f"{url}#review",
                    "title": f"{incident['title']}: {w.say('review')}",
                    "text": text,
                    "date": review["published_at"],
                    "status": "review",
                }
            )
    items.sort(key=lambda i: i["date"], reverse=True)
    return items[:FEED_SIZE]


# Characters XML 1.0 cannot carry at all, even escaped: a feed holding one does not parse.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (texts stored before the input
    boundary refused them must not break the feed)."""
    return _NOT_XML.sub("", text)


def _sub(parent: ET.Element, ns: str, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    element.text = xml_text(text)
    return element


def _language_headers(response: Response, lang: str) -> None:
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


# -- managers --------------------------------------------------------------------------------


def _require_agent(request: Request) -> Agent:
    return require_agent(request)


def _require_manager(request: Request) -> Agent:
    return require_manager(request)


async def _csrf(request: Request) -> None:
    await check_csrf(request)


def _manage(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A managers' page in the web app's frame (its base.html, session and CSRF token)."""
    agent = current_agent(request)
    lang = agent.language if agent else "en"
    app_words = _i18n.translator(lang)
    ours = words(lang).manager if lang in languages() else {}

    def t(text: str, **values: object) -> str:
        found = ours.get(text)
        out = found if found else app_words(text)
        return out.format(**values) if values and not found else out

    token = csrf_token(request)
    full = {
        "me": agent,
        "is_manager": bool(agent and has_role(agent, "manager")),
        "is_admin": bool(agent and has_role(agent, "admin")),
        "t": t,
        "ui_lang": lang,
        "csrf_token": token,
        "csrf_field": Markup('<input type="hidden" name="csrf_token" value="{}">').format(token),
        "w": words(lang if lang in languages() else "en"),
        "when": lambda value: (
            words(lang if lang in languages() else "en").datetime(
                value, agent.timezone if agent else "UTC"
            )
            if value
            else ""
        ),
        "statuses": [s for s in INCIDENT_STATUSES],
        "severities": list(SEVERITIES),
        "langs": [(code, words(code).name) for code in languages()],
        "paragraphs": _paragraphs,
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, full, status_code=status)
    if getattr(request.state, "session_dirty", False):
        write_session(request, response, read_session(request))
    return response


@manager_router.get("/incidents")
def incidents_page(request: Request, me: Annotated[Agent, Depends(_require_agent)]) -> Response:
    found = service.list_incidents(_db(request), limit=200)
    return _manage(request, "incidents.html", {"incidents": found})


@manager_router.get("/incidents/new")
def new_incident_page(
    request: Request, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    return _manage(request, "incident_new.html", {"form": {}, "error": None})


@manager_router.post("/incidents/new", dependencies=[Depends(_csrf)])
async def open_incident_form(
    request: Request, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        selection = _selection(form)
        minutes = _minutes(form.get("next_in"))
        now = dt.datetime.now(dt.UTC)
        result = service.open_incident(
            _db(request),
            title=_by_lang(form, "title"),
            impact=_by_lang(form, "impact"),
            kind=form.get("kind") or "service_outage",
            status=form.get("status") or "investigating",
            severity=form.get("severity") or "high",
            selection=selection,
            texts=_by_lang(form, "text"),
            next_update_at=now + dt.timedelta(minutes=minutes) if minutes else None,
            owner_id=me.id,
            author=me.email,
            at=now,
        )
    except FranklyError as exc:
        return _manage(
            request,
            "incident_new.html",
            {"form": form, "error": exc.message, "findings": getattr(exc, "findings", [])},
            status=exc.http_status,
        )
    return RedirectResponse(f"/incidents/{result.incident.id}?posted=1", status_code=303)


@manager_router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, incident_id: int, me: Annotated[Agent, Depends(_require_agent)]
) -> Response:
    return _detail(request, incident_id, {})


@manager_router.post("/incidents/{incident_id}/updates", dependencies=[Depends(_csrf)])
async def post_update_form(
    request: Request, incident_id: int, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        minutes = _minutes(form.get("next_in"))
        now = dt.datetime.now(dt.UTC)
        result = service.post_update(
            _db(request),
            incident_id,
            texts=_by_lang(form, "text"),
            status=form.get("status") or None,
            next_update_at=now + dt.timedelta(minutes=minutes) if minutes else None,
            author=me.email,
            request_key=(form.get("request_key") or "")[:64] or None,
            at=now,
        )
    except FranklyError as exc:
        return _detail(
            request,
            incident_id,
            {"form": form, "error": exc.message, "findings": getattr(exc, "findings", [])},
            status=exc.http_status,
        )
    return _detail(request, incident_id, {"result": result})


@manager_router.post("/incidents/{incident_id}/affected", dependencies=[Depends(_csrf)])
async def add_affected_form(
    request: Request, incident_id: int, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        linked = service.add_affected(_db(request), incident_id, _selection(form), author=me.email)
    except FranklyError as exc:
        return _detail(request, incident_id, {"error": exc.message}, status=exc.http_status)
    return _detail(request, incident_id, {"linked": linked, "result": linked.update})


@manager_router.post("/incidents/{incident_id}/review", dependencies=[Depends(_csrf)])
async def review_form(
    request: Request, incident_id: int, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    review = {
        lang: {
            part: form.get(f"{part}_{lang}", "")
            for part in ("what_happened", "why", "what_we_change")
        }
        for lang in languages()
        if any(
            form.get(f"{part}_{lang}", "").strip()
            for part in ("what_happened", "why", "what_we_change")
        )
    }
    try:
        service.write_review(
            _db(request), incident_id, review, publish=form.get("publish") == "1", author=me.email
        )
    except FranklyError as exc:
        return _detail(
            request,
            incident_id,
            {"review_form": form, "error": exc.message, "findings": getattr(exc, "findings", [])},
            status=exc.http_status,
        )
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@manager_router.post("/incidents/{incident_id}/follow-up", dependencies=[Depends(_csrf)])
async def follow_up_form(
    request: Request, incident_id: int, me: Annotated[Agent, Depends(_require_manager)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        result = service.send_follow_up(
            _db(request), incident_id, texts=_by_lang(form, "follow_up"), author=me.email
        )
    except FranklyError as exc:
        return _detail(
            request,
            incident_id,
            {"follow_form": form, "error": exc.message, "findings": getattr(exc, "findings", [])},
            status=exc.http_status,
        )
    return _detail(request, incident_id, {"result": result})


def _detail(
    request: Request, incident_id: int, context: dict[str, Any], status: int = 200
) -> Response:
    view = service.show_incident(_db(request), incident_id)
    return _manage(
        request,
        "incident.html",
        {
            "view": view,
            "incident": view.incident,
            "request_key": secrets.token_urlsafe(16),
            "form": {},
            "error": None,
            "findings": [],
            "result": None,
            **context,
        },
        status=status,
    )


def _selection(form: dict[str, str]) -> Selection:
    facts: dict[str, str] = {}
    for line in (form.get("facts") or "").splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise InvalidInput(f"Write each fact as name=value, not {line.strip()!r}")
            facts[key.strip()] = value.strip()
    selection = Selection(kind=(form.get("case_kind") or "").strip() or None, facts=facts)
    listed = (form.get("customers") or "").strip()
    if listed:
        if (
            "\n" not in listed
            and "," in listed
            and all(p.strip().isdigit() for p in listed.split(","))
        ):
            listed = "\n".join(p.strip() for p in listed.split(","))
        parsed = parse_csv(listed, source="customer list")
        selection.customer_ids = parsed.customer_ids
        selection.emails = parsed.emails
        selection.facts_by_customer = parsed.facts_by_customer
    return selection


def _by_lang(form: dict[str, str], name: str) -> dict[str, str]:
    return {lang: form[f"{name}_{lang}"] for lang in languages() if form.get(f"{name}_{lang}")}


def _minutes(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= 7 * 24 * 60:
        raise InvalidInput("The next update must be in 1 to 10080 minutes", field="next_in")
    return int(value)


def _db(request: Request) -> Database:
    return request.app.state.db
