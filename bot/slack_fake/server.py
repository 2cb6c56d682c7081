"""`SlackFake`: one faithful local Slack for tests and the sandbox.

It serves the slice of the Web API the app calls (see `webapi.py`), and acts as people
in Slack: their posts, clicks, slash commands and modal submissions reach the app's
`events_url` signed and shaped exactly as Slack sends them (see `payloads.py`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Literal

from aiohttp import web

from bot.slack_fake import blockkit, payloads
from bot.slack_fake.blockkit import action_ids
from bot.slack_fake.delivery import Answer, Delivery
from bot.slack_fake.ratelimit import ChannelRateLimiter, MethodRateLimiter
from bot.slack_fake.webapi import WebApi, truthy
from bot.slack_fake.wire_text import as_sent_by_slack
from bot.slack_fake.workspace import (
    API_APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    DEFAULT_PEOPLE,
    TEAM_ID,
    Channel,
    User,
    Workspace,
    api_view,
    public_view,
)

# "trigger_id ... expires in 3 seconds" (docs.slack.dev/interactivity/handling-user-interaction).
TRIGGER_TTL_S = 3.0
# response_url: usable "up to 5 times within 30 minutes"
# (docs.slack.dev/interactivity/handling-user-interaction).
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_S = 30 * 60
# How long a "timeout" fault hangs before the connection drops. Short so suites stay
# fast; set it above the client's timeout (slack-sdk: 30 s) to get a client-side timeout.
DEFAULT_FAULT_TIMEOUT_S = 0.5


class SlackFake:
    """A local Slack workspace with one app installed.

    Args:
        signing_secret: the app's signing secret; every request to `events_url` is signed.
        bot_token: the only token the Web API accepts.
        events_url: where events, interactions and commands are delivered (settable).
        channels: channel names to create.
        clock: wall clock for message ts, signatures, rate limits and trigger expiry.
        rate_limit: enforce chat.postMessage's per-channel limit and the other methods' tiers.
        echo_bot_messages: deliver message events for the bot's own posts, as Slack does.
        seed: seeds generated ids and random faults.
    """

    bot_user_id = BOT_USER_ID
    bot_id = BOT_ID
    team_id = TEAM_ID
    api_app_id = API_APP_ID

    def __init__(
        self,
        *,
        signing_secret: str,
        bot_token: str,
        events_url: str | None = None,
        channels: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        rate_limit: bool = True,
        echo_bot_messages: bool = True,
        seed: int = 0,
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.events_url = events_url
        self.clock = clock
        self.rate_limit = rate_limit
        self.echo_bot_messages = echo_bot_messages
        self.seed = seed
        self.fail_rate = 0.0
        self.fault_timeout_s = DEFAULT_FAULT_TIMEOUT_S
        self.calls: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.workspace = Workspace(clock, random.Random(seed))
        self._uuid_rng = random.Random(seed + 1)
        self.rate_limiter = ChannelRateLimiter(clock)
        self.method_limiter = MethodRateLimiter(clock)
        self.delivery = Delivery(signing_secret=signing_secret, clock=clock)
        self.web_api = WebApi(self)
        self.base_url: str | None = None
        self._root_url = "http://127.0.0.1:0"
        self._runner: web.AppRunner | None = None
        self._triggers: dict[str, tuple[str, float]] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._modal_owner: dict[str, str] = {}
        # Field errors the app answered a submission with (response_action "errors").
        self.view_errors: dict[str, dict[str, str]] = {}
        self._event_seq = 0
        self.workspace.add_user(BOT_USER_ID, name=BOT_NAME, real_name="Support Bot", is_bot=True)
        for user_id, name, real_name in DEFAULT_PEOPLE:
            self.workspace.add_user(user_id, name=name, real_name=real_name)
        for name in channels:
            self.workspace.add_channel(name)

    # -- serving ------------------------------------------------------------------
    def web_app(self) -> web.Application:
        """The Web API (`/api/{method}`) and the response_urls handed out in payloads."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.web_api.handle)
        app.router.add_post("/response/{token}", self._handle_response_url)
        return app

    def sandbox_app(self) -> web.Application:
        """The sandbox page and its control API, for add_subapp("/sandbox", ...).

        `bot.slack_fake.sandbox.mount_sandbox(app, fake)` also makes "/sandbox" itself
        redirect to "/sandbox/" (a sub-app only answers below its prefix).
        """
        # Imported here: the sandbox module imports this one for its types.
        from bot.slack_fake.sandbox import build_sandbox_app

        return build_sandbox_app(self)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the Web API; returns the base_url for AsyncWebClient (ends with "/api/")."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1] if self._runner.addresses else port
        self.set_root_url(f"http://{host}:{bound_port}")
        assert self.base_url is not None
        return self.base_url

    def set_root_url(self, root: str) -> None:
        """Where the fake is reachable (when its web_app is served by someone else)."""
        self._root_url = root.rstrip("/")
        self.base_url = f"{self._root_url}/api/"

    async def stop(self) -> None:
        await self.delivery.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the workspace --------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str, real_name: str, is_bot: bool = False) -> None:
        self.workspace.add_user(user_id, name=name, real_name=real_name, is_bot=is_bot)

    def add_channel(self, name: str) -> str:
        return self.workspace.add_channel(name)

    def channel_id(self, name_or_id: str) -> str:
        return self.workspace.channel_id(name_or_id)

    def archive_channel(self, channel: str) -> None:
        """A person archives a channel: its history can still be read, and the bot's posts,
        edits and deletions there are refused (conversations.archive does the same)."""
        target = self._channel(channel)
        if target.is_im:
            raise ValueError(f"{channel} is a direct message: it cannot be archived")
        target.is_archived = True

    def remove_bot(self, channel: str) -> None:
        """A person removes the bot from a channel: from then on its calls there, reads
        included, answer not_in_channel, and the app hears nothing posted there."""
        target = self._channel(channel)
        if target.is_im or target.is_archived:
            raise ValueError(f"the bot cannot be removed from {channel}")
        target.is_member = False

    def users(self) -> list[User]:
        return list(self.workspace.users.values())

    def messages(self, channel: str, *, include_ephemeral: bool = True) -> list[dict[str, Any]]:
        """Everything stored in a channel (threads included), oldest first."""
        stored = self._channel(channel).messages
        return [public_view(m) for m in stored if include_ephemeral or not m.get("ephemeral_to")]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in a thread, oldest first (not the parent)."""
        return [
            public_view(m)
            for m in self._channel(channel).messages
            if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
        ]

    def _channel(self, name_or_id: str) -> Channel:
        if name_or_id in self.workspace.users:
            return self.workspace.dm_channel(name_or_id)
        return self.workspace.channels[self.workspace.channel_id(name_or_id)]

    def _user(self, user_id: str) -> User:
        user = self.workspace.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return user

    # -- faults and configuration --------------------------------------------------
    def inject_fault(
        self, method: str, kind: Literal["429", "500", "timeout"], times: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail with HTTP 429, 500, or hang."""
        self.web_api.inject_fault(method, kind, times)

    def configure_retries(
        self, max_retries: int = 3, delays_s: tuple[float, ...] | None = None
    ) -> None:
        """Turn Slack's event retries on (off by default) and optionally shorten them."""
        self.delivery.max_retries = max_retries
        if delays_s is not None:
            self.delivery.retry_delays_s = delays_s

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every request sent to the app: {"kind", "headers", "body", "status"}."""
        return self.delivery.log

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Poll `predicate` until true; raises TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout:.1f}s")
            await asyncio.sleep(0.01)

    async def idle(self) -> None:
        """Wait until every delivery started so far (echoes, retries) has finished."""
        await self.delivery.drain()

    # -- ids the app must bring back ------------------------------------------------
    def _issue_trigger(self, user_id: str) -> str:
        now = self.clock()
        trigger_id = f"{int(now)}.{self.workspace.random_id('', 9)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = (user_id, now)
        return trigger_id

    def redeem_trigger(self, trigger_id: Any) -> str | None:
        """The user a trigger_id was issued to, or None when unknown or expired."""
        found = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if found is None:
            return None
        user_id, issued = found
        if self.clock() - issued > TRIGGER_TTL_S:
            return None
        return user_id

    def _issue_response_url(self, *, channel: Channel, user: str, message_ts: str | None) -> str:
        token = secrets.token_urlsafe(16)
        self._response_urls[token] = {
            "channel": channel.id,
            "user": user,
            "message_ts": message_ts,
            "issued": self.clock(),
            "uses": 0,
        }
        return f"{self._root_url}/response/{token}"

    # -- acting as people ------------------------------------------------------------
    def _require_events_url(self) -> str:
        if not self.events_url:
            raise RuntimeError("SlackFake.events_url is not set")
        return self.events_url

    def _next_event_id(self) -> str:
        self._event_seq += 1
        return f"Ev{self._event_seq:06d}{self.workspace.random_id('', 4)}"

    def _envelope(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return payloads.event_callback(
            event, event_id=event_id or self._next_event_id(), event_time=int(self.clock())
        )

    async def post(
        self, *, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> Answer:
        """A person posts in a channel (or a thread); the app gets the message event.

        `text` is what the person types: it is stored and delivered the way Slack sends
        it (& < > escaped, "@alex" / "@channel" as <@U…> / <!channel>).
        """
        url = self._require_events_url()
        person = self._user(user)
        target = self._channel(channel)
        if target.is_archived:
            raise ValueError(f"{channel} is archived: no one can post in it")
        if not target.is_member:
            raise ValueError(f"the bot is not in {channel}: Slack would not tell the app")
        root = None
        if thread_ts is not None:
            parent = self.workspace.find_message(target.id, thread_ts)
            if parent is None or parent.get("ephemeral_to"):
                raise ValueError(f"no message {thread_ts} in {channel}")
            root = parent.get("thread_ts") or parent["ts"]
        names = {u.name: u.id for u in self.workspace.users.values()}
        wire_text = as_sent_by_slack(text, names)
        message = self.workspace.new_message(user=person.id, text=wire_text, thread_ts=root)
        # Slack's clients tag each message they send; apps see it in the event.
        message["client_msg_id"] = str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4))
        self.workspace.store(target.id, message)
        envelope = self._envelope(payloads.message_event(message, target))
        return await self.delivery.event_with_retries(url, envelope)

    def announce_later(self, message: dict[str, Any], channel: Channel) -> None:
        """Slack tells the app about its own post too, shortly after the API call returns."""
        if not self.echo_bot_messages or not self.events_url:
            return
        envelope = self._envelope(payloads.message_event(message, channel))
        self.delivery.spawn(self._announce(self.events_url, envelope))

    def announce_change_later(
        self, channel: Channel, message: dict[str, Any], previous: dict[str, Any]
    ) -> None:
        """An edited message is announced as a message_changed event, as Slack does."""
        if not self.echo_bot_messages or not self.events_url:
            return
        event = payloads.message_changed_event(
            channel, api_view(message, include_metadata=False), previous, self.workspace.next_ts()
        )
        self.delivery.spawn(self._announce(self.events_url, self._envelope(event)))

    def announce_delete_later(self, channel: Channel, message: dict[str, Any]) -> None:
        """A deleted message is announced as a message_deleted event, as Slack does."""
        if not self.echo_bot_messages or not self.events_url:
            return
        previous = api_view(message, include_metadata=False)
        event = payloads.message_deleted_event(channel, previous, self.workspace.next_ts())
        self.delivery.spawn(self._announce(self.events_url, self._envelope(event)))

    async def _announce(self, url: str, envelope: dict[str, Any]) -> None:
        await asyncio.sleep(0.01)  # let the API answer reach the app first
        await self.delivery.event_with_retries(url, envelope)

    async def deliver_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Answer:
        """Deliver a raw event (or a whole event_callback envelope) once, as Slack would.

        Args:
            event: the inner event, or an envelope with "type": "event_callback".
            event_id: reuse an id to replay a delivery.
            retry_num: mark the delivery as Slack's retry N (sets X-Slack-Retry-Num).
            retry_reason: X-Slack-Retry-Reason, e.g. "http_timeout" or "http_error".
        """
        url = self._require_events_url()
        if event.get("type") == "event_callback":
            envelope = copy.deepcopy(event)
            if event_id is not None:
                envelope["event_id"] = event_id
        else:
            envelope = self._envelope(copy.deepcopy(event), event_id)
        if retry_num is not None:
            return await self.delivery.event(
                url, envelope, retry_num=retry_num, retry_reason=retry_reason
            )
        return await self.delivery.event_with_retries(url, envelope)

    async def verify_url(self) -> Answer:
        """Send Slack's url_verification handshake; the app must echo the challenge."""
        url = self._require_events_url()
        challenge = secrets.token_urlsafe(24)
        body = {
            "token": payloads.VERIFICATION_TOKEN,
            "challenge": challenge,
            "type": "url_verification",
        }
        answer = await self.delivery.post(
            url, json.dumps(body).encode(), "application/json", kind="url_verification"
        )
        answer["verified"] = _challenge_of(answer["body"]) == challenge
        return answer

    async def click(
        self,
        *,
        user: str,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
    ) -> Answer:
        """A person clicks a button in a message; ValueError if the message has no such button."""
        url = self._require_events_url()
        person = self._user(user)
        target = self._channel(channel)
        message = self.workspace.find_message(target.id, ts)
        if message is None:
            raise ValueError(f"no message {ts} in {channel}")
        if message.get("ephemeral_to") not in (None, person.id):
            raise ValueError(f"message {ts} is ephemeral to someone else")
        found = action_ids(message.get("blocks")).get(action_id)
        if found is None:
            raise ValueError(f"message {ts} has no element with action_id {action_id!r}")
        payload = payloads.block_actions(
            user=person,
            channel=target,
            message=message,
            api_message=api_view(message, include_metadata=False),
            action=payloads.button_action(
                found["element"], found["block_id"], self.workspace.next_ts(), value
            ),
            trigger_id=self._issue_trigger(person.id),
            response_url=self._issue_response_url(
                channel=target, user=person.id, message_ts=message["ts"]
            ),
        )
        answer = await self.delivery.interaction(url, payload)
        self._record_reply(answer, target, person.id, thread_ts=message.get("thread_ts"))
        return answer

    async def command(self, *, user: str, channel: str, command: str, text: str) -> Answer:
        """A person runs a slash command in a channel."""
        url = self._require_events_url()
        if not command.startswith("/"):
            raise ValueError("a slash command starts with '/'")
        person = self._user(user)
        target = self._channel(channel)
        form = payloads.slash_command(
            user=person,
            channel=target,
            command=command,
            text=text,
            trigger_id=self._issue_trigger(person.id),
            response_url=self._issue_response_url(channel=target, user=person.id, message_ts=None),
        )
        answer = await self.delivery.command(url, form)
        self._record_reply(answer, target, person.id, thread_ts=None)
        return answer

    async def open_home(self, *, user: str) -> Answer:
        """A person opens the app's Home tab (app_home_opened)."""
        url = self._require_events_url()
        person = self._user(user)
        dm = self.workspace.dm_channel(person.id)
        event = payloads.app_home_opened_event(
            person.id, dm, self.workspace.next_ts(), self.views.get(person.id)
        )
        return await self.delivery.event_with_retries(url, self._envelope(event))

    async def submit_view(self, *, user: str, view_id: str, values: dict[str, Any]) -> Answer:
        """A person submits an open modal; the app's response_action is applied."""
        url = self._require_events_url()
        person = self._user(user)
        view = self.views.get(view_id)
        if view is None or view.get("type") != "modal" or self._modal_owner.get(view_id) != user:
            raise ValueError(f"no modal {view_id!r} open for {user}")
        state = payloads.state_values(values)
        view["state"] = {"values": state}
        payload = payloads.view_submission(
            user=person, view=view, values=state, trigger_id=self._issue_trigger(person.id)
        )
        answer = await self.delivery.interaction(url, payload)
        if 200 <= answer["status"] < 300 and not answer.get("timed_out"):
            self._apply_response_action(person.id, view_id, answer["body"])
        return answer

    async def close_view(self, *, user: str, view_id: str) -> Answer | None:
        """A person cancels an open modal; the app hears view_closed if it asked to."""
        person = self._user(user)
        view = self.views.get(view_id)
        if view is None or self._modal_owner.get(view_id) != user:
            raise ValueError(f"no modal {view_id!r} open for {user}")
        self._close_modal(view_id)
        if not view.get("notify_on_close"):
            return None
        payload = payloads.view_closed(user=person, view=view)
        return await self.delivery.interaction(self._require_events_url(), payload)

    def modals_of(self, user: str) -> list[dict[str, Any]]:
        """The user's open modals, bottom of the stack first (copies)."""
        return [copy.deepcopy(v) for v in self.modal_stack(user)]

    def _apply_response_action(self, user: str, view_id: str, body: Any) -> None:
        action = body.get("response_action") if isinstance(body, dict) else None
        self.view_errors.pop(view_id, None)
        if action == "errors":
            errors = body.get("errors")
            if isinstance(errors, dict):
                self.view_errors[view_id] = {str(k): str(v) for k, v in errors.items()}
            return
        if action == "update" and isinstance(body.get("view"), dict):
            self.replace_view(self.views[view_id], body["view"])
            return
        if action == "push" and isinstance(body.get("view"), dict):
            self.open_modal(user, body["view"], stack=self.modal_stack(user))
            return
        if action == "clear":
            for stacked in self.modal_stack(user):
                self._close_modal(stacked["id"])
            return
        self._close_modal(view_id)

    def _record_reply(
        self, answer: Answer, channel: Channel, user: str, *, thread_ts: str | None
    ) -> None:
        """A command's or action's HTTP answer becomes an ephemeral (or in_channel) message."""
        if not 200 <= answer["status"] < 300 or answer.get("timed_out"):
            return
        body = answer["body"]
        if isinstance(body, str):
            body = {"text": body} if body.strip() else {}
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return
        in_channel = body.get("response_type") == "in_channel"
        message = self.workspace.new_message(
            user=BOT_USER_ID,
            text=str(body.get("text") or ""),
            blocks=body.get("blocks") if isinstance(body.get("blocks"), list) else None,
            thread_ts=thread_ts,
            bot=True,
            ephemeral_to=None if in_channel else user,
        )
        self.workspace.store(channel.id, message)

    # -- response_url -----------------------------------------------------------------
    async def _handle_response_url(self, request: web.Request) -> web.Response:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        record: dict[str, Any] = {
            "method": "response_url",
            "params": body if isinstance(body, dict) else {},
            "status": 200,
            "at": self.clock(),
        }
        self.calls.append(record)
        status, answer = self._respond_via_url(request.match_info["token"], body)
        record["status"] = status
        if not answer["ok"]:
            record["error"] = answer["error"]
        return web.json_response(answer, status=status)

    def _respond_via_url(self, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        entry = self._response_urls.get(token)
        if entry is None or self.clock() - entry["issued"] > RESPONSE_URL_TTL_S:
            return 404, {"ok": False, "error": "expired_url"}
        if entry["uses"] >= RESPONSE_URL_MAX_USES:
            return 404, {"ok": False, "error": "used_url"}
        if not isinstance(body, dict):
            return 400, {"ok": False, "error": "invalid_payload"}
        entry["uses"] += 1
        channel = self.workspace.channels[entry["channel"]]
        original = (
            self.workspace.find_message(channel.id, entry["message_ts"])
            if entry["message_ts"]
            else None
        )
        if truthy(body.get("delete_original")):
            if original is not None:
                channel.messages.remove(original)
                self.announce_delete_later(channel, original)
            return 200, {"ok": True}
        blocks = body.get("blocks")
        if blocks is not None:
            errors = blockkit.validate_blocks(blocks)
            if errors:
                return 400, {
                    "ok": False,
                    "error": "invalid_blocks",
                    "response_metadata": {"messages": errors},
                }
        text = body.get("text")
        if not text and not blocks:
            return 400, {"ok": False, "error": "no_text"}
        if truthy(body.get("replace_original")) and original is not None:
            previous = api_view(original, include_metadata=False)
            original["text"] = str(text or "")
            original["blocks"] = self.workspace.fill_ids(copy.deepcopy(blocks or []))
            self.announce_change_later(channel, original, previous)
            return 200, {"ok": True}
        self._record_reply(
            {"status": 200, "body": body},
            channel,
            entry["user"],
            thread_ts=original.get("thread_ts") if original else None,
        )
        return 200, {"ok": True}

    # -- views ------------------------------------------------------------------------
    def _stored_view(self, view: dict[str, Any], view_id: str, root_id: str) -> dict[str, Any]:
        stored = copy.deepcopy(view)
        stored["blocks"] = self.workspace.fill_ids(stored.get("blocks") or [])
        stored.update(
            {
                "id": view_id,
                "team_id": TEAM_ID,
                "app_id": API_APP_ID,
                "bot_id": BOT_ID,
                "app_installed_team_id": TEAM_ID,
                "root_view_id": root_id,
                "previous_view_id": None,
                "hash": f"{int(self.clock())}.{secrets.token_hex(4)}",
                "state": {"values": {}},
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", ""),
            }
        )
        return stored

    def modal_stack(self, user: str) -> list[dict[str, Any]]:
        return [self.views[v] for v, owner in self._modal_owner.items() if owner == user]

    def open_modal(
        self, user: str, view: dict[str, Any], *, stack: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        if stack is None:  # views.open replaces whatever modal the user had open
            for stacked in self.modal_stack(user):
                self._close_modal(stacked["id"])
            stack = []
        view_id = self.workspace.random_id("V", 10)
        root = stack[0]["id"] if stack else view_id
        stored = self._stored_view(view, view_id, root)
        if stack:
            stored["previous_view_id"] = stack[-1]["id"]
        self.views[view_id] = stored
        self._modal_owner[view_id] = user
        return copy.deepcopy(stored)

    def _close_modal(self, view_id: str) -> None:
        self.views.pop(view_id, None)
        self._modal_owner.pop(view_id, None)
        self.view_errors.pop(view_id, None)

    def find_view(self, *, view_id: Any, external_id: Any) -> dict[str, Any] | None:
        for view in self.views.values():
            if isinstance(view_id, str) and view.get("id") == view_id:
                return view
            if (
                isinstance(external_id, str)
                and external_id
                and view.get("external_id") == external_id
            ):
                return view
        return None

    def replace_view(self, current: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
        stored = self._stored_view(view, current["id"], current["root_view_id"])
        stored["previous_view_id"] = current.get("previous_view_id")
        key = next(k for k, v in self.views.items() if v is current)
        self.views[key] = stored
        return copy.deepcopy(stored)

    def publish_home(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        current = self.views.get(user)
        view_id = current["id"] if current else self.workspace.random_id("V", 10)
        stored = self._stored_view(view, view_id, view_id)
        self.views[user] = stored
        return copy.deepcopy(stored)


def _challenge_of(body: Any) -> str | None:
    # Slack accepts the challenge as plain text or as {"challenge": ...}.
    if isinstance(body, dict):
        value = body.get("challenge")
        return value if isinstance(value, str) else None
    return body.strip() if isinstance(body, str) else None
