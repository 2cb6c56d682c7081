"""One open incident per topic, and an erased conversation hears nothing of any incident."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlmodel import func, select

from bot import keys
from bot.cli.privacy import erase_user
from bot.clock import FakeClock
from bot.identity import user_hash
from bot.incidents import open_incidents
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from bot.store.models import Message
from bot.toolkit import INCIDENTS
from tests.support import Person
from tests.toolkit.conftest import IDENTITY_SECRET
from tests.toolkit.helpers import system_lines

LEAD, ALEX = "U0LEAD01", "U0AGENT1"
VIDEO = "My video session keeps dropping and I cannot hear my therapist"
TWO_HOURS = 2 * 3600


async def person_with(client: TestClient, text: str, *, user_id: str | None = None) -> Person:
    person = Person(client)
    who = (
        {"user_id": user_id, "user_hash": user_hash(user_id, secret=IDENTITY_SECRET)}
        if user_id
        else {}
    )
    await person.start(locale="en-US", **who)
    await person.say(text)
    return person


async def stored_messages(client: TestClient, person: Person) -> int:
    async with client.app[keys.DB].read() as session:
        query = select(func.count()).select_from(Message)
        return int(
            (await session.exec(query.where(Message.case_id == person.conversation_id))).one()
        )


async def test_a_second_start_for_a_covered_topic_is_refused_and_names_the_open_one(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    person = await person_with(tk, VIDEO)
    first = await tk_slack.command(
        user=LEAD,
        channel="support-sessions",
        command="/incident",
        text='start "Video failing" session',
    )
    assert first["body"]["response_type"] == "in_channel"
    async with tk.app[keys.DB].read() as session:
        [opened] = await open_incidents(session)

    # A colleague declares it a moment later: told, only them, which incident covers it.
    await tk_slack.command(
        user=ALEX,
        channel="support-sessions",
        command="/incident",
        text='start "Calls drop" session',
    )
    [refusal] = [m for m in tk_slack.messages("support-sessions") if m.get("ephemeral_to") == ALEX]
    assert f"{opened.ref} is open for `session` already: Video failing." in refusal["text"]
    async with tk.app[keys.DB].read() as session:
        assert [i.ref for i in await open_incidents(session)] == [opened.ref]
    assert len([line for line in await system_lines(person) if "Video failing" in line]) == 1
    assert not [line for line in await system_lines(person) if "Calls drop" in line]

    # Another topic may have its own; once resolved, the topic may be declared again.
    billing = await tk.app[INCIDENTS].start(
        title="Double charges", started_by=LEAD, topic="billing"
    )
    await tk_slack.command(
        user=LEAD, channel="support-sessions", command="/incident", text=f"resolve {opened.ref}"
    )
    again = await tk.app[INCIDENTS].start(title="Calls drop", started_by=ALEX, topic="session")
    async with tk.app[keys.DB].read() as session:
        current = {(i.ref, i.topic) for i in await open_incidents(session)}
    assert current == {(billing.incident.ref, "billing"), (again.incident.ref, "session")}


async def test_an_erased_conversation_is_not_linked_updated_or_told_of_the_fix(
    tk: TestClient, toolkit_settings: Settings, clock: FakeClock
) -> None:
    erased_early = await person_with(tk, VIDEO, user_id="u_erased_early")
    erased_later = await person_with(tk, VIDEO, user_id="u_erased_later")
    staying = await person_with(tk, VIDEO)
    await erase_user(toolkit_settings, user="u_erased_early", confirmed=True)
    incidents = tk.app[INCIDENTS]

    started = await incidents.start(title="Video failing", started_by=LEAD, topic="session")
    assert started.linked == 2  # erased_later and staying
    await erase_user(toolkit_settings, user="u_erased_later", confirmed=True)
    clock.advance(TWO_HOURS + 1)
    assert await incidents.link_new_cases() == 0
    assert await incidents.send_due_updates() == 1
    _, told = await incidents.resolve(resolved_by=LEAD)

    assert told == 1
    said = await system_lines(staying)
    assert [any(needle in line for line in said) for needle in ("update", "fixed")] == [True, True]
    for erased in (erased_early, erased_later):
        assert await stored_messages(tk, erased) == 0
    async with tk.app[keys.DB].read() as session:
        case = await case_store.get_case(session, case_id=erased_early.conversation_id)
    assert case is not None and case.incident_id is None
