"""Events reach the app signed and shaped like Slack's, with Slack's retries."""

from __future__ import annotations

import json
import uuid

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from tests.slack_fake.conftest import ManualClock, Receiver


async def test_a_person_s_post_arrives_as_a_signed_event_callback(
    fake: SlackFake, receiver: Receiver, clock: ManualClock
) -> None:
    answer = await fake.post(user="U0AGENT1", channel="support-billing", text="hello <b> @sam")
    assert answer["status"] == 200
    assert receiver.rejected == 0
    (got,) = receiver.of_kind("event")
    envelope = got.body
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == "T0SANDBOX" and envelope["api_app_id"] == "A0SANDBOX"
    assert envelope["event_id"].startswith("Ev")
    assert envelope["event_time"] == int(clock())
    assert envelope["authorizations"][0]["user_id"] == "UBOT0001"
    assert envelope["authorizations"][0]["is_bot"] is True
    event = envelope["event"]
    stored = fake.messages("support-billing")[0]
    assert uuid.UUID(event.pop("client_msg_id")).version == 4
    assert event == {
        "type": "message",
        "channel": fake.channel_id("support-billing"),
        "channel_type": "channel",
        "user": "U0AGENT1",
        "text": "hello &lt;b&gt; <@U0AGENT2>",  # typed text, as Slack sends it
        "ts": stored["ts"],
        "event_ts": stored["ts"],
        "team": "T0SANDBOX",
    }
    assert got.headers["X-Slack-Request-Timestamp"] == str(int(clock()))
    assert got.headers["X-Slack-Signature"].startswith("v0=")
    assert "X-Slack-Retry-Num" not in got.headers


async def test_thread_reply_event_names_its_parent(fake: SlackFake, receiver: Receiver) -> None:
    await fake.post(user="U0AGENT1", channel="support-billing", text="parent")
    parent_ts = fake.messages("support-billing")[0]["ts"]
    await fake.post(user="U0AGENT2", channel="support-billing", text="reply", thread_ts=parent_ts)
    event = receiver.of_kind("event")[-1].body["event"]
    assert event["thread_ts"] == parent_ts
    assert event["parent_user_id"] == "U0AGENT1"
    ids = {r.body["event_id"] for r in receiver.of_kind("event")}
    assert len(ids) == 2


async def test_bot_posts_are_echoed_after_the_call_returns(
    client: AsyncWebClient, fake: SlackFake, receiver: Receiver
) -> None:
    posted = await client.chat_postMessage(channel="support-billing", text="card")
    await fake.wait_for(lambda: len(receiver.of_kind("event")) == 1, timeout=2)
    event = receiver.of_kind("event")[0].body["event"]
    assert event["user"] == "UBOT0001"
    assert event["bot_id"] == "BBOT0001"
    assert event["app_id"] == "A0SANDBOX"
    assert event["ts"] == posted["ts"]


async def test_echo_can_be_turned_off(
    client: AsyncWebClient, fake: SlackFake, receiver: Receiver
) -> None:
    fake.echo_bot_messages = False
    await client.chat_postMessage(channel="support-billing", text="card")
    await fake.idle()
    assert receiver.received == []


async def test_no_retries_by_default(fake: SlackFake, receiver: Receiver) -> None:
    receiver.status = 500
    answer = await fake.post(user="U0AGENT1", channel="support-billing", text="hi")
    await fake.idle()
    assert answer["status"] == 500
    assert len(receiver.of_kind("event")) == 1


async def test_http_error_is_retried_three_times_with_retry_headers(
    fake: SlackFake, receiver: Receiver
) -> None:
    fake.configure_retries(3, delays_s=(0.0, 0.0, 0.0))
    receiver.status = 500
    await fake.post(user="U0AGENT1", channel="support-billing", text="hi")
    await fake.idle()
    events = receiver.of_kind("event")
    assert len(events) == 4
    assert [e.headers.get("X-Slack-Retry-Num") for e in events] == [None, "1", "2", "3"]
    assert {e.headers.get("X-Slack-Retry-Reason") for e in events[1:]} == {"http_error"}
    assert len({e.body["event_id"] for e in events}) == 1  # the same event, redelivered


async def test_retries_stop_at_the_first_success(fake: SlackFake, receiver: Receiver) -> None:
    fake.configure_retries(3, delays_s=(0.0,))
    receiver.statuses = [503, 502]
    await fake.post(user="U0AGENT1", channel="support-billing", text="hi")
    await fake.idle()
    events = receiver.of_kind("event")
    assert [e.headers.get("X-Slack-Retry-Num") for e in events] == [None, "1", "2"]


async def test_no_retry_header_is_honoured(fake: SlackFake, receiver: Receiver) -> None:
    fake.configure_retries(3, delays_s=(0.0,))
    receiver.status = 500
    receiver.no_retry = True
    await fake.post(user="U0AGENT1", channel="support-billing", text="hi")
    await fake.idle()
    assert len(receiver.of_kind("event")) == 1


async def test_slow_answer_is_retried_as_http_timeout(fake: SlackFake, receiver: Receiver) -> None:
    fake.configure_retries(1, delays_s=(0.0,))
    fake.delivery.ack_timeout_s = 0.05  # Slack's is 3 s; shortened so the test is quick
    receiver.delay_s = 0.15
    answer = await fake.post(user="U0AGENT1", channel="support-billing", text="hi")
    await fake.idle()
    assert answer["status"] == 200  # the slow answer still comes back to the caller
    events = receiver.of_kind("event")
    assert len(events) == 2
    assert events[1].headers["X-Slack-Retry-Num"] == "1"
    assert events[1].headers["X-Slack-Retry-Reason"] == "http_timeout"


async def test_deliver_event_replays_a_retry(fake: SlackFake, receiver: Receiver) -> None:
    event = {"type": "message", "channel": "C1", "user": "U0AGENT1", "text": "x", "ts": "1.2"}
    await fake.deliver_event(event, event_id="Ev0REPLAY")
    await fake.deliver_event(event, event_id="Ev0REPLAY", retry_num=1, retry_reason="http_timeout")
    first, second = receiver.of_kind("event")
    assert first.body["event_id"] == second.body["event_id"] == "Ev0REPLAY"
    assert second.headers["X-Slack-Retry-Num"] == "1"
    assert second.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert second.body["event"] == event


async def test_wrong_secret_fails_the_app_s_verification(
    receiver: Receiver, clock: ManualClock
) -> None:
    impostor = SlackFake(
        signing_secret="not-the-secret",
        bot_token="xoxb-t",
        events_url=receiver.url,
        channels=["support-billing"],
        clock=clock,
    )
    answer = await impostor.post(user="U0AGENT1", channel="support-billing", text="hi")
    assert answer["status"] == 401
    assert receiver.rejected == 1 and receiver.received == []


async def test_open_home_sends_app_home_opened_with_the_published_view(
    client: AsyncWebClient, fake: SlackFake, receiver: Receiver
) -> None:
    view = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "3 open cases"}}],
    }
    await client.views_publish(user_id="U0AGENT1", view=view)
    await fake.open_home(user="U0AGENT1")
    event = receiver.of_kind("event")[-1].body["event"]
    assert event["type"] == "app_home_opened"
    assert event["user"] == "U0AGENT1" and event["tab"] == "home"
    assert event["channel"].startswith("D")
    assert event["view"]["blocks"][0]["text"]["text"] == "3 open cases"
    assert json.dumps(fake.views["U0AGENT1"]["blocks"]) == json.dumps(event["view"]["blocks"])


async def test_edits_and_deletes_are_announced_with_subtypes(
    client: AsyncWebClient, fake: SlackFake, receiver: Receiver
) -> None:
    posted = await client.chat_postMessage(channel="support-billing", text="Unclaimed")
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Claimed")
    await client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    await fake.idle()
    events = [r.body["event"] for r in receiver.of_kind("event")]
    assert [e.get("subtype") for e in events] == [None, "message_changed", "message_deleted"]
    changed, deleted = events[1], events[2]
    assert changed["message"]["text"] == "Claimed" and changed["message"]["ts"] == posted["ts"]
    assert changed["message"]["edited"]["user"] == "UBOT0001"
    assert changed["previous_message"]["text"] == "Unclaimed"
    assert "user" not in changed and "bot_id" not in changed  # nested, as in Slack
    assert deleted["deleted_ts"] == posted["ts"] and deleted["hidden"] is True
