"""The agent's side: claim, resolve, and relay thread replies to the person."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from weakref import WeakValueDictionary

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import handoff as handoffs
from bot.bus import Bus
from bot.clock import Clock
from bot.conversation.engine import Engine
from bot.routing import Routing
from bot.slack_text import is_internal_note, slack_to_plain
from bot.slack_threads import thread_messages
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store import seen as seen_store
from bot.store.db import Database
from bot.store.models import Case

log = logging.getLogger(__name__)

# Slack stops retrying an event after about an hour; keep ids a little longer.
SEEN_KEY_TTL = timedelta(hours=2)
# Edits, deletions, joins and bots' posts are not replies to relay.
IGNORED_SUBTYPES = frozenset({"message_changed", "message_deleted", "channel_join", "bot_message"})
# Slack wants an event answered within 3 s and the listener has more to do (users.info,
# the relay's transaction): past this the gap check gives up and the reply goes as it came.
GAP_CHECK_TIMEOUT_S = 1.5
# conversations.replies is Tier 3 (about 50 calls a minute for the whole workspace, shared
# with the outbox): a gap longer than this many pages is not read to its end.
GAP_PAGE_LIMIT = 200
GAP_MAX_PAGES = 3
# The bus topic on which an instance tells the others that a Slack event may come late.
EVENT_GAP_TOPIC = "slack-event-gap"
# Threads whose last gap check is remembered (the rest are simply checked again).
CHECKED_THREADS_KEPT = 10_000
# A rate-limited gap check waits this long when Slack gives no Retry-After.
GAP_PAUSE_DEFAULT_S = 30

# A reply to a card whose ts is not stored yet waits this long, looking again every
# CARD_RECORD_POLL_S; the gap check that may follow has what is left of its own 1.5 s, so
# the event is answered well inside Slack's 3 s.
CARD_RECORD_WAIT_S = 1.0
CARD_RECORD_POLL_S = 0.05
# Our clock against Slack's, when a thread's ts is compared with when a card was enqueued.
CLOCK_SKEW = timedelta(seconds=60)

RelayOutcome = Literal["relayed", "note", "not_a_case", "not_claimed", "duplicate", "closed"]
# Work done in the relay's own transaction once a reply is stored (session, case, outcome).
AfterRelay = Callable[[AsyncSession, Case, RelayOutcome], Awaitable[None]]


class CardNotRecorded(Exception):
    """A reply came in a thread that may be a card whose ts is not stored yet."""


@dataclass(frozen=True)
class Relayed:
    outcome: RelayOutcome
    case: Case | None = None


@dataclass(frozen=True)
class ThreadReply:
    """Someone's message in a case thread (an agent's, as far as the relay can tell)."""

    thread_ts: str
    ts: str
    user: str
    text: str
    user_name: str | None = None


def thread_reply_of(message: Mapping[str, Any]) -> ThreadReply | None:
    """A Slack message (an event, or one conversations.replies lists) as a reply in a
    thread, or None for what never reaches a person: our own posts and other bots',
    edits, deletions, joins, and messages outside a thread."""
    if message.get("bot_id") or message.get("subtype") in IGNORED_SUBTYPES:
        return None
    thread_ts, ts, user = message.get("thread_ts"), message.get("ts"), message.get("user")
    if not thread_ts or thread_ts == ts or not user:
        return None
    return ThreadReply(
        thread_ts=str(thread_ts), ts=str(ts), user=str(user), text=str(message.get("text") or "")
    )


async def agent_first_name(client: AsyncWebClient, user_id: str) -> str | None:
    """The agent's first name as the person will see it ("Alex has joined")."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError:
        return None
    profile = (response.get("user") or {}).get("profile") or {}
    name = profile.get("first_name") or profile.get("real_name") or profile.get("display_name")
    if not name:
        return None
    return str(name).split()[0][:40]


class Desk:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        bus: Bus,
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.bus = bus
        self.clock = clock
        self.on_outbox = on_outbox
        # After a 429 on conversations.replies, gap checks wait for Slack's Retry-After.
        self._gap_paused_until: datetime | None = None
        # A reply can only be missing if an event failed: this instance answered one with
        # an error, or it has just started (an event may have died with the last process).
        # A thread checked since then needs no new check, which keeps conversations.replies
        # (about 50 calls a minute for the workspace) for when it can matter.
        self._last_failure = clock()
        self._checked: OrderedDict[str, datetime] = OrderedDict()
        # Replies to one thread are relayed in the order this instance received them, even
        # when one waits on Slack for its gap check.
        self._thread_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self.card_record_wait_s = CARD_RECORD_WAIT_S
        bus.on(EVENT_GAP_TOPIC, lambda _kind: self._note_failure())

    async def event_failed(self) -> None:
        """Slack's event was answered with an error, or this instance has just started (an
        event may have died with the last process): it will be retried, maybe after later
        ones, so every instance reads threads back for missed replies again."""
        self._note_failure()
        try:
            await self.bus.publish(EVENT_GAP_TOPIC, "failed")
        except Exception as exc:  # noqa: BLE001 - the database is likely down for all of us
            log.warning("could not tell the other instances of a failed event (%s)", exc)

    def _note_failure(self) -> None:
        self._last_failure = self.clock()

    async def first_time(self, key: str) -> bool:
        """True the first time any instance sees `key` (a Slack event id, a signature)."""
        async with self.db.transaction() as session:
            return await seen_store.mark_seen(session, key=key, now=self.clock())

    async def was_seen(self, key: str) -> bool:
        async with self.db.read() as session:
            return await seen_store.is_seen(session, key=key)

    async def forget_old_keys(self) -> None:
        async with self.db.transaction() as session:
            await seen_store.forget_before(session, before=self.clock() - SEEN_KEY_TTL)

    async def case_for_card(self, *, case_id: str) -> Case:
        async with self.db.transaction() as session:
            case = await case_store.require_case(session, case_id=case_id)
        return case

    async def claim(
        self, *, case_id: str, agent_id: str, agent_name: str | None
    ) -> handoffs.ClaimResult:
        now = self.clock()
        async with self.db.transaction() as session:
            case = await case_store.require_case(session, case_id=case_id)
            joined = self.engine.system_text(
                "agent_joined", locale=case.locale, name=agent_name or "A support agent"
            )
            result = await handoffs.claim(
                session,
                case_id=case_id,
                agent_id=agent_id,
                agent_name=agent_name,
                now=now,
                joined_text=joined,
            )
        if result.won:
            await self.bus.publish(case_id)
            self.on_outbox()
        return result

    async def resolve(
        self, *, case_id: str, agent_id: str, root_cause: str | None = None
    ) -> Case | None:
        now = self.clock()
        async with self.db.transaction() as session:
            case = await case_store.require_case(session, case_id=case_id)
            resolved = await handoffs.resolve(
                session,
                case_id=case_id,
                agent_id=agent_id,
                now=now,
                resolved_text=self.engine.system_text("resolved", locale=case.locale),
                root_cause=root_cause,
            )
        if resolved is not None:
            await self.bus.publish(case_id)
            self.on_outbox()
        return resolved

    async def relay_reply(
        self,
        *,
        channel: str,
        thread_ts: str,
        user: str,
        user_name: str | None,
        text: str,
        ts: str,
        event_key: str | None = None,
        slack: AsyncWebClient | None = None,
        then: AfterRelay | None = None,
        to_bot_post: bool = False,
    ) -> Relayed:
        """An agent wrote in a case thread: pass it to the person, or keep it as a note.

        Args:
            event_key: Slack's event id, recorded with the message so a retry of the same
                event is dropped (and, if this fails, the retry is not).
            slack: when given, agents' messages posted in the thread before this one whose
                events have not arrived yet (Slack retries a failed event after 1 and 5
                minutes) are read from Slack and relayed first, so the person reads the
                replies in the order they were written.
            then: more work for the same transaction, given the session, the case and the
                reply's outcome ("relayed" or "note"): it commits with the reply, or neither.
            to_bot_post: the thread starts with one of the bot's posts. A card is in Slack
                a moment before its ts is stored (longer if the posting instance died), so
                a reply in a thread that is not a known card waits for the card's record
                while a card post enqueued before the thread began is unsettled, and past
                `card_record_wait_s` raises CardNotRecorded: the event is answered with an
                error and Slack delivers it again later.
        """
        incoming = ThreadReply(
            thread_ts=thread_ts, ts=ts, user=user, text=text, user_name=user_name
        )
        lock = self._thread_locks.setdefault(thread_ts, asyncio.Lock())
        async with lock:
            # Waiting holds the thread's lock: a later reply there queues behind this one.
            waited = await self._await_card(channel, thread_ts) if to_bot_post else 0.0
            earlier = (
                await self._unrelayed_before(
                    slack, channel, incoming, timeout_s=GAP_CHECK_TIMEOUT_S - waited
                )
                if slack
                else []
            )
            now = self.clock()
            async with self.db.transaction() as session:
                case = await case_store.get_case_by_card(session, channel=channel, ts=thread_ts)
                if case is None:
                    return Relayed("not_a_case")
                if event_key and not await seen_store.mark_seen(session, key=event_key, now=now):
                    return Relayed("duplicate")
                # Instances relaying replies to one case take turns, so a message that two
                # of them found missing is stored once, by whichever comes first.
                await session.refresh(case, with_for_update=True)
                outcomes = [await _store_reply(session, case, reply, now) for reply in earlier]
                outcome = await _store_reply(session, case, incoming, now)
                if then is not None and outcome in ("relayed", "note"):
                    await then(session, case, outcome)
        if "relayed" in (*outcomes, outcome):
            await self.bus.publish(case.id)
        return Relayed(outcome, case)

    async def _await_card(self, channel: str, thread_ts: str) -> float:
        """Wait while the thread may be a card whose ts is not stored yet; the seconds
        waited, or CardNotRecorded past `card_record_wait_s`. Reads only: the write that
        records the card must not queue behind the wait."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        posted_at = _ts_time(thread_ts)
        while True:
            async with self.db.read() as session:
                if await case_store.get_case_by_card(session, channel=channel, ts=thread_ts):
                    break
                # A card post enqueued after the thread began cannot be its first message.
                if posted_at is None or not await outbox_store.card_post_unsettled(
                    session, enqueued_by=posted_at + CLOCK_SKEW
                ):
                    break
                if await case_store.was_a_card(session, channel=channel, ts=thread_ts):
                    break  # a card the case has moved on from (a transfer)
            if loop.time() - started >= self.card_record_wait_s:
                raise CardNotRecorded(thread_ts)
            await asyncio.sleep(CARD_RECORD_POLL_S)
        return loop.time() - started

    async def _unrelayed_before(
        self, slack: AsyncWebClient, channel: str, reply: ThreadReply, *, timeout_s: float
    ) -> list[ThreadReply]:
        """Replies in the thread between the newest one stored and `reply`, oldest first.

        Read outside any transaction (a network call never holds the database). Whatever
        goes wrong here, the reply is relayed as it came, as it was before this check.
        """
        started = self.clock()
        checked = self._checked.get(reply.thread_ts)
        if checked is not None and checked > self._last_failure:
            return []
        if self._gap_paused_until is not None and started < self._gap_paused_until:
            return []
        async with self.db.read() as session:
            start = await _gap_start(session, channel=channel, reply=reply)
        if start is None:
            return []
        ref, oldest = start
        try:
            async with asyncio.timeout(max(timeout_s, 0.1)):
                listed = await thread_messages(
                    slack,
                    channel=channel,
                    ts=reply.thread_ts,
                    oldest=oldest,
                    limit=GAP_PAGE_LIMIT,
                    max_pages=GAP_MAX_PAGES,
                )
                earlier = sorted(
                    (
                        found
                        for found in map(thread_reply_of, listed)
                        if found is not None
                        and found.thread_ts == reply.thread_ts
                        and _ts_before(oldest, found.ts)
                        and _ts_before(found.ts, reply.ts)
                    ),
                    key=lambda found: _ts_key(found.ts) or (0, 0),
                )
                names = {reply.user: reply.user_name}
                for found in earlier:
                    if found.user not in names:
                        names[found.user] = await agent_first_name(slack, found.user)
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            if isinstance(exc, SlackApiError) and exc.response.status_code == 429:
                pause = _retry_after(exc.response.headers) or GAP_PAUSE_DEFAULT_S
                self._gap_paused_until = self.clock() + timedelta(seconds=pause)
            reason = (
                exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            )
            log.warning("%s: thread gap check failed (%s); relaying the reply alone", ref, reason)
            return []
        self._checked[reply.thread_ts] = started
        self._checked.move_to_end(reply.thread_ts)
        if len(self._checked) > CHECKED_THREADS_KEPT:
            self._checked.popitem(last=False)  # forgotten: checked again when it matters
        if earlier:
            log.info("%s: relaying %d missed thread replies first", ref, len(earlier))
        return [replace(found, user_name=names[found.user]) for found in earlier]

    # -- the agents' toolkit ---------------------------------------------------------------

    async def transfer(
        self,
        *,
        case_id: str,
        to_queue: str,
        reason: str,
        agent_id: str,
        routing: Routing,
        request_id: str | None = None,
    ) -> Case:
        """Move a case to another queue; the old card points at the new one.

        Args:
            reason: why, in the agent's words (audit trail and the old thread).
            request_id: the transfer box's view id: the same box submitted twice moves
                the case once (see handoffs.transfer).
        """
        now = self.clock()
        async with self.db.transaction() as session:
            case = await case_store.require_case(session, case_id=case_id, for_update=True)
            text = self.engine.system_text(
                "transferred",
                locale=case.locale,
                label=self.engine.queue_label(to_queue, locale=case.locale),
                wait=str(self.engine.queue_wait_minutes(to_queue)),
            )
            opened = await handoffs.transfer(
                session,
                case=case,
                to_queue=to_queue,
                reason=reason,
                agent_id=agent_id,
                routing=routing,
                now=now,
                transferred_text=text,
                request_id=request_id,
            )
        if opened is not None:
            await self.bus.publish(case_id)
            self.on_outbox()
        return case

    async def release(
        self, *, case_id: str, agent_id: str, agent_name: str | None = None
    ) -> Case | None:
        """Give a claimed case back to the queue; None if another agent holds it (and
        Conflict if nobody does: see handoffs.release)."""
        now = self.clock()
        async with self.db.transaction() as session:
            case = await case_store.require_case(session, case_id=case_id)
            queue = case.queue or "general"
            # "{Who} had to step away": who is the agent leaving, by first name.
            text = self.engine.system_text(
                "released",
                locale=case.locale,
                who=agent_name or self.engine.queue_label(queue, locale=case.locale),
                wait=str(self.engine.queue_wait_minutes(queue)),
            )
            released = await handoffs.release(
                session, case_id=case_id, agent_id=agent_id, now=now, released_text=text
            )
        if released is not None:
            await self.bus.publish(case_id)
            self.on_outbox()
        return released


async def _store_reply(
    session: AsyncSession, case: Case, reply: ThreadReply, now: datetime
) -> RelayOutcome:
    if await message_store.find_by_slack_ts(session, case_id=case.id, slack_ts=reply.ts):
        return "duplicate"
    if case.erased_at is not None:
        return "closed"  # erased at the person's request: nothing more is stored for it
    note = is_internal_note(reply.text)
    if not note and case.status == "queued":
        return "not_claimed"
    if not note and case.status not in ("agent",):
        return "closed"
    await message_store.add_message(
        session,
        case_id=case.id,
        sender="agent",
        text=slack_to_plain(reply.text),
        now=now,
        internal=note,
        author_id=reply.user,
        author_name=reply.user_name,
        slack_ts=reply.ts,
    )
    handoff = await case_store.open_handoff(session, case_id=case.id)
    if not note and handoff is not None and handoff.first_agent_reply_at is None:
        handoff.first_agent_reply_at = now
        session.add(handoff)
    await case_store.add_event(
        session,
        case_id=case.id,
        handoff_id=handoff.id if handoff else None,
        kind="agent_note" if note else "agent_reply",
        actor=reply.user,
        now=now,
    )
    return "note" if note else "relayed"


# -- reading a case thread's gap ------------------------------------------------------------


async def _gap_start(
    session: AsyncSession, *, channel: str, reply: ThreadReply
) -> tuple[str, str] | None:
    """(case ref, the ts after which replies may be missing), or None when none can be:
    not a claimed case, or `reply` already stored."""
    case = await case_store.get_case_by_card(session, channel=channel, ts=reply.thread_ts)
    if case is None or case.status != "agent":
        return None
    if await message_store.find_by_slack_ts(session, case_id=case.id, slack_ts=reply.ts):
        return None
    handoff = await case_store.open_handoff(session, case_id=case.id)
    if handoff is None or handoff.claimed_at is None:
        return None
    # What agents wrote before the claim was refused ("claim the case first"), never
    # relayed later. Slack's clock and ours agree to well under a second.
    oldest = f"{handoff.claimed_at.timestamp():.6f}"
    for ts in await message_store.agent_slack_ts(session, case_id=case.id):
        if _ts_before(oldest, ts):
            oldest = ts
    if not _ts_before(oldest, reply.ts):
        return None
    return case.ref, oldest


def _ts_key(ts: str) -> tuple[int, int] | None:
    """A Slack ts ("seconds.micros") as numbers; None for anything else (a Reply box's id)."""
    seconds, dot, micros = ts.partition(".")
    if not (seconds.isdigit() and dot and micros.isdigit()):
        return None
    return int(seconds), int(micros.ljust(6, "0")[:6])


def _ts_time(ts: str) -> datetime | None:
    key = _ts_key(ts)
    if key is None:
        return None
    return datetime.fromtimestamp(key[0], UTC) + timedelta(microseconds=key[1])


def _ts_before(a: str, b: str) -> bool:
    key_a, key_b = _ts_key(a), _ts_key(b)
    return key_a is not None and key_b is not None and key_a < key_b


def _retry_after(headers: Mapping[str, Any]) -> int | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(1, int(value))
            except (TypeError, ValueError):
                return None
    return None
