"""The whole story on real parts: REST chat → hand-off card → claim race → thread relay →
note stays internal → resolve → `cases show` lists it all."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.slack_fake import SlackFake
from tests.support import Person, blocks_text, card_for

PERSONAL = "My email is jo.doe@example.com and my phone is +1 415 555 2671."


async def test_the_core_loop(client: TestClient, slack: SlackFake, settings: Settings) -> None:
    person = Person(client)
    started = await person.start(locale="en-US")
    assert started["messages"][0]["sender"] == "bot"
    ref = started["case_ref"]

    first = await person.say(f"I was charged twice for my session. {PERSONAL}")
    assert first["state"] == "bot" or first["state"] == "queued"
    asked = await person.say("I want to talk to a real person please")
    assert asked["state"] == "queued"
    assert asked["case_ref"] == ref
    reply = " ".join(m["text"] for m in asked["messages"])
    assert "minute" in reply.lower()  # the next step says when

    # The card reaches the queue's channel, with no personal data on it.
    channel = "support-billing"
    await slack.wait_for(lambda: card_for(slack.messages(channel), ref) is not None)
    card = card_for(slack.messages(channel), ref)
    assert card is not None
    shown = blocks_text(card)
    assert ref in shown
    # The phone number whole and in parts, but not "415" alone: the card's timestamp
    # (<!date^1795314152^…>) can hold those digits.
    for secret in ("jo.doe@example.com", "+1 415", "415 555", "555 2671"):
        assert secret not in shown
    assert "Unclaimed" in shown

    # Two agents click Claim at the same moment: exactly one wins.
    alex, sam = "U0AGENT1", "U0AGENT2"
    await asyncio.gather(
        slack.click(user=alex, channel=channel, ts=card["ts"], action_id="claim"),
        slack.click(user=sam, channel=channel, ts=card["ts"], action_id="claim"),
    )
    await slack.wait_for(
        lambda: "Claimed by" in blocks_text(card_for(slack.messages(channel), ref) or {})
    )
    card = card_for(slack.messages(channel), ref)
    assert card is not None
    claimed = blocks_text(card)
    winner = alex if f"<@{alex}>" in claimed else sam
    loser = sam if winner == alex else alex
    assert f"Claimed by <@{winner}>" in claimed
    ephemerals = [m for m in slack.messages(channel) if m.get("ephemeral_to") == loser]
    assert any(f"<@{winner}>" in m["text"] and "already claimed" in m["text"] for m in ephemerals)

    inbox = await person.inbox()
    assert inbox["state"] == "agent"
    assert any(m["sender"] == "system" and "joined" in m["text"] for m in inbox["messages"])

    # The person's next message appears in the thread, redacted.
    await person.say("Thanks, my name is Jo Doe. You can also reach me at jo.doe@example.com")
    await slack.wait_for(
        lambda: any("reach me" in m["text"] for m in slack.thread(channel, card["ts"]))
    )
    copied = next(m for m in slack.thread(channel, card["ts"]) if "reach me" in m["text"])
    assert "jo.doe@example.com" not in copied["text"] and "Jo Doe" not in copied["text"]
    assert "my name is [name]. You can also reach me at [email]" in copied["text"]

    # The agent's thread reply reaches the person; a note does not.
    seen = inbox["messages"][-1]["seq"]
    await slack.post(
        user=winner, channel=channel, thread_ts=card["ts"], text="note: refund looks right"
    )
    await slack.post(
        user=winner,
        channel=channel,
        thread_ts=card["ts"],
        text="I've refunded the second charge <3",
    )
    for _ in range(100):
        later = await person.inbox(after=seen)
        if any(m["sender"] == "agent" for m in later["messages"]):
            break
        await asyncio.sleep(0.05)
    agent_lines = [m for m in later["messages"] if m["sender"] == "agent"]
    assert [m["text"] for m in agent_lines] == ["I've refunded the second charge <3"]
    assert all("refund looks right" not in m["text"] for m in later["messages"])

    # Resolve: the person is told, the card says so, the case is closed.
    await slack.click(user=winner, channel=channel, ts=card["ts"], action_id="resolve")
    done = await person.inbox(after=seen)
    assert done["state"] == "resolved"
    assert done["messages"][-1]["sender"] == "system"
    await slack.wait_for(
        lambda: "Resolved" in blocks_text(card_for(slack.messages(channel), ref) or {})
    )

    # `cases show` lists the hand-off with its timestamps and the audit events.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "cases", "show", ref, "--json"],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    dossier = json.loads(result.stdout)
    [handoff] = dossier["handoffs"]
    assert handoff["queue"] == "billing" or handoff["queue"] == "general"
    assert handoff["claimed_by"] == winner
    for stamp in ("created_at", "posted_at", "claimed_at", "first_agent_reply_at", "resolved_at"):
        assert handoff[stamp], stamp
    kinds = [e["kind"] for e in dossier["events"]]
    for kind in (
        "handoff_created",
        "card_posted",
        "claimed",
        "agent_note",
        "agent_reply",
        "resolved",
    ):
        assert kind in kinds
    assert dossier["case"]["status"] == "resolved"


@pytest.mark.parametrize(
    ("text", "numbers", "not_these"),
    [
        ("jag orkar inte mer, jag vill ta livet av mig ikväll", ("90101", "112"), ("988", "911")),
        ("I can't go on, I want to kill myself tonight", ("988",), ("90101",)),
    ],
)
async def test_with_no_locale_the_crisis_numbers_follow_the_language_written(
    client: TestClient, text: str, numbers: tuple[str, ...], not_these: tuple[str, ...]
) -> None:
    """The chat page sends no locale unless told: Swedish gets Sweden's numbers, and the
    deployment's default region (US here) is for what the language does not settle."""
    person = Person(client)
    await person.start()
    reply = (await person.say(text))["messages"][0]["text"]
    assert all(n in reply for n in numbers), reply
    assert not any(n in reply for n in not_these), reply
