"""``create_app(db)`` builds the FastAPI application; ``frankly serve`` hands it to uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from frankly import cases
from frankly.errors import FranklyError
from frankly.store import Database

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(db: Database | None = None) -> FastAPI:
    """The web app over ``db`` (the configured database when not given, migrated on start)."""
    if db is None:
        db = Database()
        db.upgrade()
    app = FastAPI(title="Frankly", version="0.1.0")
    app.state.db = db

    @app.exception_handler(FranklyError)
    async def frankly_error(request: Request, exc: FranklyError) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message, "field": exc.field}},
            status_code=exc.http_status,
        )

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, state: str | None = None) -> Any:
        found = cases.list_cases(db, state=state, limit=500)
        customers = {c.id: c for c in cases.list_customers(db, limit=100_000)}
        return TEMPLATES.TemplateResponse(
            request, "cases.html", {"cases": found, "customers": customers, "state": state}
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: int) -> Any:
        view = cases.show_case(db, case_id)
        return TEMPLATES.TemplateResponse(request, "case.html", {"view": view})

    @app.get("/api/v1/cases")
    def api_cases(
        state: str | None = None, kind: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        limit = max(1, min(limit, 1000))
        found = cases.list_cases(db, state=state, kind=kind, limit=limit, offset=max(0, offset))
        return [c.to_dict() for c in found]

    @app.get("/api/v1/cases/{case_id}")
    def api_case(case_id: int) -> dict[str, Any]:
        return cases.show_case(db, case_id).to_dict()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        db.ping()
        return {"status": "ok"}

    return app
