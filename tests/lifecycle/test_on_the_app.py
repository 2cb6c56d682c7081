"""On the real app: a person's hand-off goes through Slack, then their erasure request
empties their thread and leaves another person's conversation alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.identity import user_hash
from bot.lifecycle import erase_person, person_refs_for, register_deliveries
from bot.settings import Settings
from bot.slack_fake import SlackFake
from tests.support import Person, blocks_text, card_for

SECRET = "app-identity-secret-0123456789"
CHANNEL = "support-billing"
AGENT = "U0AGENT1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"identity_secret": SECRET})


async def handed_off(client: TestClient, slack: SlackFake, user: str, text: str) -> str:
    """The person asks for a human about a double charge; an agent claims and replies."""
    person = Person(client)
    started = await person.start(
        locale="en", user_id=user, user_hash=user_hash(user, secret=SECRET)
    )
    ref = str(started["case_ref"])
    await person.say(f"I was charged twice for my session. {text}")
    await person.say("I want to talk to a real person please")
    await slack.wait_for(lambda: card_for(slack.messages(CHANNEL), ref) is not None)
    card = card_for(slack.messages(CHANNEL), ref)
    assert card is not None
    await slack.click(user=AGENT, channel=CHANNEL, ts=card["ts"], action_id="claim")
    await person.say(f"Still there? {text}")
    await slack.wait_for(lambda: any(text in m["text"] for m in slack.thread(CHANNEL, card["ts"])))
    await slack.post(user=AGENT, channel=CHANNEL, thread_ts=card["ts"], text="Refunded, sorry")
    return str(card["ts"])


async def test_erasure_empties_the_bots_side_of_the_thread(
    client: TestClient, slack: SlackFake
) -> None:
    app = client.app
    register_deliveries(app[keys.OUTBOX])  # what create_app will do (see the report)
    alice_ts = await handed_off(client, slack, "alice-1", "alice-secret")
    bob_ts = await handed_off(client, slack, "bob-2", "bob-secret")
    bob_thread = slack.thread(CHANNEL, bob_ts)

    async with app[keys.DB].transaction() as session:
        result = await erase_person(
            session,
            person_refs=person_refs_for("alice-1", identity_secret=SECRET),
            now=datetime.now(UTC),
        )
    assert len(result.cases) == 1 and result.slack_deletions_queued == 1
    app[keys.OUTBOX].nudge()

    def alice_card() -> dict[str, object]:
        return next(m for m in slack.messages(CHANNEL) if m["ts"] == alice_ts)

    await slack.wait_for(lambda: "transcript purged" in str(alice_card()["text"]))
    left = slack.thread(CHANNEL, alice_ts)
    # The agent's reply stays: a bot token cannot delete a human's message.
    assert [(m["user"], m["text"]) for m in left] == [(AGENT, "Refunded, sorry")]
    assert "alice-secret" not in blocks_text(alice_card())  # type: ignore[arg-type]
    assert all("alice-secret" not in m["text"] for m in slack.messages(CHANNEL))
    assert slack.thread(CHANNEL, bob_ts) == bob_thread  # Bob's conversation untouched
