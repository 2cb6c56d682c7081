"""What Slack sends to an app, shaped exactly as Slack shapes it.

References: docs.slack.dev/apis/events-api (event_callback envelope),
docs.slack.dev/reference/interaction-payloads/block_actions-payload,
docs.slack.dev/reference/interaction-payloads/view-interactions-payload,
docs.slack.dev/interactivity/implementing-slash-commands (form fields).
"""

from __future__ import annotations

import copy
from typing import Any

from bot.slack_fake.workspace import (
    API_APP_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    Channel,
    User,
)

# The deprecated verification token still rides in every payload.
VERIFICATION_TOKEN = "sandbox-verification-token"


def event_callback(event: dict[str, Any], *, event_id: str, event_time: int) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-sandbox-{event_id}",
    }


def message_event(message: dict[str, Any], channel: Channel) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel.id,
        "channel_type": "im" if channel.is_im else "channel",
        "user": message["user"],
        "text": message["text"],
        "ts": message["ts"],
        "event_ts": message["ts"],
        "team": TEAM_ID,
    }
    if message.get("blocks"):
        event["blocks"] = copy.deepcopy(message["blocks"])
    if message.get("thread_ts"):
        event["thread_ts"] = message["thread_ts"]
    if message.get("parent_user_id"):
        event["parent_user_id"] = message["parent_user_id"]
    if message.get("bot_id"):
        event["bot_id"] = message["bot_id"]
        event["app_id"] = message.get("app_id")
    if message.get("client_msg_id"):
        event["client_msg_id"] = message["client_msg_id"]
    return event


def message_changed_event(
    channel: Channel, message: dict[str, Any], previous: dict[str, Any], event_ts: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel.id,
        "channel_type": "im" if channel.is_im else "channel",
        "message": message,
        "previous_message": previous,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def message_deleted_event(
    channel: Channel, previous: dict[str, Any], event_ts: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel.id,
        "channel_type": "im" if channel.is_im else "channel",
        "deleted_ts": previous["ts"],
        "previous_message": previous,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def app_home_opened_event(
    user: str, channel: Channel, event_ts: str, view: dict[str, Any] | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel.id,
        "tab": "home",
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    return event


def user_ref(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}


def block_actions(
    *,
    user: User,
    channel: Channel,
    message: dict[str, Any],
    api_message: dict[str, Any],
    action: dict[str, Any],
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    is_ephemeral = bool(message.get("ephemeral_to"))
    return {
        "type": "block_actions",
        "user": user_ref(user),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
            **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {}),
        },
        "trigger_id": trigger_id,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel.id, "name": channel.name},
        "message": api_message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def button_action(
    element: dict[str, Any], block_id: str, action_ts: str, value: str | None
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "text": copy.deepcopy(element.get("text")),
        "type": element.get("type", "button"),
        "action_ts": action_ts,
    }
    chosen = value if value is not None else element.get("value")
    if chosen is not None:
        action["value"] = chosen
    if "style" in element:
        action["style"] = element["style"]
    return action


def slash_command(
    *,
    user: User,
    channel: Channel,
    command: str,
    text: str,
    trigger_id: str,
    response_url: str,
) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def view_submission(
    *, user: User, view: dict[str, Any], values: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": user_ref(user),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def view_closed(*, user: User, view: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": user_ref(user),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": copy.deepcopy(view),
        "is_cleared": False,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def state_values(values: dict[str, Any]) -> dict[str, Any]:
    """Accept {block_id: {action_id: "text"}} as a shorthand for Slack's state values."""
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, dict):
                out[block_id][action_id] = copy.deepcopy(value)
            else:
                out[block_id][action_id] = {"type": "plain_text_input", "value": value}
    return out
