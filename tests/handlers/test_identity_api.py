"""POST /api/v1/conversations with a user id: verified (HMAC), refused, or not configured."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.identity import person_ref, user_hash
from bot.store import cases as case_store
from tests.handlers.conftest import IDENTITY_SECRET, MakeClient, assert_error, stored_rows


async def case_person_ref(client: TestClient, conversation_id: str) -> str | None:
    async with client.app[keys.DB].transaction() as session:
        case = await case_store.get_case(session, case_id=conversation_id)
    assert case is not None
    return case.person_ref


async def start(client: TestClient, body: Any) -> tuple[int, Any]:
    response = await client.post("/api/v1/conversations", json=body)
    return response.status, await response.json()


async def test_verified_user_is_stored_as_a_pseudonym(make_client: MakeClient) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    status, body = await start(
        client, {"user_id": "user-42", "user_hash": user_hash("user-42", secret=IDENTITY_SECRET)}
    )
    assert status == 201, body
    stored = await case_person_ref(client, body["conversation_id"])
    assert stored == person_ref("user-42", secret=IDENTITY_SECRET)
    assert stored is not None and "user-42" not in stored


async def test_hash_is_accepted_in_upper_case(make_client: MakeClient) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    digest = user_hash("user-42", secret=IDENTITY_SECRET).upper()
    status, body = await start(client, {"user_id": "user-42", "user_hash": digest})
    assert status == 201, body


async def test_same_person_gets_the_same_ref_across_conversations(
    make_client: MakeClient,
) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    identity = {"user_id": "u-7", "user_hash": user_hash("u-7", secret=IDENTITY_SECRET)}
    _, first = await start(client, identity)
    _, second = await start(client, identity)
    assert first["conversation_id"] != second["conversation_id"]
    refs = {await case_person_ref(client, c["conversation_id"]) for c in (first, second)}
    assert refs == {person_ref("u-7", secret=IDENTITY_SECRET)}


async def test_anonymous_chat_has_no_person_ref(make_client: MakeClient) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    status, body = await start(client, {"locale": "en"})
    assert status == 201
    assert await case_person_ref(client, body["conversation_id"]) is None


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "user-42"},
        {"user_id": "user-42", "user_hash": ""},
        {"user_id": "user-42", "user_hash": "0" * 64},
        {"user_id": "user-42", "user_hash": user_hash("user-43", secret=IDENTITY_SECRET)},
        {"user_id": "user-42", "user_hash": user_hash("user-42", secret="another-secret")},
        {"user_id": "user-42", "user_hash": 12345},
        {"user_id": "user-42", "user_hash": ["a"]},
    ],
    ids=["no-hash", "empty", "zeros", "other-user", "other-secret", "number", "list"],
)
async def test_unverified_user_id_gets_401_and_stores_nothing(
    make_client: MakeClient, body: dict[str, Any]
) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    before = await stored_rows(client)
    status, answer = await start(client, body)
    assert status == 401
    assert_error(answer, "identity_unverified")
    assert await stored_rows(client) == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"user_id": ""}, "user_id_invalid"),
        ({"user_id": 42}, "user_id_invalid"),
        ({"user_id": "x" * 257, "user_hash": "0" * 64}, "user_id_invalid"),
        ({"user_hash": "0" * 64}, "user_id_missing"),
    ],
)
async def test_malformed_identity_gets_400_and_stores_nothing(
    make_client: MakeClient, body: dict[str, Any], code: str
) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    before = await stored_rows(client)
    status, answer = await start(client, body)
    assert status == 400
    assert_error(answer, code)
    assert await stored_rows(client) == before


@pytest.mark.parametrize("environment", ["development", "test"])
async def test_user_id_is_refused_when_identity_is_not_configured(
    make_client: MakeClient, environment: str
) -> None:
    """Without IDENTITY_SECRET nothing can vouch for a user id, in any environment."""
    client = await make_client(identity_secret=None, environment=environment)
    before = await stored_rows(client)
    status, answer = await start(client, {"user_id": "user-42", "user_hash": "ab" * 32})
    assert status == 400
    assert_error(answer, "identity_not_configured")
    assert await stored_rows(client) == before
    status, answer = await start(client, {})
    assert status == 201, "an anonymous chat still works"


async def test_empty_identity_secret_counts_as_not_configured(make_client: MakeClient) -> None:
    client = await make_client(identity_secret="")
    status, answer = await start(client, {"user_id": "user-42", "user_hash": "ab" * 32})
    assert status == 400
    assert_error(answer, "identity_not_configured")
