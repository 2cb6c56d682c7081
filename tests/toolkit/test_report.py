"""The report from a seeded store: every number checked by hand, the three files written."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Compensation, HandOff, Incident


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def seed(url: str) -> None:
    db = Database(url)
    await upgrade(db)
    async with db.transaction() as session:
        incident = Incident(
            ref="I-AAAAA",
            title="Video sessions failing",
            topic="session",
            started_by="U0LEAD01",
            update_every_s=7200,
            next_update_at=at(3, 11),
            started_at=at(3, 8),
        )
        session.add(incident)
        await session.flush()

        async def case(
            created: datetime,
            *,
            spoke: bool = True,
            handoffs: tuple[tuple[str, str, datetime, datetime | None], ...] = (),
            resolved: datetime | None = None,
            root_cause: str | None = None,
            csat: int | None = None,
            incident_id: int | None = None,
            compensation: tuple[str, int, str] | None = None,
        ) -> None:
            row = await case_store.create_case(
                session, now=created, locale="en", region="US", person_ref=None
            )
            if spoke:
                await message_store.add_message(
                    session, case_id=row.id, sender="user", text="help", now=created
                )
            for queue, status, opened, replied in handoffs:
                session.add(
                    HandOff(
                        case_id=row.id,
                        queue=queue,
                        reason="wants_human",
                        severity="normal",
                        status=status,
                        created_at=opened,
                        first_agent_reply_at=replied,
                        resolved_at=resolved if status == "resolved" else None,
                    )
                )
            row.queue = handoffs[-1][0] if handoffs else None
            row.status = "resolved" if resolved else ("agent" if handoffs else "bot")
            row.resolved_at, row.root_cause, row.csat_score = resolved, root_cause, csat
            row.incident_id = incident_id
            session.add(row)
            if compensation:
                kind, cents, status = compensation
                session.add(
                    Compensation(
                        id=row.id,
                        case_id=row.id,
                        kind=kind,
                        amount_cents=cents,
                        currency="USD",
                        reason="seeded",
                        status=status,
                        requested_by="U0AGENT1",
                        created_at=created,
                    )
                )

        # 2 November: two billing hand-offs and one the bot handled alone.
        await case(
            at(2, 9, 58),
            handoffs=(("billing", "resolved", at(2, 10), at(2, 10, 4)),),
            resolved=at(2, 10, 30),
            root_cause="billing_error",
            csat=5,
            compensation=("credit", 2000, "applied"),
        )
        await case(
            at(2, 10, 58),
            handoffs=(("billing", "resolved", at(2, 11), at(2, 11, 10)),),
            resolved=at(2, 12),
            root_cause="billing_error",
            csat=3,
            compensation=("waiver", 15000, "pending"),
        )
        await case(at(2, 13))
        # 3 November: two sessions cases in the incident, one transferred from billing.
        await case(
            at(3, 8, 58),
            handoffs=(("sessions", "resolved", at(3, 9), at(3, 9, 2)),),
            resolved=at(3, 9, 20),
            root_cause="video_platform",
            csat=4,
            incident_id=incident.id,
            compensation=("waiver", 5000, "applied"),
        )
        await case(
            at(3, 9, 58),
            handoffs=(
                ("billing", "transferred", at(3, 10), None),
                ("sessions", "claimed", at(3, 10, 5), at(3, 10, 30)),
            ),
            incident_id=incident.id,
        )
        await case(at(3, 14), spoke=False)  # opened the widget, never wrote
        # Outside the period.
        await case(
            at(2, 10) - timedelta(days=10),
            handoffs=(("billing", "resolved", at(2, 10) - timedelta(days=10), None),),
            resolved=at(2, 11) - timedelta(days=10),
            root_cause="other",
            csat=1,
        )
    await db.close()


async def test_report_numbers_from_a_seeded_store(settings: Settings, tmp_path: Path) -> None:
    await seed(settings.database_url)
    out = tmp_path / "report"
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "bot",
            "report",
            "--since",
            "2026-11-02",
            "--until",
            "2026-11-03",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with open(out / "report.csv", encoding="utf-8") as fh:
        table = {(r["section"], r["key"], r["metric"]): r["value"] for r in csv.DictReader(fh)}
    expected = {
        ("volume", "all", "conversations"): "5",
        ("volume", "all", "handed_off"): "4",
        ("volume", "all", "resolved"): "3",
        ("volume", "all", "handoff_rate"): "0.800",
        # First reply, from the case's first hand-off (a transfer does not reset it).
        ("first_reply", "billing", "median_min"): "7.0",
        ("first_reply", "billing", "p90_min"): "9.4",
        ("first_reply", "sessions", "median_min"): "16.0",
        ("first_reply", "sessions", "p90_min"): "27.2",
        ("first_reply", "all", "n"): "4",
        ("first_reply", "all", "median_min"): "7.0",
        ("first_reply", "all", "p90_min"): "24.0",
        ("resolution", "billing", "median_min"): "45.0",
        ("resolution", "billing", "p90_min"): "57.0",
        ("resolution", "sessions", "median_min"): "20.0",
        ("resolution", "all", "median_min"): "30.0",
        ("resolution", "all", "p90_min"): "54.0",
        ("csat", "all", "count"): "3",
        ("csat", "all", "mean"): "4.00",
        ("csat", "all", "satisfied_pct"): "66.7",
        ("compensation", "credit:USD", "total"): "20.00",
        ("compensation", "waiver:USD", "total"): "50.00",
        ("compensation", "waiver:USD", "count"): "1",
        ("compensation", "all", "pending"): "1",
        ("root_cause", "billing_error", "cases"): "2",
        ("root_cause", "video_platform", "cases"): "1",
        ("incident", "I-AAAAA Video sessions failing", "cases"): "2",
        ("daily", "2026-11-02", "conversations"): "3",
        ("daily", "2026-11-02", "handoffs"): "2",
        ("daily", "2026-11-03", "conversations"): "2",
        ("daily", "2026-11-03", "resolved"): "1",
    }
    assert {k: table.get(k) for k in expected} == expected
    assert ("root_cause", "other", "cases") not in table  # outside the period
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "hand-off rate **80.0%**" in md and "**4.00** / 5" in md
    assert "| billing | 2 | 7.0 | 9.4 | 2 | 45.0 | 57.0 |" in md
    png = (out / "trend.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
