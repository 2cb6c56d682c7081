"""`/case REF` for agents: where a case stands and the person's earlier cases.

Never the transcript: status, queue, severity, topic, assignee, timestamps and refs only.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Invalid, NotFound
from bot.store import cases as case_store
from bot.store import history as history_store
from bot.store.models import Compensation, Incident

REF_MAX = 16


def _at(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return f"<!date^{int(moment.timestamp())}^{{date_short}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


async def case_dossier_text(session: AsyncSession, *, ref: str) -> str:
    """The ephemeral answer to `/case REF` (mrkdwn)."""
    ref = ref.strip().upper()
    if not ref or len(ref) > REF_MAX:
        raise Invalid("ref_required", "Usage: `/case C-XXXXXX`")
    case = await case_store.get_case_by_ref(session, ref=ref)
    if case is None:
        raise NotFound("case_not_found", f"No case {ref}.")
    handoffs = await case_store.handoffs_for_case(session, case_id=case.id)
    last = handoffs[-1] if handoffs else None
    lines = [
        f"*{case.ref}* · {case.status} · queue {case.queue or '—'} · "
        f"severity {case.severity or '—'} · topic {case.topic or 'other'}",
        f"Assignee: {f'<@{case.assignee}>' if case.assignee else '—'} · "
        f"Contact: {case.preferred_contact or 'chat'}"
        + (f" · Root cause: {case.root_cause}" if case.root_cause else "")
        + (f" · CSAT: {case.csat_score}/5" if case.csat_score else ""),
        f"Opened {_at(case.created_at)} · updated {_at(case.updated_at)} · "
        f"resolved {_at(case.resolved_at)}",
    ]
    if last is not None:
        lines.append(
            f"Hand-offs: {len(handoffs)} · last posted {_at(last.posted_at)}, claimed "
            f"{_at(last.claimed_at)}, first reply {_at(last.first_agent_reply_at)}"
        )
    if case.incident_id is not None:
        incident = await session.get(Incident, case.incident_id)
        if incident is not None:
            lines.append(f"Incident: {incident.ref} ({incident.status})")
    query = select(Compensation).where(Compensation.case_id == case.id)
    for row in (await session.exec(query.order_by(col(Compensation.created_at)))).all():
        lines.append(
            f"Compensation: {row.kind} {row.amount_cents / 100:.2f} {row.currency} ({row.status})"
        )
    earlier = await history_store.earlier_cases(
        session, person_ref=case.person_ref, case_id=case.id
    )
    if earlier:
        lines.append(
            "Earlier cases: "
            + ", ".join(f"{c.ref} ({c.topic or 'other'}, {c.status})" for c in earlier)
        )
    else:
        lines.append("Earlier cases: none")
    return "\n".join(lines)
