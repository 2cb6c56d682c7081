"""A person's access and erasure requests: exactly their data, nobody else's, audited."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, select

from bot.identity import person_ref
from bot.lifecycle import SLACK_DELETE_THREAD, erase_person, export_person, person_refs_for
from bot.report import build_report
from bot.store.db import Database
from bot.store.models import Case, CaseEvent, Compensation, HandOff, Message, OutboxItem
from tests.lifecycle.conftest import dump
from tests.lifecycle.seed import NOTE, NOW, TRANSFER_REASON, seed_case

SECRET = "test-identity-secret-0123456789"
ALICE, BOB = "user-alice-17", "user-bob-42"


async def seed_people(db: Database) -> dict[str, list[str]]:
    """Alice: two verified cases (pseudonym) and one from before identity was configured
    (raw id); Bob: one verified case; one anonymous case."""
    alice_ref, bob_ref = person_ref(ALICE, secret=SECRET), person_ref(BOB, secret=SECRET)
    cases: dict[str, list[str]] = {"alice": [], "bob": [], "anon": []}
    async with db.transaction() as s:
        for age, ref, text in ((3, alice_ref, "alice one"), (40, alice_ref, "alice two")):
            seeded = await seed_case(s, age_days=age, person_ref=ref, text=f"{text} #alice")
            cases["alice"].append(seeded.case_id)
        raw = await seed_case(
            s, age_days=400, person_ref=ALICE, text="alice raw #alice", card=("C0BILLING", "9.1")
        )
        cases["alice"].append(raw.case_id)
        bob = await seed_case(s, age_days=3, person_ref=bob_ref, text="bob #bob")
        cases["bob"].append(bob.case_id)
        anon = await seed_case(s, age_days=3, text="anon #anon", status="bot", handed_off=False)
        cases["anon"].append(anon.case_id)
    return cases


def test_person_refs_cover_the_pseudonym_and_the_raw_id() -> None:
    assert person_refs_for(ALICE, identity_secret=SECRET) == (
        person_ref(ALICE, secret=SECRET),
        ALICE,
    )
    assert person_refs_for(ALICE, identity_secret=None) == (ALICE,)


async def test_export_returns_exactly_that_persons_data_and_audits_it(db: Database) -> None:
    cases = await seed_people(db)
    refs = person_refs_for(ALICE, identity_secret=SECRET)
    async with db.transaction() as s:
        exported = await export_person(s, person_refs=refs, now=NOW)

    text = json.dumps(exported)  # JSON-ready as it is
    assert [c["case"]["id"] for c in exported["cases"]] == list(reversed(cases["alice"]))
    assert "#alice" in text and "alice raw" in text
    assert "#bob" not in text and "#anon" not in text
    assert NOTE not in text  # agents' internal notes are not the person's data
    for entry in exported["cases"]:
        assert [m["sender"] for m in entry["messages"]] == ["user", "bot", "agent"]
        assert len(entry["handoffs"]) == 1 and entry["handoffs"][0]["first_agent_reply_at"]
        assert [e["kind"] for e in entry["events"]] == ["handoff_created", "transferred"]
        assert entry["compensations"][0]["amount_cents"] == 2500
        assert [o["kind"] for o in entry["outbox"]] == ["thread_message"]
    assert TRANSFER_REASON in text  # the audit trail about their case is theirs to see

    async with db.transaction() as s:
        audit = (await s.exec(select(CaseEvent).where(CaseEvent.kind == "privacy_export"))).all()
    assert sorted(e.case_id for e in audit) == sorted(cases["alice"])
    assert {e.actor for e in audit} == {"privacy-cli"}
    assert all(e.created_at == NOW for e in audit)


async def test_export_of_an_unknown_person_is_empty(db: Database) -> None:
    await seed_people(db)
    async with db.transaction() as s:
        exported = await export_person(s, person_refs=("nobody",), now=NOW)
    assert exported["cases"] == [] and exported["incidents"] == []


async def test_erase_removes_the_person_and_leaves_everyone_else(db: Database) -> None:
    cases = await seed_people(db)
    refs = person_refs_for(ALICE, identity_secret=SECRET)
    before = await dump(db)
    async with db.transaction() as s:
        dry = await erase_person(s, person_refs=refs, now=NOW, dry_run=True)
        report_before = await build_report(s, since=NOW - timedelta(days=3650), until=NOW)
    assert len(dry.cases) == 3 and dry.messages == 12
    assert await dump(db) == before

    async with db.transaction() as s:
        bob_before = {
            "messages": len(
                (await s.exec(select(Message).where(Message.case_id == cases["bob"][0]))).all()
            ),
            "case": (await s.get(Case, cases["bob"][0])).model_dump(),  # type: ignore[union-attr]
        }
        result = await erase_person(s, person_refs=refs, now=NOW)
    assert result.messages_deleted == 12
    assert result.slack_deletions_queued == 1  # the one case whose card reached Slack

    everything = await dump(db)
    assert "#alice" not in everything
    for ref in refs:
        assert ref not in everything
    assert "#bob" in everything and "#anon" in everything

    async with db.transaction() as s:
        for case_id in cases["alice"]:
            case = await s.get(Case, case_id)
            assert case is not None
            assert (case.person_ref, case.summary, case.engine_state) == (None, None, {})
            # Anonymous metrics stay.
            assert (case.topic, case.queue, case.status, case.csat_score) == (
                "billing",
                "billing",
                "resolved",
                4,
            )
            handoff = (await s.exec(select(HandOff).where(HandOff.case_id == case_id))).one()
            assert handoff.claimed_at and handoff.first_agent_reply_at and handoff.resolved_at
            credit = (
                await s.exec(select(Compensation).where(Compensation.case_id == case_id))
            ).one()
            assert (credit.amount_cents, credit.reason) == (2500, "")
            events = (
                await s.exec(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case_id)
                    .order_by(col(CaseEvent.id))
                )
            ).all()
            assert [e.kind for e in events] == ["handoff_created", "transferred", "privacy_erase"]
            assert events[-1].actor == "privacy-cli"
            assert events[-1].data == {"messages_deleted": 4, "user_messages": 1}
        bob_case = await s.get(Case, cases["bob"][0])
        assert bob_case is not None and bob_case.model_dump() == bob_before["case"]
        # The report still counts Alice's cases as conversations.
        report_after = await build_report(s, since=NOW - timedelta(days=3650), until=NOW)
        assert report_before.conversations > 0
        assert (report_after.conversations, report_after.daily) == (
            report_before.conversations,
            report_before.daily,
        )
        bob_messages = (
            await s.exec(select(Message).where(Message.case_id == cases["bob"][0]))
        ).all()
        assert len(bob_messages) == bob_before["messages"]
        deletions = (
            await s.exec(select(OutboxItem).where(OutboxItem.kind == SLACK_DELETE_THREAD))
        ).all()
        assert [d.payload["case_id"] for d in deletions] == [cases["alice"][2]]
        assert deletions[0].payload["reason"] == "erasure request"

        again = await export_person(s, person_refs=refs, now=NOW)
    assert again["cases"] == []
