"""The person's answers over the chat API: a contact route, and a rating once resolved.

`POST /api/v1/conversations/{id}/contact` `{"route": "phone"|"text"|"chat"}` and
`POST /api/v1/conversations/{id}/csat` `{"score": 1..5}`, with the conversation's Bearer token.
"""

from __future__ import annotations

from aiohttp import web

from bot import keys
from bot.csat import record_csat
from bot.toolkit import CONTACT
from handlers.chat_api import bearer_token, read_json, state_of
from handlers.ratelimits import check_conversation, check_ip


async def choose_contact(request: web.Request) -> web.Response:
    check_ip(request)
    case_id = request.match_info["conversation_id"]
    request.app[keys.CHAT].authorize(case_id, bearer_token(request))
    check_conversation(request, case_id)
    body = await read_json(request)
    case = await request.app[CONTACT].choose(case_id=case_id, route=body.get("route"))
    return web.json_response({"preferred_contact": case.preferred_contact, "state": state_of(case)})


async def rate(request: web.Request) -> web.Response:
    check_ip(request)
    case_id = request.match_info["conversation_id"]
    request.app[keys.CHAT].authorize(case_id, bearer_token(request))
    check_conversation(request, case_id)
    body = await read_json(request)
    case = await record_csat(
        request.app[keys.DB], request.app[keys.CLOCK], case_id=case_id, score=body.get("score")
    )
    return web.json_response({"score": case.csat_score, "state": state_of(case)}, status=201)
