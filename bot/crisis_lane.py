"""The crisis lane: until a human claims an urgent case, keep pinging and stay with the person.

The card itself is posted first by the outbox (crisis priority) and pings the on-call
group. After that, every `reping_s` without a claim the thread pings again, widening to
the leads from the second re-ping; and every `stay_s` the person gets a short message
that someone is coming. The bot never closes a crisis case: only a human resolves it.
Every step is an audit event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bus import Bus
from bot.conversation.engine import Engine
from bot.handoff import note_in_thread
from bot.routing import Routing
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store.db import Database

CRISIS_QUEUE = "crisis"


class CrisisLane:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        routing: Routing,
        bus: Bus,
        reping_s: float,
        stay_s: float,
        oncall: Sequence[str] = (),
        load: Callable[[AsyncSession, datetime], Awaitable[set[str]]] | None = None,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.routing = routing
        self.bus = bus
        self.reping_s = reping_s
        self.stay_s = stay_s
        self.oncall = tuple(oncall)
        # Who is past their load of intense cases (bot.agent_load): not pinged.
        self.load = load
        self.on_outbox = on_outbox

    async def reping(self, now: datetime) -> int:
        """Ping again for every crisis card unclaimed for `reping_s`; returns how many."""
        queue = self.routing.queue(CRISIS_QUEUE)
        pinged = 0
        async with self.db.transaction() as session:
            for handoff, case in await case_store.unclaimed_handoffs(
                session, queue=queue.name, posted=True
            ):
                last = handoff.last_pinged_at or handoff.posted_at or handoff.created_at
                if now - last < timedelta(seconds=self.reping_s):
                    continue
                handoff.pings += 1
                handoff.last_pinged_at = now
                session.add(handoff)
                waited = int((now - handoff.created_at).total_seconds() // 60)
                first = await self._who_to_ping(session, now, group=queue.ping)
                wider = queue.escalate_to if handoff.pings >= 2 else None
                who = " ".join(mention for mention in (first, wider) if mention)
                await note_in_thread(
                    session,
                    case_id=case.id,
                    handoff=handoff,
                    text=f"{who} :rotating_light: {case.ref} is still unclaimed after "
                    f"{waited} min. A person may be at risk: please claim it now.".strip(),
                    now=now,
                    priority=outbox_store.CRISIS_PRIORITY,
                )
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    handoff_id=handoff.id,
                    kind="crisis_repinged",
                    actor="bot",
                    now=now,
                    data={"pings": handoff.pings, "widened": handoff.pings >= 2},
                )
                pinged += 1
        if pinged:
            self.on_outbox()
        return pinged

    async def _who_to_ping(
        self, session: AsyncSession, now: datetime, *, group: str | None
    ) -> str | None:
        """The on-call agents who are not past their load, by name; else the group."""
        if not self.oncall:
            return group
        over = await self.load(session, now) if self.load is not None else set()
        fresh = [agent for agent in self.oncall if agent not in over]
        if not fresh:
            return group  # everyone is stretched: the whole group, rather than nobody
        return " ".join(f"<@{agent}>" for agent in fresh)

    async def stay_with_person(self, now: datetime) -> int:
        """A short "still here" message to each person waiting in the crisis lane."""
        told: list[str] = []
        async with self.db.transaction() as session:
            for handoff, case in await case_store.unclaimed_handoffs(session, queue=CRISIS_QUEUE):
                # This hand-off's messages only: a case back in the lane after an earlier
                # crisis starts its "still here" messages afresh. Due a stay after the last
                # one, not counted from the hand-off: after the periodic work was held up
                # (every instance restarting), one message now, not a burst.
                last = await case_store.latest_event(
                    session,
                    case_id=case.id,
                    kind="crisis_waiting_message",
                    handoff_id=handoff.id,
                )
                since = last.created_at if last is not None else handoff.created_at
                if now < since + timedelta(seconds=self.stay_s):
                    continue
                sent = await case_store.count_events(
                    session,
                    case_id=case.id,
                    kind="crisis_waiting_message",
                    handoff_id=handoff.id,
                )
                text = self.engine.crisis.waiting_message(locale=case.locale, n=sent)
                await message_store.add_message(
                    session, case_id=case.id, sender="bot", text=text, now=now
                )
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    handoff_id=handoff.id,
                    kind="crisis_waiting_message",
                    actor="bot",
                    now=now,
                    data={"n": sent + 1},
                )
                told.append(case.id)
        for case_id in told:
            await self.bus.publish(case_id)
        return len(told)
