"""Make it right: a credit under the limit applies at once; one over it waits for a lead's
click; the billing webhook is signed, retried through a failure and applied once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import col
from sqlmodel import select as sql_select

from bot import keys
from bot.clock import FakeClock
from bot.errors import Conflict
from bot.slack_fake import SlackFake
from bot.store.models import CaseEvent, Compensation, OutboxItem
from bot.toolkit import COMPENSATIONS
from tests.toolkit.conftest import BILLING_SECRET, LEAD, BillingReceiver
from tests.toolkit.helpers import (
    held_by,
    only_modal,
    select,
    system_lines,
)

ALEX = "U0AGENT1"


async def compensations(client: TestClient) -> list[Compensation]:
    async with client.app[keys.DB].transaction() as session:
        query = sql_select(Compensation).order_by(col(Compensation.created_at))
        return list((await session.exec(query)).all())


async def webhook_items(client: TestClient) -> list[OutboxItem]:
    async with client.app[keys.DB].transaction() as session:
        query = sql_select(OutboxItem).where(OutboxItem.kind == "billing_webhook")
        return list((await session.exec(query)).all())


async def make_it_right(
    slack: SlackFake, *, channel: str, ts: str, kind: str, amount: str, reason: str
) -> dict[str, object]:
    await slack.click(user=ALEX, channel=channel, ts=ts, action_id="make_it_right")
    modal = only_modal(slack, ALEX)
    answer = await slack.submit_view(
        user=ALEX,
        view_id=modal["id"],
        values={
            "kind": {"kind": select(kind)},
            "amount": {"amount": amount},
            "reason": {"reason": reason},
        },
    )
    return answer


async def test_credit_under_the_limit_applies_at_once_and_billing_hears_once(
    tk: TestClient,
    tk_slack: SlackFake,
    clock: FakeClock,
    billing: tuple[BillingReceiver, TestServer],
) -> None:
    slack, (receiver, _server) = tk_slack, billing
    channel = "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)

    # A bad amount is refused in the modal, under its field.
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="make_it_right")
    modal = only_modal(slack, ALEX)
    bad = await slack.submit_view(
        user=ALEX,
        view_id=modal["id"],
        values={
            "kind": {"kind": select("credit")},
            "amount": {"amount": "twenty"},
            "reason": {"reason": "x"},
        },
    )
    assert bad["body"]["response_action"] == "errors" and "amount" in bad["body"]["errors"]
    assert await compensations(tk) == []

    await make_it_right(
        slack, channel=channel, ts=card["ts"], kind="credit", amount="25", reason="Charged twice"
    )
    [row] = await compensations(tk)
    assert (row.kind, row.amount_cents, row.currency, row.status) == (
        "credit",
        2500,
        "USD",
        "applied",
    )
    assert row.requested_by == ALEX and row.decided_by == ALEX and row.decided_at == clock()
    assert row.reason == "Charged twice"
    assert any("credit of 25.00 USD" in line for line in await system_lines(person))
    await slack.wait_for(
        lambda: any(
            "Account credit of 25.00 USD applied" in m["text"]
            for m in slack.thread(channel, card["ts"])
        )
    )

    # Billing fails the first attempt; the outbox retries after its backoff and succeeds.
    await slack.wait_for(lambda: len(receiver.attempts) >= 1)
    [item] = await webhook_items(tk)
    for _ in range(50):
        clock.advance(2)
        tk.app[keys.OUTBOX].nudge()
        if receiver.applied:
            break
        await asyncio.sleep(0.05)
    assert list(receiver.applied) == [row.id]
    assert len(receiver.attempts) == 2
    for attempt in receiver.attempts:
        body = attempt["body"]
        expected = "sha256=" + hmac.new(BILLING_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert attempt["headers"]["X-Supportbot-Signature"] == expected
        assert attempt["headers"]["Idempotency-Key"] == row.id
    sent = json.loads(receiver.attempts[-1]["body"])
    assert (sent["amount"], sent["currency"], sent["case_ref"]) == ("25.00", "USD", ref)
    for _ in range(50):
        [item] = await webhook_items(tk)
        if item.status == "done":
            break
        await asyncio.sleep(0.02)
    assert item.status == "done" and item.attempts == 2
    # Nothing further is sent: delivered once.
    clock.advance(600)
    tk.app[keys.OUTBOX].nudge()
    await asyncio.sleep(0.2)
    assert len(receiver.attempts) == 2


async def test_submit_pressed_twice_on_one_box_credits_once(
    tk: TestClient, tk_slack: SlackFake, billing: tuple[BillingReceiver, TestServer]
) -> None:
    """Slack re-enables Submit when an answer is slow: both submissions carry the same
    view, which names the request."""
    slack = tk_slack
    channel = "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="make_it_right")
    modal = only_modal(slack, ALEX)
    values = {
        "kind": {"kind": select("credit")},
        "amount": {"amount": "20"},
        "reason": {"reason": "Double charge on the 3rd"},
    }
    answers = await asyncio.gather(
        *(slack.submit_view(user=ALEX, view_id=modal["id"], values=values) for _ in range(2))
    )
    assert [answer["status"] for answer in answers] == [200, 200]
    [row] = await compensations(tk)
    assert (row.amount_cents, row.status) == (2000, "applied")
    told = [line for line in await system_lines(person) if "credit of 20.00 USD" in line]
    assert len(told) == 1
    assert len(await webhook_items(tk)) == 1
    async with tk.app[keys.DB].read() as session:
        query = sql_select(CaseEvent).where(CaseEvent.kind == "compensation_requested")
        assert len((await session.exec(query)).all()) == 1


async def test_over_the_limit_waits_for_a_lead(
    tk: TestClient,
    tk_slack: SlackFake,
    clock: FakeClock,
    billing: tuple[BillingReceiver, TestServer],
) -> None:
    slack, (receiver, _server) = tk_slack, billing
    receiver.fail_first = 0
    channel = "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)
    await make_it_right(
        slack,
        channel=channel,
        ts=card["ts"],
        kind="waiver",
        amount="250",
        reason="Three no-shows, card 4111 1111 1111 1111",
    )
    [row] = await compensations(tk)
    assert row.status == "pending" and row.decided_by is None
    assert not any("waived" in line for line in await system_lines(person))

    def approval() -> dict[str, object] | None:
        for m in slack.thread(channel, card["ts"]):
            if "Approval needed" in m["text"] and m.get("blocks"):
                return m
        return None

    await slack.wait_for(lambda: approval() is not None)
    request = approval()
    assert request is not None
    # The agent's reason, redacted as the person's own words would be.
    assert "Three no-shows, card [card]" in json.dumps(request["blocks"])
    assert "4111" not in json.dumps(request)
    # An agent who is not a lead cannot approve.
    await slack.click(
        user=ALEX, channel=channel, ts=str(request["ts"]), action_id="compensation_approve"
    )
    assert any(
        m.get("ephemeral_to") == ALEX and "Only support leads" in m["text"]
        for m in slack.messages(channel)
    )
    assert (await compensations(tk))[0].status == "pending"

    # The lead approves with one click: the request shows the decision, the person is told.
    await slack.click(
        user=LEAD, channel=channel, ts=str(request["ts"]), action_id="compensation_approve"
    )
    [row] = await compensations(tk)
    assert row.status == "applied" and row.decided_by == LEAD
    assert any(
        "waived the fee" in line and "250.00 USD" in line for line in await system_lines(person)
    )
    # The request message now shows the decision, and its buttons are gone.
    await slack.wait_for(lambda: approval() is None)
    decided = [
        m for m in slack.thread(channel, card["ts"]) if "Approved by <@U0LEAD01>" in m["text"]
    ]
    assert decided and "compensation_approve" not in json.dumps(decided)
    await slack.wait_for(lambda: row.id in receiver.applied)
    assert receiver.applied[row.id]["approved_by"] == LEAD

    # A second decision is refused by the core too.
    with pytest.raises(Conflict):
        await tk.app[COMPENSATIONS].decide(compensation_id=row.id, lead_id=LEAD, approve=False)
    assert (await compensations(tk))[0].status == "applied"


async def test_a_lead_declines_and_nothing_reaches_the_person_or_billing(
    tk: TestClient, tk_slack: SlackFake, billing: tuple[BillingReceiver, TestServer]
) -> None:
    slack, (receiver, _server) = tk_slack, billing
    channel = "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)
    await make_it_right(
        slack, channel=channel, ts=card["ts"], kind="credit", amount="100.01", reason="Goodwill"
    )
    [row] = await compensations(tk)
    assert row.status == "pending" and row.amount_cents == 10001  # a cent over the limit

    def request() -> dict[str, object] | None:
        found = [m for m in slack.thread(channel, card["ts"]) if "Approval needed" in m["text"]]
        return found[0] if found else None

    await slack.wait_for(lambda: request() is not None)
    asked = request()
    assert asked is not None
    await slack.click(
        user=LEAD, channel=channel, ts=str(asked["ts"]), action_id="compensation_decline"
    )
    [row] = await compensations(tk)
    assert row.status == "declined" and row.decided_by == LEAD
    await slack.wait_for(
        lambda: any(
            "declined by <@U0LEAD01>" in m["text"] for m in slack.thread(channel, card["ts"])
        )
    )
    assert not any("credit" in line for line in await system_lines(person))
    assert await webhook_items(tk) == [] and receiver.attempts == []
