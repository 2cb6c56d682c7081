"""A faithful local Slack: the Web API slice the app uses, and people acting in Slack.

Tests drive it directly; with no SLACK_BOT_TOKEN the app runs it in-process as the
sandbox at /sandbox. See `server.SlackFake`.
"""

from bot.slack_fake.server import SlackFake

__all__ = ["SlackFake"]
