"""The fake workspace's state: users, channels, messages, and Slack-shaped ids and ts."""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "sandbox"
API_APP_ID = "A0SANDBOX"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
BOT_NAME = "supportbot"

# The human agents a newcomer can act as in the sandbox (and tests can rely on).
DEFAULT_PEOPLE = (
    ("U0AGENT1", "alex", "Alex Rivera"),
    ("U0AGENT2", "sam", "Sam Chen"),
    ("U0LEAD01", "lee", "Lee Park"),
)

# Keys every stored message has, as `SlackFake.messages()` promises them.
MESSAGE_KEYS = ("ts", "thread_ts", "user", "bot_id", "text", "blocks", "metadata")


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": "UTC",
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "team": TEAM_ID,
            },
        }


@dataclass
class Channel:
    id: str
    name: str
    created: int
    is_im: bool = False
    im_user: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Slack's `is_member` is the caller's membership, and the fake serves the bot's token
    # only: False once a person has removed the bot from the channel.
    is_member: bool = True
    is_archived: bool = False

    def as_api(self) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_channel": False,
                "user": self.im_user,
                "is_org_shared": False,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "created": self.created,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_private": False,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_member": self.is_member,
            "is_shared": False,
            "is_org_shared": False,
            "context_team_id": TEAM_ID,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


def _stable_id(prefix: str, key: str) -> str:
    # Ids derived from the name stay the same across runs and creation orders.
    return prefix + hashlib.sha1(key.encode()).hexdigest()[:9].upper()


class Workspace:
    def __init__(self, clock: Callable[[], float], rng: random.Random) -> None:
        self._clock = clock
        self._rng = rng
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self._ids_by_name: dict[str, str] = {}
        self._last_ts_micros = 0

    # ids and timestamps ------------------------------------------------------------
    def next_ts(self) -> str:
        """A message ts: "seconds.micros" as a string, strictly increasing workspace-wide."""
        micros = max(int(self._clock() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def random_id(self, prefix: str, length: int = 10) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(length))

    # users and channels ------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str, real_name: str, is_bot: bool = False) -> None:
        self.users[user_id] = User(user_id, name, real_name, is_bot)

    def add_channel(self, name: str) -> str:
        name = name.lstrip("#")
        existing = self._ids_by_name.get(name)
        if existing is not None:
            return existing
        channel = Channel(_stable_id("C", name), name, int(self._clock()))
        self.channels[channel.id] = channel
        self._ids_by_name[name] = channel.id
        return channel.id

    def dm_channel(self, user_id: str) -> Channel:
        channel_id = _stable_id("D", user_id)
        channel = self.channels.get(channel_id)
        if channel is None:
            channel = Channel(channel_id, user_id, int(self._clock()), True, user_id)
            self.channels[channel_id] = channel
        return channel

    def channel_id(self, name_or_id: str) -> str:
        """The id of a channel given its id, its name or "#name"; KeyError when unknown."""
        if name_or_id in self.channels:
            return name_or_id
        found = self._ids_by_name.get(name_or_id.lstrip("#"))
        if found is None:
            raise KeyError(name_or_id)
        return found

    def resolve_target(self, name_or_id: str) -> Channel:
        """Where chat.postMessage's `channel` lands: a channel, or a user's DM with the bot."""
        if name_or_id in self.users:
            return self.dm_channel(name_or_id)
        return self.channels[self.channel_id(name_or_id)]

    def public_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.is_im]

    # messages ----------------------------------------------------------------------
    def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        for message in channel.messages:
            if message["ts"] == ts:
                return message
        return None

    def store(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels[channel_id]
        channel.messages.append(message)
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"] and not message.get("ephemeral_to"):
            parent = self.find_message(channel_id, thread_ts)
            if parent is not None:
                message["parent_user_id"] = parent["user"]
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if message["user"] not in users:
                    users.append(message["user"])
                parent["latest_reply"] = message["ts"]
        return message

    def new_message(
        self,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        bot: bool = False,
        metadata: dict[str, Any] | None = None,
        ephemeral_to: str | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "ts": self.next_ts(),
            "thread_ts": thread_ts,
            "user": user,
            "bot_id": BOT_ID if bot else None,
            "app_id": API_APP_ID if bot else None,
            "text": text,
            "blocks": self.fill_ids(copy.deepcopy(blocks)) if blocks else [],
            "metadata": metadata,
            "team": TEAM_ID,
        }
        if ephemeral_to is not None:
            message["ephemeral_to"] = ephemeral_to
        return message

    def fill_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Give blocks and interactive elements the ids Slack generates when none is set."""
        for block in blocks:
            block.setdefault("block_id", self.random_id("", 5))
            elements: list[Any] = []
            if block.get("type") == "actions":
                elements = block.get("elements") or []
            elif "accessory" in block:
                elements = [block["accessory"]]
            for el in elements:
                if isinstance(el, dict) and el.get("type") in ("button", "static_select"):
                    el.setdefault("action_id", self.random_id("", 5))
        return blocks


def public_view(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as `SlackFake.messages()` hands it out (a copy, stable keys)."""
    out = {key: copy.deepcopy(message.get(key)) for key in MESSAGE_KEYS}
    for extra in ("ephemeral_to", "reply_count", "edited"):
        if extra in message:
            out[extra] = copy.deepcopy(message[extra])
    return out


def api_view(message: dict[str, Any], *, include_metadata: bool = True) -> dict[str, Any]:
    """A stored message as Slack's Web API returns it (no null fields, no private keys)."""
    out: dict[str, Any] = {"type": "message"}
    for key in ("user", "bot_id", "app_id", "text", "ts", "thread_ts", "team"):
        if message.get(key) is not None:
            out[key] = message[key]
    if message.get("blocks"):
        out["blocks"] = copy.deepcopy(message["blocks"])
    for key in ("reply_count", "reply_users", "latest_reply", "edited"):
        if key in message:
            out[key] = copy.deepcopy(message[key])
    if message.get("reply_count"):
        out["reply_users_count"] = len(message.get("reply_users", []))
    if message.get("parent_user_id"):
        out["parent_user_id"] = message["parent_user_id"]
    if include_metadata and message.get("metadata"):
        out["metadata"] = copy.deepcopy(message["metadata"])
    if message.get("bot_id"):
        out["bot_profile"] = {
            "id": message["bot_id"],
            "app_id": message.get("app_id"),
            "name": BOT_NAME,
            "team_id": TEAM_ID,
            "deleted": False,
        }
    return out
