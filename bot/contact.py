"""Moving to a route that works: an agent offers a call or a secure text, the person picks.

The person answers over the chat API (`POST /api/v1/conversations/{id}/contact`); the route
is stored on the case, shown on the card ("Contact") and noted in the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bus import Bus
from bot.chat import erased
from bot.clock import Clock
from bot.conversation.engine import Engine
from bot.errors import Conflict, Invalid, NotFound
from bot.handoff import note_in_thread, refresh_card
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.models import Case

ROUTES = ("phone", "text", "chat")
ROUTE_LABELS = {"phone": "phone call", "text": "secure text callback", "chat": "chat"}


class ContactRoutes:
    """An agent's offer and the person's answer; the person reads `system.contact_*` lines."""

    def __init__(
        self,
        *,
        db: Database,
        bus: Bus,
        clock: Clock,
        engine: Engine,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.engine = engine
        self.on_outbox = on_outbox

    async def offer(self, *, case_id: str, agent_id: str) -> Case:
        """The agent offers a call or a text: the person gets a system message asking which."""
        now = self.clock()
        async with self.db.transaction() as session:
            # Locked: of two clicks at once, the second sees the first's offer.
            case = await case_store.require_case(session, case_id=case_id, for_update=True)
            if case.status != "agent":
                raise Conflict("not_claimed", f"Claim {case.ref} before offering a callback.")
            # Unanswered since the current claim: a later claim (after a release, or when
            # the case came back) may offer again.
            last = await case_store.latest_event_kind(
                session, case_id=case_id, kinds=("callback_offered", "contact_chosen", "claimed")
            )
            if last == "callback_offered":
                raise Conflict(
                    "callback_offered_already",
                    f"The person on {case.ref} has been asked already; their answer will "
                    "show on the card.",
                )
            await message_store.add_message(
                session,
                case_id=case_id,
                sender="system",
                text=self.engine.system_text("contact_offer", locale=case.locale),
                now=now,
            )
            await case_store.add_event(
                session, case_id=case_id, kind="callback_offered", actor=agent_id, now=now
            )
            await self._thread_notice(
                session,
                case=case,
                now=now,
                text=f":telephone_receiver: <@{agent_id}> offered a phone call or a secure "
                "text; the person's answer will show here and on the card.",
            )
        await self.bus.publish(case_id)
        self.on_outbox()
        return case

    async def choose(self, *, case_id: str, route: object) -> Case:
        """The person answers the agent's pending offer with phone, text or chat; the card
        and the thread show it. The same answer again changes nothing; another is refused.

        Args:
            case_id: the conversation.
            route: "phone", "text" or "chat", as the person sent it.
        """
        if route not in ROUTES:
            raise Invalid("route_invalid", '`route` must be "phone", "text" or "chat".')
        assert isinstance(route, str)
        now = self.clock()
        async with self.db.transaction() as session:
            # Locked: of a POST and its retry at once, the second sees the first's choice.
            case = await case_store.get_case(session, case_id=case_id, for_update=True)
            if case is None:
                raise NotFound("conversation_not_found", "No such conversation.")
            if case.erased_at is not None:
                raise erased()
            last = await case_store.latest_event_kind(
                session, case_id=case_id, kinds=("callback_offered", "contact_chosen", "claimed")
            )
            if case.status == "agent" and last == "contact_chosen":
                if case.preferred_contact == route:
                    return case  # a retry of the answer already taken: nothing changes
                raise Conflict(
                    "contact_chosen_already",
                    f"You answered already ({ROUTE_LABELS[case.preferred_contact or 'chat']}); "
                    "tell the agent in the chat if you would like another way.",
                )
            if case.status != "agent" or last != "callback_offered":
                raise Conflict(
                    "no_callback_offered",
                    "No one has offered a call or a text on this conversation; "
                    "the agent will ask when they can.",
                )
            case.preferred_contact = route
            case.updated_at = now
            session.add(case)
            await message_store.add_message(
                session,
                case_id=case_id,
                sender="system",
                text=self.engine.system_text(f"contact_{route}", locale=case.locale),
                now=now,
            )
            await case_store.add_event(
                session,
                case_id=case_id,
                kind="contact_chosen",
                actor="person",
                now=now,
                data={"route": route},
            )
            await self._thread_notice(
                session,
                case=case,
                now=now,
                text=f":telephone_receiver: The person prefers a *{ROUTE_LABELS[route]}*.",
                update_card=True,
            )
        await self.bus.publish(case_id)
        self.on_outbox()
        return case

    @staticmethod
    async def _thread_notice(
        session: AsyncSession, *, case: Case, now: datetime, text: str, update_card: bool = False
    ) -> None:
        handoff = await case_store.open_handoff(session, case_id=case.id)
        if handoff is None:
            return  # no card to note it on; the case row and the audit trail have it
        if update_card:
            await refresh_card(session, case_id=case.id, handoff=handoff, now=now)
        await note_in_thread(session, case_id=case.id, handoff=handoff, text=text, now=now)
