"""Two instances find the same reply missing from a thread at the same moment: each relays
what it found, the store keeps one copy of each, in the order the agent wrote them."""

from __future__ import annotations

import asyncio
import json

from bot import keys
from tests.handlers.test_reply_gap_fill import ALEX, agent_lines, post_while_down, redeliver
from tests.instances.conftest import Instances
from tests.instances.test_two_instances import CHANNEL, needs_postgres
from tests.support import handed_off


async def test_two_instances_filling_the_same_gap_relay_each_reply_once_in_order(
    instances: Instances,
) -> None:
    slack = instances.slack
    person, card, _ref = await handed_off(instances.a, slack)
    await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="claim")
    seen = (await person.inbox())["messages"][-1]["seq"]
    texts = ["One: found the charge", "Two: refund started", "Three: it shows in 3 days"]
    failed = [
        await post_while_down(slack, user=ALEX, card_ts=card["ts"], text=text) for text in texts
    ]
    # The second reply's event lands on A, the third's on B, at once: both read the gap.
    answers = await asyncio.gather(
        slack.delivery.event(
            str(instances.a.make_url("/slack/events")), json.loads(failed[1]), retry_num=1
        ),
        slack.delivery.event(
            str(instances.b.make_url("/slack/events")), json.loads(failed[2]), retry_num=1
        ),
    )
    assert [a["status"] for a in answers] == [200, 200]
    # Slack's events are acknowledged before they are handled: wait for both relays.
    for _ in range(200):
        inbox = await person.inbox(after=seen)
        replies = [m for m in inbox["messages"] if m["sender"] == "agent"]
        if len(replies) >= len(texts):
            break
        await asyncio.sleep(0.025)
    assert [m["text"] for m in replies] == texts
    assert [m["seq"] for m in replies] == list(range(replies[0]["seq"], replies[0]["seq"] + 3))
    # And the first reply's own retry, later still: dropped as a duplicate.
    assert (await redeliver(slack, failed[0]))["status"] == 200
    assert agent_lines(await person.inbox(after=seen)) == texts


async def test_a_failed_event_on_one_instance_makes_the_other_read_threads_back(
    instances: Instances,
) -> None:
    # Slack retries a failed event to whichever instance the router picks: the one that
    # failed it tells the others, which then read a thread back before its next reply.
    needs_postgres(instances.a)
    slack = instances.slack
    person, card, _ref = await handed_off(instances.a, slack)
    await slack.click(user=ALEX, channel=CHANNEL, ts=card["ts"], action_id="claim")
    seen = (await person.inbox())["messages"][-1]["seq"]

    async def deliver_to_b(text: str) -> None:
        [body] = [await post_while_down(slack, user=ALEX, card_ts=card["ts"], text=text)]
        answer = await slack.delivery.event(
            str(instances.b.make_url("/slack/events")), json.loads(body)
        )
        assert answer["status"] == 200

    def reads() -> int:
        return len([c for c in slack.calls if c["method"] == "conversations.replies"])

    await deliver_to_b("One")
    await deliver_to_b("Two")
    checked = reads()
    await deliver_to_b("Three")
    assert reads() == checked  # B read this thread back already; nothing failed since

    await instances.a.app[keys.DESK].event_failed()  # A answered some event with an error
    for _ in range(50):  # the notice crosses over PostgreSQL's LISTEN/NOTIFY
        await asyncio.sleep(0.02)
        if instances.b.app[keys.DESK]._last_failure >= instances.a.app[keys.DESK]._last_failure:
            break
    await deliver_to_b("Four")
    assert reads() == checked + 1
    assert agent_lines(await person.inbox(after=seen)) == ["One", "Two", "Three", "Four"]
