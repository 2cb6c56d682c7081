"""Clicks, slash commands, modals and response_urls, parsed by a real slack_bolt AsyncApp.

Bolt verifies the signature, recognises each payload type and routes it by action_id,
command and callback_id; if the fake's shapes drifted from Slack's, bolt would not match.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from tests.slack_fake.conftest import SECRET, TOKEN, ManualClock

CARD = [
    {"type": "header", "text": {"type": "plain_text", "text": "Case C-1042"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "Charged twice this month"}},
    {
        "type": "actions",
        "block_id": "case_actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Claim"},
                "action_id": "claim",
                "value": "C-1042",
                "style": "primary",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Note"},
                "action_id": "open_note",
                "value": "C-1042",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Quietly"},
                "action_id": "quiet",
                "value": "C-1042",
            },
        ],
    },
]
NOTE_MODAL = {
    "type": "modal",
    "callback_id": "note",
    "title": {"type": "plain_text", "text": "Add a note"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


class BoltApp:
    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.submissions: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.url = ""


@pytest.fixture
async def bolt(aiohttp_server: Any, clock: ManualClock) -> AsyncIterator[tuple[SlackFake, BoltApp]]:
    slack = SlackFake(
        signing_secret=SECRET, bot_token=TOKEN, channels=["support-billing"], clock=clock
    )
    base_url = await slack.start()
    seen = BoltApp()
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=base_url),
        process_before_response=True,
    )

    @app.action("claim")
    async def claim(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen.actions.append(body)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["container"]["message_ts"],
            text=f"Claimed by <@{body['user']['id']}>",
            blocks=[],
        )

    @app.action("open_note")
    async def open_note(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        seen.actions.append(body)
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=NOTE_MODAL)
        except SlackApiError as exc:
            seen.errors.append(exc.response["error"])

    @app.action("quiet")
    async def quiet(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        seen.actions.append(body)
        await respond(text="Only you can see this", replace_original=False)

    @app.command("/case")
    async def case(ack: Any, command: dict[str, Any]) -> None:
        seen.commands.append(command)
        if command["text"] == "public":
            await ack(text="Case C-1042 is open", response_type="in_channel")
        else:
            await ack(text=f"Case {command['text']}: unclaimed")

    @app.view("note")
    async def note(ack: Any, view: dict[str, Any]) -> None:
        seen.submissions.append(view)
        text = view["state"]["values"]["note"]["text"]["value"]
        if not text.strip():
            await ack(response_action="errors", errors={"note": "Write something first"})
        else:
            await ack()

    server = await aiohttp_server(app.web_app())
    slack.events_url = str(server.make_url("/slack/events"))
    yield slack, seen
    await slack.stop()


async def post_card(slack: SlackFake) -> str:
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    posted = await client.chat_postMessage(
        channel="support-billing", text="Case C-1042", blocks=CARD
    )
    return str(posted["ts"])


async def test_click_delivers_block_actions_bolt_understands(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, seen = bolt
    slack.echo_bot_messages = False
    ts = await post_card(slack)
    answer = await slack.click(user="U0AGENT1", channel="support-billing", ts=ts, action_id="claim")
    assert answer["status"] == 200
    (body,) = seen.actions
    assert body["type"] == "block_actions"
    assert body["user"] == {
        "id": "U0AGENT1",
        "username": "alex",
        "name": "alex",
        "team_id": "T0SANDBOX",
    }
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": slack.channel_id("support-billing"),
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": slack.channel_id("support-billing"), "name": "support-billing"}
    assert body["message"]["blocks"][0]["text"]["text"] == "Case C-1042"
    assert body["enterprise"] is None and body["is_enterprise_install"] is False
    assert body["state"] == {"values": {}}
    (action,) = body["actions"]
    assert action["action_id"] == "claim" and action["block_id"] == "case_actions"
    assert action["value"] == "C-1042" and action["type"] == "button"
    assert action["text"] == {"type": "plain_text", "text": "Claim"}
    assert isinstance(action["action_ts"], str)
    assert body["response_url"].startswith("http://127.0.0.1:")
    # ...and the app's chat.update changed the card in place.
    assert slack.messages("support-billing")[0]["text"] == "Claimed by <@U0AGENT1>"


async def test_click_on_a_missing_button_is_refused(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, seen = bolt
    ts = await post_card(slack)
    with pytest.raises(ValueError, match="no element with action_id"):
        await slack.click(user="U0AGENT1", channel="support-billing", ts=ts, action_id="transfer")
    assert seen.actions == []


async def test_click_opens_a_modal_within_the_trigger_window(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, seen = bolt
    ts = await post_card(slack)
    await slack.click(user="U0AGENT2", channel="support-billing", ts=ts, action_id="open_note")
    assert seen.errors == []
    (view_id,) = [k for k, v in slack.views.items() if v.get("type") == "modal"]
    assert slack.views[view_id]["callback_id"] == "note"

    refused = await slack.submit_view(
        user="U0AGENT2", view_id=view_id, values={"note": {"text": "  "}}
    )
    assert refused["body"]["response_action"] == "errors"
    assert view_id in slack.views  # still open: the app asked for errors

    answer = await slack.submit_view(
        user="U0AGENT2", view_id=view_id, values={"note": {"text": "Refund approved"}}
    )
    assert answer["status"] == 200
    assert seen.submissions[-1]["state"]["values"]["note"]["text"] == {
        "type": "plain_text_input",
        "value": "Refund approved",
    }
    assert view_id not in slack.views  # closed by the empty ack


async def test_expired_trigger_is_invalid_trigger_id(
    bolt: tuple[SlackFake, BoltApp], clock: ManualClock
) -> None:
    slack, seen = bolt
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    trigger_id = slack._issue_trigger("U0AGENT1")
    clock.advance(3.5)
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id=trigger_id, view=NOTE_MODAL)
    assert err.value.response["error"] == "invalid_trigger_id"
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="made-up", view=NOTE_MODAL)
    assert err.value.response["error"] == "invalid_trigger_id"


async def test_modal_limits(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, _ = bolt
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    long_title = {**NOTE_MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id=slack._issue_trigger("U0AGENT1"), view=long_title)
    assert err.value.response["error"] == "invalid_arguments"
    assert (
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
        in err.value.response["response_metadata"]["messages"]
    )
    no_submit = {k: v for k, v in NOTE_MODAL.items() if k != "submit"}
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id=slack._issue_trigger("U0AGENT1"), view=no_submit)
    assert err.value.response["error"] == "invalid_arguments"


async def test_views_update_and_push(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, _ = bolt
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    opened = await client.views_open(trigger_id=slack._issue_trigger("U0AGENT1"), view=NOTE_MODAL)
    view_id = opened["view"]["id"]
    changed = {**NOTE_MODAL, "title": {"type": "plain_text", "text": "Edit note"}}
    updated = await client.views_update(view_id=view_id, view=changed, hash=opened["view"]["hash"])
    assert updated["view"]["title"]["text"] == "Edit note"
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id=view_id, view=changed, hash=opened["view"]["hash"] + "x")
    assert err.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id="V0NOPE", view=changed)
    assert err.value.response["error"] == "not_found"
    for _ in range(2):
        await client.views_push(trigger_id=slack._issue_trigger("U0AGENT1"), view=NOTE_MODAL)
    with pytest.raises(SlackApiError) as err:
        await client.views_push(trigger_id=slack._issue_trigger("U0AGENT1"), view=NOTE_MODAL)
    assert err.value.response["error"] == "push_limit_reached"


async def test_slash_command_answer_is_ephemeral_to_its_user(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, seen = bolt
    answer = await slack.command(
        user="U0AGENT1", channel="support-billing", command="/case", text="C-1042"
    )
    assert answer["status"] == 200
    (command,) = seen.commands
    for key in ("token", "team_id", "team_domain", "api_app_id", "response_url", "trigger_id"):
        assert command[key]
    assert command["channel_id"] == slack.channel_id("support-billing")
    assert command["channel_name"] == "support-billing"
    assert (command["user_id"], command["user_name"]) == ("U0AGENT1", "alex")
    assert (command["command"], command["text"]) == ("/case", "C-1042")
    (reply,) = slack.messages("support-billing")
    assert reply["text"] == "Case C-1042: unclaimed"
    assert reply["ephemeral_to"] == "U0AGENT1"


async def test_in_channel_command_answer_is_visible_to_all(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, _ = bolt
    await slack.command(user="U0AGENT1", channel="support-billing", command="/case", text="public")
    (reply,) = slack.messages("support-billing")
    assert reply["text"] == "Case C-1042 is open" and "ephemeral_to" not in reply


async def test_respond_through_response_url_posts_an_ephemeral(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, _ = bolt
    slack.echo_bot_messages = False
    ts = await post_card(slack)
    await slack.click(user="U0AGENT2", channel="support-billing", ts=ts, action_id="quiet")
    messages = slack.messages("support-billing")
    assert messages[0]["text"] == "Case C-1042"  # the card is untouched
    assert messages[1]["text"] == "Only you can see this"
    assert messages[1]["ephemeral_to"] == "U0AGENT2"


async def test_response_url_replace_and_delete_original(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, seen = bolt
    slack.echo_bot_messages = False
    ts = await post_card(slack)
    await slack.click(user="U0AGENT1", channel="support-billing", ts=ts, action_id="open_note")
    url = seen.actions[-1]["response_url"]
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": "Replaced", "replace_original": True}) as res:
            assert res.status == 200
        assert slack.messages("support-billing")[0]["text"] == "Replaced"
        async with session.post(url, json={"delete_original": True}) as res:
            assert res.status == 200
        assert slack.messages("support-billing") == []
        async with session.post(url.rsplit("/", 1)[0] + "/unknown", json={"text": "x"}) as res:
            assert res.status == 404
        for _ in range(3):  # five uses per response_url
            async with session.post(url, json={"text": "again"}) as res:
                assert res.status == 200
        async with session.post(url, json={"text": "sixth"}) as res:
            assert res.status == 404
    used = [c for c in slack.calls if c["method"] == "response_url"]
    assert [c["status"] for c in used] == [200, 200, 404, 200, 200, 200, 404]
    assert used[0]["params"] == {"text": "Replaced", "replace_original": True}


async def test_ephemeral_button_click_by_someone_else_is_refused(
    bolt: tuple[SlackFake, BoltApp],
) -> None:
    slack, _ = bolt
    client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    answer = await client.chat_postEphemeral(
        channel="support-billing", user="U0AGENT1", text="card", blocks=CARD
    )
    with pytest.raises(ValueError, match="ephemeral"):
        await slack.click(
            user="U0AGENT2", channel="support-billing", ts=answer["message_ts"], action_id="claim"
        )


async def test_url_verification_handshake(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, _ = bolt
    answer = await slack.verify_url()
    assert answer["status"] == 200 and answer["verified"] is True


async def test_a_late_command_answer_is_thrown_away(bolt: tuple[SlackFake, BoltApp]) -> None:
    slack, seen = bolt
    slack.delivery.ack_timeout_s = 0.0  # Slack waits 3 s; here any answer is late
    answer = await slack.command(
        user="U0AGENT1", channel="support-billing", command="/case", text="C-1042"
    )
    assert answer["status"] == 200 and answer["timed_out"] is True
    assert len(seen.commands) == 1
    assert slack.messages("support-billing") == []  # the person never sees the late text
