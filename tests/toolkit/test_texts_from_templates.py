"""The toolkit's person-facing lines come from the template library: an ops override in
DATA_DIR is what the person reads, and an override that lacks or misuses one fails at load."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.app import create_app
from bot.clock import FakeClock
from bot.conversation.engine import Engine
from bot.conversation.rubric import RUBRICS, check_template
from bot.conversation.templates import SYSTEM_SLOTS, Template
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.toolkit import INCIDENTS
from tests.support import Person
from tests.toolkit.helpers import held_by, system_lines

ALEX = "U0AGENT1"
SHIPPED_EN = PACKAGED_DATA_DIR / "templates" / "en.yaml"
SHIPPED_PHONE = "Thank you; your agent will call you on the phone number on your account."
OPS_PHONE = "Thanks! Your agent will ring the number on your account shortly."
SHIPPED_LINKED = (
    "We know about a problem affecting several people right now: {title}. "
    "Our team is working on it, and I'll update you here by {time}."
)
OPS_LINKED = "Heads up from our team: {title}. Next update here by {time}."


def _ops_copy(data_dir: Path, *changes: tuple[str, str]) -> Path:
    """DATA_DIR/templates/en.yaml: the shipped file with `changes` made, as ops would."""
    text = SHIPPED_EN.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = data_dir / "templates" / "en.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def ops_tk(
    aiohttp_client,  # type: ignore[no-untyped-def]
    toolkit_settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
) -> TestClient:
    """The toolkit app as ops run it: the engine loaded from DATA_DIR by create_app."""
    data_dir = tmp_path / "ops-data"
    _ops_copy(data_dir, (SHIPPED_PHONE, OPS_PHONE), (SHIPPED_LINKED, OPS_LINKED))
    app = create_app(toolkit_settings.model_copy(update={"data_dir": data_dir}), clock=clock)
    client: TestClient = await aiohttp_client(app)
    app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
    return client


async def test_the_person_reads_the_ops_line_for_a_chosen_route(ops_tk: TestClient) -> None:
    slack: SlackFake = ops_tk.app[keys.SLACK_FAKE]
    channel = "support-billing"
    person, ref, card = await held_by(ops_tk, slack, ALEX)
    await slack.click(user=ALEX, channel=channel, ts=card["ts"], action_id="offer_callback")
    chosen = await ops_tk.post(
        f"/api/v1/conversations/{person.conversation_id}/contact",
        json={"route": "phone"},
        headers=person.auth,
    )
    assert chosen.status == 200
    said = await system_lines(person)
    assert said[-1] == OPS_PHONE
    assert SHIPPED_PHONE not in said
    # The lines ops left alone are still the shipped ones.
    assert said[-2].endswith("Which would you prefer: phone, text or chat?")


async def test_an_incident_line_from_ops_is_filled_and_swedish_stays_shipped(
    ops_tk: TestClient, clock: FakeClock
) -> None:
    english, swedish = Person(ops_tk), Person(ops_tk)
    await english.start(locale="en-US")
    await english.say("My video session keeps dropping and I cannot hear my therapist")
    await swedish.start(locale="sv-SE")
    await swedish.say("Videosessionen bryts hela tiden och jag hör inte min terapeut")

    started = await ops_tk.app[INCIDENTS].start(
        title="Video sessions failing", started_by="U0LEAD01", topic="session"
    )
    assert started.linked == 2
    due = f"{clock() + timedelta(seconds=started.incident.update_every_s):%H:%M} UTC"
    english_lines = await system_lines(english)
    assert english_lines[-1] == (
        f"Heads up from our team: Video sessions failing. Next update here by {due}. "
        "You don't need to do anything, and your case stays open."
    )
    assert (await system_lines(swedish))[-1].startswith(
        "Vi känner till ett problem som drabbar flera just nu: Video sessions failing."
    )


def test_an_override_without_a_moved_line_fails_at_load_naming_the_file(tmp_path: Path) -> None:
    path = _ops_copy(
        tmp_path,
        (f'  contact_phone:\n    - "{SHIPPED_PHONE}"\n', ""),
    )
    with pytest.raises(DataFileError) as err:
        Engine.load(data_dir=tmp_path)
    assert str(path) in str(err.value)
    assert "missing `contact_phone` under `system`" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        # The caller of a contact line fills no slot; {who} would fail only when sent.
        (SHIPPED_PHONE, "Thank you; {who} will call you.", "['who']; this line takes no slots"),
        # The resolved incident has no next update to name.
        (
            "Good news: {title} has been fixed.",
            "Good news: {title} was fixed at {time}.",
            "['time']; use ['Title', 'title']",
        ),
    ],
)
def test_a_slot_the_line_is_not_given_fails_at_load_with_its_line(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    path = _ops_copy(tmp_path, (old, new))
    with pytest.raises(DataFileError) as err:
        Engine.load(data_dir=tmp_path)
    message = str(err.value)
    assert named in message
    line = int(message.split(f"{path}:")[1].split(":")[0])
    assert new in path.read_text(encoding="utf-8").splitlines()[line - 1]


@pytest.mark.parametrize("locale", ["en", "sv"])
@pytest.mark.parametrize("key", sorted(SYSTEM_SLOTS))
def test_each_moved_line_renders_in_its_language(engine: Engine, key: str, locale: str) -> None:
    values = {
        slot: value
        for slot, value in {
            "amount": "25.00 USD",
            "title": "Logins failing",
            "time": "14:30 UTC",
        }.items()
        if slot in SYSTEM_SLOTS[key]
    }
    said = engine.system_text(key, locale=locale, **values)
    assert all(value in said for value in values.values())
    assert "{" not in said and said != engine.system_text(
        key, locale="sv" if locale == "en" else "en", **values
    )
    # A language without a library reads English, as before the lines moved.
    assert engine.system_text(key, locale="de", **values) == engine.system_text(
        key, locale="en", **values
    )


@pytest.mark.parametrize(
    ("text", "fails"),
    [
        ("Which would you prefer: phone, text or chat?", False),
        ("Phone or text? Or chat?", True),
        ("Phone or text? We'll carry on here.", True),
    ],
)
def test_a_system_line_may_ask_one_question_at_its_end(text: str, fails: bool) -> None:
    # A system line is a message of its own, so the one-question rule holds for it alone.
    line = Template("en:system.contact_offer.1", text, "system.contact_offer", "en", SHIPPED_EN)
    rules = {f.rule for f in check_template(line, RUBRICS["en"])}
    assert ("one-question" in rules) is fails
