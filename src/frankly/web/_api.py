"""``/api/v1``: JSON for integrations, authenticated by a bearer token.

Errors always have the body ``{"error": {"code", "message", "field"}}``: 4xx for the caller's
mistakes, never a 500 for bad input.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from frankly import cases, compose
from frankly.errors import InvalidInput
from frankly.store import (
    CASE_STATES,
    CHANNELS,
    FAULTS,
    LANGUAGES,
    SEVERITIES,
    TIERS,
    Agent,
    Database,
)
from frankly.web import _services
from frankly.web.auth import Forbidden, NotSignedIn, token_allows, token_grant

MAX_ID = 2_147_483_647


def _language(value: Any) -> Any:
    """Accept the code of an installed language pack; checked per request, not at import,
    because the languages are the packs installed now (``frankly.packs``)."""
    if value is not None and value not in LANGUAGES:
        raise ValueError(f"unknown language {value!r}: use one of {', '.join(LANGUAGES)}")
    return value


def _language_schema(schema: dict[str, Any]) -> None:
    # The OpenAPI names the languages installed when it is built, as a client expects.
    if schema.get("type") == "string":
        schema["enum"] = list(LANGUAGES)
    for option in schema.get("anyOf", []):
        if option.get("type") == "string":
            option["enum"] = list(LANGUAGES)


Lang = Annotated[str, AfterValidator(_language), Field(json_schema_extra=_language_schema)]
OptionalLang = Annotated[
    str | None, AfterValidator(_language), Field(json_schema_extra=_language_schema)
]


def _clean(value: Any, where: str = "") -> Any:
    """Refuse text no database can store (NUL characters, lone surrogates), at any depth;
    the message names the key where the value sits (``quantity``, ``items[2]``)."""

    def refuse(problem: str) -> ValueError:
        return ValueError(f"{where}: {problem}" if where else problem)

    if isinstance(value, str):
        if "\x00" in value:
            raise refuse("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise refuse("text must be valid Unicode") from exc
    elif isinstance(value, dict):
        for k, v in value.items():
            _clean(k, where)
            _clean(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _clean(v, f"{where}[{i}]")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise refuse("numbers must be smaller than 2^53")
    elif isinstance(value, float) and not math.isfinite(value):
        # Python's JSON reader takes NaN, Infinity and 1e400 (read as Infinity): none is
        # standard JSON, and none may be stored.
        raise refuse("numbers must be finite: NaN and Infinity are not JSON")
    elif isinstance(value, float) and abs(value) > 2**53:
        raise refuse("numbers must be smaller than 2^53")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_clean)
    ]


Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "The body cannot be read: not JSON, or not UTF-8"),
        (401, "No token, or a token that is wrong, revoked or expired"),
        (403, "The token's scope or its owner's role does not allow this"),
        (404, "No such case, customer or message"),
        (409, "A conflict, or a state change the case's life does not allow"),
        (422, "Invalid input: the field is named"),
        (503, "A part of Frankly this endpoint needs could not run (the checker)"),
    )
}

bearer = HTTPBearer(auto_error=False, description="An API token: `Bearer frk_…`")


# POST endpoints that only compute an answer: a read token may call them.
READ_ONLY_POSTS = frozenset({"/api/v1/check", "/api/v1/triage", "/api/v1/cases/{case_id}/draft"})


def needed_scope(request: Request) -> str:
    """The token scope a request needs: read for GET and the read-only posts, else write."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return "read"
    route = request.scope.get("route")
    if getattr(route, "path", None) in READ_ONLY_POSTS:
        return "read"
    return "write"


def api_agent(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Agent:
    """The agent whose token the request carries, when its scope allows the request.

    Raises ``NotSignedIn`` (401: no token, or one that is wrong, revoked or expired) and
    ``Forbidden`` (403: a read token asked to write).
    """
    cached = getattr(request.state, "api_agent", None)
    if cached is not None:
        return cached
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotSignedIn("Send an API token: Authorization: Bearer frk_…")
    grant = token_grant(request.app.state.db, credentials.credentials)
    if grant is None:
        raise NotSignedIn("The API token is wrong, revoked or expired")
    agent, scope = grant
    needed = needed_scope(request)
    if not token_allows(scope, needed):
        raise Forbidden(f"This token's scope is {scope}: this request needs a {needed} token")
    request.state.api_agent = agent
    return agent


router = APIRouter(prefix="/api/v1", responses=ERRORS, dependencies=[Depends(api_agent)])
Me = Annotated[Agent, Depends(api_agent)]


def _db(request: Request) -> Database:
    return request.app.state.db


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseIn(Strict):
    customer_id: int = Field(ge=1, le=MAX_ID)
    kind: Text(64, 1)  # type: ignore[valid-type]
    title: Text(300, 1)  # type: ignore[valid-type]
    severity: Literal[SEVERITIES] = "medium"  # type: ignore[valid-type]
    fault: Literal[FAULTS] = "ours"  # type: ignore[valid-type]
    facts: Annotated[dict[str, Any], AfterValidator(_clean)] = Field(default_factory=dict)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    external_ref: Text(200, 1) | None = None  # type: ignore[valid-type]


class FactsIn(Strict):
    facts: Annotated[dict[str, Any], AfterValidator(_clean)]


class StateIn(Strict):
    to: Literal[CASE_STATES]  # type: ignore[valid-type]
    reason: Text(2000) | None = None  # type: ignore[valid-type]


class NoteIn(Strict):
    text: Text(20_000, 1)  # type: ignore[valid-type]


class MilestoneIn(Strict):
    code: Text(64, 1)  # type: ignore[valid-type]
    happened_at: dt.datetime | None = None
    note: Text(500, 0) | None = None  # type: ignore[valid-type]


class MessageIn(Strict):
    direction: Literal["in", "out"]
    body: Text(100_000, 1)  # type: ignore[valid-type]
    channel: Literal[CHANNELS] = "email"  # type: ignore[valid-type]
    subject: Text(500) | None = None  # type: ignore[valid-type]
    language: OptionalLang = None
    stage: Text(40) | None = None  # type: ignore[valid-type]
    sender: Text(320) | None = None  # type: ignore[valid-type]


class CustomerIn(Strict):
    name: Text(200, 1)  # type: ignore[valid-type]
    email: Text(320) | None = None  # type: ignore[valid-type]
    company: Text(200) | None = None  # type: ignore[valid-type]
    phone: Text(64) | None = None  # type: ignore[valid-type]
    language: Lang = "en"
    tier: Literal[TIERS] = "standard"  # type: ignore[valid-type]
    timezone: Text(64, 1) = "UTC"  # type: ignore[valid-type]


class CheckIn(Strict):
    text: Text(200_000)  # type: ignore[valid-type]
    lang: OptionalLang = None
    stage: Text(40) | None = None  # type: ignore[valid-type]
    reply_to: Text(200_000) | None = None  # type: ignore[valid-type]
    fault: Literal[FAULTS] | None = None  # type: ignore[valid-type]


class TriageIn(Strict):
    text: Text(200_000)  # type: ignore[valid-type]
    lang: OptionalLang = None


class RemediesIn(Strict):
    action: Literal["offer", "choose"]
    options: list[Text(64, 1)] | None = Field(  # type: ignore[valid-type]
        default=None,
        max_length=50,
        description="offer: the playbook's remedy ids offered (default: all that apply)",
    )
    option: Text(64, 1) | None = Field(  # type: ignore[valid-type]
        default=None, description="choose: the id of the option the customer chose"
    )
    note: Text(2000) | None = None  # type: ignore[valid-type]
    lang: OptionalLang = None


class DraftIn(Strict):
    stage: Text(64, 1)  # type: ignore[valid-type]
    channel: Literal["email", "sms", "call"] = "email"
    lang: OptionalLang = None


QueryText = Annotated[str | None, Query(max_length=200), AfterValidator(_clean)]


@router.get("/cases", summary="List cases, most recently changed first")
def list_cases(
    request: Request,
    response: Response,
    state: Literal[CASE_STATES] | None = None,  # type: ignore[valid-type]
    kind: QueryText = None,
    severity: Literal[SEVERITIES] | None = None,  # type: ignore[valid-type]
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    chased: bool | None = None,
    q: QueryText = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[dict[str, Any]]:
    filters: dict[str, Any] = {
        "state": state,
        "kind": kind,
        "severity": severity,
        "customer_id": customer_id,
        "owner_id": owner_id,
        "chased": chased,
        "query": q,
    }
    db = _db(request)
    response.headers["X-Total-Count"] = str(cases.count_cases(db, **filters))
    found = cases.list_cases(db, **filters, limit=limit, offset=offset)
    return [c.to_dict() for c in found]


@router.post("/cases", status_code=201, summary="Open a case")
def open_case(request: Request, me: Me, body: CaseIn) -> dict[str, Any]:
    case = cases.open_case(_db(request), **body.model_dump(), author=me.email, actor=me)
    return case.to_dict()


@router.get("/cases/{case_id}", summary="A case with its timeline, messages and commitments")
def get_case(request: Request, case_id: Id) -> dict[str, Any]:
    return cases.show_case(_db(request), case_id).to_dict()


@router.post("/cases/{case_id}/facts", summary="Record facts (null removes one)")
def record_facts(request: Request, me: Me, case_id: Id, body: FactsIn) -> dict[str, Any]:
    return cases.record_facts(
        _db(request), case_id, body.facts, author=me.email, actor=me
    ).to_dict()


@router.post("/cases/{case_id}/state", summary="Move a case to another state")
def change_state(request: Request, me: Me, case_id: Id, body: StateIn) -> dict[str, Any]:
    db = _db(request)
    return cases.change_state(
        db, case_id, body.to, author=me.email, actor=me, reason=body.reason
    ).to_dict()


@router.post("/cases/{case_id}/notes", status_code=201, summary="Add a note to the timeline")
def add_note(request: Request, me: Me, case_id: Id, body: NoteIn) -> dict[str, Any]:
    return cases.add_note(_db(request), case_id, body.text, author=me.email, actor=me).to_dict()


@router.post(
    "/cases/{case_id}/milestones",
    status_code=201,
    summary="Record a logistics milestone; drafts the update that shows the movement",
)
def record_milestone(
    request: Request, me: Me, case_id: Id, body: MilestoneIn, response: Response
) -> dict[str, Any]:
    result = cases.record_milestone(
        _db(request),
        case_id,
        body.code,
        happened_at=body.happened_at,
        note=body.note,
        author=me.email,
        actor=me,
    )
    if not result.created:
        response.status_code = 200  # the same milestone again: nothing new was written
    return result.to_dict()


@router.post("/codes/{code}/redeem", summary="Redeem a follow-up discount code (once only)")
def redeem_code(
    request: Request, me: Me, code: Annotated[str, Path(min_length=1, max_length=64)]
) -> dict[str, Any]:
    return cases.redeem_code(_db(request), code, by=me.email).to_dict()


@router.get("/cases/{case_id}/events", summary="The case's timeline (read-only), oldest first")
def events(request: Request, case_id: Id) -> list[dict[str, Any]]:
    return [e.to_dict() for e in cases.show_case(_db(request), case_id).events]


@router.get("/cases/{case_id}/messages", summary="The case's messages, oldest first")
def messages(request: Request, case_id: Id) -> list[dict[str, Any]]:
    return [m.to_dict() for m in cases.show_case(_db(request), case_id).messages]


@router.post(
    "/cases/{case_id}/messages",
    status_code=201,
    summary="Add a message: an outbound draft, or an inbound message received",
)
def add_message(request: Request, me: Me, case_id: Id, body: MessageIn) -> dict[str, Any]:
    data = body.model_dump()
    triage = None
    if body.direction == "in":
        triage = _services.triage_text(body.body, body.language)
    message = cases.add_message(
        _db(request), case_id, **data, author=me.email, actor=me, triage=triage
    )
    return message.to_dict()


class ApproveIn(Strict):
    next_update_at: dt.datetime | None = None
    # When the text promises one time and next_update_at another: which one holds.
    promise_from: Literal["text", "field"] | None = None
    # A manager sends despite error-level findings; the reason is kept on the timeline.
    override: bool = False
    override_reason: Text(2000) | None = None  # type: ignore[valid-type]


@router.post(
    "/messages/{message_id}/approve",
    summary="Approve an outbound draft through the sending gate and queue it",
    description=(
        "The text is checked with the case's stage and the customer's language. Error-level "
        "findings answer 409 `blocked` with the findings, unless a manager sets `override` "
        "(an agent's override answers 403). A second approval answers 409 `already_sent`. "
        "When the text and `next_update_at` promise different times, 409 `promise_conflict` "
        "asks for `promise_from`. If the checker cannot run, 503 and nothing is sent."
    ),
)
def approve_message(request: Request, me: Me, message_id: Id, body: ApproveIn) -> dict[str, Any]:
    if body.next_update_at is not None and body.next_update_at.tzinfo is None:
        raise InvalidInput("next_update_at needs a time zone", field="next_update_at")
    approval = cases.approve(
        _db(request),
        message_id,
        author=me.email,
        actor=me,
        next_update_at=body.next_update_at,
        promise_from=body.promise_from,
        override=body.override,
        override_reason=body.override_reason,
        library=_services.library(_db(request)),
    )
    return {**approval.message.to_dict(), "gate": approval.to_dict()}


@router.post(
    "/inbound",
    status_code=201,
    summary="Receive a customer's mail (raw RFC 822) and attach it to its case",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "message/rfc822": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
async def inbound(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("Send the raw mail as the request body", field="body")
    if len(raw) > 10_000_000:
        raise InvalidInput("The mail is larger than 10 MB", field="body")
    me: Agent = request.state.api_agent
    received = await run_in_threadpool(
        cases.receive_inbound, _db(request), raw, author=f"api:{me.email}"
    )
    return received.to_dict()


@router.get("/cases/{case_id}/commitments", summary="The case's commitments")
def commitments(request: Request, case_id: Id) -> list[dict[str, Any]]:
    return [c.to_dict() for c in cases.show_case(_db(request), case_id).commitments]


@router.get(
    "/cases/{case_id}/remedies",
    summary="The options the playbook allows, those offered to the customer, and the choice",
)
def list_remedies(
    request: Request,
    case_id: Id,
    lang: OptionalLang = None,
) -> dict[str, Any]:
    db = _db(request)
    return cases.list_remedies(db, case_id, lang, library=_services.library(db)).to_dict()


@router.post(
    "/cases/{case_id}/remedies",
    summary="Record options offered (action=offer) or the customer's choice (action=choose)",
)
def record_remedies(request: Request, me: Me, case_id: Id, body: RemediesIn) -> dict[str, Any]:
    db = _db(request)
    library = _services.library(db)
    if body.action == "offer":
        if body.option is not None:
            raise InvalidInput("To offer, send options (a list), not option", field="option")
        cases.offer_options(
            db, case_id, body.options, lang=body.lang, author=me.email, actor=me, library=library
        )
    else:
        if body.option is None:
            raise InvalidInput("Name the option the customer chose", field="option")
        if body.options is not None:
            raise InvalidInput("To choose, send option, not options", field="options")
        cases.choose_option(db, case_id, body.option, note=body.note, author=me.email, actor=me)
    return cases.list_remedies(db, case_id, body.lang, library=library).to_dict()


@router.post("/cases/{case_id}/draft", summary="Draft a message from the case's playbook")
def draft(request: Request, case_id: Id, body: DraftIn) -> dict[str, Any]:
    view = cases.show_case(_db(request), case_id)
    made = compose.draft(
        view, body.stage, body.channel, body.lang, library=_services.library(_db(request))
    )
    return made.to_dict()


@router.get("/customers", summary="List customers by name")
def list_customers(
    request: Request,
    q: QueryText = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[dict[str, Any]]:
    found = cases.list_customers(_db(request), query=q, limit=limit, offset=offset)
    return [c.to_dict() for c in found]


@router.post("/customers", status_code=201, summary="Add a customer")
def add_customer(request: Request, body: CustomerIn) -> dict[str, Any]:
    return cases.add_customer(_db(request), **body.model_dump()).to_dict()


@router.get("/customers/{customer_id}", summary="A customer")
def get_customer(request: Request, customer_id: Id) -> dict[str, Any]:
    return cases.get_customer(_db(request), customer_id).to_dict()


@router.post("/check", summary="Check a draft: findings with offsets, messages and suggestions")
def check(body: CheckIn) -> dict[str, Any]:
    report = _services.check_text(
        body.text,
        lang=body.lang,
        stage=body.stage,
        reply_to=body.reply_to,
        fault=body.fault,
        strict=True,
    )
    assert report is not None  # strict: a failure raises instead
    return report


@router.post("/triage", summary="Triage a customer's message: anger, risks, questions, advice")
def triage(body: TriageIn) -> dict[str, Any]:
    if not body.text.strip():
        raise InvalidInput("The text is empty", field="text")
    report = _services.triage_text(body.text, body.lang, strict=True)
    assert report is not None  # strict: a failure raises instead
    return report
