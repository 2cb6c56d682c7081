"""Cross-cutting edges: a request id, JSON errors, security headers."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot import keys
from bot.errors import DomainError
from bot.logs import request_context
from handlers.ratelimits import RateLimited

log = logging.getLogger("bot.http")
REQUEST_ID_KEY = web.RequestKey("request_id", str)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# A strict policy: nothing but our own scripts, styles and sockets; no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}

# What an aiohttp exception (from routing or from reading the body) becomes in our JSON.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "This request needs credentials."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("body_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("rate_limited", "Too many requests; slow down."),
}
# Headers of an aiohttp exception that still mean something once the body is ours.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def error_response(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The one error shape of the API: `{"error": {"code", "message"}}` with `status`."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    # Only a plain id is carried over into our logs; anything else gets a fresh one.
    with request_context(incoming if REQUEST_ID.fullmatch(incoming) else None) as request_id:
        request[REQUEST_ID_KEY] = request_id  # for the access log, written after we return
        response = await handler(request)
        if not response.prepared:
            response.headers["X-Request-Id"] = request_id
        return response


@web.middleware
async def json_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RateLimited as exc:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return error_response(exc.status, exc.code, exc.message, headers=headers)
    except DomainError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code, message = HTTP_ERRORS.get(exc.status, ("http_error", exc.reason))
        kept = {name: exc.headers[name] for name in KEPT_HEADERS if name in exc.headers}
        return error_response(exc.status, code, message, headers=kept)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on our side.")


# An origin as CSP source expressions accept it; anything else (a path, a space, a `;`)
# could widen or break the policy, so it is left out.
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def embed_headers(origins: list[str]) -> dict[str, str]:
    """The headers for /chat?embed=1: framing allowed by these host-platform origins only.

    X-Frame-Options is dropped: it cannot name an allowed origin, and CSP
    `frame-ancestors` supersedes it in every browser that has it (CSP Level 2).

    Args:
        origins: the host platform's page origins (EMBED_ORIGINS), e.g. https://app.example.
    """
    allowed = [origin.rstrip("/") for origin in origins if ORIGIN.fullmatch(origin.rstrip("/"))]
    if not allowed:
        return SECURITY_HEADERS
    policy = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors " + " ".join(allowed)
    )
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}
    del headers["X-Frame-Options"]
    return headers


def headers_for(request: web.Request) -> dict[str, str]:
    if request.path == "/chat" and request.query.get("embed") == "1":
        # getattr: EMBED_ORIGINS is a requested Settings field; until it exists nothing
        # may frame the chat, which is the safe side.
        origins = getattr(request.app[keys.SETTINGS], "embed_origins", None) or []
        return embed_headers(list(origins))
    return SECURITY_HEADERS


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    headers = headers_for(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        for name, value in headers.items():
            exc.headers.setdefault(name, value)
        raise
    if not response.prepared:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
    return response


def middlewares() -> list[Callable[..., Awaitable[web.StreamResponse]]]:
    return [request_id_middleware, security_headers_middleware, json_errors_middleware]
