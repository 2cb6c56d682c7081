"""The person's chat page (/chat), the embeddable widget (/widget.js) and their assets."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
ASSETS = {
    "/chat": ("chat.html", "text/html"),
    "/widget.js": ("widget.js", "application/javascript"),
    "/static/chat.js": ("chat.js", "application/javascript"),
    "/static/chat.css": ("chat.css", "text/css"),
}


def add_routes(app: web.Application) -> None:
    for path, (filename, content_type) in ASSETS.items():
        app.router.add_get(path, _serve(filename, content_type))


def _serve(filename: str, content_type: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        path = STATIC_DIR / filename
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type=content_type, charset="utf-8")

    return handler
