"""The report's edges: quiet days, a case reopened by a "thank you", a case reopened for a
new problem, and the person's rating after a "thank you"."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient

from bot import keys
from bot.clock import FakeClock
from bot.report import build_report, write_report
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import HandOff
from tests.toolkit.helpers import claimed, handed_off, held_by

ALEX = "U0AGENT1"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def seeded(url: str) -> Database:
    """2 Nov: a case handed off 10:00, resolved 10:30, reopened 5 Nov for a new problem,
    handed off 11:00, resolved 11:20. 4 Nov: a case the bot handled alone."""
    db = Database(url)
    await upgrade(db)
    async with db.transaction() as session:
        case = await case_store.create_case(
            session, now=at(2, 9, 58), locale="en", region="US", person_ref=None
        )
        await message_store.add_message(
            session, case_id=case.id, sender="user", text="help", now=at(2, 9, 58)
        )
        for opened, resolved in ((at(2, 10), at(2, 10, 30)), (at(5, 11), at(5, 11, 20))):
            session.add(
                HandOff(
                    case_id=case.id,
                    queue="billing",
                    reason="wants_human",
                    severity="normal",
                    status="resolved",
                    created_at=opened,
                    resolved_at=resolved,
                )
            )
        case.queue, case.status, case.resolved_at = "billing", "resolved", at(5, 11, 20)
        session.add(case)
        alone = await case_store.create_case(
            session, now=at(4, 9), locale="en", region="US", person_ref=None
        )
        await message_store.add_message(
            session, case_id=alone.id, sender="user", text="hi", now=at(4, 9)
        )
    return db


async def csv_of(settings: Settings, out: Path) -> dict[tuple[str, str, str], str]:
    """The seeded store's report for 1–7 November, as the CSV a lead opens."""
    db = await seeded(settings.database_url)
    try:
        async with db.read() as session:
            report = await build_report(session, since=at(1, 0), until=at(8, 0))
    finally:
        await db.close()
    write_report(report, out)
    with open(out / "report.csv", encoding="utf-8") as fh:
        return {(r["section"], r["key"], r["metric"]): r["value"] for r in csv.DictReader(fh)}


async def test_the_daily_trend_has_a_row_for_every_quiet_day(
    settings: Settings, tmp_path: Path
) -> None:
    table = await csv_of(settings, tmp_path)
    days = [(at(1, 0) + timedelta(days=n)).date().isoformat() for n in range(7)]
    assert sorted({key for section, key, _ in table if section == "daily"}) == days
    assert [table[("daily", day, "conversations")] for day in days] == [
        "0", "1", "0", "1", "0", "0", "0"
    ]  # fmt: skip


async def test_a_reopened_case_is_timed_per_episode_not_across_its_closed_days(
    settings: Settings, tmp_path: Path
) -> None:
    table = await csv_of(settings, tmp_path)
    # 30 and 20 minutes, not the three days the case sat closed in between.
    assert table[("resolution", "billing", "n")] == "2"
    assert table[("resolution", "all", "median_min")] == "25.0"
    assert table[("resolution", "all", "p90_min")] == "29.0"
    assert table[("volume", "all", "resolved")] == "1"


async def test_a_thank_you_after_resolution_keeps_the_case_resolved_in_the_report(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    person, ref, card = await held_by(tk, tk_slack, ALEX)
    clock.advance(600)
    assert await tk.app[keys.DESK].resolve(
        case_id=person.conversation_id, agent_id=ALEX, root_cause="billing_error"
    )
    clock.advance(60)
    assert (await person.say("Thank you so much, that fixed it!"))["state"] == "bot"

    async with tk.app[keys.DB].read() as session:
        report = await build_report(
            session, since=clock() - timedelta(days=1), until=clock() + timedelta(days=1)
        )
    assert (report.resolved, report.by_root_cause) == (1, {"billing_error": 1})
    resolution = report.resolution["all"]
    assert resolution.n == 1 and resolution.median_min is not None
    assert 10 <= resolution.median_min < 11


async def test_a_thank_you_after_resolution_still_lets_the_person_rate_it_once(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    slack, channel = tk_slack, "support-billing"
    person, ref, card = await handed_off(tk, slack)
    url = f"/api/v1/conversations/{person.conversation_id}/csat"
    await claimed(slack, user=ALEX, channel=channel, ref=ref, card=card)
    assert await tk.app[keys.DESK].resolve(case_id=person.conversation_id, agent_id=ALEX)
    clock.advance(60)
    assert (await person.say("Thanks!"))["state"] == "bot"

    rated = await tk.post(url, json={"score": 5}, headers=person.auth)
    assert rated.status == 201, await rated.json()
    assert await rated.json() == {"score": 5, "state": "bot"}
    again = await tk.post(url, json={"score": 1}, headers=person.auth)
    assert again.status == 409 and (await again.json())["error"]["code"] == "csat_already"
    async with tk.app[keys.DB].read() as session:
        case = await case_store.get_case(session, case_id=person.conversation_id)
    assert case is not None and case.csat_score == 5
