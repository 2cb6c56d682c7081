"""Log lines are JSON with a request id and never carry what the person wrote."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.logs import SafeJsonFormatter, configure_logging, request_context, request_id_var
from bot.store import cases as case_store
from bot.store.models import Message
from tests.support import Person

MESSAGE_TEXT = "I can't stop crying, my therapist never showed up again"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
    root.setLevel(saved_level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_line_has_ts_level_logger_msg_request_id_and_extras(log_stream: io.StringIO) -> None:
    with request_context("req-123") as rid:
        logging.getLogger("bot.chat").info(
            "message stored", extra={"case_ref": "C-7K3Q", "chars": 57, "ok": True}
        )
    assert rid == "req-123"
    [line] = _lines(log_stream)
    assert line["level"] == "INFO"
    assert line["logger"] == "bot.chat"
    assert line["msg"] == "message stored"
    assert line["request_id"] == "req-123"
    assert line["case_ref"] == "C-7K3Q" and line["chars"] == 57 and line["ok"] is True
    assert line["ts"].endswith("+00:00") and "T" in line["ts"]


def test_message_text_never_appears_in_the_output(log_stream: io.StringIO) -> None:
    log = logging.getLogger("bot.chat")
    log.warning(
        "handoff posted",
        extra={
            "text": MESSAGE_TEXT,
            "message_text": MESSAGE_TEXT,
            "Body": MESSAGE_TEXT,
            "transcript": [MESSAGE_TEXT],
            "email": "anna@example.com",
            "phone": "+46 70 123 45 67",
            "details": {"text": MESSAGE_TEXT, "queue": "billing"},
        },
    )
    output = log_stream.getvalue()
    assert "crying" not in output
    assert "anna@example.com" not in output and "123 45 67" not in output
    [line] = _lines(log_stream)
    assert line["details"] == {"queue": "billing"}
    assert not {"text", "message_text", "Body", "transcript", "email", "phone"} & line.keys()


def test_personal_data_in_msg_args_and_extras_is_redacted(log_stream: io.StringIO) -> None:
    logging.getLogger("bot.identity").info(
        "lookup for %s failed, card %s",
        "anna@example.com",
        "4111 1111 1111 1111",
        extra={"contact": "call 070-123 45 67"},
    )
    [line] = _lines(log_stream)
    assert line["msg"] == "lookup for [email] failed, card [card]"
    assert line["contact"] == "call [phone]"


def test_tracebacks_are_redacted(log_stream: io.StringIO) -> None:
    try:
        raise ValueError("bad input from anna@example.com")
    except ValueError:
        logging.getLogger("bot.x").exception("parse failed")
    [line] = _lines(log_stream)
    assert line["level"] == "ERROR"
    assert "ValueError: bad input from [email]" in line["exc"]
    assert "anna@example.com" not in log_stream.getvalue()


async def test_request_id_is_null_outside_a_request_and_isolated_per_task(
    log_stream: io.StringIO,
) -> None:
    log = logging.getLogger("bot.ws")
    log.info("startup")

    async def handle(rid: str) -> None:
        with request_context(rid):
            await asyncio.sleep(0)  # let the other task run inside its own context
            log.info("handled")

    await asyncio.gather(handle("r-1"), handle("r-2"))
    lines = [line for line in _lines(log_stream) if line["logger"] == "bot.ws"]
    assert lines[0]["request_id"] is None
    assert sorted(line["request_id"] for line in lines[1:]) == ["r-1", "r-2"]
    assert request_id_var.get() is None


def test_fresh_request_ids_are_unique(log_stream: io.StringIO) -> None:
    with request_context() as first, request_context() as second:
        assert first != second and len(first) == 32


def test_configure_logging_twice_keeps_one_handler(log_stream: io.StringIO) -> None:
    second = io.StringIO()
    configure_logging("INFO", stream=second)
    logging.getLogger("bot").debug("below level")
    logging.getLogger("bot").info("once")
    assert log_stream.getvalue() == ""
    assert [line["msg"] for line in _lines(second)] == ["once"]


def test_odd_extra_values_still_give_valid_json() -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "x", None, None)
    record.ratio = float("nan")
    record.when = object()
    record.items = ("a", 1)
    line = json.loads(SafeJsonFormatter().format(record))
    assert line["ratio"] == "nan" and line["items"] == ["a", 1]
    assert line["when"].startswith("<object object")


def test_credentials_in_urls_and_headers_are_masked(log_stream: io.StringIO) -> None:
    logging.getLogger("aiohttp.access").info(
        '127.0.0.1 "GET /chat/ws?conversation=c1&token=eyJ2IjoxfQ.c2ln HTTP/1.1" 101',
        extra={"headers": {"Authorization": "Bearer eyJ2IjoxfQ.c2ln", "Accept": "*/*"}},
    )
    logging.getLogger("bot.api").info("auth header was %s", "Bearer eyJ2IjoxfQ.c2ln")
    output = log_stream.getvalue()
    assert "eyJ2IjoxfQ" not in output
    first, second = _lines(log_stream)
    assert "conversation=c1&token=[secret] HTTP/1.1" in first["msg"]
    assert first["headers"] == {"Accept": "*/*"}
    assert second["msg"] == "auth header was Bearer [secret]"


async def test_a_failed_write_logs_no_message_text(
    client: TestClient, log_stream: io.StringIO
) -> None:
    """A database error's message quotes its statement's parameters unless the engine
    hides them: a post that fails (here, a seq another writer took first) must not put
    the person's words in the log."""
    person = Person(client)
    await person.start(locale="en-US")
    async with client.app[keys.DB].transaction() as session:
        case = await case_store.get_case(session, case_id=person.conversation_id)
        assert case is not None
        session.add(
            Message(
                case_id=case.id,
                seq=case.last_seq + 1,
                sender="system",
                text="x",
                created_at=datetime.now(UTC),
            )
        )
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        json={"text": MESSAGE_TEXT},
        headers=person.auth,
    )
    assert response.status == 500
    out = log_stream.getvalue()
    assert "IntegrityError" in out  # the failure is logged...
    assert "therapist never showed up" not in out  # ...without what the person wrote


def test_slack_libraries_never_log_bodies_even_at_debug(log_stream: io.StringIO) -> None:
    """slack-sdk writes every request and response body at DEBUG."""
    assert logging.getLogger().level == logging.DEBUG
    for name in ("slack_sdk", "slack_bolt", "slack_sdk.web.async_base_client"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
