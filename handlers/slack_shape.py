"""The shape a signed Slack request must have before any listener reads it.

Listeners read `body["user"]["id"]`, `body["channel"]["id"]`, an action's `value` and the
like as Slack sends them. A signed body without them (only a holder of the signing secret
can send one: a broken integration, a hand-made test) is answered 400 here, instead of
failing a listener halfway with a 500 that Slack would retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Shape:
    """What the body says: a problem no listener could cope with, or None; and the event
    of an Events API delivery (None for interactions, commands and anything else)."""

    problem: str | None = None
    event: dict[str, Any] | None = None


def read_shape(body: bytes) -> Shape:
    """The request's shape, its body parsed once.

    Args:
        body: the request's raw body, its signature already checked.
    """
    if body.startswith(b"{") or body.startswith(b"["):
        try:
            payload: Any = json.loads(body)
        except ValueError:
            return Shape("the body is not valid JSON")
        if not isinstance(payload, dict):
            return Shape("the body is not a JSON object")
        problem = _event_problem(payload)
        event = payload.get("event") if payload.get("type") == "event_callback" else None
        return Shape(problem, event if problem is None else None)
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return Shape("the body is not UTF-8")
    if "payload" in form:
        try:
            interaction: Any = json.loads(form["payload"][0])
        except ValueError:
            return Shape("`payload` is not valid JSON")
        if not isinstance(interaction, dict):
            return Shape("`payload` is not a JSON object")
        return Shape(_interaction_problem(interaction))
    if "command" in form:
        for key in ("command", "user_id", "channel_id"):
            if not form.get(key, [""])[0]:
                return Shape(f"a slash command without `{key}`")
    return Shape()


def _event_problem(payload: dict[str, Any]) -> str | None:
    if payload.get("type") != "event_callback":
        return None
    event = payload.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "an event_callback without an event object"
    if event["type"] == "message" and "thread_ts" in event and not _text(event, "channel"):
        return "a thread reply without `channel`"
    if event["type"] == "app_home_opened" and not _text(event, "user"):
        return "app_home_opened without `user`"
    return None


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    user = payload.get("user")
    if not isinstance(user, dict) or not _text(user, "id"):
        return "an interaction without `user.id`"
    if payload.get("type") == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without `actions`"
        for action in actions:
            if not isinstance(action, dict) or not _text(action, "action_id"):
                return "an action without `action_id`"
            if "value" in action and not isinstance(action["value"], str):
                return "an action whose `value` is not a string"
        if not _text(payload, "trigger_id"):
            return "block_actions without `trigger_id`"
        container = payload.get("container")
        from_message = isinstance(container, dict) and container.get("type") == "message"
        channel = payload.get("channel")
        if from_message and (not isinstance(channel, dict) or not _text(channel, "id")):
            return "a message's action without `channel.id`"
    if payload.get("type") == "view_submission":
        view = payload.get("view")
        if not isinstance(view, dict) or not _text(view, "id"):
            return "view_submission without `view.id`"
    return None


def _text(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return isinstance(value, str) and value != ""
