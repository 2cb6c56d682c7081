"""The Slack manifest lists what the toolkit uses: its commands, the Home tab, the scope."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.json"


def test_manifest_lists_the_toolkits_slack_surface() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/case", "/incident"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]
    for command in manifest["features"]["slash_commands"]:
        assert command["url"] == manifest["settings"]["interactivity"]["request_url"]
