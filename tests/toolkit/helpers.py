"""Shared steps for the toolkit tests: a person handed off, a card found, a modal submitted."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from bot import keys
from bot.identity import user_hash
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from tests.support import Person, blocks_text, card_for
from tests.toolkit.conftest import IDENTITY_SECRET


async def handed_off(
    client: TestClient,
    slack: SlackFake,
    *,
    user_id: str | None = None,
    issue: str = "I was charged twice for my session.",
    channel: str = "support-billing",
) -> tuple[Person, str, dict[str, Any]]:
    """A person asks for a human; returns them, their case ref and the card in `channel`."""
    person = Person(client)
    who = (
        {"user_id": user_id, "user_hash": user_hash(user_id, secret=IDENTITY_SECRET)}
        if user_id
        else {}
    )
    started = await person.start(locale="en-US", **who)
    await person.say(issue)
    asked = await person.say("I want to talk to a real person please")
    assert asked["state"] == "queued", asked
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(channel), ref) is not None)
    card = card_for(slack.messages(channel), ref)
    assert card is not None
    # The outbox records the card's ts right after posting it; let that commit first.
    for _ in range(250):
        async with client.app[keys.DB].transaction() as session:
            case = await case_store.get_case_by_ref(session, ref=ref)
        if case is not None and case.slack_ts == card["ts"]:
            break
        await asyncio.sleep(0.02)
    return person, ref, card


def card_text_in(slack: SlackFake, channel: str, ref: str) -> str:
    return blocks_text(card_for(slack.messages(channel), ref) or {})


async def claimed(
    slack: SlackFake, *, user: str, channel: str, ref: str, card: dict[str, Any]
) -> None:
    await slack.click(user=user, channel=channel, ts=card["ts"], action_id="claim")
    await slack.wait_for(lambda: f"Claimed by <@{user}>" in card_text_in(slack, channel, ref))


async def held_by(
    client: TestClient, slack: SlackFake, agent: str
) -> tuple[Person, str, dict[str, Any]]:
    """A person handed off to billing and claimed there by `agent`: (the person, the case
    ref, the card)."""
    person, ref, card = await handed_off(client, slack)
    await claimed(slack, user=agent, channel="support-billing", ref=ref, card=card)
    return person, ref, card


def only_modal(slack: SlackFake, user: str) -> dict[str, Any]:
    [modal] = slack.modals_of(user)
    return modal


def select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


async def system_lines(person: Person) -> list[str]:
    inbox = await person.inbox()
    return [m["text"] for m in inbox["messages"] if m["sender"] == "system"]
