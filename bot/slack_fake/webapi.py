"""The Web API methods the app calls, with Slack's arguments, answers and errors, and
conversations.archive for tests that need an archived channel.

Every answer is HTTP 200 with {"ok": false, "error": ...} on failure, as Slack does,
except rate limiting (HTTP 429 + Retry-After) and injected server faults.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from bot.slack_fake import blockkit
from bot.slack_fake.workspace import (
    API_APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    Channel,
    api_view,
)

if TYPE_CHECKING:
    from bot.slack_fake.server import SlackFake

# chat.postMessage: "messages longer than 40,000 characters" fail with msg_too_long.
MAX_MESSAGE_TEXT = 40_000
# Methods that change something: random faults (fail_rate) only hit these.
WRITE_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.delete",
        "chat.postEphemeral",
        "conversations.archive",
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
    }
)
# A ts argument (oldest, latest): "1700000000.123456", or whole seconds.
TS_ARG = re.compile(r"\d+(\.\d+)?")
# Modals stack at most three deep (views.push: push_limit_reached).
MAX_VIEW_STACK = 3
FaultKind = Literal["429", "500", "timeout"]


class ApiError(Exception):
    def __init__(self, error: str, *, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


class Dropped(Exception):
    """The request gets no HTTP answer at all (a timeout fault)."""


class Handled(Exception):
    """A finished HTTP answer that is not Slack's usual 200 (429, 5xx, timeout)."""

    def __init__(self, response: web.Response, error: str) -> None:
        super().__init__(error)
        self.response = response
        self.error = error


Params = dict[str, Any]
Method = Callable[[Params], Awaitable[dict[str, Any]]]

# Arguments that arrive JSON-encoded inside form posts.
JSON_ARGS = ("blocks", "view", "metadata", "attachments")


def truthy(value: Any) -> bool:
    """Slack's booleans arrive as true/false, "true"/"false" or "1"/"0"."""
    return value is True or str(value).lower() in ("1", "true")


def _decode_json_arg(params: Params, key: str) -> Any:
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return _Invalid(value)
    return value


class _Invalid:
    def __init__(self, raw: str) -> None:
        self.raw = raw


class WebApi:
    def __init__(self, fake: SlackFake) -> None:
        self.fake = fake
        self.ws = fake.workspace
        self._faults: dict[str, list[FaultKind]] = {}
        self._rng = random.Random(fake.seed)
        self.methods: dict[str, Method] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.archive": self.conversations_archive,
            "conversations.replies": self.conversations_replies,
            "conversations.history": self.conversations_history,
            "conversations.info": self.conversations_info,
            "conversations.list": self.conversations_list,
            "users.info": self.users_info,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_push,
            "views.publish": self.views_publish,
        }

    # -- HTTP entry ---------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params, token = await self._read(request)
        record: dict[str, Any] = {
            "method": method_name,
            "params": params,
            "status": 200,
            "at": self.fake.clock(),
        }
        self.fake.calls.append(record)
        try:
            method = self.methods.get(method_name)
            if method is None:
                raise ApiError("unknown_method")
            if not token:
                raise ApiError("not_authed")
            if token != self.fake.bot_token:
                raise ApiError("invalid_auth")
            await self._maybe_fault(method_name)
            if self.fake.rate_limit:
                retry_after = self.fake.method_limiter.retry_after(method_name)
                if retry_after:
                    raise Handled(ratelimited(retry_after), "ratelimited")
            body = await method(params)
        except ApiError as exc:
            record["error"] = exc.error
            body = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            return web.json_response(body)
        except Handled as exc:
            record["status"] = exc.response.status
            record["error"] = exc.error
            return exc.response
        except Dropped:
            record["status"] = 0
            record["error"] = "timeout"
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable() from None  # never reaches the closed socket
        return web.json_response({"ok": True, **body})

    async def _read(self, request: web.Request) -> tuple[Params, str | None]:
        params: Params = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    data = await request.json()
                except ValueError:
                    data = {}
                if isinstance(data, dict):
                    params.update(data)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        auth = request.headers.get("Authorization", "")
        token: str | None = None
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        elif request.content_type != "application/json":
            # Slack takes `token` as a POST/query parameter, but never inside a JSON body.
            token = params.get("token")
        params.pop("token", None)
        return params, token

    # -- faults -------------------------------------------------------------------
    def inject_fault(self, method: str, kind: FaultKind, times: int = 1) -> None:
        if kind not in ("429", "500", "timeout"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.setdefault(method, []).extend([kind] * times)

    async def _maybe_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        kind: FaultKind | None = None
        if queue:
            kind = queue.pop(0)
        elif method in WRITE_METHODS and self.fake.fail_rate > 0:
            if self._rng.random() < self.fake.fail_rate:
                kind = self._rng.choice(("429", "500", "timeout"))
        if kind is None:
            return
        if kind == "429":
            raise Handled(ratelimited(1), "ratelimited")
        if kind == "500":
            response = web.json_response({"ok": False, "error": "fatal_error"}, status=500)
            raise Handled(response, "fatal_error")
        # A hung request: nothing is done, and no answer ever comes; the connection is
        # dropped after the hang, so the client fails with a timeout (when its own
        # timeout is shorter) or a disconnect, never with a Slack answer.
        await asyncio.sleep(self.fake.fault_timeout_s)
        raise Dropped()

    # -- helpers ------------------------------------------------------------------
    def _channel(self, params: Params, key: str = "channel") -> Channel:
        value = params.get(key)
        if not isinstance(value, str) or not value:
            raise ApiError("channel_not_found")
        try:
            return self.ws.resolve_target(value)
        except KeyError:
            raise ApiError("channel_not_found") from None

    def _joined(self, params: Params) -> Channel:
        """A channel the bot is in. A bot token reads and writes only conversations its bot
        is a member of (conversations.history: "Only user tokens can access public channels
        they are not in"; the app has no chat:write.public to post elsewhere)."""
        channel = self._channel(params)
        if not channel.is_member:
            raise ApiError("not_in_channel")
        return channel

    def _writable(self, params: Params, *, archived: str = "is_archived") -> Channel:
        """A channel the bot may post, edit or delete in: an archived one stays readable
        and refuses every change (`archived` is the error the method names for it)."""
        channel = self._joined(params)
        if channel.is_archived:
            raise ApiError(archived)
        return channel

    def _content(
        self, params: Params, *, require: bool = True
    ) -> tuple[str | None, list[dict[str, Any]] | None]:
        text = params.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        blocks = _decode_json_arg(params, "blocks")
        if isinstance(blocks, _Invalid) or (blocks is not None and not isinstance(blocks, list)):
            raise ApiError("invalid_blocks_format")
        if require and not text and not blocks:
            raise ApiError("no_text")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise ApiError("msg_too_long")
        if blocks is not None:
            errors = blockkit.validate_blocks(blocks, surface="message")
            if errors:
                raise ApiError("invalid_blocks", messages=errors)
        return text, blocks

    def _metadata(self, params: Params) -> dict[str, Any] | None:
        metadata = _decode_json_arg(params, "metadata")
        if metadata is None:
            return None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            raise ApiError("invalid_metadata_format")
        return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}

    def _message(self, channel: Channel, ts: Any) -> dict[str, Any]:
        message = self.ws.find_message(channel.id, ts) if isinstance(ts, str) else None
        if message is None or message.get("ephemeral_to"):
            raise ApiError("message_not_found")
        return message

    def _thread_root(self, channel: Channel, thread_ts: Any) -> str | None:
        if thread_ts in (None, ""):
            return None
        parent = self.ws.find_message(channel.id, str(thread_ts))
        if parent is None or parent.get("ephemeral_to"):
            # Slack's behaviour here is loosely documented; refusing catches app bugs.
            raise ApiError("thread_not_found")
        # A reply's ts names its thread: the reply lands under the same parent.
        return str(parent.get("thread_ts") or parent["ts"])

    # -- auth / chat --------------------------------------------------------------
    async def auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Sandbox",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": API_APP_ID,
            "is_enterprise_install": False,
        }

    async def chat_post_message(self, params: Params) -> dict[str, Any]:
        channel = self._writable(params)
        if self.fake.rate_limit:
            retry_after = self.fake.rate_limiter.retry_after(channel.id)
            if retry_after:
                raise Handled(ratelimited(retry_after), "ratelimited")
        text, blocks = self._content(params)
        metadata = self._metadata(params)
        thread_ts = self._thread_root(channel, params.get("thread_ts"))
        message = self.ws.new_message(
            user=BOT_USER_ID,
            text=text or "",
            blocks=blocks,
            thread_ts=thread_ts,
            bot=True,
            metadata=metadata,
        )
        self.ws.store(channel.id, message)
        self.fake.announce_later(message, channel)
        return {"channel": channel.id, "ts": message["ts"], "message": api_view(message)}

    async def chat_update(self, params: Params) -> dict[str, Any]:
        # chat.update's own name for it: "is_inactive: The message cannot be edited within a
        # frozen, archived or deleted channel" (docs.slack.dev/reference/methods/chat.update).
        channel = self._writable(params, archived="is_inactive")
        message = self._message(channel, params.get("ts"))
        if message.get("bot_id") != BOT_ID:
            raise ApiError("cant_update_message")
        text, blocks = self._content(params)
        metadata = self._metadata(params)
        previous = api_view(message, include_metadata=False)
        if text is not None:
            message["text"] = text
        # Slack keeps the previous blocks when `blocks` is omitted; [] removes them.
        if blocks is not None:
            message["blocks"] = self.ws.fill_ids(blocks)
        if metadata is not None:
            message["metadata"] = metadata
        message["edited"] = {"user": BOT_USER_ID, "ts": self.ws.next_ts()}
        self.fake.announce_change_later(channel, message, previous)
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message["text"],
            "message": api_view(message),
        }

    async def chat_delete(self, params: Params) -> dict[str, Any]:
        # chat.delete's reference names no error for an archived channel; the fake answers
        # as chat.postMessage and chat.postEphemeral do.
        channel = self._writable(params)
        message = self._message(channel, params.get("ts"))
        if message.get("bot_id") != BOT_ID:
            raise ApiError("cant_delete_message")
        channel.messages.remove(message)
        self.fake.announce_delete_later(channel, message)
        return {"channel": channel.id, "ts": message["ts"]}

    async def chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        channel = self._writable(params)
        user = params.get("user")
        if not isinstance(user, str) or user not in self.ws.users:
            raise ApiError("user_not_found")
        text, blocks = self._content(params)
        thread_ts = self._thread_root(channel, params.get("thread_ts"))
        message = self.ws.new_message(
            user=BOT_USER_ID,
            text=text or "",
            blocks=blocks,
            thread_ts=thread_ts,
            bot=True,
            ephemeral_to=user,
        )
        self.ws.store(channel.id, message)
        return {"message_ts": message["ts"]}

    async def chat_get_permalink(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params)
        message = self._message(channel, params.get("message_ts"))
        permalink = (
            f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p"
            f"{message['ts'].replace('.', '')}"
        )
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            permalink += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": permalink}

    # -- conversations / users ------------------------------------------------------
    async def conversations_history(self, params: Params) -> dict[str, Any]:
        channel = self._joined(params)
        include_metadata = truthy(params.get("include_all_metadata"))
        top_level = [
            m
            for m in channel.messages
            if not m.get("ephemeral_to") and (not m.get("thread_ts") or m["thread_ts"] == m["ts"])
        ]
        inclusive = truthy(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        if oldest:
            top_level = [
                m
                for m in top_level
                if _cmp_ts(m["ts"], oldest) > 0 or (inclusive and m["ts"] == oldest)
            ]
        if latest:
            top_level = [
                m
                for m in top_level
                if _cmp_ts(m["ts"], latest) < 0 or (inclusive and m["ts"] == latest)
            ]
        newest_first = list(reversed(top_level))
        page, next_cursor = _page(newest_first, params, default_limit=100)
        return {
            "messages": [api_view(m, include_metadata=include_metadata) for m in page],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    async def conversations_replies(self, params: Params) -> dict[str, Any]:
        channel = self._joined(params)
        ts = params.get("ts")
        parent = self.ws.find_message(channel.id, ts) if isinstance(ts, str) else None
        if parent is None or parent.get("ephemeral_to"):
            raise ApiError("thread_not_found")
        root = parent.get("thread_ts") or parent["ts"]
        include_metadata = truthy(params.get("include_all_metadata"))
        replies = [
            m
            for m in channel.messages
            if not m.get("ephemeral_to") and m["ts"] != root and m.get("thread_ts") == root
        ]
        # oldest / latest bound the replies (exclusive unless `inclusive`), oldest first;
        # Slack still lists the parent first on the first page, whatever the bounds.
        inclusive = truthy(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        for name, bound in (("oldest", oldest), ("latest", latest)):
            if bound and not TS_ARG.fullmatch(str(bound)):
                raise ApiError(f"invalid_ts_{name}")
        if oldest:
            replies = [
                m
                for m in replies
                if _cmp_ts(m["ts"], oldest) > 0 or (inclusive and _cmp_ts(m["ts"], oldest) == 0)
            ]
        if latest:
            replies = [
                m
                for m in replies
                if _cmp_ts(m["ts"], latest) < 0 or (inclusive and _cmp_ts(m["ts"], latest) == 0)
            ]
        root_message = self.ws.find_message(channel.id, str(root)) or parent
        thread = [root_message, *replies]
        page, next_cursor = _page(thread, params, default_limit=1000)
        return {
            "messages": [api_view(m, include_metadata=include_metadata) for m in page],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    async def conversations_archive(self, params: Params) -> dict[str, Any]:
        # Slack asks a bot token for channels:manage here, which the app's manifest does
        # not request; the fake grants every method to its one token.
        channel = self._joined(params)
        if channel.is_im:
            raise ApiError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise ApiError("already_archived")
        channel.is_archived = True
        return {}

    async def conversations_info(self, params: Params) -> dict[str, Any]:
        return {"channel": self._channel(params).as_api()}

    async def conversations_list(self, params: Params) -> dict[str, Any]:
        types = str(params.get("types") or "public_channel").split(",")
        channels = [
            c
            for c in self.ws.channels.values()
            if (c.is_im and "im" in types) or (not c.is_im and "public_channel" in types)
        ]
        page, next_cursor = _page(channels, params, default_limit=100)
        return {
            "channels": [c.as_api() for c in page],
            "response_metadata": {"next_cursor": next_cursor},
        }

    async def users_info(self, params: Params) -> dict[str, Any]:
        user = self.ws.users.get(str(params.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user.as_api()}

    # -- views --------------------------------------------------------------------
    def _view_arg(self, params: Params) -> dict[str, Any]:
        view = _decode_json_arg(params, "view")
        if isinstance(view, _Invalid) or not isinstance(view, dict):
            raise ApiError(
                "invalid_arguments",
                messages=["[ERROR] must provide an object [json-pointer:/view]"],
            )
        errors = blockkit.validate_view(view)
        if errors:
            raise ApiError("invalid_arguments", messages=errors)
        return view

    def _trigger_user(self, params: Params) -> str:
        user = self.fake.redeem_trigger(params.get("trigger_id"))
        if user is None:
            raise ApiError("invalid_trigger_id")
        return user

    async def views_open(self, params: Params) -> dict[str, Any]:
        user = self._trigger_user(params)
        view = self._view_arg(params)
        if view["type"] != "modal":
            raise ApiError(
                "invalid_arguments",
                messages=["[ERROR] must be a valid enum value [json-pointer:/view/type]"],
            )
        stored = self.fake.open_modal(user, view, stack=None)
        return {"view": stored}

    async def views_push(self, params: Params) -> dict[str, Any]:
        user = self._trigger_user(params)
        view = self._view_arg(params)
        stack = self.fake.modal_stack(user)
        if len(stack) >= MAX_VIEW_STACK:
            raise ApiError("push_limit_reached")
        stored = self.fake.open_modal(user, view, stack=stack)
        return {"view": stored}

    async def views_update(self, params: Params) -> dict[str, Any]:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        current = self.fake.find_view(view_id=view_id, external_id=external_id)
        if current is None:
            raise ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = self._view_arg(params)
        return {"view": self.fake.replace_view(current, view)}

    async def views_publish(self, params: Params) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not isinstance(user_id, str) or user_id not in self.ws.users:
            raise ApiError("user_not_found")
        view = self._view_arg(params)
        if view["type"] != "home":
            raise ApiError(
                "invalid_arguments",
                messages=["[ERROR] must be a valid enum value [json-pointer:/view/type]"],
            )
        current = self.fake.views.get(user_id)
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        return {"view": self.fake.publish_home(user_id, view)}


def ratelimited(retry_after: int) -> web.Response:
    response = web.json_response({"ok": False, "error": "ratelimited"}, status=429)
    response.headers["Retry-After"] = str(int(retry_after))
    return response


def _cmp_ts(a: str, b: Any) -> int:
    fa, fb = float(a), float(str(b))
    return (fa > fb) - (fa < fb)


def _page(items: list[Any], params: Params, *, default_limit: int) -> tuple[list[Any], str]:
    """One page and the next cursor ("" at the end); cursors are opaque, like Slack's."""
    try:
        limit = max(1, int(params.get("limit") or default_limit))
    except ValueError:
        raise ApiError("invalid_limit") from None
    cursor = params.get("cursor") or ""
    start = 0
    if cursor:
        try:
            kind, _, offset = base64.b64decode(str(cursor), validate=True).decode().partition(":")
            start = int(offset)
        except ValueError:
            raise ApiError("invalid_cursor") from None
        if kind != "offset" or start < 0:
            raise ApiError("invalid_cursor")
    page = items[start : start + limit]
    if start + limit >= len(items):
        return page, ""
    return page, base64.b64encode(f"offset:{start + limit}".encode()).decode()
