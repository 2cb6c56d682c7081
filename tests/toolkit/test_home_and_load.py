"""App Home: the queue, my cases, my load with a break suggested, team load for leads; the
views pass Slack's Block Kit limits on a busy day. Crisis pings can skip overloaded agents."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp.test_utils import TestClient

from bot import keys
from bot.agent_load import agents_over_load
from bot.clock import FakeClock
from bot.slack_fake import SlackFake
from bot.slack_fake.blockkit import validate_view
from bot.store import cases as case_store
from bot.store.models import HandOff
from tests.support import blocks_text

ALEX, SAM, LEAD = "U0AGENT1", "U0AGENT2", "U0LEAD01"


async def seed(client: TestClient, now: datetime) -> None:
    """Alex: three crisis cases this afternoon and one open; Sam: one calm case; 40 waiting."""
    async with client.app[keys.DB].transaction() as session:

        async def handoff(**values: object) -> None:
            case = await case_store.create_case(
                session, now=now, locale="en", region="US", person_ref=None
            )
            status = values.pop("case_status", "resolved")
            case.status, case.topic = str(status), "billing"
            case.queue, case.severity = "billing", str(values.get("severity", "normal"))
            if status == "agent":
                case.assignee = str(values.get("claimed_by"))
            session.add(case)
            session.add(
                HandOff(
                    case_id=case.id, queue="billing", reason="wants_human", created_at=now, **values
                )  # type: ignore[arg-type]
            )

        for hours_ago in (1, 2, 3):
            start = now - timedelta(hours=hours_ago)
            await handoff(
                severity="critical",
                status="resolved",
                claimed_by=ALEX,
                claimed_at=start,
                resolved_at=start + timedelta(minutes=10),
            )
        await handoff(
            severity="normal",
            status="claimed",
            claimed_by=ALEX,
            claimed_at=now - timedelta(minutes=5),
            case_status="agent",
        )
        await handoff(
            severity="normal",
            status="resolved",
            claimed_by=SAM,
            claimed_at=now - timedelta(hours=1),
            resolved_at=now - timedelta(minutes=50),
        )
        # Long ago: outside the window, it does not count.
        await handoff(
            severity="critical",
            status="resolved",
            claimed_by=SAM,
            claimed_at=now - timedelta(hours=9),
            resolved_at=now - timedelta(hours=8),
        )
        for _ in range(40):
            await handoff(severity="high", status="open", case_status="queued")


async def test_home_shows_load_and_suggests_a_break(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    now = clock()
    await seed(tk, now)
    async with tk.app[keys.DB].transaction() as session:
        assert await agents_over_load(session, now) == {ALEX}
        assert await agents_over_load(session, now, threshold=4) == set()

    await tk_slack.open_home(user=ALEX)
    await tk_slack.wait_for(lambda: ALEX in tk_slack.views)
    view = tk_slack.views[ALEX]
    assert validate_view({k: view[k] for k in ("type", "blocks")}) == []
    assert len(view["blocks"]) <= 100
    shown = blocks_text({"blocks": view["blocks"]})
    assert "3 intense of 4 in the last 4 h (crisis 3, angry 0, long 0); 1 open now" in shown
    assert "Take a break" in shown
    assert "*My cases* (1)" in shown
    assert "*Queue* (40 waiting)" in shown and "and 25 more" in shown
    assert "Team load" not in shown  # only leads see everyone

    await tk_slack.open_home(user=SAM)
    await tk_slack.wait_for(lambda: SAM in tk_slack.views)
    sam_view = blocks_text({"blocks": tk_slack.views[SAM]["blocks"]})
    assert "0 intense of 1" in sam_view and "Take a break" not in sam_view

    await tk_slack.open_home(user=LEAD)
    await tk_slack.wait_for(lambda: LEAD in tk_slack.views)
    lead_view = blocks_text({"blocks": tk_slack.views[LEAD]["blocks"]})
    assert "Team load" in lead_view
    assert f"<@{ALEX}> — 3 intense of 4" in lead_view and "over the limit" in lead_view
    assert f"<@{SAM}> — 0 intense of 1" in lead_view
