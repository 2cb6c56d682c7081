"""Retention: old closed cases lose their transcripts and keep their metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.lifecycle import SLACK_DELETE_THREAD, erase_person, purge
from bot.report import build_report
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.models import Case, CaseEvent, Compensation, HandOff, Message, OutboxItem
from tests.lifecycle.conftest import dump
from tests.lifecycle.seed import NOTE, NOW, PERSONAL, TRANSFER_REASON, days_ago, seed_case


async def seed_mix(db: Database) -> dict[str, str]:
    """Old resolved (with a card in Slack), old idle with the bot, old but still with an
    agent, recent resolved, and old resolved with a message inside the window."""
    async with db.transaction() as s:
        old = await seed_case(s, age_days=200, text=f"{PERSONAL} #old", card=("C0BILLING", "1.1"))
        idle = await seed_case(s, age_days=120, status="bot", handed_off=False, text="idle #idle")
        busy = await seed_case(s, age_days=200, status="agent", text="still open #busy")
        recent = await seed_case(s, age_days=10, text="recent #recent")
        late = await seed_case(s, age_days=150, text="late #late")
        s.add(
            Message(
                case_id=late.case_id, seq=99, sender="user", text="hello?", created_at=days_ago(5)
            )
        )
    return {
        "old": old.case_id,
        "idle": idle.case_id,
        "busy": busy.case_id,
        "recent": recent.case_id,
        "late": late.case_id,
    }


async def message_texts(db: Database, case_id: str) -> list[str]:
    async with db.transaction() as s:
        rows = await s.exec(select(Message.text).where(Message.case_id == case_id))
        return list(rows.all())


async def test_purge_deletes_old_transcripts_and_keeps_metrics(db: Database) -> None:
    ids = await seed_mix(db)
    async with db.transaction() as s:
        before_cases = {c.id: c.model_dump() for c in (await s.exec(select(Case))).all()}
        before_handoffs = [h.model_dump() for h in (await s.exec(select(HandOff))).all()]
        report_before = await build_report(s, since=days_ago(365), until=NOW)

    async with db.transaction() as s:
        result = await purge(s, now=NOW, retention_days=90)

    assert {plan.case_id for plan in result.cases} == {ids["old"], ids["idle"]}
    assert result.messages_deleted == 8
    assert result.slack_deletions_queued == 1  # only the old case's card reached Slack
    for kept in ("busy", "recent", "late"):
        assert len(await message_texts(db, ids[kept])) >= 4, kept
    for gone in ("old", "idle"):
        assert await message_texts(db, ids[gone]) == []
    everything = await dump(db)
    for text in ("#old", "#idle"):
        assert text not in everything
    assert "#recent" in everything and "#busy" in everything  # others untouched
    assert everything.count(TRANSFER_REASON) == 3  # busy, recent, late

    async with db.transaction() as s:
        for case_id in (ids["old"], ids["idle"]):
            case = await s.get(Case, case_id)
            assert case is not None
            assert case.summary is None and case.engine_state == {}
            cleared = ("summary", "engine_state")
            kept = {k: v for k, v in before_cases[case_id].items() if k not in cleared}
            assert {k: v for k, v in case.model_dump().items() if k in kept} == kept
        # Hand-offs are the report's timestamps: every one of them unchanged.
        assert [h.model_dump() for h in (await s.exec(select(HandOff))).all()] == before_handoffs
        events = (
            await s.exec(
                select(CaseEvent).where(CaseEvent.case_id == ids["old"]).order_by(col(CaseEvent.id))
            )
        ).all()
        created = {"queue": "billing", "reason": "wants_human", "severity": "normal"}
        assert [(e.kind, e.data) for e in events] == [
            ("handoff_created", created),
            ("transferred", {"from": "general", "to": "billing"}),
            ("purged", {"messages_deleted": 4, "user_messages": 1, "retention_days": 90}),
        ]
        credit = (
            await s.exec(select(Compensation).where(Compensation.case_id == ids["old"]))
        ).one()
        assert (credit.amount_cents, credit.status, credit.reason) == (2500, "applied", "")
        outbox = (await s.exec(select(OutboxItem).order_by(col(OutboxItem.id)))).all()
        old_items = [i for i in outbox if i.payload.get("case_id") == ids["old"]]
        assert [(i.kind, i.status) for i in old_items] == [(SLACK_DELETE_THREAD, "pending")]
        assert old_items[0].payload["handoff_ids"] and old_items[0].payload["reason"] == "retention"
        recent_items = [i for i in outbox if i.payload.get("case_id") == ids["recent"]]
        assert [i.kind for i in recent_items] == ["thread_message"]
        report_after = await build_report(s, since=days_ago(365), until=NOW)

    # Every metric survives; "conversations" (cases where the person wrote) through the
    # count of their messages that the purge kept in its audit event.
    for name in (
        "conversations",
        "handed_off",
        "handoff_rate",
        "resolved",
        "first_reply",
        "resolution",
        "csat_count",
        "csat_mean",
        "daily",
    ):
        assert getattr(report_after, name) == getattr(report_before, name), name
    assert report_after.compensation_applied == report_before.compensation_applied


async def test_dry_run_changes_nothing_and_a_second_purge_finds_nothing(db: Database) -> None:
    ids = await seed_mix(db)
    before = await dump(db)
    async with db.transaction() as s:
        dry = await purge(s, now=NOW, retention_days=90, dry_run=True)
    assert dry.dry_run and {p.case_id for p in dry.cases} == {ids["old"], ids["idle"]}
    assert dry.messages == 8 and dry.messages_deleted == 0
    assert await dump(db) == before

    async with db.transaction() as s:
        first = await purge(s, now=NOW, retention_days=90)
    async with db.transaction() as s:
        again = await purge(s, now=NOW + timedelta(days=1), retention_days=90)
    assert len(first.cases) == 2
    assert again.cases == () and again.slack_deletions_queued == 0


async def test_days_override_reaches_recent_closed_cases_only(db: Database) -> None:
    ids = await seed_mix(db)
    async with db.transaction() as s:
        result = await purge(s, now=NOW, retention_days=1)
    # "late" wrote 5 days ago: past a 1-day window now; "busy" is open and never purged.
    assert {p.case_id for p in result.cases} == {ids[k] for k in ("old", "idle", "recent", "late")}
    assert len(await message_texts(db, ids["busy"])) == 4
    assert NOTE in await message_texts(db, ids["busy"])


async def test_a_case_active_again_after_a_purge_is_purged_again_and_erased_ones_are_not(
    db: Database,
) -> None:
    async with db.transaction() as s:
        back = await seed_case(s, age_days=200, text="back #back")
        erased = await seed_case(s, age_days=200, text="erased #erased", person_ref="p_x")
        erased_result = await erase_person(s, person_refs=("p_x",), now=days_ago(150))
    assert [p.case_id for p in erased_result.cases] == [erased.case_id]
    async with db.transaction() as s:
        first = await purge(s, now=NOW, retention_days=90)
    assert [p.case_id for p in first.cases] == [back.case_id]

    later = NOW + timedelta(days=1)
    async with db.transaction() as s:
        await message_store.add_message(
            s, case_id=back.case_id, sender="user", text="me again #again", now=later
        )
        case = await s.get(Case, back.case_id)
        assert case is not None
        case.updated_at = case.resolved_at = later
        s.add(case)
    async with db.transaction() as s:
        too_soon = await purge(s, now=later + timedelta(days=30), retention_days=90)
        assert too_soon.cases == ()
        again = await purge(s, now=later + timedelta(days=91), retention_days=90)
    assert [(p.case_id, p.messages) for p in again.cases] == [(back.case_id, 1)]
    assert "#again" not in await dump(db)


async def test_a_case_being_written_is_left_for_the_next_run(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    async with db.transaction() as s:
        old = await seed_case(s, age_days=200)
    async with db.transaction() as writer:
        await case_store.next_seq(writer, case_id=old.case_id)  # a message on its way
        async with db.transaction() as s:
            busy = await purge(s, now=NOW, retention_days=90)
        assert busy.cases == ()
    async with db.transaction() as s:
        free = await purge(s, now=NOW, retention_days=90)
    assert [p.case_id for p in free.cases] == [old.case_id]
