"""The web app, driven in-process through httpx's ASGI transport (no port, no server)."""

from __future__ import annotations

import httpx

from frankly.demo import load_demo
from frankly.store import Database
from frankly.web import create_app


async def _get(app, url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(url)


def test_home_lists_the_demo_cases(sqlite_db: Database) -> None:
    import asyncio

    load_demo(sqlite_db)
    app = create_app(sqlite_db)
    page = asyncio.run(_get(app, "/"))
    assert page.status_code == 200
    assert "Order 4471 held at customs" in page.text
    assert "Pedido 8812 retrasado" in page.text
    api = asyncio.run(_get(app, "/api/v1/cases?kind=billing_error"))
    assert {c["kind"] for c in api.json()} == {"billing_error"}
    missing = asyncio.run(_get(app, "/api/v1/cases/9999"))
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "No case with id 9999", "field": None}
    }
