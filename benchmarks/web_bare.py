"""The ceiling for ``make bench-web``: a bare FastAPI app on the same machine and server."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello</h1><p>A small page from a bare FastAPI endpoint.</p></body></html>
"""


@app.get("/json")
async def json_endpoint() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3], "message": "hello"}


@app.get("/html")
def html_endpoint() -> HTMLResponse:
    # A plain ``def``, run in the thread pool like the app's pages.
    return HTMLResponse(PAGE)
