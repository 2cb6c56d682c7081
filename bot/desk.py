"""The agent's side: claim, resolve, and relay thread replies to the person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot import handoff as handoffs
from bot.bus import Bus
from bot.clock import Clock
from bot.conversation.engine import Engine
from bot.routing import Routing
from bot.slack_text import is_internal_note, slack_to_plain
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import seen as seen_store
from bot.store.db import Database
from bot.store.models import Case

# Slack stops retrying an event after about an hour; keep ids a little longer.
SEEN_KEY_TTL = timedelta(hours=2)

RelayOutcome = Literal["relayed", "note", "not_a_case", "not_claimed", "duplicate", "closed"]


@dataclass(frozen=True)
class Relayed:
    outcome: RelayOutcome
    case: Case | None = None


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

    async def first_time(self, key: str) -> bool:
        """True the first time any instance sees `key` (a Slack event id, a signature)."""
        async with self.db.transaction() as session:
            return await seen_store.mark_seen(session, key=key, now=self.clock())

    async def was_seen(self, key: str) -> bool:
        async with self.db.transaction() as session:
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
    ) -> Relayed:
        """An agent wrote in a case thread: pass it to the person, or keep it as a note.

        Args:
            event_key: Slack's event id, recorded with the message so a retry of the same
                event is dropped (and, if this fails, the retry is not).
        """
        now = self.clock()
        async with self.db.transaction() as session:
            if event_key and not await seen_store.mark_seen(session, key=event_key, now=now):
                return Relayed("duplicate")
            case = await case_store.get_case_by_card(session, channel=channel, ts=thread_ts)
            if case is None:
                return Relayed("not_a_case")
            if await message_store.find_by_slack_ts(session, case_id=case.id, slack_ts=ts):
                return Relayed("duplicate", case)
            note = is_internal_note(text)
            if not note and case.status == "queued":
                return Relayed("not_claimed", case)
            if not note and case.status not in ("agent",):
                return Relayed("closed", case)
            plain = slack_to_plain(text)
            await message_store.add_message(
                session,
                case_id=case.id,
                sender="agent",
                text=plain,
                now=now,
                internal=note,
                author_id=user,
                author_name=user_name,
                slack_ts=ts,
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
                actor=user,
                now=now,
            )
        if not note:
            await self.bus.publish(case.id)
        return Relayed("note" if note else "relayed", case)

    # -- the agents' toolkit ---------------------------------------------------------------

    async def transfer(
        self, *, case_id: str, to_queue: str, reason: str, agent_id: str, routing: Routing
    ) -> Case:
        """Move a case to another queue; the old card points at the new one.

        Args:
            reason: why, in the agent's words (audit trail and the old thread).
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
            await handoffs.transfer(
                session,
                case=case,
                to_queue=to_queue,
                reason=reason,
                agent_id=agent_id,
                routing=routing,
                now=now,
                transferred_text=text,
            )
        await self.bus.publish(case_id)
        self.on_outbox()
        return case

    async def release(
        self, *, case_id: str, agent_id: str, agent_name: str | None = None
    ) -> Case | None:
        """Give a claimed case back to the queue; None unless `agent_id` held it."""
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
