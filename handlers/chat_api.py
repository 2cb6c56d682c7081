"""REST API for platform backends: /api/v1/conversations (DESIGN.md "Interfaces").

Every route answers errors as `{"error": {"code", "message"}}`; the OpenAPI document
(handlers/openapi.yaml, served at /api/v1/openapi.json) lists each status and code.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from bot import keys
from bot.clock import iso
from bot.conversation.engine import Engine
from bot.errors import DomainError, Invalid, Unauthorized
from bot.identity import MAX_USER_ID_CHARS, person_ref, verify_user
from bot.store import messages as message_store
from bot.store.models import Case, Message
from handlers.ratelimits import check_conversation, check_ip

# A BCP 47 language tag as clients send it ("en", "sv-SE", "en_GB"); anything else is
# refused here rather than stored.
LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
# Message numbers are a 32-bit integer column (PostgreSQL `integer`); a larger `after`
# could never match and would overflow the query parameter.
MAX_SEQ = 2**31 - 1
SEQ = re.compile(r"[0-9]{1,10}")
JSON_MEDIA_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json")


class UnsupportedMediaType(DomainError):
    status = 415


def message_json(message: Message, engine: Engine) -> dict[str, Any]:
    """A message as the API and the chat socket send it.

    A crisis reply also says which of its words are links (`links`, in their order in the
    text), worked out here because messages are stored as plain text.
    """
    body: dict[str, Any] = {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "at": iso(message.created_at),
    }
    if message.sender == "agent" and message.author_name:
        body["author"] = message.author_name
    links = engine.message_links(sender=message.sender, text=message.text)
    if links:
        body["links"] = [link.as_json() for link in links]
    return body


def state_of(case: Case) -> str:
    return case.status


def storable(value: object) -> bool:
    """False if any string in a parsed JSON value holds NUL or an unpaired surrogate.

    JSON allows both (`"\\u0000"`, `"\\ud800"`), but no database text column stores them:
    PostgreSQL refuses NUL and UTF-8 cannot encode a lone surrogate. Walked with a stack,
    not recursion, because the nesting depth is the client's choice.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or (not item.isascii() and _has_surrogate(item)):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; `{}` when there is no body.

    Only `application/json` (or `+json`) is read: a form or text/plain post, which a
    browser on another site can send without asking, is refused with 415.
    """
    if not request.can_read_body:
        return {}
    if not JSON_MEDIA_TYPE.fullmatch(request.content_type):
        raise UnsupportedMediaType(
            "unsupported_media_type", "Send the body as JSON with Content-Type: application/json."
        )
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Invalid("invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Invalid("invalid_json", "The request body must be a JSON object.")
    if not storable(body):
        raise Invalid(
            "invalid_characters", "Text must not contain NUL characters or unpaired surrogates."
        )
    return body


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def verified_person(request: web.Request, body: dict[str, Any]) -> str | None:
    """The case store's pseudonym for the person, or None for an anonymous chat.

    A `user_id` is only linked to earlier cases when the host platform vouches for it with
    `user_hash` (identity verification); without a configured secret nothing can vouch,
    so it is refused rather than trusted.
    """
    user_id, claimed_hash = body.get("user_id"), body.get("user_hash")
    if user_id is None:
        if claimed_hash is not None:
            raise Invalid("user_id_missing", "`user_hash` was sent without a `user_id`.")
        return None
    if not isinstance(user_id, str) or not 0 < len(user_id) <= MAX_USER_ID_CHARS:
        raise Invalid(
            "user_id_invalid",
            f"`user_id` must be a non-empty string of at most {MAX_USER_ID_CHARS} characters.",
        )
    secret = request.app[keys.SETTINGS].identity_secret
    if not secret:
        raise Invalid(
            "identity_not_configured",
            "This server does not verify user ids (IDENTITY_SECRET is not set); "
            "start the conversation without `user_id`.",
        )
    if not isinstance(claimed_hash, str) or not verify_user(user_id, claimed_hash, secret=secret):
        raise Unauthorized(
            "identity_unverified", "`user_hash` is missing or does not match `user_id`."
        )
    return person_ref(user_id, secret=secret)


async def create_conversation(request: web.Request) -> web.Response:
    check_ip(request)
    body = await read_json(request)
    locale = body.get("locale")
    if locale is not None and (not isinstance(locale, str) or not LOCALE_TAG.fullmatch(locale)):
        raise Invalid("locale_invalid", '`locale` must be a language tag such as "en" or "sv-SE".')
    page_locale = body.get("page_locale")
    if page_locale is not None and (
        not isinstance(page_locale, str) or not LOCALE_TAG.fullmatch(page_locale)
    ):
        raise Invalid(
            "page_locale_invalid", '`page_locale` must be a language tag such as "en" or "sv".'
        )
    person = verified_person(request, body)
    engine = request.app[keys.ENGINE]
    started = await request.app[keys.CHAT].start(
        locale=locale, page_locale=page_locale, person_ref=person
    )
    return web.json_response(
        {
            "conversation_id": started.case.id,
            "token": started.token,
            "case_ref": started.case.ref,
            "state": state_of(started.case),
            "messages": [message_json(m, engine) for m in started.messages],
        },
        status=201,
    )


async def post_message(request: web.Request) -> web.Response:
    check_ip(request)
    chat = request.app[keys.CHAT]
    case_id = request.match_info["conversation_id"]
    chat.authorize(case_id, bearer_token(request))
    check_conversation(request, case_id)
    body = await read_json(request)
    posted = await chat.post(
        case_id=case_id, text=body.get("text"), client_id=body.get("client_id")
    )
    engine = request.app[keys.ENGINE]
    return web.json_response(
        {
            "messages": [message_json(m, engine) for m in posted.messages],
            "state": state_of(posted.case),
            "case_ref": posted.case.ref,
            "seq": posted.user_message.seq,
        }
    )


def parse_after(raw: str) -> int:
    if not SEQ.fullmatch(raw) or int(raw) > MAX_SEQ:
        raise Invalid("after_invalid", f"`after` must be an integer from 0 to {MAX_SEQ}.")
    return int(raw)


async def list_messages(request: web.Request) -> web.Response:
    check_ip(request)
    chat = request.app[keys.CHAT]
    case_id = request.match_info["conversation_id"]
    chat.authorize(case_id, bearer_token(request))
    after = parse_after(request.query.get("after", "0"))
    case, messages = await chat.history(case_id=case_id, after=after)
    engine = request.app[keys.ENGINE]
    return web.json_response(
        {
            "messages": [message_json(m, engine) for m in messages],
            "state": state_of(case),
            "case_ref": case.ref,
            # A full page: there may be more after its last seq.
            "has_more": len(messages) == message_store.PAGE,
        }
    )
