"""Sending signed requests to the app the way Slack does, including Slack's event retries.

Events API retries (docs.slack.dev/apis/events-api, "Error handling"): when the app does
not answer 2xx within 3 seconds Slack retries up to 3 times, "nearly immediately, then
after 1 minute, then after 5 minutes", adding X-Slack-Retry-Num (1..3) and
X-Slack-Retry-Reason (http_timeout, http_error, connection_failed, ...). An app can turn a
retry off by answering with `X-Slack-No-Retry: 1`. Interactions and slash commands are
not retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.slack_fake.signing import signed_headers

log = logging.getLogger(__name__)

# Slack waits this long for an acknowledgement before it counts an event as timed out.
SLACK_ACK_TIMEOUT_S = 3.0
SLACK_MAX_RETRIES = 3
SLACK_RETRY_DELAYS_S = (0.0, 60.0, 300.0)
# Generous ceiling for one request so a hung app cannot hang the fake forever.
REQUEST_CEILING_S = 60.0

Answer = dict[str, Any]


class Delivery:
    """Signs and posts events, interactions and commands to the app.

    `max_retries` is 0 by default (tests opt in); the sandbox CLI uses Slack's 3.
    `retry_delays_s` defaults to Slack's schedule; tests shorten it.
    """

    def __init__(self, *, signing_secret: str, clock: Callable[[], float]) -> None:
        self._secret = signing_secret
        self._clock = clock
        self.max_retries = 0
        self.retry_delays_s: tuple[float, ...] = SLACK_RETRY_DELAYS_S
        self.ack_timeout_s = SLACK_ACK_TIMEOUT_S
        self.log: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- plumbing ---------------------------------------------------------------------
    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until every delivery (and retry) started so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def post(
        self,
        url: str,
        body: bytes,
        content_type: str,
        *,
        extra_headers: dict[str, str] | None = None,
        kind: str,
    ) -> Answer:
        headers = signed_headers(self._secret, int(self._clock()), body, content_type)
        headers.update(extra_headers or {})
        record: dict[str, Any] = {"kind": kind, "headers": dict(headers), "body": body}
        self.log.append(record)
        timeout = aiohttp.ClientTimeout(total=REQUEST_CEILING_S)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, data=body, headers=headers) as res:
                    text = await res.text()
                    answer_body: Any = text
                    if text and res.content_type == "application/json":
                        try:
                            answer_body = json.loads(text)
                        except ValueError:
                            pass
                    answer = {"status": res.status, "body": answer_body}
                    if res.headers.get("X-Slack-No-Retry") == "1":
                        answer["no_retry"] = True
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("slack fake: delivery to %s failed: %r", url, exc)
            answer = {"status": 0, "body": f"connection_failed: {exc!r}"}
        record["status"] = answer["status"]
        return answer

    # -- events -----------------------------------------------------------------------
    async def event(
        self,
        url: str,
        envelope: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Answer:
        """One delivery of an event_callback, optionally marked as Slack's retry N."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_error"
        body = json.dumps(envelope).encode()
        return await self.post(url, body, "application/json", extra_headers=headers, kind="event")

    async def event_with_retries(self, url: str, envelope: dict[str, Any]) -> Answer:
        """Deliver like Slack: the first answer is returned; retries run in the background."""
        first = self.spawn(self.event(url, envelope))
        done, _ = await asyncio.wait({first}, timeout=self.ack_timeout_s)
        if not done:
            # Slack does not wait for a slow app: it retries at the deadline.
            self._schedule_retries(url, envelope, "http_timeout")
            return await first
        answer = first.result()
        reason = _failure_reason(answer)
        if reason is not None:
            self._schedule_retries(url, envelope, reason)
        return answer

    def _schedule_retries(self, url: str, envelope: dict[str, Any], reason: str) -> None:
        if self.max_retries > 0:
            self.spawn(self._retry_chain(url, envelope, reason))

    async def _retry_chain(self, url: str, envelope: dict[str, Any], reason: str) -> None:
        for attempt in range(1, min(self.max_retries, SLACK_MAX_RETRIES) + 1):
            delays = self.retry_delays_s
            await asyncio.sleep(delays[min(attempt - 1, len(delays) - 1)] if delays else 0.0)
            task = self.spawn(self.event(url, envelope, retry_num=attempt, retry_reason=reason))
            done, _ = await asyncio.wait({task}, timeout=self.ack_timeout_s)
            if not done:
                reason = "http_timeout"
                continue
            next_reason = _failure_reason(task.result())
            if next_reason is None:
                return
            reason = next_reason

    # -- interactions and commands --------------------------------------------------
    async def interaction(self, url: str, payload: dict[str, Any]) -> Answer:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._acknowledged(url, body, "interaction")

    async def command(self, url: str, form: dict[str, str]) -> Answer:
        body = urlencode(form).encode()
        return await self._acknowledged(url, body, "command")

    async def _acknowledged(self, url: str, body: bytes, kind: str) -> Answer:
        # Interactions and commands are never retried, but an answer after the 3 s
        # deadline is thrown away: the person sees "operation_timeout" instead.
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await self.post(url, body, "application/x-www-form-urlencoded", kind=kind)
        if loop.time() - started > self.ack_timeout_s:
            answer["timed_out"] = True
        return answer


def _failure_reason(answer: Answer) -> str | None:
    if answer.get("no_retry"):
        return None
    status = int(answer["status"])
    if status == 0:
        return "connection_failed"
    if not 200 <= status < 300:
        return "http_error"
    return None
