"""The person's contact route is taken only as the answer to an agent's pending offer, once."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from bot import keys
from bot.clock import FakeClock
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from tests.support import Person
from tests.toolkit.helpers import card_text_in, claimed, held_by, system_lines

ALEX = "U0AGENT1"
CHANNEL = "support-billing"


async def choose(client: TestClient, person: Person, route: str) -> tuple[int, dict[str, object]]:
    answer = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/contact",
        json={"route": route},
        headers=person.auth,
    )
    return answer.status, await answer.json()


async def test_a_route_nobody_offered_is_refused_and_nobody_promises_a_call(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    talking_to_the_bot = Person(tk)
    await talking_to_the_bot.start(locale="en-US")
    await talking_to_the_bot.say("How do I change my password?")
    status, body = await choose(tk, talking_to_the_bot, "phone")
    assert (status, body["error"]["code"]) == (409, "no_callback_offered")  # type: ignore[index]

    # Claimed, but the agent has not offered a call or a text.
    person, ref, card = await held_by(tk, tk_slack, ALEX)
    status, body = await choose(tk, person, "phone")
    assert (status, body["error"]["code"]) == (409, "no_callback_offered")  # type: ignore[index]

    for someone in (talking_to_the_bot, person):
        assert not [line for line in await system_lines(someone) if "call you" in line]
        async with tk.app[keys.DB].read() as session:
            case = await case_store.get_case(session, case_id=someone.conversation_id)
        assert case is not None and case.preferred_contact is None
    assert "*Contact*\nchat" in card_text_in(tk_slack, CHANNEL, ref)


async def test_a_retried_answer_is_taken_once_and_another_route_is_refused(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    slack = tk_slack
    person, ref, card = await held_by(tk, slack, ALEX)
    await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="offer_callback")

    assert await choose(tk, person, "phone") == (
        200,
        {"preferred_contact": "phone", "state": "agent"},
    )
    # The client's retry of the same answer reads the same and adds nothing.
    assert await choose(tk, person, "phone") == (
        200,
        {"preferred_contact": "phone", "state": "agent"},
    )
    status, body = await choose(tk, person, "text")
    assert (status, body["error"]["code"]) == (409, "contact_chosen_already")  # type: ignore[index]

    await slack.wait_for(
        lambda: any(
            "prefers a *phone call*" in m["text"] for m in slack.thread(CHANNEL, card["ts"])
        )
    )
    assert len([line for line in await system_lines(person) if "call you" in line]) == 1
    async with tk.app[keys.DB].read() as session:
        case = await case_store.get_case(session, case_id=person.conversation_id)
        events = await case_store.events_for_case(session, case_id=person.conversation_id)
    assert case is not None and case.preferred_contact == "phone"
    assert [e.data["route"] for e in events if e.kind == "contact_chosen"] == ["phone"]

    # A new claim and a new offer take a new answer.
    await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="release")
    await slack.wait_for(lambda: "Unclaimed" in card_text_in(slack, CHANNEL, ref))
    await claimed(slack, user=ALEX, channel=CHANNEL, ref=ref, card=card)
    await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="offer_callback")
    assert await choose(tk, person, "text") == (
        200,
        {"preferred_contact": "text", "state": "agent"},
    )
    await slack.wait_for(lambda: "*Contact*\ntext" in card_text_in(slack, CHANNEL, ref))
    # The thread's posts are paced per channel on the app's clock; one case's go in order,
    # so a second notice of the retry would come before this one.
    for _ in range(100):
        notices = [m["text"] for m in slack.thread(CHANNEL, card["ts"]) if "prefers" in m["text"]]
        if any("secure text" in notice for notice in notices):
            break
        clock.advance(2)
        tk.app[keys.OUTBOX].nudge()
        await asyncio.sleep(0.05)
    assert notices == [
        ":telephone_receiver: The person prefers a *phone call*.",
        ":telephone_receiver: The person prefers a *secure text callback*.",
    ]
