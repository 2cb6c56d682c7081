"""The agents' toolkit, wired into the app: services, outbox deliveries, the incident schedule.

`install(app)` is called once by `create_app` after the outbox worker is built; the
toolkit's side effects reach Slack and billing through the same outbox as everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from aiohttp import web

from bot import keys
from bot.cards import build_card, card_text, channel_mention
from bot.compensation import Compensations, approval_blocks, approval_text, billing_delivery
from bot.contact import ContactRoutes
from bot.incidents import Incidents
from bot.outbox import OutboxWorker, PermanentFailure
from bot.privacy.redact import safe_for_slack
from bot.root_causes import load_root_causes
from bot.store import cases as case_store
from bot.store import history as history_store
from bot.store.lifecycle import APPROVAL_POSTED, ERASURE_REASON, queue_slack_clean_up
from bot.store.models import Compensation, HandOff, OutboxItem

log = logging.getLogger(__name__)

COMPENSATIONS = web.AppKey("compensations", Compensations)
INCIDENTS = web.AppKey("incidents", Incidents)
CONTACT = web.AppKey("contact", ContactRoutes)
ROOT_CAUSES = web.AppKey("root_causes", dict)


def install(app: web.Application) -> None:
    """Build the toolkit's services and register its outbox kinds on `app`'s worker."""
    settings = app[keys.SETTINGS]
    db, bus, clock, outbox = app[keys.DB], app[keys.BUS], app[keys.CLOCK], app[keys.OUTBOX]
    engine = app[keys.ENGINE]
    app[ROOT_CAUSES] = load_root_causes(settings.data_dir)
    app[COMPENSATIONS] = Compensations(
        db=db,
        bus=bus,
        clock=clock,
        engine=engine,
        limit=Decimal(str(settings.compensation_limit)),
        currency=settings.currency,
        leads=settings.leads,
        leads_channel=settings.leads_channel,
        billing_enabled=bool(settings.billing_webhook_url),
        on_outbox=outbox.nudge,
    )
    app[INCIDENTS] = Incidents(
        db=db,
        bus=bus,
        clock=clock,
        engine=engine,
        routing=app[keys.ROUTING],
        topic_of=lambda text: engine.understander.understand(text).topic,
        update_every_s=settings.incident_update_every_s,
        suggest_cases=settings.incident_suggest_cases,
        suggest_window_s=settings.incident_suggest_window_s,
        leads_channel=settings.leads_channel,
        on_outbox=outbox.nudge,
    )
    app[CONTACT] = ContactRoutes(db=db, bus=bus, clock=clock, engine=engine, on_outbox=outbox.nudge)
    outbox.register("moved_card", moved_card_delivery(outbox))
    outbox.register("approval_request", approval_delivery(outbox))
    outbox.register("incident_suggestion", channel_post_delivery(outbox))
    if settings.billing_webhook_url:
        outbox.register(
            "billing_webhook",
            billing_delivery(
                db=db, url=settings.billing_webhook_url, secret=settings.billing_webhook_secret
            ),
        )
    incidents = app[INCIDENTS]

    async def incident_round(_now: datetime) -> None:
        await incidents.tick()

    # Under the periodic lease one instance runs a round; the unique (incident, number)
    # row still stops a second send if two rounds ever overlap.
    app[keys.PERIODIC].every(settings.incident_tick_s, "incidents", incident_round)


Delivery = Callable[[OutboxItem], Awaitable[None]]


def moved_card_delivery(worker: OutboxWorker) -> Delivery:
    """The old card of a transferred case: "Moved to #x", and why in its thread."""

    async def deliver(item: OutboxItem) -> None:
        async with worker.db.transaction() as session:
            case = await case_store.get_case(session, case_id=item.payload["case_id"])
            handoff = await session.get(HandOff, item.payload["handoff_id"])
            if case is None or handoff is None:
                raise PermanentFailure("case or hand-off no longer exists")
            earlier = await history_store.earlier_cases(
                session, person_ref=case.person_ref, case_id=case.id
            )
        if not handoff.slack_channel or not handoff.slack_ts:
            return  # the old card never reached Slack; the new one says it all
        if case.erased_at is not None:
            return  # the erasure's clean-up marked the card and emptied its thread
        view = replace(
            worker.card_view(case, handoff, earlier), moved_to=str(item.payload["to_channel"])
        )
        await worker.client.chat_update(
            channel=handoff.slack_channel,
            ts=handoff.slack_ts,
            text=card_text(view),
            blocks=build_card(view),
        )
        # Typed by an agent, perhaps quoting the person: redacted as the person's words are.
        # (Gone if the transcript was erased meanwhile.)
        reason = safe_for_slack(str(item.payload.get("reason") or ""))
        await worker.post_once(
            item,
            channel=handoff.slack_channel,
            thread_ts=handoff.slack_ts,
            text=f":arrow_right: <@{item.payload['by']}> moved this case to "
            f"{channel_mention(str(item.payload['to_channel']))}"
            + (f": {reason}" if reason else "."),
        )

    return deliver


def approval_delivery(worker: OutboxWorker) -> Delivery:
    """A lead's Approve/Decline message: in the leads channel, or the case's thread."""

    async def deliver(item: OutboxItem) -> None:
        async with worker.db.transaction() as session:
            case = await case_store.get_case(session, case_id=item.payload["case_id"])
            row = await session.get(Compensation, item.payload["compensation_id"])
            handoff_id = item.payload.get("handoff_id")
            handoff = await session.get(HandOff, handoff_id) if handoff_id else None
        if case is None or row is None:
            raise PermanentFailure("case or compensation no longer exists")
        blocks = approval_blocks(row, case)
        text = approval_text(case)
        leads_channel = item.payload.get("leads_channel")
        if leads_channel:
            channel_id, ts = await worker.post_once(
                item, channel=str(leads_channel), text=text, blocks=blocks
            )
            # Outside the case's thread, so an erasure or a purge must find it by this.
            async with worker.db.transaction() as session:
                # Locked as an erasure locks it: either the erasure finds this post, or
                # this finds the case erased.
                fresh = await case_store.get_case(session, case_id=case.id, for_update=True)
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    kind=APPROVAL_POSTED,
                    actor="bot",
                    now=worker.clock(),
                    data={"channel": channel_id, "ts": ts, "compensation_id": row.id},
                )
                if fresh is not None and fresh.erased_at is not None:
                    # Erased while the request was on its way, quoting the agent's reason.
                    await queue_slack_clean_up(
                        session,
                        case_id=case.id,
                        handoffs=[],
                        posts=[(channel_id, ts, row.id)],
                        reason=ERASURE_REASON,
                        now=worker.clock(),
                    )
            return
        if handoff is None or not handoff.slack_channel or not handoff.slack_ts:
            raise PermanentFailure("no leads channel and no card thread to ask in")
        await worker.post_once(
            item,
            channel=handoff.slack_channel,
            thread_ts=handoff.slack_ts,
            text=text,
            blocks=blocks,
        )

    return deliver


def channel_post_delivery(worker: OutboxWorker) -> Delivery:
    async def deliver(item: OutboxItem) -> None:
        await worker.post_once(
            item, channel=str(item.payload["channel"]), text=str(item.payload["text"])
        )

    return deliver
