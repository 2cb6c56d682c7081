"""App Home: the queue, my cases, my load with a break suggested, team load for leads; the
views pass Slack's Block Kit limits on a busy day. Crisis pings can skip overloaded agents."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp.test_utils import TestClient

from bot import keys
from bot.agent_load import AgentLoad, agent_loads, agents_over_load
from bot.clock import FakeClock
from bot.slack_fake import SlackFake
from bot.slack_fake.blockkit import validate_view
from bot.store import cases as case_store
from bot.store.models import HandOff
from tests.support import blocks_text
from tests.toolkit.helpers import card_text_in, claimed, held_by

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
            handoff = HandOff(
                case_id=case.id, queue="billing", reason="wants_human", created_at=now, **values
            )  # type: ignore[arg-type]
            session.add(handoff)
            await session.flush()
            # The audit trail, as claiming and resolving write it: load is read from it.
            for kind, at in (("claimed", handoff.claimed_at), ("resolved", handoff.resolved_at)):
                if at is not None and handoff.claimed_by is not None:
                    await case_store.add_event(
                        session,
                        case_id=case.id,
                        handoff_id=handoff.id,
                        kind=kind,
                        actor=handoff.claimed_by,
                        now=at,
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


async def loads_now(tk: TestClient, clock: FakeClock) -> dict[str, AgentLoad]:
    """Each agent's load over the last 4 hours, a case held past 45 minutes being long."""
    async with tk.app[keys.DB].read() as session:
        return await agent_loads(session, clock(), window_h=4, long_minutes=45)


async def test_a_case_passed_on_counts_for_the_time_it_was_held(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    person, _ref, _card = await held_by(tk, tk_slack, ALEX)
    clock.advance(120)  # two minutes with Alex, then moved to the sessions queue
    await tk.app[keys.DESK].transfer(
        case_id=person.conversation_id,
        to_queue="sessions",
        reason="video problem",
        agent_id=ALEX,
        routing=tk.app[keys.ROUTING],
    )
    clock.advance(50 * 60)

    alex = (await loads_now(tk, clock))[ALEX]

    assert (alex.handled, alex.long, alex.intense, alex.open_now) == (1, 0, 0, 0)


async def test_a_case_held_for_an_hour_then_released_still_counts(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    person, _ref, _card = await held_by(tk, tk_slack, ALEX)
    clock.advance(60 * 60)
    assert await tk.app[keys.DESK].release(case_id=person.conversation_id, agent_id=ALEX)

    loads = await loads_now(tk, clock)

    assert ALEX in loads
    assert (loads[ALEX].handled, loads[ALEX].long, loads[ALEX].open_now) == (1, 1, 0)


async def test_a_case_that_turns_to_crisis_ends_the_agents_hold_on_the_old_hand_off(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    person, _ref, _card = await held_by(tk, tk_slack, ALEX)
    clock.advance(120)
    await person.say("I want to end my life tonight")  # to the crisis lane, a new hand-off
    clock.advance(50 * 60)

    alex = (await loads_now(tk, clock))[ALEX]

    assert (alex.handled, alex.long, alex.open_now) == (1, 0, 0)


async def test_a_hold_given_up_before_the_window_does_not_count_when_another_holds_it(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    slack, channel = tk_slack, "support-billing"
    person, ref, card = await held_by(tk, slack, SAM)
    assert await tk.app[keys.DESK].release(case_id=person.conversation_id, agent_id=SAM)
    await slack.wait_for(lambda: "Claimed by" not in card_text_in(slack, channel, ref))
    clock.advance(6 * 3600)  # the next day's shift: Alex takes it
    await claimed(slack, user=ALEX, channel=channel, ref=ref, card=card)

    loads = await loads_now(tk, clock)

    assert SAM not in loads
    assert (loads[ALEX].handled, loads[ALEX].open_now) == (1, 1)
