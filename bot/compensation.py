"""Make it right: waive a session fee or apply a credit, at once or with a lead's approval.

Up to the policy limit (`COMPENSATION_LIMIT`) the agent's word is enough; above it a lead
approves or declines with one click. Either way the decision, the message to the person,
the note in the case thread and the billing webhook are written in one transaction, and
the webhook carries the compensation id as its idempotency key so billing applies it once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

import aiohttp
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bus import Bus
from bot.clock import Clock, iso
from bot.conversation.engine import Engine
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.handoff import note_in_thread
from bot.outbox import PermanentFailure
from bot.privacy.redact import safe_for_slack
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store import outbox as outbox_store
from bot.store.db import Database
from bot.store.models import Case, Compensation, OutboxItem

Kind = Literal["waiver", "credit"]
KINDS: dict[str, str] = {"waiver": "Session fee waiver", "credit": "Account credit"}
REASON_MAX_CHARS = 500
# Far above any session price: a typo (an extra zero or two) is refused, not sent to a lead.
AMOUNT_MAX = Decimal("10000")
SIGNATURE_HEADER = "X-Supportbot-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
WEBHOOK_TIMEOUT_S = 10.0


def parse_amount(raw: object) -> Decimal:
    """ "25", "25.5", "25,50" → Decimal with two places; Invalid otherwise."""
    text = str(raw or "").strip().replace(",", ".")
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise Invalid("amount_invalid", "Enter an amount such as 25 or 25.50.") from exc
    if not amount.is_finite() or amount <= 0:
        raise Invalid("amount_invalid", "The amount must be more than zero.")
    if amount > AMOUNT_MAX:
        raise Invalid("amount_too_large", f"The amount can be at most {AMOUNT_MAX}.")
    return amount


def money(cents: int, currency: str) -> str:
    return f"{Decimal(cents) / 100:.2f} {currency}"


def sign(body: bytes, secret: str) -> str:
    """HMAC-SHA256 of the exact body, hex, as billing verifies it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _request_key(case_id: str, request_id: str) -> str:
    """The compensation id of a named request (also billing's idempotency key)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"supportbot:compensation:{case_id}:{request_id}").hex


@dataclass(frozen=True)
class Outcome:
    compensation: Compensation
    case: Case
    needs_approval: bool


class Compensations:
    """Requests, approvals and their effects; one instance per app."""

    def __init__(
        self,
        *,
        db: Database,
        bus: Bus,
        clock: Clock,
        engine: Engine,
        limit: Decimal,
        currency: str,
        leads: frozenset[str],
        leads_channel: str | None,
        billing_enabled: bool,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.clock = clock
        self.engine = engine
        self.limit_cents = int(limit * 100)
        self.currency = currency
        self.leads = leads
        self.leads_channel = leads_channel
        self.billing_enabled = billing_enabled
        self.on_outbox = on_outbox

    def is_lead(self, user_id: str) -> bool:
        return user_id in self.leads

    async def request(
        self,
        *,
        case_id: str,
        kind: str,
        amount: object,
        reason: str,
        agent_id: str,
        request_id: str | None = None,
    ) -> Outcome:
        """An agent offers a waiver or a credit; applied at once up to the limit.

        Args:
            amount: as typed ("25", "25.50"); in the configured currency.
            reason: why, in the agent's words (the audit trail and the billing webhook).
            request_id: names the request (the modal's view id): the same request made
                again (Submit pressed twice) returns the first outcome and changes nothing.
        """
        if kind not in KINDS:
            raise Invalid("kind_invalid", "Choose a fee waiver or a credit.")
        cents = int(parse_amount(amount) * 100)
        reason = reason.strip()
        if not reason:
            raise Invalid("reason_required", "Say why, so billing and leads can see it.")
        if len(reason) > REASON_MAX_CHARS:
            raise Invalid("reason_too_long", f"Keep the reason under {REASON_MAX_CHARS} chars.")
        now = self.clock()
        row_id = uuid.uuid4().hex if request_id is None else _request_key(case_id, request_id)
        outcome: Outcome | None = None
        try:
            async with self.db.transaction() as session:
                earlier = await session.get(Compensation, row_id)
                if earlier is None:
                    outcome = await self._write_request(
                        session,
                        row_id=row_id,
                        case_id=case_id,
                        kind=kind,
                        cents=cents,
                        reason=reason,
                        agent_id=agent_id,
                        now=now,
                    )
        except IntegrityError:
            # The same request, made at the same moment on another instance, was first.
            async with self.db.read() as session:
                earlier = await session.get(Compensation, row_id)
            if earlier is None:
                raise
        if outcome is None:
            assert earlier is not None
            async with self.db.read() as session:
                case = await case_store.require_case(session, case_id=earlier.case_id)
            needs_approval = earlier.amount_cents > self.limit_cents
            return Outcome(compensation=earlier, case=case, needs_approval=needs_approval)
        if not outcome.needs_approval:
            await self.bus.publish(case_id)
        self.on_outbox()
        return outcome

    async def _write_request(
        self,
        session: AsyncSession,
        *,
        row_id: str,
        case_id: str,
        kind: str,
        cents: int,
        reason: str,
        agent_id: str,
        now: datetime,
    ) -> Outcome:
        needs_approval = cents > self.limit_cents
        case = await case_store.require_case(session, case_id=case_id)
        if case.status != "agent":
            raise Conflict("not_claimed", f"Claim {case.ref} before making it right.")
        row = Compensation(
            id=row_id,
            case_id=case_id,
            kind=kind,
            amount_cents=cents,
            currency=self.currency,
            reason=reason,
            requested_by=agent_id,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        await case_store.add_event(
            session,
            case_id=case_id,
            kind="compensation_requested",
            actor=agent_id,
            now=now,
            data={"compensation_id": row.id, "kind": kind, "amount_cents": cents},
        )
        if needs_approval:
            await self._ask_a_lead(session, case=case, row=row, now=now)
        else:
            await self._apply(session, case=case, row=row, decided_by=agent_id, now=now)
        return Outcome(compensation=row, case=case, needs_approval=needs_approval)

    async def decide(self, *, compensation_id: str, lead_id: str, approve: bool) -> Outcome:
        """A lead approves or declines; only the first decision counts."""
        if not self.is_lead(lead_id):
            raise Forbidden("not_a_lead", "Only support leads can approve compensation.")
        now = self.clock()
        async with self.db.transaction() as session:
            result = await session.exec(
                update(Compensation)
                .where(col(Compensation.id) == compensation_id, Compensation.status == "pending")
                .values(status="deciding", decided_by=lead_id, decided_at=now)
                .execution_options(synchronize_session=False)
            )
            row = await session.get(Compensation, compensation_id)
            if row is None:
                raise NotFound("compensation_not_found", "That request no longer exists.")
            await session.refresh(row)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                who = f" by <@{row.decided_by}>" if row.decided_by else ""
                raise Conflict("already_decided", f"That request was already {row.status}{who}.")
            case = await case_store.get_case(session, case_id=row.case_id)
            assert case is not None
            if approve:
                await self._apply(session, case=case, row=row, decided_by=lead_id, now=now)
            else:
                row.status = "declined"
                session.add(row)
                await case_store.add_event(
                    session,
                    case_id=case.id,
                    kind="compensation_declined",
                    actor=lead_id,
                    now=now,
                    data={"compensation_id": row.id},
                )
                await self._thread_notice(
                    session,
                    case=case,
                    now=now,
                    text=f":x: {KINDS[row.kind]} of {money(row.amount_cents, row.currency)} "
                    f"declined by <@{lead_id}>.",
                )
        if approve:
            await self.bus.publish(case.id)
        self.on_outbox()
        return Outcome(compensation=row, case=case, needs_approval=True)

    async def _apply(
        self,
        session: AsyncSession,
        *,
        case: Case,
        row: Compensation,
        decided_by: str,
        now: datetime,
    ) -> None:
        row.status, row.decided_by, row.decided_at = "applied", decided_by, now
        session.add(row)
        amount = money(row.amount_cents, row.currency)
        # What the person reads: system.compensation_waiver / _credit in the templates.
        told = self.engine.system_text(
            f"compensation_{row.kind}", locale=case.locale, amount=amount
        )
        await message_store.add_message(
            session, case_id=case.id, sender="system", text=told, now=now
        )
        await case_store.add_event(
            session,
            case_id=case.id,
            kind="compensation_applied",
            actor=decided_by,
            now=now,
            data={"compensation_id": row.id, "amount_cents": row.amount_cents},
        )
        approved = "" if decided_by == row.requested_by else f", approved by <@{decided_by}>"
        await self._thread_notice(
            session,
            case=case,
            now=now,
            text=f":white_check_mark: {KINDS[row.kind]} of {amount} applied for "
            f"<@{row.requested_by}>{approved}. The person has been told.",
        )
        if self.billing_enabled:
            await outbox_store.enqueue(
                session,
                kind="billing_webhook",
                now=now,
                ordering_key=f"billing:{row.id}",
                payload={"case_id": case.id, "compensation_id": row.id},
            )

    async def _ask_a_lead(
        self, session: AsyncSession, *, case: Case, row: Compensation, now: datetime
    ) -> None:
        handoff = await case_store.open_handoff(session, case_id=case.id)
        await outbox_store.enqueue(
            session,
            kind="approval_request",
            now=now,
            channel=self.leads_channel or (handoff.slack_channel if handoff else None),
            ordering_key=f"case:{case.id}",
            payload={
                "case_id": case.id,
                "handoff_id": handoff.id if handoff else None,
                "compensation_id": row.id,
                "leads_channel": self.leads_channel,
            },
        )

    async def _thread_notice(
        self, session: AsyncSession, *, case: Case, now: datetime, text: str
    ) -> None:
        handoff = await case_store.open_handoff(session, case_id=case.id)
        if handoff is None:
            return  # resolved meanwhile; the audit trail has it
        await note_in_thread(session, case_id=case.id, handoff=handoff, text=text, now=now)


def approval_text(case: Case) -> str:
    """The approval request's notification text (its blocks say the rest)."""
    return f"Approval needed for {case.ref}"


def approval_blocks(row: Compensation, case: Case) -> list[dict[str, object]]:
    """The lead's one-click decision: what, how much, why, who asked."""
    amount = money(row.amount_cents, row.currency)
    # Typed by an agent, perhaps quoting the person: redacted as the person's words are.
    reason = safe_for_slack(row.reason[:REASON_MAX_CHARS]) or "_removed with the transcript_"
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":scales: *Approval needed* · {case.ref}\n{KINDS[row.kind]} of "
                f"*{amount}* requested by <@{row.requested_by}> (over the limit).\n"
                f"*Why:* {reason}",
            },
        },
        {
            "type": "actions",
            "block_id": "compensation_decision",
            "elements": [
                {
                    "type": "button",
                    "action_id": "compensation_approve",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": row.id,
                },
                {
                    "type": "button",
                    "action_id": "compensation_decline",
                    "text": {"type": "plain_text", "text": "Decline"},
                    "style": "danger",
                    "value": row.id,
                },
            ],
        },
    ]


def webhook_body(row: Compensation, case: Case) -> bytes:
    return json.dumps(
        {
            "compensation_id": row.id,
            "case_ref": case.ref,
            "person_ref": case.person_ref,
            "kind": row.kind,
            "amount": f"{Decimal(row.amount_cents) / 100:.2f}",
            "currency": row.currency,
            "reason": row.reason,
            "requested_by": row.requested_by,
            "approved_by": row.decided_by,
            "applied_at": iso(row.decided_at),
        },
        sort_keys=True,
    ).encode()


def billing_delivery(
    *, db: Database, url: str, secret: str
) -> Callable[[OutboxItem], Awaitable[None]]:
    """The outbox delivery for `billing_webhook`: POST, signed; retried until billing says 2xx."""

    async def deliver(item: OutboxItem) -> None:
        async with db.transaction() as session:
            row = await session.get(Compensation, item.payload["compensation_id"])
            case = await case_store.get_case(session, case_id=item.payload["case_id"])
        if row is None or case is None:
            raise PermanentFailure("compensation or case no longer exists")
        body = webhook_body(row, case)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, secret),
            IDEMPOTENCY_HEADER: row.id,
        }
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(url, data=body, headers=headers) as response,
        ):
            if response.status == 429 or response.status >= 500:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message="billing busy"
                )
            if response.status >= 400:
                raise PermanentFailure(f"billing refused the webhook: HTTP {response.status}")

    return deliver
