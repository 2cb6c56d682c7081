"""GET /api/v1/openapi.json: the REST API's OpenAPI 3.1 document (source: openapi.yaml)."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import keys
from bot.datafiles import load_yaml

SOURCE = Path(__file__).parent / "openapi.yaml"


@functools.cache
def _source() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(SOURCE)
    return document


def build_document(*, max_message_chars: int) -> dict[str, Any]:
    """The document with this deployment's limits filled in.

    Args:
        max_message_chars: the longest message the server accepts (MAX_MESSAGE_CHARS).
    """
    document = copy.deepcopy(_source())
    text = document["components"]["schemas"]["NewMessage"]["properties"]["text"]
    text["maxLength"] = max_message_chars
    return document


@functools.cache
def _body(max_message_chars: int) -> bytes:
    return json.dumps(build_document(max_message_chars=max_message_chars), indent=2).encode()


async def openapi_document(request: web.Request) -> web.Response:
    body = _body(request.app[keys.SETTINGS].max_message_chars)
    return web.Response(body=body, content_type="application/json", charset="utf-8")
