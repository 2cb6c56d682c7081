"""The bot's own thread messages leave Slack through the outbox; agents' replies cannot."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import FakeClock
from bot.lifecycle import SLACK_DELETE_THREAD, erase_person, purge, register_deliveries
from bot.outbox import OutboxWorker
from bot.routing import load_routing
from bot.slack_fake import SlackFake
from bot.store import outbox as outbox_store
from bot.store.db import Database
from bot.store.models import Compensation, HandOff, OutboxItem
from bot.toolkit import approval_delivery, moved_card_delivery
from tests.lifecycle.seed import TRANSFER_REASON, Seeded, seed_case

TOKEN = "xoxb-test-lifecycle"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackFake]:
    fake = SlackFake(
        signing_secret="s",
        bot_token=TOKEN,
        channels=load_routing().channels(),
        clock=lambda: clock().timestamp(),
    )
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def worker(db: Database, slack: SlackFake, clock: FakeClock) -> OutboxWorker:
    assert slack.base_url is not None
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    outbox = OutboxWorker(db=db, client=client, routing=load_routing(), clock=clock)
    register_deliveries(outbox)
    return outbox


async def drain(worker: OutboxWorker, clock: FakeClock) -> None:
    # Move the clock past each channel's pace so no pass waits on the wall clock.
    for _ in range(50):
        clock.advance(2)
        if not await worker.drain_once():
            return
    raise AssertionError("the outbox did not drain")


async def queue_for(
    session: AsyncSession,
    seeded: Seeded,
    clock: FakeClock,
    *,
    kind: str,
    channel: str,
    **payload: object,
) -> OutboxItem:
    """One of the case's side effects, in its ordering key, as the app queues them."""
    return await outbox_store.enqueue(
        session,
        kind=kind,
        now=clock(),
        channel=channel,
        ordering_key=f"case:{seeded.case_id}",
        payload={"case_id": seeded.case_id, "handoff_id": seeded.handoff_id, **payload},
    )


async def card_in_slack(
    db: Database, worker: OutboxWorker, clock: FakeClock, *, text: str, person: str | None = None
) -> tuple[Seeded, str, str]:
    """A case whose card and thread copies went through the real outbox deliveries."""
    async with db.transaction() as s:
        seeded = await seed_case(s, age_days=0, now=clock(), text=text, person_ref=person)
        for kind, extra in (
            ("post_card", {}),
            ("thread_message", {"message_id": seeded.message_ids[0]}),
            ("thread_notice", {"text": ":telephone_receiver: The person prefers a *call*."}),
        ):
            await queue_for(s, seeded, clock, kind=kind, channel="support-billing", **extra)
    await drain(worker, clock)
    async with db.transaction() as s:
        handoff = await s.get(HandOff, seeded.handoff_id)
    assert handoff is not None and handoff.slack_channel and handoff.slack_ts
    return seeded, handoff.slack_channel, handoff.slack_ts


async def test_purge_deletes_the_bots_thread_messages_and_marks_the_card(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    seeded, channel, card_ts = await card_in_slack(db, worker, clock, text="#old")
    # An agent's reply in the thread (stored directly: no app is listening for events).
    reply = "On it, refunding now"
    workspace = slack.workspace
    workspace.store(channel, workspace.new_message(user="U0AGENT1", text=reply, thread_ts=card_ts))
    before = slack.thread(channel, card_ts)
    assert [m["user"] for m in before] == ["UBOT0001", "UBOT0001", "U0AGENT1"]
    assert "#old" in before[0]["text"]

    clock.advance(200 * 86400)
    async with db.transaction() as s:
        result = await purge(s, now=clock(), retention_days=90)
    assert result.slack_deletions_queued == 1
    await drain(worker, clock)

    after = slack.thread(channel, card_ts)
    # Only the agent's own reply is left: a bot token cannot delete it.
    assert [(m["user"], m["text"]) for m in after] == [("U0AGENT1", reply)]
    card = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    assert "transcript purged (retention)" in card["text"]
    assert seeded.ref in card["text"]
    assert "charged twice" not in str(card["blocks"])  # the summary left the card too
    calls = [c["method"] for c in slack.calls]
    assert calls.count("chat.delete") == 2 and "auth.test" in calls
    async with db.transaction() as s:
        item = (
            await s.exec(select(OutboxItem).where(OutboxItem.kind == SLACK_DELETE_THREAD))
        ).one()
    assert item.status == "done"


async def test_erase_cleans_slack_and_a_retry_after_a_429_finishes_the_job(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    _seeded, channel, card_ts = await card_in_slack(
        db, worker, clock, text="#alice", person="p_alice"
    )
    slack.inject_fault("chat.delete", "429")
    async with db.transaction() as s:
        result = await erase_person(s, person_refs=("p_alice",), now=clock())
    assert result.slack_deletions_queued == 1
    await drain(worker, clock)
    assert slack.thread(channel, card_ts) == []
    deletes = [c.get("status") for c in slack.calls if c["method"] == "chat.delete"]
    assert deletes == [429, 200, 200]  # the whole thread was listed again after the 429
    card = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    assert "transcript purged (erasure request)" in card["text"]


async def test_a_backlog_of_threads_is_cleaned_one_case_after_another(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    threads = [(await card_in_slack(db, worker, clock, text=f"#c{i}"))[1:] for i in range(3)]
    clock.advance(100 * 86400)
    async with db.transaction() as s:
        result = await purge(s, now=clock(), retention_days=90)
    assert result.slack_deletions_queued == 3
    await drain(worker, clock)
    for channel, card_ts in threads:
        assert slack.thread(channel, card_ts) == []
    assert [c.get("status") for c in slack.calls if c["method"] == "chat.delete"] == [200] * 6


async def test_posts_still_pending_at_an_erasure_put_nothing_back_in_the_thread(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """A transfer whose card update Slack failed (its retry not yet due) and a thread note
    still queued when the erasure runs: the clean-up goes first, in its own lane, and what
    follows must not bring the agent's reason or the note back."""
    seeded, channel, card_ts = await card_in_slack(
        db, worker, clock, text="#alice", person="p_alice"
    )
    async with db.transaction() as s:
        await queue_for(
            s,
            seeded,
            clock,
            kind="moved_card",
            channel=channel,
            to_channel="support-general",
            reason=TRANSFER_REASON,
            by="U0AGENT1",
        )
        await queue_for(
            s,
            seeded,
            clock,
            kind="thread_notice",
            channel=channel,
            text=":memo: a note that quotes #alice",
        )
    worker.register("moved_card", moved_card_delivery(worker))
    slack.inject_fault("chat.update", "500")
    clock.advance(2)
    assert await worker.drain_once() == 1  # the card update fails: retried later

    async with db.transaction() as s:
        result = await erase_person(s, person_refs=("p_alice",), now=clock())
    assert result.slack_deletions_queued == 1
    assert await worker.drain_once() == 1  # the clean-up: the card's retry is not due yet
    assert "transcript purged" in str(slack.messages(channel))
    await drain(worker, clock)

    thread = [m["text"] for m in slack.thread(channel, card_ts)]
    assert [t for t in thread if TRANSFER_REASON in t or "#alice" in t] == []
    # The card keeps the clean-up's mark: the retry does not draw it again.
    card = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    assert "transcript purged (erasure request)" in card["text"]
    async with db.transaction() as s:
        left = (await s.exec(select(OutboxItem))).all()
    assert all(TRANSFER_REASON not in json.dumps(item.payload) for item in left)
    assert "thread_notice" not in [item.kind for item in left if item.status == "pending"]


LEADS = "support-general"


async def approval_request_queued(
    db: Database, worker: OutboxWorker, clock: FakeClock, *, compensation_id: str
) -> tuple[str, str]:
    """p_alice's card in Slack, and a credit over the limit waiting for the leads: its
    request, quoting the agent's reason, queued for the leads' channel. Returns where the
    card is (channel, ts)."""
    seeded, channel, card_ts = await card_in_slack(
        db, worker, clock, text="#alice", person="p_alice"
    )
    worker.register("approval_request", approval_delivery(worker))
    async with db.transaction() as s:
        row = Compensation(
            id=compensation_id,
            case_id=seeded.case_id,
            kind="credit",
            amount_cents=50000,
            currency="USD",
            reason="charged twice while she was in hospital",
            status="pending",
            requested_by="U0AGENT1",
            created_at=clock(),
        )
        s.add(row)
        await queue_for(
            s,
            seeded,
            clock,
            kind="approval_request",
            channel=LEADS,
            compensation_id=row.id,
            leads_channel=LEADS,
        )
    return channel, card_ts


def approval_request_in(slack: SlackFake) -> str:
    """The leads' approval request as Slack shows it (its blocks)."""
    [request] = [m for m in slack.messages(LEADS) if "Approval needed" in m["text"]]
    return json.dumps(request["blocks"])


async def test_a_leads_approval_request_loses_the_erased_reason(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """A credit over the limit asks the leads in their own channel, outside the card's
    thread, quoting the agent's reason: the clean-up draws it again without the reason,
    its buttons still there (the credit still waits for a lead)."""
    await approval_request_queued(db, worker, clock, compensation_id="cmp-over-limit-1")
    await drain(worker, clock)
    assert any("in hospital" in json.dumps(m.get("blocks")) for m in slack.messages(LEADS))

    async with db.transaction() as s:
        await erase_person(s, person_refs=("p_alice",), now=clock())
    await drain(worker, clock)
    assert [m for m in slack.messages(LEADS) if "in hospital" in json.dumps(m.get("blocks"))] == []
    blocks = approval_request_in(slack)
    assert "removed with the transcript" in blocks
    assert "compensation_approve" in blocks


@pytest.mark.parametrize("out_of_reach", ["channel archived", "bot removed from the channel"])
async def test_an_approval_request_out_of_reach_does_not_hold_up_the_clean_up(
    out_of_reach: str,
    db: Database,
    slack: SlackFake,
    worker: OutboxWorker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The leads' channel was archived (or the bot taken out of it) after the request went
    there: the card's thread is still emptied and the clean-up is done, the request passed
    over with a warning that holds nothing of what was written."""
    card_channel, card_ts = await approval_request_queued(
        db, worker, clock, compensation_id="cmp-over-limit-2"
    )
    await drain(worker, clock)
    if out_of_reach == "channel archived":
        slack.archive_channel(LEADS)
    else:
        slack.remove_bot(LEADS)

    with caplog.at_level(logging.INFO):
        async with db.transaction() as s:
            await erase_person(s, person_refs=("p_alice",), now=clock())
        await drain(worker, clock)

    assert await clean_up_statuses(db) == ["done"]
    assert [m for m in slack.thread(card_channel, card_ts) if "#alice" in m["text"]] == []
    [warning] = [
        r for r in caplog.records if r.name == "bot.lifecycle" and r.levelno == logging.WARNING
    ]
    assert "approval request" in warning.getMessage() and "out of reach" in warning.getMessage()
    assert "#alice" not in caplog.text and "in hospital" not in caplog.text


# Side effects that write in a case's thread, with what their payload holds.
WRITES_IN_THREAD = [
    pytest.param("thread_notice", {"text": ":memo: a note that quotes #alice"}, id="note"),
    pytest.param(
        "moved_card",
        {"to_channel": "support-general", "by": "U0AGENT1", "reason": "she said #alice"},
        id="card-move",
    ),
    pytest.param("approval_request", {"compensation_id": "cmp-in-thread-1"}, id="approval-request"),
]


@pytest.mark.parametrize(("kind", "payload"), WRITES_IN_THREAD)
async def test_a_thread_write_in_flight_at_an_erasure_is_cleaned_up_after_it_lands(
    db: Database,
    slack: SlackFake,
    worker: OutboxWorker,
    clock: FakeClock,
    kind: str,
    payload: dict[str, str],
) -> None:
    """A worker (say, on another instance) has leased a write in the card's thread and
    holds what it will post when the erasure runs: the thread is cleaned again once that
    delivery is done."""
    seeded, channel, card_ts = await card_in_slack(
        db, worker, clock, text="#alice", person="p_alice"
    )
    async with db.transaction() as s:
        note = await queue_for(s, seeded, clock, kind=kind, channel=channel, **payload)
        await s.flush()
        assert note.id is not None
        assert await outbox_store.lease(s, item_id=note.id, now=clock(), lease_s=15)
    async with db.transaction() as s:
        result = await erase_person(s, person_refs=("p_alice",), now=clock())
    assert result.slack_deletions_queued == 1
    async with db.transaction() as s:
        left = await s.get(OutboxItem, note.id)
        assert left is not None and "#alice" not in json.dumps(left.payload)
        lanes = [
            item.ordering_key
            for item in (await s.exec(select(OutboxItem))).all()
            if item.kind == SLACK_DELETE_THREAD and item.status == "pending"
        ]
    assert sorted(lanes) == sorted(["lifecycle:slack_delete", f"case:{seeded.case_id}"])

    assert await worker.drain_once() == 1  # the first clean-up; the note is still leased
    # The other worker's delivery lands now, after the clean-up, and completes.
    await worker.client.chat_postMessage(
        channel=channel, thread_ts=card_ts, text=f"{kind}: what it held, quoting #alice"
    )
    async with db.transaction() as s:
        await outbox_store.complete(s, item_id=note.id, now=clock())
    await drain(worker, clock)
    assert [m for m in slack.thread(channel, card_ts) if "#alice" in m["text"]] == []


async def test_a_card_update_in_flight_at_an_erasure_does_not_undo_its_clean_up(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """A worker (say, on another instance) has leased an update of the card and drawn it
    from a read made before the erasure: when Slack takes it after the clean-up marked the
    card, the card is marked again, not left showing the case as it was."""
    seeded, channel, card_ts = await card_in_slack(
        db, worker, clock, text="#alice", person="p_alice"
    )
    before = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    async with db.transaction() as s:
        update = await queue_for(s, seeded, clock, kind="update_card", channel=channel)
        await s.flush()
        assert update.id is not None
        assert await outbox_store.lease(s, item_id=update.id, now=clock(), lease_s=15)
    async with db.transaction() as s:
        await erase_person(s, person_refs=("p_alice",), now=clock())

    await drain(worker, clock)  # the clean-up; the update is still leased
    # The other worker's update lands now, drawn before the erasure, and completes.
    await worker.client.chat_update(
        channel=channel, ts=card_ts, text=before["text"], blocks=before.get("blocks")
    )
    async with db.transaction() as s:
        await outbox_store.complete(s, item_id=update.id, now=clock())
    await drain(worker, clock)

    card = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    assert "transcript purged (erasure request)" in card["text"]


# A channel the fake Slack does not have: one deleted since a card was posted there.
DELETED_CHANNEL = "C0GONE01"
# Where the case was first handed off, before its transfer to billing.
FIRST_QUEUE = "support-general"


async def transferred_case(
    db: Database, worker: OutboxWorker, clock: FakeClock, *, first_card: tuple[str, str]
) -> tuple[str, str]:
    """p_alice's case, transferred once: its first card at `first_card` (channel, ts), and
    the live card with its copy of her words posted through the outbox. Returns where the
    live card is (channel, ts)."""
    async with db.transaction() as s:
        seeded = await seed_case(
            s, age_days=0, now=clock(), text="#alice", person_ref="p_alice", handed_off=False
        )
        first = HandOff(
            case_id=seeded.case_id,
            queue="general",
            reason="wants_human",
            severity="normal",
            status="transferred",
            slack_channel=first_card[0],
            slack_ts=first_card[1],
            created_at=clock(),
            posted_at=clock(),
        )
        s.add(first)
        await s.flush()  # numbered first: the clean-up goes through the cards in order
        live = HandOff(
            case_id=seeded.case_id,
            queue="billing",
            reason="transferred",
            severity="normal",
            status="claimed",
            created_at=clock(),
        )
        s.add(live)
        await s.flush()
        seeded.handoff_id = live.id
        await queue_for(s, seeded, clock, kind="post_card", channel="support-billing")
        await queue_for(
            s,
            seeded,
            clock,
            kind="thread_message",
            channel="support-billing",
            message_id=seeded.message_ids[0],
        )
    await drain(worker, clock)
    async with db.transaction() as s:
        posted = await s.get(HandOff, live.id)
    assert posted is not None and posted.slack_channel and posted.slack_ts
    return posted.slack_channel, posted.slack_ts


async def first_card_in(worker: OutboxWorker, channel: str, *, her_words: bool) -> tuple[str, str]:
    """A card the bot posted in `channel`, with (if `her_words`) the bot's copy of
    p_alice's words in its thread. Returns where it is (channel, ts)."""
    card = await worker.client.chat_postMessage(channel=channel, text="Case card (unclaimed)")
    if her_words:
        await worker.client.chat_postMessage(
            channel=card["channel"], thread_ts=card["ts"], text="The person wrote: #alice"
        )
    return str(card["channel"]), str(card["ts"])


async def clean_up_statuses(db: Database) -> list[str]:
    async with db.transaction() as s:
        items = await s.exec(select(OutboxItem).where(OutboxItem.kind == SLACK_DELETE_THREAD))
        return [item.status for item in items.all()]


@pytest.mark.parametrize(
    "out_of_reach",
    [
        "channel deleted",
        "bot removed from the channel",
        "channel archived",
        "channel archived, the card alone in it",
    ],
)
async def test_an_erasure_empties_the_live_thread_when_the_first_cards_channel_is_out_of_reach(
    out_of_reach: str,
    db: Database,
    slack: SlackFake,
    worker: OutboxWorker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The case was transferred: its first card is in a channel since deleted, archived, or
    one the bot was removed from, and the live card's thread holds the person's words. The
    erasure still empties the live thread and marks its card, its clean-up is done, and the
    card it passed over is logged, with nothing of what the person wrote."""
    first_card = (DELETED_CHANNEL, "1700000000.000100")
    if out_of_reach != "channel deleted":
        her_words = out_of_reach != "channel archived, the card alone in it"
        first_card = await first_card_in(worker, FIRST_QUEUE, her_words=her_words)
    channel, card_ts = await transferred_case(db, worker, clock, first_card=first_card)
    assert any("#alice" in m["text"] for m in slack.thread(channel, card_ts))
    if out_of_reach == "bot removed from the channel":
        slack.remove_bot(FIRST_QUEUE)
    elif out_of_reach.startswith("channel archived"):
        slack.archive_channel(FIRST_QUEUE)

    with caplog.at_level(logging.INFO):
        async with db.transaction() as s:
            result = await erase_person(s, person_refs=("p_alice",), now=clock())
        assert result.slack_deletions_queued == 1
        await drain(worker, clock)

    assert [m for m in slack.thread(channel, card_ts) if "#alice" in m["text"]] == []
    card = next(m for m in slack.messages(channel) if m["ts"] == card_ts)
    assert "transcript purged (erasure request)" in card["text"]
    assert await clean_up_statuses(db) == ["done"]
    [warning] = [
        r for r in caplog.records if r.name == "bot.lifecycle" and r.levelno == logging.WARNING
    ]
    assert "out of reach" in warning.getMessage() and first_card[1] in warning.getMessage()
    assert "#alice" not in caplog.text and "charged twice" not in caplog.text


async def test_slack_failing_on_the_first_cards_thread_makes_the_clean_up_try_again(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """A 500 while the clean-up reads the first card's thread says nothing about the
    channel: the clean-up is not done until a later try has emptied the live thread."""
    channel, card_ts = await transferred_case(
        db, worker, clock, first_card=(DELETED_CHANNEL, "1700000000.000100")
    )
    slack.inject_fault("conversations.replies", "500")
    async with db.transaction() as s:
        await erase_person(s, person_refs=("p_alice",), now=clock())
    clock.advance(2)
    assert await worker.drain_once() == 1
    assert await clean_up_statuses(db) == ["pending"]
    assert any("#alice" in m["text"] for m in slack.thread(channel, card_ts))

    await drain(worker, clock)
    assert [m for m in slack.thread(channel, card_ts) if "#alice" in m["text"]] == []
    assert await clean_up_statuses(db) == ["done"]


def erase_as_slack_takes_the_next_post(
    db: Database, worker: OutboxWorker, clock: FakeClock
) -> None:
    """p_alice's erasure commits while the worker's next post is on its way to Slack: the
    worker has read what it posts already."""
    post = worker.client.chat_postMessage

    async def chat_post_message(**kwargs: object) -> AsyncSlackResponse:
        worker.client.chat_postMessage = post  # type: ignore[method-assign]
        async with db.transaction() as s:
            result = await erase_person(s, person_refs=("p_alice",), now=clock())
        assert len(result.cases) == 1
        return await post(**kwargs)  # type: ignore[arg-type]

    worker.client.chat_postMessage = chat_post_message  # type: ignore[method-assign]


async def test_a_card_posted_as_the_person_is_erased_does_not_keep_their_summary(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """The worker has drawn the hand-off card, with the case's summary, when the person's
    erasure commits; Slack takes the card after it. The card is then cleaned as one
    posted before the erasure would have been."""
    async with db.transaction() as s:
        seeded = await seed_case(
            s, age_days=0, now=clock(), text="#alice", person_ref="p_alice", status="agent"
        )
        await queue_for(s, seeded, clock, kind="post_card", channel="support-billing")
    erase_as_slack_takes_the_next_post(db, worker, clock)
    await drain(worker, clock)

    [card] = slack.messages("support-billing")
    assert "charged twice" not in json.dumps(card), "the erased summary is still on the card"
    assert "transcript purged (erasure request)" in card["text"]


async def test_a_leads_approval_request_posted_as_the_person_is_erased_loses_the_reason(
    db: Database, slack: SlackFake, worker: OutboxWorker, clock: FakeClock
) -> None:
    """The worker has drawn a lead's approval request, with the agent's reason, when the
    person's erasure commits; Slack takes it after. It is then drawn again without the
    reason, its buttons still there."""
    card_channel, card_ts = await approval_request_queued(
        db, worker, clock, compensation_id="cmp-over-limit-2"
    )
    erase_as_slack_takes_the_next_post(db, worker, clock)
    await drain(worker, clock)

    blocks = approval_request_in(slack)
    assert "in hospital" not in blocks, "the erased reason is still there"
    assert "removed with the transcript" in blocks
    assert "compensation_approve" in blocks
