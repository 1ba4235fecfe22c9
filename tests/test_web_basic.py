"""The web app, driven in-process through httpx's ASGI transport (no port, no server)."""

from __future__ import annotations

from frankly.demo import load_demo
from frankly.store import Database
from frankly.web import create_app, ensure_demo_admin

from .test_web import Client


def test_home_lists_the_demo_cases_once_signed_in(sqlite_db: Database) -> None:
    load_demo(sqlite_db)
    made = ensure_demo_admin(sqlite_db)
    assert made is not None
    client = Client(create_app(sqlite_db))
    assert client.get("/").status_code == 303
    assert client.sign_in(*made).status_code == 303
    page = client.get("/cases?state=open")
    assert page.status_code == 200
    assert "Pedido 8812 retrasado" in page.text
    assert client.get("/healthz").json() == {"status": "ok"}
