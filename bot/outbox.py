"""Delivers outbox items to Slack: crisis first, paced per channel, retried, never lost.

Each item was written in the same transaction as the change that caused it; this worker
only turns rows into Slack calls. A 429 cools the channel for `Retry-After` seconds, a
5xx or a timeout backs off and retries, and an error no retry can fix (a missing channel,
a revoked token) parks the item and says so in the audit trail and the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards import CardView, build_card, card_text, channel_mention
from bot.clock import Clock
from bot.privacy.redact import safe_for_slack
from bot.routing import Routing
from bot.store import cases as case_store
from bot.store import history as history_store
from bot.store import lifecycle as lifecycle_store
from bot.store import outbox as outbox_store
from bot.store import pacing
from bot.store.db import Database
from bot.store.models import Case, HandOff, Message, OutboxItem

log = logging.getLogger(__name__)

# Slack allows about one message per second per channel, with short bursts
# (docs: "Rate limits", chat.postMessage "special rate limits").
CHANNEL_RATE_PER_S = 1.0
CHANNEL_BURST_S = 2.0  # allows a burst of three posts
# Errors that no retry can fix: park the item and tell a human.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        # chat.update's name for an archived (or frozen, or deleted) channel.
        "is_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "message_not_found",
        "cant_update_message",
        "missing_scope",
    }
)
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
MAX_BACKOFF_S = 300.0
# From this many failed attempts on, each further one is logged as an error: a person's
# card or message has been waiting for Slack for about ten minutes. It is still retried:
# an outage ends, and a person who was told someone is coming must not be dropped. An item
# failing on an error of our own (a bug, a payload no delivery can read) is parked at this
# count instead, so that it does not hold up its case's later posts for ever.
ALERT_AFTER_ATTEMPTS = 12
# A dead instance's leased items wait this long before another instance retries them.
LEASE_S = 15.0
# A channel name with no card posted yet is looked up in the store again after this long.
NO_CARD_LOOK_AGAIN_S = 30.0
# A delivery is cut off before its lease runs out (counted from the pass that leased it):
# past it, another instance may take the item and, not finding the first post yet, post
# it again.
DELIVERY_LIMIT_S = LEASE_S - 3.0
BATCH = 64
# Passes start at most this often: in a surge every hand-off nudges the worker, and a pass
# per nudge spent the event loop's time re-reading a queue whose channels were all cooling.
MIN_PASS_GAP_S = 0.02

# Tells people in Slack that a hand-off card could not be posted (see _park).
CARD_NOT_POSTED = "card_not_posted"

# Returns True when it marked the item done itself, in its own last transaction.
Delivery = Callable[[OutboxItem], Awaitable[bool | None]]


class PermanentFailure(Exception):
    pass


def outbox_metadata(item: OutboxItem) -> dict[str, Any]:
    return {"event_type": "supportbot_outbox", "event_payload": {"outbox_id": item.id}}


class OutboxWorker:
    """Drains the outbox. Several may run (one per instance); a lease keeps them apart."""

    def __init__(
        self,
        *,
        db: Database,
        client: AsyncWebClient,
        routing: Routing,
        clock: Clock,
        poll_s: float = 1.0,
        alert_channel: str | None = None,
    ) -> None:
        """A worker for this instance.

        Args:
            alert_channel: where a hand-off card that cannot be posted is reported (the
                leads' channel); the general queue's channel when None.
        """
        self.db = db
        self.client = client
        self.routing = routing
        self.clock = clock
        self.poll_s = poll_s
        self.alert_channel = alert_channel or routing.queue("general").channel
        self.wake = asyncio.Event()
        self._last_pass = 0.0  # monotonic
        self._cooling: dict[str, float] = {}  # channel -> monotonic time it may post again
        self._channel_ids: dict[str, str] = {}  # channel name -> id
        self._channel_names: dict[str, set[str]] = {}  # channel id -> the names known for it
        self._no_card_yet: dict[str, float] = {}  # channel name -> monotonic time to look again
        self._inflight: dict[str, asyncio.Task[None]] = {}  # lane -> its delivery
        self._kinds: dict[str, Delivery] = {
            outbox_store.POST_CARD: self._post_card,
            "update_card": self._update_card,
            "thread_message": self._thread_message,
            "thread_notice": self._thread_notice,
            CARD_NOT_POSTED: self._card_not_posted,
        }

    def register(self, kind: str, delivery: Delivery) -> None:
        self._kinds[kind] = delivery

    def nudge(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        """Deliver until cancelled. Each channel is its own lane: a slow or failing call
        holds up only its channel, never a crisis card bound for another."""
        try:
            while True:
                gap = self._last_pass + MIN_PASS_GAP_S - time.monotonic()
                if gap > 0:
                    await asyncio.sleep(gap)
                self._last_pass = time.monotonic()
                # Cleared before the pass, not after it: a delivery that ends or a nudge
                # that comes while the pass runs wakes the next wait at once.
                self.wake.clear()
                self._inflight = {k: t for k, t in self._inflight.items() if not t.done()}
                deadline = asyncio.get_running_loop().time() + DELIVERY_LIMIT_S
                try:
                    items = await self._lease_heads(busy=set(self._inflight))
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox pass failed")
                    items = []
                for item in items:
                    task = asyncio.create_task(
                        self._deliver(item, deadline=deadline), name=f"outbox-{item.id}"
                    )
                    task.add_done_callback(lambda _task: self.wake.set())
                    self._inflight[self._lane(item)] = task
                if items:
                    continue
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancel that lands as a nudge wakes it (CPython issue 86296), and the
                # app's shutdown then waits for this loop forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_wait()):
                        await self.wake.wait()
        finally:
            for task in self._inflight.values():
                task.cancel()
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    def _idle_wait(self) -> float:
        now = time.monotonic()
        cooling = [t - now for t in self._cooling.values() if t > now]
        return max(0.05, min([self.poll_s, *cooling]))

    async def drain_once(self) -> int:
        """One pass, waited for: lease the head item of each free channel and deliver them."""
        deadline = asyncio.get_running_loop().time() + DELIVERY_LIMIT_S
        leased = await self._lease_heads(busy=set())
        await asyncio.gather(*(self._deliver(item, deadline=deadline) for item in leased))
        return len(leased)

    async def _lease_heads(self, *, busy: set[str]) -> list[OutboxItem]:
        """Lease the first due item of every lane not `busy`, crisis first then oldest."""
        now_mono = time.monotonic()
        self._cooling = {c: t for c, t in self._cooling.items() if t > now_mono}
        now = self.clock()
        skip = {*self._cooling, *busy}
        # Items name a channel as they were written: by name or by ID (see _channel_key).
        skip |= {name for channel_id in skip for name in self._channel_names.get(channel_id, ())}
        async with self.db.read() as session:
            items = await outbox_store.candidates(
                session, now=now, limit=BATCH, skip_channels=sorted(skip)
            )
            await self._learn_channel_ids(session, items)
        leased: list[OutboxItem] = []
        seen_lanes = set(busy)
        for item in items:
            lane = self._lane(item)
            if lane in seen_lanes:
                continue
            seen_lanes.add(lane)
            try:
                if await self._reserve_and_lease(item, now=now, now_mono=now_mono):
                    leased.append(item)
            except Exception:
                if not leased:
                    raise
                # Deliver what this pass has leased already rather than leave it locked
                # until its lease runs out; the rest waits for the next pass.
                log.exception("outbox pass stopped after %d leased", len(leased))
                break
        return leased

    async def _reserve_and_lease(self, item: OutboxItem, *, now: datetime, now_mono: float) -> bool:
        """Take the item's channel slot (if it posts) and lease it; False if the channel
        must cool first or another instance holds the item."""
        assert item.id is not None
        # The channel's slot and the lease in one transaction: on SQLite every write
        # transaction holds the people's messages back for its length.
        async with self.db.transaction() as session:
            if item.channel and self._posts(item):
                channel = self._channel_key(item.channel)
                wait = await pacing.reserve(
                    session,
                    channel=channel,
                    now=now,
                    interval_s=1 / CHANNEL_RATE_PER_S,
                    burst_s=CHANNEL_BURST_S,
                )
                if wait > 0:
                    self._cooling[channel] = now_mono + wait
                    return False
            return await outbox_store.lease(session, item_id=item.id, now=now, lease_s=LEASE_S)

    def _remember_channel(self, name: str, channel_id: str) -> None:
        if name != channel_id:
            self._channel_ids[name] = channel_id
            self._channel_names.setdefault(channel_id, set()).add(name)

    async def _learn_channel_ids(self, session: AsyncSession, items: list[OutboxItem]) -> None:
        """The IDs of the channels `items` name that this instance has not posted to. A
        card posted there, by any instance, stored it on its hand-off; a channel with no
        card yet has no thread posts, whose items give the ID, to share a pace with."""
        now = time.monotonic()
        for name in {item.channel for item in items if item.channel}:
            if (
                CHANNEL_ID.fullmatch(name)
                or name in self._channel_ids
                or self._no_card_yet.get(name, 0.0) > now
            ):
                continue
            queues = [key for key, queue in self.routing.queues.items() if queue.channel == name]
            found = (
                await session.exec(
                    select(HandOff.slack_channel)
                    .where(col(HandOff.queue).in_(queues), col(HandOff.slack_channel).is_not(None))
                    .limit(1)
                )
            ).first()
            if found:
                self._remember_channel(name, found)
            else:
                self._no_card_yet[name] = now + NO_CARD_LOOK_AGAIN_S

    def _channel_key(self, channel: str) -> str:
        """One key per Slack channel for its pace, its cooling and its lane. A card names
        the routing file's channel, a thread post the card's channel ID: once the name's ID
        is known (from a post's answer, the store, or a look-up), both count as the ID."""
        return self._channel_ids.get(channel, channel)

    def _lane(self, item: OutboxItem) -> str:
        return self._channel_key(item.channel) if item.channel else f"item:{item.id}"

    @staticmethod
    def _posts(item: OutboxItem) -> bool:
        return item.kind != "update_card"

    async def _deliver(self, item: OutboxItem, *, deadline: float) -> None:
        """Deliver a leased item, stopping by `deadline` (the loop's clock), before its
        lease runs out."""
        assert item.id is not None
        delivery = self._kinds.get(item.kind)
        try:
            if delivery is None:
                raise PermanentFailure(f"unknown outbox kind {item.kind!r}")
            async with asyncio.timeout_at(deadline):
                completed = await delivery(item)
        except SlackApiError as exc:
            await self._slack_failed(item, exc)
        except PermanentFailure as exc:
            await self._park(item, str(exc))
        except (TimeoutError, aiohttp.ClientError) as exc:
            await self._backoff(item, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("outbox item %s (%s) failed", item.id, item.kind)
            await self._backoff(item, f"{type(exc).__name__}: {exc}", ours=True)
        else:
            if not completed:
                async with self.db.transaction() as session:
                    await outbox_store.complete(session, item_id=item.id, now=self.clock())

    async def _slack_failed(self, item: OutboxItem, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
            channel = self._channel_key(item.channel) if item.channel else None
            if channel:
                self._cooling[channel] = time.monotonic() + retry_after
            assert item.id is not None
            async with self.db.transaction() as session:
                if channel:
                    await pacing.push_back(
                        session,
                        channel=channel,
                        until=self.clock() + timedelta(seconds=retry_after),
                    )
                await outbox_store.retry_later(
                    session,
                    item_id=item.id,
                    at=self.clock() + timedelta(seconds=retry_after),
                    error="ratelimited",
                    count_attempt=False,
                )
            return
        if error in PERMANENT_ERRORS:
            await self._park(item, error)
        else:
            await self._backoff(item, error)

    async def _backoff(self, item: OutboxItem, error: str, *, ours: bool = False) -> None:
        """Try again later, for as long as Slack or the network takes to come back (an
        outage, a timeout). An error of our own (`ours`) is parked after
        ALERT_AFTER_ATTEMPTS tries."""
        assert item.id is not None
        if ours and item.attempts + 1 >= ALERT_AFTER_ATTEMPTS:
            await self._park(item, f"gave up after {ALERT_AFTER_ATTEMPTS} attempts: {error}")
            return
        delay = min(MAX_BACKOFF_S, 2.0 ** min(item.attempts, 16)) * (0.5 + random.random() / 2)
        attempts = item.attempts + 1
        log.log(
            logging.ERROR if attempts >= ALERT_AFTER_ATTEMPTS else logging.WARNING,
            "outbox item %s (%s) failed %d times, will retry in %.1fs: %s",
            item.id,
            item.kind,
            attempts,
            delay,
            error,
        )
        async with self.db.transaction() as session:
            await outbox_store.retry_later(
                session, item_id=item.id, at=self.clock() + timedelta(seconds=delay), error=error
            )

    async def _park(self, item: OutboxItem, error: str) -> None:
        assert item.id is not None
        log.error("outbox item %s (%s) parked: %s", item.id, item.kind, error)
        async with self.db.transaction() as session:
            await outbox_store.park(session, item_id=item.id, error=error)
            case_id = item.payload.get("case_id")
            if case_id:
                await case_store.add_event(
                    session,
                    case_id=case_id,
                    kind="delivery_parked",
                    actor="system",
                    now=self.clock(),
                    data={"outbox_id": item.id, "kind": item.kind, "error": error},
                )
            if item.kind == outbox_store.POST_CARD and case_id:
                # A person was told someone is coming, and no one in Slack can see them:
                # say so where people read, as urgently as the card was.
                await outbox_store.enqueue(
                    session,
                    kind=CARD_NOT_POSTED,
                    now=self.clock(),
                    channel=self.alert_channel,
                    priority=item.priority,
                    payload={
                        "case_id": case_id,
                        "handoff_id": item.payload.get("handoff_id"),
                        "error": error,
                    },
                )

    # -- deliveries --------------------------------------------------------------------

    async def _load(self, item: OutboxItem) -> tuple[Case, HandOff, CardView]:
        async with self.db.read() as session:
            case = await case_store.get_case(session, case_id=item.payload["case_id"])
            handoff = await session.get(HandOff, item.payload["handoff_id"])
            if case is None or handoff is None:
                raise PermanentFailure("case or hand-off no longer exists")
            earlier = await history_store.earlier_cases(
                session, person_ref=case.person_ref, case_id=case.id
            )
        return case, handoff, self.card_view(case, handoff, earlier)

    def card_view(self, case: Case, handoff: HandOff, earlier: Sequence[Case]) -> CardView:
        queue = self.routing.queue(handoff.queue)
        if handoff.status == "transferred":
            status = "transferred"
        elif handoff.status == "resolved":
            status = "resolved"
        elif handoff.status == "claimed":
            status = "agent"
        else:
            status = "queued"
        return CardView(
            case_id=case.id,
            ref=case.ref,
            status=status,
            queue=handoff.queue,
            queue_label=queue.label("en"),
            severity=handoff.severity,
            topic=case.topic,
            reason=handoff.reason,
            locale=case.locale,
            summary=case.summary or "",
            created_at=handoff.created_at,
            earlier_cases=len(earlier),
            earlier_refs=tuple(c.ref for c in earlier),
            preferred_contact=case.preferred_contact,
            assignee=handoff.claimed_by,
            resolved_by=handoff.resolved_by,
            ping=queue.ping,
        )

    async def _post_card(self, item: OutboxItem) -> bool:
        case, handoff, view = await self._load(item)
        channel = self.routing.queue(handoff.queue).channel
        # "Posted" is when we sent it: re-ping timers count from here.
        now = self.clock()
        channel_id, ts = await self.post_once(
            item, channel=channel, text=card_text(view), blocks=build_card(view)
        )
        async with self.db.transaction() as session:
            # Case before hand-off, the order claims and transfers lock them in too.
            fresh_case = await case_store.get_case(session, case_id=case.id, for_update=True)
            assert fresh_case is not None
            fresh_case.slack_channel, fresh_case.slack_ts = channel_id, ts
            session.add(fresh_case)
            fresh = await session.get(HandOff, handoff.id, with_for_update=True)
            assert fresh is not None
            fresh.slack_channel, fresh.slack_ts, fresh.posted_at = channel_id, ts, now
            session.add(fresh)
            if fresh_case.erased_at is not None:
                # Erased while the card was on its way (it may show the summary the erasure
                # took out): the erasure found no card to clean, so this one is cleaned as
                # it would have been. The case's row lock keeps the two apart.
                await lifecycle_store.queue_slack_clean_up(
                    session,
                    case_id=case.id,
                    handoffs=[fresh],
                    posts=[],
                    reason=lifecycle_store.ERASURE_REASON,
                    now=now,
                )
            await case_store.add_event(
                session,
                case_id=case.id,
                handoff_id=handoff.id,
                kind="card_posted",
                actor="bot",
                now=now,
                data={"channel": channel_id, "ts": ts},
            )
            assert item.id is not None
            await outbox_store.complete(session, item_id=item.id, now=self.clock())
        return True

    async def _card_not_posted(self, item: OutboxItem) -> None:
        async with self.db.read() as session:
            case = await case_store.get_case(session, case_id=item.payload["case_id"])
            handoff = await session.get(HandOff, item.payload["handoff_id"])
        if case is None or handoff is None or handoff.status != "open":
            return  # someone has the case by now, or it moved on: no one to alert
        error = str(item.payload.get("error"))
        if error in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
            fix = "The bot's Slack token is not working: reinstall the app or renew it"
        else:
            fix = "Check the channel (is the bot invited? is it archived?)"
        urgent = ":rotating_light:" if handoff.severity == "critical" else ":warning:"
        channel = self.routing.queue(handoff.queue).channel
        await self.post_once(
            item,
            channel=self.alert_channel,
            # The case's reference, queue and Slack's error only: nothing the person wrote.
            text=f"{urgent} The hand-off card for case *{case.ref}* ({handoff.queue} queue, "
            f"{handoff.severity}) could not be posted to {channel_mention(channel)}: "
            f"`{error}`. The person is waiting for someone. {fix}, and use "
            f"`/case {case.ref}` to find the case.",
        )

    async def _update_card(self, item: OutboxItem) -> None:
        case, handoff, view = await self._load(item)
        if not handoff.slack_ts or not handoff.slack_channel:
            return  # the card never made it to Slack; nothing to update
        if case.erased_at is not None:
            return  # the erasure's clean-up marked the card; that mark stays
        await self.client.chat_update(
            channel=handoff.slack_channel,
            ts=handoff.slack_ts,
            text=card_text(view),
            blocks=build_card(view),
        )

    async def _thread_message(self, item: OutboxItem) -> None:
        _case, handoff, _view = await self._load(item)
        async with self.db.read() as session:
            message = await session.get(Message, item.payload["message_id"])
        if message is None:
            return  # purged or erased since; nothing to copy
        await self._post_in_thread(item, handoff, f"*Person:* {safe_for_slack(message.text)}")

    async def _thread_notice(self, item: OutboxItem) -> None:
        _case, handoff, _view = await self._load(item)
        text = item.payload.get("text")
        if not text:
            return  # taken out by an erasure or a purge while it waited
        await self._post_in_thread(item, handoff, str(text))

    async def _post_in_thread(self, item: OutboxItem, handoff: HandOff, text: str) -> None:
        if not handoff.slack_ts or not handoff.slack_channel:
            raise PermanentFailure("the hand-off card was never posted")
        await self.post_once(
            item, channel=handoff.slack_channel, thread_ts=handoff.slack_ts, text=text
        )

    async def post_once(
        self,
        item: OutboxItem,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> tuple[str, str]:
        """Post for `item`, unless an earlier try did (found after a crash, a timeout or a
        dropped connection by the outbox id in the post's metadata). Every delivery that
        posts goes through here. Returns the post's channel ID and ts, either way."""
        found = await self._find_earlier_post(item, channel=channel, thread_ts=thread_ts)
        if found is not None:
            return found
        response = await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            metadata=outbox_metadata(item),
        )
        channel_id = str(response["channel"])
        self._remember_channel(channel, channel_id)
        return channel_id, str(response["ts"])

    async def _find_earlier_post(
        self, item: OutboxItem, *, channel: str, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """After a crash or a timeout we cannot know whether Slack took the post: look for
        it (each post carries its outbox id in its metadata) before posting again."""
        if item.attempts == 0 and item.locked_until is None:
            return None  # first try: nothing could have been posted yet
        oldest = f"{item.created_at.timestamp() - 1:.6f}"
        channel = await self._channel_id(channel)
        cursor = None
        while True:  # every page since the item was written: a busy channel has many
            if thread_ts:
                response = await self.client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            for message in response.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("outbox_id") == item.id:
                    return channel, str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def _channel_id(self, name: str) -> str:
        """Slack's read methods want a channel ID; the routing file may name channels."""
        if CHANNEL_ID.fullmatch(name):
            return name
        if name not in self._channel_ids:
            cursor = None
            while True:
                response = await self.client.conversations_list(
                    types="public_channel,private_channel", limit=1000, cursor=cursor
                )
                for channel in response.get("channels") or []:
                    self._remember_channel(str(channel["name"]), str(channel["id"]))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        if name not in self._channel_ids:
            raise PermanentFailure(f"no channel named {name!r}")
        return self._channel_ids[name]
