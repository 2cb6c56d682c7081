"""Incidents: a known problem many people hit at once.

Starting one links every open case of its topic (and new ones as they arrive); each person
is told it is a known problem and when the next update comes, then gets an update on a
schedule until the incident is resolved, which tells everyone. Every update is sent once,
whichever instance runs the schedule: each is a row unique on (incident, number), taken
in the same transaction as the messages it sends.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bus import Bus
from bot.clock import Clock
from bot.conversation.engine import Engine
from bot.errors import Conflict, Invalid, NotFound
from bot.routing import Routing
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store.cases import REF_ALPHABET
from bot.store.db import Database
from bot.store.models import Case, Incident, IncidentUpdate, Lease

log = logging.getLogger(__name__)

OPEN_STATUSES = ("bot", "queued", "agent")
TITLE_MAX_CHARS = 200
TOPICS = (
    "billing",
    "cancellation",
    "session",
    "account",
    "matching",
    "scheduling",
    "privacy",
    "clinical",
    "other",
)


def next_update(at: datetime) -> str:
    """When the next update comes, as the person reads it ("14:30 UTC")."""
    return f"{at:%H:%M} UTC"


def new_incident_ref() -> str:
    return "I-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(5))


@dataclass(frozen=True)
class Started:
    incident: Incident
    linked: int


class Incidents:
    """Start, link, update on schedule, resolve, and suggest incidents."""

    def __init__(
        self,
        *,
        db: Database,
        bus: Bus,
        clock: Clock,
        engine: Engine,
        routing: Routing,
        topic_of: Callable[[str], str],
        update_every_s: int,
        suggest_cases: int,
        suggest_window_s: int,
        leads_channel: str | None,
        instance: str | None = None,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.engine = engine
        self.routing = routing
        self.topic_of = topic_of
        self.every = timedelta(seconds=update_every_s)
        self.suggest_cases = suggest_cases
        self.suggest_window = timedelta(seconds=suggest_window_s)
        self.leads_channel = leads_channel
        self.instance = instance or secrets.token_hex(6)
        self.on_outbox = on_outbox

    async def start(self, *, title: str, started_by: str, topic: str | None = None) -> Started:
        """Open an incident and tell everyone with an open case of its topic; refused while
        another incident of that topic is open.

        Args:
            topic: which cases it covers; understood from the title when None.
        """
        title = " ".join(title.split())
        if not title:
            raise Invalid("title_required", 'Name it: /incident start "Video sessions failing"')
        if len(title) > TITLE_MAX_CHARS:
            raise Invalid("title_too_long", f"Keep the title under {TITLE_MAX_CHARS} chars.")
        topic = topic or self.topic_of(title)
        if topic not in TOPICS:
            raise Invalid("topic_invalid", f"Topic must be one of: {', '.join(TOPICS)}.")
        now = self.clock()
        async with self.db.transaction() as session:
            await hold_topic(session, topic=topic, now=now)
            covering = [i for i in await open_incidents(session) if i.topic == topic]
            if covering:
                known = covering[0]
                raise Conflict(
                    "incident_open_already",
                    f"{known.ref} is open for `{topic}` already: {known.title}. "
                    f"Resolve it first (`/incident resolve {known.ref}`) to start another.",
                )
            incident = Incident(
                ref=new_incident_ref(),
                title=title,
                topic=topic,
                started_by=started_by,
                update_every_s=int(self.every.total_seconds()),
                next_update_at=now + self.every,
                started_at=now,
            )
            session.add(incident)
            await session.flush()
            linked = await self._link(session, incident=incident, now=now)
        await self._published(linked)
        return Started(incident=incident, linked=len(linked))

    async def link_new_cases(self) -> int:
        """Cases of an open incident's topic that arrived since: link and tell them."""
        now = self.clock()
        linked: list[str] = []
        async with self.db.transaction() as session:
            for incident in await open_incidents(session):
                linked += await self._link(session, incident=incident, now=now)
        await self._published(linked)
        return len(linked)

    async def _link(self, session: AsyncSession, *, incident: Incident, now: datetime) -> list[str]:
        query = select(Case).where(
            col(Case.status).in_(OPEN_STATUSES),
            Case.topic == incident.topic,
            col(Case.incident_id).is_(None),
            col(Case.erased_at).is_(None),
        )
        linked = []
        for case in (await session.exec(query)).all():
            case.incident_id = incident.id
            session.add(case)
            await message_store.add_message(
                session,
                case_id=case.id,
                sender="system",
                text=self.engine.system_text(
                    "incident_linked",
                    locale=case.locale,
                    title=incident.title,
                    time=next_update(incident.next_update_at),
                ),
                now=now,
            )
            await case_store.add_event(
                session,
                case_id=case.id,
                kind="incident_linked",
                actor="bot",
                now=now,
                data={"incident": incident.ref},
            )
            linked.append(case.id)
        return linked

    async def send_due_updates(self) -> int:
        """Send every update that is due, once across all instances; the number sent."""
        now = self.clock()
        async with self.db.transaction() as session:
            due = [
                i.id
                for i in await open_incidents(session)
                if i.next_update_at <= now and i.id is not None
            ]
        sent = 0
        for incident_id in due:
            try:
                cases = await self._send_update(incident_id, now=now)
            except IntegrityError:
                continue  # another instance sent this update first
            if cases is not None:
                sent += 1
                await self._published(cases)
        return sent

    async def _send_update(self, incident_id: int, *, now: datetime) -> list[str] | None:
        async with self.db.transaction() as session:
            query = select(Incident).where(Incident.id == incident_id).with_for_update()
            incident = (await session.exec(query)).first()
            if incident is None or incident.status != "open" or incident.next_update_at > now:
                return None
            number = incident.updates_sent + 1
            session.add(
                IncidentUpdate(
                    incident_id=incident_id, number=number, holder=self.instance, sent_at=now
                )
            )
            await session.flush()  # the unique (incident, number) row: one sender wins
            incident.updates_sent = number
            # On schedule; after a long pause (every instance down) one update, not a burst.
            following = incident.next_update_at + self.every
            incident.next_update_at = following if following > now else now + self.every
            session.add(incident)
            cases = await linked_open_cases(session, incident_id=incident_id)
            for case in cases:
                await message_store.add_message(
                    session,
                    case_id=case.id,
                    sender="system",
                    text=self.engine.system_text(
                        "incident_update",
                        locale=case.locale,
                        title=incident.title,
                        time=next_update(incident.next_update_at),
                    ),
                    now=now,
                )
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    kind="incident_update",
                    actor="bot",
                    now=now,
                    data={"incident": incident.ref, "number": number},
                )
            return [c.id for c in cases]

    async def resolve(self, *, resolved_by: str, ref: str | None = None) -> tuple[Incident, int]:
        """Close the incident (the only open one when `ref` is None) and tell everyone."""
        now = self.clock()
        async with self.db.transaction() as session:
            incident = await self._pick(session, ref=ref)
            moved = await session.exec(
                update(Incident)
                .where(col(Incident.id) == incident.id, Incident.status == "open")
                .values(status="resolved", resolved_by=resolved_by, resolved_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("incident_closed", f"{incident.ref} is already resolved.")
            await session.refresh(incident)
            # Closed cases hear it too; erased ones take no more messages.
            query = select(Case).where(
                Case.incident_id == incident.id, col(Case.erased_at).is_(None)
            )
            told = []
            for case in (await session.exec(query)).all():
                await message_store.add_message(
                    session,
                    case_id=case.id,
                    sender="system",
                    text=self.engine.system_text(
                        "incident_resolved", locale=case.locale, title=incident.title
                    ),
                    now=now,
                )
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    kind="incident_resolved",
                    actor=resolved_by,
                    now=now,
                    data={"incident": incident.ref},
                )
                told.append(case.id)
        await self._published(told)
        return incident, len(told)

    async def _pick(self, session: AsyncSession, *, ref: str | None) -> Incident:
        if ref:
            query = select(Incident).where(Incident.ref == ref.upper())
            found = (await session.exec(query)).first()
            if found is None:
                raise NotFound("incident_not_found", f"No incident {ref}.")
            return found
        current = await open_incidents(session)
        if not current:
            raise NotFound("no_open_incident", "There is no open incident.")
        if len(current) > 1:
            refs = ", ".join(i.ref for i in current)
            raise Invalid("which_incident", f"Several are open ({refs}): name one.")
        return current[0]

    async def suggest(self) -> list[str]:
        """Topics with a burst of new cases and no open incident: ask the leads, once each."""
        now = self.clock()
        suggested: list[str] = []
        async with self.db.transaction() as session:
            covered = {i.topic for i in await open_incidents(session)}
            query = (
                select(Case.topic, func.count())
                .where(col(Case.created_at) >= now - self.suggest_window, Case.status != "bot")
                .group_by(Case.topic)
            )
            for topic, count in (await session.exec(query)).all():
                if not topic or topic in covered or int(count) < self.suggest_cases:
                    continue
                if not await take_lease(
                    session,
                    name=f"incident-suggest:{topic}",
                    holder=self.instance,
                    now=now,
                    until=now + self.suggest_window,
                ):
                    continue
                channel = self.leads_channel or self.routing.queue_for_topic(topic).channel
                await outbox_store.enqueue(
                    session,
                    kind="incident_suggestion",
                    now=now,
                    channel=channel,
                    payload={
                        "channel": channel,
                        "text": f":warning: {count} `{topic}` cases in the last "
                        f"{int(self.suggest_window.total_seconds() // 60)} minutes. If it is "
                        f'one problem, start an incident: `/incident start "what is failing"`',
                    },
                )
                suggested.append(topic)
        if suggested:
            self.on_outbox()
        return suggested

    async def tick(self) -> None:
        """One round of the schedule (every instance runs it; each update is sent once)."""
        await self.link_new_cases()
        await self.send_due_updates()
        await self.suggest()

    async def _published(self, case_ids: list[str]) -> None:
        for case_id in case_ids:
            await self.bus.publish(case_id)


async def open_incidents(session: AsyncSession) -> list[Incident]:
    query = select(Incident).where(Incident.status == "open").order_by(col(Incident.id))
    return list((await session.exec(query)).all())


async def linked_open_cases(session: AsyncSession, *, incident_id: int) -> list[Case]:
    query = select(Case).where(
        Case.incident_id == incident_id,
        col(Case.status).in_(OPEN_STATUSES),
        col(Case.erased_at).is_(None),
    )
    return list((await session.exec(query)).all())


async def hold_topic(session: AsyncSession, *, topic: str, now: datetime) -> None:
    """Lock the topic's row until the transaction ends: of two starts at once, the second
    waits and then sees the first's incident. (A lease row that never expires anything:
    only its lock is used.)"""
    name = f"incident-topic:{topic}"
    if await session.get(Lease, name, with_for_update=True) is not None:
        return
    try:
        async with session.begin_nested():  # another start may create it first
            session.add(Lease(name=name, holder="incidents", expires_at=now))
    except IntegrityError:
        await session.get(Lease, name, with_for_update=True, populate_existing=True)


async def take_lease(
    session: AsyncSession, *, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    """Hold the named lease until `until` unless someone else holds it now."""
    taken = await session.exec(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.expires_at) < now)
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if await session.get(Lease, name) is not None:
        return False
    try:
        async with session.begin_nested():  # another instance may create it first
            session.add(Lease(name=name, holder=holder, expires_at=until))
    except IntegrityError:
        return False
    return True
