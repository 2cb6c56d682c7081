"""`python -m bot slack-sandbox`: registered, with channels from the queue routing file."""

from __future__ import annotations

import argparse

from bot.cli import slack_sandbox


def test_subcommand_is_registered_with_its_options() -> None:
    parser = argparse.ArgumentParser()
    slack_sandbox.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["slack-sandbox", "--port", "3999", "--events-url", "http://127.0.0.1:8080/slack/events"]
    )
    assert args.func is slack_sandbox.run
    assert args.port == 3999 and args.channels is None


def test_default_channels_come_from_queues_yaml() -> None:
    channels = slack_sandbox.queue_channels()
    assert "support-billing" in channels and "support-crisis" in channels
    assert len(channels) == len(set(channels))
