"""Every bad request gets a JSON error with a code and a message, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import MAX_BODY_BYTES
from tests.handlers.conftest import assert_error, stored_rows
from tests.support import Person


async def started(client: TestClient) -> Person:
    person = Person(client)
    await person.start()
    return person


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/v1/conversations", "POST"),
        ("DELETE", "/api/v1/conversations", "POST"),
        ("PUT", "/api/v1/conversations/abc/messages", "GET"),
        ("PATCH", "/api/v1/openapi.json", "GET"),
    ],
)
async def test_wrong_method_is_405_json_with_allow(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    before = await stored_rows(client)
    response = await client.request(method, path)
    assert response.status == 405
    assert allow in response.headers["Allow"]
    assert_error(await response.json(), "method_not_allowed")
    assert await stored_rows(client) == before


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api/v1/conversations/", "/api/v2/conversations", "/x.php"]
)
async def test_unknown_address_is_404_json(client: TestClient, path: str) -> None:
    response = await client.post(path, json={"text": "hi"})
    assert response.status == 404
    assert response.content_type == "application/json"
    assert_error(await response.json(), "not_found")


async def test_body_over_the_limit_is_413_and_stores_nothing(client: TestClient) -> None:
    person = await started(client)
    before = await stored_rows(client)
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        data=b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}',
        headers={**person.auth, "Content-Type": "application/json"},
    )
    assert response.status == 413
    assert_error(await response.json(), "body_too_large")
    assert await stored_rows(client) == before


async def test_message_over_4000_characters_is_413_and_stores_nothing(
    client: TestClient,
) -> None:
    person = await started(client)
    before = await stored_rows(client)
    url = f"/api/v1/conversations/{person.conversation_id}/messages"
    response = await client.post(url, json={"text": "é" * 4001}, headers=person.auth)
    assert response.status == 413
    assert_error(await response.json(), "text_too_long")
    assert await stored_rows(client) == before
    # 4,000 characters exactly is a message, stored with the bot's answer.
    accepted = await client.post(url, json={"text": "é" * 4000}, headers=person.auth)
    assert accepted.status == 200
    assert (await stored_rows(client))["message"] > before["message"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", b'{"text": "hi"}'),
        ("application/x-www-form-urlencoded", b"text=hi"),
        ("multipart/form-data; boundary=x", b'--x\r\n\r\n{"text": "hi"}\r\n--x--'),
        (None, b'{"text": "hi"}'),
    ],
    ids=["text", "form", "multipart", "none"],
)
async def test_non_json_body_is_415_and_stores_nothing(
    client: TestClient, content_type: str | None, data: bytes
) -> None:
    """A browser on another site can post these without a preflight; JSON it cannot."""
    person = await started(client)
    before = await stored_rows(client)
    headers = dict(person.auth)
    if content_type:
        headers["Content-Type"] = content_type
    messages = f"/api/v1/conversations/{person.conversation_id}/messages"
    for path in ("/api/v1/conversations", messages):
        response = await client.post(path, data=data, headers=headers)
        assert response.status == 415, path
        assert_error(await response.json(), "unsupported_media_type")
    assert await stored_rows(client) == before


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
async def test_json_media_type_variants_are_read(client: TestClient, content_type: str) -> None:
    response = await client.post(
        "/api/v1/conversations", data=b'{"locale": "sv"}', headers={"Content-Type": content_type}
    )
    assert response.status == 201
    assert (await response.json())["state"] == "bot"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", None),  # no body: an anonymous conversation, not an error
        (b"[]", "invalid_json"),
        (b'"text"', "invalid_json"),
        (b"null", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b'{"locale": "en\\u0000"}', "invalid_characters"),
        (b'{"locale": "\\ud800"}', "invalid_characters"),
        (b'{"locale": 5}', "locale_invalid"),
        (b'{"locale": "klingon"}', "locale_invalid"),
        (b'{"locale": "de"}', "locale_unsupported"),
        (b'{"locale": "en-\\u00e9\\u00e9"}', "locale_invalid"),
        (b'{"page_locale": 5}', "page_locale_invalid"),
        (b'{"page_locale": "Swedish please"}', "page_locale_invalid"),
    ],
)
async def test_malformed_create_body_is_400_and_stores_nothing(
    client: TestClient, data: bytes, code: str | None
) -> None:
    before = await stored_rows(client)
    response = await client.post(
        "/api/v1/conversations", data=data, headers={"Content-Type": "application/json"}
    )
    if code is None:
        assert response.status == 201
        return
    assert response.status == 400
    assert_error(await response.json(), code)
    assert await stored_rows(client) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "hi\x00there"}, "invalid_characters"),
        ({"text": "hi", "client_id": "a\x00"}, "invalid_characters"),
        ({"text": "hi", "client_id": 7}, "client_id_invalid"),
        ({"text": "hi", "client_id": ""}, "client_id_invalid"),
        ({"text": "hi", "client_id": "c" * 65}, "client_id_invalid"),
        ({"text": ["hi"]}, "text_required"),
        ({"text": None}, "text_required"),
        ({"text": {"text": "hi"}}, "text_required"),
        ({"text": "\n\t "}, "text_empty"),
    ],
)
async def test_wrong_types_in_a_message_are_400_and_store_nothing(
    client: TestClient, body: dict[str, Any], code: str
) -> None:
    person = await started(client)
    before = await stored_rows(client)
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages", json=body, headers=person.auth
    )
    assert response.status == 400
    assert_error(await response.json(), code)
    assert await stored_rows(client) == before


async def test_lone_surrogate_in_a_message_is_400(client: TestClient) -> None:
    person = await started(client)
    before = await stored_rows(client)
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        data=b'{"text": "hi \\udc80"}',
        headers={**person.auth, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert_error(await response.json(), "invalid_characters")
    assert await stored_rows(client) == before


@pytest.mark.parametrize("after", ["-1", "1.5", "abc", "²", "١", "2147483648", "9" * 30, ""])
async def test_bad_after_is_400(client: TestClient, after: str) -> None:
    person = await started(client)
    response = await client.get(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        params={"after": after},
        headers=person.auth,
    )
    assert response.status == 400
    assert_error(await response.json(), "after_invalid")


async def test_largest_after_is_an_empty_page(client: TestClient) -> None:
    person = await started(client)
    inbox = await person.inbox(after=2**31 - 1)
    assert inbox["messages"] == [] and inbox["state"] == "bot"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b", "Bearer " + "x" * 5000],
)
async def test_missing_or_malformed_token_is_401_and_stores_nothing(
    client: TestClient, authorization: str | None
) -> None:
    person = await started(client)
    before = await stored_rows(client)
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        json={"text": "hello"},
        headers=headers,
    )
    assert response.status == 401
    body = await response.json()
    assert body["error"]["code"] in {"token_missing", "token_invalid"}
    assert_error(body, body["error"]["code"])
    assert await stored_rows(client) == before
