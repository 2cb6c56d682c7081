"""The App Home tab: published fresh each time an agent opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.home import build_home, home_data
from bot.settings import Settings
from bot.store.db import Database


async def home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab", "home") != "home":
        return
    user = event["user"]
    settings: Settings = context["settings"]
    db: Database = context["db"]
    async with db.transaction() as session:
        data = await home_data(
            session,
            user=user,
            now=context["clock"](),
            is_lead=user in settings.leads,
            threshold=settings.agent_load_threshold,
            window_h=settings.agent_load_window_h,
            long_minutes=settings.long_case_minutes,
        )
    await client.views_publish(user_id=user, view=build_home(data))
