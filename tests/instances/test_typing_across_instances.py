"""Typing crosses instances: the Reply box opens on the instance Slack talks to, and the
person's socket on the other instance shows it, then hides it when the box is closed."""

from __future__ import annotations

from typing import Any

from handlers.chat_ws import SAFETY_POLL_S
from tests.instances.conftest import Instances
from tests.instances.test_two_instances import (
    CHANNEL,
    needs_postgres,
    next_message,
)
from tests.support import blocks_text, card_for, handed_off, open_socket

ALEX = "U0AGENT1"


async def next_typing(ws: Any, timeout: float) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=timeout)
        if frame["type"] == "typing":
            return frame


async def test_typing_reaches_the_socket_on_the_other_instance(instances: Instances) -> None:
    needs_postgres(instances.a)
    slack = instances.slack
    person, card, ref = await handed_off(instances.a, slack)
    ws = await open_socket(instances.a, person)
    try:
        await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="claim")
        await next_message(ws, lambda m: m["sender"] == "system" and "Alex" in m["text"])
        await slack.wait_for(
            lambda: "Claimed by" in blocks_text(card_for(slack.messages(CHANNEL), ref) or {})
        )
        # Nothing is stored for typing, so the safety poll could never find it: it comes
        # by the bus or not at all.
        await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="reply")
        shown = await next_typing(ws, timeout=SAFETY_POLL_S / 2)
        assert shown == {"type": "typing", "author": "Alex", "ttl_s": 30}
        [modal] = slack.modals_of(ALEX)
        await slack.close_view(user=ALEX, view_id=modal["id"])
        hidden = await next_typing(ws, timeout=SAFETY_POLL_S / 2)
        assert hidden == {"type": "typing", "author": None, "ttl_s": 0}
    finally:
        await ws.close()
