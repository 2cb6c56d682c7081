"""Transfer, release, resolve with a root cause, `/case`, earlier cases: through signed
Slack interactions on the fake, with what the person and the agents see checked."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from sqlmodel import select as sql_select

from bot import keys
from bot.slack_fake import SlackFake
from bot.store.models import Case, HandOff
from tests.support import card_for
from tests.toolkit.helpers import (
    card_text_in,
    claimed,
    handed_off,
    held_by,
    only_modal,
    select,
    system_lines,
)

ALEX, SAM = "U0AGENT1", "U0AGENT2"


async def test_release_transfer_and_resolve_with_a_root_cause(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack = tk_slack
    person, ref, card = await handed_off(tk, slack, user_id="person-17")
    billing = "support-billing"
    await claimed(slack, user=ALEX, channel=billing, ref=ref, card=card)

    # Release: back to the queue, unclaimed, the person told; only the holder may do it.
    await slack.click(user=SAM, channel=billing, ts=card["ts"], action_id="release")
    assert any(
        m.get("ephemeral_to") == SAM and "Only the agent who claimed" in m["text"]
        for m in slack.messages(billing)
    )
    await slack.click(user=ALEX, channel=billing, ts=card["ts"], action_id="release")
    await slack.wait_for(lambda: "Unclaimed" in card_text_in(slack, billing, ref))
    assert "Claimed by" not in card_text_in(slack, billing, ref)
    assert any("Alex had to step away" in line for line in await system_lines(person))
    assert (await person.inbox())["state"] == "queued"

    # Sam claims and transfers to sessions with a reason: the card moves.
    await claimed(slack, user=SAM, channel=billing, ref=ref, card=card)
    await slack.click(user=SAM, channel=billing, ts=card["ts"], action_id="transfer")
    modal = only_modal(slack, SAM)
    assert modal["callback_id"] == "transfer_case"
    answer = await slack.submit_view(
        user=SAM,
        view_id=modal["id"],
        values={
            "queue": {"queue": select("sessions")},
            "reason": {"reason": "video drops; write to jane.doe@example.com"},
        },
    )
    assert answer["status"] == 200
    assert not slack.modals_of(SAM)
    sessions = "support-sessions"
    await slack.wait_for(lambda: card_for(slack.messages(sessions), ref) is not None)
    await slack.wait_for(lambda: "Moved to #support-sessions" in card_text_in(slack, billing, ref))
    old = card_for(slack.messages(billing), ref)
    assert old is not None and "actions" not in [b["type"] for b in old["blocks"]]
    # The agent's reason is in the thread, redacted as the person's own words would be.
    moved = [m["text"] for m in slack.thread(billing, card["ts"]) if "video drops" in m["text"]]
    assert moved and "[email]" in moved[0] and "jane.doe" not in moved[0]
    assert "Unclaimed" in card_text_in(slack, sessions, ref)
    assert any("sessions specialist" in line for line in await system_lines(person))
    async with tk.app[keys.DB].transaction() as session:
        case = (await session.exec(sql_select(Case).where(Case.ref == ref))).one()
        rows = (await session.exec(sql_select(HandOff).where(HandOff.case_id == case.id))).all()
    assert [(h.queue, h.status) for h in sorted(rows, key=lambda h: h.id or 0)] == [
        ("billing", "transferred"),
        ("sessions", "open"),
    ]
    assert case.queue == "sessions" and case.status == "queued" and case.assignee is None

    # Alex claims it in sessions and resolves it with a root cause from the list.
    new_card = card_for(slack.messages(sessions), ref)
    assert new_card is not None
    await claimed(slack, user=ALEX, channel=sessions, ref=ref, card=new_card)
    await slack.click(user=ALEX, channel=sessions, ts=new_card["ts"], action_id="resolve_cause")
    modal = only_modal(slack, ALEX)
    options = modal["blocks"][0]["element"]["options"]
    assert "video_platform" in [option["value"] for option in options]
    bad = await slack.submit_view(
        user=ALEX, view_id=modal["id"], values={"root_cause": {"root_cause": select("nonsense")}}
    )
    assert bad["body"]["response_action"] == "errors"
    await slack.submit_view(
        user=ALEX,
        view_id=modal["id"],
        values={"root_cause": {"root_cause": select("video_platform")}},
    )
    await slack.wait_for(lambda: "Resolved by <@U0AGENT1>" in card_text_in(slack, sessions, ref))
    assert (await person.inbox())["state"] == "resolved"
    async with tk.app[keys.DB].transaction() as session:
        case = (await session.exec(sql_select(Case).where(Case.ref == ref))).one()
    assert case.root_cause == "video_platform"

    # `/case REF`: ephemeral, the facts, never the transcript.
    answer = await slack.command(user=SAM, channel=billing, command="/case", text=ref.lower())
    shown = answer["body"]["text"] if isinstance(answer["body"], dict) else answer["body"]
    assert ref in shown and "resolved" in shown and "sessions" in shown
    assert "video_platform" in shown and "<@U0AGENT1>" not in shown.split("Assignee")[0]
    assert "charged twice" not in shown
    reply = [m for m in slack.messages(billing) if m.get("ephemeral_to") == SAM][-1]
    assert ref in reply["text"]

    # The same person comes back: the new card's thread links the earlier case.
    _again, ref2, card2 = await handed_off(tk, slack, user_id="person-17")
    await slack.wait_for(lambda: any(ref in m["text"] for m in slack.thread(billing, card2["ts"])))
    assert "Earlier cases*\n1" in card_text_in(slack, billing, ref2)
    answer = await slack.command(user=SAM, channel=billing, command="/case", text=ref2)
    shown = answer["body"]["text"] if isinstance(answer["body"], dict) else answer["body"]
    assert f"Earlier cases: {ref} (" in shown


async def test_case_command_for_an_unknown_ref_says_so(tk: TestClient, tk_slack: SlackFake) -> None:
    answer = await tk_slack.command(
        user=ALEX, channel="support-general", command="/case", text="C-ZZZZZZ"
    )
    body = answer["body"]
    assert "No case C-ZZZZZZ" in (body["text"] if isinstance(body, dict) else body)


async def test_transfer_an_unclaimed_case_and_refuse_the_same_queue(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack, billing = tk_slack, "support-billing"
    _person, ref, card = await handed_off(tk, slack)
    await slack.click(user=SAM, channel=billing, ts=card["ts"], action_id="transfer")
    modal = only_modal(slack, SAM)
    same = await slack.submit_view(
        user=SAM,
        view_id=modal["id"],
        values={"queue": {"queue": select("billing")}, "reason": {"reason": "x"}},
    )
    assert same["body"]["response_action"] == "errors"
    assert "already in billing" in same["body"]["errors"]["queue"]
    no_reason = await slack.submit_view(
        user=SAM,
        view_id=modal["id"],
        values={"queue": {"queue": select("privacy")}, "reason": {"reason": "  "}},
    )
    assert "reason" in no_reason["body"]["errors"]
    await slack.submit_view(
        user=SAM,
        view_id=modal["id"],
        values={"queue": {"queue": select("privacy")}, "reason": {"reason": "asks to erase"}},
    )
    await slack.wait_for(lambda: card_for(slack.messages("support-privacy"), ref) is not None)
    await slack.wait_for(lambda: "Moved to #support-privacy" in card_text_in(slack, billing, ref))


async def test_a_double_clicked_release_releases_once_and_says_so(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack, billing = tk_slack, "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)
    await asyncio.gather(
        *(
            slack.click(user=ALEX, channel=billing, ts=card["ts"], action_id="release")
            for _ in range(2)
        )
    )
    await slack.wait_for(lambda: "Unclaimed" in card_text_in(slack, billing, ref))
    assert len([line for line in await system_lines(person) if "step away" in line]) == 1
    told = [m["text"] for m in slack.messages(billing) if m.get("ephemeral_to") == ALEX]
    # Alex did hold it: the second click hears that it is released, not that it was never
    # theirs.
    assert told == [f"{ref} is not claimed: it waits in its queue."]


async def test_a_transfer_box_submitted_twice_moves_the_case_once_without_an_error(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    """Slack lets Submit be pressed again while an answer is slow: the same box again."""
    slack, billing = tk_slack, "support-billing"
    person, ref, card = await held_by(tk, slack, ALEX)
    await slack.click(user=ALEX, channel=billing, ts=card["ts"], action_id="transfer")
    modal = only_modal(slack, ALEX)
    values = {"queue": {"queue": select("sessions")}, "reason": {"reason": "video drops"}}
    answers = await asyncio.gather(
        *(slack.submit_view(user=ALEX, view_id=modal["id"], values=values) for _ in range(2))
    )
    assert [a["status"] for a in answers] == [200, 200]
    assert not [a["body"] for a in answers if a["body"]]  # no field errors
    await slack.wait_for(lambda: card_for(slack.messages("support-sessions"), ref) is not None)
    assert len([m for m in slack.messages("support-sessions") if ref in str(m)]) == 1
    assert len([line for line in await system_lines(person) if "sessions" in line]) == 1
    # Another box for the queue it is in now is still refused.
    new_card = card_for(slack.messages("support-sessions"), ref)
    assert new_card is not None
    await slack.click(
        user=ALEX, channel="support-sessions", ts=new_card["ts"], action_id="transfer"
    )
    again = await slack.submit_view(user=ALEX, view_id=only_modal(slack, ALEX)["id"], values=values)
    assert "already in sessions" in again["body"]["errors"]["queue"]


async def test_a_transfer_to_crisis_is_critical(tk: TestClient, tk_slack: SlackFake) -> None:
    _person, ref, card = await handed_off(tk, tk_slack)
    async with tk.app[keys.DB].transaction() as session:
        case = (await session.exec(sql_select(Case).where(Case.ref == ref))).one()
    await tk.app[keys.DESK].transfer(
        case_id=case.id,
        to_queue="crisis",
        reason="mentioned not wanting to be here",
        agent_id=SAM,
        routing=tk.app[keys.ROUTING],
    )
    await tk_slack.wait_for(lambda: card_for(tk_slack.messages("support-crisis"), ref) is not None)
    crisis_card = card_for(tk_slack.messages("support-crisis"), ref)
    assert crisis_card is not None and "<!subteam^S0ONCALL>" in crisis_card["text"]
    assert "CRITICAL" in card_text_in(tk_slack, "support-crisis", ref)
    async with tk.app[keys.DB].transaction() as session:
        case = (await session.exec(sql_select(Case).where(Case.ref == ref))).one()
    assert case.severity == "critical" and case.urgent and case.queue == "crisis"
