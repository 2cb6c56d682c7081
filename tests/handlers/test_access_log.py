"""The access log: one JSON line per request with its request id, never a query string."""

from __future__ import annotations

import io
import json
import logging

import aiohttp
from aiohttp import web
from aiohttp.test_utils import unused_port

from bot.app import create_app
from bot.conversation.engine import Engine
from bot.logs import _OWN_HANDLER_FLAG, configure_logging
from bot.settings import Settings
from handlers.access_log import RequestAccessLogger


async def test_access_log_lines_carry_the_request_id_and_no_query(
    settings: Settings, engine: Engine
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        # As `python -m bot serve` runs it.
        runner = web.AppRunner(
            create_app(settings, engine=engine), access_log_class=RequestAccessLogger
        )
        await runner.setup()
        port = unused_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:
                response = await http.get(
                    f"http://127.0.0.1:{port}/api/v1/conversations/abc/messages"
                    "?after=0&token=secret-token",
                    headers={"X-Request-Id": "req-12345678"},
                )
                assert response.status == 401, await response.text()
        finally:
            await runner.cleanup()
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, _OWN_HANDLER_FLAG, False)]:
            root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    access = [line for line in lines if line.get("logger") == "aiohttp.access"]
    assert access, lines
    assert access[-1]["request_id"] == "req-12345678", access
    assert access[-1]["status"] == 401
    assert access[-1]["path"] == "/api/v1/conversations/abc/messages"
    assert "secret-token" not in stream.getvalue()
