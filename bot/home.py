"""The App Home tab: the queue, my cases, my load (with a break suggested), team load for leads.

Slack allows 100 blocks in a Home tab (Block Kit reference: "Home tabs"); the lists are
capped so a busy day never breaks the view, with "and N more" when something is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agent_load import AgentLoad, agent_loads
from bot.incidents import open_incidents
from bot.privacy.redact import escape_slack
from bot.store.models import Case, Incident

QUEUE_SHOWN = 15
MINE_SHOWN = 15
TEAM_SHOWN = 20
SEVERITY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
SEVERITY_ICON = {
    "critical": ":rotating_light:",
    "high": ":large_orange_circle:",
    "normal": ":large_blue_circle:",
    "low": ":white_circle:",
}


@dataclass(frozen=True)
class HomeData:
    user: str
    is_lead: bool
    queue: list[Case]
    queued_total: int
    mine: list[Case]
    load: AgentLoad
    team: list[AgentLoad]
    incidents: list[Incident]
    threshold: int
    window_h: float


async def home_data(
    session: AsyncSession,
    *,
    user: str,
    now: datetime,
    is_lead: bool,
    threshold: int,
    window_h: float,
    long_minutes: int,
) -> HomeData:
    """What one agent's Home tab shows, read in one transaction."""
    queued = list((await session.exec(select(Case).where(Case.status == "queued"))).all())
    queued.sort(key=lambda c: (SEVERITY_RANK.get(c.severity or "normal", 2), c.updated_at))
    mine_query = (
        select(Case)
        .where(Case.status == "agent", Case.assignee == user)
        .order_by(col(Case.updated_at))
    )
    mine = list((await session.exec(mine_query)).all())
    loads = await agent_loads(session, now, window_h=window_h, long_minutes=long_minutes)
    team = sorted(loads.values(), key=lambda a: (-a.intense, a.agent)) if is_lead else []
    return HomeData(
        user=user,
        is_lead=is_lead,
        queue=queued[:QUEUE_SHOWN],
        queued_total=len(queued),
        mine=mine,
        load=loads.get(user, AgentLoad(agent=user)),
        team=team,
        incidents=await open_incidents(session),
        threshold=threshold,
        window_h=window_h,
    )


def _since(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^{{time}}|{moment:%H:%M} UTC>"


def _case_line(case: Case) -> str:
    icon = SEVERITY_ICON.get(case.severity or "normal", "")
    return (
        f"{icon} *{case.ref}* · {case.topic or 'other'} · {case.queue or 'general'} · "
        f"since {_since(case.updated_at)}"
    )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _load_text(load: AgentLoad, window_h: float) -> str:
    return (
        f"{load.intense} intense of {load.handled} in the last {window_h:g} h "
        f"(crisis {load.crisis}, angry {load.angry}, long {load.long}); "
        f"{load.open_now} open now"
    )


def build_home(data: HomeData) -> dict[str, Any]:
    """The Home tab view (views.publish)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Support desk"}},
    ]
    for incident in data.incidents[:3]:
        blocks.append(
            _context(f":warning: Incident {incident.ref}: {escape_slack(incident.title)} (open)")
        )
    blocks.append(_section(f"*My load* — {_load_text(data.load, data.window_h)}"))
    if data.load.intense >= data.threshold:
        blocks.append(
            _section(
                ":coffee: You've carried a lot of intense cases. Take a break: crisis pings "
                "will skip you for now, and the queue is covered."
            )
        )
    blocks.append({"type": "divider"})
    blocks.append(_section(f"*My cases* ({len(data.mine)})"))
    if not data.mine:
        blocks.append(_context("Nothing claimed."))
    for case in data.mine[:MINE_SHOWN]:
        blocks.append(_section(_case_line(case)))
    if len(data.mine) > MINE_SHOWN:
        blocks.append(_context(f"and {len(data.mine) - MINE_SHOWN} more"))
    blocks.append({"type": "divider"})
    blocks.append(_section(f"*Queue* ({data.queued_total} waiting)"))
    if not data.queue:
        blocks.append(_context("The queue is empty."))
    for case in data.queue:
        blocks.append(_section(_case_line(case)))
    if data.queued_total > len(data.queue):
        blocks.append(_context(f"and {data.queued_total - len(data.queue)} more"))
    if data.is_lead:
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*Team load* (last {data.window_h:g} h)"))
        if not data.team:
            blocks.append(_context("No one has claimed a case in the window."))
        for load in data.team[:TEAM_SHOWN]:
            flag = " :coffee: over the limit" if load.intense >= data.threshold else ""
            blocks.append(_section(f"<@{load.agent}> — {_load_text(load, data.window_h)}{flag}"))
        if len(data.team) > TEAM_SHOWN:
            blocks.append(_context(f"and {len(data.team) - TEAM_SHOWN} more"))
    return {"type": "home", "blocks": blocks}
