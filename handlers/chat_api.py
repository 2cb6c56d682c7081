"""REST API for platform backends: /api/v1/conversations (DESIGN.md "Interfaces")."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot import keys
from bot.clock import iso
from bot.errors import Invalid
from bot.store.models import Case, Message


def message_json(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "at": iso(message.created_at),
    }
    if message.sender == "agent" and message.author_name:
        body["author"] = message.author_name
    return body


def state_of(case: Case) -> str:
    return case.status


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Invalid("invalid_json", "The request body must be a JSON object.")
    return body


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def create_conversation(request: web.Request) -> web.Response:
    body = await read_json(request)
    locale = body.get("locale")
    user_id = body.get("user_id")
    if locale is not None and not isinstance(locale, str):
        raise Invalid("locale_invalid", '`locale` must be a string such as "en" or "sv-SE".')
    if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= 255):
        raise Invalid("user_id_invalid", "`user_id` must be a non-empty string.")
    started = await request.app[keys.CHAT].start(locale=locale, person_ref=user_id)
    return web.json_response(
        {
            "conversation_id": started.case.id,
            "token": started.token,
            "case_ref": started.case.ref,
            "state": state_of(started.case),
            "messages": [message_json(m) for m in started.messages],
        },
        status=201,
    )


async def post_message(request: web.Request) -> web.Response:
    chat = request.app[keys.CHAT]
    case_id = request.match_info["conversation_id"]
    chat.authorize(case_id, bearer_token(request))
    body = await read_json(request)
    posted = await chat.post(
        case_id=case_id, text=body.get("text"), client_id=body.get("client_id")
    )
    return web.json_response(
        {
            "messages": [message_json(m) for m in posted.messages],
            "state": state_of(posted.case),
            "case_ref": posted.case.ref,
            "seq": posted.user_message.seq,
        }
    )


async def list_messages(request: web.Request) -> web.Response:
    chat = request.app[keys.CHAT]
    case_id = request.match_info["conversation_id"]
    chat.authorize(case_id, bearer_token(request))
    raw_after = request.query.get("after", "0")
    if not raw_after.isdigit():
        raise Invalid("after_invalid", "`after` must be a non-negative integer.")
    case, messages = await chat.history(case_id=case_id, after=int(raw_after))
    return web.json_response(
        {
            "messages": [message_json(m) for m in messages],
            "state": state_of(case),
            "case_ref": case.ref,
        }
    )
