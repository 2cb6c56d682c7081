"""Offer callback → the person chooses a route over the API → the card shows it; CSAT once
per resolved case, with clear errors otherwise."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot import keys
from bot.clock import FakeClock
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from tests.toolkit.helpers import card_text_in, claimed, handed_off, system_lines

ALEX = "U0AGENT1"


async def test_offer_callback_and_the_person_picks_phone(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack, channel = tk_slack, "support-billing"
    person, ref, card = await handed_off(tk, slack)
    assert "*Contact*\nchat" in card_text_in(slack, channel, ref)
    # A route we do not offer is refused.
    with_no_claim = await tk.post(
        f"/api/v1/conversations/{person.conversation_id}/contact",
        json={"route": "carrier pigeon"},
        headers=person.auth,
    )
    assert with_no_claim.status == 400
    assert (await with_no_claim.json())["error"]["code"] == "route_invalid"

    await claimed(slack, user=ALEX, channel=channel, ref=ref, card=card)
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="offer_callback")
    assert any("phone, text or chat?" in line for line in await system_lines(person))
    # A second click before the person answers asks nothing twice; the agent is told.
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="offer_callback")
    assert any(
        m.get("ephemeral_to") == ALEX and "asked already" in m["text"]
        for m in slack.messages(channel)
    )
    asked = [line for line in await system_lines(person) if "phone, text or chat?" in line]
    assert len(asked) == 1
    # Released and claimed again, the case may be offered again: a new claim starts afresh.
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="release")
    await slack.wait_for(lambda: "Unclaimed" in card_text_in(slack, channel, ref))
    await claimed(slack, user=ALEX, channel=channel, ref=ref, card=card)
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="offer_callback")
    asked = [line for line in await system_lines(person) if "phone, text or chat?" in line]
    assert len(asked) == 2

    unauthorized = await tk.post(
        f"/api/v1/conversations/{person.conversation_id}/contact", json={"route": "phone"}
    )
    assert unauthorized.status == 401
    chosen = await tk.post(
        f"/api/v1/conversations/{person.conversation_id}/contact",
        json={"route": "phone"},
        headers=person.auth,
    )
    assert chosen.status == 200
    assert (await chosen.json())["preferred_contact"] == "phone"
    assert any("will call you" in line for line in await system_lines(person))
    await slack.wait_for(lambda: "*Contact*\nphone" in card_text_in(slack, channel, ref))
    await slack.wait_for(
        lambda: any(
            "prefers a *phone call*" in m["text"] for m in slack.thread(channel, card["ts"])
        )
    )
    async with tk.app[keys.DB].transaction() as session:
        case = await case_store.get_case_by_ref(session, ref=ref)
    assert case is not None and case.preferred_contact == "phone"


async def test_csat_once_per_resolved_case(tk: TestClient, tk_slack: SlackFake) -> None:
    slack, channel = tk_slack, "support-billing"
    person, ref, card = await handed_off(tk, slack)
    url = f"/api/v1/conversations/{person.conversation_id}/csat"

    early = await tk.post(url, json={"score": 5}, headers=person.auth)
    assert early.status == 409 and (await early.json())["error"]["code"] == "not_resolved"

    await claimed(slack, user=ALEX, channel=channel, ref=ref, card=card)
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="resolve")
    for bad in (0, 6, "5", True, None):
        answer = await tk.post(url, json={"score": bad}, headers=person.auth)
        assert answer.status == 400, bad
    rated = await tk.post(url, json={"score": 4}, headers=person.auth)
    assert rated.status == 201 and (await rated.json())["score"] == 4
    again = await tk.post(url, json={"score": 1}, headers=person.auth)
    assert again.status == 409 and (await again.json())["error"]["code"] == "csat_already"
    async with tk.app[keys.DB].transaction() as session:
        case = await case_store.get_case_by_ref(session, ref=ref)
    assert case is not None and case.csat_score == 4 and case.csat_at is not None


async def test_a_case_resolved_again_is_rated_again(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    """The widget asks after every resolution; the newest rating is the case's."""
    person, _ref, _card = await handed_off(tk, tk_slack)
    url = f"/api/v1/conversations/{person.conversation_id}/csat"
    desk = tk.app[keys.DESK]
    assert await desk.resolve(case_id=person.conversation_id, agent_id=ALEX)
    assert (await tk.post(url, json={"score": 2}, headers=person.auth)).status == 201

    clock.advance(3600)
    await person.say("My video session dropped again today")
    assert (await person.say("Connect me to a human agent please"))["state"] == "queued"
    assert await desk.resolve(case_id=person.conversation_id, agent_id=ALEX)
    rerated = await tk.post(url, json={"score": 5}, headers=person.auth)
    assert rerated.status == 201 and (await rerated.json())["score"] == 5
    again = await tk.post(url, json={"score": 1}, headers=person.auth)
    assert again.status == 409 and (await again.json())["error"]["code"] == "csat_already"
    async with tk.app[keys.DB].read() as session:
        case = await case_store.get_case(session, case_id=person.conversation_id)
        events = await case_store.events_for_case(session, case_id=person.conversation_id)
    assert case is not None and case.csat_score == 5
    assert [e.data["score"] for e in events if e.kind == "csat"] == [2, 5]
