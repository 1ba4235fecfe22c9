"""``create_app(db)`` builds the FastAPI application; ``frankly serve`` hands it to uvicorn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from frankly.errors import FranklyError
from frankly.store import Agent, Database
from frankly.web import _account, _api, _case, _insights, _pages, _playbooks, _practice, _review
from frankly.web import incidents as incidents_web
from frankly.web._session import CsrfFailed, SignInRequired, login_url, render, require_agent

STATIC = Path(__file__).parent / "static"

API_DESCRIPTION = """\
Frankly's JSON API. Authenticate with a token: `Authorization: Bearer frk_…`
(create one on the Account page or with `frankly users token EMAIL NAME`).

A token has a scope (read: GET and the read-only checks; write: also changes; admin) and
an expiry (90 days unless set otherwise). Agents change their own and unassigned cases;
managers and admins every case (see docs/security.md).

Every error has the same body: `{"error": {"code": "...", "message": "...", "field": ...}}`,
with 4xx for the caller's mistakes (401 no, bad or expired token, 403 scope or role, 404 not found,
409 conflict or illegal state change, 422 invalid input).
"""


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Frankly API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>
"""


def create_app(db: Database | None = None) -> FastAPI:
    """The web app over ``db`` (the configured database when not given, migrated on start)."""
    if db is None:
        db = Database()
        db.upgrade()
    app = FastAPI(
        title="Frankly",
        version="0.1.0",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.db = db
    app.state.signer = None
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        # No inline scripts run: customer text cannot execute even if escaping ever failed.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    _errors(app)
    app.include_router(_account.router)
    app.include_router(_pages.router)
    app.include_router(_case.router)
    app.include_router(_playbooks.router)
    app.include_router(_insights.router)
    app.include_router(_api.router)
    app.include_router(_review.router)
    app.include_router(_review.api_router)
    app.include_router(_practice.router)
    # Incidents: the public status pages (no sign-in) and the managers' pages.
    app.include_router(incidents_web.router)
    app.include_router(incidents_web.manager_router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_schema(me: Annotated[Agent, Depends(require_agent)]) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(me: Annotated[Agent, Depends(require_agent)]) -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        db.ping()
        return {"status": "ok"}

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def _error_body(code: str, message: str, field: str | None = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "field": field}}


def _errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        if _wants_json(request):
            return JSONResponse(_error_body("not_signed_in", "Sign in first."), 401)
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": login_url(request)})
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf(request: Request, exc: CsrfFailed) -> Response:
        message = "This form has expired. Reload the page and try again."
        if _wants_json(request):
            return JSONResponse(_error_body("csrf_failed", message), 403)
        return render(request, "error.html", {"status": 403, "message": message}, status=403)

    @app.exception_handler(FranklyError)
    async def frankly_error(request: Request, exc: FranklyError) -> Response:
        if _wants_json(request) or not request.url.path.startswith("/"):
            payload = _error_body(exc.code, exc.message, exc.field)
            payload["error"].update(exc.details())  # type: ignore[attr-defined]
            return JSONResponse(payload, status_code=exc.http_status)
        return render(
            request,
            "error.html",
            {"status": exc.http_status, "message": exc.message},
            status=exc.http_status,
        )

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (out of range, malformed) is the caller's input.
        message = "A value is out of range or cannot be stored"
        if _wants_json(request):
            return JSONResponse(_error_body("invalid_input", message), 422)
        return render(request, "error.html", {"status": 422, "message": message}, status=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(location) or None
        message = str(first.get("msg", "Invalid input"))
        if field:
            message = f"{field}: {message}"
        if _wants_json(request):
            return JSONResponse(_error_body("invalid_input", message, field), 422)
        return render(request, "error.html", {"status": 422, "message": message}, status=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "not_signed_in"}
        message = str(exc.detail) if exc.detail else "Error"
        if exc.status_code == 404:
            message = "Nothing here."
        if _wants_json(request):
            return JSONResponse(
                _error_body(codes.get(exc.status_code, "error"), message),
                exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return render(
            request, "error.html", {"status": exc.status_code, "message": message}, exc.status_code
        )
