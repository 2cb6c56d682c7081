"""Hand-offs: open one, claim it (first click wins), resolve it, move it to the crisis lane.

Each function runs inside the caller's transaction and writes the state change, its audit
event, the person-facing system message and the Slack side effects (outbox items)
together, so either all of it happens or none of it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards import EARLIER_REFS_SHOWN, earlier_cases_text
from bot.conversation.types import ConversationState, HandoffDecision
from bot.errors import Conflict, NotFound
from bot.routing import Routing
from bot.store import cases as case_store
from bot.store import history as history_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store.models import Case, HandOff, Message

SEVERITY_ORDER = {"low": 0, "normal": 1, "high": 2, "critical": 3}


def priority_for(severity: str) -> int:
    if severity == "critical":
        return outbox_store.CRISIS_PRIORITY
    return SEVERITY_ORDER.get(severity, 1)


async def _move(
    session: AsyncSession,
    *,
    case_id: str,
    from_statuses: tuple[str, ...],
    now: datetime,
    **values: object,
) -> tuple[bool, Case]:
    """Compare-and-set the case's status, then read the case as it now stands."""
    moved = await case_store.transition_status(
        session, case_id=case_id, from_statuses=from_statuses, now=now, **values
    )
    case = await case_store.require_case(session, case_id=case_id)
    await session.refresh(case)
    return moved, case


async def refresh_card(
    session: AsyncSession,
    *,
    case_id: str,
    handoff: HandOff,
    now: datetime,
    priority: int | None = None,
) -> None:
    """Queue an in-place update of the hand-off's card (after the case changed)."""
    await outbox_store.enqueue(
        session,
        kind="update_card",
        now=now,
        channel=handoff.slack_channel,
        ordering_key=f"case:{case_id}",
        priority=priority_for(handoff.severity) if priority is None else priority,
        payload={"case_id": case_id, "handoff_id": handoff.id},
    )


async def note_in_thread(
    session: AsyncSession,
    *,
    case_id: str,
    handoff: HandOff,
    text: str,
    now: datetime,
    channel: str | None = None,
    priority: int = outbox_store.NORMAL_PRIORITY,
) -> None:
    """Queue a bot line in the hand-off card's thread, in order with the case's other posts.

    Args:
        channel: where the card is or will be (defaults to where it was posted).
    """
    await outbox_store.enqueue(
        session,
        kind="thread_notice",
        now=now,
        channel=channel or handoff.slack_channel,
        ordering_key=f"case:{case_id}",
        priority=priority,
        payload={"case_id": case_id, "handoff_id": handoff.id, "text": text},
    )


async def open_handoff(
    session: AsyncSession,
    *,
    case: Case,
    decision: HandoffDecision,
    routing: Routing,
    now: datetime,
    after_seq: int,
) -> HandOff:
    """Queue the case and post its card: the HandOff row and the outbox item, together.

    Args:
        after_seq: the last message number the card's summary already covers.
    """
    handoff = queue_case(
        session, case=case, decision=decision, routing=routing, now=now, after_seq=after_seq
    )
    await session.flush()
    await announce_handoff(session, case=case, handoff=handoff, routing=routing, now=now)
    return handoff


def queue_case(
    session: AsyncSession,
    *,
    case: Case,
    decision: HandoffDecision,
    routing: Routing,
    now: datetime,
    after_seq: int,
) -> HandOff:
    """The first half of `open_handoff`: the case queued and its HandOff row added, not yet
    written. `announce_handoff` needs the row's id, so a flush must come between them;
    the chat writes many people's hand-offs with one flush."""
    queue = routing.queue(decision.queue)
    handoff = HandOff(
        case_id=case.id,
        queue=queue.name,
        reason=decision.reason,
        severity=decision.severity,
        after_seq=after_seq,
        created_at=now,
    )
    session.add(handoff)
    case.status = "queued"
    case.queue = queue.name
    case.severity = decision.severity
    case.assignee = None
    case.assignee_name = None
    case.updated_at = now
    if decision.severity == "critical":
        case.urgent = True
    session.add(case)
    return handoff


async def announce_handoff(
    session: AsyncSession, *, case: Case, handoff: HandOff, routing: Routing, now: datetime
) -> None:
    """The second half of `open_handoff`, once the HandOff row has its id: the audit
    event, the card and the links to the person's earlier cases."""
    assert handoff.id is not None, "flush the session after queue_case"
    channel = routing.queue(handoff.queue).channel
    await case_store.add_event(
        session,
        case_id=case.id,
        handoff_id=handoff.id,
        kind="handoff_created",
        actor="bot",
        now=now,
        data={"queue": handoff.queue, "reason": handoff.reason, "severity": handoff.severity},
    )
    await outbox_store.enqueue(
        session,
        kind=outbox_store.POST_CARD,
        now=now,
        channel=channel,
        ordering_key=f"case:{case.id}",
        priority=priority_for(handoff.severity),
        payload={"case_id": case.id, "handoff_id": handoff.id},
    )
    # The person's earlier cases, linked in the thread, so nobody asks them to repeat.
    # Read without flushing first: other cases' rows are already written, and a flush per
    # hand-off is what the chat's one flush for a whole batch avoids.
    with session.no_autoflush:
        earlier = await history_store.earlier_cases(
            session, person_ref=case.person_ref, case_id=case.id, limit=EARLIER_REFS_SHOWN
        )
    if earlier:
        await note_in_thread(
            session,
            case_id=case.id,
            handoff=handoff,
            text=earlier_cases_text(earlier),
            now=now,
            channel=channel,  # the card is not posted yet
            priority=priority_for(handoff.severity),
        )


async def escalate_to_crisis(
    session: AsyncSession, *, case: Case, routing: Routing, now: datetime, after_seq: int
) -> bool:
    """An open hand-off turned urgent: close the old card and put the case in the crisis
    lane. False when the case was in the crisis lane already (nothing new opened)."""
    current = await case_store.open_handoff(session, case_id=case.id)
    if current is not None:
        if current.queue == "crisis":
            return False
        current.status = "transferred"
        session.add(current)
        if not current.slack_ts:
            # Its card is still waiting in its channel's queue, perhaps behind a backlog:
            # never tried, it is not posted at all, so that the crisis card, which shares
            # the case's ordering key, does not wait behind it.
            await outbox_store.supersede_unposted_card(
                session,
                ordering_key=f"case:{case.id}",
                handoff_id=current.id,
                now=now,
                why="the case moved to the crisis lane before its card was posted",
            )
        await refresh_card(
            session,
            case_id=case.id,
            handoff=current,
            now=now,
            priority=outbox_store.CRISIS_PRIORITY,
        )
    await case_store.add_event(
        session,
        case_id=case.id,
        # The hand-off it ends, if any: an agent's hold on it ends here (bot/agent_load.py).
        handoff_id=current.id if current is not None else None,
        kind="escalated",
        actor="bot",
        now=now,
        data={"to": "crisis"},
    )
    await open_handoff(
        session,
        case=case,
        decision=HandoffDecision("crisis", "urgent_safety", "critical"),
        routing=routing,
        now=now,
        after_seq=after_seq,
    )
    return True


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder: str | None  # who has the case now
    case: Case


async def claim(
    session: AsyncSession,
    *,
    case_id: str,
    agent_id: str,
    agent_name: str | None,
    now: datetime,
    joined_text: str,
) -> ClaimResult:
    """First click wins: a compare-and-set on the case status decides, on any database."""
    won, case = await _move(
        session,
        case_id=case_id,
        from_statuses=("queued",),
        now=now,
        status="agent",
        assignee=agent_id,
        assignee_name=agent_name,
    )
    if not won:
        return ClaimResult(won=False, holder=case.assignee, case=case)
    handoff = await case_store.open_handoff(session, case_id=case_id)
    if handoff is None:
        raise Conflict("no_open_handoff", "This case has no open hand-off.")
    handoff.status, handoff.claimed_by, handoff.claimed_at = "claimed", agent_id, now
    session.add(handoff)
    await case_store.add_event(
        session, case_id=case_id, handoff_id=handoff.id, kind="claimed", actor=agent_id, now=now
    )
    await message_store.add_message(
        session, case_id=case_id, sender="system", text=joined_text, now=now
    )
    await refresh_card(session, case_id=case_id, handoff=handoff, now=now)
    # What the person wrote while waiting goes to the thread, so nobody asks them again.
    for waiting in await message_store.user_messages_after(
        session, case_id=case_id, after=handoff.after_seq
    ):
        await copy_to_thread(session, case=case, handoff=handoff, message=waiting, now=now)
    return ClaimResult(won=True, holder=agent_id, case=case)


async def copy_to_thread(
    session: AsyncSession, *, case: Case, handoff: HandOff, message: Message, now: datetime
) -> None:
    await outbox_store.enqueue(
        session,
        kind="thread_message",
        now=now,
        channel=handoff.slack_channel or None,
        ordering_key=f"case:{case.id}",
        priority=priority_for(handoff.severity),
        payload={"case_id": case.id, "handoff_id": handoff.id, "message_id": message.id},
    )


async def resolve(
    session: AsyncSession,
    *,
    case_id: str,
    agent_id: str,
    now: datetime,
    resolved_text: str,
    root_cause: str | None = None,
) -> Case | None:
    """Close the case: tell the person, update the card. None if it was already resolved."""
    moved, case = await _move(
        session,
        case_id=case_id,
        from_statuses=("queued", "agent"),
        now=now,
        status="resolved",
        resolved_at=now,
        urgent=False,
    )
    if not moved:
        return None
    handoff = await case_store.open_handoff(session, case_id=case_id)
    if handoff is not None:
        handoff.status, handoff.resolved_by, handoff.resolved_at = "resolved", agent_id, now
        session.add(handoff)
        await refresh_card(session, case_id=case_id, handoff=handoff, now=now)
    # A human has closed it: the conversation starts afresh if the person writes again.
    state = ConversationState.from_dict(case.engine_state)
    state.handed_off = False
    state.urgent = False
    case.engine_state = state.to_dict()
    if root_cause:
        case.root_cause = root_cause
    session.add(case)
    await case_store.add_event(
        session,
        case_id=case_id,
        handoff_id=handoff.id if handoff else None,
        kind="resolved",
        actor=agent_id,
        now=now,
        data={"root_cause": root_cause} if root_cause else {},
    )
    await message_store.add_message(
        session, case_id=case_id, sender="system", text=resolved_text, now=now
    )
    return case


async def transfer(
    session: AsyncSession,
    *,
    case: Case,
    to_queue: str,
    reason: str,
    agent_id: str,
    routing: Routing,
    now: datetime,
    transferred_text: str,
    request_id: str | None = None,
) -> HandOff | None:
    """Move the case to another queue: the old card says where, a new card is posted there.

    Args:
        reason: why, in the agent's words; kept in the audit trail and the old thread.
        transferred_text: what the person is told (names who will join and when).
        request_id: the transfer box's view id. Slack lets Submit be pressed again while
            an answer is slow; the same box sent again after it moved the case is the
            same request, and changes nothing (None).
    """
    if to_queue not in routing.queues:
        raise NotFound("queue_not_found", f"There is no queue called {to_queue!r}.")
    if case.status not in ("queued", "agent"):
        raise Conflict("case_not_open", f"{case.ref} is {case.status}; only open cases move.")
    current = await case_store.open_handoff(session, case_id=case.id)
    if current is not None and current.queue == to_queue:
        if request_id is not None and await _transferred_by(session, case, request_id):
            return None
        raise Conflict("same_queue", f"{case.ref} is already in {to_queue}.")
    target = routing.queue(to_queue)
    severity = current.severity if current is not None else (case.severity or "normal")
    if to_queue == "crisis":
        severity = "critical"  # an agent who moves a case to crisis means it: page on-call
    if current is not None:
        current.status = "transferred"
        session.add(current)
        await outbox_store.enqueue(
            session,
            kind="moved_card",
            now=now,
            channel=current.slack_channel,
            ordering_key=f"case:{case.id}",
            priority=priority_for(current.severity),
            payload={
                "case_id": case.id,
                "handoff_id": current.id,
                "to_channel": target.channel,
                "reason": reason,
                "by": agent_id,
            },
        )
    await case_store.add_event(
        session,
        case_id=case.id,
        handoff_id=current.id if current else None,
        kind="transferred",
        actor=agent_id,
        now=now,
        data={
            "from": current.queue if current else None,
            "to": to_queue,
            "reason": reason,
            "request": request_id,
        },
    )
    await message_store.add_message(
        session, case_id=case.id, sender="system", text=transferred_text, now=now
    )
    # The new queue's agents start from the summary: messages since the old card was
    # posted are copied to the new thread on claim.
    return await open_handoff(
        session,
        case=case,
        decision=HandoffDecision(to_queue, current.reason if current else "transfer", severity),
        routing=routing,
        now=now,
        after_seq=current.after_seq if current else case.last_seq,
    )


async def _transferred_by(session: AsyncSession, case: Case, request_id: str) -> bool:
    """Whether the case's last transfer was made by this request."""
    last = await case_store.latest_event(session, case_id=case.id, kind="transferred")
    return last is not None and last.data.get("request") == request_id


async def release(
    session: AsyncSession, *, case_id: str, agent_id: str, now: datetime, released_text: str
) -> Case | None:
    """Give a claimed case back to its queue; None if another agent holds it.

    Raises:
        Conflict: nobody holds the case (a second click on Release finds it released
            already) or it is resolved.
    """
    held = await case_store.require_case(session, case_id=case_id, for_update=True)
    if held.status == "resolved":
        raise Conflict("case_resolved", "That case is already resolved.")
    if held.status != "agent" or held.assignee is None:
        raise Conflict("case_not_claimed", f"{held.ref} is not claimed: it waits in its queue.")
    if held.assignee != agent_id:
        return None
    moved, case = await _move(
        session,
        case_id=case_id,
        from_statuses=("agent",),
        now=now,
        status="queued",
        assignee=None,
        assignee_name=None,
    )
    if not moved:
        return None
    handoff = await case_store.open_handoff(session, case_id=case_id)
    if handoff is not None:
        handoff.status, handoff.claimed_by, handoff.claimed_at = "open", None, None
        # Whoever claims it next sees what the person wrote from here on.
        handoff.after_seq = case.last_seq
        session.add(handoff)
        await refresh_card(session, case_id=case_id, handoff=handoff, now=now)
    await case_store.add_event(
        session,
        case_id=case_id,
        handoff_id=handoff.id if handoff else None,
        kind="released",
        actor=agent_id,
        now=now,
    )
    await message_store.add_message(
        session, case_id=case_id, sender="system", text=released_text, now=now
    )
    return case
