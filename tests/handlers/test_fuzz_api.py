"""Fuzz the REST API from its own OpenAPI document (GitHub issue 6, acceptance).

Requests are generated from the schemas the server publishes at /api/v1/openapi.json:
valid and invalid bodies, odd media types and headers, genuine, expired, foreign and
forged tokens, wrong methods. Each runs against the real app and must get

- no 5xx;
- a status the document lists for that operation (405 for a method it does not list);
- a body that matches the documented schema for that status, so every error is
  `{"error": {"code", "message"}}` with a documented code;
- the security headers, Retry-After on 429 and Allow on 405;
- and, when refused, nothing stored: the case store's rows are counted before and after.

API_FUZZ_EXAMPLES raises the number of requests (default 150).
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot import keys
from bot.clock import FakeClock
from bot.identity import user_hash
from bot.tokens import issue_token
from handlers.middleware import SECURITY_HEADERS
from tests.handlers.conftest import IDENTITY_SECRET, MakeClient, stored_rows
from tests.handlers.openapi_schemas import invalid, resolve, valid, validate

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MEDIA_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=zz",
    "application/octet-stream",
    None,
)
# Header values a client can put on the wire: printable ASCII.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
# Never only dots: "." and ".." are path segments a client normalises away.
PATH_ID = st.text(string.ascii_letters + string.digits + "-_~é", min_size=1, max_size=40).map(
    lambda s: s if s.strip(".") else "x" + s
)


@dataclass(repr=False)  # the document is long; hypothesis prints the arguments of a failure
class Target:
    client: TestClient
    document: dict[str, Any]
    own: tuple[str, str]  # conversation id, token
    other: tuple[str, str]
    expired_token: str


@pytest.fixture
async def target(make_client: MakeClient) -> Target:
    clock = FakeClock()
    client = await make_client(
        clock=clock,
        identity_secret=IDENTITY_SECRET,
        ip=(1000.0, 1_000_000),
        conversation=(1000.0, 1_000_000),
    )
    served = await client.get("/api/v1/openapi.json")
    assert served.status == 200
    document = await served.json()
    conversations = []
    for _ in range(2):
        response = await client.post("/api/v1/conversations", json={"locale": "en"})
        body = await response.json()
        conversations.append((body["conversation_id"], body["token"]))
    expired = issue_token(
        conversations[0][0],
        secret=client.app[keys.SETTINGS].token_secret,
        ttl_s=60,
        now=(clock() - timedelta(hours=2)).timestamp(),
    )
    return Target(client, document, conversations[0], conversations[1], expired)


@dataclass
class Call:
    method: str
    template: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    query: dict[str, str]


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every operation; those that take input several times, the fixed document once."""
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                takes_input = "requestBody" in operation or "{" in template
                found += [(template, method.upper())] * (4 if takes_input else 1)
    return found


def operation_of(document: dict[str, Any], template: str, method: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = document["paths"][template].get(method.lower())
    return found


@st.composite
def calls(draw: st.DrawFn, target: Target) -> Call:
    document = target.document
    template, method = draw(st.sampled_from(operations(document)))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(METHODS))  # sometimes one it does not take
    operation = operation_of(document, template, method) or {}

    conversation_id, token = target.own
    which = draw(st.sampled_from(["own", "own", "own", "other", "made-up"]))
    if which == "other":
        conversation_id = target.other[0]
    elif which == "made-up":
        conversation_id = draw(PATH_ID)
    path = template.replace("{conversation_id}", quote(conversation_id, safe=""))

    headers: dict[str, str] = {}
    auth = draw(
        st.sampled_from(["valid", "valid", "valid", "other", "expired", "junk", "none", "basic"])
    )
    if auth == "valid":
        headers["Authorization"] = f"Bearer {token}"
    elif auth == "other":
        headers["Authorization"] = f"Bearer {target.other[1]}"
    elif auth == "expired":
        headers["Authorization"] = f"Bearer {target.expired_token}"
    elif auth == "junk":
        headers["Authorization"] = "Bearer " + draw(HEADER_TEXT)
    elif auth == "basic":
        headers["Authorization"] = "Basic dXNlcjpwYXNz"
    if draw(st.booleans()):
        headers["X-Request-Id"] = draw(HEADER_TEXT)
    if draw(st.integers(0, 4)) == 0:
        headers["Origin"] = draw(st.sampled_from(["https://evil.example", "null"]))

    body: bytes | None = None
    schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    kind = draw(st.sampled_from(["valid", "valid", "invalid", "raw", "none"]))
    value: Any = None
    if kind == "valid" and schema is not None:
        value = draw(valid(document, schema))
        if template == "/api/v1/conversations" and draw(st.booleans()):
            user_id = draw(
                st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=40)
            )
            value = {
                **value,
                "user_id": user_id,
                "user_hash": user_hash(user_id, secret=IDENTITY_SECRET),
            }
    elif kind == "invalid" and schema is not None:
        value = draw(invalid(document, schema))
    if value is not None:
        body = json.dumps(value).encode()
    elif kind == "raw":
        body = draw(
            st.sampled_from([b"{", b"[]", b"null", b"\xff\xfe", b'{"text": 1e999}', b"x" * 300_000])
            | st.binary(max_size=64)
        )
    if body is not None:
        media_type = (
            draw(st.sampled_from(MEDIA_TYPES))
            if draw(st.integers(0, 3)) == 0
            else "application/json"
        )
        if media_type is not None:
            headers["Content-Type"] = media_type
        else:
            headers["Content-Type"] = ""

    query: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        parameter = resolve(document, parameter)
        if parameter["in"] == "query" and draw(st.booleans()):
            query[parameter["name"]] = draw(
                valid(document, parameter["schema"]) | st.text(max_size=12)
            )
    return Call(method, template, path, headers, body, query)


async def check(target: Target, call: Call) -> None:
    client, document = target.client, target.document
    before = await stored_rows(client)
    response = await client.request(
        call.method, call.path, data=call.body, headers=call.headers, params=call.query
    )
    event(f"{call.method} {call.template} -> {response.status}")
    what = f"{call.method} {call.path} {call.headers} {call.body[:200] if call.body else None!r}"
    assert response.status < 500, f"{what} -> {response.status}: {await response.text()}"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{what}: header {name}"

    operation = operation_of(document, call.template, call.method)
    if operation is None:
        assert response.status == 405, f"{what} -> {response.status}"
        assert "Allow" in response.headers
        responses = {"405": {"$ref": "#/components/responses/MethodNotAllowed"}}
    else:
        responses = operation["responses"]
    documented = resolve(document, responses.get(str(response.status), {}))
    assert documented, f"{what} -> undocumented {response.status}: {await response.text()}"
    assert response.content_type == "application/json", what
    body = await response.json()
    schema = documented["content"]["application/json"]["schema"]
    problems = validate(document, schema, body)
    assert not problems, f"{what} -> {response.status} {body}: {problems}"
    for header in documented.get("headers", {}):
        assert header in response.headers or header == "X-Request-Id", f"{what}: no {header}"
    if response.status == 429:
        assert int(response.headers["Retry-After"]) >= 1

    if response.status >= 400 or call.method == "GET":
        assert await stored_rows(client) == before, f"{what} -> {response.status} stored rows"


EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "150"))


# Each example is a real request (~0.1-0.5 s on PostgreSQL); the suite's 120 s default
# would cut a long run short and surface as a 500 from a cancelled query.
@pytest.mark.timeout(max(120, EXAMPLES))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_fuzz_the_api_from_its_openapi_document(target: Target, data: st.DataObject) -> None:
    await check(target, data.draw(calls(target)))
