"""Several instances, one store: relay across instances, resume by seq, one claim winner,
retries ignored, Slack failures survived, a crashed post not repeated, periodic work once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot import keys
from bot.clock import FakeClock, system_clock
from bot.periodic import Periodic
from bot.store.db import Database
from bot.store.models import CaseEvent, Lease, OutboxItem
from handlers.chat_ws import SAFETY_POLL_S
from tests.conftest import TEST_SIGNING_SECRET
from tests.instances.conftest import SLACK_TOKEN, Instances, stop_outbox_workers
from tests.support import Person, blocks_text, card_for, handed_off, open_socket

CHANNEL = "support-general"


def needs_postgres(client: TestClient) -> None:
    if not client.app[keys.DB].is_postgres:
        pytest.skip("the cross-instance bus is PostgreSQL's (LISTEN/NOTIFY)")


async def next_message(
    ws: aiohttp.ClientWebSocketResponse, want: Callable[[dict[str, Any]], bool], timeout: float = 5
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
        if frame["type"] == "message" and want(frame["message"]):
            return frame["message"]


async def test_agent_reply_reaches_the_socket_on_the_other_instance(instances: Instances) -> None:
    needs_postgres(instances.a)
    slack = instances.slack
    person, card, ref = await handed_off(instances.a, slack)
    ws = await open_socket(instances.a, person)
    try:
        await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
        await next_message(ws, lambda m: m["sender"] == "system")
        # The event lands on instance B; the person's socket is held by instance A. It
        # comes by the bus, well before the socket's safety poll would find it (how fast
        # is measured in benchmarks/, not here).
        await slack.post(
            user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="Hi, I'm on it"
        )
        got = await next_message(ws, lambda m: m["sender"] == "agent", timeout=SAFETY_POLL_S / 2)
        assert got["text"] == "Hi, I'm on it"
    finally:
        await ws.close()


async def test_reconnecting_socket_gets_what_it_missed_once_in_order(instances: Instances) -> None:
    slack = instances.slack
    person, card, _ref = await handed_off(instances.a, slack)
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    await slack.wait_for(lambda: card_for(slack.messages(CHANNEL), _ref) is not None)
    seen = (await person.inbox())["messages"][-1]["seq"]
    for n in range(3):
        await slack.post(user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text=f"update {n}")
    await asyncio.sleep(0.2)
    ws = await open_socket(instances.b, person, after=seen)
    try:
        texts = []
        while len(texts) < 3:
            message = await next_message(ws, lambda m: m["sender"] == "agent")
            texts.append(message["text"])
        assert texts == ["update 0", "update 1", "update 2"]
        with pytest.raises(asyncio.TimeoutError):
            await next_message(ws, lambda m: m["sender"] == "agent", timeout=0.5)
    finally:
        await ws.close()


def _signed_click(slack: Any, card: dict[str, Any], user: str) -> tuple[str, dict[str, str]]:
    channel_id = slack.channel_id(CHANNEL)
    payload = {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": "T0SANDBOX",
        },
        "api_app_id": "A0SANDBOX",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": card["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"trigger-{user}",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "channel": {"id": channel_id, "name": CHANNEL},
        "message": card,
        "actions": [
            {
                "action_id": "claim",
                "block_id": "case_actions",
                "value": card["blocks"][-1]["elements"][0]["value"],
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": SignatureVerifier(TEST_SIGNING_SECRET).generate_signature(
            timestamp=timestamp, body=body
        ),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body, headers


async def test_fifty_simultaneous_claims_across_two_instances_have_one_winner(
    instances: Instances,
) -> None:
    slack = instances.slack
    _person, card, ref = await handed_off(instances.a, slack)
    agents = [f"U0RACE{n:03d}" for n in range(50)]
    for n, agent in enumerate(agents):
        slack.add_user(agent, name=f"agent{n}", real_name=f"Agent {n}")
    clicks = []
    for n, agent in enumerate(agents):
        instance = instances.a if n % 2 else instances.b
        body, headers = _signed_click(slack, card, agent)
        clicks.append(instance.post("/slack/events", data=body, headers=headers))
    responses = await asyncio.gather(*clicks)
    assert [r.status for r in responses] == [200] * 50
    db: Database = instances.a.app[keys.DB]
    async with db.transaction() as session:
        claims = (await session.exec(select(CaseEvent).where(CaseEvent.kind == "claimed"))).all()
    assert len(claims) == 1
    winner = claims[0].actor
    await slack.wait_for(
        lambda: (
            f"Claimed by <@{winner}>" in blocks_text(card_for(slack.messages(CHANNEL), ref) or {})
        )
    )
    # The others are told who has it (as far as Slack's own rate limits let us tell them).
    await slack.wait_for(lambda: any(m.get("ephemeral_to") for m in slack.messages(CHANNEL)))
    told = [m for m in slack.messages(CHANNEL) if m.get("ephemeral_to")]
    assert all(f"already claimed by <@{winner}>" in m["text"] for m in told)
    assert winner not in {m["ephemeral_to"] for m in told}


async def test_a_retried_slack_event_is_relayed_once(instances: Instances) -> None:
    slack = instances.slack
    person, card, _ref = await handed_off(instances.a, slack)
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    event = {
        "type": "message",
        "channel": slack.channel_id(CHANNEL),
        "channel_type": "channel",
        "user": "U0AGENT1",
        "text": "Checking your account now",
        "ts": f"{time.time():.6f}",
        "thread_ts": card["ts"],
    }
    event["event_ts"] = event["ts"]
    first = await slack.deliver_event(event, event_id="Ev0RETRY01")
    again = await slack.deliver_event(
        event, event_id="Ev0RETRY01", retry_num=1, retry_reason="http_timeout"
    )
    # Slack may also send the same message under a new event id: the stored ts catches it.
    other = await slack.deliver_event(event, event_id="Ev0RETRY02")
    assert (first["status"], again["status"], other["status"]) == (200, 200, 200)
    inbox = await person.inbox()
    assert [m["text"] for m in inbox["messages"] if m["sender"] == "agent"] == [
        "Checking your account now"
    ]


async def test_slack_failures_are_survived_with_nothing_lost_or_doubled(
    instances: Instances,
) -> None:
    slack = instances.slack
    slack.inject_fault("chat.postMessage", "429", times=2)
    slack.inject_fault("chat.postMessage", "500", times=3)
    person, card, ref = await handed_off(instances.a, slack, timeout=30)
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    slack.inject_fault("chat.postMessage", "500", times=2)
    for n in range(4):
        await person.say(f"detail number {n}")
    await slack.wait_for(
        lambda: sum("detail number" in m["text"] for m in slack.thread(CHANNEL, card["ts"])) == 4,
        timeout=20,
    )
    cards = [m for m in slack.messages(CHANNEL) if m.get("blocks") and ref in (m.get("text") or "")]
    assert len(cards) == 1
    details = [m["text"] for m in slack.thread(CHANNEL, card["ts"]) if "detail number" in m["text"]]
    assert details == [f"*Person:* detail number {n}" for n in range(4)]


async def test_a_post_whose_outcome_was_lost_in_a_crash_is_not_posted_again(
    instances: Instances,
) -> None:
    slack = instances.slack
    db: Database = instances.a.app[keys.DB]
    for client in (instances.a, instances.b):
        client.app[keys.OUTBOX].wake.clear()
    # Stop both workers: the card's outbox item stays pending.
    await stop_outbox_workers()
    person = Person(instances.a)
    started = await person.start()
    await person.say("Connect me to a human agent please")
    async with db.transaction() as session:
        item = (await session.exec(select(OutboxItem).where(OutboxItem.kind == "post_card"))).one()
        # A worker leased it, posted the card, and died before writing down that it had.
        item.locked_until = system_clock()
        session.add(item)
    web = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.base_url)
    await web.chat_postMessage(
        channel=CHANNEL,
        text=f"NORMAL hand-off {started['case_ref']} (general)",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": started["case_ref"]}}],
        metadata={"event_type": "supportbot_outbox", "event_payload": {"outbox_id": item.id}},
    )
    await asyncio.sleep(0.05)
    worker = instances.b.app[keys.OUTBOX]
    for _ in range(20):
        if await worker.drain_once():
            break
        await asyncio.sleep(0.1)
    async with db.transaction() as session:
        done = await session.get(OutboxItem, item.id)
        assert done is not None and done.status == "done"
    cards = [
        m
        for m in slack.messages(CHANNEL)
        if started["case_ref"] in (m.get("text") or "") and m.get("blocks")
    ]
    assert len(cards) == 1


async def test_periodic_work_runs_once_across_instances(instances: Instances) -> None:
    db: Database = instances.a.app[keys.DB]
    runs: list[str] = []
    periodic = []
    for name in ("a", "b"):
        p = Periodic(db=db, clock=system_clock, tick_s=0.1)

        async def job(_now: Any, who: str = name) -> None:
            runs.append(who)

        p.every(60, "test_job", job)
        periodic.append(p)
    for _ in range(5):
        await asyncio.gather(*(p.run_due() for p in periodic))
    assert len(runs) == 1


def two_instances_of_one_job(
    db: Database, clock: FakeClock, job: Callable[[str], Any]
) -> dict[str, Periodic]:
    """Instances a and b, each with the same job (due every second) under one lease."""
    periodic = {}
    for name in ("a", "b"):
        p = Periodic(db=db, clock=clock, tick_s=0.1)

        async def run(_now: Any, who: str = name) -> None:
            await job(who)

        p.every(1, "test_long_job", run)
        periodic[name] = p
    return periodic


async def lease_ends(db: Database) -> Any:
    async with db.read() as session:
        lease = await session.get(Lease, "test_long_job")
    assert lease is not None
    return lease.expires_at


async def test_a_job_running_past_its_interval_is_not_started_again_on_another_instance(
    instances: Instances,
) -> None:
    """A crisis round held up by a slow Slack must not be run a second time, beside
    it, by the other dyno: the lease is renewed while the job runs."""
    db: Database = instances.a.app[keys.DB]
    clock = FakeClock()
    runs: list[str] = []
    started, may_end = asyncio.Event(), asyncio.Event()

    async def job(who: str) -> None:
        runs.append(who)
        started.set()
        await may_end.wait()

    periodic = two_instances_of_one_job(db, clock, job)
    first = asyncio.create_task(periodic["a"].run_due())
    await started.wait()
    clock.advance(60)  # many intervals later, a's job still runs
    async with asyncio.timeout(5):
        while await lease_ends(db) <= clock():
            await asyncio.sleep(0.05)
    assert await periodic["b"].run_due() == []

    may_end.set()
    assert await first == ["test_long_job"]
    # Over, it is due again at once, on whichever instance comes first.
    assert await periodic["b"].run_due() == ["test_long_job"]
    assert runs == ["a", "b"]


async def test_the_lease_of_an_instance_that_died_mid_job_runs_out(instances: Instances) -> None:
    db: Database = instances.a.app[keys.DB]
    clock = FakeClock()
    runs: list[str] = []

    async def job(who: str) -> None:
        runs.append(who)
        if who == "a":
            await asyncio.Event().wait()  # a is killed before its job ends

    periodic = two_instances_of_one_job(db, clock, job)
    dying = asyncio.create_task(periodic["a"].run_due())
    while not runs:
        await asyncio.sleep(0.01)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    assert await periodic["b"].run_due() == []  # a's lease still runs
    clock.advance(1)
    assert await periodic["b"].run_due() == ["test_long_job"]
    assert runs == ["a", "b"]


async def test_a_long_periodic_job_holds_up_only_itself(instances: Instances) -> None:
    """A purge's first pass over a large backlog can take minutes; meanwhile the crisis
    lane's re-pings must go on."""
    periodic = Periodic(db=instances.a.app[keys.DB], clock=system_clock, tick_s=0.02)
    purge_may_end = asyncio.Event()
    repings: list[object] = []

    async def purge(_now: Any) -> None:
        await purge_may_end.wait()

    async def reping(now: Any) -> None:
        repings.append(now)

    periodic.every(3600, "test_purge", purge)
    periodic.every(0.02, "test_reping", reping)
    running = asyncio.create_task(periodic.run())
    try:
        async with asyncio.timeout(10):
            while len(repings) < 5:
                await asyncio.sleep(0.02)
        assert not purge_may_end.is_set()  # every one of them while the purge ran
    finally:
        purge_may_end.set()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
