"""The Slack side of the app: a Web API client and a Bolt app that share it."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import DEV_BOT_TOKEN, Settings

# Retries inside one call are kept short: the outbox retries for longer, with backoff,
# and a 429 is left to the outbox so that one busy channel never holds up the others.
CALL_TIMEOUT_S = 10


def build_client(settings: Settings, *, retry_in_call: bool = True) -> AsyncWebClient:
    """A Web API client for the workspace in the settings.

    Args:
        retry_in_call: send a call once more when its connection drops or Slack answers
            5xx. Off for the outbox: a post whose connection dropped may have landed, and
            sending it again blindly posts it twice. The outbox retries on its own, after
            looking in the channel for the post (bot/outbox.py).
    """
    kwargs = {}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url
    retry_handlers = (
        [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ]
        if retry_in_call
        else []
    )
    return AsyncWebClient(
        token=settings.slack_bot_token or DEV_BOT_TOKEN,
        timeout=CALL_TIMEOUT_S,
        retry_handlers=retry_handlers,
        **kwargs,
    )


def build_bolt_app(settings: Settings, client: AsyncWebClient) -> AsyncApp:
    return AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret,
        # Listeners finish (and commit) before Slack gets its answer: what we acknowledge
        # is stored. Every listener is a short database transaction, well inside 3 s.
        process_before_response=True,
        # handlers/slack_events.py verifies signatures (and refuses replays) before Bolt
        # sees a request, with the app's clock.
        request_verification_enabled=False,
        name="supportbot",
    )
