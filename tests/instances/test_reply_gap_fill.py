"""Two instances find the same reply missing from a thread at the same moment: each relays
what it found, the store keeps one copy of each, in the order the agent wrote them."""

from __future__ import annotations

import asyncio
import json

from tests.handlers.test_reply_gap_fill import ALEX, agent_lines, post_while_down, redeliver
from tests.instances.conftest import Instances
from tests.instances.test_two_instances import CHANNEL, handed_off


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
    inbox = await person.inbox(after=seen)
    replies = [m for m in inbox["messages"] if m["sender"] == "agent"]
    assert [m["text"] for m in replies] == texts
    assert [m["seq"] for m in replies] == list(range(replies[0]["seq"], replies[0]["seq"] + 3))
    # And the first reply's own retry, later still: dropped as a duplicate.
    assert (await redeliver(slack, failed[0]))["status"] == 200
    assert agent_lines(await person.inbox(after=seen)) == texts
