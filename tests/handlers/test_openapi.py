"""GET /api/v1/openapi.json: an OpenAPI 3.1 document that matches the routes and answers."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.identity import user_hash
from handlers.middleware import SECURITY_HEADERS
from tests.handlers.conftest import IDENTITY_SECRET, MakeClient
from tests.handlers.openapi_schemas import resolve, validate
from tests.support import Person

# Statuses every operation that takes input can answer, whatever the input.
EVERY_INPUT_OPERATION = {"405", "429", "500"}


async def served(client: TestClient) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    document: dict[str, Any] = await response.json()
    return document


def api_routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.resource.canonical, route.method)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


async def test_document_is_openapi_3_1(client: TestClient) -> None:
    document = await served(client)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]


async def test_every_api_route_is_documented_and_nothing_else(client: TestClient) -> None:
    document = await served(client)
    assert api_routes(client.app) == documented_routes(document)


async def test_every_reference_resolves_and_every_error_is_the_error_shape(
    client: TestClient,
) -> None:
    document = await served(client)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                assert resolve(document, node), node["$ref"]
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(document)
    error_shape = {"error": {"code": "some_code", "message": "Words."}}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            if "requestBody" in operation or "{" in path:
                assert EVERY_INPUT_OPERATION <= set(responses), (path, method)
            for status, response in responses.items():
                if int(status) < 400:
                    continue
                schema = resolve(document, response)["content"]["application/json"]["schema"]
                # The error shape, and nothing but documented codes.
                assert not validate(document, {"$ref": "#/components/schemas/Error"}, error_shape)
                assert validate(document, schema, error_shape), (path, method, status)


async def test_message_limit_in_the_document_follows_the_settings(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_message_chars=500)
    document = await served(client)
    text = document["components"]["schemas"]["NewMessage"]["properties"]["text"]
    assert text["maxLength"] == 500
    person = Person(client)
    await person.start()
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        json={"text": "a" * 501},
        headers=person.auth,
    )
    assert response.status == 413


async def test_a_conversation_matches_the_documented_schemas(make_client: MakeClient) -> None:
    client = await make_client(identity_secret=IDENTITY_SECRET)
    document = await served(client)
    operations = {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }

    def conforms(operation_id: str, status: int, body: Any) -> None:
        response = resolve(document, operations[operation_id]["responses"][str(status)])
        schema = response["content"]["application/json"]["schema"]
        assert not validate(document, schema, body), (operation_id, body)

    person = Person(client)
    started = await person.start(
        locale="en", user_id="user-9", user_hash=user_hash("user-9", secret=IDENTITY_SECRET)
    )
    conforms("createConversation", 201, started)
    answered = await person.say("I was charged twice for one session", client_id="m-1")
    conforms("postMessage", 200, answered)
    assert answered["messages"], "the bot answered"
    conforms("listMessages", 200, await person.inbox())
    chosen = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/contact",
        json={"route": "chat"},
        headers=person.auth,
    )
    conforms("chooseContact", chosen.status, await chosen.json())
    early = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/csat",
        json={"score": 5},
        headers=person.auth,
    )
    assert early.status == 409
    conforms("rateConversation", 409, await early.json())
    # A crisis reply's `links` are documented too.
    crisis = await person.say("I want to kill myself tonight", client_id="m-2")
    assert any("links" in message for message in crisis["messages"])
    conforms("postMessage", 200, crisis)
    conforms("listMessages", 200, await person.inbox())
