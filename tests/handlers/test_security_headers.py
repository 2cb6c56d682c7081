"""Every response carries the strict security headers: pages, API, errors, the sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.conversation.engine import Engine
from bot.settings import Settings
from handlers.middleware import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, embed_headers
from tests.handlers.conftest import MakeClient


def assert_secure(response: ClientResponse, what: str) -> None:
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        if name == "Cache-Control" and response.url.path.startswith("/sandbox"):
            # The dev-only sandbox revalidates its own assets; it holds no person's data.
            assert headers.get(name) in ("no-store", "no-cache"), what
            continue
        assert headers.get(name) == value, f"{what}: {name} is {headers.get(name)!r}"


def test_the_policy_is_strict() -> None:
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "*" not in CONTENT_SECURITY_POLICY
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"


def routes(app: web.Application) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, sub-apps included, placeholders filled in."""
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            # A mounted app's resources already carry its prefix.
            yield from routes(resource._app)
            continue
        path = re.sub(r"\{[^}]+\}", "placeholder", resource.canonical)
        for route in resource:
            if route.method != "HEAD":
                yield route.method, path


async def test_every_route_sends_the_headers(client: TestClient) -> None:
    seen = list(routes(client.app))
    paths = {path for _, path in seen}
    # The routes the brief names must be among them, so this test cannot pass vacuously.
    for expected in ("/chat", "/widget.js", "/chat/ws", "/api/v1/conversations", "/sandbox/"):
        assert expected in paths, sorted(paths)
    for method, path in seen:
        kwargs = {"json": {}} if method == "POST" else {}
        response = await client.request(method, path, **kwargs)
        assert response.status < 500, f"{method} {path}: {response.status}"
        assert_secure(response, f"{method} {path} ({response.status})")


async def test_error_responses_send_the_headers(client: TestClient) -> None:
    not_found = await client.get("/no/such/page")
    assert not_found.status == 404
    assert_secure(not_found, "404")
    wrong_method = await client.put("/api/v1/conversations")
    assert wrong_method.status == 405
    assert_secure(wrong_method, "405")
    too_big = await client.post(
        "/api/v1/conversations",
        data=b"{" + b" " * (300 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert too_big.status == 413
    assert_secure(too_big, "413")
    not_upgraded = await client.get("/chat/ws")
    assert not_upgraded.status == 400
    assert_secure(not_upgraded, "ws without upgrade")


async def test_rate_limited_and_crashed_responses_send_the_headers(
    make_client: MakeClient, aiohttp_client: object, settings: Settings, engine: Engine
) -> None:
    limited = await make_client(ip=(0.001, 1))
    assert (await limited.post("/api/v1/conversations", json={})).status == 201
    refused = await limited.post("/api/v1/conversations", json={})
    assert refused.status == 429
    assert_secure(refused, "429")

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app = create_app(settings, engine=engine)
    app.router.add_get("/boom", boom)
    crashing: TestClient = await aiohttp_client(app)  # type: ignore[operator]
    response = await crashing.get("/boom")
    assert response.status == 500
    assert (await response.json())["error"]["code"] == "internal"
    assert "a bug" not in await response.text()
    assert_secure(response, "500")


async def test_sandbox_pages_keep_the_strict_policy(client: TestClient) -> None:
    page = await client.get("/sandbox/")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    # The page may only load its own assets: no inline script for the policy to block.
    html = await page.text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script on /sandbox"
    assert " on" + "click=" not in html.lower()


def test_embed_headers_allow_only_the_configured_origins() -> None:
    headers = embed_headers(
        [
            "https://app.example.com",
            "http://localhost:8000/",
            "https://x.example; script-src *",
            "javascript:alert(1)",
            "https://*.example.com",
        ]
    )
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors https://app.example.com http://localhost:8000;" in policy + ";"
    assert "script-src 'self';" in policy and "*" not in policy
    assert "X-Frame-Options" not in headers
    assert embed_headers([]) == SECURITY_HEADERS


async def test_chat_cannot_be_framed_unless_origins_are_configured(
    client: TestClient, make_client: MakeClient
) -> None:
    page = await client.get("/chat", params={"embed": "1"})
    assert page.status == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    host = "https://therapy.example.com"
    embedding = await make_client(embed_origins=[host])
    framed = await embedding.get("/chat", params={"embed": "1"})
    assert f"frame-ancestors {host}" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    # Only the embed page: the plain chat page and the API still refuse framing.
    for path in ("/chat", "/api/v1/openapi.json"):
        plain = await embedding.get(path)
        assert plain.headers["X-Frame-Options"] == "DENY", path
