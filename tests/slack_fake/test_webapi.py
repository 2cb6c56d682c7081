"""The Web API through the real slack-sdk client: auth, errors, ts, messages, metadata."""

from __future__ import annotations

import re

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake

TS = re.compile(r"^\d{10}\.\d{6}$")


async def test_auth_test_names_the_bot(client: AsyncWebClient, fake: SlackFake) -> None:
    answer = await client.auth_test()
    assert answer["user_id"] == "UBOT0001"
    assert answer["bot_id"] == "BBOT0001"
    assert answer["team_id"] == "T0SANDBOX"


async def test_missing_token_is_not_authed(fake: SlackFake) -> None:
    with pytest.raises(SlackApiError) as err:
        await AsyncWebClient(base_url=fake.base_url).auth_test()
    assert err.value.response["error"] == "not_authed"
    assert err.value.response.status_code == 200


async def test_wrong_token_is_invalid_auth(fake: SlackFake) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="support-billing", text="hi")
    assert err.value.response["error"] == "invalid_auth"
    assert fake.messages("support-billing") == []


async def test_token_as_form_field_is_accepted(fake: SlackFake) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{fake.base_url}auth.test", data={"token": "xoxb-test-token"}
        ) as res:
            body = await res.json()
    assert body["ok"] is True


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.postMessages", json={"channel": "x"})
    assert err.value.response["error"] == "unknown_method"


async def test_unknown_channel(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0NOPE", text="hi")
    assert err.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_history(channel="C0NOPE")
    assert err.value.response["error"] == "channel_not_found"


async def test_ts_is_a_unique_increasing_string(client: AsyncWebClient, fake: SlackFake) -> None:
    channel = fake.channel_id("support-billing")
    seen = []
    for i in range(3):
        answer = await client.chat_postMessage(channel=channel, text=f"card {i}")
        assert isinstance(answer["ts"], str) and TS.match(answer["ts"])
        assert answer["channel"] == channel
        assert answer["message"]["text"] == f"card {i}"
        seen.append(answer["ts"])
    assert seen == sorted(seen, key=float) and len(set(seen)) == 3
    assert [m["text"] for m in fake.messages("support-billing")] == ["card 0", "card 1", "card 2"]


async def test_channel_by_name_and_id(client: AsyncWebClient, fake: SlackFake) -> None:
    await client.chat_postMessage(channel="#support-crisis", text="a")
    await client.chat_postMessage(channel=fake.channel_id("support-crisis"), text="b")
    assert [m["text"] for m in fake.messages(fake.channel_id("support-crisis"))] == ["a", "b"]
    with pytest.raises(KeyError):
        fake.channel_id("no-such-channel")


async def test_metadata_is_stored_and_returned_with_include_all_metadata(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    metadata = {"event_type": "handoff_card", "event_payload": {"case": "C-1042"}}
    posted = await client.chat_postMessage(
        channel="support-billing", text="card", metadata=metadata
    )
    plain = await client.conversations_history(channel=posted["channel"])
    assert "metadata" not in plain["messages"][0]
    with_meta = await client.conversations_history(
        channel=posted["channel"], include_all_metadata=True
    )
    assert with_meta["messages"][0]["metadata"] == metadata
    assert fake.messages("support-billing")[0]["metadata"] == metadata


async def test_bad_metadata_is_refused(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(
            channel="support-billing", text="x", metadata={"event_payload": {}}
        )
    assert err.value.response["error"] == "invalid_metadata_format"


async def test_update_and_delete(client: AsyncWebClient, fake: SlackFake) -> None:
    posted = await client.chat_postMessage(channel="support-billing", text="Unclaimed")
    updated = await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Claimed")
    assert updated["ts"] == posted["ts"]
    assert fake.messages("support-billing")[0]["text"] == "Claimed"
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel=posted["channel"], ts="1.000000", text="x")
    assert err.value.response["error"] == "message_not_found"
    await client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert fake.messages("support-billing") == []
    with pytest.raises(SlackApiError) as err:
        await client.chat_delete(channel=posted["channel"], ts=posted["ts"])
    assert err.value.response["error"] == "message_not_found"


async def test_bot_cannot_update_a_person_s_message(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    await fake.post(user="U0AGENT1", channel="support-billing", text="mine")
    ts = fake.messages("support-billing")[0]["ts"]
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="support-billing", ts=ts, text="hijack")
    assert err.value.response["error"] == "cant_update_message"


async def test_update_keeps_blocks_when_omitted(client: AsyncWebClient, fake: SlackFake) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Case* C-1"}}]
    posted = await client.chat_postMessage(channel="support-billing", text="t", blocks=blocks)
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="t2")
    stored = fake.messages("support-billing")[0]
    assert stored["text"] == "t2"
    assert stored["blocks"][0]["text"]["text"] == "*Case* C-1"


async def test_thread_replies(client: AsyncWebClient, fake: SlackFake) -> None:
    parent = await client.chat_postMessage(channel="support-billing", text="card")
    await client.chat_postMessage(channel="support-billing", text="r1", thread_ts=parent["ts"])
    await fake.post(
        user="U0AGENT1", channel="support-billing", text="on it", thread_ts=parent["ts"]
    )
    replies = await client.conversations_replies(channel=parent["channel"], ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["card", "r1", "on it"]
    assert replies["messages"][0]["reply_count"] == 2
    assert [m["text"] for m in fake.thread("support-billing", parent["ts"])] == ["r1", "on it"]
    history = await client.conversations_history(channel=parent["channel"])
    assert [m["text"] for m in history["messages"]] == ["card"]  # replies stay in the thread
    with pytest.raises(SlackApiError) as err:
        await client.conversations_replies(channel=parent["channel"], ts="1.000000")
    assert err.value.response["error"] == "thread_not_found"


async def test_thread_replies_honour_oldest_latest_inclusive_and_cursor(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    fake.rate_limit = False
    parent = await client.chat_postMessage(channel="support-billing", text="card")
    channel, root = parent["channel"], parent["ts"]
    ts = []
    for i in range(5):
        posted = await client.chat_postMessage(channel=channel, text=f"r{i}", thread_ts=root)
        ts.append(posted["ts"])

    async def texts(**bounds: object) -> list[str]:
        answer = await client.conversations_replies(channel=channel, ts=root, **bounds)
        return [m["text"] for m in answer["messages"]]

    # The parent comes first whatever the bounds, as Slack lists it.
    assert await texts(oldest=ts[1]) == ["card", "r2", "r3", "r4"]
    assert await texts(oldest=ts[1], inclusive=False) == ["card", "r2", "r3", "r4"]
    assert await texts(oldest=ts[1], latest=ts[3]) == ["card", "r2"]
    assert await texts(oldest=ts[1], latest=ts[3], inclusive=True) == ["card", "r1", "r2", "r3"]
    first = await client.conversations_replies(channel=channel, ts=root, oldest=ts[0], limit=2)
    assert [m["text"] for m in first["messages"]] == ["card", "r1"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_replies(
        channel=channel, ts=root, oldest=ts[0], limit=2, cursor=cursor
    )
    assert [m["text"] for m in second["messages"]] == ["r2", "r3"]
    last = await client.conversations_replies(
        channel=channel,
        ts=root,
        oldest=ts[0],
        limit=2,
        cursor=second["response_metadata"]["next_cursor"],
    )
    assert [m["text"] for m in last["messages"]] == ["r4"]
    assert last["has_more"] is False and last["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError) as err:
        await client.conversations_replies(channel=channel, ts=root, oldest="yesterday")
    assert err.value.response["error"] == "invalid_ts_oldest"


async def test_history_is_newest_first_and_paginates(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    fake.rate_limit = False
    for i in range(5):
        await client.chat_postMessage(channel="support-billing", text=f"m{i}")
    first = await client.conversations_history(channel="support-billing", limit=3)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3", "m2"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="support-billing", limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["m1", "m0"]
    assert rest["has_more"] is False and rest["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError) as err:
        await client.conversations_history(channel="support-billing", cursor="3")
    assert err.value.response["error"] == "invalid_cursor"


async def test_ephemeral_is_stored_for_its_user_and_not_in_history(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    answer = await client.chat_postEphemeral(
        channel="support-billing", user="U0AGENT2", text="Lee already has this case"
    )
    assert TS.match(answer["message_ts"])
    stored = fake.messages("support-billing")
    assert stored[0]["ephemeral_to"] == "U0AGENT2"
    assert fake.messages("support-billing", include_ephemeral=False) == []
    history = await client.conversations_history(channel="support-billing")
    assert history["messages"] == []
    with pytest.raises(SlackApiError) as err:
        await client.chat_postEphemeral(channel="support-billing", user="U0NOBODY", text="x")
    assert err.value.response["error"] == "user_not_found"


async def test_permalink_info_list_users(client: AsyncWebClient, fake: SlackFake) -> None:
    posted = await client.chat_postMessage(channel="support-billing", text="card")
    link = await client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])
    digits = posted["ts"].replace(".", "")
    assert link["permalink"].endswith(f"/archives/{posted['channel']}/p{digits}")
    info = await client.conversations_info(channel=posted["channel"])
    assert info["channel"]["name"] == "support-billing"
    listed = await client.conversations_list()
    assert {c["name"] for c in listed["channels"]} == {"support-billing", "support-crisis"}
    user = await client.users_info(user="U0AGENT1")
    assert user["user"]["real_name"] == "Alex Rivera"
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"


async def errors_of(client: AsyncWebClient, calls: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Slack's error for each call, every one expected to fail."""
    errors = []
    for method, params in calls:
        with pytest.raises(SlackApiError) as err:
            await client.api_call(method, json=params)
        errors.append(err.value.response["error"])
    return errors


def writes(channel: str, ts: str) -> list[tuple[str, dict[str, str]]]:
    """A post, an edit, a deletion and an ephemeral post by the bot."""
    return [
        ("chat.postMessage", {"channel": channel, "text": "new", "thread_ts": ts}),
        ("chat.update", {"channel": channel, "ts": ts, "text": "edited"}),
        ("chat.delete", {"channel": channel, "ts": ts}),
        ("chat.postEphemeral", {"channel": channel, "user": "U0AGENT1", "text": "only you"}),
    ]


@pytest.mark.parametrize("by", ["conversations.archive", "a person"])
async def test_an_archived_channel_can_be_read_and_not_changed(
    by: str, client: AsyncWebClient, fake: SlackFake
) -> None:
    card = await client.chat_postMessage(channel="support-billing", text="card")
    channel, ts = card["channel"], card["ts"]
    await client.chat_postMessage(channel=channel, text="reply", thread_ts=ts)
    if by == "a person":
        fake.archive_channel("support-billing")
    else:
        assert (await client.conversations_archive(channel=channel))["ok"] is True

    # chat.update names it is_inactive; the others, is_archived.
    errors = await errors_of(client, writes(channel, ts))
    assert errors == ["is_archived", "is_inactive", "is_archived", "is_archived"]
    assert [m["text"] for m in fake.messages("support-billing")] == ["card", "reply"]
    replies = await client.conversations_replies(channel=channel, ts=ts)
    assert [m["text"] for m in replies["messages"]] == ["card", "reply"]
    history = await client.conversations_history(channel=channel)
    assert [m["text"] for m in history["messages"]] == ["card"]
    info = (await client.conversations_info(channel=channel))["channel"]
    assert (info["is_archived"], info["is_member"]) == (True, True)
    with pytest.raises(SlackApiError) as err:
        await client.conversations_archive(channel=channel)
    assert err.value.response["error"] == "already_archived"
    with pytest.raises(ValueError, match="archived"):
        await fake.post(user="U0AGENT1", channel="support-billing", text="hello?")
    # The other channels are as they were.
    await client.chat_postMessage(channel="support-crisis", text="still open")


async def test_conversations_archive_refuses_a_direct_message_and_an_unknown_channel(
    client: AsyncWebClient,
) -> None:
    dm = await client.chat_postMessage(channel="U0AGENT1", text="hi")
    with pytest.raises(SlackApiError) as err:
        await client.conversations_archive(channel=dm["channel"])
    assert err.value.response["error"] == "method_not_supported_for_channel_type"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_archive(channel="C0NOPE")
    assert err.value.response["error"] == "channel_not_found"


async def test_a_bot_removed_from_a_channel_can_neither_read_nor_write_there(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    card = await client.chat_postMessage(channel="support-billing", text="card")
    channel, ts = card["channel"], card["ts"]
    fake.remove_bot("support-billing")

    # A bot token reads only the channels its bot is in, too.
    reads = [
        ("conversations.replies", {"channel": channel, "ts": ts}),
        ("conversations.history", {"channel": channel}),
        ("conversations.archive", {"channel": channel}),
    ]
    assert await errors_of(client, writes(channel, ts) + reads) == ["not_in_channel"] * 7
    info = (await client.conversations_info(channel=channel))["channel"]
    assert (info["is_archived"], info["is_member"]) == (False, False)
    assert [m["text"] for m in fake.messages("support-billing")] == ["card"]
    with pytest.raises(ValueError, match="not in"):
        await fake.post(user="U0AGENT1", channel="support-billing", text="hello?")
    # The bot is still in the other channels.
    info = (await client.conversations_info(channel="support-crisis"))["channel"]
    assert (info["is_archived"], info["is_member"]) == (False, True)
    await client.chat_postMessage(channel="support-crisis", text="still here")


async def test_calls_are_recorded(client: AsyncWebClient, fake: SlackFake) -> None:
    await client.chat_postMessage(channel="support-billing", text="hi")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="nope", text="hi")
    last_two = fake.calls[-2:]
    assert [c["method"] for c in last_two] == ["chat.postMessage", "chat.postMessage"]
    assert last_two[0]["params"]["text"] == "hi" and "error" not in last_two[0]
    assert last_two[1]["error"] == "channel_not_found"
    assert all("token" not in c["params"] for c in fake.calls)
