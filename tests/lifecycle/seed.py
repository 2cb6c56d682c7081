"""A case store seeded with old and new cases, each carrying every kind of linked row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store.models import Compensation, HandOff

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
# What a person writes: the text that must not survive a purge or an erasure.
PERSONAL = "I was charged twice on card 4111 and my therapist Dr Ames knows about my panic"
NOTE = "note: person sounds shaky, check in tomorrow"
TRANSFER_REASON = "she mentioned her ex has her login"


@dataclass
class Seeded:
    case_id: str
    ref: str
    handoff_id: int | None
    message_ids: list[int] = field(default_factory=list)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def seed_case(
    session: AsyncSession,
    *,
    age_days: float,
    status: str = "resolved",
    person_ref: str | None = None,
    handed_off: bool = True,
    text: str = PERSONAL,
    card: tuple[str, str] | None = None,
    now: datetime = NOW,
) -> Seeded:
    """A case opened `age_days` ago and last active then: the person's messages, the bot's
    reply, an agent reply and an internal note, a hand-off with its metric timestamps, an
    audit trail (one event with agent-typed text), a delivered outbox item, a credit."""
    opened = now - timedelta(days=age_days)
    case = await case_store.create_case(
        session, now=opened, locale="en", region="US", person_ref=person_ref
    )
    case.topic, case.queue, case.severity = "billing", "billing", "normal"
    case.summary = "you were charged twice on card ending [card]"
    case.engine_state = {"turns": 3, "last_text": text}
    case.csat_score = 4 if status == "resolved" else None
    seeded = Seeded(case_id=case.id, ref=case.ref, handoff_id=None)
    for minute, sender, body, internal in (
        (0, "user", text, False),
        (1, "bot", "You were charged twice; a billing specialist will join here.", False),
        (5, "agent", "Hi, I have refunded the second charge.", False),
        (6, "agent", NOTE, True),
    ):
        message = await message_store.add_message(
            session,
            case_id=case.id,
            sender=sender,
            text=body,
            now=opened + timedelta(minutes=minute),
            internal=internal,
            author_id="U0AGENT1" if sender == "agent" else None,
        )
        assert message.id is not None
        seeded.message_ids.append(message.id)
    if handed_off:
        handoff = HandOff(
            case_id=case.id,
            queue="billing",
            reason="wants_human",
            severity="normal",
            status="resolved" if status == "resolved" else "claimed",
            slack_channel=card[0] if card else None,
            slack_ts=card[1] if card else None,
            claimed_by="U0AGENT1",
            resolved_by="U0AGENT1" if status == "resolved" else None,
            created_at=opened + timedelta(minutes=1),
            posted_at=opened + timedelta(minutes=1, seconds=2),
            claimed_at=opened + timedelta(minutes=3),
            first_agent_reply_at=opened + timedelta(minutes=5),
            resolved_at=opened + timedelta(minutes=30) if status == "resolved" else None,
        )
        session.add(handoff)
        await session.flush()
        seeded.handoff_id = handoff.id
        await case_store.add_event(
            session,
            case_id=case.id,
            handoff_id=handoff.id,
            kind="handoff_created",
            actor="bot",
            now=opened + timedelta(minutes=1),
            data={"queue": "billing", "reason": "wants_human", "severity": "normal"},
        )
        await case_store.add_event(
            session,
            case_id=case.id,
            handoff_id=handoff.id,
            kind="transferred",
            actor="U0AGENT1",
            now=opened + timedelta(minutes=2),
            data={"from": "general", "to": "billing", "reason": TRANSFER_REASON},
        )
        item = await outbox_store.enqueue(
            session,
            kind="thread_message",
            now=opened + timedelta(minutes=4),
            channel="support-billing",
            ordering_key=f"case:{case.id}",
            payload={
                "case_id": case.id,
                "handoff_id": handoff.id,
                "message_id": seeded.message_ids[0],
            },
        )
        item.status = "done"
        session.add(
            Compensation(
                id=f"cmp{case.id[:20]}",
                case_id=case.id,
                kind="credit",
                amount_cents=2500,
                currency="USD",
                reason=f"double charge; {text}",
                status="applied",
                requested_by="U0AGENT1",
                decided_by="U0AGENT1",
                created_at=opened + timedelta(minutes=10),
                decided_at=opened + timedelta(minutes=10),
            )
        )
    case.status = status
    case.updated_at = opened + timedelta(minutes=30)
    case.resolved_at = opened + timedelta(minutes=30) if status == "resolved" else None
    session.add(case)
    await session.flush()
    return seeded
