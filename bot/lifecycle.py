"""The data lifecycle: retention purges, and a person's access and erasure requests.

Purge and erase delete the transcript (messages, summary, engine state) and keep what is
not personal: the case's ref, topic, queue, severity, status and timestamps, hand-offs
(their timestamps are the report's metrics) and the audit trail stripped of free text.
The bot's own messages in the Slack threads go too, through the outbox: `slack_delete_thread`
lists each thread and deletes what the bot posted (a lead's approval request still waiting
in the leads channel is drawn again without the reason), and the cases' pending thread posts are
dropped so that none lands after the clean-up. A card or an approval request that Slack
takes while the erasure commits is cleaned up by the worker that posted it. Agents' replies
cannot be deleted with a bot token (chat.delete answers `cant_delete_message`); a
workspace admin's retention setting, or a user token, has to remove those.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import iso
from bot.compensation import approval_blocks, approval_text
from bot.identity import person_ref
from bot.outbox import OutboxWorker
from bot.slack_threads import thread_messages
from bot.store import cases as case_store
from bot.store import lifecycle as store
from bot.store.db import Database
from bot.store.lifecycle import DELETION_LANE, ERASURE_REASON, SLACK_DELETE_THREAD
from bot.store.models import SENTINEL, Case, Compensation, HandOff, OutboxItem

log = logging.getLogger(__name__)

PRIVACY_ACTOR = "privacy-cli"
SLACK_NOTE = (
    "Only the bot's own thread messages can be deleted with a bot token; agents' replies "
    "stay in Slack until a workspace admin's retention setting (or a user token) removes them."
)
# conversations.replies returns at most 1,000 messages per page (Slack API docs).
REPLIES_PAGE = 1000
# Errors meaning "already gone" or "not ours": the deletion has nothing more to do there.
GONE_ERRORS = frozenset({"thread_not_found", "message_not_found", "cant_delete_message"})
# Errors meaning the bot cannot clean a card's channel any more: deleted (its threads went
# with it), the bot removed from it, or archived (still readable, but nothing in it can be
# deleted or edited; chat.update calls that `is_inactive`). Nothing there it can clean, and
# the case's other cards (a transfer's later one, in another channel) still need cleaning.
OUT_OF_REACH_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "is_inactive"}
)

Delivery = Callable[[OutboxItem], Awaitable[None]]


@dataclass(frozen=True)
class CasePlan:
    """What the lifecycle will do (or did) to one case."""

    case_id: str
    ref: str
    status: str
    last_activity: datetime
    messages: int
    # Kept in the audit event: the report counts a case as a conversation when the
    # person wrote in it, and that must survive the messages themselves.
    user_messages: int
    slack_threads: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "status": self.status,
            "last_activity": iso(self.last_activity),
            "messages": self.messages,
            "slack_threads": self.slack_threads,
        }


@dataclass(frozen=True)
class LifecycleResult:
    cases: tuple[CasePlan, ...] = ()
    messages_deleted: int = 0
    slack_deletions_queued: int = 0
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(plan.messages for plan in self.cases)


def person_refs_for(user_id: str, *, identity_secret: str | None) -> tuple[str, ...]:
    """Every value `Case.person_ref` may hold for this platform user: the pseudonym the app
    stores when identity verification is configured, and the raw id it stores otherwise."""
    refs = [person_ref(user_id, secret=identity_secret)] if identity_secret else []
    refs.append(user_id)
    return tuple(dict.fromkeys(refs))


async def _plan(session: AsyncSession, cases: Sequence[Case]) -> list[CasePlan]:
    ids = [case.id for case in cases]
    counts = await store.message_counts(session, case_ids=ids)
    threads = await store.posted_handoffs(session, case_ids=ids)
    plans = []
    for case in cases:
        plans.append(
            CasePlan(
                case_id=case.id,
                ref=case.ref,
                status=case.status,
                last_activity=store.last_activity(case),
                messages=sum(counts.get(case.id, {}).values()),
                user_messages=counts.get(case.id, {}).get("user", 0),
                slack_threads=len(threads.get(case.id, [])),
            )
        )
    return plans


async def _remove_transcripts(
    session: AsyncSession,
    *,
    plans: Sequence[CasePlan],
    now: datetime,
    reason: str,
    erasure: bool,
) -> tuple[int, int]:
    """Delete what the cases said, here and (queued) in Slack: (messages, Slack items).
    An erasure also unlinks the cases from the person and closes them to new messages."""
    ids = [plan.case_id for plan in plans]
    deleted = await store.delete_messages(session, case_ids=ids)
    await store.clear_transcript_fields(session, case_ids=ids, erased_at=now if erasure else None)
    await store.strip_event_text(session, case_ids=ids)
    await store.delete_settled_outbox(session, case_ids=ids)
    in_flight = await store.quiet_pending_outbox(session, case_ids=ids, now=now)
    await store.clear_compensation_reasons(session, case_ids=ids)
    threads = await store.posted_handoffs(session, case_ids=ids)
    elsewhere = await store.approval_requests_posted(session, case_ids=ids)
    queued = 0
    for plan in plans:
        handoffs = threads.get(plan.case_id, [])
        posts = elsewhere.get(plan.case_id, [])
        if not handoffs and not posts:
            continue
        lanes = [DELETION_LANE]
        if plan.case_id in in_flight:
            # Once more, behind the post being delivered now (the case's own key).
            lanes.append(f"case:{plan.case_id}")
        await store.queue_slack_clean_up(
            session,
            case_id=plan.case_id,
            handoffs=handoffs,
            posts=posts,
            reason=reason,
            now=now,
            lanes=lanes,
        )
        queued += 1
    return deleted, queued


async def purge(
    session: AsyncSession,
    *,
    now: datetime,
    retention_days: int,
    dry_run: bool = False,
    limit: int | None = None,
) -> LifecycleResult:
    """Delete transcripts of closed cases idle longer than the retention period.

    Args:
        now: the current time; cases last active before now - retention_days go.
        retention_days: the retention period (Settings.retention_days, or --days).
        dry_run: report what would be purged and change nothing.
        limit: purge at most this many cases (oldest first); call again for the rest, so
            each transaction stays short and the app is not kept waiting on locks.
    """
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    cutoff = now - timedelta(days=retention_days)
    cases = await store.purgeable_cases(session, cutoff=cutoff, limit=limit, lock=not dry_run)
    plans = await _plan(session, cases)
    if dry_run or not plans:
        return LifecycleResult(cases=tuple(plans), dry_run=dry_run, extra={"cutoff": iso(cutoff)})
    deleted, queued = await _remove_transcripts(
        session, plans=plans, now=now, reason="retention", erasure=False
    )
    for plan in plans:
        await case_store.add_event(
            session,
            case_id=plan.case_id,
            kind="purged",
            actor="system",
            now=now,
            data={
                "messages_deleted": plan.messages,
                "user_messages": plan.user_messages,
                "retention_days": retention_days,
            },
        )
    return LifecycleResult(
        cases=tuple(plans),
        messages_deleted=deleted,
        slack_deletions_queued=queued,
        extra={"cutoff": iso(cutoff)},
    )


async def export_person(
    session: AsyncSession, *, person_refs: Sequence[str], now: datetime
) -> dict[str, Any]:
    """Everything the store holds about a person's cases, as JSON-ready data, audited.

    Agents' internal notes (`note:` replies) are left out: they are the staff's working
    notes about the case, and access rights (GDPR Art. 15(4), HIPAA's psychotherapy-notes
    carve-out) do not extend to them by default; the person's own messages, the bot's and
    the agents' replies they received are all in.

    Args:
        person_refs: every value Case.person_ref may hold for the person
            (`person_refs_for`).
        now: when the export happened (the audit event's time).
    """
    cases = await store.cases_for_person(session, person_refs=person_refs)
    ids = [case.id for case in cases]
    rows = await store.rows_for_cases(session, case_ids=ids, include_internal=False)
    by_case: dict[str, dict[str, list[dict[str, Any]]]] = {
        case_id: {"messages": [], "handoffs": [], "events": [], "compensations": [], "outbox": []}
        for case_id in ids
    }
    for table in ("messages", "handoffs", "events", "compensations"):
        for row in rows[table]:
            by_case[row.case_id][table].append(_json_row(row))
    for item in rows["outbox"]:
        by_case[str(item.payload.get("case_id"))]["outbox"].append(_json_row(item))
    for case_id in ids:
        await case_store.add_event(
            session,
            case_id=case_id,
            kind="privacy_export",
            actor=PRIVACY_ACTOR,
            now=now,
            data={"cases": len(ids)},
        )
    return {
        "exported_at": iso(now),
        "cases": [{"case": _json_row(case), **by_case[case.id]} for case in cases],
        "incidents": [_json_row(incident) for incident in rows["incidents"]],
        "notes": {
            "internal_notes": "agents' internal notes are not included (staff working notes)",
        },
    }


async def erase_person(
    session: AsyncSession, *, person_refs: Sequence[str], now: datetime, dry_run: bool = False
) -> LifecycleResult:
    """Erase a person's data: transcripts gone, cases unlinked from them, metrics kept.

    Args:
        person_refs: every value Case.person_ref may hold for the person.
        now: when the erasure happened (the audit event's time).
        dry_run: report what would be erased and change nothing.
    """
    cases = await store.cases_for_person(session, person_refs=person_refs, lock=not dry_run)
    plans = await _plan(session, cases)
    if dry_run or not plans:
        return LifecycleResult(cases=tuple(plans), dry_run=dry_run)
    deleted, queued = await _remove_transcripts(
        session, plans=plans, now=now, reason=ERASURE_REASON, erasure=True
    )
    for plan in plans:
        # Kept as proof the request was honoured; it names no one (the case is unlinked).
        await case_store.add_event(
            session,
            case_id=plan.case_id,
            kind="privacy_erase",
            actor=PRIVACY_ACTOR,
            now=now,
            data={"messages_deleted": plan.messages, "user_messages": plan.user_messages},
        )
    return LifecycleResult(
        cases=tuple(plans), messages_deleted=deleted, slack_deletions_queued=queued
    )


def _json_row(row: Any) -> dict[str, Any]:
    # The insert sentinel is a write-time number with nothing of the person in it.
    data: dict[str, Any] = row.model_dump(mode="json", exclude={SENTINEL})
    return data


# -- Slack --------------------------------------------------------------------------------


def slack_delete_thread_delivery(worker: OutboxWorker) -> Delivery:
    """Deletes the bot's own messages in a case's card threads, then marks each card
    "transcript purged". Safe to repeat: a retry lists the thread again. A card the bot can
    no longer reach (its channel deleted or archived, or the bot removed from it) is passed
    over."""
    identity: dict[str, str] = {}

    async def deliver(item: OutboxItem) -> None:
        if not identity:
            auth = await worker.client.auth_test()
            identity["user_id"] = str(auth.get("user_id") or "")
            identity["bot_id"] = str(auth.get("bot_id") or "")
        async with worker.db.transaction() as session:
            case = await case_store.get_case(session, case_id=str(item.payload["case_id"]))
            handoffs = [
                handoff
                for handoff_id in item.payload.get("handoff_ids") or []
                if (handoff := await session.get(HandOff, handoff_id)) is not None
            ]
        if case is None:
            return
        reason = str(item.payload.get("reason") or "retention")
        done: set[tuple[str, str]] = set()
        for handoff in handoffs:
            if not handoff.slack_channel or not handoff.slack_ts:
                continue
            thread = (handoff.slack_channel, handoff.slack_ts)
            if thread in done:
                continue
            done.add(thread)
            await _clean_card(
                worker.client, *thread, case=case, handoff=handoff, reason=reason, identity=identity
            )
        for channel, ts, compensation_id in item.payload.get("posts") or []:
            async with worker.db.read() as session:
                row = await session.get(Compensation, compensation_id)
            if row is not None and row.status == "pending":
                # Still waiting for a lead: drawn again from the store, where the reason
                # is gone (a decided request no longer shows it).
                await _redraw_approval(worker.client, str(channel), str(ts), row=row, case=case)

    return deliver


def register_deliveries(worker: OutboxWorker) -> None:
    """Teach the outbox worker the lifecycle's side effects (called by create_app)."""
    worker.register(SLACK_DELETE_THREAD, slack_delete_thread_delivery(worker))


async def _clean_card(
    client: AsyncWebClient,
    channel: str,
    ts: str,
    *,
    case: Case,
    handoff: HandOff,
    reason: str,
    identity: dict[str, str],
) -> None:
    try:
        await _delete_own_replies(client, channel, ts, identity=identity)
        await _mark_card(client, channel, ts, case=case, handoff=handoff, reason=reason)
    except SlackApiError as exc:
        if not _passed_over(exc, case=case, post="card", channel=channel, ts=ts):
            raise


def _passed_over(exc: SlackApiError, *, case: Case, post: str, channel: str, ts: str) -> bool:
    """Whether Slack's error says the post is out of the bot's reach; if so it is logged
    (never its text): in an archived channel, or one the bot was only removed from, the
    post stays in Slack until a person in the workspace takes it out."""
    error = exc.response.get("error")
    if error not in OUT_OF_REACH_ERRORS:
        return False
    log.warning("case %s: the %s %s in %s is out of reach (%s)", case.ref, post, ts, channel, error)
    return True


async def _delete_own_replies(
    client: AsyncWebClient, channel: str, ts: str, *, identity: dict[str, str]
) -> int:
    try:
        # Every page is read before anything is deleted: deleting shifts pages under a cursor.
        messages = await thread_messages(client, channel=channel, ts=ts, limit=REPLIES_PAGE)
    except SlackApiError as exc:
        if exc.response.get("error") in GONE_ERRORS:
            return 0
        raise
    deleted = 0
    for message in messages:
        if message.get("ts") == ts:
            continue  # the card itself: updated below, it carries the case's metrics
        own = (identity["bot_id"] and message.get("bot_id") == identity["bot_id"]) or (
            identity["user_id"] and message.get("user") == identity["user_id"]
        )
        if not own:
            continue
        try:
            await client.chat_delete(channel=channel, ts=str(message["ts"]))
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE_ERRORS:
                raise
            continue
        deleted += 1
    return deleted


async def _redraw_approval(
    client: AsyncWebClient, channel: str, ts: str, *, row: Compensation, case: Case
) -> None:
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=approval_text(case),
            blocks=approval_blocks(row, case),
        )
    except SlackApiError as exc:
        if _passed_over(exc, case=case, post="approval request", channel=channel, ts=ts):
            return
        if exc.response.get("error") not in (*GONE_ERRORS, "cant_update_message"):
            raise


async def _mark_card(
    client: AsyncWebClient,
    channel: str,
    ts: str,
    *,
    case: Case,
    handoff: HandOff,
    reason: str,
) -> None:
    line = f":wastebasket: *{case.ref}* · {handoff.queue} · {handoff.status}: transcript purged"
    line += f" ({reason})."
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=f"{case.ref}: transcript purged ({reason})",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": line}}],
        )
    except SlackApiError as exc:
        if exc.response.get("error") not in (*GONE_ERRORS, "cant_update_message"):
            raise


async def purge_in_batches(
    db: Database, *, now: datetime, retention_days: int, batch: int = 200
) -> tuple[int, int, int]:
    """Purge everything due, one short transaction per `batch` cases.

    SQLite has a single writer, and the app must keep answering people while an old
    backlog is purged. Returns (cases purged, messages deleted, Slack deletions queued).
    """
    cases = messages = queued = 0
    while True:
        async with db.transaction() as session:
            result = await purge(session, now=now, retention_days=retention_days, limit=batch)
        cases += len(result.cases)
        messages += result.messages_deleted
        queued += result.slack_deletions_queued
        if len(result.cases) < batch:
            return cases, messages, queued
