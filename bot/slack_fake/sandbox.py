"""The sandbox: a page where a newcomer watches cards arrive and acts as an agent, and
the JSON control API behind it (scripts can drive the same API).

Mounted by the app with `add_subapp("/sandbox", fake.sandbox_app())`. The page is plain
HTML + JS + CSS served as separate files, so it runs under `default-src 'self'`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.slack_fake.server import SlackFake

STATIC_DIR = Path(__file__).parent / "static"
SANDBOX_FAKE = web.AppKey("sandbox_fake", SlackFake)
# The control API acts as a person, so its input is small; refuse anything bigger.
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT = 40_000

_STATIC_FILES = {
    "sandbox.js": "application/javascript",
    "sandbox.css": "text/css",
}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _body(request: web.Request, fields: tuple[str, ...]) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _Bad(413, "too_large", "request body is too large")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _Bad(413, "too_large", "request body is too large")
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise _Bad(400, "invalid_json", "body must be a JSON object") from None
    if not isinstance(data, dict):
        raise _Bad(400, "invalid_json", "body must be a JSON object")
    for name in fields:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _Bad(400, "missing_field", f"'{name}' is required (a non-empty string)")
    return data


class _Bad(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _guarded(handler: Handler) -> Handler:
    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except _Bad as exc:
            return _error(exc.status, exc.code, exc.message)
        except KeyError as exc:
            return _error(404, "channel_not_found", f"unknown channel {exc.args[0]!r}")
        except ValueError as exc:
            return _error(400, "invalid_request", str(exc))
        except RuntimeError as exc:
            return _error(503, "app_unreachable", str(exc))

    return run


def _fake(request: web.Request) -> SlackFake:
    return request.app[SANDBOX_FAKE]


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "sandbox.html", headers={"Cache-Control": "no-cache"})


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    content_type = _STATIC_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        STATIC_DIR / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
    )


async def channels(request: web.Request) -> web.Response:
    fake = _fake(request)
    listed = [{"id": c.id, "name": c.name} for c in fake.workspace.public_channels()]
    return web.json_response({"channels": listed})


async def users(request: web.Request) -> web.Response:
    fake = _fake(request)
    people = [
        {"id": u.id, "name": u.name, "real_name": u.real_name} for u in fake.users() if not u.is_bot
    ]
    return web.json_response({"users": people})


async def messages(request: web.Request) -> web.Response:
    channel = request.query.get("channel", "")
    if not channel:
        raise _Bad(400, "missing_field", "'channel' is required")
    listed = []
    for m in _fake(request).messages(channel):
        item = {k: m[k] for k in ("ts", "thread_ts", "user", "bot_id", "text", "blocks")}
        if m.get("ephemeral_to"):
            item["ephemeral_to"] = m["ephemeral_to"]
        listed.append(item)
    return web.json_response({"messages": listed})


def _check_user(fake: SlackFake, user: str) -> None:
    if user not in fake.workspace.users:
        raise _Bad(400, "unknown_user", f"unknown user {user!r}")


async def click(request: web.Request) -> web.Response:
    data = await _body(request, ("user", "channel", "ts", "action_id"))
    fake = _fake(request)
    _check_user(fake, data["user"])
    answer = await fake.click(
        user=data["user"],
        channel=data["channel"],
        ts=data["ts"],
        action_id=data["action_id"],
        value=data.get("value") if isinstance(data.get("value"), str) else None,
    )
    return web.json_response(answer)


async def post(request: web.Request) -> web.Response:
    data = await _body(request, ("user", "channel", "text"))
    if len(data["text"]) > MAX_TEXT:
        raise _Bad(400, "msg_too_long", f"text is longer than {MAX_TEXT} characters")
    thread_ts = data.get("thread_ts")
    if thread_ts is not None and not isinstance(thread_ts, str):
        raise _Bad(400, "invalid_field", "'thread_ts' must be a string")
    fake = _fake(request)
    _check_user(fake, data["user"])
    answer = await fake.post(
        user=data["user"], channel=data["channel"], text=data["text"], thread_ts=thread_ts or None
    )
    return web.json_response(answer)


async def command(request: web.Request) -> web.Response:
    data = await _body(request, ("user", "channel", "command"))
    text = data.get("text", "")
    if not isinstance(text, str):
        raise _Bad(400, "invalid_field", "'text' must be a string")
    fake = _fake(request)
    _check_user(fake, data["user"])
    answer = await fake.command(
        user=data["user"], channel=data["channel"], command=data["command"], text=text
    )
    return web.json_response(answer)


async def views(request: web.Request) -> web.Response:
    fake = _fake(request)
    user = request.query.get("user", "")
    _check_user(fake, user)
    modals = fake.modals_of(user)
    for modal in modals:
        modal["errors"] = fake.view_errors.get(modal["id"], {})
    return web.json_response({"home": fake.views.get(user), "modals": modals})


async def home(request: web.Request) -> web.Response:
    data = await _body(request, ("user",))
    fake = _fake(request)
    _check_user(fake, data["user"])
    return web.json_response(await fake.open_home(user=data["user"]))


async def submit(request: web.Request) -> web.Response:
    data = await _body(request, ("user", "view_id"))
    values = data.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise _Bad(400, "invalid_field", "'values' must map block_id to {action_id: value}")
    fake = _fake(request)
    _check_user(fake, data["user"])
    answer = await fake.submit_view(user=data["user"], view_id=data["view_id"], values=values)
    return web.json_response(answer)


async def close(request: web.Request) -> web.Response:
    data = await _body(request, ("user", "view_id"))
    fake = _fake(request)
    _check_user(fake, data["user"])
    answer = await fake.close_view(user=data["user"], view_id=data["view_id"])
    return web.json_response(answer or {"status": None, "body": None})


def build_sandbox_app(fake: SlackFake) -> web.Application:
    app = web.Application()
    app[SANDBOX_FAKE] = fake
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/channels", _guarded(channels))
    app.router.add_get("/api/users", _guarded(users))
    app.router.add_get("/api/messages", _guarded(messages))
    app.router.add_post("/api/click", _guarded(click))
    app.router.add_post("/api/post", _guarded(post))
    app.router.add_post("/api/command", _guarded(command))
    app.router.add_get("/api/views", _guarded(views))
    app.router.add_post("/api/home", _guarded(home))
    app.router.add_post("/api/submit", _guarded(submit))
    app.router.add_post("/api/close", _guarded(close))
    return app


def mount_sandbox(app: web.Application, fake: SlackFake, prefix: str = "/sandbox") -> None:
    """Mount the sandbox under `prefix`, with `prefix` itself redirecting to `prefix/`.

    A sub-app's "/" only answers "prefix/"; the page uses relative URLs, so it must be
    loaded with the trailing slash.
    """

    async def to_slash(request: web.Request) -> web.Response:
        raise web.HTTPFound(prefix + "/")

    app.router.add_get(prefix, to_slash)
    app.add_subapp(prefix, fake.sandbox_app())
