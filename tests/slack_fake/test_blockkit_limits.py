"""Every Block Kit limit the app can hit, checked through chat.postMessage and views.*."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from bot.slack_fake.blockkit import validate_blocks


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Claim", action_id: str = "claim") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": "v",
    }


TOO_BIG: list[tuple[str, list[dict[str, Any]], str]] = [
    ("51 blocks", [section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    (
        "section text 3001",
        [section("x" * 3001)],
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "header 151",
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "button text 76",
        [{"type": "actions", "elements": [button("b" * 76)]}],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    (
        "action_id 256",
        [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ),
    (
        "block_id 256",
        [{**section("x"), "block_id": "b" * 256}],
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    (
        "26 action elements",
        [{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}],
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        "section without text",
        [{"type": "section"}],
        "missing required field: text [json-pointer:/blocks/0]",
    ),
    (
        "header without text",
        [{"type": "header"}],
        "missing required field: text [json-pointer:/blocks/0]",
    ),
    (
        "button without text",
        [{"type": "actions", "elements": [{"type": "button", "action_id": "x"}]}],
        "missing required field: text [json-pointer:/blocks/0/elements/0]",
    ),
    (
        "block without type",
        [{"text": "x"}],
        "missing required field: type [json-pointer:/blocks/0]",
    ),
    (
        "duplicate block_id",
        [{**section("x"), "block_id": "b"}, {**section("y"), "block_id": "b"}],
        "duplicate block_id: b [json-pointer:/blocks/1/block_id]",
    ),
    (
        "duplicate action_id in a block",
        [{"type": "actions", "elements": [button(), button()]}],
        "duplicate action_id: claim [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    (
        "header in mrkdwn",
        [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
]


@pytest.mark.parametrize(("name", "blocks", "problem"), TOO_BIG, ids=[t[0] for t in TOO_BIG])
async def test_invalid_blocks_names_the_problem(
    client: AsyncWebClient, fake: SlackFake, name: str, blocks: list[dict[str, Any]], problem: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="support-billing", text="card", blocks=blocks)
    response = err.value.response
    assert response.status_code == 200
    assert response["error"] == "invalid_blocks"
    assert f"[ERROR] {problem}" in response["response_metadata"]["messages"]
    assert fake.messages("support-billing") == []


AT_THE_LIMIT: list[tuple[str, list[dict[str, Any]]]] = [
    ("50 blocks", [section("x")] * 50),
    ("section text 3000", [section("x" * 3000)]),
    ("header 150", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]),
    ("button 75 / action_id 255", [{"type": "actions", "elements": [button("b" * 75, "a" * 255)]}]),
    (
        "25 action elements",
        [{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(25)]}],
    ),
]


@pytest.mark.parametrize(("name", "blocks"), AT_THE_LIMIT, ids=[t[0] for t in AT_THE_LIMIT])
async def test_blocks_at_the_limit_are_accepted(
    client: AsyncWebClient, fake: SlackFake, name: str, blocks: list[dict[str, Any]]
) -> None:
    answer = await client.chat_postMessage(channel="support-billing", text="card", blocks=blocks)
    assert len(answer["message"]["blocks"]) == len(blocks)


async def test_text_over_40000_is_msg_too_long(client: AsyncWebClient, fake: SlackFake) -> None:
    await client.chat_postMessage(channel="support-billing", text="x" * 40_000)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="support-billing", text="x" * 40_001)
    assert err.value.response["error"] == "msg_too_long"
    assert len(fake.messages("support-billing")) == 1


async def test_no_text_and_no_blocks(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        # api_call directly: the SDK itself warns before sending a message with no text.
        await client.api_call("chat.postMessage", json={"channel": "support-billing", "text": ""})
    assert err.value.response["error"] == "no_text"


async def test_blocks_must_be_an_array(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call(
            "chat.postMessage", params={"channel": "support-billing", "blocks": "{not json"}
        )
    assert err.value.response["error"] == "invalid_blocks_format"


async def test_chat_update_validates_blocks_too(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="support-billing", text="card")
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(
            channel=posted["channel"], ts=posted["ts"], text="t", blocks=[section("x" * 3001)]
        )
    assert err.value.response["error"] == "invalid_blocks"


async def test_home_view_allows_100_blocks_not_101(client: AsyncWebClient, fake: SlackFake) -> None:
    ok = await client.views_publish(
        user_id="U0AGENT1", view={"type": "home", "blocks": [section("x")] * 100}
    )
    assert len(ok["view"]["blocks"]) == 100
    with pytest.raises(SlackApiError) as err:
        await client.views_publish(
            user_id="U0AGENT1", view={"type": "home", "blocks": [section("x")] * 101}
        )
    assert err.value.response["error"] == "invalid_arguments"
    assert (
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
        in err.value.response["response_metadata"]["messages"]
    )


def test_generated_ids_are_not_required() -> None:
    # Slack fills in block_id and action_id when omitted; leaving them out is valid.
    blocks = [
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}],
        }
    ]
    assert validate_blocks(blocks) == []


async def test_same_action_id_in_different_blocks_is_fine(client: AsyncWebClient) -> None:
    blocks = [
        {"type": "actions", "elements": [button()]},
        {"type": "actions", "elements": [button()]},
    ]
    answer = await client.chat_postMessage(channel="support-billing", text="t", blocks=blocks)
    assert answer["ok"] is True
